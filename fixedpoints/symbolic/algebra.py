"""Small exact helpers of the symbolic layer: 30-digit evaluation, rationalisation, polynomial
views and tidy forms of SymPy expressions."""

from __future__ import annotations

import sympy as sp

__all__ = ["DIGITS", "nested_radicals", "number", "polynomial", "rationalize", "tidy"]

DIGITS = 30


def number(expr, subs: dict) -> complex | None:
    """Value of ``expr`` at ``subs`` with 30 digits, or None when it is not a finite number."""
    try:
        v = sp.sympify(expr).xreplace(subs).evalf(DIGITS)
        z = complex(v)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if z != z or abs(z) == float("inf"):
        return None
    return z


def rationalize(expr):
    """``expr`` with its floats replaced by the rationals they print as."""
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    return expr.xreplace({f: sp.nsimplify(f, rational=True) for f in floats})


def nested_radicals(expr) -> bool:
    """Whether ``expr`` has a radical inside a radical."""
    for p in expr.atoms(sp.Pow):
        if not p.exp.is_Integer and any(
            not q.exp.is_Integer for q in p.base.atoms(sp.Pow) if q is not p
        ):
            return True
    return False


def polynomial(expr, gens) -> sp.Poly | None:
    """``expr`` as an exact polynomial in ``gens``, or None."""
    try:
        p = sp.Poly(expr, *gens)
    except (sp.PolynomialError, sp.GeneratorsNeeded, sp.CoercionFailed):
        return None
    if p.domain == sp.EX or (p.domain.is_Numerical and not p.domain.is_Exact):
        return None
    return p


def tidy(expr):
    """A short canonical form: ``simplify`` with radicals, ``factor(cancel(.))`` without."""
    expr = sp.sympify(expr)
    if sp.count_ops(expr) > 300:
        return expr
    try:
        radical = any(not p.exp.is_Integer for p in expr.atoms(sp.Pow))
        return sp.simplify(expr) if radical else sp.factor(sp.cancel(expr))
    except (TypeError, ValueError, NotImplementedError, RecursionError):  # pragma: no cover
        return expr
