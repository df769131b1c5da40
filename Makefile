# salesworkbench: two commands on a fresh machine.
#   make demo   run every notebook on the bundled sample data, write build/
#   make test   unit tests + notebook regression (nbval)
#   make lab    JupyterLab on notebooks/ (127.0.0.1, token on)
#   make present CASE=data/value_cases/telecom_arpu.yaml   the customer-facing value case app
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

CASE   ?= data/value_cases/telecom_arpu.yaml
PORT   ?= 8866
CHROMIUM := $(shell command -v chromium || command -v chromium-browser)

.PHONY: help venv install demo test test-unit test-notebooks test-browser lint bench lab present data notebooks run clean

help:
	@echo "make demo   - run the notebooks on the sample data, write HTML and tables to $(BUILD)/"
	@echo "make test   - unit tests and notebook regression (nbval)"
	@echo "make lab    - JupyterLab on notebooks/ (127.0.0.1, token printed)"
	@echo "make present CASE=path.yaml - the value case as a Voila app for a customer (no code shown)"
	@echo "make test-browser - the notebooks and the app in headless Chromium (needs Debian's chromium)"
	@echo "make bench  - benchmarks (figures as ratios to a baseline)"
	@echo "make lint   - ruff"
	@echo "make data   - regenerate the sample data under data/ (seeded)"
	@echo "make notebooks [NB=notebooks/04_x.ipynb] - re-execute notebooks in place (for committing)"
	@echo "make run NB=04 ARGS=\"-p AS_OF 2026-07-01\" - run a notebook with parameters into $(BUILD)/run"

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
	$(BIN)/ruff check salesworkbench tests benchmarks tools notebooks/conftest.py
	$(BIN)/ruff format --check salesworkbench tests benchmarks tools

test-unit: venv
	$(BIN)/pytest -n 2 --dist loadfile --ignore=tests/browser tests

test-notebooks: venv
	$(BIN)/pytest -n 2 --dist loadfile $(NBVAL) notebooks

test-browser: venv
	@[ -n "$(CHROMIUM)" ] || { echo "test-browser needs Chromium: apt-get install chromium (Debian's package; no browser download is used)"; exit 2; }
	$(BIN)/pytest -p no:randomly tests/browser

bench: venv
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lab: venv
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(ROOTFLAG) --notebook-dir=notebooks

present: venv
	@[ -f "$(CASE)" ] || { echo "CASE=$(CASE): no such value case file"; exit 2; }
	SALESWORKBENCH_CASE="$(abspath $(CASE))" $(BIN)/voila salesworkbench/apps/value_case.ipynb \
		--no-browser --Voila.ip=127.0.0.1 --port=$(PORT) --token \
		--theme=light --show_tracebacks=False

notebooks: venv
	$(PY) tools/execute_notebooks.py $(NB)

data: venv
	$(PY) -m salesworkbench.datasets.generate --out data

clean:
	rm -rf $(BUILD) .pytest_cache .ruff_cache

# Run one notebook with parameters (papermill); writes the executed notebook and its HTML.
#   make run NB=04 ARGS="-p AS_OF 2026-07-01 -p TRIALS 2000"
run: venv
	@[ -n "$(NB)" ] || { echo 'usage: make run NB=04 ARGS="-p NAME VALUE ..."'; exit 2; }
	$(BIN)/salesworkbench notebook run $(NB) $(ARGS) --out $(BUILD)/run
