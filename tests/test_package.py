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
