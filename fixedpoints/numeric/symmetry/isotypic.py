r"""Hessian spectra by isotypic components at points with a diagonal Young isotropy.

At a point :math:`W\in\mathrm{Fix}(\Gamma)`, :math:`\Gamma=\Delta(S_{p_1}\times\dots\times S_{p_r})`,
the Hessian commutes with Γ, so it preserves every isotypic component of :math:`M(d,d)` and acts
there as :math:`M_\rho\otimes I_{\dim\rho}`. Under Γ (block a of size :math:`p_a`, standard
representation :math:`\mathfrak s_a` of :math:`S_{p_a}`, dimension :math:`p_a-1`) the block
:math:`(a,a)` is :math:`2\cdot\mathbf 1+3\mathfrak s_a+\mathfrak s_{(p_a-2,2)}+\mathfrak s_{(p_a-2,1,1)}`
and a block :math:`(a,b)`, a ≠ b, is :math:`\mathbf 1+\mathfrak s_a+\mathfrak s_b+\mathfrak s_a\otimes\mathfrak s_b`.
Copies (one vector per copy, all images of the same vector under equivariant maps), with
:math:`u=e_{i_1}-e_{i_2}`, :math:`\mathbf 1_a` the indicator of block a and
:math:`i_1,\dots,i_4` the first indices of block a:

* trivial: the orbit matrices :math:`E_k` (:math:`\dim\mathrm{Fix}` copies, multiplicity 1);
* :math:`\mathfrak s_a` (:math:`p_a\ge2`, multiplicity :math:`p_a-1`): :math:`\mathrm{diag}(u)`,
  :math:`u\mathbf 1_a^\top-\mathrm{diag}(u)`, :math:`\mathbf 1_au^\top-\mathrm{diag}(u)`,
  :math:`u\mathbf 1_b^\top`, :math:`\mathbf 1_bu^\top` (b ≠ a);
* :math:`(p_a-2,2)` (:math:`p_a\ge4`, multiplicity :math:`p_a(p_a-3)/2`): :math:`ab^\top+ba^\top`,
  :math:`a=e_{i_1}-e_{i_2}`, :math:`b=e_{i_3}-e_{i_4}`;
* :math:`(p_a-2,1,1)` (:math:`p_a\ge3`, multiplicity :math:`(p_a-1)(p_a-2)/2`): :math:`ab^\top-ba^\top`
  (:math:`b=e_{i_2}-e_{i_3}` when :math:`p_a=3`);
* :math:`\mathfrak s_a\otimes\mathfrak s_b` (a < b, multiplicity :math:`(p_a-1)(p_b-1)`):
  :math:`u_au_b^\top`, :math:`u_bu_a^\top`.

For each component the eigenvalues solve :math:`\langle X_i,HX_j\rangle c=\lambda\langle X_i,X_j\rangle c`
(copies that are linearly dependent, e.g. for :math:`p_a=2`, are dropped by reducing the Gram
matrix to its range). The multiplicities times the number of eigenvalues add up to :math:`d^2`
(checked). For ΔS_d: 2 trivial, 3 standard (d − 1 each), :math:`d(d-3)/2`, :math:`(d-1)(d-2)/2`;
for Δ(S_{d−1}×S_1): 5 trivial, 5 standard (d − 2 each), :math:`(d-1)(d-4)/2`, :math:`(d-2)(d-3)/2`.

Every copy lies in the fixed space of a refinement of the blocks (the first four indices of each
block split off as singletons), so two routes give :math:`\langle X_i,HX_j\rangle`:
:func:`isotypic_spectrum` applies Hessian-vector products in weight space to the d×d copies, and
:func:`reduced_isotypic_spectrum` reads them off the Hessian of the reduced loss on the refined
fixed space (at most :math:`(5r)^2` coordinates): its cost does not depend on d.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.derivatives import STEP, hessian_vector_products
from fixedpoints.numeric.jets import to_float
from fixedpoints.numeric.symmetry.spectra import dense_spectrum, merge_spectrum
from fixedpoints.numeric.symmetry.young import YoungIsotropy, parse_blocks

__all__ = [
    "Component",
    "default_step",
    "dense_spectrum",
    "isotypic_components",
    "isotypic_spectrum",
    "merge_spectrum",
    "reduced_isotypic_spectrum",
    "spectrum_index",
    "weight_space_hvp",
]


@dataclass(frozen=True)
class Component:
    """One isotypic type: ``label``, ``multiplicity`` (dimension of the irreducible
    representation; a float at real counts) and ``copies`` (m, n'): one vector per copy, as
    coordinates in the refined fixed space; ``kind`` (``'trivial'``, ``'std'``, ``'2'``,
    ``'11'``, ``'std⊗std'``) and ``blocks`` (the coarse blocks it lives on) give the
    multiplicity for any sizes (:func:`component_multiplicity`)."""

    label: str
    multiplicity: float
    copies: np.ndarray
    kind: str = "trivial"
    blocks: tuple = ()


def component_multiplicity(kind: str, sizes):
    r"""Dimension of the irreducible representation ``kind`` for block sizes ``sizes`` (numbers
    or polynomials in d): 1, :math:`p-1`, :math:`p(p-3)/2`, :math:`(p-1)(p-2)/2`,
    :math:`(p_a-1)(p_b-1)`."""
    if kind == "trivial":
        return 1
    if kind == "std":
        return sizes[0] - 1
    if kind == "2":
        return sizes[0] * (sizes[0] - 3) / 2
    if kind == "11":
        return (sizes[0] - 1) * (sizes[0] - 2) / 2
    return (sizes[0] - 1) * (sizes[1] - 1)


def _size_text(p, minus: int = 0) -> str:
    """``p - minus`` as text; ``p`` an int or a linear ``(c, e)`` = c + e·d."""
    if isinstance(p, tuple):
        c, e = p[0] - minus, p[1]
        if e == 0:
            return str(c)
        head = "d" if e == 1 else ("-d" if e == -1 else f"{e}d")
        return head + (f"+{c}" if c > 0 else (f"{c}" if c < 0 else ""))
    return str(p - minus)


def _partition(p, kind: str) -> str:
    parts = {
        "1": (_size_text(p),),
        "std": (_size_text(p, 1), "1"),
        "2": (_size_text(p, 2), "2"),
        "11": (_size_text(p, 2), "1", "1"),
    }[kind]
    return "(" + ",".join(parts) + ")"


def _label(blocks, kinds: dict, names=None) -> str:
    """Tensor product of per-block irreducibles, blocks of size 1 omitted: ``"(8,1)"``,
    ``"(7,1)⊗(2)"``, or in d with ``names`` (linear sizes): ``"(d-2,1)"``; all trivial:
    ``"trivial"``."""
    if not kinds:
        return "trivial"
    names = names or blocks
    return "⊗".join(_partition(names[a], kinds.get(a, "1")) for a, p in enumerate(blocks) if p >= 2)


def _refined_blocks(blocks, counts=None):
    """The refined blocks (first four indices of each block split off) and their counts."""
    out, cnt = [], []
    counts = blocks if counts is None else counts
    for p, c in zip(blocks, counts, strict=True):
        out += [1] * min(p, 4) + ([p - 4] if p > 4 else [])
        cnt += [1] * min(p, 4) + ([c - 4] if p > 4 else [])
    return tuple(out), tuple(cnt)


class _Reps:
    """Representative indices of the refined blocks (one, or two for blocks of size ≥ 2): a
    matrix constant on the refined orbits is determined by its entries there."""

    def __init__(self, coarse: YoungIsotropy, fine: YoungIsotropy):
        reps, first, second = [], [], []
        for s, q in zip(fine.starts, fine.blocks, strict=True):
            first.append(len(reps))
            reps.append(s)
            second.append(len(reps) if q >= 2 else -1)
            if q >= 2:
                reps.append(s + 1)
        self.reps = np.array(reps)
        self.first, self.second = np.array(first), np.array(second)
        self.coarse_of = coarse.block_of[self.reps]
        self.fine = fine
        self.R = len(reps)

    def e(self, i):
        v = np.zeros(self.R)
        v[np.nonzero(self.reps == i)[0][0]] = 1.0
        return v

    def ones(self, a):
        return (self.coarse_of == a).astype(float)

    def coordinates(self, Mc):
        """Refined coordinates of the matrices whose entries at the representatives are ``Mc``
        (..., R, R)."""
        f, s = self.first, self.second
        D = Mc[..., f, f]
        X = Mc[..., f[:, None], f[None, :]].copy()
        big = s >= 0
        X[..., np.nonzero(big)[0], np.nonzero(big)[0]] = Mc[..., f[big], s[big]]
        return self.fine.join(D, X)


def isotypic_components(blocks, kernels=None, counts=None, names=None):
    """The refined :class:`YoungIsotropy` and the list of :class:`Component` for ``blocks``
    (see the module docstring); ``kernels`` and the real block ``counts`` (default ``blocks``)
    are passed to the refined isotropy; ``names`` (linear sizes ``(c, e)``) label the
    components in d."""
    coarse = YoungIsotropy(blocks)
    counts = coarse.blocks if counts is None else tuple(counts)
    fb, fc = _refined_blocks(coarse.blocks, counts)
    fine = YoungIsotropy(fb, kernels, counts=fc)
    rp = _Reps(coarse, fine)
    p, r = coarse.blocks, coarse.r
    comps = []
    # trivial: the coarse orbit matrices, read at the representatives
    Dc, Xc = coarse.split(np.eye(coarse.dimension))
    ca = rp.coarse_of
    Mc = Xc[:, ca[:, None], ca[None, :]].copy()
    idx = np.arange(rp.R)
    Mc[:, idx, idx] = Dc[:, ca]
    comps.append(Component("trivial", 1, rp.coordinates(Mc), "trivial", ()))
    lab = {"names": names}

    def m(kind, *blocks):
        return component_multiplicity(kind, [counts[a] for a in blocks])

    us = {}
    for a in range(r):
        if p[a] < 2:
            continue
        s = coarse.starts[a]
        i = [s + t for t in range(min(p[a], 4))]
        u = rp.e(i[0]) - rp.e(i[1])
        us[a] = u
        one = rp.ones(a)
        du = np.diag(u)
        copies = [du, np.outer(u, one) - du, np.outer(one, u) - du]
        for b in range(r):
            if b != a:
                copies += [np.outer(u, rp.ones(b)), np.outer(rp.ones(b), u)]
        comps.append(
            Component(
                _label(p, {a: "std"}, **lab),
                m("std", a),
                rp.coordinates(np.array(copies)),
                "std",
                (a,),
            )
        )
        if p[a] >= 3:
            va = u
            vb = rp.e(i[2]) - rp.e(i[3]) if p[a] >= 4 else rp.e(i[1]) - rp.e(i[2])
            if p[a] >= 4:
                sym = np.outer(va, vb) + np.outer(vb, va)
                comps.append(
                    Component(
                        _label(p, {a: "2"}, **lab), m("2", a), rp.coordinates(sym[None]), "2", (a,)
                    )
                )
            anti = np.outer(va, vb) - np.outer(vb, va)
            comps.append(
                Component(
                    _label(p, {a: "11"}, **lab),
                    m("11", a),
                    rp.coordinates(anti[None]),
                    "11",
                    (a,),
                )
            )
    for a in us:
        for b in us:
            if b > a:
                copies = np.array([np.outer(us[a], us[b]), np.outer(us[b], us[a])])
                comps.append(
                    Component(
                        _label(p, {a: "std", b: "std"}, **lab),
                        m("std⊗std", a, b),
                        rp.coordinates(copies),
                        "std⊗std",
                        (a, b),
                    )
                )
    return fine, comps


def _generalized_eigenvalues(Hm, Gm, rtol: float = 1e-10):
    r"""Eigenvalues of :math:`H_mc=\lambda G_mc` on the range of the Gram matrix :math:`G_m`
    (directions with Gram eigenvalue below ``rtol`` × the largest are dropped)."""
    Hm = (Hm + Hm.T) / 2
    # Jacobi scaling first: copies' norms range over 1..d^2 (orbit sizes), and the range cut
    # must see each copy at unit scale
    sc = np.array([1 / np.sqrt(abs(float(v))) if float(v) else 0.0 for v in np.diagonal(Gm)])
    Gm = Gm * np.outer(sc, sc)
    Hm = Hm * np.outer(sc, sc).astype(Hm.dtype)
    if Hm.dtype == object:  # mpmath: the same reduction at the working precision
        import mpmath

        if not all(mpmath.isfinite(v) for v in Hm.ravel()):  # singular kernel derivatives
            G = np.array(Gm.tolist(), dtype=float)
            g = np.linalg.eigvalsh((G + G.T) / 2)
            size = int(np.sum(g > rtol * g.max()))
            return [mpmath.nan] * size

        s, U = mpmath.eigsy(mpmath.matrix(((Gm + Gm.T) / 2).tolist()))
        s = [s[i] for i in range(len(s))]
        keep = [i for i, v in enumerate(s) if v > rtol * max(s)]
        T = mpmath.matrix(len(s), len(keep))
        for j, i in enumerate(keep):
            for r in range(len(s)):
                T[r, j] = U[r, i] / mpmath.sqrt(s[i])
        lam = mpmath.eigsy(T.T * mpmath.matrix(Hm.tolist()) * T, eigvals_only=True)
        return [lam[i] for i in range(len(keep))]
    s, U = np.linalg.eigh((Gm + Gm.T) / 2)
    keep = np.abs(s) > rtol * np.abs(s).max()
    T = U[:, keep] / np.sqrt(np.abs(s[keep]))
    if not np.all(np.isfinite(Hm)):  # a point on a kink (zero-norm neuron): no spectrum
        return np.full(int(np.sum(keep)), np.nan)
    if np.all(s[keep] > 0):
        return np.linalg.eigvalsh(T.T @ Hm @ T)
    # an indefinite Gram matrix (real counts below the sizes where the copies exist): the
    # pencil's eigenvalues, real parts
    lam = np.linalg.eigvals(np.sign(s[keep])[:, None] * (T.T @ Hm @ T))
    return np.sort(lam.real)


def _assemble(comps, gram, hess, d):
    """(eigenvalue, multiplicity, label) sorted; at integer counts the multiplicities are ints
    and must cover d² dimensions; mpmath eigenvalues stay mpf."""
    out = []
    total = 0
    integral = all(float(c.multiplicity).is_integer() for c in comps)
    for c in comps:
        lam = _generalized_eigenvalues(hess(c), gram(c))
        total += len(lam) * c.multiplicity
        mult = int(round(c.multiplicity)) if integral else float(c.multiplicity)
        out += [
            (v if not isinstance(v, float | np.floating) else float(v), mult, c.label) for v in lam
        ]
    if integral and float(d).is_integer() and abs(total - d * d) > 0.5:  # pragma: no cover
        raise RuntimeError(f"isotypic decomposition covers {total} dimensions, not d^2 = {d * d}.")
    return sorted(out, key=lambda t: t[0])


def spectrum_index(items, eps) -> tuple[int, int]:
    r"""Morse index and nullity of an isotypic spectrum ``[(eigenvalue, multiplicity, ...)]``:
    :math:`\sum_{\lambda<-\varepsilon}m_\lambda` and :math:`\sum_{|\lambda|\le\varepsilon}m_\lambda`
    (multiplicities are ints at integer d, floats at real d; rounded)."""
    index = sum(m for v, m, *_ in items if v < -eps)
    nullity = sum(m for v, m, *_ in items if abs(v) <= eps)
    return _whole(index), _whole(nullity)


def _whole(m) -> int:
    return m if isinstance(m, int) else int(round(float(m)))


def isotypic_spectrum(hvp, W, blocks, tol: float = 1e-9):
    r"""Hessian spectrum at W by isotypic components, from weight-space Hessian-vector products.

    Parameters
    ----------
    hvp : callable
        ``hvp(X)``: directions ``X`` (n, d, d) → :math:`HX` (n, d, d) at W (e.g.
        :func:`weight_space_hvp`).
    W : array (d, d)
        The point; it must lie in Fix(Δ(S_{p_1}×…)) (to ``tol``).
    blocks : sequence of int or str
        Block sizes, contiguous, block 1 first (``(d,)``, ``(d - 1, 1)`` with the special index
        last, or any diagonal Young partition).

    Returns
    -------
    list of (eigenvalue, multiplicity, component_label)
        Sorted by eigenvalue; :math:`\sum` multiplicities = :math:`d^2`.

    Raises
    ------
    ParameterError
        If the blocks do not sum to d or W is not fixed by the group.
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ParameterError(f"`W` must be a square matrix; got shape {W.shape}.")
    d = W.shape[0]
    coarse = YoungIsotropy(parse_blocks(blocks, d))
    if not coarse.contains(W, tol):
        raise ParameterError(f"`W` is not fixed by {coarse.label} (blocks {coarse.blocks}).")
    fine, comps = isotypic_components(coarse.blocks)
    mats = [fine.weights(c.copies) for c in comps]
    allX = np.concatenate(mats, axis=0)
    HX = np.asarray(hvp(allX), dtype=float).reshape(allX.shape)
    offsets = np.cumsum([0] + [len(m) for m in mats])
    where = {id(c): (offsets[i], offsets[i + 1]) for i, c in enumerate(comps)}

    def gram(c):
        return c.copies @ (fine.orbit_sizes * c.copies).T

    def hess(c):
        lo, hi = where[id(c)]
        return np.tensordot(allX[lo:hi], HX[lo:hi], axes=([1, 2], [1, 2])).T

    return _assemble(comps, gram, hess, d)


def default_step(d: int) -> float:
    r"""Finite-difference step of :func:`reduced_isotypic_spectrum`:
    :math:`10^{-3}\min(1,\sqrt{100/d})`. Near-collinear neuron–teacher pairs (angles
    :math:`\sim1/d` at the known families) need smaller steps as d grows, round-off of the
    kernels at such pairs forbids much smaller ones; with this step the eigenvalues agree with
    smaller/larger steps to ~1e-10 (d ≤ 30), ~1e-8 (d = 300), ~1e-7 (d = 1000), ~1e-6 (d ≥ 3000)."""
    return STEP * min(1.0, float(np.sqrt(100.0 / d)))


def reduced_isotypic_spectrum(iso: YoungIsotropy, xi, step: float | None = None, names=None):
    r"""The same spectrum as :func:`isotypic_spectrum` at :math:`W(\xi)`, without d×d arrays.

    The point is embedded in the refined fixed space (first four indices of every block split
    off), whose reduced Hessian :math:`H'=E'^\top\nabla^2\mathcal L\,E'`
    (:meth:`YoungIsotropy.reduced_hessian`, step :func:`default_step` unless given) gives
    :math:`\langle X_i,HX_j\rangle=c_i^\top H'c_j` for copies :math:`X_i=\sum_kc_{ik}E'_k`; Gram
    :math:`\langle X_i,X_j\rangle=\sum_kc_{ik}c_{jk}n'_k`. Cost independent of d (milliseconds).

    With real counts (``iso.p``) the blocks and multiplicities continue to real d; ``names``
    (linear sizes (c, e)) label the components in d; without them, integer counts label them
    (``(9998,1)`` at d = 10⁴ on a template structure). With mpmath kernels the Hessian is exact
    (jets) and the eigenvalues are mpf at the working precision.
    """
    if step is None:
        step = default_step(iso.d)
    if iso.kernels is None:
        raise ParameterError("`isotropy`: the reduced spectrum needs the model's pair kernels.")
    if names is None:  # a template structure with integer counts: label with the real sizes
        counts = [float(c) for c in to_float(list(iso.p))]
        if all(c.is_integer() for c in counts):
            names = tuple((int(c), 0) for c in counts)
    fine, comps = isotypic_components(iso.blocks, iso.kernels, counts=tuple(iso.p), names=names)
    # the point in refined coordinates: the trivial copies are the coarse orbit matrices
    xi = np.asarray(xi)
    xi = (xi if xi.dtype == object else xi.astype(float)).reshape(iso.dimension)
    xf = xi @ comps[0].copies
    Hf = fine.reduced_hessian(xf, step=step)

    def gram(c):
        return c.copies @ (fine.orbit_sizes * c.copies).T

    def hess(c):
        return c.copies @ Hf @ c.copies.T

    return _assemble(comps, gram, hess, iso.d)


def weight_space_hvp(loss, W, step: float = STEP, chunk: int | None = None):
    r"""``hvp(X)`` for :func:`isotypic_spectrum`: :math:`\nabla^2\mathcal L(W)X` from
    :meth:`PopulationLoss.gradient <fixedpoints.numeric.PopulationLoss.gradient>` by
    :func:`~fixedpoints.numeric.derivatives.hessian_vector_products`, ``chunk`` directions per
    batched gradient call (default: about 2·10⁶ weight entries per call)."""
    W = np.asarray(W, dtype=float)
    k, d = W.shape
    if chunk is None:
        chunk = max(1, int(2e6 // (6 * k * d)))

    def gradient(X):
        X = np.asarray(X)
        return loss.gradient(X.reshape(X.shape[:-1] + (k, d)))[0].reshape(X.shape)

    def hvp(dirs):
        dirs = np.asarray(dirs, dtype=float)
        flat = dirs.reshape(len(dirs), -1)
        out = [
            hessian_vector_products(gradient, W.ravel(), flat[s : s + chunk], step=step)
            for s in range(0, len(flat), chunk)
        ]
        return np.concatenate(out, axis=0).reshape(dirs.shape)

    return hvp
