r"""Equations out: LaTeX ``align`` environments, plain text and JSON-ready dictionaries.

Pure functions: a flow in, a string or a dictionary out.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

__all__ = ["flow_to_latex", "flow_to_text", "flow_to_json"]


def flow_to_latex(flow, *, loss: bool = True) -> str:
    r"""A ready-to-paste LaTeX ``align`` environment, one line per variable:
    ``\dot{Q}_{12} &= ...``, then ``\mathcal{L} &= ...``.

    Examples
    --------
    >>> from fixedpoints.models import load_model
    >>> from fixedpoints.symbolic import derive
    >>> tex = flow_to_latex(derive(load_model("multi-index", {"k": 2, "n": 1})))
    >>> tex.splitlines()[0]
    '\\begin{align}'
    """
    return "\\begin{align}\n" + " \\\\\n".join(flow.latex_rows(loss=loss)) + "\n\\end{align}"


def flow_to_text(flow) -> str:
    """One line per equation, ``dQ_12/dt = ...``, then ``L = ...``."""
    lines = [f"d{v}/dt = {sp.sstr(e)}" for v, e in zip(flow.variables, flow.equations, strict=True)]
    lines.append(f"L = {sp.sstr(flow.loss)}")
    return "\n".join(lines)


class _SympifySafePrinter(StrPrinter):
    """``sstr`` that writes symbols whose names clash with SymPy's namespace (``beta``, ``S``,
    ``O``, ``E``, ``gamma``...) as ``Symbol('name')``, so plain :func:`sympy.sympify` parses them
    back as symbols."""

    def _print_Symbol(self, expr):
        name = expr.name
        if name in _SYMPY_NAMES:
            return f"Symbol('{name}')"
        return name


_SYMPY_NAMES = frozenset(vars(sp))


_to_text = _SympifySafePrinter().doprint


def flow_to_json(flow) -> dict:
    """``{"variables", "parameters", "equations": {name: expr}, "loss"}``; every expression is a
    string that :func:`sympy.sympify` parses."""
    return {
        "model": flow.model.name if flow.model is not None else None,
        "ansatz": flow.ansatz or None,
        "variables": [str(v) for v in flow.variables],
        "parameters": [str(p) for p in flow.parameters],
        "equations": {
            str(v): _to_text(e) for v, e in zip(flow.variables, flow.equations, strict=True)
        },
        "loss": _to_text(flow.loss),
    }
