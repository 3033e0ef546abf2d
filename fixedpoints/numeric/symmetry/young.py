r"""Fixed-point subspaces of diagonal Young subgroups for the ReLU-type teacher–student problem
with :math:`k=d`, :math:`V=I_d` and constant second layers, and an exact reduced loss on them.

The loss is invariant under :math:`W\mapsto P_\pi WP_\rho^\top`, :math:`(\pi,\rho)\in S_d\times S_d`.
For block sizes :math:`p=(p_1,\dots,p_r)`, :math:`\sum_ap_a=d`, with contiguous index blocks
:math:`B_1,\dots,B_r` (block 1 first), the diagonal Young subgroup
:math:`\Gamma=\Delta(S_{p_1}\times\dots\times S_{p_r})=\{(\pi,\pi)\}` fixes exactly the matrices

.. math::

    W_{ij}=\begin{cases}D_a & i=j\in B_a\\ O_a & i\ne j,\ i,j\in B_a\ (p_a\ge2)\\
    C_{ab} & i\in B_a,\ j\in B_b,\ a\ne b,\end{cases}
    \qquad \dim\mathrm{Fix}(\Gamma)=\sum_a(1+[p_a\ge2])+r(r-1).

Coordinates :math:`\xi` are ordered ``D1..Dr``, then ``Oa`` for the blocks with :math:`p_a\ge2`,
then ``Cab`` row-major (:math:`a\ne b`); for (9, 1) this is the ordering
:math:`(D_0,D_1,O_0,C_{01},C_{10})` of Arjevani's digest. The orbit matrices :math:`E_k` (0/1
indicators of the orbits) have disjoint supports, with :math:`n_k=\|E_k\|_F^2` entries:
:math:`p_a`, :math:`p_a(p_a-1)`, :math:`p_ap_b`.

**Gram classes.** Writing :math:`X_{ab}=C_{ab}` (:math:`a\ne b`), :math:`X_{aa}=O_a` (0 if
:math:`p_a=1`), :math:`\delta_a=D_a-X_{aa}`, :math:`J` the d×r block indicator and
:math:`\Pi=\mathrm{diag}(p)`, :math:`W=\mathrm{diag}(J\delta)+JXJ^\top`, hence

.. math::

    WW^\top=\mathrm{diag}(J\delta^2)+JGJ^\top,\qquad
    G=\hat\delta X^\top+X\hat\delta+X\Pi X^\top,\qquad N_a=\delta_a^2+G_{aa},

so a row of block a has squared norm :math:`N_a`, two rows of one block overlap :math:`G_{aa}`,
rows of blocks a ≠ b overlap :math:`G_{ab}`; :math:`M=WV^\top=W` has the entries
:math:`D_a,O_a,C_{ab}` with multiplicities :math:`p_a,\ w_{aa}=p_a(p_a-1),\ w_{ab}=p_ap_b`. With
:math:`a_i=\alpha`, :math:`b_r=\beta`, scale c:

.. math::

    \ell(\xi)=c\Big[\alpha^2\Big(\sum_ap_aK_{\rm self}(N_a)+\sum_{a,b}w_{ab}K(N_a,N_b,G_{ab})\Big)
        -2\alpha\beta\Big(\sum_ap_aK_*(N_a,1,D_a)+\sum_{a,b}w_{ab}K_*(N_a,1,X_{ab})\Big)\Big]
        +c\beta^2\big(dK_{\rm self}^{tt}(1)+d(d-1)K^{tt}(1,1,0)\big)

(correlation loss: :math:`-c\alpha\beta(\dots)` only). Only :math:`O(r^2)` kernel values are
evaluated, so the cost does not depend on d. By symmetric criticality, critical points of
:math:`\ell` are critical points of :math:`\mathcal L`, and
:math:`\partial_{\xi_k}\ell=\langle\nabla\mathcal L(W(\xi)),E_k\rangle`.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import ParameterError, out_of_range
from fixedpoints.numeric.derivatives import STEP, hessian_vector_products
from fixedpoints.numeric.jets import as_numbers, hessian_by_jets, sqrt
from fixedpoints.numeric.newton import newton_critical
from fixedpoints.numeric.symmetry.blocks import (
    IsotropyType,
    isotropy_label,
    orbit_size,
    parse_blocks,
    parse_sizes,
)
from fixedpoints.results import NewtonResult

__all__ = [
    "IsotropyType",
    "YoungIsotropy",
    "isotropy_label",
    "orbit_size",
    "parse_blocks",
    "young_isotropy",
]


def _close(x, y, tol):
    return abs(x - y) <= tol * max(1.0, abs(x), abs(y))


def _kernel_constants(kernels):
    """Validate a model for a Young isotropy (k = teacher width, T = I, equal fixed second
    layers, free neurons, one output); return (alpha, beta)."""
    kt = kernels
    if kt.a is None:
        raise ParameterError(
            "`isotropy` needs a fixed second layer (the student's `a` is trainable)."
        )
    a, b, T = np.asarray(kt.a, float), np.asarray(kt.b, float), np.asarray(kt.T, float)
    if a.ndim != 2 or a.shape[1] != 1 or b.shape[1] != 1:
        raise ParameterError("`isotropy` needs a single output (scalar second layers).")
    k, m = a.shape[0], T.shape[0]
    if k != m:
        raise ParameterError(
            f"`isotropy` needs k = d = teacher width; got k = {k}, teacher width {m}."
        )
    if T.shape != (m, m) or np.any(np.diagonal(T) != 1) or np.count_nonzero(T) != m:
        raise ParameterError("`isotropy` needs the identity teacher (V = I_d, T = I).")
    if np.ptp(a) != 0 or np.ptp(b) != 0:
        raise ParameterError(
            "`isotropy` needs equal second-layer weights (a_i = alpha, b_r = beta)."
        )
    if kt.spherical:
        raise ParameterError("`isotropy` needs free (non-spherical) neurons.")
    return float(a[0, 0]), float(b[0, 0])


class YoungIsotropy:
    r"""Fix(Δ(S_{p_1}×…×S_{p_r})) ⊂ M(d, d) with contiguous blocks, and the reduced loss on it.

    Parameters
    ----------
    blocks : sequence of int
        Block sizes, block 1 on the first indices (e.g. ``(9, 1)``: special index last).
    kernels : PairKernels, optional
        From :func:`fixedpoints.codegen.compile_pair_kernels`; needed for the reduced loss. The
        model must have k = d, teacher :math:`T=I_d`, constant fixed second layers, free neurons,
        one output (it may be built at a smaller d: only its kernels and constants are used). Its
        ``backend`` sets the numbers: float64, mpmath (``mpf``) or Arb balls; with the latter two,
        coordinates are object arrays and :meth:`reduced_hessian` is exact (jets).
    counts : sequence of float, optional
        The block sizes in the formulas (default ``blocks``): real counts continue the reduced
        loss and the isotypic blocks to real d (``blocks`` then only give the structure: which
        blocks have off-diagonal coordinates). Arrays of size d (:meth:`weights`,
        :meth:`basis`, :meth:`project`) use ``blocks``.

    Raises
    ------
    ParameterError
        Naming ``isotropy`` when the blocks or the model do not fit.
    """

    def __init__(self, blocks, kernels=None, counts=None):
        self.blocks = parse_blocks(blocks)
        self.r = r = len(self.blocks)
        if counts is None:
            counts = self.blocks
        # real counts continue the formulas analytically (refined blocks of a family in d may
        # reach counts <= 0 below the sizes where every component exists)
        if len(counts) != r or any(not np.isfinite(float(c)) for c in counts):
            raise out_of_range("counts", counts, f"{r} finite numbers (one per block)")
        self.kernels = kernels
        self.backend = "numpy" if kernels is None else kernels.backend
        # counts in the number type: products of real counts ~ d^2 must not round in float64
        self.p = self.numbers(list(counts))
        self.d = sum(counts) if counts is not self.blocks else sum(self.blocks)
        if float(self.d).is_integer() and float(self.d) < 2**53:
            self.d = int(float(self.d))
        self.block_of = np.repeat(np.arange(r), self.blocks)  # block index of each row/column
        self.starts = np.concatenate([[0], np.cumsum(self.blocks)[:-1]]).astype(int)
        self._o = np.array([a for a in range(r) if self.blocks[a] >= 2], dtype=int)
        ca, cb = np.nonzero(~np.eye(r, dtype=bool))
        self._ca, self._cb = ca, cb
        w = np.outer(self.p, self.p) - np.diag(self.p)  # p_a p_b, diagonal p_a (p_a - 1)
        self._w = w
        self.orbit_sizes = np.concatenate([self.p, w[self._o, self._o], w[ca, cb]])
        sep = "," if r >= 10 else ""
        self.names = tuple(
            [f"D{a + 1}" for a in range(r)]
            + [f"O{a + 1}" for a in self._o]
            + [f"C{a + 1}{sep}{b + 1}" for a, b in zip(ca, cb, strict=True)]
        )
        if kernels is not None:
            self.alpha, self.beta = _kernel_constants(kernels)
            kt = kernels
            one, zero = self.numbers(np.ones(1)), self.numbers(np.zeros(1))
            d = self.numbers([self.d])[0]
            tt = kt.tt_self(0, one)[0] * d + kt.tt(0, one, one, zero)[0] * d * (d - 1)
            self.constant = kt.scale * self.beta**2 * tt if kt.square else 0.0

    def numbers(self, x):
        """``x`` in this isotropy's number type (floats convert exactly;
        :func:`fixedpoints.numeric.jets.as_numbers`)."""
        return as_numbers(x, self.backend)

    # ----------------------------------------------------------------------------- geometry
    @property
    def dimension(self) -> int:
        """:math:`\\sum_a(1+[p_a\\ge2])+r(r-1)`."""
        return len(self.names)

    @property
    def label(self) -> str:
        """E.g. ``"Δ(S9×S1)"``."""
        return isotropy_label(self.blocks)

    def split(self, xi):
        r"""Coordinates → ``(D, X)``: ``D`` shape (..., r), ``X`` (..., r, r) with
        :math:`X_{ab}=C_{ab}`, :math:`X_{aa}=O_a` (0 when :math:`p_a=1`)."""
        xi = np.asarray(xi)
        if xi.dtype != object:
            xi = xi.astype(float)
        if xi.shape[-1] != self.dimension:
            raise out_of_range("xi", xi.shape, f"an array with last axis {self.dimension}")
        r, no = self.r, len(self._o)
        D = xi[..., :r]
        X = np.zeros(xi.shape[:-1] + (r, r), dtype=xi.dtype)
        X[..., self._o, self._o] = xi[..., r : r + no]
        X[..., self._ca, self._cb] = xi[..., r + no :]
        return D, X

    def join(self, D, X):
        """``(D, X)`` → coordinates (inverse of :meth:`split`; the diagonal of X is read only for
        blocks with :math:`p_a\\ge2`)."""
        D, X = np.asarray(D), np.asarray(X)
        if D.dtype != object and X.dtype != object:
            D, X = D.astype(float), X.astype(float)
        return np.concatenate([D, X[..., self._o, self._o], X[..., self._ca, self._cb]], axis=-1)

    def weights(self, xi):
        r""":math:`W(\xi)=\mathrm{diag}(J\delta)+JXJ^\top` (shape (..., d, d)); linear in ξ."""
        D, X = self.split(xi)
        delta = D - np.diagonal(X, axis1=-2, axis2=-1)
        idx = self.block_of
        W = X[..., idx[:, None], idx[None, :]].copy()
        i = np.arange(self.block_of.size)
        W[..., i, i] += delta[..., idx]
        return W

    def basis(self):
        r"""Orbit matrices :math:`E_k` (0/1, disjoint supports), shape (dimension, d, d);
        :math:`W(\xi)=\sum_k\xi_kE_k`."""
        return self.weights(np.eye(self.dimension))

    def project(self, G):
        r""":math:`\langle G,E_k\rangle` for matrices G (..., d, d): sums of G over each orbit (so
        the reduced gradient is ``project(∇L)``)."""
        G = np.asarray(G, dtype=float)
        rows = np.add.reduceat(G, self.starts, axis=-2)
        S = np.add.reduceat(rows, self.starts, axis=-1)  # block sums (..., r, r)
        T = np.add.reduceat(np.diagonal(G, axis1=-2, axis2=-1), self.starts, axis=-1)
        X = S.copy()
        r = np.arange(self.r)
        X[..., r, r] -= T
        return self.join(T, X)

    def coordinates(self, W):
        r"""Coordinates of the orthogonal projection of W onto Fix: orbit averages
        :math:`\langle W,E_k\rangle/n_k`."""
        return self.project(W) / self.orbit_sizes

    def contains(self, W, tol: float = 1e-9) -> bool:
        r"""Whether W lies in Fix: :math:`\max|W-W(\xi(W))|\le tol\cdot\max(1,\max|W|)`."""
        W = np.asarray(W, dtype=float)
        if W.shape[-2:] != (self.block_of.size,) * 2:
            return False
        err = np.max(np.abs(W - self.weights(self.coordinates(W))))
        return bool(err <= tol * max(1.0, float(np.max(np.abs(W)))))

    def isotropy_of(self, xi, tol: float = 1e-9) -> IsotropyType:
        r"""The coarsest diagonal Young partition (coarser than ``blocks``) whose fixed space
        contains :math:`W(\xi)`: blocks a, b merge when :math:`D_a=D_b`, the off-diagonal entries
        of :math:`B_a\cup B_b` agree (:math:`O_a,O_b,C_{ab},C_{ba}`) and :math:`C_{ac}=C_{bc}`,
        :math:`C_{ca}=C_{cb}` for every other block c (equality to ``tol``, relative to
        max(1, |values|)). Returns the merged sizes in descending order and the label."""
        D, X = self.split(np.asarray(xi, dtype=float).reshape(self.dimension))
        p = self.blocks
        counts = [float(c) for c in self.p]

        def mergeable(a, b):
            if not _close(D[a], D[b], tol):
                return False
            off = [X[a, b], X[b, a]] + [X[c, c] for c in (a, b) if p[c] >= 2]
            if any(not _close(off[0], v, tol) for v in off[1:]):
                return False
            others = (c for c in range(self.r) if c not in (a, b))
            return all(
                _close(X[a, c], X[b, c], tol) and _close(X[c, a], X[c, b], tol) for c in others
            )

        groups: list[list[int]] = []
        for a in range(self.r):
            for g in groups:
                if all(mergeable(a, b) for b in g):
                    g.append(a)
                    break
            else:
                groups.append([a])
        sizes = [sum(counts[a] for a in g) for g in groups]
        sizes = tuple(sorted((int(q) if q.is_integer() else q for q in sizes), reverse=True))
        return IsotropyType(sizes, isotropy_label(sizes))

    # ------------------------------------------------------------------------- reduced loss
    def _require_kernels(self):
        if self.kernels is None:
            raise ParameterError("`isotropy`: the reduced loss needs the model's pair kernels.")
        return self.kernels

    def _gram(self, D, X):
        diag = np.diagonal(X, axis1=-2, axis2=-1)
        delta = D - diag
        XPi = X * self.p
        G = delta[..., :, None] * np.swapaxes(X, -1, -2) + X * delta[..., None, :]
        G = G + XPi @ np.swapaxes(X, -1, -2)
        # N_a = D_a^2 + (p_a - 1) O_a^2 + sum_b p_b C_ab^2, with D_a^2 added last: a neuron
        # nearly collinear with its teacher then gets N_a - D_a^2 without cancellation error
        # (the kernel's sqrt(AB - P^2) and arccos amplify an error eps to sqrt(eps))
        N = D**2 + (np.sum(XPi * X, axis=-1) - diag**2)
        return delta, G, N

    def reduced_loss(self, xi):
        r""":math:`\ell(\xi)=\mathcal L(W(\xi))` from the Gram classes (formula in the module
        docstring); shape ``xi.shape[:-1]``. Degenerate points (a zero row) give nan, without
        floating-point warnings."""
        kt = self._require_kernels()
        with np.errstate(all="ignore"):
            return self._loss(kt, xi)

    def _loss(self, kt, xi):
        D, X = self.split(xi)
        _, G, N = self._gram(D, X)
        w = self._w
        Na = np.broadcast_to(N[..., :, None], X.shape)
        st = np.sum(self.p * kt.st(0, N, np.ones_like(N), D), axis=-1)
        st = st + np.sum(w * kt.st(0, Na, np.ones_like(X), X), axis=(-1, -2))
        if not kt.square:
            return -kt.scale * self.alpha * self.beta * st
        Nb = np.broadcast_to(N[..., None, :], X.shape)
        ss = np.sum(self.p * kt.ss_self(0, N), axis=-1)
        ss = ss + np.sum(np.where(w > 0, w * kt.ss(0, Na, Nb, G), 0.0), axis=(-1, -2))
        ab = self.alpha * self.beta
        return kt.scale * (self.alpha**2 * ss - 2 * ab * st) + self.constant

    def reduced_gradient(self, xi):
        r""":math:`\nabla_\xi\ell=(\langle\nabla\mathcal L,E_k\rangle)_k`, by the chain rule through
        :math:`N,G` and the entries of M (shape of ``xi``).

        With :math:`g_N,g_G` the partial derivatives of :math:`\ell` in :math:`N_a,G_{ab}`
        (entries independent), :math:`g'=g_G+\mathrm{diag}(g_N)`, :math:`S=g'+g'^\top`:
        :math:`\partial_X\ell=S(\hat\delta+X\Pi)+\partial_X^{M}\ell`,
        :math:`\partial_\delta\ell=\mathrm{diag}(SX)+2\delta\circ g_N`, and
        :math:`\partial_D=\partial_\delta+\partial_D^M`, :math:`\partial_{O_a}=\partial_{X_{aa}}-\partial_{\delta_a}`.
        """
        kt = self._require_kernels()
        with np.errstate(all="ignore"):
            return self._gradient(kt, xi)

    def _gradient(self, kt, xi):
        D, X = self.split(xi)
        delta, G, N = self._gram(D, X)
        w, p = self._w, self.p
        c, al, be = kt.scale, self.alpha, self.beta
        one = np.ones_like(N)
        Na = np.broadcast_to(N[..., :, None], X.shape)
        Nb = np.broadcast_to(N[..., None, :], X.shape)
        onex = np.ones_like(X)
        cst = -2 * c * al * be if kt.square else -c * al * be
        # student-teacher terms: M entries D_a (multiplicity p_a) and X_ab (multiplicity w_ab)
        gN = cst * (p * kt.st(1, N, one, D) + np.sum(w * kt.st(1, Na, onex, X), axis=-1))
        gD = cst * p * kt.st(3, N, one, D)
        gX = cst * w * kt.st(3, Na, onex, X)
        if kt.square:
            c2 = c * al**2
            mask = w > 0
            sA = np.where(mask, w * kt.ss(1, Na, Nb, G), 0.0)
            sB = np.where(mask, w * kt.ss(2, Na, Nb, G), 0.0)
            gN = gN + c2 * (p * kt.ss_self(1, N) + np.sum(sA, axis=-1) + np.sum(sB, axis=-2))
            gG = c2 * np.where(mask, w * kt.ss(3, Na, Nb, G), 0.0)
        else:
            gG = np.zeros_like(X)
        r = np.arange(self.r)
        gp = gG.copy()
        gp[..., r, r] += gN
        S = gp + np.swapaxes(gp, -1, -2)
        SX = S @ X
        gX = gX + S * delta[..., None, :] + SX * p
        gdelta = SX[..., r, r] + 2 * delta * gN
        gD = gD + gdelta
        gX[..., r, r] -= gdelta
        return self.join(gD, gX)

    def full_gradient_norm(self, xi):
        r"""Frobenius norm of :math:`\nabla\mathcal L(W(\xi))` from the reduced gradient: the
        gradient lies in Fix, so :math:`\nabla\mathcal L=\sum_kg_kE_k/n_k` and
        :math:`\|\nabla\mathcal L\|_F=(\sum_kg_k^2/n_k)^{1/2}`."""
        return self.residual_norm(xi, self.reduced_gradient(xi))

    def reduced_hessian(self, xi, step: float = STEP):
        r""":math:`\nabla^2_\xi\ell=E^\top\nabla^2\mathcal L\,E` (shape (..., n, n)) by
        Richardson-extrapolated central differences of :meth:`reduced_gradient`
        (:func:`fixedpoints.numeric.derivatives.hessian_vector_products`).

        The differences are taken in the orthonormal coordinates :math:`\eta_k=\sqrt{n_k}\,\xi_k`
        (a step moves W by ``step`` in Frobenius norm, whatever the orbit size), and all points go
        in one batched call: the stacked points are one long vector and direction j moves
        coordinate j of every point."""
        xi = np.asarray(xi)
        n = self.dimension
        if xi.dtype == object:  # mpmath or Arb: exact derivatives by jets, point by point
            flat = xi.reshape(-1, n)
            H = np.array([hessian_by_jets(self.reduced_gradient, x) for x in flat], dtype=object)
            return H.reshape(xi.shape[:-1] + (n, n))
        xi = xi.astype(float)
        batch = xi.shape[:-1]
        X = xi.reshape(-1, n)
        m = X.shape[0]
        o = np.abs(np.asarray(self.orbit_sizes, dtype=float))
        s = 1.0 / np.sqrt(np.where(o > 0, o, 1.0))  # real counts may make an orbit size <= 0

        def grad(Z):
            Z = np.asarray(Z)
            eta = Z.reshape(Z.shape[:-1] + (m, n))
            return (self.reduced_gradient(eta * s) * s).reshape(Z.shape)

        dirs = np.tile(np.eye(n), (1, m))  # (n, m*n): e_j in every point
        with np.errstate(all="ignore"):  # degenerate points (zero rows) give inf/nan, no warning
            HV = hessian_vector_products(grad, (X / s).ravel(), dirs, step=step * np.sqrt(m))
            H = np.moveaxis(HV.reshape(n, m, n), 0, -1)  # H[point, :, j] = H e_j
            H = (H + np.swapaxes(H, -1, -2)) / 2 / np.multiply.outer(s, s)
        return H.reshape(batch + (n, n))

    # --------------------------------------------------- the problem interface of newton()
    def gradient(self, xi):
        """:meth:`reduced_gradient` (the Newton problem interface)."""
        return self.reduced_gradient(xi)

    #: :meth:`hessian` takes a batch of points (Newton evaluates all its starts at once)
    batched_hessian = True

    def tangent_basis(self, xi):
        """The fixed space is flat: no basis (None)."""
        return None

    def hessian(self, xi, basis=None):
        """:meth:`reduced_hessian` (flat coordinates)."""
        return self.reduced_hessian(xi)

    def residual_norm(self, xi, g=None):
        r"""Newton's residual, the full-space gradient norm :meth:`full_gradient_norm`, from the
        reduced gradient ``g`` when given: :math:`(\sum_kg_k^2/n_k)^{1/2}`."""
        if g is None:
            return self.full_gradient_norm(xi)
        g = np.asarray(g)
        if g.dtype == object:
            return sqrt(np.sum(g * g / self.orbit_sizes, axis=-1))
        with np.errstate(all="ignore"):
            return np.sqrt(np.sum(g**2 / self.orbit_sizes, axis=-1))

    def retract(self, xi):
        """The fixed space is flat: the identity."""
        return np.asarray(xi, dtype=float)

    def solve(self, xi0, *, tol: float = 1e-10, max_iter: int = 60) -> NewtonResult:
        r"""Critical points of :math:`\ell` from the starts ``xi0`` (n, dim), batched:
        :func:`fixedpoints.numeric.newton.newton_critical` (saddles as well as minima), its
        residual the full-space gradient norm :math:`\|\nabla\mathcal L\|_F`."""
        return newton_critical(self, xi0, tol=tol, max_iter=max_iter)


#: above this d the reduced loss works with counts (no arrays of size d are made)
DENSE_LIMIT = 4096


def young_isotropy(spec, d, kernels=None) -> YoungIsotropy:
    """:class:`YoungIsotropy` from a block specification ``"9,1"``, ``"d-1,1"``, ``"10"`` or a
    tuple (validated by :func:`~fixedpoints.numeric.symmetry.blocks.parse_sizes`). At integer
    d ≤ :data:`DENSE_LIMIT` the blocks are the sizes; at real or larger d a fixed structure
    (:meth:`BlockSizes.template`) carries the sizes as real counts."""
    sizes = parse_sizes(spec, d)
    if float(d).is_integer() and d <= DENSE_LIMIT:
        return YoungIsotropy(tuple(int(round(c)) for c in sizes.counts(d)), kernels)
    return YoungIsotropy(sizes.template(d, real=True), kernels, counts=sizes.counts(d))
