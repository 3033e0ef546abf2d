r"""Tangency arcs of a critical point inside a Young fixed space.

For a critical point :math:`c` of :math:`\mathcal L`, the tangency set
:math:`\Omega_c=\{W:\nabla\mathcal L(W)=\mu\,(W-c)\}` is the set of critical points of
:math:`\mathcal L` on the spheres :math:`\|W-c\|_F=r`. Its branches leave :math:`c` tangent to Hessian
eigenspaces; along a branch

.. math::

    \frac{d}{dr}\mathcal L(W(r))=\nabla\mathcal L\cdot W'=\mu\,(W-c)\cdot W'=\mu\,r,

so the loss rises while :math:`\mu>0`, and where :math:`\mu` changes sign the arc passes through a
critical point of :math:`\mathcal L` (a loss maximum along the arc: the barrier; then, with
:math:`\mu<0`, down to the next critical point).

Inside Fix(Δ(S_{p_1}×…×S_{p_r})) (coordinates ξ, orbit sizes :math:`n_k`, so
:math:`\|W(\xi)\|_F^2=\sum_kn_k\xi_k^2` and :math:`\nabla\mathcal L=\sum_kg_kE_k/n_k` with
:math:`g=\nabla_\xi\ell`) the condition reads :math:`g=\mu N(\xi-c)`, :math:`N=\mathrm{diag}(n)`:
the critical points of the Lagrangian

.. math::

    \Lambda_r(\xi,\mu)=\ell(\xi)-\tfrac{\mu}{2}\big((\xi-c)^\top N(\xi-c)-r^2\big).

:class:`SphereProblem` is :math:`\Lambda_r` as a landscape, so the one Newton
(:func:`~fixedpoints.numeric.newton.newton_critical`) solves it and the one continuation
(:func:`~fixedpoints.numeric.continuation.continue_branch`, parameter r, pseudo-arclength: folds in r
are passed) follows it. By the principle of symmetric criticality a tangency point of the fixed
space is one of the full space; an arc's isotropy is the subgroup whose fixed space is used (the
arcs of smallest eigenvalue leave along the fixed vectors of the smallest isotypic eigenvalue that
has any in that space).
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.continuation import continue_branch
from fixedpoints.numeric.newton import newton_critical
from fixedpoints.numeric.symmetry.isotypic import reduced_isotypic_spectrum, spectrum_index
from fixedpoints.results import ArcCrossing, Status, TangencyArc

__all__ = ["SphereProblem", "trace_arcs"]


class SphereProblem:
    r""":math:`\Lambda_r(\xi,\mu)` (module docstring) of the fixed space ``iso`` around ``center``:
    the landscape interface of Newton and continuation in the variables :math:`z=(\xi,\mu)`.

    Gradient :math:`(g-\mu Ne,\ -\tfrac12(e^\top Ne-r^2))`, :math:`e=\xi-c`; Hessian
    :math:`\begin{pmatrix}H-\mu N&-Ne\\-(Ne)^\top&0\end{pmatrix}`; ``loss`` is
    :math:`\ell(\xi)` (the loss along the arc)."""

    batched_hessian = False

    def __init__(self, iso, center, r: float):
        self.iso = iso
        self.c = np.asarray(center, dtype=float)
        self.n = np.asarray(iso.orbit_sizes, dtype=float)
        self.r = float(r)

    def gradient(self, z):
        """Batched over leading axes of ``z`` (..., dimension + 1)."""
        z = np.asarray(z, dtype=float)
        xi, mu = z[..., :-1], z[..., -1:]
        e = xi - self.c
        g = self.iso.reduced_gradient(xi) - mu * self.n * e
        q = -(np.sum(self.n * e * e, axis=-1, keepdims=True) - self.r**2) / 2
        return np.concatenate([g, q], axis=-1)

    def hessian(self, z, basis=None):
        z = np.asarray(z, dtype=float)
        xi, mu = z[:-1], z[-1]
        m = xi.size
        H = np.empty((m + 1, m + 1))
        H[:m, :m] = self.iso.reduced_hessian(xi) - mu * np.diag(self.n)
        H[:m, m] = H[m, :m] = -self.n * (xi - self.c)
        H[m, m] = 0.0
        return H

    def tangent_basis(self, z):
        return np.eye(np.asarray(z).size)

    def retract(self, z):
        return np.asarray(z, dtype=float)

    def loss(self, z):
        return float(self.iso.reduced_loss(np.asarray(z, dtype=float)[:-1]))

    def residual_norm(self, z, g=None):
        r"""In Frobenius units: :math:`(\sum_kg_k^2/n_k+g_\mu^2/r^2)^{1/2}`."""
        if g is None:
            g = self.gradient(z)
        g = np.asarray(g, dtype=float)
        return float(np.sqrt(np.sum(g[:-1] ** 2 / self.n) + (g[-1] / max(self.r, 1e-12)) ** 2))


def _directions(iso, c, count):
    """The ``count`` smallest generalized eigenpairs of :math:`(H_c, N)` (directions
    N-normalised: a unit step moves W by 1 in Frobenius norm; the sign makes the largest entry
    positive, so ``sign=+1`` means the same arc on every platform)."""
    from scipy.linalg import eigh

    n = np.asarray(iso.orbit_sizes, dtype=float)
    H = iso.reduced_hessian(c)
    lam, V = eigh(H, np.diag(n))
    out = []
    for i in range(count):
        v = V[:, i] / np.sqrt(V[:, i] @ (n * V[:, i]))
        out.append((float(lam[i]), v * np.sign(v[np.argmax(np.abs(v))])))  # sign: largest > 0
    return out


def _index(iso, x, null_tol):
    items = reduced_isotypic_spectrum(iso, x)
    return spectrum_index(items, null_tol)[0], min((float(v) for v, *_ in items), default=np.nan)


def _crossings(iso, c, loss_c, branch, null_tol, tol):
    """Critical points of ℓ where μ changes sign between consecutive arc points: the point
    interpolated linearly in μ, polished by Newton in the fixed space, classified."""
    n = np.asarray(iso.orbit_sizes, dtype=float)
    out = []
    pts = branch.points
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        ma, mb = a.x[-1], b.x[-1]
        if ma == 0 or np.sign(ma) == np.sign(mb):
            continue
        w = ma / (ma - mb)
        guess = (1 - w) * a.x[:-1] + w * b.x[:-1]
        res = newton_critical(iso, guess, tol=tol)
        if res.status != Status.CONVERGED:
            continue
        x = np.asarray(res.x, dtype=float)
        if any(np.allclose(x, p.x, atol=1e-7) for p in out):
            continue
        index, lam = _index(iso, x, null_tol)
        loss = float(iso.reduced_loss(x))
        out.append(
            ArcCrossing(
                distance=float(np.sqrt((x - c) @ (n * (x - c)))),
                radius=float((1 - w) * a.parameter + w * b.parameter),
                loss=loss,
                barrier=loss - loss_c,
                index=index,
                min_eigenvalue=lam,
                isotropy=iso.isotropy_of(x).label,
                x=x,
            )
        )
    return tuple(out)


def trace_arcs(
    iso,
    center,
    *,
    directions: int = 1,
    r0: float = 0.1,
    r_max: float = 2.5,
    step: float = 0.02,
    max_step: float = 0.05,
    null_tol: float = 1e-7,
    tol: float = 1e-11,
    progress=None,
) -> tuple:
    r"""The tangency arcs of the critical point ``center`` of the fixed space ``iso`` along its
    ``directions`` smallest eigendirections (both signs), from radius ``r0`` to ``r_max``.

    Each arc starts at :math:`\xi=c\pm r_0v` (``v`` a generalized eigenvector of
    :math:`(\nabla^2_\xi\ell,N)`, :math:`\mu=\lambda`), is solved by Newton on
    :class:`SphereProblem` at :math:`r_0` and continued in r; the sign changes of μ are the
    critical points it meets (:class:`~fixedpoints.results.ArcCrossing`: distance, loss, barrier
    :math:`\mathcal L-\mathcal L(c)`, Morse index in the full space from the isotypic spectrum,
    isotropy).

    Parameters
    ----------
    iso : YoungIsotropy
        The arc's fixed space (with kernels, float64).
    center : array
        A critical point in ``iso``'s coordinates.
    directions : int
        Number of eigendirections, ``1 <= directions <= iso.dimension``.
    r0, r_max : float
        ``0 < r0 < r_max``: first and last radius (Frobenius distance from ``center``).
    step, max_step : float
        Arclength steps of the continuation.

    Returns
    -------
    tuple of TangencyArc
        Sorted by direction, then sign (+, −); ``status`` ``reached-end`` or the continuation's
        reason to stop (``step-too-small``, ``max-points``), ``not-found`` when Newton fails at
        ``r0``.

    Raises
    ------
    ParameterError
        Naming ``r0``, ``r_max``, ``directions`` or ``center``.
    """
    if not (np.isfinite(r0) and r0 > 0):
        raise out_of_range("r0", r0, "a finite number > 0")
    if not (np.isfinite(r_max) and r_max > r0):
        raise out_of_range("r_max", r_max, f"a finite number > r0 = {r0}")
    if not (isinstance(directions, int | np.integer) and 1 <= directions <= iso.dimension):
        raise out_of_range("directions", directions, f"an integer in [1, {iso.dimension}]")
    c = np.asarray(center, dtype=float)
    if c.shape != (iso.dimension,) or not np.all(np.isfinite(c)):
        raise out_of_range("center", c.shape, f"{iso.dimension} finite coordinates of {iso.label}")
    residual = float(iso.full_gradient_norm(c))
    if residual > 1e-6:
        raise out_of_range("center", f"|grad L| = {residual:.3g}", "a critical point (<= 1e-6)")
    loss_c = float(iso.reduced_loss(c))
    arcs = []
    for j, (lam, v) in enumerate(_directions(iso, c, int(directions))):
        for sign in (1, -1):
            z0 = np.concatenate([c + sign * r0 * v, [lam]])
            res = newton_critical(SphereProblem(iso, c, r0), z0, tol=tol)
            common = dict(direction=j, sign=sign, eigenvalue=lam, isotropy=iso.label, center=c)
            if res.status != Status.CONVERGED:
                arcs.append(TangencyArc(status=Status.NOT_FOUND, **common))
                continue
            branch = continue_branch(
                lambda r: SphereProblem(iso, c, r),
                res.x,
                r0,
                r_max,
                step=step,
                max_step=max_step,
                null_tol=null_tol,
                progress=progress,
            )
            pts = branch.points
            arcs.append(
                TangencyArc(
                    radius=tuple(p.parameter for p in pts),
                    loss=tuple(p.loss for p in pts),
                    mu=tuple(float(p.x[-1]) for p in pts),
                    crossings=_crossings(iso, c, loss_c, branch, null_tol, tol),
                    status=branch.status,
                    points=np.array([p.x[:-1] for p in pts]),
                    **common,
                )
            )
    return tuple(arcs)
