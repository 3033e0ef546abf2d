r"""Exact population loss and gradient in weight space, vectorised over index pairs and runs.

With :math:`Q=WW^\top`, :math:`M=WV^\top`, :math:`q=\operatorname{diag}Q`, output weights
:math:`a` (k×o), :math:`b` (m×o) and kernels evaluated element-wise on all pairs:

.. math::

    \mathcal L = c\big[\langle aa^\top, K_{\sigma\sigma}\rangle - 2\langle ab^\top, K_{\sigma\sigma_*}\rangle
        + \langle bb^\top, K_{\sigma_*\sigma_*}\rangle\big],\qquad
    \nabla_W\mathcal L = SW + HV,

:math:`S_{ij}=2c\,(aa^\top)_{ij}\partial_PK(q_i,q_j,Q_{ij})` (i ≠ j),
:math:`S_{ii}=2c[(aa^\top)_{ii}K_{\rm self}'(q_i)+2\sum_{j\ne i}(aa^\top)_{ij}\partial_AK-2\sum_r(ab^\top)_{ir}\partial_AK_*]`,
:math:`H=-2c\,ab^\top\circ\partial_PK_*`, :math:`\nabla_a\mathcal L=2c(K_{\sigma\sigma}a-K_{\sigma\sigma_*}b)`
(correlation loss: only the cross terms, with :math:`-c` instead of :math:`-2c`). Spherical neurons get
the Riemannian gradient :math:`(I-w_iw_i^\top)\nabla_{w_i}\mathcal L`. The same formulas as
:func:`fixedpoints.symbolic.derive`, assembled numerically; the tests check one against the other.
All functions accept leading batch dimensions: ``W`` of shape ``(..., k, d)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PopulationLoss"]


def _diag_set(X, values):
    k = X.shape[-1]
    idx = np.arange(k)
    X = X.copy()
    X[..., idx, idx] = values
    return X


class PopulationLoss:
    """Loss and gradient of a model in weight space (see the module docstring).

    Parameters
    ----------
    kernels : PairKernels
        From :func:`fixedpoints.codegen.compile_pair_kernels`.
    V : array (m, d)
        Teacher vectors with ``V V^T = T``.
    """

    def __init__(self, kernels, V):
        self.kernels = kernels
        self.V = np.asarray(V, dtype=float)
        kt = kernels
        Td = np.diag(kt.T)
        Ktt = _diag_set(kt.tt(0, Td[:, None], Td[None, :], kt.T), kt.tt_self(0, Td))
        self.constant = kt.scale * float(np.sum((kt.b @ kt.b.T) * Ktt)) if kt.square else 0.0

    def _parts(self, W, a):
        kt = self.kernels
        a = kt.a if a is None else np.asarray(a, dtype=float)
        Q = W @ np.swapaxes(W, -1, -2)
        M = W @ self.V.T
        q = np.diagonal(Q, axis1=-2, axis2=-1)
        Td = np.diag(kt.T)
        args = (q[..., :, None], Td, M)
        return a, Q, M, q, args

    def _student_kernel(self, Q, q):
        """K_σσ on all student pairs, the self kernel on the diagonal."""
        kt = self.kernels
        return _diag_set(kt.ss(0, q[..., :, None], q[..., None, :], Q), kt.ss_self(0, q))

    def loss(self, W, a=None):
        """:math:`\\mathcal L(W, a)`; shape ``W.shape[:-2]``."""
        kt = self.kernels
        W = np.asarray(W, dtype=float)
        a, Q, M, q, args = self._parts(W, a)
        ab = a @ kt.b.T
        cross = np.sum(ab * kt.st(0, *args), axis=(-1, -2))
        if not kt.square:
            return -kt.scale * cross
        Kss = self._student_kernel(Q, q)
        aa = a @ np.swapaxes(a, -1, -2)
        return kt.scale * (np.sum(aa * Kss, axis=(-1, -2)) - 2 * cross) + self.constant

    def gradient(self, W, a=None):
        """``(grad_W, grad_a)``; ``grad_a`` is None for a fixed second layer. Riemannian (tangent)
        for spherical neurons."""
        kt = self.kernels
        W = np.asarray(W, dtype=float)
        trainable = a is not None
        a, Q, M, q, args = self._parts(W, a)
        c = kt.scale
        ab = a @ kt.b.T
        if kt.square:
            aa = a @ np.swapaxes(a, -1, -2)
            qi, qj = q[..., :, None], q[..., None, :]
            off = 1.0 - np.eye(Q.shape[-1])
            S = 2 * c * aa * kt.ss(3, qi, qj, Q) * off
            diag = (
                np.diagonal(aa, axis1=-2, axis2=-1) * kt.ss_self(1, q)
                + 2 * np.sum(aa * kt.ss(1, qi, qj, Q) * off, axis=-1)
                - 2 * np.sum(ab * kt.st(1, *args), axis=-1)
            )
            S = _diag_set(S, 2 * c * diag)
            H = -2 * c * ab * kt.st(3, *args)
        else:
            S = _diag_set(np.zeros(Q.shape), -2 * c * np.sum(ab * kt.st(1, *args), axis=-1))
            H = -c * ab * kt.st(3, *args)
        gW = S @ W + H @ self.V
        if kt.spherical:
            gW = gW - np.sum(gW * W, axis=-1, keepdims=True) * W
        if not trainable:
            return gW, None
        Kst = kt.st(0, *args)
        if kt.square:
            Kss = self._student_kernel(Q, q)
            ga = 2 * c * (Kss @ a - Kst @ kt.b)
        else:
            ga = -c * (Kst @ kt.b)
        return gW, ga
