r"""Exact weight-space Hessian of the population loss, by the chain rule through the pair kernels.

Write the loss of :class:`~fixedpoints.numeric.population.PopulationLoss` as a sum over pairs of
the rows :math:`x_n` of :math:`X=[W;V]` (students :math:`w_i=x_i`, then teachers :math:`v_r`):

.. math::

    \mathcal L=\tfrac12\sum_{i\ne j}C_{ij}K(q_i,q_j,P_{ij})+\tfrac12\sum_id_iK_{\rm self}(q_i)
        +\sum_{i,r}C_{i,k+r}K_*(q_i,T_{rr},M_{ir})+\text{const},

with :math:`P=WX^\top=[Q\mid M]`, :math:`q_i=\|w_i\|^2`, :math:`C=f[aa^\top\circ(1-I)\mid-ab^\top]`,
:math:`d_i=f(aa^\top)_{ii}` (:math:`f=2c` for the square loss; the correlation loss has
:math:`f=c` and no student terms). The gradient is :math:`g_i=D_iw_i+\sum_{n\ne i}C_{in}
\partial_PK_{in}\,x_n` with :math:`D_i=2\sum_nC_{in}\partial_AK_{in}+d_iK_{\rm self}'(q_i)`, and
its derivative is, with all kernel derivatives at :math:`(q_i,B_n,P_{in})`,

.. math::

    \frac{\partial g_i}{\partial w_i}&=D_iI+\alpha_iw_iw_i^\top+2(w_iu_i^\top+u_iw_i^\top)
        +\sum_nC_{in}\partial_P^2K_{in}\,x_nx_n^\top,\\
    \alpha_i&=4\sum_nC_{in}\partial_A^2K_{in}+2d_iK_{\rm self}''(q_i),\qquad
    u_i=\sum_nC_{in}\partial_A\partial_PK_{in}\,x_n,\\
    \frac{\partial g_i}{\partial w_j}&=C_{ij}\big[\partial_PK\,I+4\partial_A\partial_BK\,w_iw_j^\top
        +2\partial_A\partial_PK\,w_iw_i^\top+2\partial_B\partial_PK\,w_jw_j^\top
        +\partial_P^2K\,w_jw_i^\top\big]_{ij}\quad(i\ne j).

A trainable second layer :math:`a` (k×o) adds, with :math:`E=[a;-b]`, :math:`\tilde K` the student
kernel matrix with the self kernel on its diagonal and :math:`\partial\tilde K` the first
derivatives with the student diagonal removed,

.. math::

    \frac{\partial^2\mathcal L}{\partial a_{io}\partial a_{jo'}}=f\tilde K_{ij}\delta_{oo'}
        \ \text{(square loss; 0 for the correlation loss)},\\
    \frac{\partial g_i}{\partial a_{io}}=f\Big[2\big((\partial_A\tilde KE)_{io}
        +a_{io}K_{\rm self}'(q_i)\big)w_i+\sum_n(\partial_P\tilde K)_{in}E_{no}x_n\Big],\qquad
    \frac{\partial g_i}{\partial a_{jo}}=fa_{io}\big[2\partial_AK_{ij}w_i+\partial_PK_{ij}w_j\big]
        \ (i\ne j).

Spherical neurons: the Riemannian Hessian is :math:`B^\top\tilde HB` for a tangent basis
:math:`B` with :math:`\tilde H=\nabla^2\mathcal L-\operatorname{diag}_i\big(\langle g_i,w_i\rangle
I_d\big)` (the derivative of the projected gradient :math:`(I-w_iw_i^\top)g_i`, whose other terms
vanish on tangent vectors; Absil, Mahony & Sepulchre 2008, §5.5), which :func:`weight_hessian`
returns.

At collinear ReLU pairs (:math:`P^2=AB`) the second derivatives of the kernel diverge like
:math:`(AB-P^2)^{-1/2}` while the weight combinations they multiply vanish like :math:`AB-P^2`
(the loss is :math:`C^2` with a :math:`|\theta|^3` term); the generated kernels floor the Gram
determinant at :math:`10^{-16}AB` (:mod:`fixedpoints.codegen.kernelcode`), which leaves an error
:math:`O(10^{-8})` relative there and none elsewhere.
"""

