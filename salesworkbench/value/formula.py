"""Safe arithmetic formulas for value-case lines.

A formula such as ``"users * (arpu_after - arpu_before) * 12 * margin * adoption"`` is parsed
with :func:`ast.parse` and checked node by node against a strict whitelist; it is then turned
into a tree of small numpy closures. The user's text is never passed to ``eval`` or
``compile``, so a value-case file from a customer cannot run code.

Allowed
-------
* numbers, assumption names, parentheses;
* ``+ - * / **`` and unary ``-``/``+``;
* functions ``min(a, b, ...)``, ``max(a, b, ...)`` (elementwise), ``exp``, ``log``, ``sqrt``,
  ``abs``, and ``where(cond, a, b)`` (also spelt ``if(cond, a, b)``);
* comparisons ``< <= > >= == !=`` and ``and``/``or``/``not`` inside the condition of
  ``where``.

Everything else (attribute access, subscripts, strings, lambdas, keyword arguments, names
with double underscores, ...) is a "forbidden construct".
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from salesworkbench.errors import ValueCaseError

__all__ = ["FUNCTIONS", "Formula", "compile_formula"]

Evaluator = Callable[[Mapping[str, Any]], Any]

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: np.power,
}
_BINOP_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}
#: Whitelisted functions: name -> (numpy implementation, min args, max args or None).
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "min": (lambda *a: _reduce(np.minimum, a), 2, None),
    "max": (lambda *a: _reduce(np.maximum, a), 2, None),
    "exp": (np.exp, 1, 1),
    "log": (np.log, 1, 1),
    "sqrt": (np.sqrt, 1, 1),
    "abs": (np.abs, 1, 1),
    "where": (np.where, 3, 3),
}
_MAX_LENGTH = 5000
_IF_CALL = re.compile(r"\bif(\s*\()")


def _reduce(fn: Callable[[Any, Any], Any], args: tuple) -> Any:
    out = args[0]
    for a in args[1:]:
        out = fn(out, a)
    return out


def _describe(node: ast.AST) -> str:
    """Short description of a forbidden node for the error message."""
    if isinstance(node, ast.Attribute):
        return f"attribute access '.{node.attr}'"
    if isinstance(node, ast.Subscript):
        return "subscript '[...]'"
    if isinstance(node, ast.Lambda):
        return "lambda"
    if isinstance(node, ast.Constant):
        return f"constant {node.value!r} (only numbers are allowed)"
    if isinstance(node, ast.keyword):
        return f"keyword argument '{node.arg}='" if node.arg else "keyword arguments '**'"
    if isinstance(node, ast.Starred):
        return "starred argument '*'"
    if isinstance(node, ast.BinOp):
        return f"operator {type(node.op).__name__}"
    if isinstance(node, ast.Compare):
        return "comparison outside the condition of where()"
    if isinstance(node, ast.BoolOp | ast.UnaryOp) and isinstance(
        getattr(node, "op", None), ast.And | ast.Or | ast.Not
    ):
        return "and/or/not outside the condition of where()"
    return type(node).__name__


class Formula:
    """A parsed, checked formula that evaluates vectorised over numpy arrays.

    Parameters
    ----------
    text : str or number
        The formula as written in the value case (a bare number is allowed).
    names : iterable of str
        The assumption names the formula may use.
    where : str
        What the formula belongs to, for error messages, e.g. ``"benefit 'Profit'"``.

    Raises
    ------
    ValueCaseError
        Naming ``where``, the formula and the offending name or construct.
    """

    def __init__(self, text: str | float, names: Iterable[str], where: str = "formula") -> None:
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            raise ValueCaseError(f"{where}: formula must be text or a number, got {text!r}")
        self.text = text
        self.where = where
        self.known = tuple(names)
        self.names: tuple[str, ...] = ()
        self._fn = self._compile()

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_fn"]  # closures do not pickle; rebuilt from the text
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._fn = self._compile()

    def __call__(self, env: Mapping[str, Any]) -> Any:
        """Evaluate with ``env`` mapping assumption names to arrays or scalars."""
        return self._fn(env)

    @property
    def is_constant(self) -> bool:
        """True when the formula uses no assumption."""
        return not self.names

    # ----------------------------------------------------------------- compile
    def _error(self, problem: str) -> ValueCaseError:
        return ValueCaseError(f"{self.where}: formula {str(self.text)!r}: {problem}")

    def _compile(self) -> Evaluator:
        text = self.text
        if not isinstance(text, str):
            value = np.float64(text)
            return lambda env: value
        if len(text) > _MAX_LENGTH:
            raise self._error(f"longer than {_MAX_LENGTH} characters")
        if not text.strip():
            raise self._error("is empty")
        source = _IF_CALL.sub(r"where\1", text.strip())
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            col = f" at column {exc.offset}" if exc.offset else ""
            raise self._error(f"syntax error{col} ({exc.msg})") from None
        except (RecursionError, MemoryError, ValueError) as exc:
            raise self._error(f"cannot be parsed ({type(exc).__name__})") from None
        used: list[str] = []
        try:
            fn = self._build(tree.body, used, condition=False)
        except RecursionError:
            raise self._error("is nested too deeply") from None
        self.names = tuple(dict.fromkeys(used))
        return fn

    def _forbidden(self, node: ast.AST) -> ValueCaseError:
        return self._error(f"forbidden construct: {_describe(node)}")

    def _build(self, node: ast.AST, used: list[str], condition: bool) -> Evaluator:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self._forbidden(node)
            value = np.float64(node.value)  # numpy floats: 9**9**9 overflows to inf, no hang
            return lambda env: value
        if isinstance(node, ast.Name):
            name = node.id
            if "__" in name:
                raise self._error(f"forbidden construct: name {name!r}")
            if name not in self.known:
                if name in FUNCTIONS or name == "if":
                    raise self._error(f"function {name!r} must be called, e.g. {name}(...)")
                known = ", ".join(self.known) or "(none)"
                raise self._error(f"unknown name {name!r}; known assumptions: {known}")
            used.append(name)
            return lambda env: env[name]
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self._forbidden(node)
            left = self._build(node.left, used, False)
            right = self._build(node.right, used, False)
            return lambda env: op(left(env), right(env))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not) and condition:
                inner = self._build(node.operand, used, True)
                return lambda env: np.logical_not(inner(env))
            if isinstance(node.op, ast.USub):
                inner = self._build(node.operand, used, False)
                return lambda env: -inner(env)
            if isinstance(node.op, ast.UAdd):
                return self._build(node.operand, used, False)
            raise self._forbidden(node)
        if isinstance(node, ast.Compare) and condition:
            parts = [self._build(node.left, used, False)]
            ops = []
            for op_node, right in zip(node.ops, node.comparators, strict=True):
                op = _CMPOPS.get(type(op_node))
                if op is None:
                    raise self._error(f"forbidden construct: comparison {type(op_node).__name__}")
                ops.append(op)
                parts.append(self._build(right, used, False))

            def compare(env: Mapping[str, Any]) -> Any:
                vals = [p(env) for p in parts]
                out = ops[0](vals[0], vals[1])
                for i in range(1, len(ops)):
                    out = np.logical_and(out, ops[i](vals[i], vals[i + 1]))
                return out

            return compare
        if isinstance(node, ast.BoolOp) and condition:
            fns = [self._build(v, used, True) for v in node.values]
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            return lambda env: _reduce(combine, tuple(f(env) for f in fns))
        if isinstance(node, ast.Call):
            return self._build_call(node, used)
        raise self._forbidden(node)

    def _build_call(self, node: ast.Call, used: list[str]) -> Evaluator:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self._forbidden(func)
        fname = func.id
        if "__" in fname:
            raise self._error(f"forbidden construct: function {fname!r}")
        if fname not in FUNCTIONS:
            raise self._error(f"unknown function {fname!r}; allowed: {', '.join(FUNCTIONS)}, if")
        if node.keywords:
            raise self._forbidden(node.keywords[0])
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._forbidden(arg)
        impl, lo, hi = FUNCTIONS[fname]
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            raise self._error(f"{fname}() takes {want} arguments, got {n}")
        if fname == "where":
            cond = self._build(node.args[0], used, True)
            a = self._build(node.args[1], used, False)
            b = self._build(node.args[2], used, False)
            return lambda env: np.where(cond(env), a(env), b(env))
        args = [self._build(a, used, False) for a in node.args]
        if len(args) == 1:
            (only,) = args
            return lambda env: impl(only(env))
        return lambda env: impl(*(f(env) for f in args))


def compile_formula(text: str | float, names: Iterable[str], where: str = "formula") -> Formula:
    """Parse and check ``text``; see :class:`Formula`."""
    return Formula(text, names, where)
