r"""Two-layer homogeneous networks on a fixed finite data set: square and logistic loss, the
empirical NCF and its KKT points, and escape from a small initialization.

Network and losses
------------------
Data :math:`X\in\mathbb R^{n\times d}` (rows :math:`x_i`), labels :math:`y\in\mathbb R^n`
(:math:`\pm1` for the logistic loss). A network of :math:`k` neurons
:math:`\theta_j=(a_j,w_j)\in\mathbb R^{1+d}` computes

.. math::

    f(x)=\sum_{j=1}^k a_j\,\sigma(w_j^\top x),

with :math:`\sigma` positively 1-homogeneous (ReLU by default, :math:`\sigma'(0)=0`), so :math:`f` is
two-homogeneous in :math:`\theta`. The losses are means over the data,

.. math::

    L_{\rm sq}=\frac1{2n}\sum_i(f(x_i)-y_i)^2,\qquad
    L_{\rm log}=\frac1n\sum_i\ln\big(1+e^{-y_if(x_i)}\big),

the tool convention of ``papers/kumar_haupt_2024_two_homogeneous.md`` §1. With the *residual*
:math:`r_i=-\partial_f\ell(f(x_i),y_i)` (:math:`y_i-f_i` for the square loss,
:math:`y_i/(1+e^{y_if_i})` for the logistic loss) the exact gradients are

.. math::

    \nabla_{a_j}L=-\tfrac1n\textstyle\sum_i r_i\,\sigma(w_j^\top x_i),\qquad
    \nabla_{w_j}L=-\tfrac1n\textstyle\sum_i r_i\,a_j\,\sigma'(w_j^\top x_i)\,x_i .

Empirical NCF
-------------
For a weight vector :math:`r\in\mathbb R^n` and one neuron :math:`\theta=(\alpha,w)`,

.. math::

    \mathcal N_r(\alpha,w)=\alpha\,c_r(w),\qquad c_r(w)=\frac1n\sum_i r_i\,\sigma(w^\top x_i).

Since :math:`\nabla L=-\nabla_\theta\sum_j\mathcal N_{r(f)}(\theta_j)` exactly, near a point where
:math:`f` barely changes :math:`-\nabla L=\nabla\mathcal N_{r}+O(\|\theta\|^3)` with :math:`r` the
residual there. At the origin :math:`r=c_\ell\,y` with :math:`c_\ell=-\partial_f\ell(0,y)/y=1`
(square) and :math:`\tfrac12` (logistic): the NCF gradient carries a factor ½ for the logistic loss.

**Convention** (the digest's): *the* NCF of the data is :math:`\mathcal N=\mathcal N_y`, the label
correlation :math:`\frac1n y^\top\mathcal H(X;\theta)` (:meth:`EmpiricalLoss.ncf`), and
:math:`\hat{\mathcal N}^*` is its maximum on the unit sphere :math:`\alpha^2+\|w\|^2=1`. The norm of a
neuron aligned with the maximiser grows like :math:`\exp(2c_\ell\hat{\mathcal N}^*t)`, so

.. math::

    t_{\rm esc}=\frac{\ln(1/\delta)}{2c_\ell\hat{\mathcal N}^*}+O(1)
    =\begin{cases}\ln(1/\delta)/(2\hat{\mathcal N}^*)&\text{square}\\
    \ln(1/\delta)/\hat{\mathcal N}^*&\text{logistic}\end{cases}

(:func:`escape_slope`). :meth:`EmpiricalLoss.residual_ncf` gives :math:`\mathcal N_{r(f)}` at any
network (at the origin :math:`c_\ell\mathcal N_y`), e.g. the residual NCF at a square-loss saddle.
The logistic loss has no saddle-to-saddle regime: after the escape the loss decreases only as the
norm grows without bound.

The NCF objects expose ``dim``, ``value``, ``gradient``, ``riemannian_gradient`` and
``riemannian_hessian``, so :func:`fixedpoints.numeric.ncf.kkt_points` finds and classifies their
KKT points; :func:`ncf_maximum` adds the exact activation-pattern fixed points as extra starts. On a
fixed activation pattern :math:`A=\{i:w^\top x_i>0\}` the NCF is bilinear,
:math:`\mathcal N=\alpha\,g_A^\top w` with :math:`g_A=\frac1n\sum_ir_i\sigma'(w^\top x_i)x_i`, so a KKT
point with :math:`\mathcal N\ne0` is :math:`(\pm1,\pm g_A/\|g_A\|)/\sqrt2` with value
:math:`\|g_A\|/2`, valid when self-consistent (digest §2), and the Hessian is
:math:`\begin{pmatrix}0&g_A^\top\\g_A&0\end{pmatrix}` (exact, ``riemannian_hessian``).

Escape from a small initialization
----------------------------------
:func:`simulate_escape` integrates gradient flow (classical RK4 with a fixed step, or gradient
descent, through the one ODE engine :func:`fixedpoints.numeric.ode.solve`) from :math:`\delta\,\theta_0` with :math:`\|\theta_0\|=1` for several δ at once (one run per
δ, same :math:`\theta_0`). The **escape time** is the first time the total norm
:math:`\|\theta\|=(\|W\|_F^2+\|a\|^2)^{1/2}` reaches a fixed ``threshold`` (log-linear
interpolation between steps). In the NCF regime :math:`\ln\|\theta(t)\|=\ln\delta+2c_\ell
\hat{\mathcal N}^*t+O(1)` and after it the trajectory follows a δ-independent path shifted in time,
so a δ-independent threshold only changes the O(1) intercept, not the slope against
:math:`\ln(1/\delta)`. The direction is read off at the escape and at *mid-plateau*, when
:math:`\|\theta\|` first reaches :math:`\sqrt{\delta\cdot\text{threshold}}`: there the weights are
still :math:`O(\sqrt\delta)`, so the largest neuron's direction tends to the NCF maximiser as
δ → 0 (at the fixed escape threshold it tends to a δ-independent limit close to, not equal to, it).

References
----------
A. Kumar, J. Haupt, *Directional convergence near small initializations and saddles in
two-homogeneous neural networks*, TMLR 2024 (arXiv 2402.09226).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.ncf import KKTPoint, kkt_points
from fixedpoints.numeric.ode import EULER, RK4, FixedStep, solve
from fixedpoints.results import Status

__all__ = [
    "LOSSES",
    "EmpiricalLoss",
    "EmpiricalNCF",
    "EscapeResult",
    "escape_slope",
    "fit_escape_slope",
    "initial_weights",
    "ncf_maximum",
    "clarke_ascent",
    "ncf_kkt_points",
    "simulate_escape",
    "train",
]

LOSSES = ("square", "logistic")
NCF_FACTOR = {"square": 1.0, "logistic": 0.5}  # c_l = -l'(0, y) / y


def relu(z):
    return np.maximum(z, 0.0)


def relu_derivative(z):
    return (z > 0).astype(float)


class EmpiricalNCF:
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

    def riemannian_gradient(self, u) -> np.ndarray:
        """:math:`(I-uu^\\top)\\nabla\\mathcal N(u)`."""
        u = np.asarray(u, dtype=float)
        G = self.gradient(u)
        return G - (G @ u) * u

    def riemannian_hessian(self, u) -> np.ndarray:
        """Riemannian Hessian :math:`P(\\nabla^2\\mathcal N-2\\mathcal N I)P` on an orthonormal
        basis of the tangent space, ``(d, d)``; :math:`\\nabla^2\\mathcal N` is the exact Hessian on
        the activation pattern of ``w`` (:math:`\\sigma''=0` off the kinks)."""
        u = np.asarray(u, dtype=float)
        g = self.pattern_vector(u[1:])
        H = np.zeros((self.dim, self.dim))
        H[0, 1:] = H[1:, 0] = g
        H -= 2 * self.value(u) * np.eye(self.dim)
        basis = np.linalg.svd(u[None, :])[2][1:].T
        return basis.T @ H @ basis


class EmpiricalLoss:
    """Square or logistic loss of ``f(x) = sum_j a_j sigma(w_j . x)`` on a fixed data set, batched
    over runs (module docstring).

    Parameters
    ----------
    X : array (n, d)
    y : array (n,)
        Labels (±1 for ``logistic``).
    loss : {'square', 'logistic'}
    sigma, dsigma : callable
        Positively 1-homogeneous activation and its derivative (ReLU default).
    """

    def __init__(self, X, y, loss: str = "logistic", sigma=relu, dsigma=relu_derivative):
        if loss not in LOSSES:
            raise out_of_range("loss", loss, "one of " + ", ".join(LOSSES))
        self.X = np.atleast_2d(np.asarray(X, dtype=float))
        self.y = np.asarray(y, dtype=float).reshape(-1)
        if self.y.size != self.X.shape[0]:
            raise out_of_range("y", self.y.size, f"{self.X.shape[0]} labels (one per row of X)")
        if loss == "logistic" and not np.all(np.abs(self.y) == 1):
            raise out_of_range("y", "non ±1 labels", "labels in {-1, +1} for the logistic loss")
        self.kind = loss
        self.sigma, self.dsigma = sigma, dsigma
        self.n, self.d = self.X.shape
        self.ncf_factor = NCF_FACTOR[loss]

    def output(self, W, a) -> np.ndarray:
        """``f(x_i)`` for ``W (..., k, d)``, ``a (..., k)``: shape ``(..., n)``."""
        return np.einsum("...k,...kn->...n", a, self.sigma(W @ self.X.T))

    def _loss_and_residual(self, f):
        y = self.y
        if self.kind == "square":
            return 0.5 * np.mean((f - y) ** 2, axis=-1), y - f
        m = -y * f
        return np.mean(np.logaddexp(0.0, m), axis=-1), y * np.exp(m - np.logaddexp(0.0, m))

    def loss(self, W, a) -> np.ndarray:
        """Mean loss per run, shape ``(...)``."""
        return self._loss_and_residual(self.output(W, a))[0]

    def residual(self, W, a) -> np.ndarray:
        """:math:`r_i=-\\partial_f\\ell(f(x_i),y_i)`, shape ``(..., n)``."""
        return self._loss_and_residual(self.output(W, a))[1]

    def gradient(self, W, a):
        """Exact ``(grad_W (..., k, d), grad_a (..., k))`` of the mean loss."""
        W, a = np.asarray(W, dtype=float), np.asarray(a, dtype=float)
        lam = W @ self.X.T  # (..., k, n)
        S = self.sigma(lam)
        _, r = self._loss_and_residual(np.einsum("...k,...kn->...n", a, S))
        ga = -np.einsum("...kn,...n->...k", S, r) / self.n
        gW = -((a[..., None] * self.dsigma(lam) * r[..., None, :]) @ self.X) / self.n
        return gW, ga

    def ncf(self) -> EmpiricalNCF:
        """The data's NCF :math:`\\mathcal N_y` (labels; the digest's convention)."""
        return EmpiricalNCF(self.X, self.y, self.sigma, self.dsigma)

    def residual_ncf(self, W=None, a=None) -> EmpiricalNCF:
        """:math:`\\mathcal N_{r(f)}` at the network ``(W (k, d), a (k,))`` (default: the origin,
        where it is :math:`c_\\ell\\mathcal N_y`): :math:`-\\nabla L=\\nabla\\mathcal N_r+O(\\|\\theta\\|^3)`
        for a small added neuron."""
        if W is None:
            r = self.ncf_factor * self.y
        else:
            r = self.residual(np.asarray(W, dtype=float), np.asarray(a, dtype=float))
        return EmpiricalNCF(self.X, r, self.sigma, self.dsigma)


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


def escape_slope(ncf_max: float, loss: str) -> float:
    """Predicted :math:`dt_{\\rm esc}/d\\ln(1/\\delta)=1/(2c_\\ell\\hat{\\mathcal N}^*)`:
    ``1/(2 N*)`` (square), ``1/N*`` (logistic), with ``N*`` the maximum of the label NCF."""
    if loss not in LOSSES:
        raise out_of_range("loss", loss, "one of " + ", ".join(LOSSES))
    if not ncf_max > 0:
        raise out_of_range("ncf_max", ncf_max, "> 0 (no escape otherwise)")
    return 1.0 / (2.0 * NCF_FACTOR[loss] * ncf_max)


def fit_escape_slope(deltas, times):
    """Least-squares line ``times = slope · ln(1/δ) + intercept``; returns ``(slope, intercept)``."""
    x = np.log(1.0 / np.asarray(deltas, dtype=float))
    slope, intercept = np.polyfit(x, np.asarray(times, dtype=float), 1)
    return float(slope), float(intercept)


def initial_weights(k: int, d: int, *, seed: int = 0, balanced: bool = True):
    """Initial direction :math:`\\theta_0=(W_0,a_0)` with :math:`\\|W_0\\|_F^2+\\|a_0\\|^2=1`:
    Gaussian :math:`w_j`; ``balanced``: :math:`a_j=\\pm\\|w_j\\|` (random signs, so
    :math:`a_j^2-\\|w_j\\|^2=0` is conserved by the flow), else Gaussian :math:`a_j`.
    Returns ``(W0 (k, d), a0 (k,))``."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((int(k), int(d)))
    if balanced:
        a = rng.choice([-1.0, 1.0], size=int(k)) * np.linalg.norm(W, axis=1)
    else:
        a = rng.standard_normal(int(k))
    s = np.sqrt(np.sum(W**2) + np.sum(a**2))
    return W / s, a / s


