r"""KKT points of a neural correlation function (NCF) on the unit sphere, for any NCF object:
the population NCF of a residual (:mod:`.population`) or the NCF of a finite data set
(:mod:`.finite`).

An NCF :math:`\mathcal N` of one neuron :math:`u\in\mathbb R^{\rm dim}` exposes ``dim``, ``value``,
``gradient`` and ``riemannian_hessian``; :class:`SphereFunction` adds the Riemannian gradient
:math:`(I-uu^\top)\nabla\mathcal N(u)`. KKT points of :math:`\max\mathcal N(u)` s.t.
:math:`\|u\|=1` are where it vanishes; the multiplier is :math:`\lambda=2\mathcal N(u)` (Euler, for a
2-homogeneous :math:`\mathcal N`), and they are classified by the Riemannian Hessian
:math:`P(\nabla^2\mathcal N-2\mathcal N I)P` on the tangent space.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.results import KKTPoint

__all__ = ["KINDS", "SphereFunction", "kkt_points", "sphere_ascent", "tangent_basis"]

KINDS = ("local max", "saddle", "local min", "degenerate zero set", "degenerate")


def tangent_basis(u) -> np.ndarray:
    """An orthonormal basis (columns, ``(dim, dim - 1)``) of the tangent space of the unit sphere
    at ``u``."""
    return np.linalg.svd(np.asarray(u, dtype=float)[None, :])[2][1:].T


class SphereFunction:
    """Base of the NCF objects: the Riemannian gradient on the unit sphere."""

    def riemannian_gradient(self, u) -> np.ndarray:
        r""":math:`(I-uu^\top)\nabla\mathcal N(u)` for a unit vector ``u``."""
        u = np.asarray(u, dtype=float)
        G = self.gradient(u)
        return G - (G @ u) * u


def sphere_ascent(ncf, u0, *, sign: float = 1.0, gtol: float = 1e-11) -> np.ndarray:
    """Local maximum (``sign=+1``) or minimum (``-1``) of N on the sphere reached from ``u0``:
    L-BFGS on :math:`\\mp\\mathcal N(x/\\|x\\|)` (the sphere flow's ω-limit up to the optimiser's
    path). Stops when the projected gradient is below ``gtol``."""
    x0 = np.asarray(u0, dtype=float)
    x0 = x0 / np.linalg.norm(x0)

    def f(x):
        r = np.linalg.norm(x)
        u = x / r
        G = ncf.gradient(u)
        return -sign * ncf.value(u), -sign * (G - (G @ u) * u) / r

    from scipy.optimize import minimize  # here: scipy.optimize loads in 0.2 s

    res = minimize(
        f, x0, jac=True, method="L-BFGS-B", options={"gtol": gtol, "ftol": 0.0, "maxiter": 300}
    )
    return res.x / np.linalg.norm(res.x)


def _root(ncf, u0):
    def F(x):
        u = x / np.linalg.norm(x)
        return ncf.riemannian_gradient(u)

    from scipy.optimize import least_squares  # here: scipy.optimize loads in 0.2 s

    res = least_squares(F, np.asarray(u0, float), xtol=1e-14, ftol=1e-14, gtol=1e-14)
    return res.x / np.linalg.norm(res.x)


def _classify(value, spectrum, tol) -> str:
    spectrum = np.asarray(spectrum)
    if spectrum.size == 0:
        return "degenerate"
    neg, pos = np.sum(spectrum < -tol), np.sum(spectrum > tol)
    if neg == spectrum.size:
        return "local max"
    if pos == spectrum.size:
        return "local min"
    if neg + pos == spectrum.size:
        return "saddle"
    return "degenerate zero set" if abs(value) <= tol else "degenerate"


def kkt_points(
    ncf,
    *,
    starts: int = 24,
    roots: int = 24,
    seed: int = 0,
    kkt_tol: float = 1e-7,
    value_tol: float = 1e-9,
    hessian_tol: float = 1e-5,
    extra_starts=(),
) -> list[KKTPoint]:
    """KKT points of :math:`\\max\\mathcal N(u)` s.t. :math:`\\|u\\|=1`, classified.

    ``starts`` random unit vectors (seeded) each run a Riemannian ascent and a descent
    (:func:`sphere_ascent`); ``roots`` more start a least-squares root find on the Riemannian
    gradient (saddles). ``extra_starts`` (unit vectors) are added to both. A candidate is kept
    when its Riemannian gradient norm is at most ``kkt_tol``·(1+|∇N|); candidates with
    cosine > 1 − 1e-6 and values within ``value_tol`` are one point. Eigenvalues within
    ``hessian_tol``·(1+max|λ|) of 0 count as zero; all zero-value points with a zero eigenvalue
    are merged into one ``degenerate zero set`` entry.

    Returns
    -------
    list of KKTPoint
        Sorted by decreasing value.
    """
    if int(starts) < 1:
        raise out_of_range("starts", starts, "an integer >= 1")
    rng = np.random.default_rng(seed)
    n = ncf.dim
    X = rng.standard_normal((int(starts) + int(roots), n))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    extra = [np.asarray(e, float) / np.linalg.norm(e) for e in extra_starts]
    cands = []
    for x in [*X[: int(starts)], *extra]:
        cands.append(sphere_ascent(ncf, x, sign=1.0))
        cands.append(sphere_ascent(ncf, x, sign=-1.0))
    for x in [*X[int(starts) :], *extra]:
        cands.append(_root(ncf, x))
    points: list[list] = []  # [u, value, count]
    for u in cands:
        G = ncf.gradient(u)
        if np.linalg.norm(G - (G @ u) * u) > kkt_tol * (1 + np.linalg.norm(G)):
            continue
        v = ncf.value(u)
        for p in points:
            if abs(p[1] - v) <= value_tol * (1 + abs(v)) and p[0] @ u > 1 - 1e-6:
                p[2] += 1
                break
        else:
            points.append([u, v, 1])
    out, zero = [], []
    for u, v, count in points:
        spec = np.linalg.eigvalsh(ncf.riemannian_hessian(u))
        tol = hessian_tol * (1 + np.max(np.abs(spec), initial=0.0))
        kind = _classify(v, spec, tol)
        p = KKTPoint(
            direction=tuple(float(x) for x in u),
            value=float(v),
            multiplier=2 * float(v),
            gradient_norm=float(np.linalg.norm(ncf.riemannian_gradient(u))),
            spectrum=tuple(float(x) for x in spec),
            kind=kind,
            count=count,
        )
        (zero if kind == "degenerate zero set" else out).append(p)
    if zero:
        rep = min(zero, key=lambda p: abs(p.value))
        out.append(replace(rep, count=len(zero)))
    out.sort(key=lambda p: (-p.value, p.direction))
    return out
