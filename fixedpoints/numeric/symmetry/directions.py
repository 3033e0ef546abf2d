r"""Directions out of a critical point, modulo its stabiliser.

At a critical point :math:`x^*` with stabiliser :math:`G_x` (the group elements g with
:math:`R_gx^*=x^*`, :func:`stabiliser_maps`) every Hessian eigenspace E is :math:`G_x`-invariant,
and the gradient flow commutes with every :math:`R_g`: the flow from :math:`x^*+\varepsilon R_gu`
is :math:`R_g` applied to the flow from :math:`x^*+\varepsilon u`. Its end point lies on the same
orbit, after the same time, so of the directions :math:`\{R_gu\}` only one needs integrating.

A basis of E chosen by LAPACK is in general not closed under :math:`G_x`. The **projected axes**

.. math::

    \hat u_c=\frac{P_Ee_c}{\|P_Ee_c\|},\qquad P_E=U_EU_E^\top,\quad c=1,\dots,\dim,
    \ P_Ee_c\neq0,

are: every :math:`R_g` is a signed permutation of the coordinate axes that commutes with
:math:`P_E`, so :math:`R_g\hat u_c=\pm\hat u_{g(c)}`. They span E (the columns of :math:`P_E`),
do not depend on the basis LAPACK returns, and each is fixed by the stabiliser of its axis,
so its flow stays in a fixed-point subspace (the axial directions of the equivariant
branching lemma, where the stabiliser is large). :func:`symmetric_directions` returns them
(both signs, duplicates merged) grouped into :math:`G_x`-orbits by union–find over the
generators. Where the projected axes have more orbits than the eigenspace has basis
directions (a small stabiliser), the eigenvectors themselves (both signs) are used, their
orbits merged the same way, so a direction set never has more orbits than
:math:`2\dim E`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fixedpoints.numeric.symmetry.group import complement_basis
from fixedpoints.numeric.symmetry.orbits import Orbit, signed_action
from fixedpoints.numeric.symmetry.subspace import weight_map

__all__ = [
    "DirectionOrbits",
    "classes_basis",
    "classes_projector",
    "fixed_space_classes",
    "project_classes",
    "signed_permutation",
    "stabiliser_maps",
    "symmetric_directions",
]


def stabiliser_maps(space, x, o: Orbit, tol: float = 1e-6) -> list:
    r"""The generators of the stabiliser of ``x`` (its :class:`~.orbits.Orbit` ``o``) as
    orthogonal matrices of weight space, each checked to fix x:
    :math:`\|Rx-x\|\le` ``tol`` :math:`\cdot\max(1,\|x\|)`.

    A generator fixes the overlaps; as a map :math:`R_g` (:func:`~.subspace.weight_map`) it may
    move the students' components :math:`X_c` in the complement of the teacher span, which the
    overlaps do not see. It is then composed with the orthogonal map Ω of the complement (a
    symmetry too) that brings them back: the orthogonal Procrustes solution
    :math:`\Omega=UV^\top` from :math:`X_c^\top(R_gX)_c=USV^\top`. A generator that still
    fails (e.g. one that needs a rotation inside a degenerate teacher eigenspace) is left out,
    which only merges fewer directions. Empty for rotation-invariant models (the point graph
    has no student vertices)."""
    if o.graph.extra.size:
        return []
    x = np.asarray(x, dtype=float)
    scale = tol * max(1.0, float(np.linalg.norm(x)))
    C = complement_basis(space) if space.m < space.d else np.zeros((0, space.d))
    W0 = np.asarray(space.unpack(x)[0]).reshape(space.k, space.d)
    maps = []
    for gen in o.stabilizer:
        perm, signs, rho, eps = signed_action(gen, space.k)
        R = weight_map(space, perm=perm, signs=signs, teacher=(rho, eps) if space.m else None)
        if C.shape[0] and np.linalg.norm(R @ x - x) > scale:
            W1 = np.asarray(space.unpack(R @ x)[0]).reshape(space.k, space.d)
            u, _, vt = np.linalg.svd((W0 @ C.T).T @ (W1 @ C.T))
            O = np.eye(space.d) - C.T @ C + C.T @ (u @ vt) @ C  # w ↦ O w
            R = _input_map(space, O) @ R
        if np.linalg.norm(R @ x - x) <= scale:
            maps.append(R)
    return maps


def _input_map(space, O) -> np.ndarray:
    r"""The weight-space matrix of :math:`w_i\mapsto Ow_i` (second layer unchanged)."""
    W, a = space.unpack(np.eye(space.dimension))
    return space.pack(W @ O.T, a).T


@dataclass(frozen=True)
class DirectionOrbits:
    """Unit directions in one eigenspace, grouped into stabiliser orbits.

    Attributes
    ----------
    vectors : ndarray (n, dimension)
        All directions (both signs, no two equal).
    orbit : ndarray (n,)
        The orbit of each direction, numbered 0, 1, … in order of first member.
    axes : ndarray (n,)
        The coordinate axis c a direction projects (:math:`\\hat u_c`, sign in ``signs``), or
        -1 for an eigenvector.
    signs : ndarray (n,)
        +1 or -1.
    """

    vectors: np.ndarray
    orbit: np.ndarray
    axes: np.ndarray
    signs: np.ndarray
    action: tuple = ()

    def fixed_classes(self, i: int, maps):
        r"""The fixed space of :math:`\Sigma`, the stabiliser of direction ``i`` in the group
        generated by ``maps``, as signed coordinate classes (:func:`fixed_space_classes`): the
        subspace the flow from :math:`x^*+\varepsilon u_i` never leaves. None when it is not
        computed here (a map that is not a signed permutation of the coordinates, or a
        direction set not closed under the maps)."""
        return fixed_space_classes(self, i, maps)

    @property
    def representatives(self) -> np.ndarray:
        """Index of the first member of each orbit."""
        _, first = np.unique(self.orbit, return_index=True)
        return first

    @property
    def sizes(self) -> np.ndarray:
        """Members of each orbit."""
        return np.bincount(self.orbit)


def _orbits(D, maps, tol) -> tuple:
    """Orbits of the rows of D under the maps (row i ~ row j when R D_i = D_j: the connected
    components, :func:`scipy.sparse.csgraph.connected_components`), numbered in order of
    first member, and per map the image index of every row (-1: not a row)."""
    n = D.shape[0]
    j = np.arange(n)
    action, src, dst = [], [j], [j]
    for R in maps:
        S = D @ (D @ R.T).T  # S[i, j] = D_i · R D_j
        i = np.argmax(S, axis=0)
        hit = S[i, j] >= 1 - tol
        action.append(np.where(hit, i, -1))
        src.append(j[hit])
        dst.append(i[hit])
    src, dst = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return np.unique(label, return_inverse=True)[1].ravel(), tuple(action)


def symmetric_directions(U, maps, *, tol: float = 1e-8) -> DirectionOrbits:
    r"""The projected axes of the eigenspace spanned by the orthonormal rows of ``U`` (both
    signs, merged where equal), grouped into orbits of the group generated by ``maps`` (module
    docstring); the eigenvectors ``±U`` instead where those give fewer orbits.

    Parameters
    ----------
    U : array (m, dimension)
        Orthonormal rows spanning a subspace invariant under every map.
    maps : sequence of arrays (dimension, dimension)
        Orthogonal signed permutation matrices (:func:`stabiliser_maps`).
    tol : float
        Two unit directions are one when their inner product is :math:`\ge1-` ``tol``.

    Returns
    -------
    DirectionOrbits
    """
    U = np.atleast_2d(np.asarray(U, dtype=float))
    m = U.shape[0]
    P = U.T @ U  # projector; column c is P e_c
    norms = np.linalg.norm(P, axis=0)
    axes = np.flatnonzero(norms > 1e-6 * max(1.0, float(norms.max(initial=0.0))))
    C = (P[:, axes] / norms[axes]).T
    # one representative of each set of parallel projected axes
    keep = []
    G = np.abs(C @ C.T) >= 1 - tol
    taken = np.zeros(len(axes), dtype=bool)
    for i in range(len(axes)):
        if not taken[i]:
            keep.append(i)
            taken |= G[i]
    C, axes = C[keep], axes[keep]
    vectors = np.concatenate([C, -C])
    orbit, action = _orbits(vectors, maps, tol)
    if orbit.max(initial=-1) + 1 <= 2 * m:
        signs = np.repeat([1.0, -1.0], len(axes))
        return DirectionOrbits(vectors, orbit, np.tile(axes, 2), signs, action)
    vectors = np.concatenate([U, -U])
    orbit, action = _orbits(vectors, maps, tol)
    return DirectionOrbits(vectors, orbit, np.full(2 * m, -1), np.repeat([1.0, -1.0], m), action)


def signed_permutation(R, tol: float = 1e-12):
    r"""``(pi, s)`` with :math:`Re_j=s_je_{\pi(j)}`, or None when R is not a signed permutation
    matrix."""
    R = np.asarray(R)
    pi = np.argmax(np.abs(R), axis=0)
    j = np.arange(R.shape[1])
    s = R[pi, j]
    if not (np.all(np.abs(np.abs(s) - 1) <= tol) and np.count_nonzero(np.abs(R) > tol) == len(j)):
        return None
    return pi, np.sign(s)


def _compose(g2, g1):
    """Signed permutations: g2 ∘ g1 (apply g1 first)."""
    (p2, s2), (p1, s1) = g2, g1
    return p2[p1], s1 * s2[p1]


def _inverse(g):
    p, s = g
    q, t = np.empty_like(p), np.empty_like(s)
    q[p], t[p] = np.arange(len(p)), s
    return q, t


def fixed_space_classes(D: DirectionOrbits, i: int, maps):
    r"""The fixed space of :math:`\Sigma=\{g:R_gu_i=u_i\}` as ``(labels, signs)``.

    Schreier's lemma: with :math:`t_v` mapping :math:`u_i` to each :math:`u_v` of its orbit
    (breadth first over the generators' action on the directions), the elements
    :math:`t_{gv}^{-1}\,g\,t_v` generate Σ. For signed permutations
    :math:`e_j\mapsto s_je_{\pi(j)}` the fixed space is read off the classes of the signed
    coordinates :math:`\pm e_j` they connect (:func:`scipy.sparse.csgraph.connected_components`):
    a coordinate connected to its own negative is 0 (label -1), the others fall into classes
    c = 0, 1, … with signs :math:`\sigma_j`, and the fixed vectors are those with
    :math:`y_j=\sigma_jz_{c(j)}`. The projector onto it averages :math:`\sigma_jy_j` over each
    class (:func:`project_classes`, :func:`classes_projector`).

    Returns
    -------
    (labels, signs) : int array (dimension,), float array (dimension,)
        Or None when a map is not a signed permutation or the direction set is not closed
        under the maps.
    """
    gens = [signed_permutation(R) for R in maps]
    if any(g is None for g in gens) or any(np.any(a < 0) for a in D.action):
        return None
    dim = D.vectors.shape[1]
    ident = (np.arange(dim), np.ones(dim))
    transversal = {int(i): ident}
    queue = [int(i)]
    schreier = {}
    while queue:
        v = queue.pop()
        for g, act in zip(gens, D.action, strict=True):
            w = int(act[v])
            gt = _compose(g, transversal[v])
            if w not in transversal:
                transversal[w] = gt
                queue.append(w)
                continue
            h = _compose(_inverse(transversal[w]), gt)
            if not (np.array_equal(h[0], ident[0]) and np.all(h[1] > 0)):
                schreier[h[0].tobytes() + h[1].tobytes()] = h
    if not schreier:
        return ident[0].copy(), ident[1].copy()
    j = np.arange(dim)
    src, dst = [], []
    for p, sg in schreier.values():
        flip = (sg < 0).astype(int)
        src += [2 * j, 2 * j + 1]
        dst += [2 * p + flip, 2 * p + 1 - flip]
    src, dst = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(src.size), (src, dst)), shape=(2 * dim, 2 * dim))
    _, label = connected_components(graph, directed=False)
    plus, minus = label[0::2], label[1::2]
    live = plus != minus
    key = np.minimum(plus, minus)
    labels = np.full(dim, -1)
    labels[live] = np.unique(key[live], return_inverse=True)[1].ravel()
    signs = np.where(live & (plus == key), 1.0, np.where(live, -1.0, 0.0))
    return labels, signs


def classes_basis(labels, signs) -> np.ndarray:
    r"""Orthonormal columns spanning :func:`fixed_space_classes`' fixed space (one per class:
    :math:`\sigma_j/\sqrt{|C|}` on its coordinates)."""
    labels, signs = np.asarray(labels), np.asarray(signs, dtype=float)
    live = np.flatnonzero(labels >= 0)
    B = np.zeros((len(labels), int(labels.max(initial=-1)) + 1))
    B[live, labels[live]] = signs[live]
    return B / np.maximum(np.linalg.norm(B, axis=0), 1e-300)


def classes_projector(labels, signs) -> np.ndarray:
    """The dense orthogonal projector :math:`BB^\top` of :func:`fixed_space_classes`' fixed
    space (:func:`classes_basis`)."""
    B = classes_basis(labels, signs)
    return B @ B.T


def project_classes(Y, labels, signs) -> np.ndarray:
    r"""Each row of ``Y`` (n, dimension) projected onto its fixed space, given as the rows of
    ``labels`` and ``signs`` (n, dimension; :func:`fixed_space_classes`):
    :math:`y_j\mapsto\sigma_j\,\overline{\sigma y}_{c(j)}`, the mean over the class (0 for
    label -1). O(n·dimension)."""
    Y = np.asarray(Y, dtype=float)
    n, dim = Y.shape
    width = dim + 1  # room for every class and the zero class of each row
    glob = np.where(labels >= 0, labels, dim) + width * np.arange(n)[:, None]
    sums = np.bincount(glob.ravel(), weights=(signs * Y).ravel(), minlength=n * width)
    counts = np.bincount(glob.ravel(), minlength=n * width)
    mean = sums / np.maximum(counts, 1)
    return np.where(labels >= 0, signs * mean[glob], 0.0)
