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
from fixedpoints.numeric.parallel import map_threads, thread_count

__all__ = ["PopulationLoss"]

#: entries of the block [Q | M] per chunk of runs in a NumPy gradient (2^14 ... 2^20 and one chunk
#: per thread tried on the relu-teacher gradient, d = 20 x 200 and d = 100 x 100 runs: 2^18 best
#: or within the machine's noise of the best in both; ``benchmarks/bench_gd.py``)
CHUNK = 1 << 18
#: block entries from which a NumPy gradient is shared among threads (below: thread overhead)
THREADED = 1 << 17


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
    threads : int, optional
        Threads that share a large NumPy batch of runs (:meth:`gradient`); default
        :func:`~fixedpoints.numeric.parallel.thread_count` (the usable cores, 1 inside a
        worker process). The numbers do not depend on it.
    """

    def __init__(self, kernels, V, *, device=None, dtype=None, target=None, threads=None):
        if threads is not None and not (isinstance(threads, int) and threads >= 1):
            raise out_of_range("threads", threads, "an integer >= 1 (or None: the usable cores)")
        self.threads = threads
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
        self._constant = None  # the teacher-teacher term: computed on first use (losses only)
        self._mask_cache, self._fixed = {}, None
        #: columns of the teacher block of [Q | M]: teachers, or the target's basis
        self._m = self.Td.shape[0] if self.V is None else self.V.shape[0]

    @property
    def constant(self) -> float:
        r"""The teacher–teacher term :math:`c\,\sum_{rs}b_rb_s\,K(T_{rr},T_{ss},T_{rs})` of the
        square loss (the target's second moment with an exact target; 0 for the correlation
        loss), computed once, when a loss is first asked for."""
        if self._constant is None:
            kt, xp = self.kernels, self.xp
            if self.target is not None:
                self._constant = kt.scale * self.target.second_moment
            elif kt.square:
                Ktt = self._diag_set(
                    kt.tt(0, self.Td[:, None], self.Td[None, :], self.T), kt.tt_self(0, self.Td)
                )
                self._constant = kt.scale * float(xp.sum((self.b @ self.b.T) * Ktt))
            else:
                self._constant = 0.0
        return self._constant

    def _masks(self, k):
        """``(off, eye)`` blocks of shape (k, k+m): 1 - [I | 0] and [I | 0] (cached per k)."""
        masks = self._mask_cache.get(k)
        if masks is None:
            xp, m = self.xp, self._m
            eye = np.concatenate([np.eye(k), np.zeros((k, m))], axis=1)
            masks = tuple(
                xp.asarray(x, dtype=self.dtype, device=_device(self.Td)) for x in (1.0 - eye, eye)
            )
            self._mask_cache[k] = masks
        return masks

    def _coefficients(self, a, k):
        r"""``(C, d)``: :math:`C=f\,[aa^\top\circ(1-I)\mid -ab^\top]` (k × (k+m); no student
        block for the correlation loss) and :math:`d_i=f(aa^\top)_{ii}`, with :math:`f=2c`
        (square loss) or :math:`c` (correlation); for a kernel smooth on the diagonal
        (``kernels.smooth``) :math:`C=f[aa^\top\mid-ab^\top]` with its diagonal and ``d`` None.
        Cached for the model's fixed ``a``."""
        if a is None and self._fixed is not None:
            return self._fixed
        kt, xp = self.kernels, self.xp
        fixed = a is None
        a = self.a if fixed else a
        f = (2.0 if kt.square else 1.0) * kt.scale
        off, _ = self._masks(k)
        ab = a @ self.b.T
        if self.target is not None:  # the target's cross terms are not pairwise: students only
            aa = a @ xp.matrix_transpose(a)
            C = f * aa * off[:, :k]
            d = f * xp.linalg.diagonal(aa)
        elif kt.square:
            aa = a @ xp.matrix_transpose(a)
            C = f * xp.concat([aa, -ab], axis=-1)
            if kt.smooth:  # the diagonal stays: d_i = C_ii (see block_gradient)
                d = None
            else:
                C = C * off
                d = f * xp.linalg.diagonal(aa)
        else:
            C = f * xp.concat([xp.zeros((*ab.shape[:-1], k), dtype=ab.dtype), -ab], axis=-1)
            C = C * off
            d = None
        if fixed:
            self._fixed = (C, d)
        return C, d

    def _jets(self, top, q, k, value: bool, g=None, zeroed=False):
        r"""``(K, ∂_AK, ∂_PK)`` on the block ``[Q | M]`` (…, k, k+m): student pairs
        :math:`K_{\sigma\sigma}(q_i,q_j,Q_{ij})` (their diagonal at :math:`P=0`, where the self
        kernel replaces it, unless the kernel is smooth on the diagonal), teacher pairs :math:`K_{\sigma\sigma_*}(q_i,T_{rr},M_{ir})`; one kernel
        call on the whole block when the activations are the same. ``K`` is None unless
        ``value``; no student block for the correlation loss (zeros). ``zeroed``: the diagonal
        of ``top`` is already 0 (no masking pass)."""
        kt, xp = self.kernels, self.xp
        off, _ = self._masks(k)
        A = q[..., :, None]

        def call(kernel, *args):
            return kernel.jet(*args) if value else (None, *kernel.grad(*args))

        if kt.square and kt.same:
            if g is None:
                g = xp.concat(
                    [q, xp.broadcast_to(self.Td, (*q.shape[:-1], self.Td.shape[0]))], axis=-1
                )
            return call(kt.ss, A, g[..., None, :], top if kt.smooth or zeroed else top * off)
        teacher = call(kt.st, A, self.Td, top[..., k:])
        if kt.square:
            P = top[..., :k] if kt.smooth else top[..., :k] * off[:, :k]
            student = call(kt.ss, A, q[..., None, :], P)
        else:
            zero = xp.zeros_like(top[..., :k])
            student = (zero, zero, zero)
        return tuple(
            None if t is None else xp.concat([s, t], axis=-1)
            for s, t in zip(student, teacher, strict=True)
        )

    def _diag_set(self, X, values):
        """``X`` with its last two axes' diagonal replaced by ``values``."""
        eye = self.xp.eye(X.shape[-1], dtype=X.dtype, device=_device(X))
        return X * (1.0 - eye) + values[..., :, None] * eye

    def _as_array(self, W):
        if self.xp is np:
            return np.asarray(W, dtype=float)
        return W

    def _stacked(self, W):
        r"""``X = [W; V]`` (…, k+m, d): the block is :math:`[Q\mid M]=WX^\top` and the gradient
        :math:`GX`, one broadcast product each (one small product per run; a single tall 2-D
        product went to multithreaded BLAS, up to 40x slower for these shapes on a busy machine)."""
        xp = self.xp
        V = xp.broadcast_to(self.V, (*W.shape[:-2], *self.V.shape)) if W.ndim > 2 else self.V
        return xp.concat([W, V], axis=-2)

    def overlap_loss(self, Q, M, a=None):
        r""":math:`\mathcal L` from the overlaps ``Q`` (..., k, k), ``M`` (..., k, m) and the second
        layer ``a`` (..., k, o) (None: the model's fixed ``a``); shape ``Q.shape[:-2]``."""
        return self.block_loss(self.xp.concat([Q, M], axis=-1), a)

    def block_loss(self, top, a=None):
        r""":math:`\mathcal L` from the block ``top`` :math:`=[Q\mid M]` (…, k, k+m)."""
        kt, xp = self.kernels, self.xp
        k = top.shape[-1] - self._m
        a = self.a if a is None else a
        q = xp.linalg.diagonal(top[..., :k])
        M = top[..., k:]
        if self.target is None:
            cross = xp.sum((a @ self.b.T) * kt.st(0, q[..., :, None], self.Td, M), axis=(-2, -1))
        else:
            cross = xp.sum(a[..., 0] * self.target.overlap_cross(q, M)[0], axis=-1)
        if not kt.square:
            return -kt.scale * cross
        Kss = kt.ss(0, q[..., :, None], q[..., None, :], top[..., :k])
        if not kt.smooth:
            Kss = self._diag_set(Kss, kt.ss_self(0, q))
        aa = a @ xp.matrix_transpose(a)
        return kt.scale * (xp.sum(aa * Kss, axis=(-2, -1)) - 2 * cross) + self.constant

    def block_gradient(
        self,
        top,
        a=None,
        *,
        second_layer: bool = False,
        diagonal=None,
        value: bool = False,
        _zeroed: bool = False,
    ):
        r"""``(G, grad_a)`` at the block ``top`` :math:`=[Q\mid M]` (…, k, k+m):
        :math:`G=[S\mid H]` with :math:`\nabla_W\mathcal L=G\,[W;V]` (module docstring; the
        diagonal of ``S`` included also for spherical neurons), and :math:`\nabla_a\mathcal L`
        when ``second_layer`` (else None).

        With :math:`C=f[aa^\top\circ(1-I)\mid-ab^\top]` (:math:`f=2c` for the square loss, c for
        the correlation loss) and the kernels on the block (one call per pair type, or one for
        both when the activations agree): :math:`G=C\circ\partial_PK+\operatorname{diag}
        \big(f(aa^\top)_{ii}K_{\rm self}'(q_i)+2\sum_jC_{ij}\partial_AK_{ij}\big)`,
        :math:`\nabla_a\mathcal L=f\,\tilde K[a;-b]` with :math:`\tilde K` the block of kernel
        values (self kernel on the diagonal). For a kernel smooth on the diagonal
        (``kernels.smooth``) :math:`C` keeps its diagonal :math:`d_i` and the student block is
        evaluated at :math:`P_{ii}=q_i`: :math:`K_{\rm self}'=2\partial_AK+\partial_PK` there, so
        :math:`G=C\circ\partial_PK+\operatorname{diag}(2\sum_jC_{ij}\partial_AK_{ij})`
        with no self kernel and no masks. ``diagonal``: :math:`[q, \operatorname{diag}T]`
        when the caller has it (saves a concatenation).

        ``value``: also return the loss, ``(G, grad_a, L)``, from the same kernel jet (one
        :math:`\arccos` per pair for ReLU, not a second kernel call):
        :math:`\mathcal L=\tfrac12\big(\langle C,K\rangle+\langle C_*,K_*\rangle
        +\textstyle\sum_id_iK_{\rm self}(q_i)\big)+\mathcal L_{**}`, with :math:`C_*,K_*`
        the teacher columns and :math:`\mathcal L_{**}` :attr:`constant` (the student block of
        :math:`C` is zero for the correlation loss, whose cross term has weight :math:`f=c`)."""
        kt, xp = self.kernels, self.xp
        k = top.shape[-1] - self._m
        trainable = a is not None
        C, d = self._coefficients(a, k)
        a = self.a if a is None else a
        q = xp.linalg.diagonal(top[..., :k]) if diagonal is None else diagonal[..., :k]
        if self.target is not None:
            G, ga = self._target_gradient(top, a, q, k, C, d, second_layer)
            return (G, ga, self.block_loss(top, a)) if value else (G, ga)
        K, KA, KP = self._jets(top, q, k, second_layer or value, diagonal, _zeroed)
        off, eye = self._masks(k)
        diag = 2 * xp.vecdot(C, KA)
        Kself = None
        if d is not None:  # else no student block, or a smooth diagonal (in C∘∂_PK, above)
            if second_layer or value:
                Kself, Kself1 = kt.ss_self.jet(q)
            else:
                Kself1 = kt.ss_self(1, q)
            diag = diag + d * Kself1
        if value:
            L = xp.sum(C * K, axis=(-2, -1)) + xp.sum(C[..., k:] * K[..., k:], axis=(-2, -1))
            if Kself is not None:
                L = L + xp.sum(d * Kself, axis=-1)
            L = 0.5 * L + self.constant
        if xp is np:  # the diagonal added in place, a strided view (one pass less)
            G = np.multiply(C, KP, order="C")  # C order: the flat view below is a view
            w = G.shape[-1]
            flat = G.reshape(*G.shape[:-2], k * w)
            flat[..., : k * (w + 1) : w + 1] += diag
        else:
            G = C * KP + diag[..., :, None] * eye
        ga = None
        if second_layer:
            f = (2.0 if kt.square else 1.0) * kt.scale
            if Kself is not None:
                K = K * off + Kself[..., :, None] * eye
            E = xp.concat([a, xp.broadcast_to(-self.b, (*a.shape[:-2], *self.b.shape))], axis=-2)
            if not trainable:
                E = xp.broadcast_to(E, (*top.shape[:-2], *E.shape[-2:]))
            ga = f * (K @ E)
        return (G, ga, L) if value else (G, ga)

    def _target_gradient(self, top, a, q, k, C, d, second_layer):
        """:meth:`block_gradient` with the exact target's cross kernel (square loss)."""
        kt, xp = self.kernels, self.xp
        f = 2.0 * kt.scale
        off = 1.0 - xp.eye(k, dtype=top.dtype)
        Ks, KsA, KsP = kt.ss.jet(q[..., :, None], q[..., None, :], top[..., :k] * off)
        Kself, Kself1 = kt.ss_self.jet(q)
        Ct, dq, dM = self.target.overlap_cross(q, top[..., k:])
        Cs = C
        diag = 2 * xp.vecdot(Cs, KsA) + d * Kself1 - 2 * f * a[..., 0] * dq
        S = Cs * KsP + diag[..., :, None] * xp.eye(k, dtype=top.dtype)
        G = xp.concat([S, -f * a * dM], axis=-1)
        if not second_layer:
            return G, None
        Kfull = Ks * off + Kself[..., :, None] * xp.eye(k, dtype=top.dtype)
        return G, f * (Kfull @ a - Ct[..., None])

    def loss(self, W, a=None):
        r""":math:`\mathcal L(W, a)`; shape ``W.shape[:-2]``."""
        W = self._as_array(W)
        top = W @ self.xp.matrix_transpose(self._stacked(W))
        return self.block_loss(top, None if a is None else self._as_array(a))

    @property
    def exact_hessian(self) -> bool:
        """Whether :meth:`hessian` is available (:func:`~fixedpoints.numeric.weight_hessian.
        has_exact_hessian`: NumPy, generated kernels, teacher neurons)."""
        from fixedpoints.numeric.weight_hessian import has_exact_hessian

        return has_exact_hessian(self)

    def hessian(self, W, a=None):
        r"""Exact Hessian in :math:`(\operatorname{vec}W,\operatorname{vec}a)`, shape
        ``(..., n, n)`` (:func:`~fixedpoints.numeric.weight_hessian.weight_hessian`; for spherical
        neurons the matrix whose tangent restriction is the Riemannian Hessian); None when
        :attr:`exact_hessian` is False (quadrature kernels, an exact target, other namespaces)."""
        if not self.exact_hessian:
            return None
        from fixedpoints.numeric.weight_hessian import weight_hessian

        return weight_hessian(self, W, None if a is None else self._as_array(a))

    def gradient(self, W, a=None):
        """``(grad_W, grad_a)``; ``grad_a`` is None for a fixed second layer. Riemannian (tangent)
        for spherical neurons."""
        return self._gradient(W, a, False)

    def value_and_gradient(self, W, a=None):
        r"""``(L, grad_W, grad_a)``: :meth:`loss` and :meth:`gradient` from one kernel jet on
        the block (:meth:`block_gradient` with ``value``), about the cost of the gradient alone.
        """
        return self._gradient(W, a, True)

    def _gradient(self, W, a, value):
        r"""``(L, gW, ga)`` or ``(gW, ga)``. A NumPy batch of runs ``W`` (R, k, d) is cut into
        chunks of about :data:`CHUNK` block entries (the block and its temporaries stay in
        cache) and, from :data:`THREADED` entries, shared among
        :func:`~fixedpoints.numeric.parallel.thread_count` threads (the kernels' array
        operations release the GIL); every run's numbers are those of one unchunked call."""
        W = self._as_array(W)
        a = None if a is None else self._as_array(a)
        if self.xp is not np or W.ndim != 3 or not (a is None or a.shape[:1] == W.shape[:1]):
            return self._rows(W, a, value)
        runs, k = W.shape[:2]
        entries = runs * k * (k + self._m)
        threads = min(self.threads or thread_count(), runs) if entries >= THREADED else 1
        chunks = max(-(-entries // CHUNK), threads)
        if chunks <= 1:
            return self._rows(W, a, value)
        bounds = np.linspace(0, runs, min(chunks, runs) + 1).astype(int)
        gW = np.empty_like(W)
        ga = None if a is None else np.empty(a.shape)
        L = np.empty(runs) if value else None

        def part(i):
            lo, hi = bounds[i], bounds[i + 1]
            *l, g, h = self._rows(W[lo:hi], None if a is None else a[lo:hi], value)
            gW[lo:hi] = g
            if ga is not None:
                ga[lo:hi] = h
            if value:
                L[lo:hi] = l[0]

        map_threads(part, range(bounds.size - 1), threads)
        return (L, gW, ga) if value else (gW, ga)

    def _rows(self, W, a, value):
        """:meth:`_gradient` on one chunk of runs."""
        xp = self.xp
        trainable = a is not None
        X = self._stacked(W)
        top = W @ xp.matrix_transpose(X)
        kt, g, zeroed = self.kernels, None, False
        if xp is np and kt.square and kt.same and not kt.smooth and self.target is None:
            # our own block: [q, diag T] taken first, then its diagonal zeroed in place (the
            # student pairs at P = 0, one masking pass less in _jets)
            k = W.shape[-2]
            g = np.concatenate(
                [
                    np.linalg.diagonal(top[..., :k]),
                    np.broadcast_to(self.Td, (*top.shape[:-2], self._m)),
                ],
                axis=-1,
            )
            w = top.shape[-1]
            flat = top.reshape(*top.shape[:-2], k * w)
            flat[..., : k * (w + 1) : w + 1] = 0.0
            zeroed = True
        G, ga, *L = self.block_gradient(
            top,
            self._as_array(a) if trainable else None,
            second_layer=trainable,
            diagonal=g,
            value=value,
            _zeroed=zeroed,
        )
        gW = G @ X
        if self.kernels.spherical:
            gW = gW - xp.vecdot(gW, W)[..., None] * W
        return (L[0], gW, ga) if value else (gW, ga)
