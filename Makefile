# salesworkbench: two commands on a fresh machine.
#   make demo   run every notebook on the bundled sample data, write build/
#   make test   unit tests + notebook regression (nbval)
#   make lab    JupyterLab on notebooks/ (127.0.0.1, token on)
# Only Python 3.11+ and make are needed; .venv is created here.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
BUILD  := build
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg
# Jupyter refuses to start as root unless told; pass the flag only when we are root.
ROOTFLAG := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export MPLBACKEND := Agg

.PHONY: help venv install demo test test-unit test-notebooks lint bench lab data clean

help:
	@echo "make demo   - run the notebooks on the sample data, write HTML and tables to $(BUILD)/"
	@echo "make test   - unit tests and notebook regression (nbval)"
	@echo "make lab    - JupyterLab on notebooks/ (127.0.0.1, token printed)"
	@echo "make bench  - benchmarks (figures as ratios to a baseline)"
	@echo "make lint   - ruff"
	@echo "make data   - regenerate the sample data under data/ (seeded)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "salesworkbench needs Python 3.11 or newer; set PYTHON=python3.x")'
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (salesworkbench)" >/dev/null
	@touch $(STAMP)

install: venv

demo: venv
	$(PY) -m salesworkbench.demo --out $(BUILD)

test: venv lint test-unit test-notebooks

lint: venv
	$(BIN)/ruff check salesworkbench tests benchmarks notebooks/conftest.py

test-unit: venv
	$(BIN)/pytest -n 2 --dist loadfile tests

test-notebooks: venv
	$(BIN)/pytest -n 2 --dist loadfile $(NBVAL) notebooks

bench: venv
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lab: venv
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(ROOTFLAG) --notebook-dir=notebooks

data: venv
	$(PY) -m salesworkbench.datasets.generate --out data

clean:
	rm -rf $(BUILD) .pytest_cache .ruff_cache
