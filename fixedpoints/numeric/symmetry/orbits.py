r"""Exact orbits of points under a landscape's symmetry group: orbit sizes
:math:`|G|/|G_x|` from the stabiliser :math:`G_x`, orbit equality by graph isomorphism, and
symmetry-invariant overlap signatures.

A point is represented by its overlaps :math:`(Q, M, a)`, invariant under the input rotations
fixing the teacher. Its **point graph** has the vertices :math:`\pm w_i` (students) and
:math:`\pm v_r` (teachers), pair edges :math:`+u - -u`, edges :math:`\epsilon\eta Q_{ij}`,
:math:`\epsilon\eta M_{ir}`, :math:`\epsilon\eta T_{rs}` between :math:`\epsilon w_i,\eta w_j`
etc., and vertex colours :math:`(Q_{ii}, \pm a_i)` and :math:`(T_{rr}, \pm b_r)`; vertices that
the group may not exchange (no sign flips, different neuron classes, reflections not allowed)
get different colours. Its automorphisms are exactly the group elements fixing the point, so
:math:`|G_x|` is the order of the point graph's automorphism group
(:mod:`.automorphisms`) and the orbit has :math:`|G|/|G_x|` points — exact for any number of
neurons. Two points are on one orbit iff their point graphs (values clustered jointly, to a
tolerance) are isomorphic.

With rotations :math:`O(E_i)` of teacher eigenspaces (:mod:`.eigenspaces`) the overlaps with
the teachers are replaced by their invariants: :math:`M_F=MJ` (the overlaps with the part
:math:`F` of the teacher span outside the :math:`E_i`) on the student–teacher edges, and the Gram
matrices :math:`P_i=MK_iM^\top` of the students' components in each :math:`E_i` as further
student–student edge values (their diagonals as vertex values). With no such rotation
:math:`M_F=M` and nothing is added.

With student rotations (the loss depends on :math:`W^\top W` only) points are compared by the
spectra of Q and of the :math:`P_i`, the traces :math:`\operatorname{tr}P_iP_j` and
:math:`\operatorname{tr}P_iQ`, and the teacher graph coloured by :math:`M_F^\top M_F`,
:math:`M_F^\top QM_F` and :math:`M_F^\top P_iM_F`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from fixedpoints.numeric.symmetry.automorphisms import (
    ColouredGraph,
    automorphism_group,
    cluster_labels,
    find_isomorphism,
    row_ranks,
)
from fixedpoints.numeric.symmetry.blocks import isotropy_label
from fixedpoints.numeric.symmetry.group import Symmetry, format_signed

__all__ = [
    "Orbit",
    "orbit",
    "orbit_key",
    "overlap_signature",
    "same_orbit",
    "signed_action",
    "young_transpositions",
]


@dataclass(frozen=True)
class _RawGraph:
    """Uncoloured point graph: structural vertex kinds, vertex values (n, p), edge kinds (n, n)
    and edge values (n, n, q); values become colours by joint clustering."""

    vkind: np.ndarray
    vvals: np.ndarray
    ekind: np.ndarray
    evals: np.ndarray
    extra: np.ndarray  # compared with a tolerance (e.g. the spectrum of Q)


def _colour(graphs, tol: float) -> list:
    """Colour raw graphs on one scale: each vertex-value column and each (edge kind, value
    column) clustered over all graphs together."""
    n = graphs[0].vkind.size
    V = np.concatenate([g.vvals for g in graphs])
    cols = [np.concatenate([g.vkind for g in graphs])]
    cols += [cluster_labels(V[:, j], tol) for j in range(V.shape[1])]
    vlab = row_ranks(np.stack(cols, axis=1))
    K = np.stack([g.ekind for g in graphs])
    Ev = np.stack([g.evals for g in graphs])
    ecols = [K.ravel()]
    for j in range(Ev.shape[-1]):
        lab = np.zeros(K.size, dtype=np.int64)
        vals = Ev[..., j].ravel()
        for kind in np.unique(K):
            sel = K.ravel() == kind
            lab[sel] = cluster_labels(vals[sel], tol)
        ecols.append(lab)
    elab = row_ranks(np.stack(ecols, axis=1))
    elab = elab.reshape(K.shape)
    return [
        ColouredGraph(vlab[i * n : (i + 1) * n].astype(np.int64), elab[i].astype(np.int64))
        for i in range(len(graphs))
    ]


def _pm(n: int):
    sgn = np.tile([1.0, -1.0], n)
    return sgn, np.repeat(np.arange(n), 2)


def _eigen_invariants(M, sym: Symmetry) -> tuple:
    """``(M_F, [P_1, …, P_p])``: the overlaps with the teacher span outside the rotated teacher
    eigenspaces and the students' Gram matrices inside each (``(M, [])`` without any)."""
    forms = sym.eigenspace_forms
    if not forms or M.shape[1] == 0:
        return M, []
    return M @ forms[-1], [M @ K @ M.T for K in forms[:-1]]


