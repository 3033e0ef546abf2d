r"""Random initializations of batched student weights, drawn on the host with a seed.

All draws use ``numpy.random.default_rng(seed)`` so that every backend starts from bit-identical
weights (move them to a device with :meth:`Backend.asarray`).

=============== ====================================================================================
``gaussian``    :math:`W_{ij}\sim\mathcal N(0,1/d)` (Xavier/Glorot for unit-variance inputs)
``orthonormal`` rows of a Haar-random orthogonal matrix (QR with sign correction, needs k ≤ d)
``sphere``      rows uniform on the unit sphere :math:`S^{d-1}`
=============== ====================================================================================

Every scheme is multiplied by ``scale`` (δ for small initialization, :math:`\delta w_0`).
Trainable second layers start at :math:`a_{io}\sim\mathcal N(0,1/k)` times ``scale``.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import out_of_range

__all__ = ["INITIALIZATIONS", "initial_weights", "sphere_overlaps", "unit_initialization"]

INITIALIZATIONS = ("gaussian", "orthonormal", "sphere")


def initial_weights(
    scheme: str,
    runs: int,
    k: int,
    d: int,
    *,
    scale: float = 1.0,
    outputs: int | None = None,
    seed: int = 0,
):
    """Batched initial weights ``(W0, a0)``.

    Parameters
    ----------
    scheme : {'gaussian', 'orthonormal', 'sphere'}
    runs, k, d : int
        Shape ``(runs, k, d)`` of ``W0``.
    scale : float
        Positive multiplier δ.
    outputs : int, optional
        Columns of a trainable second layer (None: fixed second layer, ``a0 = None``).
    seed : int

    Returns
    -------
    W0 : ndarray (runs, k, d)
    a0 : ndarray (runs, k, outputs) or None

    Examples
    --------
    >>> W, a = initial_weights("orthonormal", 2, 3, 5, seed=1)
    >>> bool(np.allclose(W[0] @ W[0].T, np.eye(3)))
    True
    """
    if scheme not in INITIALIZATIONS:
        raise out_of_range("init", scheme, "one of " + ", ".join(INITIALIZATIONS))
    for name, value in (("runs", runs), ("k", k), ("d", d)):
        if int(value) < 1:
            raise out_of_range(name, value, "an integer >= 1")
    if not (scale > 0 and np.isfinite(scale)):
        raise out_of_range("scale", scale, "a finite number > 0")
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((runs, k, d))
    if scheme == "gaussian":
        W = G / np.sqrt(d)
    elif scheme == "sphere":
        W = G / np.linalg.norm(G, axis=-1, keepdims=True)
    else:
        if k > d:
            raise out_of_range("init", "orthonormal", f"k <= d (got k={k}, d={d})")
        q, r = np.linalg.qr(np.swapaxes(G, -1, -2))  # (runs, d, k)
        q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]  # Haar measure
        W = np.swapaxes(q, -1, -2)
    a = None
    if outputs is not None:
        a = scale * rng.standard_normal((runs, k, outputs)) / np.sqrt(k)
    return scale * W, a


def sphere_overlaps(z, d: int, rng, G=None) -> np.ndarray:
    r"""Exact overlaps :math:`m=Vw` of uniform points :math:`w=g/|g|` on :math:`S^{d-1}` with ``k``
    unit teacher vectors of Gram matrix :math:`G=VV^\top` (default :math:`I`), without drawing
    ``w``.

    With :math:`V=LQ` (:math:`G=LL^\top`, ``Q`` orthonormal rows), :math:`z=Qg\sim\mathcal N(0,I_k)`
    and :math:`|g|^2=|z|^2+\chi^2_{d-k}`, so

    .. math::

        m = \frac{Lz}{\sqrt{|z|^2+\chi^2_{d-k}}}.

    These are the initial conditions of the overlap ODE that match ``sphere`` initialization in
    weight space.

    Parameters
    ----------
    z : ndarray (N, k)
        Standard normal draws (pass the same ``z`` for several ``d`` to compare them with common
        random numbers).
    d : int
        Input dimension, ``d >= k``.
    rng : numpy.random.Generator
        Draws :math:`\chi^2_{d-k}` (the squared norm of the other ``d - k`` components).
    G : ndarray (k, k), optional
        Positive-definite Gram matrix with unit diagonal.

    Returns
    -------
    ndarray (N, k)
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 2:
        raise out_of_range("z", z.shape, "an (N, k) array")
    k = z.shape[1]
    if int(d) < k:
        raise out_of_range("d", d, f"an integer >= k = {k}")
    rest = rng.chisquare(int(d) - k, len(z)) if int(d) > k else np.zeros(len(z))
    norm = np.sqrt(np.sum(z**2, axis=1) + rest)[:, None]
    L = np.eye(k) if G is None else np.linalg.cholesky(np.asarray(G, dtype=float))
    return (z @ L.T) / norm


def unit_initialization(k: int, d: int, *, seed: int = 0, balanced: bool = True):
    r"""Initial direction :math:`\theta_0=(W_0,a_0)` with :math:`\|W_0\|_F^2+\|a_0\|^2=1`:
    Gaussian :math:`w_j`; ``balanced``: :math:`a_j=\pm\|w_j\|` (random signs, so
    :math:`a_j^2-\|w_j\|^2=0` is conserved by the flow), else Gaussian :math:`a_j`.
    Returns ``(W0 (k, d), a0 (k,))``: the direction of a small initialization
    :math:`\delta\theta_0` (:func:`fixedpoints.numeric.dataset.simulate_escape`)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((int(k), int(d)))
    if balanced:
        a = rng.choice([-1.0, 1.0], size=int(k)) * np.linalg.norm(W, axis=1)
    else:
        a = rng.standard_normal(int(k))
    s = np.sqrt(np.sum(W**2) + np.sum(a**2))
    return W / s, a / s
