r"""Isotypic spectra for any model at a point fixed by a Young subgroup
:math:`\Gamma=S_{p_1}\times\dots\times S_{p_r}`, from the representation on weight space.

The Jucys–Murphy elements :math:`X_j=\sum_{i<j}(i\,j)` of each block commute, and on the
Gelfand–Tsetlin vector of a standard Young tableau t of an irreducible :math:`\lambda` they act
by the contents :math:`c_t(j)` (column − row of the box holding j). The Hessian commutes with Γ,
hence with every :math:`X_j`, so it preserves each joint eigenspace :math:`E_t`; the eigenvalues
of H on :math:`E_t` (for one tableau t of each shape) are the eigenvalues of the λ-isotypic block,
each with multiplicity :math:`\dim\lambda` (hook length formula) in the full spectrum. The joint
eigenspaces come from one symmetric eigendecomposition of a random combination
:math:`\sum_jc_jX_j` (the :math:`X_j` are symmetric: transpositions act by orthogonal
involutions); contents are read off as :math:`u^\top X_ju`. No group element is listed: only the
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


def jucys_murphy_spectrum(H, transposition, blocks, *, seed: int = 0, tol: float = 1e-6):
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
    rng = np.random.default_rng(seed)
    X = []  # (block, j, matrix)
    for a, p in enumerate(blocks):
        for j in range(1, p):
            X.append((a, j, sum(transposition(a, s, j) for s in range(j))))
    if not X:
        lam = np.linalg.eigvalsh((H + H.T) / 2)
        return [(float(v), 1, "trivial") for v in lam]
    A = sum(rng.uniform(1.0, 2.0) * np.sqrt(2.0) ** i * Xj for i, (_, _, Xj) in enumerate(X))
    w, U = np.linalg.eigh((A + A.T) / 2)
    # joint eigenspaces: clusters of eigenvalues of A (integer contents, generic weights)
    groups: dict = {}
    start = 0
    for i in range(1, n + 1):
        if i == n or abs(w[i] - w[start]) > tol * max(1.0, abs(w[start])):
            Ui = U[:, start:i]
            cont = tuple(int(round(float(Ui[:, 0] @ Xj @ Ui[:, 0]))) for _, _, Xj in X)
            groups.setdefault(cont, []).append(Ui)
            start = i
    out, total, chosen = [], 0, {}
    for cont, parts in groups.items():
        shapes = []
        pos = 0
        for p in blocks:
            shapes.append(shape_of_contents((0, *cont[pos : pos + p - 1])) if p >= 1 else ())
            pos += max(p - 1, 0)
        key = tuple(shapes)
        if key in chosen:
            continue  # one tableau per irreducible
        chosen[key] = cont
        Ut = np.concatenate(parts, axis=1)
        dim = math.prod(hook_dimension(s) for s in shapes)
        lam = np.linalg.eigvalsh(Ut.T @ H @ Ut)
        lab = _label(shapes, blocks)
        out += [(float(v), dim, lab) for v in lam]
        total += dim * len(lam)
    if total != n:  # pragma: no cover - a numerical failure of the clustering, not user error
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
