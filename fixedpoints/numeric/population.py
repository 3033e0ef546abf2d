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
(correlation loss: only the cross terms, with :math:`-c` instead of :math:`-2c`). An exact ``target``
(:class:`~fixedpoints.numeric.meanfield.SubspaceNormTarget`) replaces the teacher neurons' cross
kernel :math:`\sum_r b_rK_{\sigma\sigma_*}(q_i,T_{rr},M_{ir})` by its own :math:`C(q_i,M_{i\cdot})`
(square loss, one output; ``V`` is then the basis the target reads). Spherical neurons get
the Riemannian gradient :math:`(I-w_iw_i^\top)\nabla_{w_i}\mathcal L`. The same formulas as
:func:`fixedpoints.symbolic.derive`, assembled numerically; the tests check one against the other.
All functions accept leading batch dimensions: ``W`` of shape ``(..., k, d)``.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.backend import array_device as _device

__all__ = ["PopulationLoss"]


class PopulationLoss:
    """Loss and gradient of a model in weight space (see the module docstring).

    Written against the array API: with kernels compiled for a namespace ``xp`` (NumPy by default,
    PyTorch or CuPy for a GPU) every computation stays in that namespace and on ``device``.

    Parameters
    ----------
    kernels : PairKernels
        From :func:`fixedpoints.codegen.compile_pair_kernels` (its ``xp`` is the namespace used).
    V : array (m, d)
        Teacher vectors with ``V V^T = T``.
    device : optional
        Device for the model arrays (e.g. ``"cuda"``); default the namespace's default.
    dtype : optional
        Floating dtype of ``xp`` (default float64).
    target : optional
        An exact target with ``overlap_cross(q, M) -> (C, dC/dq, dC/dM)`` and ``second_moment``
        (NumPy only), in place of the teacher neurons (module docstring).
    """

    def __init__(self, kernels, V, *, device=None, dtype=None, target=None):
        self.kernels = kernels
        self.target = target
        if target is not None and not (kernels.square and kernels.xp is np):
            raise out_of_range(
                "target", type(target).__name__, "a square loss on the NumPy backend"
            )
        xp = self.xp = kernels.xp
        self.dtype = xp.float64 if dtype is None else dtype
        kw = {"device": device} if device is not None else {}

        def to(x):
            return (
                None if x is None else xp.asarray(np.array(x, dtype=float), dtype=self.dtype, **kw)
            )

        self.V = to(V)
        self.T, self.Td = to(kernels.T), to(np.diag(kernels.T))
        self.b, self.a = to(kernels.b), to(kernels.a)
        kt = kernels
        Ktt = self._diag_set(
            kt.tt(0, self.Td[:, None], self.Td[None, :], self.T), kt.tt_self(0, self.Td)
        )
        self.constant = kt.scale * float(xp.sum((self.b @ self.b.T) * Ktt)) if kt.square else 0.0
        if target is not None:
            self.constant = kt.scale * target.second_moment

    def _cross(self, a, args, order):
        r""":math:`(ab^\top)\circ\partial K_{\sigma\sigma_*}` summed over the teacher (order 0:
        values, 1: :math:`\partial_A`), or the target's cross kernel times ``a``."""
        if self.target is None:
            return self.xp.sum((a @ self.b.T) * self.kernels.st(order, *args), axis=-1)
        C, dq, _ = self.target.overlap_cross(args[0][..., 0], args[2])
        return a[..., 0] * (C if order == 0 else dq)

    def _diag_set(self, X, values):
        """``X`` with its last two axes' diagonal replaced by ``values``."""
        eye = self.xp.eye(X.shape[-1], dtype=X.dtype, device=_device(X))
        return X * (1.0 - eye) + values[..., :, None] * eye

    def _parts(self, W, a):
        xp = self.xp
        a = self.a if a is None else a
        Q = W @ xp.matrix_transpose(W)
        M = self._times_teacher(W, self.V.T)
        q = xp.linalg.diagonal(Q)
        return a, Q, M, q, (q[..., :, None], self.Td, M)

    def _times_teacher(self, X, Y):
        """``X @ Y`` for a batch ``X`` (..., k, n) and one matrix ``Y``, as a single 2-D product."""
        xp = self.xp
        if X.ndim == 2:
            return X @ Y
        out = xp.reshape(X, (-1, X.shape[-1])) @ Y
        return xp.reshape(out, (*X.shape[:-1], Y.shape[-1]))

    def _as_array(self, W):
        if self.xp is np:
            return np.asarray(W, dtype=float)
        return W

    def _student_kernel(self, Q, q):
        """K_σσ on all student pairs, the self kernel on the diagonal."""
        kt = self.kernels
        return self._diag_set(kt.ss(0, q[..., :, None], q[..., None, :], Q), kt.ss_self(0, q))

    def loss(self, W, a=None):
        """:math:`\\mathcal L(W, a)`; shape ``W.shape[:-2]``."""
        kt, xp = self.kernels, self.xp
        W = self._as_array(W)
        a = a if a is None else self._as_array(a)
        a, Q, M, q, args = self._parts(W, a)
        cross = xp.sum(self._cross(a, args, 0), axis=-1)
        if not kt.square:
            return -kt.scale * cross
        Kss = self._student_kernel(Q, q)
        aa = a @ xp.matrix_transpose(a)
        return kt.scale * (xp.sum(aa * Kss, axis=(-2, -1)) - 2 * cross) + self.constant

    def gradient(self, W, a=None):
        """``(grad_W, grad_a)``; ``grad_a`` is None for a fixed second layer. Riemannian (tangent)
        for spherical neurons."""
        kt, xp = self.kernels, self.xp
        W = self._as_array(W)
        trainable = a is not None
        a = a if a is None else self._as_array(a)
        a, Q, M, q, args = self._parts(W, a)
        c = kt.scale
        ab = a @ self.b.T
        if self.target is not None:
            Ct, _, dM = self.target.overlap_cross(q, M)
        if kt.square:
            aa = a @ xp.matrix_transpose(a)
            qi, qj = q[..., :, None], q[..., None, :]
            off = 1.0 - xp.eye(Q.shape[-1], dtype=Q.dtype, device=_device(Q))
            S = 2 * c * aa * kt.ss(3, qi, qj, Q) * off
            diag = (
                xp.linalg.diagonal(aa) * kt.ss_self(1, q)
                + 2 * xp.sum(aa * kt.ss(1, qi, qj, Q) * off, axis=-1)
                - 2 * self._cross(a, args, 1)
            )
            S = self._diag_set(S, 2 * c * diag)
            H = -2 * c * (a * dM if self.target is not None else ab * kt.st(3, *args))
        else:
            S = self._diag_set(xp.zeros_like(Q), -2 * c * xp.sum(ab * kt.st(1, *args), axis=-1))
            H = -c * ab * kt.st(3, *args)
        gW = S @ W + self._times_teacher(H, self.V)
        if kt.spherical:
            gW = gW - xp.vecdot(gW, W)[..., None] * W
        if not trainable:
            return gW, None
        if kt.square:
            Kss = self._student_kernel(Q, q)
            Kb = Ct[..., None] if self.target is not None else kt.st(0, *args) @ self.b
            ga = 2 * c * (Kss @ a - Kb)
        else:
            ga = -c * (kt.st(0, *args) @ self.b)
        return gW, ga
