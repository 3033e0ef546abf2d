r"""The symmetry group of a landscape, derived from the model: discrete generators with the exact
order, and the tangent vectors of the continuous part.

The discrete group is :math:`G=G_{\rm student}\times G_{\rm teacher}`:

* :math:`G_{\rm student}`: permutations of identical student neurons (equal fixed second-layer
  rows, or a trainable second layer), times sign flips by the student activation's parity
  (:func:`fixedpoints.kernels.activation_parity`): :math:`w_i\mapsto-w_i` (even) or
  :math:`(w_i,a_i)\mapsto(-w_i,-a_i)` (odd, trainable second layer). Order
  :math:`\prod_c n_c!\,(2^k)`.
* :math:`G_{\rm teacher}`: signed permutations :math:`v_r\mapsto\epsilon_rv_{\pi(r)}` that
  preserve the teacher Gram matrix, :math:`\epsilon_r\epsilon_sT_{\pi(r)\pi(s)}=T_{rs}` (so an
  orthogonal map of input space realises them), and the target,
  :math:`b_{\pi(r)}=b_r` with reflections (:math:`\epsilon_r=-1`) only for an even target
  activation, or :math:`b_{\pi(r)}=\epsilon_rb_r` for an odd one. They are the automorphisms of
  the coloured graph on the vertices :math:`\pm v_r` (:mod:`.automorphisms`): generators and the
  exact order come from its stabiliser chain, never from listing elements, for any number of
  teacher neurons.

Each generator is checked numerically: the loss is invariant at random points (1e-10 relative);
one that fails is dropped and named in ``failed``. Continuous symmetries:

* rotations of input space fixing the teacher (the complement of span V);
* rotations :math:`W\mapsto WR^\top`, :math:`R\in O(E)`, inside a joint eigenspace :math:`E`
  (dimension :math:`\ge2`) of the teacher's quadratic forms
  :math:`G_o=V^\top\operatorname{diag}(b_{\cdot o})V` restricted to span V
  (:mod:`.eigenspaces`), kept only where the loss is invariant under random such :math:`R`
  (e.g. a quadratic network whose :math:`Z^*` has a repeated eigenvalue; not, e.g., ReLU or erf
  teachers of equal norms, whose :math:`G` is a multiple of the projector onto span V), and only
  where every teacher generator preserves :math:`E`;
* student rotations :math:`W\mapsto RW`, :math:`R\in O(k)`, when the loss depends on
  :math:`W^\top W` only (detected numerically).

Orbits of points under this group: :mod:`fixedpoints.numeric.symmetry.orbits`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fixedpoints.numeric.symmetry.automorphisms import (
    AutomorphismGroup,
    ColouredGraph,
    automorphism_group,
    cluster_labels,
    row_ranks,
)
from fixedpoints.numeric.symmetry.eigenspaces import (
    eigenspace_forms,
    eigenspace_label,
    rotation_in,
    teacher_eigenspaces,
)

__all__ = [
    "Symmetry",
    "complement_basis",
    "detect_symmetry",
    "format_signed",
    "orthogonal_map",
    "symmetry_generators",
    "teacher_graph",
]

_TOL = 1e-9


def _row_labels(rows, tol: float = _TOL) -> np.ndarray:
    """Labels of rows of reals: each column clustered, equal label tuples share a label."""
    rows = np.asarray(rows, dtype=float)
    if rows.ndim == 1:
        rows = rows[:, None]
    if rows.shape[1] == 0:
        return np.zeros(rows.shape[0], dtype=np.int64)
    cols = np.stack([cluster_labels(rows[:, j], tol) for j in range(rows.shape[1])], axis=1)
    return row_ranks(cols)


def teacher_graph(T, b, parity: str, tol: float = _TOL) -> ColouredGraph:
    r"""The coloured graph whose automorphisms are :math:`G_{\rm teacher}`: vertices
    :math:`+v_r` (2r) and :math:`-v_r` (2r+1), coloured by :math:`(T_{rr}, \pm b_r)` (the sign of
    ``b`` flips for an odd target; without parity the two signs get different colours), a pair
    edge :math:`+v_r - -v_r`, edges :math:`\epsilon\eta T_{rs}` between :math:`\epsilon v_r` and
    :math:`\eta v_s`."""
    T = np.asarray(T, dtype=float)
    b = np.asarray(b, dtype=float).reshape(T.shape[0], -1)
    m = T.shape[0]
    sgn = np.tile([1.0, -1.0], m)
    idx = np.repeat(np.arange(m), 2)
    bsign = sgn if parity == "odd" else np.ones(2 * m)
    flag = (sgn < 0).astype(float) if parity == "none" else np.zeros(2 * m)
    colours = _row_labels(np.column_stack([np.diag(T)[idx], b[idx] * bsign[:, None], flag]), tol)
    vals = np.outer(sgn, sgn) * T[np.ix_(idx, idx)]
    E = 2 + cluster_labels(vals, tol).reshape(vals.shape)
    same = idx[:, None] == idx[None, :]
    E[same] = 1  # pair edge
    E[np.arange(2 * m), np.arange(2 * m)] = 0
    return ColouredGraph(colours, E)


def format_signed(gamma, name: str = "v") -> str:
    """Cycle notation of a permutation of the vertices ±u (+u_r at 2r, −u_r at 2r+1), e.g.
    ``(w1 w2)``, ``w3↦−w3``; ``""`` for the identity."""
    text = _format_signed(*_signed(gamma), name=name)
    return "" if text == "identity" else text


def _signed(gamma) -> tuple:
    """A vertex permutation of the ±v graph as ``(pi, eps)``: :math:`v_r\\mapsto\\epsilon_rv_{\\pi(r)}`."""
    g = np.asarray(gamma)
    plus = g[0::2]
    return tuple(int(p // 2) for p in plus), tuple(1 if p % 2 == 0 else -1 for p in plus)


def _format_signed(pi, eps, name: str = "v") -> str:
    """Cycle notation of a signed permutation: ``(v1 v2)``, ``v3↦−v3``, ``(v1 −v2)`` (``name``
    the letter of the vectors)."""
    m = len(pi)
    seen, parts = set(), []
    for r in range(m):
        if r in seen:
            continue
        cyc, s, sign = [], r, 1
        while s not in seen:
            seen.add(s)
            cyc.append(("" if sign > 0 else "−") + f"{name}{s + 1}")
            sign *= eps[s]
            s = pi[s]
        if len(cyc) == 1:
            if eps[r] < 0:
                parts.append(f"{name}{r + 1}↦−{name}{r + 1}")
        else:
            parts.append("(" + " ".join(cyc) + ")" + ("" if sign > 0 else "·flip"))
    return " ".join(parts) or "identity"


@dataclass(frozen=True)
class Symmetry:
    """The symmetry group of a landscape (see the module docstring).

    Attributes
    ----------
    k, m : int
        Student and teacher neurons.
    student_classes : tuple of int
        Class of each student neuron (equal classes may be permuted).
    sign_flips : str
        ``'none'``, ``'even'`` (flip w) or ``'odd'`` (flip w and a).
    teacher : AutomorphismGroup
        :math:`G_{\\rm teacher}` as permutations of the vertices ±v_r.
    target_parity : str
        Parity of the teacher activation.
    teacher_colouring : ColouredGraph
        The graph on ±v_r whose automorphisms are :math:`G_{\\rm teacher}` (:func:`teacher_graph`
        at the parity whose generators passed their check; all colours distinct when none did):
        the teacher part of every point graph.
    student_rotations : bool
    complement : int
        Dimension of the orthogonal complement of the teacher span.
    failed : tuple of str
        Generators dropped because the loss was not invariant under them.
    eigenspaces : tuple of (int, str)
        Dimension and label (``"span{v1, v2}"``) of each teacher eigenspace :math:`E_i` whose
        rotations :math:`O(E_i)` are symmetries (:mod:`.eigenspaces`).
    eigenspace_bases : tuple of array (n_i, d)
        Orthonormal rows spanning each :math:`E_i`.
    eigenspace_forms : tuple of array (m, m)
        :math:`(K_1,\\dots,K_p,J)`: the invariants :math:`P_i=MK_iM^\\top` and :math:`M_F=MJ` of a
        point (:func:`~.eigenspaces.eigenspace_forms`); ``()`` without eigenspace rotations.
    """

    k: int
    m: int
    student_classes: tuple
    sign_flips: str
    teacher: AutomorphismGroup
    target_parity: str
    student_rotations: bool
    complement: int
    failed: tuple = ()
    teacher_colouring: ColouredGraph = field(default=None, compare=False, repr=False)
    eigenspaces: tuple = ()
    eigenspace_bases: tuple = field(default=(), compare=False, repr=False)
    eigenspace_forms: tuple = field(default=(), compare=False, repr=False)

    @property
    def student_permutations(self) -> bool:
        """Whether some student neurons may be permuted."""
        return len(set(self.student_classes)) < self.k

    @property
    def student_order(self) -> int:
        """:math:`\\prod_cn_c!` (times :math:`2^k` with sign flips)."""
        sizes = np.unique(np.asarray(self.student_classes), return_counts=True)[1]
        perms = math.prod(math.factorial(int(c)) for c in sizes)
        return perms * (2**self.k if self.sign_flips != "none" else 1)

    @property
    def teacher_order(self) -> int:
        """:math:`|G_{\\rm teacher}|`."""
        return int(self.teacher.order)

    @property
    def teacher_reflections(self) -> bool:
        """Whether some teacher vector may be reflected (:math:`v_r\\mapsto-v_r` up to a
        permutation)."""
        return any(-1 in _signed(g)[1] for g in self.teacher.generators)

    @property
    def order(self) -> int:
        """Order of the discrete group: student × teacher; with student rotations the student
        part is continuous and only the teacher part counts. Teacher elements inside the
        eigenspace rotations :math:`O(E_i)` still count: they fix every point's invariants, so
        an orbit's size :math:`|G|/|G_x|` counts the distinct critical manifolds it holds."""
        if self.student_rotations:
            return self.teacher_order
        return self.student_order * self.teacher_order

    @property
    def exact(self) -> bool:
        """Whether the order is exact (the automorphism search completed)."""
        return bool(self.teacher.exact)

    @property
    def truncated(self) -> bool:
        """Whether counts are lower bounds (never, unless the automorphism search gave up)."""
        return not self.exact

    def teacher_generators(self) -> list:
        """Generators of :math:`G_{\\rm teacher}` as signed permutations ``(pi, eps)``."""
        return [_signed(g) for g in self.teacher.generators]

    def generators(self) -> list:
        """Generators as text: ``(w1 w2)``, ``(w1 w2 … wk)``, ``w1↦−w1``, teacher signed
        permutations in cycle notation, continuous parts by name."""
        out = []
        cls = np.asarray(self.student_classes)
        if not self.student_rotations:
            for c in np.unique(cls):
                members = np.flatnonzero(cls == c) + 1
                if len(members) >= 2:
                    out.append(f"(w{members[0]} w{members[1]})")
                if len(members) >= 3:
                    out.append("(" + " ".join(f"w{i}" for i in members) + ")")
            if self.sign_flips == "even":
                out.append("w1↦−w1")
            elif self.sign_flips == "odd":
                out.append("(w1,a1)↦(−w1,−a1)")
        out += [_format_signed(pi, eps) for pi, eps in self.teacher_generators()]
        for n, label in self.eigenspaces:
            out.append(f"O({n}) rotations of the teacher eigenspace {label} W↦WRᵀ")
        if self.student_rotations:
            out.append(f"O({self.k}) student rotations W↦RW")
        if self.complement > 1:
            out.append(f"O({self.complement}) input rotations fixing span V")
        return out

    def describe(self) -> str:
        """One line: the parts and the order of the discrete group."""
        parts = []
        if self.student_permutations and not self.student_rotations:
            sizes = np.unique(np.asarray(self.student_classes), return_counts=True)[1]
            parts.append("×".join(f"S{int(c)}" for c in sizes if c > 1) + " student permutations")
        if self.sign_flips != "none" and not self.student_rotations:
            parts.append(f"sign flips ({self.sign_flips} activation)")
        if self.teacher_order > 1:
            kind = "signed permutations" if self.teacher_reflections else "permutations"
            parts.append(f"teacher {kind} (order {self.teacher_order})")
        for n, label in self.eigenspaces:
            parts.append(f"O({n}) rotations of the teacher eigenspace {label}")
        if self.student_rotations:
            parts.append(f"O({self.k}) student rotations")
        if self.complement > 1:
            parts.append(f"O({self.complement}) input rotations fixing the teacher")
        text = ", ".join(parts) or "trivial"
        return f"{text}; discrete order {self.order}"

    def to_dict(self) -> dict:
        """``{'order', 'generators', 'exact', 'description'}`` (the order as an exact int)."""
        return {
            "order": int(self.order),
            "generators": self.generators(),
            "exact": self.exact,
            "description": self.describe(),
        }


