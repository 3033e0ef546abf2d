r"""Damped Newton iteration on :math:`\nabla\mathcal L=0` with deflation.

At :math:`x` with tangent basis :math:`B`, gradient :math:`g_B=B^\top g` and Hessian
:math:`H_B=B^\top DgB=U\Lambda U^\top`, the step is the truncated pseudo-inverse Newton step

.. math::

    \eta=-\sum_{|\lambda_i|>\epsilon\max|\lambda|}\frac{u_i^\top g_B}{\lambda_i}\,u_i ,

so that manifolds of critical points (continuous symmetries) converge quadratically in the normal
directions. Deflation (Farrell, Birkisson & Funke, SIAM J. Sci. Comput. 37, 2015) multiplies the
residual by :math:`\mathcal M(x)=\prod_j(\|x-x_j\|^{-p}+\sigma)` for the known solutions
:math:`x_j`; its Newton step is the undeflated one scaled by

.. math::

    \tau=\Big(1-\nabla\log\mathcal M(x)^\top B\eta\Big)^{-1},

so converged solutions repel the iteration. Steps are capped by a trust radius and accepted when
:math:`\|g\|` decreases (backtracking); the iteration never raises, it returns a status.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NewtonResult", "newton"]


@dataclass(frozen=True)
class NewtonResult:
    """Outcome of :func:`newton`: ``x``, gradient norm ``residual``, ``iterations`` and
    ``status`` in {'converged', 'max-iterations', 'stalled', 'diverged', 'nan'}."""

    x: np.ndarray
    residual: float
    iterations: int
    status: str


def _log_deflation(x, known, power: float, shift: float) -> float:
    r""":math:`\log\mathcal M(x)`."""
    out = 0.0
    for xj in known:
        n = float(np.linalg.norm(x - xj))
        out += np.log(n ** (-power) + shift) if n > 0 else np.inf
    return out


def _deflation_gradient(x, known, power: float, shift: float):
    """:math:`\\nabla\\log\\mathcal M(x)` for the deflation operator of the module docstring."""
    grad = np.zeros_like(x)
    for xj in known:
        r = x - xj
        n2 = float(r @ r)
        if n2 == 0:
            continue
        n = np.sqrt(n2)
        f = n ** (-power)
        grad += (-power * f / n2) * r / (f + shift)
    return grad


def newton(
    space,
    x0,
    *,
    tol: float = 1e-10,
    max_iter: int = 60,
    trust: float = 0.5,
    known=(),
    power: float = 2.0,
    shift: float = 1.0,
    rcond: float = 1e-9,
    bound: float = 1e6,
) -> NewtonResult:
    """Find a critical point of ``space`` (a :class:`~fixedpoints.numeric.landscape.Landscape` or
    any object with ``gradient``, ``hessian``, ``tangent_basis``, ``retract``) from ``x0``.

    Parameters
    ----------
    tol : float
        Converged when the gradient norm is below ``tol * max(1, scale)``.
    trust : float
        Largest step (relative to ``max(1, |x|)``).
    known : sequence of arrays
        Solutions to deflate.
    rcond : float
        Relative eigenvalue cut-off of the pseudo-inverse.
    """
    x = space.retract(np.asarray(x0, dtype=float))
    g = space.gradient(x)
    res = float(np.linalg.norm(g))
    known = list(known)

    def merit(y, r):
        # log of the deflated residual norm |g| M(y)
        return np.log(r + 1e-300) + (_log_deflation(y, known, power, shift) if known else 0.0)

    mer = merit(x, res)
    if not np.isfinite(res):
        return NewtonResult(x, res, 0, "nan")
    for it in range(1, max_iter + 1):
        if res <= tol:
            return NewtonResult(x, res, it - 1, "converged")
        B = space.tangent_basis(x)
        H = space.hessian(x, B)
        if not np.all(np.isfinite(H)):
            return NewtonResult(x, res, it, "nan")
        lam, U = np.linalg.eigh(H)
        cut = rcond * max(1.0, float(np.abs(lam).max()))
        keep = np.abs(lam) > cut
        gb = B.T @ g
        eta = -(U[:, keep] @ ((U[:, keep].T @ gb) / lam[keep]))
        step = B @ eta
        if known:
            denom = 1.0 - float(_deflation_gradient(x, known, power, shift) @ step)
            if abs(denom) > 1e-12:
                step = step / denom
        radius = trust * max(1.0, float(np.linalg.norm(x)))
        n = float(np.linalg.norm(step))
        if n > radius:
            step *= radius / n
        t = 1.0
        for _ in range(12):
            xn = space.retract(x + t * step)
            gn = space.gradient(xn)
            rn = float(np.linalg.norm(gn))
            mn = merit(xn, rn)
            if np.isfinite(rn) and mn < mer + np.log(1 - 1e-4 * t):
                break
            t *= 0.5
        else:
            # no decrease of |g| along the Newton direction: take a small step anyway once
            if not np.isfinite(rn):
                return NewtonResult(x, res, it, "nan")
            if rn > 10 * res:
                return NewtonResult(x, res, it, "stalled")
        x, g, res, mer = xn, gn, rn, mn
        if float(np.linalg.norm(x)) > bound:
            return NewtonResult(x, res, it, "diverged")
    status = "converged" if res <= tol else "max-iterations"
    return NewtonResult(x, res, max_iter, status)
