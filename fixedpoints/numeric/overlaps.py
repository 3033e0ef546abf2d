r"""Weights ↔ overlaps: :math:`Q=WW^\top`, :math:`M=WV^\top`, and teacher vectors from :math:`T`.

Variable names follow the derivation's convention: ``Q_12`` / ``Q_1_12`` (upper triangle),
``M_ir``, ``a_i`` (or ``a_io`` for vector outputs); indices are 1-based.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import ParameterError

__all__ = ["parse_variable", "state_from_weights", "teacher_vectors"]


def parse_variable(name: str, outputs: int = 1) -> tuple[str, tuple[int, ...]]:
    """``'Q_12' -> ('Q', (0, 1))``, ``'M_1_12' -> ('M', (0, 11))``, ``'a_3' -> ('a', (2,))``
    (0-based indices)."""
    kind, *idx = name.split("_")
    if kind not in ("Q", "M", "a") or not idx:
        raise ParameterError(f"`{name}` is not an overlap variable (Q_ij, M_ir, a_i).")
    if len(idx) == 1 and not (kind == "a" and outputs == 1):
        idx = list(idx[0])
    return kind, tuple(int(i) - 1 for i in idx)


def state_from_weights(names, W, V, a=None, outputs: int = 1) -> np.ndarray:
    r"""The state vector for student weights ``W`` (k×d), teacher ``V`` (m×d) and output weights
    ``a`` (k×outputs, only for trainable second layers): entries of :math:`WW^\top`, :math:`WV^\top`, a."""
    W, V = np.asarray(W, float), np.asarray(V, float)
    Q, M = W @ W.T, W @ V.T
    a = None if a is None else np.asarray(a, float).reshape(W.shape[0], -1)
    out = []
    for n in names:
        kind, idx = parse_variable(n, outputs)
        if kind == "Q":
            out.append(Q[idx])
        elif kind == "M":
            out.append(M[idx])
        else:
            if a is None:
                raise ParameterError("`a` is needed: the second layer is trainable.")
            out.append(a[idx[0], idx[1] if len(idx) > 1 else 0])
    return np.array(out)


def teacher_vectors(T, d: int) -> np.ndarray:
    r"""Teacher vectors :math:`V` (m×d) with :math:`VV^\top=T`, from the eigendecomposition of the
    positive semi-definite :math:`T` (rank ≤ d required)."""
    T = np.asarray(T, float)
    lam, U = np.linalg.eigh((T + T.T) / 2)
    if lam.min() < -1e-10 * max(1.0, abs(lam).max()):
        raise ParameterError(
            f"`teacher.overlap` must be positive semi-definite; eigenvalue {lam.min():.3g}."
        )
    keep = lam > 1e-12 * max(1.0, lam.max())
    r = int(keep.sum())
    if r > d:
        raise ParameterError(f"`d` must be >= rank(T) = {r}; got {d}.")
    V = np.zeros((T.shape[0], d))
    V[:, :r] = U[:, keep] * np.sqrt(lam[keep])
    return V