def orthogonal_map(V, pi, eps) -> np.ndarray:
    r"""An orthogonal O of input space with :math:`Ov_r=\epsilon_rv_{\pi(r)}`, the identity on
    the complement of span V."""
    V = np.asarray(V, dtype=float)
    img = np.asarray(eps, dtype=float)[:, None] * V[list(pi)]
    P = np.linalg.pinv(V)  # (d, m): P V x = projection of x onto span V
    O = img.T @ P.T  # maps v_r ↦ image, kills the complement
    d = V.shape[1]
    O = O + (np.eye(d) - V.T @ P.T)
    return O


def detect_symmetry(space, *, seed: int = 0) -> Symmetry:
    """The symmetry group of ``space`` (a :class:`~fixedpoints.numeric.landscape.Landscape`):
    derived from its kernels' arrays and parities, each generator checked on random points."""
    rng = np.random.default_rng(seed)
    k, m = space.k, space.m
    kern = space.kernels
    pts = [space.random_start(rng) for _ in range(3)]

    def invariant(f):
        for x in pts:
            W, a = space.unpack(x)
            l0 = float(space.loss(x))
            W2, a2 = f(W, a)
            l1 = float(space.loss(space.pack(W2, a2)))
            if not abs(l1 - l0) <= 1e-10 * max(1.0, abs(l0)):
                return False
        return True

    failed = []
    student_parity, target_parity = getattr(kern, "parity", ("none", "none"))
    if space.trainable:
        classes = np.zeros(k, dtype=np.int64)
    else:
        classes = _row_labels(np.asarray(kern.a, dtype=float).reshape(k, -1))
    for c in np.unique(classes):
        members = np.flatnonzero(classes == c)
        if len(members) >= 2:
            perm = np.arange(k)
            perm[members] = np.roll(members, 1)
            if not invariant(lambda W, a, p=perm: (W[p], None if a is None else a[p])):
                failed.append("student permutations")
                classes = np.arange(k)
                break
    flips = "none"
    s = np.ones(k)
    s[0] = -1.0
    if student_parity == "even":
        flips = "even"
    elif student_parity == "odd" and space.trainable:
        flips = "odd"
    if flips == "even" and not invariant(lambda W, a: (W * s[:, None], a)):
        failed.append("w1↦−w1")
        flips = "none"
    if flips == "odd" and not invariant(lambda W, a: (W * s[:, None], a * s[:, None])):
        failed.append("(w1,a1)↦(−w1,−a1)")
        flips = "none"
    trivial = AutomorphismGroup(generators=(), order=1, base=(), orbit_lengths=())

    def failing(group):
        bad = []
        for pi, eps in (_signed(g) for g in group.generators):
            O = orthogonal_map(space.V, pi, eps)
            if not invariant(lambda W, a, O=O: (W @ O.T, a)):
                bad.append(_format_signed(pi, eps))
        return bad

    # the teacher graph's group; without reflections if a generator fails; else trivial
    tgroup = trivial
    colouring = ColouredGraph(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.int64))
    if m:  # all colours distinct: no teacher symmetry, unless a graph below passes
        colouring = ColouredGraph(np.arange(2 * m), teacher_graph(kern.T, kern.b, "none").edges)
    for parity in dict.fromkeys((target_parity, "none")) if m else ():
        graph = teacher_graph(kern.T, kern.b, parity)
        group = automorphism_group(graph)
        bad = failing(group)
        if not bad:
            tgroup, colouring = group, graph
            break
        failed += bad
    rot = False
    if k > 1 and not space.trainable and not space.spherical:
        R, _ = np.linalg.qr(rng.standard_normal((k, k)))
        rot = invariant(lambda W, a: (R @ W, a))
    comp = space.d - (int(np.linalg.matrix_rank(space.V)) if m else 0)
    maps = [orthogonal_map(space.V, pi, eps) for pi, eps in map(_signed, tgroup.generators)]
    eigen = []
    for U, value in teacher_eigenspaces(space.V, kern.b) if m else ():
        P = U.T @ U  # the teacher group must preserve E (so that it normalises O(E))
        if any(np.abs(O @ P - P @ O).max() > 1e-8 for O in maps):
            continue
        Rs = [rotation_in(U, rng, det) for det in (1.0, -1.0)]
        if all(invariant(lambda W, a, R=R: (W @ R.T, a)) for R in Rs):
            eigen.append((U, eigenspace_label(space.V, U, value)))
    return Symmetry(
        k=k,
        m=m,
        student_classes=tuple(int(c) for c in classes),
        sign_flips=flips,
        teacher=tgroup,
        target_parity=target_parity,
        student_rotations=bool(rot),
        complement=int(comp),
        failed=tuple(failed),
        teacher_colouring=colouring,
        eigenspaces=tuple((U.shape[0], label) for U, label in eigen),
        eigenspace_bases=tuple(U for U, _ in eigen),
        eigenspace_forms=eigenspace_forms(space.V, [U for U, _ in eigen]) if eigen else (),
    )