def _raw_graph(Q, M, a, sym: Symmetry) -> _RawGraph:
    Q, M = np.asarray(Q, float), np.asarray(M, float)
    M, Ps = _eigen_invariants(M, sym)
    if sym.student_rotations:
        return _rotation_graph(Q, M, Ps, sym)
    k, m = Q.shape[0], M.shape[1]
    ss, si = _pm(k)
    ts, ti = _pm(m)
    n = 2 * k + 2 * m
    stu = np.arange(2 * k)
    tea = 2 * k + np.arange(2 * m)
    flips = sym.sign_flips
    # vertex kinds: student class (+ sign flag without flips), then the teacher graph's colours
    vk = np.zeros(n, dtype=np.int64)
    cls = np.asarray(sym.student_classes)[si]
    vk[stu] = 4 * cls + (2 if flips == "none" else 0) * (ss < 0)
    if m:
        vk[tea] = 4 * (cls.max(initial=0) + 1) + sym.teacher_colouring.colours
    na = 0 if a is None else np.asarray(a).reshape(k, -1).shape[1]
    p = len(Ps)
    vv = np.zeros((n, 1 + p + na))
    vv[stu, 0] = np.diag(Q)[si]
    for i, P in enumerate(Ps):
        vv[stu, 1 + i] = np.diag(P)[si]
    if a is not None:
        av = np.asarray(a, float).reshape(k, -1)[si]
        vv[stu, 1 + p :] = av * (ss[:, None] if flips == "odd" else 1.0)
    ek = np.zeros((n, n), dtype=np.int64)
    ev = np.zeros((n, n, 1 + p))
    ek[np.ix_(stu, stu)] = 2
    sgn = np.outer(ss, ss)
    ev[np.ix_(stu, stu)] = np.stack([sgn * X[np.ix_(si, si)] for X in (Q, *Ps)], axis=-1)
    if m:
        ek[np.ix_(stu, tea)] = 3
        ek[np.ix_(tea, stu)] = 3
        mv = np.outer(ss, ts) * M[np.ix_(si, ti)]
        ev[stu[:, None], tea, 0] = mv
        ev[tea[:, None], stu, 0] = mv.T
        ek[np.ix_(tea, tea)] = 4
        ev[tea[:, None], tea, 0] = sym.teacher_colouring.edges
    idx = np.concatenate([si, k + ti])
    same = idx[:, None] == idx[None, :]
    ek[same] = 1
    ev[same] = 0.0
    ek[np.arange(n), np.arange(n)] = 0
    return _RawGraph(vk, vv, ek, ev, np.zeros(0))