from __future__ import annotations

import numpy as np

__all__ = ["has_exact_hessian", "weight_hessian"]


def has_exact_hessian(loss) -> bool:
    """Whether :func:`weight_hessian` applies to ``loss`` (a
    :class:`~fixedpoints.numeric.population.PopulationLoss`): NumPy arrays, generated kernels
    with second derivatives, teacher neurons (not an exact ``target``)."""
    kt = loss.kernels
    if loss.xp is not np or loss.target is not None or kt.backend != "numpy":
        return False
    kernels = [kt.st] + ([kt.ss, kt.ss_self] if kt.square else [])
    return all(getattr(k, "has_hess", False) for k in kernels)


def _pair_derivatives(loss, W, X, top, k):
    """First and second kernel derivatives on the block :math:`[Q\\mid M]` (…, k, k+m) with the
    student diagonal at :math:`P=0` (masked by the coefficients): ``(K, KA, KP, KAA, KAP, KPP,
    KAB, KBP)``, the last two on the student block only (None for the correlation loss)."""
    kt = loss.kernels
    q = np.einsum("...id,...id->...i", W, W)
    A = q[..., :, None]
    Td = _batched(loss.Td, q.shape[:-1])
    if not kt.square:
        M = top[..., k:]
        K, KA, KP = kt.st.jet(A, Td[..., None, :], M)
        h = kt.st.hess(A, Td[..., None, :], M)
        zero = np.zeros((*q.shape, k))
        cat = [np.concatenate([zero, t], axis=-1) for t in (K, KA, KP, h[0], h[2], h[5])]
        return (*cat, None, None)
    P = top.copy()
    P[..., np.arange(k), np.arange(k)] = 0.0
    if kt.same:
        Bn = np.concatenate([q, Td], axis=-1)[..., None, :]
        K, KA, KP = kt.ss.jet(A, Bn, P)
        h = kt.ss.hess(A, Bn, P)
        return K, KA, KP, h[0], h[2], h[5], h[1][..., :k], h[4][..., :k]
    Ks = kt.ss.jet(A, q[..., None, :], P[..., :k])
    hs = kt.ss.hess(A, q[..., None, :], P[..., :k])
    Kt = kt.st.jet(A, Td[..., None, :], P[..., k:])
    ht = kt.st.hess(A, Td[..., None, :], P[..., k:])
    first = [np.concatenate([s, t], axis=-1) for s, t in zip(Ks, Kt, strict=True)]
    second = [np.concatenate([hs[i], ht[i]], axis=-1) for i in (0, 2, 5)]
    return (*first, *second, hs[1], hs[4])


def _batched(x, batch):
    """``x`` broadcast to the leading dimensions ``batch`` (itself for one point: a broadcast
    costs microseconds, which count at small sizes)."""
    return np.broadcast_to(x, (*batch, *x.shape)) if batch else x