def symmetry_generators(space, x, sym: Symmetry) -> np.ndarray:
    r"""Tangent vectors (rows, weight coordinates) of the continuous symmetries at ``x``: input
    rotations :math:`\delta W=W\Omega` with :math:`\Omega=u_pu_q^\top-u_qu_p^\top` for pairs of
    an orthonormal basis :math:`u` of the complement of the teacher span or of a teacher
    eigenspace :math:`E_i` (:attr:`Symmetry.eigenspaces`), and student rotations
    :math:`\delta W=\Omega W`."""
    W, a = space.unpack(x)
    gens = []
    # orthonormal bases of the complement of the teacher span and of the teacher eigenspaces
    bases = [complement_basis(space)] if sym.complement > 1 else []
    for U in [*bases, *sym.eigenspace_bases]:
        for p in range(U.shape[0]):
            for q in range(p + 1, U.shape[0]):
                omega = np.outer(U[p], U[q]) - np.outer(U[q], U[p])
                gens.append(space.pack(W @ omega, None if a is None else np.zeros_like(a)))
    if sym.student_rotations:
        for p in range(space.k):
            for q in range(p + 1, space.k):
                omega = np.zeros((space.k, space.k))
                omega[p, q], omega[q, p] = 1.0, -1.0
                gens.append(space.pack(omega @ W, None if a is None else np.zeros_like(a)))
    return np.array(gens) if gens else np.zeros((0, space.dimension))


def complement_basis(space) -> np.ndarray:
    """Orthonormal rows spanning the orthogonal complement of the teacher span in input space."""
    if not space.m:
        return np.eye(space.d)
    _, s, vt = np.linalg.svd(space.V)
    r = int(np.sum(s > 1e-10 * max(1.0, s.max())))
    return vt[r:]
