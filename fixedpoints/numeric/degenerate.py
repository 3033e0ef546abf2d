r"""What a degenerate critical point is: the loss along its null directions, beyond the Hessian.

Where the Hessian has a kernel :math:`N` that symmetry does not explain, its signs say nothing
about the directions in :math:`N`: the point can be a minimum, a maximum or a saddle by its
higher-order terms (the equator of the He4 multi-index model, :math:`\mathcal L=-24\sum_rm_r^4`,
has a zero Hessian and is the global maximum). :func:`null_character` samples the loss on the
retracted points :math:`x+\rho v` for unit :math:`v\in N` (the basis vectors of :math:`N` with both
signs and random combinations) at radii :math:`\rho=10^{-2},3\cdot10^{-2},10^{-1}`; each direction
is signed by its first increment above round-off (the first non-vanishing directional term). All
increments positive: the null directions rise (a minimum along them); all negative: they fall (a
maximum); both: a saddle; none above round-off: flat (a manifold of critical points). Combined with
the Morse index (:func:`degenerate_kind`), and the falling directions are what a transition graph
follows from such a point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NullCharacter", "degenerate_kind", "null_character"]

RADII = (1e-2, 3e-2, 1e-1)


@dataclass(frozen=True)
class NullCharacter:
    """The loss along the null directions of a critical point (module docstring).

    Attributes
    ----------
    kind : str
        ``'rising'``, ``'falling'``, ``'mixed'`` or ``'flat'``.
    descent : ndarray (n, dimension)
        Unit directions (weight coordinates) along which the loss falls, steepest first.
    radii : ndarray (n,)
        The radius at which each fell above round-off (where a flow along it can start: the
        gradient there is of the order of the higher-order term, not of round-off).
    """

    kind: str
    descent: np.ndarray
    radii: np.ndarray


def null_character(space, x, null_basis, *, samples: int = 32, seed: int = 0) -> NullCharacter:
    r"""Sample the loss of ``space`` along the columns' span of ``null_basis`` (dimension × n,
    orthonormal tangent vectors at ``x``) and classify it (module docstring).

    Parameters
    ----------
    space : Landscape
        ``loss`` and ``retract`` batched over leading dimensions.
    x : array (dimension,)
    null_basis : array (dimension, n)
    samples : int
        Random unit combinations besides the :math:`2n` signed basis vectors.
    seed : int

    Returns
    -------
    NullCharacter
    """
    n = null_basis.shape[1]
    if n == 0:
        return NullCharacter("flat", np.zeros((0, x.size)), np.zeros(0))
    rng = np.random.default_rng(seed)
    coeffs = np.concatenate([np.eye(n), -np.eye(n), rng.normal(size=(samples, n))])
    coeffs /= np.linalg.norm(coeffs, axis=1, keepdims=True)
    V = coeffs @ null_basis.T  # (N, dimension)
    L0 = float(space.loss(x))
    tol = 1e-10 * max(1.0, abs(L0))
    sign, drop, radius = np.zeros(len(V)), np.zeros(len(V)), np.zeros(len(V))
    for rho in RADII:
        dL = np.asarray(space.loss(space.retract(x[None] + rho * V)), dtype=float) - L0
        new = (sign == 0) & (np.abs(dL) > tol)
        sign[new] = np.sign(dL[new])
        drop[new] = dL[new] / rho**2
        radius[new] = rho
    up, down = bool(np.any(sign > 0)), bool(np.any(sign < 0))
    kind = "mixed" if up and down else "rising" if up else "falling" if down else "flat"
    order = np.argsort(drop)
    falling = order[sign[order] < 0][: max(1, n)]
    return NullCharacter(kind, V[falling], radius[falling])


def degenerate_kind(index: int, nullity: int, dimension: int, character: str) -> str:
    """``'minimum'``, ``'maximum'``, ``'saddle'`` or ``'degenerate'`` (flat: undecided) of a
    degenerate point of Morse ``index`` whose null directions are ``character``."""
    if character == "rising":
        return "minimum" if index == 0 else "saddle"
    if character == "falling":
        return "maximum" if index == dimension - nullity else "saddle"
    if character == "mixed":
        return "saddle"
    return "degenerate"
