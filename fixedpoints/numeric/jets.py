r"""Numbers beyond float64 for the reduced losses: mpmath (``mpf``, N digits), Arb balls
(``flint.arb``, rigorous enclosures) and first-order jets over either (forward-mode automatic
differentiation).

A :class:`Jet` :math:`(v, g)` stands for :math:`v+g^\top\varepsilon` with
:math:`\varepsilon\in\mathbb R^n` infinitesimal (:math:`\varepsilon\varepsilon^\top=0`):
arithmetic propagates exact first derivatives,

.. math::

    (u,g_u)(v,g_v)=(uv,\ u g_v+v g_u),\qquad f(u,g_u)=(f(u),\ f'(u)g_u),

with :math:`\sqrt{\cdot}'=1/(2\sqrt{\cdot})`, :math:`\arccos'(u)=-1/\sqrt{1-u^2}`. Evaluating an
analytic gradient on jets seeded with :math:`g=e_j` gives the exact Hessian (to the precision of
the scalars); over Arb balls the result encloses the Hessian on the whole box the balls describe.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Jet", "as_numbers", "hessian_by_jets", "scalar", "sqrt", "to_digits", "to_float"]


class Jet:
    """First-order jet :math:`(v, g)`: value ``v`` (a scalar) and gradient ``g`` (object
    array of length n)."""

    __slots__ = ("v", "g")

    def __init__(self, v, g):
        self.v = v
        self.g = g

    def _lift(self, o):
        return o if isinstance(o, Jet) else Jet(o, 0 * self.g)

    def __add__(self, o):
        if isinstance(o, Jet):
            return Jet(self.v + o.v, self.g + o.g)
        return Jet(self.v + o, self.g)

    __radd__ = __add__

    def __sub__(self, o):
        if isinstance(o, Jet):
            return Jet(self.v - o.v, self.g - o.g)
        return Jet(self.v - o, self.g)

    def __rsub__(self, o):
        return Jet(o - self.v, -self.g)

    def __neg__(self):
        return Jet(-self.v, -self.g)

    def __pos__(self):
        return self

    def __mul__(self, o):
        if isinstance(o, Jet):
            return Jet(self.v * o.v, self.g * o.v + o.g * self.v)
        return Jet(self.v * o, self.g * o)

    __rmul__ = __mul__

    def __truediv__(self, o):
        if isinstance(o, Jet):
            q = self.v / o.v
            return Jet(q, (self.g - o.g * q) / o.v)
        return Jet(self.v / o, self.g / o)

    def __rtruediv__(self, o):
        q = o / self.v
        return Jet(q, -self.g * (q / self.v))

    def __pow__(self, e):
        if isinstance(e, Jet):  # pragma: no cover - kernels have constant exponents
            raise TypeError("Jet ** Jet is not supported")
        if isinstance(e, int) and e == 2:
            return Jet(self.v * self.v, self.g * (2 * self.v))
        vp = self.v ** (e - 1)
        return Jet(vp * self.v, self.g * (e * vp))

    def sqrt(self):
        s = sqrt(self.v)
        try:
            return Jet(s, self.g / (2 * s))
        except ZeroDivisionError:  # mpmath raises where Arb and NumPy give inf/nan
            return Jet(s, self.g * _nan())

    def acos(self):
        try:
            return Jet(_acos(self.v), -self.g / sqrt(1 - self.v * self.v))
        except ZeroDivisionError:  # at ±1 (collinear vectors): no derivative
            return Jet(_acos(self.v), self.g * _nan())

    def __repr__(self) -> str:
        return f"Jet({self.v!r}, {self.g!r})"

    def _mpmath_(self, prec, rounding):
        """Refuse conversion at once: ``mpf * jet`` then falls to :meth:`__rmul__`. (Without
        this hook mpmath first formats ``repr(jet)`` for its error message, the derivative
        array included, on every mixed operation: a third of the time of an N-digit Hessian.)"""
        raise TypeError("a Jet is not an mpmath number")


def _nan():
    import mpmath

    return mpmath.nan


def sqrt(x):
    """Square root of a scalar (float, mpf, arb, jet) or, element-wise, an object array."""
    if isinstance(x, np.ndarray):
        return np.frompyfunc(sqrt, 1, 1)(x)
    if hasattr(x, "sqrt"):
        return x.sqrt()
    import mpmath

    return mpmath.sqrt(x)


def _acos(x):
    if hasattr(x, "acos"):
        return x.acos()
    import mpmath

    return mpmath.acos(x)


def scalar(backend: str):
    """The scalar constructor of a backend: ``mpmath.mpf`` or ``flint.arb`` (``float`` for
    ``'numpy'``)."""
    if backend == "mpmath":
        import mpmath

        return mpmath.mpf
    if backend == "arb":
        from flint import arb

        return arb
    return float


def as_numbers(x, backend: str) -> np.ndarray:
    """``x`` (floats, or already scalars of the backend) as an object array of backend scalars
    (float64 values convert exactly); a float array for ``'numpy'``."""
    if backend == "numpy":
        return np.asarray(x, dtype=float)
    make = scalar(backend)
    arr = np.asarray(x, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for i, v in np.ndenumerate(arr):
        out[i] = v if isinstance(v, make) else make(float(v) if not isinstance(v, str) else v)
    return out


def to_float(x) -> np.ndarray:
    """Object arrays (mpf, arb midpoints, jets' values) → float64 array."""
    arr = np.asarray(x, dtype=object)
    out = np.empty(arr.shape, dtype=float)
    for i, v in np.ndenumerate(arr):
        v = v.v if isinstance(v, Jet) else v
        out[i] = float(v.mid()) if hasattr(v, "mid") else float(v)
    return out


def to_digits(x, digits: int) -> str:
    """A scalar as text with ``digits`` significant digits (``mpmath.nstr``)."""
    import mpmath

    return mpmath.nstr(mpmath.mpf(x), digits, strip_zeros=False)


def hessian_by_jets(gradient, x) -> np.ndarray:
    r"""The Jacobian of ``gradient`` at ``x`` (object array, length n) by jets seeded with
    :math:`e_j`: row i is the derivative vector of :math:`g_i`. Exact to the scalars' precision;
    over Arb balls, an enclosure over the box."""
    x = np.asarray(x, dtype=object)
    n = x.size
    zero = 0 * x[0]
    jets = np.empty(n, dtype=object)
    for j in range(n):
        g = np.full(n, zero, dtype=object)
        g[j] = zero + 1
        jets[j] = Jet(x[j], g)
    out = gradient(jets)
    H = np.empty((n, n), dtype=object)
    for i in range(n):
        gi = out[i]
        H[i] = gi.g if isinstance(gi, Jet) else np.full(n, zero, dtype=object)
    return H
