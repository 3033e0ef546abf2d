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

__all__ = ["INITIALIZATIONS", "initial_weights"]

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
