r"""Isotypic spectra for any model at a point fixed by a Young subgroup
:math:`\Gamma=S_{p_1}\times\dots\times S_{p_r}`, from the representation on weight space.

The Jucys–Murphy elements :math:`X_j=\sum_{i<j}(i\,j)` of each block commute, and on the
Gelfand–Tsetlin vector of a standard Young tableau t of an irreducible :math:`\lambda` they act
by the contents :math:`c_t(j)` (column − row of the box holding j). The Hessian commutes with Γ,
hence with every :math:`X_j`, so it preserves each joint eigenspace :math:`E_t`; the eigenvalues
of H on :math:`E_t` (for one tableau t of each shape) are the eigenvalues of the λ-isotypic block,
each with multiplicity :math:`\dim\lambda` (hook length formula) in the full spectrum. The joint
eigenspaces come from the :math:`X_j` one at a time (they are symmetric: transpositions act by
orthogonal involutions): each space found so far is split by the eigenvalues of the next
:math:`X_j` restricted to it, which are the integer contents. No group element is listed: only the
:math:`\sum_ap_a(p_a-1)/2` transpositions. Dense eigenvalues stay the oracle (tests).
"""

from __future__ import annotations

import math

import numpy as np

from fixedpoints.numeric.symmetry.orbits import young_transpositions
from fixedpoints.numeric.symmetry.subspace import weight_map

__all__ = ["hook_dimension", "jucys_murphy_spectrum", "shape_of_contents", "stabiliser_spectrum"]


def hook_dimension(shape) -> int:
    """Dimension of the irreducible :math:`\\lambda` of :math:`S_n`: :math:`n!/\\prod` hooks."""
    shape = [int(p) for p in shape if p > 0]
    n = sum(shape)
    cols = [sum(1 for r in shape if r > c) for c in range(shape[0])] if shape else []
    hooks = 1
    for i, row in enumerate(shape):
        for j in range(row):
            hooks *= (row - j - 1) + (cols[j] - i - 1) + 1
    return math.factorial(n) // hooks


def shape_of_contents(contents) -> tuple:
    """The shape of the standard tableau with content vector ``contents`` (box of 1 first,
    content 0): each j goes to the row whose next box has content :math:`c_j`."""
    rows: list[int] = []
    for c in contents:
        for i in range(len(rows) + 1):
            length = rows[i] if i < len(rows) else 0
            if length - i == c and (i == 0 or rows[i - 1] > length):
                if i == len(rows):
                    rows.append(1)
                else:
                    rows[i] += 1
                break
        else:
            raise ValueError(f"not a content vector of a standard tableau: {list(contents)}")
    return tuple(rows)


def _label(shapes, blocks) -> str:
    if all(len(s) == 1 for s in shapes):
        return "trivial"
    return "⊗".join(
        "(" + ",".join(map(str, s)) + ")" for s, p in zip(shapes, blocks, strict=True) if p >= 2
    )


def _joint_eigenspaces(X, n, blocks):
    """One joint eigenspace of the Jucys–Murphy elements ``X`` (block by block, :math:`X_1..X_{p-1}`
    of each) per irreducible of the Young subgroup: one matrix at a time, each space kept so far
    is split by the eigenvalues of the next matrix restricted to it, rounded to the integer
    contents (no clustering tolerance: one random combination of all of them, clustered, merged
    nearby joint eigenvalues once there were many, e.g. S_11 x S_6 on 289 weights), and of the
    spaces whose partial tableaux have the same shapes only the first is kept (every shape that
    contains a partial shape completes any tableau of it). Returns ``[(basis (n, m), shapes)]``,
    the shapes of each block's tableau.
    """
    ends = np.cumsum([max(p - 1, 0) for p in blocks])
    spaces = [(np.eye(n), (), _shapes((), blocks, ends))]
    for Xj in X:
        split, seen = [], set()
        for U, cont, _ in spaces:
            M = U.T @ Xj @ U
            w, V = np.linalg.eigh((M + M.T) / 2)
            c = np.rint(w)
            if np.abs(w - c).max() > 0.25:  # pragma: no cover - not a Jucys-Murphy element
                raise RuntimeError("Jucys-Murphy element with a non-integer eigenvalue")
            for value in np.unique(c):
                new = (*cont, int(value))
                key = _shapes(new, blocks, ends)
                if key not in seen:
                    seen.add(key)
                    split.append((U @ V[:, c == value], new, key))
        spaces = split
    return [(U, shapes) for U, _, shapes in spaces]


def _shapes(cont, blocks, ends) -> tuple:
    """The shapes of the (partial) standard tableaux with the contents ``cont``, block by block
    (``ends``: where each block's contents end in ``cont``; a block not reached yet: one box)."""
    out, pos = [], 0
    for p, end in zip(blocks, ends, strict=True):
        out.append(shape_of_contents((0, *cont[pos : min(end, len(cont))])) if p >= 1 else ())
        pos = end
    return tuple(out)


def jucys_murphy_spectrum(H, transposition, blocks):
    """The Hessian spectrum by isotypic components of the Young subgroup.

    Parameters
    ----------
    H : array (n, n)
        Symmetric, commuting with the action.
    transposition : callable
        ``transposition(a, s, t)``: the (n, n) matrix of the transposition of the s-th and t-th
        index of block a.
    blocks : sequence of int
        Block sizes :math:`p_a`.

    Returns
    -------
    list of (eigenvalue, multiplicity, label)
        Sorted by eigenvalue; multiplicities add up to n (checked).
    """
    H = np.asarray(H, dtype=float)
    n = H.shape[0]
    X = []  # (block, j, matrix)
    for a, p in enumerate(blocks):
        for j in range(1, p):
            X.append((a, j, sum(transposition(a, s, j) for s in range(j))))
    if not X:
        lam = np.linalg.eigvalsh((H + H.T) / 2)
        return [(float(v), 1, "trivial") for v in lam]
    out, total = [], 0
    blocks = list(blocks)
    for Ut, shapes in _joint_eigenspaces([Xj for _, _, Xj in X], n, blocks):
        dim = math.prod(hook_dimension(s) for s in shapes)
        lam = np.linalg.eigvalsh(Ut.T @ H @ Ut)
        lab = _label(shapes, blocks)
        out += [(float(v), dim, lab) for v in lam]
        total += dim * len(lam)
    if total != n:  # pragma: no cover - a numerical failure, not user error
        raise RuntimeError(f"isotypic decomposition covers {total} of {n} dimensions")
    return sorted(out, key=lambda t: t[0])


def stabiliser_spectrum(space, x, orbit, H=None):
    """The isotypic spectrum (:func:`jucys_murphy_spectrum`) at a weight-space point whose
    stabiliser is a Young subgroup, its transpositions found on the point graph
    (:func:`~fixedpoints.numeric.symmetry.orbits.young_transpositions`) and acting on weight
    space (:func:`~fixedpoints.numeric.symmetry.subspace.weight_map`); None when the stabiliser
    is not a Young subgroup or the neurons are spherical (the Hessian is then Riemannian)."""
    if space.spherical:
        return None
    found = young_transpositions(orbit)
    if found is None:
        return None
    blocks, element = found

    def transposition(a, s, t):
        perm, signs, rho, eps = element(a, s, t)
        return weight_map(space, perm=perm, signs=signs, teacher=(rho, eps) if space.m else None)

    H = space.hessian(x) if H is None else H
    return jucys_murphy_spectrum(H, transposition, [len(b) for b in blocks])