@dataclass(frozen=True)
class EscapeResult:
    """Result of :func:`simulate_escape` (one entry per δ).

    ``times``: escape times (NaN if not reached by ``t_max``); ``mid_times``: times at which
    :math:`\\|\\theta\\|=\\sqrt{\\delta\\cdot\\text{threshold}}`; ``directions`` / ``mid_directions``
    ``(runs, 1 + d)``: the unit vector :math:`(a_j,w_j)/\\|(a_j,w_j)\\|` of the largest neuron then;
    ``neurons``: its index at the escape; ``W``, ``a``: final weights; ``history_times``,
    ``history_norms`` ``(runs, records)``: :math:`\\|\\theta\\|` along the run.
    """

    deltas: np.ndarray
    times: np.ndarray
    mid_times: np.ndarray
    directions: np.ndarray
    mid_directions: np.ndarray
    neurons: np.ndarray
    W: np.ndarray
    a: np.ndarray
    history_times: np.ndarray
    history_norms: np.ndarray
    threshold: float

    def cosines(self, u, *, mid: bool = True) -> np.ndarray:
        """Cosine of the (mid-plateau or escape) direction with the unit vector ``u``."""
        D = self.mid_directions if mid else self.directions
        u = np.asarray(u, dtype=float)
        return D @ u / np.linalg.norm(u)


