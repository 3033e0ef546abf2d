r"""Fixed-point subspaces in weight space, for every model: the action of group elements as
matrices, :math:`\mathrm{Fix}(H)` of a subgroup as an orthonormal basis, the generic loss
restricted to it as a Newton problem, and the lattice of subgroups the default search visits.

A group element :math:`g=(\pi,s;\rho,\epsilon)` of :class:`~.group.Symmetry` (student permutation
:math:`\pi` with signs :math:`s`, teacher signed permutation :math:`v_r\mapsto\epsilon_rv_{\rho(r)}`
realised by an orthogonal map O of input space, :func:`~.group.orthogonal_map`) acts as

.. math::

    (g\cdot W)_{\pi(i)}=s_i\,O\,w_i,\qquad (g\cdot a)_{\pi(i)}=s_i^{[\text{odd}]}a_i ,

a linear orthogonal map :math:`R_g` of weight space. For a subgroup H with generators
:math:`g_1,\dots,g_q`, :math:`\mathrm{Fix}(H)=\bigcap_j\ker(R_{g_j}-I)` (the range of the group
average). The loss is invariant, so its gradient at a point of Fix(H) lies in Fix(H) (symmetric
criticality): critical points of the loss restricted to :math:`x=B\xi` (B an orthonormal basis)
are critical points in weight space. :class:`FixedSubspace` is that restricted problem for
:func:`fixedpoints.numeric.newton.newton`, with the same kernel sums as weight space.

The lattice (:func:`search_lattice`):

* **Young subgroups** :math:`\Delta(S_{p_1}\times\dots\times S_{p_r})`: a permutation of students
  in blocks, applied to the teachers with the same indices when k = m and the teacher group
  contains it (otherwise to the students only);
* **input subgroups**: reflections :math:`v_r\mapsto-v_r` of the teachers outside a set S (where
  the group has them) and rotations of the complement of span V fixing j directions, whose fixed
  space has every neuron in :math:`\mathrm{span}\{v_r\}_{r\in S}\oplus\mathrm{span}\{u_1..u_j\}`
  (e.g. quadratic students in the null space of :math:`Z^*`).
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.linalg

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.derivatives import dense_hessian
from fixedpoints.numeric.newton import newton_critical
from fixedpoints.numeric.parallel import map_forked
from fixedpoints.numeric.symmetry.blocks import isotropy_label, parse_blocks
from fixedpoints.numeric.symmetry.group import (
    Symmetry,
    complement_basis,
    orthogonal_map,
)

__all__ = [
    "FixedSubspace",
    "ansatz_subspace",
    "input_subspaces",
    "search_lattice",
    "weight_map",
    "young_generators",
    "young_subspace",
    "young_subspaces",
]


def weight_map(space, *, perm=None, signs=None, teacher=None) -> np.ndarray:
    """The matrix :math:`R_g` (dimension × dimension) of the group element (module docstring):
    ``perm`` student i ↦ perm[i], ``signs`` :math:`s_i`, ``teacher`` ``(rho, eps)``."""
    k, dim = space.k, space.dimension
    perm = np.arange(k) if perm is None else np.asarray(perm)
    s = np.ones(k) if signs is None else np.asarray(signs, dtype=float)
    O = np.eye(space.d) if teacher is None else orthogonal_map(space.V, *teacher)
    W, a = space.unpack(np.eye(dim))
    W2 = np.empty_like(W)
    W2[:, perm] = s[None, :, None] * (W @ O.T)
    a2 = None
    if a is not None:
        odd = getattr(space.kernels, "parity", ("none",))[0] == "odd"
        a2 = np.empty_like(a)
        a2[:, perm] = (s[None, :, None] if odd else 1.0) * a
    return space.pack(W2, a2).T


def fixed_basis(maps, dim: int) -> np.ndarray:
    """Orthonormal basis (columns) of :math:`\\bigcap\\ker(R-I)` over the matrices ``maps``:
    the right singular vectors of the stacked :math:`R-I` past the rank (singular values above
    :math:`10^{-10}` of the largest), as ``scipy.linalg.null_space`` computes them but without the
    full left factor (the stack has one block of ``dim`` rows per map; the same basis, bit for
    bit, at half the time: 24 Young subspaces of relu-teacher d = 10, 0.41 → 0.2 s)."""
    if not maps:
        return np.eye(dim)
    A = np.vstack([R - np.eye(dim) for R in maps])
    _, s, vh = scipy.linalg.svd(A, full_matrices=A.shape[0] < A.shape[1])
    rank = int(np.sum(s > np.amax(s, initial=0.0) * 1e-10))
    return vh[rank:, :].T.conj()


class FixedSubspace:
    r"""The loss restricted to :math:`x=B\xi` (a Newton problem; module docstring).

    Parameters
    ----------
    space : Landscape
    basis : array (dimension, p)
        Orthonormal columns spanning a subspace invariant under the gradient flow.
    label : str
        E.g. ``"Fix(Δ(S5×S1))"``.
    maps : sequence of arrays
        The generators :math:`R_g` whose fixed space it is (for isotypic spectra).
    """

    def __init__(self, space, basis, label: str = "", maps=()):
        self.space = space
        self.B = np.asarray(basis, dtype=float)
        self.label = label
        self.maps = tuple(maps)
        #: block sizes, isotropy label and ``transposition(a, s, t)`` (weight-space matrices)
        #: of a Young subgroup's fixed space (:func:`young_subspace`); None otherwise
        self.blocks = None
        self.isotropy = None
        self.transposition = None

    @property
    def dimension(self) -> int:
        return int(self.B.shape[1])

    def embed(self, xi):
        """:math:`x=B\\xi` (batched)."""
        return np.asarray(xi, dtype=float) @ self.B.T

    def coordinates(self, x):
        """:math:`\\xi=B^\\top x` (the orthogonal projection's coordinates)."""
        return np.asarray(x, dtype=float) @ self.B

    def contains(self, x, tol: float = 1e-9) -> bool:
        """Whether x lies in the subspace (to ``tol`` relative)."""
        x = np.asarray(x, dtype=float)
        err = np.linalg.norm(x - self.embed(self.coordinates(x)))
        return bool(err <= tol * max(1.0, float(np.linalg.norm(x))))

    # --- the problem interface of newton() ----------------------------------------------------
    def gradient(self, xi):
        """:math:`B^\\top\\nabla\\mathcal L(B\\xi)` (Riemannian for spherical neurons)."""
        return self.space.gradient(self.embed(xi)) @ self.B

    def retract(self, xi):
        """Row normalisation (spherical neurons) keeps a point of a fixed space in it."""
        if not self.space.spherical:
            return np.asarray(xi, dtype=float)
        return self.coordinates(self.space.retract(self.embed(xi)))

    def tangent_basis(self, xi):
        """None (flat), or for spherical neurons the ξ-directions tangent to every sphere."""
        if not self.space.spherical:
            return None
        sp = self.space
        W, _ = sp.unpack(self.embed(xi))
        Bw = self.B[: sp.n_w].reshape(sp.k, sp.d, -1)
        C = np.einsum("id,idp->ip", W, Bw)
        return scipy.linalg.null_space(C, rcond=1e-10)

    @property
    def batched_hessian(self) -> bool:
        """Whether :meth:`hessian` takes a batch of points (the landscape's exact Hessian)."""
        return self.space.batched_hessian

    def hessian(self, xi, basis=None):
        """:math:`N^\\top B^\\top D\\bar g\\,BN` in the tangent basis N: the landscape's exact
        Hessian in the columns BN (a batch of points ``xi`` when :attr:`batched_hessian`), else
        extrapolated differences of :meth:`gradient`."""
        xi = np.asarray(xi, dtype=float)
        sp = self.space
        if not sp.exact or (sp.spherical and basis is None):
            return dense_hessian(self.gradient, xi, basis)
        if xi.ndim > 1:
            return self.B.T @ sp.hessian(self.embed(xi)) @ self.B
        return sp.hessian(self.embed(xi), self.B if basis is None else self.B @ basis)

    def starts(self, n: int, rng) -> np.ndarray:
        """``n`` starts in the subspace, in turn: structured, Gaussian and teacher-aligned
        (:math:`w_i=c\\,v_{i \\bmod m}` plus noise, which the diagonal Young fixed spaces
        contain) weight-space starts projected onto the subspace and rescaled to their norm,
        and Gaussian subspace coordinates (generic points of the fixed space, whose stabiliser
        is the whole subgroup) at 0.5–2 times a random start's norm."""
        sp = self.space
        out = []
        for s in range(n):
            if s % 4 == 2 and sp.m:
                W = sp.V[np.arange(sp.k) % sp.m] * rng.uniform(0.5, 1.5)
                W = W + 0.1 * sp.scale() * rng.standard_normal(W.shape) / np.sqrt(sp.d)
                a = rng.choice([-1.0, 1.0], size=(sp.k, sp.outputs)) if sp.trainable else None
                x = sp.retract(sp.pack(W, a))
                xi = self.coordinates(x)
            elif s % 4 == 3:
                x = sp.random_start(rng) * rng.uniform(0.5, 2.0)
                xi = rng.standard_normal(self.dimension)
            else:
                x = sp.structured_start(rng) if s % 4 == 0 else sp.random_start(rng)
                xi = self.coordinates(x)
            nx, nxi = np.linalg.norm(x), np.linalg.norm(xi)
            if nxi < 1e-12:
                xi = rng.standard_normal(self.dimension)
                nxi = np.linalg.norm(xi)
            out.append(self.retract(xi * nx / nxi))
        return np.array(out)


def _in_teacher_group(sym: Symmetry, rho, eps) -> bool:
    gamma = np.empty(2 * sym.m, dtype=int)
    for r in range(sym.m):
        plus, minus = 2 * rho[r], 2 * rho[r] + 1
        gamma[2 * r], gamma[2 * r + 1] = (plus, minus) if eps[r] > 0 else (minus, plus)
    return sym.teacher_colouring.is_automorphism(gamma)


def young_generators(space, sym: Symmetry, blocks, twisted: bool = False) -> tuple[list, bool]:
    """Matrices of the adjacent transpositions inside each block (contiguous blocks, block 1
    first), and whether the teachers move with the students (k = m and the teacher group
    contains the transpositions). ``twisted``: each transposition composed with the sign flip
    of every student (the sign character, π ↦ sgn(π)·π; needs sign flips in the group), whose
    fixed space has :math:`w_{\\pi(i)}=\\operatorname{sgn}(\\pi)\\,O_\\pi w_i`.

    Raises
    ------
    ParameterError
        Naming ``isotropy`` when the blocks do not sum to k or permute students of different
        classes.
    """
    k, m = space.k, space.m
    blocks = parse_blocks(blocks, k, total="the student width k")
    cls = np.asarray(sym.student_classes)
    starts = np.concatenate([[0], np.cumsum(blocks)[:-1]])
    pairs = [(s + t, s + t + 1) for s, p in zip(starts, blocks, strict=True) for t in range(p - 1)]
    if any(cls[i] != cls[j] for i, j in pairs):
        raise ParameterError(
            f"`isotropy` {','.join(map(str, blocks))} permutes student neurons that are not "
            "identical (different second-layer weights).",
            parameter="isotropy",
        )
    if twisted and sym.sign_flips == "none":
        raise ParameterError(
            "`isotropy`: the sign-twisted subgroup needs student sign flips in the group.",
            parameter="isotropy",
        )
    diagonal = m == k and all(_in_teacher_group(sym, _swap(m, i, j), np.ones(m)) for i, j in pairs)
    maps = [_transposition(space, i, j, diagonal, twisted) for i, j in pairs]
    return maps, diagonal


def _transposition(space, i: int, j: int, diagonal: bool, twisted: bool = False) -> np.ndarray:
    m = space.m
    teacher = (_swap(m, i, j), np.ones(m)) if diagonal else None
    signs = -np.ones(space.k) if twisted else None
    return weight_map(space, perm=_swap(space.k, i, j), signs=signs, teacher=teacher)


def _swap(n: int, i: int, j: int) -> np.ndarray:
    p = np.arange(n)
    p[i], p[j] = j, i
    return p


def young_subspace(space, sym: Symmetry, blocks, twisted: bool = False) -> FixedSubspace:
    """:class:`FixedSubspace` of :math:`\\Delta(S_{p_1}\\times\\dots)` (see
    :func:`young_generators`; a twisted one is labelled ``Δ(S2×S1)·sgn``)."""
    blocks = parse_blocks(blocks, space.k, total="the student width k")
    maps, diagonal = young_generators(space, sym, blocks, twisted)
    label = isotropy_label(blocks)
    if not diagonal:  # students only: S3×S1, not Δ(S3×S1)
        label = label.removeprefix("Δ").removeprefix("(").removesuffix(")")
    if twisted:
        label += "·sgn"
    sub = FixedSubspace(space, fixed_basis(maps, space.dimension), f"Fix({label})", maps)
    starts = np.concatenate([[0], np.cumsum(blocks)[:-1]])
    sub.blocks = blocks
    sub.isotropy = label
    sub.transposition = lambda a, s, t: _transposition(
        space, starts[a] + s, starts[a] + t, diagonal, twisted
    )
    return sub


def ansatz_subspace(space, sym: Symmetry, name: str, *, seed: int = 0) -> FixedSubspace:
    """The fixed space that an ansatz of :func:`fixedpoints.symbolic.make_ansatz` describes in
    overlap coordinates: ``symmetric`` = Fix(ΔS_k), ``block:p1,...`` = Fix(Δ(S_p1×…)),
    ``diagonal`` = Fix of ΔS_k and the joint flips :math:`(w_i,v_i)\\mapsto(-w_i,-v_i)` (k = m;
    only where the group has them). Verified invariant: the gradient at three random points of
    the subspace lies in it.

    Raises
    ------
    ParameterError
        Naming ``ansatz`` for an unknown name, or a subspace that is not a fixed space of the
        model's group (or fails the invariance check).
    """
    k = space.k
    if name == "symmetric":
        sub = young_subspace(space, sym, (k,))
    elif name.startswith("block:"):
        sub = young_subspace(space, sym, name[6:])
    elif name == "diagonal":
        ok = space.m == k and sym.sign_flips == "even"
        refl = _single_reflections(sym) if ok else []
        if not ok or len(refl) < k:
            raise ParameterError(
                "`ansatz` 'diagonal' is not a fixed space of this model's group: it needs k = m, "
                "an even activation and teacher reflections (the joint flips (w_i, v_i) -> "
                "(-w_i, -v_i)).",
                parameter="ansatz",
            )
        base = young_subspace(space, sym, (k,))
        maps = list(base.maps)
        for i in range(k):
            s, eps = np.ones(k), np.ones(space.m)
            s[i], eps[i] = -1.0, -1.0
            maps.append(weight_map(space, signs=s, teacher=(np.arange(space.m), eps)))
        sub = FixedSubspace(space, fixed_basis(maps, space.dimension), "Fix(diagonal)", maps)
    else:
        raise ParameterError(
            f"`ansatz` must be 'symmetric', 'block:p1,...' or 'diagonal'; got {name!r}.",
            parameter="ansatz",
        )
    rng = np.random.default_rng(seed)
    for xi in sub.starts(3, rng):
        if not sub.contains(space.gradient(sub.embed(xi)), tol=1e-7):
            raise ParameterError(
                f"`ansatz` {name!r}: the subspace is not invariant under the gradient flow.",
                parameter="ansatz",
            )
    sub.label = f"ansatz {name}: {sub.label}"
    return sub


def _partitions(n: int, largest: int | None = None):
    largest = n if largest is None else largest
    if n == 0:
        yield ()
        return
    for p in range(min(n, largest), 0, -1):
        for rest in _partitions(n - p, p):
            yield (p, *rest)


def young_subspaces(space, sym: Symmetry, limit: int = 24) -> list:
    """Fixed spaces of the Young subgroups worth searching: every partition of k with at
    least one block of size ≥ 2 (at most ``limit``, fewest blocks first), and their
    sign-twisted variants where the group has sign flips."""
    if space.k < 2 or not sym.student_permutations or sym.student_rotations:
        return []
    parts = [p for p in _partitions(space.k) if p[0] >= 2]
    parts.sort(key=len)
    out = []
    for twisted in (False, True) if sym.sign_flips != "none" else (False,):
        for p in parts[:limit]:
            try:
                out.append(young_subspace(space, sym, p, twisted))
            except ParameterError:  # blocks across neuron classes
                continue
    return out


def _single_reflections(sym: Symmetry) -> list:
    out = []
    for r in range(sym.m):
        eps = np.ones(sym.m)
        eps[r] = -1
        if _in_teacher_group(sym, np.arange(sym.m), eps):
            out.append(r)
    return out


def input_subspaces(space, sym: Symmetry, limit: int = 32) -> list:
    """Fixed spaces of the input subgroups (module docstring): every neuron in
    :math:`\\mathrm{span}\\{v_r\\}_{r\\in S}\\oplus\\mathrm{span}\\{u_1..u_j\\}` for S ⊇ the
    non-reflectable teachers and :math:`j\\le\\min(k, \\dim\\text{complement})`; proper subspaces
    only, at most ``limit`` (smallest first)."""
    refl = _single_reflections(sym)
    U = complement_basis(space)
    jmax = min(space.k, U.shape[0]) if sym.complement >= 1 else 0
    fixed_teachers = [r for r in range(space.m) if r not in refl]
    cands = []
    for size in range(len(refl) + 1):
        for S in itertools.combinations(refl, size):
            for j in range(jmax + 1):
                if size == len(refl) and j == jmax:
                    continue  # the whole space, up to a rotation of the complement
                cands.append((tuple(sorted(fixed_teachers + list(S))), j))
    cands.sort(key=lambda c: (len(c[0]) + c[1], c))
    out = []
    for keep, j in cands[:limit]:
        rows = [space.V[list(keep)]] if keep else []
        rows.append(U[:j])
        span = np.vstack(rows) if rows else np.zeros((0, space.d))
        if span.shape[0] == 0 and not space.trainable:
            continue
        q = scipy.linalg.orth(span.T) if span.shape[0] else np.zeros((space.d, 0))
        cols = []
        for i in range(space.k):
            for c in range(q.shape[1]):
                W = np.zeros((space.k, space.d))
                W[i] = q[:, c]
                a = np.zeros((space.k, space.outputs)) if space.trainable else None
                cols.append(space.pack(W, a))
        if space.trainable:
            for i in range(space.k * space.outputs):
                a = np.zeros(space.k * space.outputs)
                a[i] = 1.0
                cols.append(space.pack(np.zeros((space.k, space.d)), a.reshape(space.k, -1)))
        if not cols:
            continue
        names = [f"v{r + 1}" for r in keep] + [f"u{t + 1}" for t in range(j)]
        label = "neurons in span{" + ", ".join(names) + "}" if names else "W = 0"
        out.append(FixedSubspace(space, np.array(cols).T, label))
    return out


def search_lattice(
    space,
    sym: Symmetry,
    *,
    budget: int,
    rng,
    tol: float,
    max_iter: int,
    workers: int = 1,
    progress=None,
) -> list:
    """Newton in every subspace of the lattice (:func:`young_subspaces`,
    :func:`input_subspaces`), ``budget`` starts in all, shared evenly (between 4 and 24 each):
    ``[(subspace, result), ...]``. The starts are drawn from ``rng`` in this process, the
    subspaces' Newton runs on ``workers`` forked processes
    (:func:`~fixedpoints.numeric.parallel.map_forked`: the same results whatever their number);
    ``progress(done, total)`` counts finished subspaces."""
    subs = young_subspaces(space, sym) + input_subspaces(space, sym)
    per = max(4, min(24, budget // max(1, len(subs))))
    jobs = [(sub, sub.starts(per, rng)) for sub in subs]

    def run(i):  # an index: the forked workers inherit the subspaces
        sub, X0 = jobs[i]
        return newton_critical(sub, X0, tol=tol, max_iter=max_iter)

    return list(
        zip(subs, map_forked(run, range(len(jobs)), workers, progress=progress), strict=True)
    )
