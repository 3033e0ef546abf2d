"""Spectra as ``[[eigenvalue, multiplicity], ...]``: merging numerically equal eigenvalues (used by
the weight-space classification and by the isotypic spectra)."""

from __future__ import annotations

import numpy as np

from fixedpoints.results.status import multiplicity

__all__ = ["dense_spectrum", "merge_spectrum"]


def merge_spectrum(pairs, tol: float = 1e-6):
    r"""Merge eigenvalues equal to ``tol`` (relative to max(1, |λ|)), summing multiplicities.

    ``pairs``: iterable of ``(eigenvalue, multiplicity[, ...])``. Returns
    ``[[eigenvalue, multiplicity], ...]`` ascending (multiplicities as
    :func:`~fixedpoints.results.status.multiplicity`: ints, floats at real d); a merged
    eigenvalue is the multiplicity-weighted mean of its cluster (a new cluster starts when a
    value is farther than ``tol`` from the current mean)."""
    items = sorted((float(t[0]), multiplicity(t[1])) for t in pairs)
    out: list[list] = []
    for lam, m in items:
        if out and abs(lam - out[-1][0]) <= tol * max(1.0, abs(lam), abs(out[-1][0])):
            mu, n = out[-1]
            out[-1] = [(mu * n + lam * m) / (n + m), n + m]
        else:
            out.append([lam, m])
    return out


def dense_spectrum(H, tol: float = 1e-6):
    """``merge_spectrum`` of the eigenvalues of the dense symmetric matrix ``H``
    (``numpy.linalg.eigvalsh`` of :math:`(H+H^\\top)/2`)."""
    H = np.asarray(H, dtype=float)
    lam = np.linalg.eigvalsh((H + H.T) / 2)
    return merge_spectrum(((v, 1) for v in lam), tol)
