r"""Orbits of points under a landscape's symmetry group: canonical forms (with orbit sizes and
stabiliser orders), symmetry-invariant overlap signatures, and orbit keys.

Points are compared in overlap coordinates :math:`(Q, M, a)`, which are invariant under the input
rotations fixing the teacher; with student rotations, in the invariants
:math:`(\operatorname{spec}Q, M^\top M, M^\top QM)`. The orbit size of a point is the number of
distinct images under the discrete group (:class:`~fixedpoints.numeric.symmetry.group.Symmetry`).
"""

from __future__ import annotations

import math

import numpy as np

from fixedpoints.numeric.symmetry.group import Symmetry

__all__ = ["canonical_form", "orbit_key", "overlap_signature"]


def _quantise(v, tol):
    return tuple(np.round(np.asarray(v, dtype=float).ravel() / tol).astype(np.int64))


def _student_canonical(Q, M, a, sym: Symmetry, tol: float):
    """Canonical form under student permutations and sign flips: each row sign-normalised (first
    entry of :math:`M_i` above ``tol`` positive), then rows sorted by :math:`(M_i, Q_{ii}, a_i)`
    quantised to ``tol``."""
    k = Q.shape[0]
    s = np.ones(k)
    if sym.sign_flips != "none":
        for i in range(k):
            nz = np.flatnonzero(np.abs(M[i]) > tol)
            if nz.size and M[i, nz[0]] < 0:
                s[i] = -1.0
    Q = Q * np.outer(s, s)
    M = M * s[:, None]
    if a is not None and sym.sign_flips == "odd":
        a = a * s[:, None]
    if sym.student_permutations and k > 1:
        keys = [
            (
                _quantise(M[i], tol),
                _quantise(Q[i, i], tol),
                _quantise(a[i], tol) if a is not None else (),
            )
            for i in range(k)
        ]
        order = sorted(range(k), key=lambda i: keys[i])
        Q, M = Q[np.ix_(order, order)], M[order]
        a = None if a is None else a[order]
    return Q, M, a


def canonical_form(Q, M, a, sym: Symmetry, tol: float = 1e-6):
    r"""``(vector, orbit_size, stabiliser_order)``: the canonical representative of the point's
    orbit under the discrete group (a flat vector; compare with a tolerance), the orbit size
    :math:`|G|/|G_x|`, and :math:`|G_x|`."""
    Q, M = np.asarray(Q, float), np.asarray(M, float)
    a = None if a is None else np.asarray(a, float)
    if sym.student_rotations:
        return _rotation_invariant_form(Q, M, sym, tol)
    forms = {}
    for p in sym.teacher_permutations:
        cq, cm, ca = _student_canonical(Q, M[:, list(p)], a, sym, tol)
        vec = np.concatenate([cq.ravel(), cm.ravel(), ca.ravel() if ca is not None else []])
        forms.setdefault(_quantise(vec, 10 * tol), vec)
    best = min(forms)
    vec = forms[best]
    k, m = Q.shape[0], M.shape[1]
    cq, cm = vec[: k * k].reshape(k, k), vec[k * k : k * k + k * m].reshape(k, m)
    stab_student = 1
    if sym.student_permutations:
        rows = {}
        for i in range(k):
            r = (_quantise(cq[i], 10 * tol), _quantise(cm[i], 10 * tol))
            rows[r] = rows.get(r, 0) + 1
        for c in rows.values():
            stab_student *= math.factorial(c)
    if sym.sign_flips != "none":
        # a flip of neuron i fixes the overlaps iff M_i = 0 and Q_ij = 0 (j != i)
        off = np.abs(cq - np.diag(np.diag(cq))) <= tol
        zero = np.all(np.abs(cm) <= tol, axis=1) & np.all(off, axis=1)
        stab_student *= 2 ** int(np.sum(zero))
    student_order = (math.factorial(k) if sym.student_permutations else 1) * (
        2**k if sym.sign_flips != "none" else 1
    )
    orbit = len(forms) * student_order // stab_student
    return vec, orbit, sym.order // max(orbit, 1)


def _rotation_invariant_form(Q, M, sym: Symmetry, tol: float):
    ev = np.sort(np.linalg.eigvalsh((Q + Q.T) / 2))
    forms = {}
    for p in sym.teacher_permutations:
        Mp = M[:, list(p)]
        vec = np.concatenate([ev, (Mp.T @ Mp).ravel(), (Mp.T @ Q @ Mp).ravel()])
        forms.setdefault(_quantise(vec, 10 * tol), vec)
    return forms[min(forms)], len(forms), 1


def overlap_signature(space, x, sym) -> np.ndarray:
    """A symmetry-invariant signature of ``x``: the spectrum and the sorted diagonal of
    :math:`Q=WW^\top`, the spectrum of :math:`M^\top M` (:math:`M=WV^\top`), the sorted entries
    of :math:`M` (absolute values under sign flips; omitted under student rotations) and of the
    trainable second layer. Equal on an orbit (a necessary condition for two points to be on one
    orbit, not a proof)."""
    Q, M, a = space.overlaps(x)
    flips = sym.sign_flips != "none"
    parts = [np.linalg.eigvalsh(Q), np.sort(np.diag(Q))]
    if M.size:
        parts.append(np.linalg.eigvalsh(M.T @ M))
        if not sym.student_rotations:
            parts.append(np.sort((np.abs(M) if flips else M).ravel()))
    if space.trainable:
        parts.append(np.sort((np.abs(a) if flips else a).ravel()))
    return np.concatenate(parts)


def orbit_key(space, x, sym: Symmetry, tol: float = 1e-6) -> np.ndarray:
    """The canonical overlap vector of the orbit of ``x`` (:func:`canonical_form`): two points
    are on one orbit when their keys agree (to a tolerance)."""
    Q, M, a = space.overlaps(x)
    return canonical_form(Q, M, a if space.trainable else None, sym, tol)[0]
