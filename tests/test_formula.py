"""Safe formula parser: arithmetic, whitelisted functions, rejected constructs."""

import builtins
import pickle

import numpy as np
import pytest

from salesworkbench.errors import ValueCaseError
from salesworkbench.value import Formula

NAMES = ["users", "arpu_after", "arpu_before", "margin", "flag"]
LINE = "benefit 'Profit from ARPU uplift'"


def f(text, names=NAMES):
    return Formula(text, names, LINE)


ENV = {
    "users": np.array([100.0, 200.0, 300.0]),
    "arpu_after": np.array([26.0, 25.0, 21.0]),
    "arpu_before": 22.0,
    "margin": np.array([0.5, 0.6, 0.4]),
    "flag": np.array([0.0, 1.0, 1.0]),
}


def test_arithmetic_matches_numpy():
    out = f("users * (arpu_after - arpu_before) * 12 * margin")(ENV)
    expect = ENV["users"] * (ENV["arpu_after"] - 22.0) * 12 * ENV["margin"]
    np.testing.assert_allclose(out, expect)
    np.testing.assert_allclose(f("-users / 4 + 2 ** 3 - +1")(ENV), -ENV["users"] / 4 + 7)
    np.testing.assert_allclose(f("users ** 0.5")(ENV), np.sqrt(ENV["users"]))


def test_constant_formulas():
    assert f("500000")(ENV) == 500000
    assert f(500000)(ENV) == 500000
    assert f("1.5e6")({}) == 1.5e6
    assert f("500000").is_constant and not f("users").is_constant
    assert f("users * margin + users").names == ("users", "margin")


def test_functions_are_elementwise():
    np.testing.assert_allclose(f("min(users, 150)")(ENV), [100, 150, 150])
    np.testing.assert_allclose(f("max(users, 150, arpu_after * 10)")(ENV), [260, 250, 300])
    np.testing.assert_allclose(f("exp(log(users))")(ENV), ENV["users"])
    np.testing.assert_allclose(f("sqrt(users)")(ENV), np.sqrt(ENV["users"]))
    np.testing.assert_allclose(f("abs(arpu_after - arpu_before)")(ENV), [4, 3, 1])


def test_where_and_if_with_comparisons():
    np.testing.assert_allclose(f("where(arpu_after > arpu_before, users, 0)")(ENV), [100, 200, 0])
    np.testing.assert_allclose(f("if(arpu_after >= 25, 1, 2)")(ENV), [1, 1, 2])
    np.testing.assert_allclose(f("where(20 < arpu_after < 26, 1, 0)")(ENV), [0, 1, 1])
    np.testing.assert_allclose(
        f("where(users > 150 and not arpu_after < 22, 1, 0)")(ENV), [0, 1, 0]
    )
    np.testing.assert_allclose(f("where(users < 150 or margin < 0.45, 1, 0)")(ENV), [1, 0, 1])
    np.testing.assert_allclose(f("where(flag, users, 0)")(ENV), [0, 200, 300])


def test_huge_powers_overflow_instead_of_hanging():
    with np.errstate(over="ignore"):
        assert np.isinf(f("9 ** 9 ** 9")({}))


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueCaseError) as err:
        f("users * arpu_aftr")
    msg = str(err.value)
    assert LINE in msg and "'users * arpu_aftr'" in msg
    assert "unknown name 'arpu_aftr'" in msg
    assert "known assumptions: users, arpu_after, arpu_before, margin, flag" in msg


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("users *", "syntax error"),
        ("users ) (", "syntax error"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("max(users)", "max() takes at least 2 arguments, got 1"),
        ("sqrt(users, 2)", "sqrt() takes 1 arguments, got 2"),
        ("sin(users)", "unknown function 'sin'"),
        ("users > 2", "comparison outside the condition of where()"),
        ("users % 2", "forbidden construct: operator Mod"),
        ("users // 2", "forbidden construct: operator FloorDiv"),
        ("users and margin", "and/or/not outside the condition"),
        ("max", "function 'max' must be called"),
        ("True", "forbidden construct: constant True"),
        ("1j", "forbidden construct: constant 1j"),
    ],
)
def test_bad_formulas_name_line_and_formula(text, fragment):
    with pytest.raises(ValueCaseError) as err:
        f(text)
    msg = str(err.value)
    assert msg.startswith(LINE + ": formula")
    assert fragment in msg


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch /tmp/pwned')",
        "__import__",
        "users.__class__",
        "users.__class__.__bases__[0].__subclasses__()",
        "().__class__",
        "open('/etc/passwd')",
        "eval('1+1')",
        "exec('x=1')",
        "getattr(users, 'x')",
        "lambda: 1",
        "users[0]",
        "'abc'",
        "b'abc'",
        "max(users, key=margin)",
        "max(*users)",
        "[u for u in users]",
        "users if margin else 1",
        "(x := 1)",
        "{1: 2}",
        "users.real",
        "f'{users}'",
        "__builtins__",
        "users; import os",
        "import os",
    ],
)
def test_injection_attempts_are_rejected(text, tmp_path):
    with pytest.raises(ValueCaseError) as err:
        f(text)
    msg = str(err.value)
    assert LINE in msg
    assert "forbidden construct" in msg or "syntax error" in msg or "unknown" in msg


def test_forbidden_construct_wording():
    for text, what in [
        ("__import__('os')", "function '__import__'"),
        ("users.__class__", "attribute access '.__class__'"),
        ("users[0]", "subscript"),
        ("lambda: 1", "Lambda"),
        ("'abc'", "constant 'abc'"),
        ("max(users, key=margin)", "keyword argument 'key='"),
    ]:
        with pytest.raises(ValueCaseError, match="forbidden construct") as err:
            f(text)
        assert what.lower() in str(err.value).lower()


def test_never_calls_eval_or_compile(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("eval/compile called")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    formula = f("where(users > 150, users * margin, max(users, 1))")
    np.testing.assert_allclose(formula(ENV), [100, 120, 120])


def test_pickle_round_trip():
    g = pickle.loads(pickle.dumps(f("users * margin")))
    np.testing.assert_allclose(g(ENV), ENV["users"] * ENV["margin"])


def test_non_text_formula_rejected():
    with pytest.raises(ValueCaseError, match=LINE):
        Formula(["users"], NAMES, LINE)
    with pytest.raises(ValueCaseError, match=LINE):
        Formula(True, NAMES, LINE)
