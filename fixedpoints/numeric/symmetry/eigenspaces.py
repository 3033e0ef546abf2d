r"""Rotations inside the eigenspaces of the teacher's quadratic forms: candidates for continuous
input symmetries beyond the rotations of the complement of the teacher span.

For a target :math:`f^*_o(x)=\sum_rb_{ro}\,\sigma(v_r\cdot x)` the rotation :math:`x\mapsto Rx`
leaves the population loss invariant when :math:`f^*\circ R=f^*`
(:math:`\mathcal L(WR^\top)=\mathcal L(W)`). Where the target is quadratic in the teacher
directions, :math:`f^*_o(x)=x^\top G_ox`+const with

.. math::

    G_o = V^\top\operatorname{diag}(b_{\cdot o})\,V \qquad (o=1..\text{outputs}),

this holds exactly for the orthogonal :math:`R` commuting with every :math:`G_o`: :math:`R` acts
inside each **joint eigenspace** :math:`E` of the :math:`G_o` (restricted to
:math:`\operatorname{span}V`; several outputs: the subspaces on which every :math:`G_o` acts as a
scalar). For other activations such a rotation is only a candidate (a teacher symmetry would
have to permute the :math:`v_r`): :func:`~fixedpoints.numeric.symmetry.group.detect_symmetry`
keeps :math:`O(E)` only if the loss is invariant at random points under two random elements
:math:`R_E` (one of determinant :math:`-1`), which generate a dense subgroup of :math:`O(E)`.

A point's invariants under :math:`\prod_iO(E_i)` follow from its overlaps
:math:`M=WV^\top`: with :math:`T=VV^\top`, :math:`WP_V=MT^+V` (:math:`P_V` the projector onto the
teacher span), so the Gram matrix of the students' components in :math:`E_i` (projector
:math:`\Pi_i`) and the overlaps with the rest :math:`F=\operatorname{span}V\ominus\bigoplus_iE_i`
of the teacher span are

.. math::

    P_i=W\Pi_iW^\top=MK_iM^\top,\quad K_i=T^+V\Pi_iV^\top T^+,\qquad
    M_F=WP_FV^\top=MJ,\quad J=I-\sum_iT^+V\Pi_iV^\top .

:math:`(Q, P_i, M_F)` are complete invariants of the rotations :math:`W\mapsto WR^\top`,
:math:`R\in\prod_iO(E_i)\times O(\text{complement})`.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.numeric.symmetry.automorphisms import cluster_labels

__all__ = ["eigenspace_forms", "eigenspace_label", "rotation_in", "teacher_eigenspaces"]


def teacher_eigenspaces(V, b, tol: float = 1e-8) -> list:
    r"""The joint eigenspaces of dimension :math:`\ge2` of the teacher's quadratic forms.

    Parameters
    ----------
    V : array (m, d)
        Teacher vectors.
    b : array (m,) or (m, outputs)
        Teacher second layer.
    tol : float
        Relative tolerance for equal eigenvalues and for a scalar action.

    Returns
    -------
    list of (array (n, d), float)
        An orthonormal basis (rows) of each eigenspace inside :math:`\operatorname{span}V` on
        which every :math:`G_o=V^\top\operatorname{diag}(b_{\cdot o})V` acts as a scalar, and
        the eigenvalue of the first output's form there. Eigenspaces of a generic combination
        :math:`\sum_oc_oG_o` that some :math:`G_o` does not preserve, or acts on as a
        non-scalar, are left out.
    """
    V = np.asarray(V, dtype=float)
    m = V.shape[0]
    if m < 2:
        return []
    b = np.asarray(b, dtype=float).reshape(m, -1)
    _, s, vt = np.linalg.svd(V)
    r = int(np.sum(s > 1e-10 * max(1.0, float(s.max()))))
    B = vt[:r]  # orthonormal rows spanning the teacher span
    X = V @ B.T  # teacher vectors in that basis
    forms = [X.T @ (b[:, o : o + 1] * X) for o in range(b.shape[1])]
    weights = 1.0 / (np.arange(len(forms)) + np.pi)  # generic, fixed
    lam, U = np.linalg.eigh(sum(c * G for c, G in zip(weights, forms, strict=True)))
    scale = max(1.0, max(float(np.abs(G).max()) for G in forms))
    labels = cluster_labels(lam / scale, tol)
    out = []
    for lab in np.unique(labels):
        idx = np.flatnonzero(labels == lab)
        if idx.size < 2:
            continue
        Ue = U[:, idx]
        ok = True
        for G in forms:
            A = Ue.T @ G @ Ue
            mu = float(np.trace(A)) / idx.size
            if np.abs(G @ Ue - mu * Ue).max() > 10 * tol * scale:  # E invariant, G scalar on it
                ok = False
        if ok:
            out.append((Ue.T @ B, float(np.trace(Ue.T @ forms[0] @ Ue)) / idx.size))
    return out


def rotation_in(U, rng, det: float = 1.0) -> np.ndarray:
    r"""A Haar-random orthogonal map of input space of determinant ``det`` inside the span of
    the orthonormal rows ``U``, the identity on its complement:
    :math:`R=I+U^\top(O-I)U`, :math:`O\in O(n)`."""
    n = U.shape[0]
    O, r = np.linalg.qr(rng.standard_normal((n, n)))
    O = O * np.sign(np.diag(r))
    if np.linalg.det(O) * det < 0:
        O[:, 0] = -O[:, 0]
    return np.eye(U.shape[1]) + U.T @ (O - np.eye(n)) @ U


def eigenspace_forms(V, bases) -> tuple:
    r"""``(K_1, …, K_p, J)`` (each m × m) of the module docstring: :math:`P_i=MK_iM^\top` and
    :math:`M_F=MJ` for the eigenspaces with orthonormal rows ``bases``; ``()`` for none."""
    if not bases:
        return ()
    V = np.asarray(V, dtype=float)
    Tp = np.linalg.pinv(V @ V.T)
    Ks, J = [], np.eye(V.shape[0])
    for U in bases:
        L = Tp @ (V @ U.T) @ (U @ V.T)
        Ks.append(L @ Tp)
        J = J - L
    return (*Ks, J)


def eigenspace_label(V, U, value: float) -> str:
    r"""``span{v1, v2}`` when the eigenspace with rows ``U`` is spanned by teacher vectors,
    otherwise ``eigenvalue 2``."""
    V = np.asarray(V, dtype=float)
    inside = [
        r
        for r in range(V.shape[0])
        if np.linalg.norm(V[r] - (V[r] @ U.T) @ U) <= 1e-8 * max(1.0, np.linalg.norm(V[r]))
        and np.linalg.norm(V[r]) > 1e-12
    ]
    if inside and np.linalg.matrix_rank(V[inside], tol=1e-8) == U.shape[0]:
        return "span{" + ", ".join(f"v{r + 1}" for r in inside) + "}"
    return f"eigenvalue {value:.6g}"
