r"""Critical points in a Young fixed space at N digits (mpmath), and their families in d.

Float64 cancels catastrophically in the k = d ReLU loss from d ≈ 10⁵ on: its terms are
:math:`O(d^2)` (:math:`\tfrac{d(d-1)}{4\pi}` from the teachers alone) and the loss is O(1). The
reduced loss of :class:`~fixedpoints.numeric.symmetry.young.YoungIsotropy` has O(r²) terms
whatever d is, so with mpmath kernels it is exact to the working precision at any d; the
Hessian comes from jets (exact), and Newton is :func:`mpmath.findroot` (multidimensional Newton)
on the reduced gradient.

A family is followed in d (:func:`follow_dimension`) by natural-parameter steps in
:math:`t=d^{-1/2}` — the families are analytic in t (Arjevani–Field) — predicting each point
by polynomial extrapolation in t through the last three points and correcting with
:func:`polish`.
"""

from __future__ import annotations

import math

import numpy as np

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.symmetry.blocks import parse_sizes
from fixedpoints.numeric.symmetry.young import YoungIsotropy

__all__ = ["accepted", "follow_dimension", "polish", "precise_isotropy", "working_precision"]


class working_precision:
    """Context manager: ``mpmath.mp.dps = digits + 10`` (guard digits) inside."""

    def __init__(self, digits: int):
        if not (isinstance(digits, int) and 15 <= digits <= 1000):
            raise ParameterError(
                f"`precision` must be an integer number of digits in [15, 1000]; got {digits!r}.",
                parameter="precision",
            )
        self.digits = digits

    def __enter__(self):
        import mpmath

        self._old = mpmath.mp.dps
        mpmath.mp.dps = self.digits + 10
        return self

    def __exit__(self, *exc):
        import mpmath

        mpmath.mp.dps = self._old
        return False


def precise_isotropy(spec, d, kernels) -> YoungIsotropy:
    """The :class:`YoungIsotropy` of ``spec`` at (real or huge) d with mpmath ``kernels``
    (``compile_pair_kernels(..., backend='mpmath')``), with counts (no arrays of size d)."""
    sizes = parse_sizes(spec, d)
    return YoungIsotropy(sizes.template(d, real=True), kernels, counts=sizes.counts(d))


def polish(iso: YoungIsotropy, x, *, max_steps: int = 50):
    r"""Newton (:func:`mpmath.findroot`, Jacobian by jets) on the reduced gradient from ``x``,
    at the working precision.

    Returns
    -------
    (x, residual)
        Coordinates (object array of mpf) and the full-space gradient norm
        :math:`\|\nabla\mathcal L\|_F` there (mpf). When Newton fails (a singular or
        undefined Jacobian, e.g. at collinear rows such as W = I) the start is returned with its
        own residual, which may already be zero (:func:`accepted` decides).
    """
    import mpmath

    n = iso.dimension
    x = iso.numbers(x)

    def start():
        r = iso.full_gradient_norm(x)
        return x, (r if not isinstance(r, mpmath.mpc) and mpmath.isfinite(r) else mpmath.inf)

    def f(*v):
        return list(iso.reduced_gradient(np.array(v, dtype=object)))

    def J(*v):
        H = iso.reduced_hessian(np.array(v, dtype=object))
        return mpmath.matrix(H.tolist())

    tol = mpmath.mpf(10) ** (-2 * (mpmath.mp.dps - 5))
    try:
        root = mpmath.findroot(f, list(x), J=J, tol=tol, maxsteps=max_steps, verify=False)
    except (ZeroDivisionError, ValueError, TypeError):  # singular Jacobian, complex values
        return start()
    xr = np.array([root[i] for i in range(n)] if n > 1 else [root], dtype=object)
    if any(isinstance(v, mpmath.mpc) or not mpmath.isfinite(v) for v in xr):
        return start()
    res = iso.full_gradient_norm(xr)
    return xr, (res if not isinstance(res, mpmath.mpc) else mpmath.inf)


def accepted(x, residual, d) -> bool:
    r"""Whether :func:`polish` converged: the full-space gradient norm is below
    :math:`10^{-(\text{dps}-15)}\max(1,\max|x|)\max(1,d)` (the gradient's terms grow like d)."""
    import mpmath

    scale = max(mpmath.mpf(1), max(abs(v) for v in x))
    return bool(residual < mpmath.mpf(10) ** (-(mpmath.mp.dps - 15)) * scale * max(1, d))


def follow_dimension(spec, kernels, x0, d0: float, d1: float, *, per_decade: int = 8):
    r"""Follow the critical point ``x0`` of Fix(``spec``) at ``d0`` to ``d1`` (working
    precision; ``spec`` written in d, e.g. ``"d-1,1"``).

    Steps are geometric in d (``per_decade`` per decade, at least 4 in all); each point is
    predicted by quadratic extrapolation in :math:`t=d^{-1/2}` and polished (:func:`polish`).

    Returns
    -------
    list of (d, x, residual)
        Every point reached; the list stops early where Newton fails.
    """
    import mpmath

    if not parse_sizes(spec).in_d:
        raise ParameterError(
            f"`isotropy` must be written in d to follow a family in d (e.g. d-1,1); got {spec!r}.",
            parameter="isotropy",
        )
    n = max(4, int(math.ceil(abs(math.log10(d1 / d0)) * per_decade)))
    ds = [d0 * (d1 / d0) ** (i / n) for i in range(n + 1)]
    ds[-1] = d1
    out = []
    ts, xs = [], []
    x = None
    for i, d in enumerate(ds):
        iso = precise_isotropy(spec, d, kernels)
        if i == 0:
            guess = iso.numbers(x0)
        else:
            t = mpmath.mpf(d) ** mpmath.mpf(-0.5)
            guess = _extrapolate(ts[-3:], xs[-3:], t)
        x, res = polish(iso, guess)
        if not accepted(x, res, d):
            break
        out.append((d, x, res))
        ts.append(mpmath.mpf(d) ** mpmath.mpf(-0.5))
        xs.append(x)
    return out


def _extrapolate(ts, xs, t):
    """Lagrange extrapolation through the points (t_i, x_i) (1 to 3 of them) to t."""
    out = xs[-1] * 0
    for i, ti in enumerate(ts):
        w = 1
        for j, tj in enumerate(ts):
            if j != i:
                w = w * (t - tj) / (ti - tj)
        out = out + xs[i] * w
    return out