def _rotation_graph(Q, M, Ps, sym: Symmetry) -> _RawGraph:
    """The teacher graph alone, coloured further by :math:`\\epsilon\\eta(M^\\top M)_{rs}`,
    :math:`\\epsilon\\eta(M^\\top QM)_{rs}` and :math:`\\epsilon\\eta(M^\\top P_iM)_{rs}` (``M``
    is :math:`M_F`); the spectra of Q and the :math:`P_i`, :math:`\\operatorname{tr}P_iP_j`
    (:math:`i<j`) and :math:`\\operatorname{tr}P_iQ` compared on the side."""
    m = M.shape[1]
    ts, ti = _pm(m)
    forms = [M.T @ X @ M for X in (np.eye(M.shape[0]), Q, *Ps)]
    n = 2 * m
    g = sym.teacher_colouring
    vv = np.column_stack([np.diag(A)[ti] for A in forms])
    sgn = np.outer(ts, ts)
    ev = np.stack([g.edges.astype(float), *(sgn * A[np.ix_(ti, ti)] for A in forms)], -1)
    ek = np.full((n, n), 4, dtype=np.int64)
    same = ti[:, None] == ti[None, :]
    ek[same] = 1
    ev[same] = 0.0
    ek[np.arange(n), np.arange(n)] = 0
    extra = [np.linalg.eigvalsh((X + X.T) / 2) for X in (Q, *Ps)]
    extra += [[np.sum(X * P) for X in (*Ps[i + 1 :], Q)] for i, P in enumerate(Ps)]
    return _RawGraph(1 + g.colours, vv, ek, ev, np.concatenate(extra))