def weight_hessian(loss, W, a=None):
    r"""Exact Hessian of the population loss in the coordinates :math:`(\operatorname{vec}W,
    \operatorname{vec}a)` (module docstring for the formula).

    Parameters
    ----------
    loss : PopulationLoss
        With :func:`has_exact_hessian`.
    W : array (..., k, d)
        Student weights (a batch of points in the leading dimensions).
    a : array (..., k, o), optional
        Trainable second layer: the Hessian then includes the ``a`` block (row-major
        :math:`a_{io}` after :math:`W_{ia}`); None: the model's fixed ``a`` (W block only).

    Returns
    -------
    ndarray (..., n, n)
        :math:`n=kd` (+ :math:`ko`). For spherical neurons the matrix :math:`\tilde H` whose
        restriction to tangent vectors is the Riemannian Hessian (module docstring).
    """
    kt = loss.kernels
    W = np.asarray(W, dtype=float)
    batch, (k, d) = W.shape[:-2], W.shape[-2:]
    trainable = a is not None
    if not kt.square and not trainable:
        return _correlation_hessian(loss, W, batch, k, d)
    a = np.asarray(a, dtype=float) if trainable else _batched(loss.a, batch)
    b = _batched(loss.b, batch)
    f = (2.0 if kt.square else 1.0) * kt.scale
    X = np.concatenate([W, _batched(loss.V, batch)], axis=-2)
    top = W @ np.swapaxes(X, -1, -2)
    K, KA, KP, KAA, KAP, KPP, KAB, KBP = _pair_derivatives(loss, W, X, top, k)
    ab = -f * (a @ np.swapaxes(b, -1, -2))
    eye = np.eye(k)
    q = np.einsum("...id,...id->...i", W, W)
    if kt.square:
        Cs = f * (a @ np.swapaxes(a, -1, -2)) * (1.0 - eye)
        dd = f * np.einsum("...io,...io->...i", a, a)
        S1, S2 = kt.ss_self.jet(q)
        S3 = kt.ss_self.hess(q)
    else:
        Cs = np.zeros((*batch, k, k))
        dd = S1 = S2 = S3 = np.zeros((*batch, k))
    C = np.concatenate([Cs, ab], axis=-1)
    D = 2 * np.einsum("...in,...in->...i", C, KA) + dd * S2
    alpha = 4 * np.einsum("...in,...in->...i", C, KAA) + 2 * dd * S3
    U = (C * KAP) @ X
    # diagonal blocks: D I + α w wᵀ + 2(w uᵀ + u wᵀ) + Xᵀ diag(C∘∂²_P K) X
    Hd = np.einsum("...in,...na,...nb->...iab", C * KPP, X, X)
    Hd += alpha[..., :, None, None] * W[..., :, :, None] * W[..., :, None, :]
    wu = W[..., :, :, None] * U[..., :, None, :]
    Hd += 2 * (wu + np.swapaxes(wu, -1, -2))
    Hd += D[..., :, None, None] * np.eye(d)
    # off-diagonal blocks (i ≠ j; C_ii = 0): H[i, a, j, b]
    H = np.zeros((*batch, k, d, k, d))
    if kt.square and k > 1:
        Ps = KP[..., :k]
        c1, c2, c3, c4 = 4 * Cs * KAB, 2 * Cs * KAP[..., :k], 2 * Cs * KBP, Cs * KPP[..., :k]
        Wi, Wj = W[..., :, None, :], W[..., None, :, :]  # (…, i, j, d) broadcasts
        Y1 = c1[..., None] * Wj + c2[..., None] * Wi  # coefficient vectors of w_i (·)ᵀ
        Y2 = c3[..., None] * Wj + c4[..., None] * Wi  # coefficient vectors of w_j (·)ᵀ
        H += W[..., :, :, None, None] * Y1[..., :, None, :, :]
        H += np.swapaxes(W, -1, -2)[..., None, :, :, None] * Y2[..., :, None, :, :]
        H += (Cs * Ps)[..., :, None, :, None] * np.eye(d)[:, None, :]
    idx = np.arange(k)
    H[..., idx, :, idx, :] += np.moveaxis(Hd, -3, 0) if batch else Hd
    if kt.spherical:  # minus <g_i, w_i> on the diagonal (Riemannian correction)
        G = C * KP
        G[..., idx, idx] += D
        radial = np.einsum("...in,...in->...i", G, top)
        H[..., idx, :, idx, :] -= (
            np.moveaxis(radial[..., None, None] * np.eye(d), -3, 0)
            if batch
            else radial[:, None, None] * np.eye(d)
        )
    H = H.reshape(*batch, k * d, k * d)
    if not trainable:
        return H
    return _with_second_layer(loss, H, W, X, a, b, f, K, KA, KP, S1, S2)


