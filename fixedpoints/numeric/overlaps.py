r"""Weights ↔ overlaps: :math:`Q=WW^\top`, :math:`M=WV^\top`, and teacher vectors from :math:`T`.

Variable names follow the one naming rule of :mod:`fixedpoints.models.naming`.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import ParameterError
from fixedpoints.models.naming import OrderParameterNames

__all__ = [
    "input_dimension",
    "overlap_coordinates",
    "state_from_weights",
    "teacher_vectors",
    "weights_from_coordinates",
]


def state_from_weights(names, W, V, a=None, outputs: int = 1) -> np.ndarray:
    r"""The state vector for student weights ``W`` (k×d), teacher ``V`` (m×d) and output weights
    ``a`` (k×outputs, only for trainable second layers): the entries of :math:`WW^\top`,
    :math:`WV^\top` and a named by ``names`` (the scheme of
    :class:`~fixedpoints.models.naming.OrderParameterNames` for these sizes)."""
    W, V = np.asarray(W, float), np.atleast_2d(np.asarray(V, float))
    Q, M = W @ W.T, W @ V.T
    a = None if a is None else np.asarray(a, float).reshape(W.shape[0], -1)
    scheme = OrderParameterNames(W.shape[0], V.shape[0], outputs)
    out = []
    for n in names:
        kind, idx = scheme.parse(n)
        if kind == "Q":
            out.append(Q[idx])
        elif kind == "M":
            out.append(M[idx])
        else:
            if a is None:
                raise ParameterError("`a` is needed: the second layer is trainable.", parameter="a")
            out.append(a[idx[0], idx[1] if len(idx) > 1 else 0])
    return np.array(out)


def overlap_coordinates(
    Q, M, a=None, names: OrderParameterNames | None = None, *, spherical: bool = False
) -> dict:
    """``{'Q_ij': ..., 'M_ir': ..., 'a_i': ...}``: the upper triangle of ``Q`` (without its unit
    diagonal for ``spherical`` neurons, as in the flow), ``M`` and the trainable second layer
    ``a`` (None: fixed), named by ``names`` (default: the scheme of these sizes; pass the model's
    scheme when ``Q`` holds fewer students than the model, e.g. one neuron of a decoupled
    model)."""
    k, m = M.shape
    o = 1 if a is None else a.shape[1]
    names = names or OrderParameterNames(k, m, o)
    out = {}
    for i in range(k):
        for j in range(i + 1 if spherical else i, k):
            out[names.Q(i, j)] = float(Q[i, j])
    for i in range(k):
        for r in range(m):
            out[names.M(i, r)] = float(M[i, r])
    if a is not None:
        for i in range(k):
            for c in range(o):
                out[names.a(i, c)] = float(a[i, c])
    return out


def teacher_vectors(T, d: int) -> np.ndarray:
    r"""Teacher vectors :math:`V` (m×d) with :math:`VV^\top=T` for a positive semi-definite
    :math:`T`.

    With :math:`m\le d` this is the symmetric square root :math:`V=[T^{1/2}\ 0]` (padded with
    zeros): smooth in the model parameters where :math:`T` is positive definite, and
    equivariant, since a teacher permutation with :math:`PTP^\top=T` commutes with
    :math:`T^{1/2}` and so acts on weights as the same coordinate permutation for every parameter
    value (symmetric branches stay symmetric under continuation). With :math:`m>d` the rows span
    the first :math:`\operatorname{rank}T` coordinates (eigendecomposition; rank ≤ d required).

    >>> V = teacher_vectors([[1.0, 0.5], [0.5, 1.0]], 3)
    >>> bool(np.allclose(V @ V.T, [[1.0, 0.5], [0.5, 1.0]])), V.shape
    (True, (2, 3))

    Raises
    ------
    ParameterError
        ``teacher.overlap`` not positive semi-definite, or ``d`` below the rank of ``T``.
    """
    T = np.atleast_2d(np.asarray(T, float))
    m = T.shape[0]
    lam, U = np.linalg.eigh((T + T.T) / 2)
    if lam.min() < -1e-10 * max(1.0, abs(lam).max()):
        raise ParameterError(
            f"`teacher.overlap` must be positive semi-definite; eigenvalue {lam.min():.3g}.",
            parameter="teacher.overlap",
        )
    V = np.zeros((m, d))
    if m <= d:
        V[:, :m] = (U * np.sqrt(np.clip(lam, 0, None))) @ U.T
        return V
    keep = lam > 1e-12 * max(1.0, lam.max())
    r = int(keep.sum())
    if r > d:
        raise ParameterError(f"`d` must be >= rank(T) = {r}; got {d}.", parameter="d")
    V[:, :r] = U[:, keep] * np.sqrt(lam[keep])
    return V


def input_dimension(T, k: int, d: int | None = None) -> int:
    r"""The input dimension of a model: ``d`` when the model sets it, else
    :math:`\operatorname{rank}T+k` (room for every student outside the teacher span)."""
    return int(d) if d else int(np.linalg.matrix_rank(np.asarray(T, dtype=float))) + int(k)


def weights_from_coordinates(
    coordinates, V, names: OrderParameterNames, k: int, *, spherical=False
):
    r"""Student weights ``(W, a)`` with the overlaps ``coordinates`` (the inverse of
    :func:`overlap_coordinates`, up to the symmetries that fix the teachers).

    With :math:`T=VV^\top` the part in the teacher span is :math:`W_\parallel=MT^{+}V`; the rest
    :math:`R` has the Gram matrix :math:`Q-MT^{+}M^\top` and is put in the complement of the span
    (:math:`R=L\,U_\perp`, :math:`LL^\top` the PSD factor). Missing ``Q_ii`` of spherical neurons
    are 1; missing ``Q_ij`` are :math:`(MT^{+}M^\top)_{ij}` (no component outside the span).

    Raises
    ------
    ParameterError
        Naming ``start``: an ``M_ir`` missing, an unknown name, or overlaps no weights in this
        input dimension have (a Gram matrix that is not PSD, or more room than the complement).
    """
    V = np.asarray(V, dtype=float)
    m, d = V.shape
    M = np.full((k, m), np.nan)
    Q = np.full((k, k), np.nan)
    a = {}
    for name, value in dict(coordinates).items():
        try:
            kind, idx = names.parse(name)
        except ParameterError:
            raise ParameterError(
                f"`start` has an unknown coordinate {name!r} (expected names like "
                f"{names.M(0, 0)!r}, {names.Q(0, 0)!r}).",
                parameter="start",
            ) from None
        if kind == "M" and idx[0] < k and idx[1] < m:
            M[idx] = float(value)
        elif kind == "Q" and max(idx) < k:
            Q[idx] = Q[idx[::-1]] = float(value)
        elif kind == "a" and idx[0] < k:
            a[(idx[0], idx[1] if len(idx) > 1 else 0)] = float(value)
        else:
            raise ParameterError(
                f"`start` coordinate {name!r} does not fit k = {k}, m = {m}.", parameter="start"
            )
    if np.isnan(M).any():
        missing = [names.M(i, r) for i in range(k) for r in range(m) if np.isnan(M[i, r])]
        raise ParameterError(
            f"`start` must give every student-teacher overlap; missing {', '.join(missing)}.",
            parameter="start",
        )
    Tp = np.linalg.pinv(V @ V.T)
    W = M @ Tp @ V
    inner = M @ Tp @ M.T
    if spherical:
        Q[np.diag_indices(k)] = 1.0
    Q = np.where(np.isnan(Q), inner, Q)
    lam, U = np.linalg.eigh((Q - inner + (Q - inner).T) / 2)
    if lam.min() < -1e-8 * max(1.0, abs(Q).max()):
        raise ParameterError(
            f"`start` overlaps are not those of weights: Q - M T^+ M^T has eigenvalue "
            f"{lam.min():.3g} < 0.",
            parameter="start",
        )
    keep = lam > 1e-12 * max(1.0, abs(Q).max())
    if keep.any():
        _, sv, vt = np.linalg.svd(V) if m else (None, np.zeros(0), np.eye(d))
        rank = int(np.sum(sv > 1e-10 * max(1.0, sv.max() if sv.size else 1.0)))
        comp = vt[rank:]
        if int(keep.sum()) > comp.shape[0]:
            raise ParameterError(
                f"`start` needs {int(keep.sum())} directions outside the teacher span; the input "
                f"dimension leaves {comp.shape[0]}.",
                parameter="start",
            )
        L = U[:, keep] * np.sqrt(lam[keep])
        W = W + L @ comp[: int(keep.sum())]
    avec = None
    if a:
        o = 1 + max(c for _, c in a)
        avec = np.zeros((k, o))
        for (i, c), v in a.items():
            avec[i, c] = v
    return W, avec