@dataclass(frozen=True)
class Orbit:
    """The orbit of a point: its point graph (for :func:`same_orbit`), the tolerance and the
    group; computed on first use: ``size`` :math:`|G|/|G_x|`, ``stabilizer_order``
    :math:`|G_x|`, the stabiliser's generators (vertex permutations of the point graph:
    :math:`\\pm w_i` at 2i, 2i+1, then :math:`\\pm v_r`) and ``exact`` (False if the
    automorphism search gave up: the size is then an upper bound)."""

    graph: _RawGraph
    tol: float
    sym: Symmetry = field(repr=False, compare=False)

    @cached_property
    def _coloured(self) -> ColouredGraph:
        (g,) = _colour([self.graph], self.tol)
        return g

    @cached_property
    def _aut(self):
        return automorphism_group(self._coloured)

    @property
    def size(self) -> int:
        return int(max(1, self.sym.order // self._aut.order))

    @property
    def stabilizer_order(self) -> int:
        return int(self.sym.order // self.size)

    @property
    def stabilizer(self) -> tuple:
        return self._aut.generators

    @property
    def exact(self) -> bool:
        return bool(self._aut.exact and self.sym.exact)

    def same(self, other: Orbit) -> bool:
        """Whether two orbits are one (:func:`same_orbit`)."""
        return same_orbit(self, other)

    def generators(self) -> list:
        """The stabiliser's generators in cycle notation on students and teachers, e.g.
        ``"(w1 w2) (v1 v2)"``, ``"w3↦−w3"``."""
        g = self.graph
        k = 0 if g.extra.size else int(np.sum(g.ekind[0] <= 2)) // 2
        out = []
        for gen in self.stabilizer:
            gen = np.asarray(gen)
            parts = [format_signed(gen[: 2 * k], "w"), format_signed(gen[2 * k :] - 2 * k, "v")]
            out.append(" ".join(p for p in parts if p) or "identity")
        return out

    @property
    def isotropy(self) -> str:
        """The stabiliser by name where it is a Young subgroup: ``"Δ(S3×S2)"`` when it permutes
        students and teachers alike in blocks (all of each block's permutations, no signs; the
        block sizes of students and teachers agree),
        ``"S2×S2 (students)"`` when it permutes students only; otherwise
        ``"stabiliser of order N"``."""
        return _isotropy_name(self)


def _blocks_of(gens, n: int) -> list:
    """Orbit sizes (largest first) of the permutations ``gens`` of n points."""
    return [len(b) for b in _student_blocks(gens, n)]


def _isotropy_name(o: Orbit) -> str:
    fallback = f"stabiliser of order {o.stabilizer_order}"
    g = o.graph
    n_s = int(np.sum(g.ekind[0] <= 2)) if g.ekind.size else 0  # ±w: self, pair or Q from w1
    if g.extra.size or not o.stabilizer:  # rotation-invariant models; trivial stabiliser
        return fallback if o.stabilizer else "trivial"
    k = n_s // 2
    m = (g.vkind.size - n_s) // 2
    perms_s, perms_t = [], []
    for gen in o.stabilizer:
        gen = np.asarray(gen)
        st, te = gen[: 2 * k], gen[2 * k :] - 2 * k
        if np.any(st[0::2] % 2) or np.any(te[0::2] % 2):
            return fallback  # a sign is involved
        perms_s.append(st[0::2] // 2)
        perms_t.append(te[0::2] // 2)
    members = _student_blocks(perms_s, k)
    blocks = [len(b) for b in members]
    order = int(np.prod([math.factorial(p) for p in blocks]))
    if order != o.stabilizer_order:
        return fallback
    # the stabiliser holds every adjacent transposition of each block, so its student part is
    # the Young group; of order ∏ p!, it is isomorphic to it (not, e.g., Z3 × Z2 ≠ S3)
    for b in members:
        for i, j in zip(b[:-1], b[1:], strict=True):
            if _swap_element(o._coloured, k, i, j) is None:
                return fallback
    label = isotropy_label(blocks)
    if all(np.array_equal(np.arange(m), t) for t in perms_t):
        return label.removeprefix("Δ").removeprefix("(").removesuffix(")") + " (students)"
    # the same group on the teachers (all of each teacher block's permutations): the diagonal
    # Young subgroup, up to the matching of students with teachers
    if blocks == _blocks_of(perms_t, m) and k == m:
        return label
    return fallback


def _student_blocks(perms, k: int) -> list:
    """Orbits (sorted lists, largest first) of the permutations ``perms`` of k points (union
    find)."""
    parent = list(range(k))

    def find(u):
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for p in perms:
        for u in range(k):
            parent[find(u)] = find(int(p[u]))
    roots: dict = {}
    for u in range(k):
        roots.setdefault(find(u), []).append(u)
    return sorted(roots.values(), key=lambda b: (-len(b), b[0]))


def _swap_element(g: ColouredGraph, k: int, i: int, j: int):
    """An automorphism of the point graph acting on the students as the transposition (i j),
    or None: an isomorphism of the graph onto itself with the colours of students i and j
    swapped and every other student's made unique."""
    n = g.n
    tag = np.zeros(n, dtype=np.int64)
    tag[: 2 * k] = np.repeat(np.arange(1, k + 1), 2)
    t1, t2 = tag.copy(), tag.copy()
    t1[2 * i : 2 * i + 2], t1[2 * j : 2 * j + 2] = -1, -2
    t2[2 * i : 2 * i + 2], t2[2 * j : 2 * j + 2] = -2, -1
    both = np.unique(
        np.stack([np.concatenate([g.colours, g.colours]), np.concatenate([t1, t2])], axis=1),
        axis=0,
        return_inverse=True,
    )[1].ravel()
    return find_isomorphism(ColouredGraph(both[:n], g.edges), ColouredGraph(both[n:], g.edges))


def young_transpositions(o: Orbit):
    """For a point whose stabiliser is a Young subgroup (:attr:`Orbit.isotropy` names one):
    ``(blocks, element)`` with ``blocks`` the student blocks (lists of indices) and
    ``element(a, s, t)`` the stabiliser element acting on the students as the transposition of
    the s-th and t-th members of block a, as ``(perm, signs, rho, eps)`` (student i ↦ perm[i]
    with sign, teacher :math:`v_r\\mapsto\\epsilon_rv_{\\rho(r)}`). The element is an isomorphism
    of the point graph onto itself with the two students' colours swapped and every other
    student's made unique (:func:`~.automorphisms.find_isomorphism`); None when the stabiliser
    is not a Young subgroup (or the model is rotation invariant)."""
    name = o.isotropy
    if o.graph.extra.size or not (name.startswith("Δ") or name.endswith("(students)")):
        return None
    g = o._coloured
    k = int(np.sum(o.graph.ekind[0] <= 2)) // 2
    blocks = _student_blocks([np.asarray(gen)[: 2 * k : 2] // 2 for gen in o.stabilizer], k)

    def element(a: int, s: int, t: int):
        i, j = blocks[a][s], blocks[a][t]
        gamma = _swap_element(g, k, i, j)
        if gamma is None:  # pragma: no cover - the naming checked the transpositions
            raise RuntimeError(f"no stabiliser element swaps students {i + 1} and {j + 1}")
        return signed_action(gamma, k)

    return blocks, element


def signed_action(gamma, k: int) -> tuple:
    r"""A point-graph automorphism ``gamma`` (vertex permutation: :math:`\pm w_i` at 2i, 2i+1,
    then :math:`\pm v_r`) as ``(perm, signs, rho, eps)``: student i ↦ perm[i] with sign
    signs[i], teacher :math:`v_r\mapsto\epsilon_rv_{\rho(r)}`
    (:func:`~.subspace.weight_map` takes them)."""
    gamma = np.asarray(gamma)
    st, te = gamma[: 2 * k : 2], gamma[2 * k :: 2] - 2 * k
    return st // 2, np.where(st % 2, -1.0, 1.0), te // 2, np.where(te % 2, -1.0, 1.0)


def orbit(Q, M, a, sym: Symmetry, tol: float = 1e-6) -> Orbit:
    """The :class:`Orbit` of the point with overlaps ``(Q, M, a)`` (``a`` None for a fixed
    second layer); values within ``tol`` (relative) count as equal. Cheap: the stabiliser is
    searched when ``size`` (or the stabiliser) is first asked for."""
    return Orbit(graph=_raw_graph(Q, M, a, sym), tol=float(tol), sym=sym)


def same_orbit(o1: Orbit, o2: Orbit) -> bool:
    """Whether the points of two :class:`Orbit` values are on one orbit: their point graphs,
    coloured jointly to the larger tolerance, are isomorphic (and, with student rotations, the
    spectra of Q agree)."""
    g1, g2 = o1.graph, o2.graph
    tol = max(o1.tol, o2.tol)
    if g1.vkind.shape != g2.vkind.shape or g1.extra.shape != g2.extra.shape:
        return False
    if g1.extra.size and np.max(np.abs(g1.extra - g2.extra)) > tol * max(
        1.0, float(np.max(np.abs(g1.extra)))
    ):
        return False
    c1, c2 = _colour([g1, g2], tol)
    return find_isomorphism(c1, c2) is not None


def _signature(Q, M, a, sym: Symmetry) -> np.ndarray:
    Q, M = np.asarray(Q, float), np.asarray(M, float)
    M, Ps = _eigen_invariants(M, sym)
    flips = sym.sign_flips != "none" or sym.teacher_reflections
    parts = [np.linalg.eigvalsh((Q + Q.T) / 2), np.sort(np.diag(Q))]
    parts += [np.linalg.eigvalsh((P + P.T) / 2) for P in Ps]
    if M.size:
        parts.append(np.linalg.eigvalsh(M.T @ M))
        if not sym.student_rotations:
            parts.append(np.sort((np.abs(M) if flips else M).ravel()))
    if a is not None and not sym.student_rotations:
        a = np.asarray(a, float)
        parts.append(np.sort((np.abs(a) if sym.sign_flips == "odd" else a).ravel()))
    return np.concatenate(parts)


def overlap_signature(space, x, sym) -> np.ndarray:
    r"""A symmetry-invariant signature of ``x``: the spectrum and the sorted diagonal of
    :math:`Q=WW^\top`, the spectra of the Gram matrices :math:`P_i` in the rotated teacher
    eigenspaces, the spectrum of :math:`M^\top M` (:math:`M=WV^\top`, or :math:`M_F` with
    eigenspace rotations), the sorted entries of :math:`M` (absolute values under sign flips or
    teacher reflections; omitted under student rotations) and of the trainable second layer.
    Equal on an orbit (a necessary condition for two points to be on one orbit;
    :func:`same_orbit` decides)."""
    Q, M, a = space.overlaps(x)
    return _signature(Q, M, a if space.trainable else None, sym)


def orbit_key(space, x, sym: Symmetry, tol: float = 1e-6) -> Orbit:
    """The :class:`Orbit` of ``x``: two points are on one orbit when ``key1.same(key2)``."""
    Q, M, a = space.overlaps(x)
    return orbit(Q, M, a if space.trainable else None, sym, tol)
