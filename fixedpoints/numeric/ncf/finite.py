r"""The neural correlation function of a finite data set and its KKT points, smooth and at
activation kinks.

For a weight vector :math:`r\in\mathbb R^n` (labels or a residual) on data :math:`X` and one
neuron :math:`\theta=(\alpha,w)`,

.. math::

    \mathcal N_r(\alpha,w)=\alpha\,c_r(w),\qquad c_r(w)=\frac1n\sum_i r_i\,\sigma(w^\top x_i),

with :math:`\sigma` positively 1-homogeneous. On a fixed activation pattern
:math:`A=\{i:w^\top x_i>0\}` it is bilinear, :math:`\mathcal N=\alpha\,g_A^\top w` with
:math:`g_A=\frac1n\sum_ir_i\sigma'(w^\top x_i)x_i`, so a KKT point with :math:`\mathcal N\ne0` is
:math:`(\pm1,\pm g_A/\|g_A\|)/\sqrt2` with value :math:`\|g_A\|/2` when self-consistent, and the
Hessian is :math:`\begin{pmatrix}0&g_A^\top\\g_A&0\end{pmatrix}` (exact). Finite-data ReLU NCFs
often peak *on* an activation boundary: :func:`clarke_ascent` finds those Clarke KKT points.
The loss on such data and the escape it predicts: :mod:`fixedpoints.numeric.dataset`.

References
----------
A. Kumar, J. Haupt, *Directional convergence near small initializations and saddles in
two-homogeneous neural networks*, TMLR 2024 (arXiv 2402.09226).
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.ncf.kkt import SphereFunction, kkt_points, tangent_basis
from fixedpoints.results import KKTPoint

__all__ = [
    "EmpiricalNCF",
    "clarke_ascent",
    "ncf_kkt_points",
    "ncf_maximum",
    "relu",
    "relu_derivative",
]


def relu(z):
    return np.maximum(z, 0.0)


def relu_derivative(z):
    return (z > 0).astype(float)


class EmpiricalNCF(SphereFunction):
    """:math:`\\mathcal N_r(\\alpha,w)=\\alpha\\,\\frac1n\\sum_ir_i\\sigma(w^\\top x_i)` (module
    docstring) for one neuron ``theta = (alpha, w)`` of dimension ``1 + d``.

    Parameters
    ----------
    X : array (n, d)
    r : array (n,)
        Weights: the labels (the digest's NCF) or a residual :math:`-\\partial_f\\ell`.
    sigma, dsigma : callable
        Positively 1-homogeneous activation and its derivative (element-wise, NumPy).
    """

    def __init__(self, X, r, sigma=relu, dsigma=relu_derivative):
        self.X = np.atleast_2d(np.asarray(X, dtype=float))
        self.r = np.asarray(r, dtype=float).reshape(-1)
        if self.r.size != self.X.shape[0]:
            raise out_of_range("r", self.r.size, f"{self.X.shape[0]} weights (one per sample)")
        self.sigma, self.dsigma = sigma, dsigma
        self.n, self.d = self.X.shape

    @property
    def dim(self) -> int:
        """``1 + d``: one neuron ``(alpha, w)``."""
        return 1 + self.d

    def profile(self, w) -> float:
        """:math:`c_r(w)=\\frac1n\\sum_ir_i\\sigma(w^\\top x_i)`."""
        return float(self.r @ self.sigma(self.X @ np.asarray(w, dtype=float)) / self.n)

    def pattern_vector(self, w) -> np.ndarray:
        """:math:`g(w)=\\frac1n\\sum_ir_i\\sigma'(w^\\top x_i)x_i` (``c_r(w) = g(w)·w``)."""
        return (self.r * self.dsigma(self.X @ np.asarray(w, dtype=float))) @ self.X / self.n

    def value(self, theta) -> float:
        theta = np.asarray(theta, dtype=float)
        return float(theta[0] * self.profile(theta[1:]))

    def gradient(self, theta) -> np.ndarray:
        """Euclidean gradient :math:`(c_r(w),\\ \\alpha g(w))`."""
        theta = np.asarray(theta, dtype=float)
        return np.concatenate(
            [[self.profile(theta[1:])], theta[0] * self.pattern_vector(theta[1:])]
        )

    def riemannian_hessian(self, u) -> np.ndarray:
        """Riemannian Hessian :math:`P(\\nabla^2\\mathcal N-2\\mathcal N I)P` on an orthonormal
        basis of the tangent space, ``(d, d)``; :math:`\\nabla^2\\mathcal N` is the exact Hessian on
        the activation pattern of ``w`` (:math:`\\sigma''=0` off the kinks)."""
        u = np.asarray(u, dtype=float)
        g = self.pattern_vector(u[1:])
        H = np.zeros((self.dim, self.dim))
        H[0, 1:] = H[1:, 0] = g
        H -= 2 * self.value(u) * np.eye(self.dim)
        basis = tangent_basis(u)
        return basis.T @ H @ basis


def _slopes(ncf):
    """Clarke interval ``(s_-, s_+)`` of the activation at 0: the slopes at -1 and +1."""
    lo, hi = (float(v) for v in ncf.dsigma(np.array([-1.0, 1.0])))
    return min(lo, hi), max(lo, hi)


def _face(ncf, w, signs, S):
    r"""Face optimum: ``g`` over the non-kink points with their fixed sides, projected off span x_S."""
    s_lo, s_hi = _slopes(ncf)
    slope = np.where(signs > 0, s_hi, s_lo)
    slope[S] = 0.0
    g = (ncf.r * slope) @ ncf.X / ncf.n
    if S.any():
        Q = np.linalg.svd(ncf.X[S], full_matrices=False)[2]
        Q = Q[np.linalg.svd(ncf.X[S], compute_uv=False) > 1e-12 * np.linalg.norm(ncf.X[S])]
        return g, g - Q.T @ (Q @ g)
    return g, g


def clarke_ascent(ncf: EmpiricalNCF, u0, *, tol: float = 1e-9, max_iter: int = 200):
    r"""Active-set ascent of the piecewise-bilinear NCF on the sphere from ``u0`` to a (Clarke) KKT
    point, for a ReLU-like activation (two slopes ``s_-`` < ``s_+`` or one).

    On a face — fixed sides of the samples off the kink set ``S``, :math:`w\perp x_i` for
    :math:`i\in S` — the NCF is :math:`\alpha g^\top w` and its maximum is
    :math:`w\propto\operatorname{sign}(\alpha)Pg` (``P`` projects off span :math:`x_S`). The
    iteration moves along the segment to it, stopping at the first sample whose side changes (added
    to ``S``); at the face optimum it solves the Clarke conditions
    :math:`(I-P)g+\frac1n\sum_{i\in S}\tau_ir_ix_i=0` for the slopes :math:`\tau_i` and releases the
    sample most outside :math:`[s_-,s_+]` to the side where the NCF increases.

    Returns ``(u, kink, tau, residual)``: the unit vector ``(1 + d,)`` with :math:`|\alpha|=\|w\|`,
    the kink set (indices), the Clarke slopes and the residual of their fit (0 for an exact KKT
    point), or ``None`` if the face optimum vanishes.
    """
    u0 = np.asarray(u0, dtype=float)
    s = 1.0 if u0[0] >= 0 else -1.0
    w = u0[1:] / np.linalg.norm(u0[1:])
    s_lo, s_hi = _slopes(ncf)
    z = ncf.X @ w
    scale = np.linalg.norm(ncf.X, axis=1)
    S = np.abs(z) <= tol * scale
    signs = np.where(z > 0, 1.0, -1.0)
    tau, res = np.zeros(0), 0.0
    for _ in range(int(max_iter)):
        g, Pg = _face(ncf, w, signs, S)
        if np.linalg.norm(Pg) <= 1e-14 * (1 + np.linalg.norm(g)):
            return None
        target = s * Pg / np.linalg.norm(Pg)
        zt = ncf.X @ target
        z = ncf.X @ w
        cross = ~S & (signs * zt < 0)
        if cross.any():
            frac = np.full(z.size, np.inf)
            frac[cross] = z[cross] / (z[cross] - zt[cross])
            i = int(np.argmin(frac))
            w = (1 - frac[i]) * w + frac[i] * target
            w /= np.linalg.norm(w)
            S[i] = True
            continue
        w = target
        idx = np.flatnonzero(S)
        if idx.size == 0:
            tau, res = np.zeros(0), 0.0
            break
        M = (ncf.r[idx, None] * ncf.X[idx]).T / ncf.n  # (d, |S|)
        rhs = -(g - Pg)
        tau = np.linalg.lstsq(M, rhs, rcond=None)[0]
        res = float(np.linalg.norm(M @ tau - rhs))
        # ascent rates into the two sides of each kink (module docstring of clarke_ascent)
        up = s * ncf.r[idx] * (s_hi - tau)
        down = s * ncf.r[idx] * (tau - s_lo)
        bad = np.maximum(up, down)
        j = int(np.argmax(bad))
        if bad[j] <= 1e-12 * (1 + np.max(np.abs(ncf.r))):
            break
        S[idx[j]] = False
        signs[idx[j]] = 1.0 if up[j] >= down[j] else -1.0
    u = np.concatenate([[s], w]) / np.sqrt(2)
    return u, np.flatnonzero(S), tau, res


def _face_hessian(ncf, u, kink):
    r"""Riemannian Hessian of the NCF restricted to the face (tangent, :math:`w\perp x_S`)."""
    w = u[1:]
    signs = np.where(ncf.X @ w > 0, 1.0, -1.0)
    S = np.zeros(ncf.n, dtype=bool)
    S[kink] = True
    g, _ = _face(ncf, w, signs, S)
    H = np.zeros((ncf.dim, ncf.dim))
    H[0, 1:] = H[1:, 0] = g
    H -= 2 * ncf.value(u) * np.eye(ncf.dim)
    C = np.vstack([u[None, :], np.hstack([np.zeros((len(kink), 1)), ncf.X[kink]])])
    _, sv, Vt = np.linalg.svd(C)
    rank = int(np.sum(sv > 1e-10 * sv[0]))
    B = Vt[rank:].T
    return B.T @ H @ B


def ncf_kkt_points(ncf: EmpiricalNCF, *, starts: int = 64, seed: int = 0, smooth: bool = True):
    r"""Local maxima of the empirical NCF on the sphere, smooth and at kinks, sorted by value.

    Smooth KKT points come from :func:`fixedpoints.numeric.ncf.kkt_points` (``smooth``; all
    kinds). Finite-data ReLU NCFs often peak *on* an activation boundary (a sample with
    :math:`w^\top x_i=0` and :math:`\alpha r_i<0` makes a concave kink), where the smooth Riemannian
    gradient does not vanish: :func:`clarke_ascent` from ``starts`` random directions (both signs of
    α) finds these Clarke KKT points. A kink point is a ``local max`` when every Clarke slope lies
    strictly inside :math:`(s_-,s_+)` with :math:`\alpha r_i<0` (a sharp maximum across the kinks)
    and the Hessian on the face is negative definite; its ``gradient_norm`` is the residual of the
    Clarke conditions and ``spectrum`` the face Hessian's eigenvalues.
    """
    rng = np.random.default_rng(seed)
    pts = list(kkt_points(ncf, starts=8, roots=4, seed=seed)) if smooth else []
    s_lo, s_hi = _slopes(ncf)
    found: list[list] = []
    for x in rng.standard_normal((int(starts), ncf.dim)):
        for sgn in (1.0, -1.0):
            out = clarke_ascent(ncf, np.concatenate([[sgn], x[1:]]))
            if out is None:
                continue
            u, kink, tau, res = out
            if any(np.asarray(p.direction) @ u > 1 - 1e-9 for p in pts):
                continue  # a smooth point already found by kkt_points
            for p in found:
                if p[0] @ u > 1 - 1e-9:
                    p[4] += 1
                    break
            else:
                found.append([u, kink, tau, res, 1])
    for u, kink, tau, res, count in found:
        spec = np.linalg.eigvalsh(_face_hessian(ncf, u, kink))
        v = ncf.value(u)
        inside = np.all((tau > s_lo + 1e-9) & (tau < s_hi - 1e-9))
        concave = np.all(np.sign(u[0]) * ncf.r[kink] < 0)
        tol = 1e-7 * (1 + np.max(np.abs(spec), initial=0.0))
        sharp = inside and concave and res <= 1e-10 and np.all(spec < -tol)
        pts.append(
            KKTPoint(
                direction=tuple(float(c) for c in u),
                value=float(v),
                multiplier=2 * float(v),
                gradient_norm=float(res),
                spectrum=tuple(float(c) for c in spec),
                kind="local max" if sharp else "degenerate",
                count=count,
            )
        )
    pts.sort(key=lambda p: (-p.value, p.direction))
    return pts


def ncf_maximum(ncf: EmpiricalNCF, *, starts: int = 64, seed: int = 0) -> KKTPoint:
    r"""The largest local maximum (smooth or at a kink) of the empirical NCF on the unit sphere
    (:func:`ncf_kkt_points`); its ``value`` is :math:`\hat{\mathcal N}^*`.

    Raises
    ------
    ValueError
        If no local maximum was found.
    """
    maxima = [p for p in ncf_kkt_points(ncf, starts=starts, seed=seed) if p.kind == "local max"]
    if not maxima:
        raise out_of_range("ncf", "no local maximum found", "an NCF with a strict local maximum")
    return maxima[0]