def _descent(loss):
    """:math:`-\nabla L` of ``loss`` as a field on states ``(W, a)``."""

    def field(y):
        gW, ga = loss.gradient(*y)
        return (-gW, -ga)

    return field


def _method(method: str, step: float):
    """``(tableau, controller)`` of ``flow`` (classical RK4, fixed step) or ``gd`` (Euler with
    step = learning rate)."""
    if method not in ("flow", "gd"):
        raise out_of_range("method", method, "'flow' or 'gd'")
    if not step > 0:
        raise out_of_range("step", step, "> 0")
    return (RK4 if method == "flow" else EULER), FixedStep(float(step))


def _top_direction(W, a):
    th = np.concatenate([a[..., None], W], axis=-1)  # (runs, k, 1+d)
    nrm = np.linalg.norm(th, axis=-1)
    j = np.argmax(nrm, axis=-1)
    rows = np.arange(W.shape[0])
    return th[rows, j] / nrm[rows, j][:, None], j


def train(loss: EmpiricalLoss, W, a, t_end: float, *, step: float = 0.05, method: str = "flow"):
    """Integrate from ``(W (runs, k, d), a (runs, k))`` to time ``t_end``: ``ceil(t_end/step)``
    steps of the classical RK4 (``flow``) or of gradient descent with learning rate ``step``
    (``gd``), through :func:`fixedpoints.numeric.ode.solve`. Returns ``(W, a)``."""
    tableau, control = _method(method, step)
    W, a = np.array(W, dtype=float), np.array(a, dtype=float)
    n = int(np.ceil(t_end / step - 1e-9))
    if n <= 0:
        return W, a
    batch = W.ndim == 3
    y0 = (W if batch else W[None], a if batch else a[None])
    count = [0]

    def stop(t, y, f, ids):
        count[0] += 1
        return np.full(ids.size, count[0] > n)

    sol = solve(_descent(loss), y0, np.inf, tableau=tableau, control=control, stop=stop)
    W, a = sol.states
    return (W, a) if batch else (W[0], a[0])


