r"""Neural correlation function (NCF) of the current residual and its KKT points on the unit sphere.

A dormant neuron :math:`\theta=(\alpha,w)\in\mathbb R^{o+d}` (output weights :math:`\alpha`, input
weights :math:`w`) added to a network with active neurons :math:`(a_j,w_j)` changes the population
loss :math:`\mathcal L=c\,\mathbb E\|f-f^*\|^2` by :math:`-\mathcal N(\theta)+O(\|\theta\|^4)` with

.. math::

    \mathcal N(\alpha,w)=2c\,\alpha^\top g(w),\qquad
    g(w)=\mathbb E[r(x)\,\sigma(w^\top x)]
        =\sum_r b_r K_{\sigma\sigma_*}(\|w\|^2,T_{rr},w^\top v_r)
        -\sum_j a_j K_{\sigma\sigma}(\|w\|^2,\|w_j\|^2,w^\top w_j),

the residual :math:`r=f^*-f` (correlation loss: :math:`c\,\alpha^\top\sum_rb_rK_{\sigma\sigma_*}`).
For a positively 1-homogeneous activation the kernels are 1-homogeneous in :math:`w`, so
:math:`\mathcal N` is 2-homogeneous in :math:`\theta` and :math:`-\nabla\mathcal L=\nabla\mathcal N
+O(\|\theta\|^3)` near the saddle (Kumar & Haupt 2024, §2–3 of ``papers/kumar_haupt_2024_two_homogeneous.md``).

KKT points of :math:`\max\mathcal N(u)` s.t. :math:`\|u\|=1`: the Riemannian gradient
:math:`(I-uu^\top)\nabla\mathcal N(u)` vanishes, the multiplier is :math:`\lambda=2\mathcal N(u)`
(Euler), and they are classified by the Riemannian Hessian
:math:`P(\nabla^2\mathcal N-2\mathcal N I)P` on the tangent space (central differences of the
closed-form gradient; the ReLU kernel is only C¹ at collinear pairs). Every KKT point with
:math:`\mathcal N\neq0` is balanced, :math:`\|\alpha\|=\|w\|=1/\sqrt2`, with value
:math:`c\,\|g(\hat w)\|` (square loss).

References
----------
A. Kumar, J. Haupt, *Directional convergence near small initializations and saddles in
two-homogeneous neural networks*, TMLR 2024 (arXiv 2402.09226).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares, minimize

from fixedpoints.errors import ModelError, out_of_range

__all__ = ["ResidualNCF", "KKTPoint", "kkt_points", "sphere_ascent", "minimize_active"]

_KINDS = ("local max", "saddle", "local min", "degenerate zero set", "degenerate")


class ResidualNCF:
    """The NCF of the residual of a network with active neurons ``(W, a)`` (module docstring).

    Parameters
    ----------
    kernels : PairKernels
        From :func:`fixedpoints.codegen.compile_pair_kernels` (NumPy namespace).
    V : array (m, d)
        Teacher vectors with ``V V^T = T``.
    W : array (k, d), optional
        Active input weights (default: none, the origin).
    a : array (k, o), optional
        Active output weights.

    Raises
    ------
    ModelError
        If the second layer is not trainable or the student activation is not positively
        1-homogeneous (the network must be two-homogeneous).
    """

    def __init__(self, kernels, V, W=None, a=None):
        if kernels.a is not None:
            raise ModelError("the NCF needs a trainable second layer (a two-homogeneous network)")
        if kernels.spherical:
            raise ModelError("the NCF needs free (non-spherical) neurons")
        self.kernels = kernels
        self.V = np.atleast_2d(np.asarray(V, dtype=float))
        self.b = np.asarray(kernels.b, dtype=float)
        self.Td = np.diag(np.asarray(kernels.T, dtype=float))
        self.d, self.o = self.V.shape[1], self.b.shape[1]
        self.W = np.zeros((0, self.d)) if W is None else np.atleast_2d(np.asarray(W, dtype=float))
        self.a = np.zeros((0, self.o)) if a is None else np.atleast_2d(np.asarray(a, dtype=float))
        self.factor = (2.0 if kernels.square else 1.0) * kernels.scale
        _check_homogeneous(kernels)

    @property
    def dim(self) -> int:
        """``o + d``: the dimension of one neuron ``(alpha, w)``."""
        return self.o + self.d

    def _terms(self, w, order):
        """Kernel (order 0) or its partials ∂_A (1), ∂_P (3) against teacher and active neurons."""
        A = float(w @ w)
        out = []
        for K, B, U, wt in (
            (self.kernels.st, self.Td, self.V, self.b),
            (self.kernels.ss, np.sum(self.W**2, axis=1), self.W, -self.a),
        ):
            if U.shape[0] == 0 or (K is self.kernels.ss and not self.kernels.square):
                continue
            P = U @ w
            P = np.clip(P, -np.sqrt(A * B), np.sqrt(A * B))
            with np.errstate(invalid="ignore", divide="ignore"):
                vals = [
                    np.nan_to_num(np.asarray(K(o_, A + 0 * P, B, P), dtype=float)) for o_ in order
                ]
            out.append((vals, U, wt))
        return out

    def profile(self, w) -> np.ndarray:
        """:math:`g(w)=\\mathbb E[r(x)\\sigma(w^\\top x)]`, shape ``(o,)``."""
        w = np.asarray(w, dtype=float)
        if w @ w < 1e-300:
            return np.zeros(self.o)
        g = np.zeros(self.o)
        for (K0,), _, wt in self._terms(w, (0,)):
            g += K0 @ wt
        return g

    def value(self, theta) -> float:
        """:math:`\\mathcal N(\\theta)` at ``theta = (alpha, w)``."""
        theta = np.asarray(theta, dtype=float)
        return float(self.factor * theta[: self.o] @ self.profile(theta[self.o :]))

    def gradient(self, theta) -> np.ndarray:
        """Euclidean gradient :math:`\\nabla\\mathcal N(\\theta)` (0 in ``w`` at ``w = 0``)."""
        theta = np.asarray(theta, dtype=float)
        alpha, w = theta[: self.o], theta[self.o :]
        if w @ w < 1e-300:
            return np.zeros(self.dim)
        g, gw = np.zeros(self.o), np.zeros(self.d)
        for (K0, KA, KP), U, wt in self._terms(w, (0, 1, 3)):
            g += K0 @ wt
            c = wt @ alpha  # (n,): α·b_r or -α·a_j
            gw += 2 * w * float(c @ KA) + (c * KP) @ U
        return self.factor * np.concatenate([g, gw])

    def riemannian_gradient(self, u) -> np.ndarray:
        """:math:`(I-uu^\\top)\\nabla\\mathcal N(u)` for a unit vector ``u``."""
        u = np.asarray(u, dtype=float)
        G = self.gradient(u)
        return G - (G @ u) * u

    def riemannian_hessian(self, u, *, step: float = 1e-6) -> np.ndarray:
        """Riemannian Hessian on an orthonormal basis of the tangent space, ``(dim-1, dim-1)``."""
        u = np.asarray(u, dtype=float)
        n = self.dim
        H = np.empty((n, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = step
            H[:, j] = (self.gradient(u + e) - self.gradient(u - e)) / (2 * step)
        H = (H + H.T) / 2 - 2 * self.value(u) * np.eye(n)
        basis = np.linalg.svd(u[None, :])[2][1:].T  # (n, n-1), orthonormal, ⟂ u
        return basis.T @ H @ basis


def _check_homogeneous(kernels) -> None:
    A, B, P, lam = np.array([1.0, 1.0]), np.array([1.0, 2.0]), np.array([0.3, -0.7]), 3.0
    for K in (kernels.st, kernels.ss):
        with np.errstate(invalid="ignore", divide="ignore"):
            k1 = np.asarray(K(0, A, B, P), dtype=float)
            k2 = np.asarray(K(0, lam**2 * A, B, lam * P), dtype=float)
        if not np.allclose(k2, lam * k1, rtol=1e-9, atol=1e-12):
            raise ModelError(
                "the NCF needs a positively 1-homogeneous activation (relu, leaky relu, linear, "
                "abs) so that the network is two-homogeneous"
            )


@dataclass(frozen=True)
class KKTPoint:
    """A KKT point ``u`` of the NCF on the unit sphere.

    ``value`` = N(u); ``multiplier`` = 2 N(u); ``gradient_norm`` = |Riemannian gradient|;
    ``spectrum``: Riemannian Hessian eigenvalues (ascending); ``kind``: one of ``local max``,
    ``saddle``, ``local min``, ``degenerate zero set``, ``degenerate``; ``count``: how many starts
    converged to it (for a degenerate zero set: how many distinct points of the set were found).
    """

    direction: tuple
    value: float
    multiplier: float
    gradient_norm: float
    spectrum: tuple
    kind: str
    count: int = 1

    def as_dict(self, digits: int = 10) -> dict:
        return {
            "value": round(self.value, digits),
            "multiplier": round(self.multiplier, digits),
            "kind": self.kind,
            "direction": [round(x, digits) for x in self.direction],
            "gradient_norm": float(self.gradient_norm),
            "spectrum": [round(x, digits) for x in self.spectrum],
            "count": self.count,
        }


def sphere_ascent(ncf, u0, *, sign: float = 1.0, gtol: float = 1e-11) -> np.ndarray:
    """Local maximum (``sign=+1``) or minimum (``-1``) of N on the sphere reached from ``u0``:
    L-BFGS on :math:`\\mp\\mathcal N(x/\\|x\\|)` (the sphere flow's ω-limit up to the optimiser's
    path). Stops when the projected gradient is below ``gtol``."""
    x0 = np.asarray(u0, dtype=float)
    x0 = x0 / np.linalg.norm(x0)

    def f(x):
        r = np.linalg.norm(x)
        u = x / r
        G = ncf.gradient(u)
        return -sign * ncf.value(u), -sign * (G - (G @ u) * u) / r

    res = minimize(
        f, x0, jac=True, method="L-BFGS-B", options={"gtol": gtol, "ftol": 0.0, "maxiter": 300}
    )
    return res.x / np.linalg.norm(res.x)


def _root(ncf, u0):
    def F(x):
        u = x / np.linalg.norm(x)
        return ncf.riemannian_gradient(u)

    res = least_squares(F, np.asarray(u0, float), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    return res.x / np.linalg.norm(res.x)


def _classify(value, spectrum, tol) -> str:
    spectrum = np.asarray(spectrum)
    if spectrum.size == 0:
        return "degenerate"
    neg, pos = np.sum(spectrum < -tol), np.sum(spectrum > tol)
    if neg == spectrum.size:
        return "local max"
    if pos == spectrum.size:
        return "local min"
    if neg + pos == spectrum.size:
        return "saddle"
    return "degenerate zero set" if abs(value) <= tol else "degenerate"


def kkt_points(
    ncf,
    *,
    starts: int = 24,
    roots: int = 24,
    seed: int = 0,
    kkt_tol: float = 1e-7,
    value_tol: float = 1e-9,
    hessian_tol: float = 1e-5,
    extra_starts=(),
) -> list[KKTPoint]:
    """KKT points of :math:`\\max\\mathcal N(u)` s.t. :math:`\\|u\\|=1`, classified.

    ``starts`` random unit vectors (seeded) each run a Riemannian ascent and a descent
    (:func:`sphere_ascent`); ``roots`` more start a least-squares root find on the Riemannian
    gradient (saddles). ``extra_starts`` (unit vectors) are added to both. A candidate is kept
    when its Riemannian gradient norm is at most ``kkt_tol``·(1+|∇N|); candidates with
    cosine > 1 − 1e-6 and values within ``value_tol`` are one point. Eigenvalues within
    ``hessian_tol``·(1+max|λ|) of 0 count as zero; all zero-value points with a zero eigenvalue
    are merged into one ``degenerate zero set`` entry.

    Returns
    -------
    list of KKTPoint
        Sorted by decreasing value.
    """
    if int(starts) < 1:
        raise out_of_range("starts", starts, "an integer >= 1")
    rng = np.random.default_rng(seed)
    n = ncf.dim
    X = rng.standard_normal((int(starts) + int(roots), n))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    extra = [np.asarray(e, float) / np.linalg.norm(e) for e in extra_starts]
    cands = []
    for x in [*X[: int(starts)], *extra]:
        cands.append(sphere_ascent(ncf, x, sign=1.0))
        cands.append(sphere_ascent(ncf, x, sign=-1.0))
    for x in [*X[int(starts) :], *extra]:
        cands.append(_root(ncf, x))
    points: list[list] = []  # [u, value, count]
    for u in cands:
        G = ncf.gradient(u)
        if np.linalg.norm(G - (G @ u) * u) > kkt_tol * (1 + np.linalg.norm(G)):
            continue
        v = ncf.value(u)
        for p in points:
            if abs(p[1] - v) <= value_tol * (1 + abs(v)) and p[0] @ u > 1 - 1e-6:
                p[2] += 1
                break
        else:
            points.append([u, v, 1])
    out, zero = [], []
    for u, v, count in points:
        spec = np.linalg.eigvalsh(ncf.riemannian_hessian(u))
        tol = hessian_tol * (1 + np.max(np.abs(spec), initial=0.0))
        kind = _classify(v, spec, tol)
        p = KKTPoint(
            direction=tuple(float(x) for x in u),
            value=float(v),
            multiplier=2 * float(v),
            gradient_norm=float(np.linalg.norm(ncf.riemannian_gradient(u))),
            spectrum=tuple(float(x) for x in spec),
            kind=kind,
            count=count,
        )
        (zero if kind == "degenerate zero set" else out).append(p)
    if zero:
        rep = min(zero, key=lambda p: abs(p.value))
        out.append(KKTPoint(**{**rep.__dict__, "count": len(zero)}))
    out.sort(key=lambda p: (-p.value, p.direction))
    return out


def minimize_active(population, W0, a0, *, gtol: float = 1e-12, maxiter: int = 20000):
    """Cost minimization over the active neurons: L-BFGS on the population loss from
    ``(W0, a0)`` (the current saddle plus the newly activated neurons). Returns ``(W, a, loss)``."""
    W0, a0 = np.asarray(W0, float), np.asarray(a0, float)
    k, d = W0.shape

    def f(x):
        W, a = x[: k * d].reshape(k, d), x[k * d :].reshape(a0.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            gW, ga = population.gradient(W, a)
            L = float(population.loss(W, a))
        return L, np.concatenate([np.ravel(gW), np.ravel(ga)])

    x0 = np.concatenate([W0.ravel(), a0.ravel()])
    res = minimize(
        f, x0, jac=True, method="L-BFGS-B", options={"gtol": gtol, "ftol": 0, "maxiter": maxiter}
    )
    W, a = res.x[: k * d].reshape(k, d), res.x[k * d :].reshape(a0.shape)
    return W, a, float(res.fun)
