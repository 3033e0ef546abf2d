"""Parameter ranges of the symbolic layer: the declared interval of a free parameter, rational
test values inside it, and membership."""

from __future__ import annotations

import sympy as sp

from fixedpoints.models import Model

__all__ = [
    "Interval",
    "context_text",
    "inside",
    "interval_text",
    "parameter_interval",
    "sample_values",
]

Interval = tuple  # (lo, hi, lo_open, hi_open) with sympy numbers / oo


def parameter_interval(model: Model | None, name: str, given=None) -> Interval:
    """The allowed range of parameter ``name``: ``given`` (lo, hi[, lo_open, hi_open]) if passed,
    else the range the model declares for it (:meth:`Model.range_of`), else the real line."""
    if given is not None:
        # floats as the rationals they print as (0.6 -> 3/5): test values stay exact
        lo, hi = (
            sp.Rational(repr(v))
            if isinstance(v, float) and abs(v) != float("inf")
            else sp.sympify(v)
            for v in given[:2]
        )
        return (lo, hi, len(given) > 2 and bool(given[2]), len(given) > 3 and bool(given[3]))
    lo, hi, lo_open, hi_open = -sp.oo, sp.oo, True, True
    if model is not None:
        lo_t, hi_t, lo_o, hi_o = model.range_of(name)
        try:
            if lo_t is not None:
                lo, lo_open = _bound(lo_t), lo_o
            if hi_t is not None:
                hi, hi_open = _bound(hi_t), hi_o
        except (TypeError, ValueError, sp.SympifyError):
            lo, hi, lo_open, hi_open = -sp.oo, sp.oo, True, True
    return (lo, hi, lo_open, hi_open)


def _bound(text: str) -> sp.Expr:
    value = sp.sympify(text, rational=True)
    if not value.is_number or not value.is_real:
        raise ValueError(text)
    return value


def sample_values(iv: Interval) -> list:
    """Three rational test values strictly inside the interval."""
    lo, hi = iv[0], iv[1]
    if lo.is_finite and hi.is_finite:
        return [
            lo + (hi - lo) * f
            for f in (sp.Rational(2, 13), sp.Rational(5, 11), sp.Rational(10, 13))
        ]
    if lo.is_finite:
        return [lo + f for f in (sp.Rational(1, 3), sp.Rational(1), sp.Rational(3))]
    if hi.is_finite:
        return [hi - f for f in (sp.Rational(1, 3), sp.Rational(1), sp.Rational(3))]
    return [sp.Rational(-1, 3), sp.Rational(1, 3), sp.Rational(2)]


def inside(x: float, iv: Interval, eps: float = 1e-14) -> bool:
    """Whether ``x`` lies in the interval (to ``eps``; open ends exclude their bound)."""
    lo, hi, lo_open, hi_open = iv
    if lo.is_finite:
        lf = float(lo)
        if x < lf - eps or (lo_open and x <= lf + eps):
            return False
    if hi.is_finite:
        hf = float(hi)
        if x > hf + eps or (hi_open and x >= hf - eps):
            return False
    return True


def interval_text(iv: Interval) -> str:
    """``[lo, hi)``-style text."""
    lo, hi, lo_open, hi_open = iv
    return f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"


def context_text(ctx: dict) -> str:
    """``k=3, beta=1/4``-style text of substituted values."""
    return ", ".join(f"{k}={v}" for k, v in ctx.items()) or "the model's values"
