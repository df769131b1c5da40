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
