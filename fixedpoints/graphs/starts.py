r"""The starts of a transition graph's flows out of a critical point: its unstable eigenpairs
(:func:`unstable_directions`) and the directions followed (:func:`saddle_starts`): per unstable
eigenspace its projected coordinate axes modulo the point's stabiliser
(:func:`~fixedpoints.numeric.symmetry.symmetric_directions`) or its eigenvectors, both signs,
and the falling null directions of a degenerate point
(:func:`~fixedpoints.numeric.degenerate.null_character`)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from fixedpoints.numeric.degenerate import null_character
from fixedpoints.numeric.symmetry import orbit_key, stabiliser_maps, symmetric_directions

__all__ = ["Start", "escape_radius", "saddle_starts", "unstable_directions"]


def unstable_directions(space, x, *, null_tol: float = 1e-7):
    r"""Unstable eigenpairs of the (Riemannian) Hessian at ``x``.

    Parameters
    ----------
    space : Landscape
    x : array (dimension,)
        A critical point in weight coordinates.
    null_tol : float
        An eigenvalue counts as negative when :math:`\lambda<-` ``null_tol``
        :math:`\cdot\max(1,\max|\lambda|)`.

    Returns
    -------
    eigenvalues : ndarray (n_u,)
        Ascending (most unstable first).
    vectors : ndarray (n_u, dimension)
        Unit vectors in weight coordinates (tangent to the spheres for spherical neurons).
    """
    B = space.tangent_basis(x)
    H = space.hessian(x, B)
    lam, U = np.linalg.eigh((H + H.T) / 2)
    if not np.all(np.isfinite(lam)):
        return np.zeros(0), np.zeros((0, space.dimension))
    neg = lam < -null_tol * max(1.0, float(np.abs(lam).max()))
    V = (B @ U[:, neg]).T
    return lam[neg], V / np.linalg.norm(V, axis=1, keepdims=True)


class Start(NamedTuple):
    """One integrated start: unit ``vector``, ``radius`` (0: the graph's displacement),
    ``weight`` (the starts of its stabiliser orbit), ``label``, ``eigenvalue`` and the fixed
    space its flow stays in (``(labels, signs)`` of
    :func:`~fixedpoints.numeric.symmetry.fixed_space_classes`, or None)."""

    vector: np.ndarray
    radius: float
    weight: int
    label: str
    eigenvalue: float
    fixed: tuple | None = None


def _axis_names(space) -> list:
    """``w{i},{j}`` for :math:`W_{ij}` and ``a{i}`` (``a{i},{o}``) by weight coordinate."""
    W, a = space.unpack(np.arange(space.dimension, dtype=float))
    names = [""] * space.dimension
    for (i, j), c in np.ndenumerate(np.asarray(W).reshape(space.k, -1)):
        names[int(c)] = f"w{i + 1},{j + 1}"
    if a is not None:
        A = np.asarray(a).reshape(space.k, -1)
        for (i, o), c in np.ndenumerate(A):
            names[int(c)] = f"a{i + 1}" if A.shape[1] == 1 else f"a{i + 1},{o + 1}"
    return names


def _eigenspaces(lam, tol: float = 1e-8) -> list:
    """Runs of equal eigenvalues (ascending ``lam``, relative ``tol``) as index arrays."""
    scale = max(1.0, float(np.abs(lam).max(initial=0.0)))
    cuts = np.flatnonzero(np.diff(lam) > tol * scale) + 1
    return np.split(np.arange(len(lam)), cuts)


def escape_radius(eigenvalue: float, gradient_tol: float, t_max: float, reach: float = 0.1):
    r"""The smallest distance from a saddle along an unstable direction with eigenvalue
    :math:`\lambda<0` from which its flow is followed: the start's gradient :math:`|\lambda|r` at
    least twice ``gradient_tol`` (else the stop test ends the flow where it starts) and the
    linearised escape :math:`r\,e^{|\lambda|t}` reaching ``reach`` within :math:`t_{\max}/2`, but
    no farther out than ``reach`` (beyond it the start is no longer near the saddle, and a
    direction that would need more is null at this tolerance),

    .. math:: r_\lambda=\min\Big(\mathrm{reach},\ \max\big(2\,g_{\rm tol}/|\lambda|,\
        \mathrm{reach}\;e^{-|\lambda|t_{\max}/2}\big)\Big);

    0 for :math:`\lambda\ge0` (a falling null direction has its own radius)."""
    if not eigenvalue < 0:
        return 0.0
    mu = -float(eigenvalue)
    return min(reach, max(2.0 * gradient_tol / mu, reach * math.exp(-mu * t_max / 2)))


def saddle_starts(
    space, sym, x, null_tol, kind: str, index: int, mode: str, confine: bool, orbit=None
):
    """The unstable eigenvalues at a node and the starts followed from it: per unstable
    eigenspace its projected axes modulo the stabiliser (``mode="symmetric"``,
    :func:`~fixedpoints.numeric.symmetry.symmetric_directions`) or its eigenvectors, both signs;
    for a degenerate point with no negative eigenvalue whose loss falls along null directions (a
    maximum or saddle by higher-order terms, :func:`~fixedpoints.numeric.degenerate.null_character`)
    those falling directions (eigenvalue 0), both signs. ``orbit``: x's
    :class:`~fixedpoints.numeric.symmetry.Orbit` where the caller has it (else computed)."""
    lam, vec = unstable_directions(space, x, null_tol=null_tol)
    starts = []
    if mode == "symmetric" and lam.size:
        maps = stabiliser_maps(space, x, orbit_key(space, x, sym) if orbit is None else orbit)
        names = _axis_names(space)
        for run in _eigenspaces(lam):
            D = symmetric_directions(vec[run], maps)
            sizes = D.sizes
            span = f"v{run[0] + 1}" if len(run) == 1 else f"v{run[0] + 1}:{run[-1] + 1}"
            for o, r in enumerate(D.representatives):
                sign = "+" if D.signs[r] > 0 else "-"
                if D.axes[r] < 0:  # an eigenvector
                    label = f"{sign}v{run[r % len(run)] + 1}"
                else:
                    label = sign + (span if len(run) == 1 else f"{span}[{names[D.axes[r]]}]")
                value = float(lam[run[0]])
                fixed = D.fixed_classes(r, maps) if confine else None
                starts.append(Start(D.vectors[r], 0.0, int(sizes[o]), label, value, fixed))
    else:
        for j, (value, v) in enumerate(zip(lam, vec, strict=True)):
            for sign in (1.0, -1.0):
                label = f"{'+' if sign > 0 else '-'}v{j + 1}"
                starts.append(Start(sign * v, 0.0, 1, label, float(value)))
    if index == 0 and kind in ("maximum", "saddle"):
        B = space.tangent_basis(x)
        mu, U = np.linalg.eigh(space.hessian(x, B))
        null = np.abs(mu) <= null_tol * max(1.0, float(np.abs(mu).max()))
        ch = null_character(space, x, B @ U[:, null])
        for v, r in zip(ch.descent, ch.radii, strict=True):
            lam = np.append(lam, 0.0)
            for sign in (1.0, -1.0):
                label = f"{'+' if sign > 0 else '-'}v{len(lam)}"
                starts.append(Start(sign * np.asarray(v), float(r), 1, label, 0.0))
    return lam, starts