def _correlation_hessian(loss, W, batch, k, d):
    r""":func:`weight_hessian` of the correlation loss with a fixed second layer: no student
    pairs, so the blocks are diagonal and only teacher pairs enter, with :math:`C=-c\,ab^\top`
    (k × m): :math:`\partial g_i/\partial w_i=D_iI+\alpha_iw_iw_i^\top+2(w_iu_i^\top+
    u_iw_i^\top)+\sum_rC_{ir}\partial_P^2K_{ir}v_rv_r^\top` (minus
    :math:`\langle g_i,w_i\rangle I` for spherical neurons), the general formula without the
    zero student block."""
    kt = loss.kernels
    V = _batched(loss.V, batch)
    C = -kt.scale * (_batched(loss.a, batch) @ np.swapaxes(_batched(loss.b, batch), -1, -2))
    M = W @ np.swapaxes(V, -1, -2)
    q = np.sum(W * W, axis=-1)
    A, Td = q[..., :, None], _batched(loss.Td, q.shape[:-1])[..., None, :]
    _, KA, KP = kt.st.jet(A, Td, M)
    KAA, _, KAP, _, _, KPP = kt.st.hess(A, Td, M)
    D = 2 * np.sum(C * KA, axis=-1)
    alpha = 4 * np.sum(C * KAA, axis=-1)
    U = (C * KAP) @ V
    Hd = np.swapaxes(V, -1, -2)[..., None, :, :] * (C * KPP)[..., :, None, :] @ V[..., None, :, :]
    wu = W[..., :, :, None] * U[..., :, None, :]
    Hd += alpha[..., :, None, None] * W[..., :, :, None] * W[..., :, None, :]
    Hd += 2 * (wu + np.swapaxes(wu, -1, -2))
    diag = D
    if kt.spherical:  # minus <g_i, w_i> = sum_r C KP M + D q on the diagonal
        diag = D - (np.sum(C * KP * M, axis=-1) + D * q)
    Hd += diag[..., :, None, None] * np.eye(d)
    if k == 1:
        return Hd.reshape(*batch, d, d)
    H = np.zeros((*batch, k, d, k, d))
    idx = np.arange(k)
    H[..., idx, :, idx, :] = np.moveaxis(Hd, -3, 0) if batch else Hd
    return H.reshape(*batch, k * d, k * d)


def _with_second_layer(loss, H, W, X, a, b, f, K, KA, KP, S1, S2):
    """The full Hessian with the ``a`` blocks (module docstring)."""
    kt = loss.kernels
    batch, (k, d), o = W.shape[:-2], W.shape[-2:], a.shape[-1]
    eye = np.eye(k)
    mask = np.concatenate([1.0 - eye, np.ones((k, K.shape[-1] - k))], axis=-1)
    KAo, KPo = KA * mask, KP * mask
    E = np.concatenate([a, -b], axis=-2)
    # ∂g_i/∂a_io: f [2((∂_A K̃ E)_io + a_io K_self') w_i + Σ_n (∂_P K̃)_in E_no x_n]
    diag = 2 * (KAo @ E + a * S2[..., None])
    Ha = f * (
        diag[..., :, :, None] * W[..., :, None, :]
        + np.einsum("...in,...no,...nb->...iob", KPo, E, X)
    )  # (…, i, o, b)
    cross = np.zeros((*batch, k, d, k, o))
    idx = np.arange(k)
    cross[..., idx, :, idx, :] = (
        np.moveaxis(np.swapaxes(Ha, -1, -2), -3, 0) if batch else np.swapaxes(Ha, -1, -2)
    )
    if kt.square and k > 1:  # i ≠ j: f a_io [2 ∂_A K_ij w_i + ∂_P K_ij w_j]
        vec = 2 * KAo[..., :k, None] * W[..., :, None, :] + KPo[..., :k, None] * W[..., None, :, :]
        cross += f * vec[..., :, :, :, None].swapaxes(-3, -2) * a[..., :, None, None, :]
    cross = cross.reshape(*batch, k * d, k * o)
    if kt.square:
        Kt = K[..., :k] * (1.0 - eye) + S1[..., :, None] * eye
        Haa = f * np.einsum("...ij,op->...iojp", Kt, np.eye(o)).reshape(*batch, k * o, k * o)
    else:
        Haa = np.zeros((*batch, k * o, k * o))
    top = np.concatenate([H, cross], axis=-1)
    bottom = np.concatenate([np.swapaxes(cross, -1, -2), Haa], axis=-1)
    return np.concatenate([top, bottom], axis=-2)
