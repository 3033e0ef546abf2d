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

import numpy as np

from fixedpoints.errors import ModelError
from fixedpoints.numeric.ncf.kkt import SphereFunction, tangent_basis

__all__ = ["ResidualNCF"]


class ResidualNCF(SphereFunction):
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
        basis = tangent_basis(u)
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
