"""The package as users meet it: public names, no plotting or widget code in the core."""

import subprocess
import sys

import salesworkbench


def test_public_names_resolve():
    for name in salesworkbench.__all__:
        assert getattr(salesworkbench, name) is not None, name
    assert salesworkbench.ValueCase.from_yaml  # the value case contract's entry point


def test_importing_the_core_pulls_in_no_plotting_or_widgets():
    code = (
        "import sys, salesworkbench\n"
        "bad = [m for m in ('matplotlib', 'ipywidgets', 'IPython') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imports {out.stdout.strip()}"


def _names(requirements):
    import re

    return {re.split(r"[<>=!~ ;\[]", r.strip(), maxsplit=1)[0].lower() for r in requirements}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    import tomllib
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"]) | _names(project["optional-dependencies"]["test"])
    env = yaml.safe_load((root / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    have = _names(conda) - {"python", "pip"}
    assert have == wanted, (
        f"only in environment.yml: {have - wanted}; only in pyproject: {wanted - have}"
    )


def test_version_comes_from_the_package_metadata():
    import importlib.metadata
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    assert salesworkbench.__version__ == importlib.metadata.version("salesworkbench") == declared
    source = (root / "salesworkbench" / "__init__.py").read_text(encoding="utf-8")
    assert declared not in source  # pyproject.toml holds the one version literal


def test_version_without_an_install():
    code = (
        "import importlib.metadata as m\n"
        "def missing(name):\n"
        "    raise m.PackageNotFoundError(name)\n"
        "m.version = missing\n"
        "import salesworkbench\n"
        "print(salesworkbench.__version__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0+unknown"


def test_python_m_salesworkbench_runs_the_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "salesworkbench", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == f"salesworkbench {salesworkbench.__version__}"


def test_script_entry_point_resolves_to_main():
    import importlib
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["salesworkbench"].partition(":")
    main = getattr(importlib.import_module(module), name)
    from salesworkbench.cli import main as cli_main

    assert main is cli_main and callable(main)