def simulate_escape(
    loss: EmpiricalLoss,
    W0,
    a0,
    deltas,
    *,
    threshold: float = 0.5,
    step: float = 0.05,
    method: str = "flow",
    t_max: float = 1e3,
    t_after: float = 0.0,
    records: int = 200,
) -> EscapeResult:
    """Escape of the origin from :math:`\\delta\\,\\theta_0` for every δ in ``deltas`` (one batched
    run each; module docstring for the escape and mid-plateau definitions).

    Parameters
    ----------
    loss : EmpiricalLoss
    W0, a0 : array (k, d), (k,)
        Initial direction, :math:`\\|W_0\\|_F^2+\\|a_0\\|^2=1` (:func:`initial_weights`).
    deltas : sequence of float
        Scales, each < ``threshold``.
    threshold : float
        Escape when :math:`\\|\\theta\\|` reaches it (δ-independent).
    step : float
        RK4 step (``flow``) or learning rate (``gd``; time = step · steps).
    t_max : float
        Give up (time NaN) after this time.
    t_after : float
        Keep integrating all runs this long after the last escape (norm history, e.g. to see the
        logistic norm grow without bound).
    records : int
        Number of norm-history records (evenly spaced steps).
    """
    tableau, control = _method(method, step)
    deltas = np.asarray(deltas, dtype=float).reshape(-1)
    if not np.all((deltas > 0) & (deltas < threshold)):
        raise out_of_range("deltas", deltas.tolist(), f"values in (0, threshold={threshold})")
    W0, a0 = np.asarray(W0, dtype=float), np.asarray(a0, dtype=float)
    s0 = np.sqrt(np.sum(W0**2) + np.sum(a0**2))
    W = deltas[:, None, None] * W0[None] / s0
    a = deltas[:, None] * a0[None] / s0
    runs, dim = deltas.size, 1 + W0.shape[1]
    mid_level = np.log(np.sqrt(deltas * threshold))
    log_thr = np.log(threshold)
    times, mid_times = np.full(runs, np.nan), np.full(runs, np.nan)
    directions, mid_directions = np.full((runs, dim), np.nan), np.full((runs, dim), np.nan)
    neurons = np.full(runs, -1)
    hist_t, hist_n = [], []
    max_steps = int(np.ceil(t_max / step))
    every = max(1, int(max_steps // max(records, 1)))
    state = {"n": 0, "lognorm": np.log(deltas), "t_stop": None}

    def observe(t, y, f, ids):
        """Norm history, log-linear location of the mid-plateau and escape crossings, and the
        common stop (every run escaped, plus ``t_after``; or ``t_max``; or a non-finite norm)."""
        Wt, at = y
        tt, n = float(t[0]), state["n"]
        lognorm = state["lognorm"]
        if n > 0:
            new = 0.5 * np.log(np.sum(Wt**2, axis=(-2, -1)) + np.sum(at**2, axis=-1))
            rise = np.where(new > lognorm, new - lognorm, 1.0)
            hit = np.isnan(mid_times) & (new >= mid_level)
            if hit.any():
                mid_times[hit] = (tt - step + step * (mid_level - lognorm) / rise)[hit]
                mid_directions[hit] = _top_direction(Wt, at)[0][hit]
            hit = np.isnan(times) & (new >= log_thr)
            if hit.any():
                times[hit] = (tt - step + step * (log_thr - lognorm) / rise)[hit]
                D, j = _top_direction(Wt, at)
                directions[hit], neurons[hit] = D[hit], j[hit]
            state["lognorm"] = lognorm = new
            if state["t_stop"] is None and not np.isnan(times).any():
                state["t_stop"] = tt + t_after
            end = (
                (state["t_stop"] is not None and tt >= state["t_stop"] - 1e-12)
                or not np.all(np.isfinite(new))
                or n >= max_steps
            )
            if end:
                hist_t.append(tt)
                hist_n.append(np.exp(lognorm))
                return np.full(ids.size, Status.STOPPED)
        if n % every == 0:
            hist_t.append(tt)
            hist_n.append(np.exp(lognorm))
        state["n"] = n + 1
        return np.full(ids.size, None)

    sol = solve(_descent(loss), (W, a), np.inf, tableau=tableau, control=control, stop=observe)
    W, a = sol.states
    return EscapeResult(
        deltas=deltas,
        times=times,
        mid_times=mid_times,
        directions=directions,
        mid_directions=mid_directions,
        neurons=neurons,
        W=W,
        a=a,
        history_times=np.asarray(hist_t),
        history_norms=np.asarray(hist_n).T,
        threshold=float(threshold),
    )
