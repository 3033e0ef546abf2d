"""Numeric arrays of a model's fixed data: teacher overlaps ``T``, teacher and student output
weights, evaluated at given values of the free parameters."""

from __future__ import annotations

import ast
import operator
from fractions import Fraction

import numpy as np

from fixedpoints.errors import ParameterError

__all__ = ["array_function", "model_arrays"]


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _arithmetic(text: str) -> float | None:
    """The value of a constant arithmetic expression (numbers, + - * / **, brackets), exact in
    fractions; None for anything else (a name, a function): then SymPy evaluates it."""

    def ev(node):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return Fraction(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow):
                if right.denominator != 1 or abs(right) > 64:
                    raise ValueError(text)
                return left ** int(right)
            return _OPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.operand))
        raise ValueError(text)

    try:
        return float(ev(ast.parse(text.strip(), mode="eval").body))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None


def model_arrays(model, params=None) -> dict:
    """``{"T": (m,m), "b": (m,o), "a": (k,o) or None, "scale": float}`` as floats.

    Raises
    ------
    ParameterError
        If a free parameter is needed but not given.
    """
    params = dict(params or {})
    missing = [p for p in model.free if p not in params]
    if missing:
        raise ParameterError(
            f"`{missing[0]}` is free (symbolic): give it a value (`params`).", parameter="params"
        )
    symbolic = {}

    def entry(e):
        try:
            return float(e)  # plain numbers (the bulk of a large identity T) skip SymPy
        except (TypeError, ValueError):
            pass
        value = _arithmetic(str(e))  # '1/2', '(1)*(0.5)': no SymPy needed
        if value is not None:
            return value
        if not symbolic:  # SymPy only for entries that are expressions
            import sympy as sp

            loc = {p: sp.Symbol(p, real=True) for p in model.free}
            symbolic.update(
                sp=sp, loc=loc, subs={loc[p]: sp.nsimplify(params[p]) for p in model.free}
            )
        sp, loc = symbolic["sp"], symbolic["loc"]
        return float(sp.sympify(e, locals=loc).xreplace(symbolic["subs"]))

    def arr(mat):
        return np.array([[entry(e) for e in row] for row in mat], dtype=float)

    return {
        "T": arr(model.teacher.overlap),
        "b": arr(model.teacher.b),
        "a": arr(model.student.a) if model.student.second_layer == "fixed" else None,
        "scale": arr(((model.loss.scale,),))[0, 0],
    }


def array_function(model):
    """A fast ``f(params) -> model_arrays(model, params)`` for repeated evaluation (continuation):
    the entries are lambdified once in the free parameters.

    Raises
    ------
    ParameterError
        (when called) if a free parameter is missing.
    """
    import sympy as sp

    names = list(model.free)
    loc = {p: sp.Symbol(p, real=True) for p in names}
    syms = [loc[p] for p in names]

    def compile_matrix(mat):
        exprs = [[sp.sympify(e, locals=loc) for e in row] for row in mat]
        f = sp.lambdify(syms, exprs, modules="numpy")
        return lambda vals: np.array(f(*vals), dtype=float).reshape(len(mat), len(mat[0]))

    fT = compile_matrix(model.teacher.overlap)
    fb = compile_matrix(model.teacher.b)
    fa = compile_matrix(model.student.a) if model.student.second_layer == "fixed" else None
    fs = compile_matrix(((model.loss.scale,),))

    def evaluate(params=None) -> dict:
        params = dict(params or {})
        missing = [p for p in names if p not in params]
        if missing:
            raise ParameterError(
                f"`{missing[0]}` is free (symbolic): give it a value (`params`).",
                parameter="params",
            )
        vals = [float(params[p]) for p in names]
        return {
            "T": fT(vals),
            "b": fb(vals),
            "a": fa(vals) if fa is not None else None,
            "scale": float(fs(vals)[0, 0]),
        }

    return evaluate
