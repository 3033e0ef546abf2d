r"""Tangency arcs of a critical point (:mod:`fixedpoints.numeric.symmetry.arcs`): the point
embedded in the arc's fixed space, the arcs traced, and the critical points they meet named by
their full stabiliser (:func:`fixedpoints.numeric.symmetry.orbits.orbit`) when the model is built
at the arc's d.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fixedpoints.api.landscapes import landscape
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError, out_of_range
from fixedpoints.numeric.symmetry import detect_symmetry, orbit, young_isotropy
from fixedpoints.numeric.symmetry.arcs import trace_arcs
from fixedpoints.numeric.symmetry.young import DENSE_LIMIT

__all__ = ["tangency_arcs"]


def tangency_arcs(
    model,
    point,
    isotropy: str,
    params=None,
    *,
    point_isotropy: str | None = None,
    dimension: int | None = None,
    directions: int = 1,
    r0: float = 0.1,
    r_max: float = 2.5,
    progress=None,
) -> tuple:
    r"""The tangency arcs of the critical point ``point`` of a k = d ReLU model inside
    Fix(``isotropy``): the curves of critical points of :math:`\mathcal L` on the spheres
    :math:`\|W-W_c\|_F=r` leaving :math:`W_c` along its ``directions`` smallest Hessian
    eigendirections in that space (both signs), followed in r up to ``r_max``, with the critical
    points each arc meets (distance, loss, barrier, Morse index, isotropy).

    Parameters
    ----------
    model : Model
        k = d, teacher :math:`V=I_d` (e.g. ``relu-teacher``); it may be built at a smaller d
        with the real one given as ``dimension`` (then crossings are named by their isotropy
        inside the arc's space only).
    point : FixedPoint or array
        A critical point: a ``FixedPoint`` of a search in Fix(``point_isotropy``), or the weight
        matrix :math:`W` (d, d).
    isotropy : str
        The arc's fixed space, block sizes as in ``find_fixed_points`` (``"d-2,1,1"``, ``"8,1,1"``);
        it must contain the point (e.g. a refinement of ``point_isotropy``, blocks contiguous).
    point_isotropy : str, optional
        The isotropy the ``FixedPoint`` was found in (needed for a FixedPoint).
    dimension : int, optional
        The input dimension d (default: the model's), an integer in [2, 4096].
    directions : int
        Eigendirections followed (1: the smallest).
    r0, r_max : float
        Radius of the first point and the last radius.

    Returns
    -------
    tuple of TangencyArc

    Raises
    ------
    ParameterError
        Naming ``dimension``, ``point``, ``point_isotropy``, ``isotropy``, ``r0``, ``r_max`` or
        ``directions``.

    Examples
    --------
    >>> import fixedpoints as fp
    >>> m = fp.load_model("relu-teacher", {"d": 6})
    >>> fa = [p for p in fp.find_fixed_points(m, isotropy="5,1", starts=60).points
    ...       if p.index == 0 and p.loss > 1e-9 and p.coordinates["D1"] > 0][0]
    >>> arcs = fp.tangency_arcs(m, fa, "4,1,1", point_isotropy="5,1", r_max=2.0)
    >>> [(a.sign, [(c.index, round(c.barrier, 6), c.isotropy) for c in a.crossings]) for a in arcs]
    [(1, [(1, 1.2e-05, 'Δ(S4×S1×S1)'), (0, -0.025081, 'ΔS6')]), (-1, [])]
    """
    d = int(model.input_dimension or model.student.width) if dimension is None else dimension
    if not (float(d).is_integer() and 2 <= d <= DENSE_LIMIT):
        raise out_of_range("dimension", d, f"an integer in [2, {DENSE_LIMIT}]")
    d = int(d)
    kernels = compile_pair_kernels(model, params)
    fine = young_isotropy(isotropy, d, kernels)
    if hasattr(point, "x") and hasattr(point, "coordinates"):
        if point_isotropy is None:
            raise ParameterError(
                "`point_isotropy` is needed with a FixedPoint: the isotropy it was found in "
                "(e.g. 'd-1,1').",
                parameter="point_isotropy",
            )
        coarse = young_isotropy(point_isotropy, d)
        x = np.asarray(point.x, dtype=float)
        if x.shape != (coarse.dimension,):
            raise out_of_range(
                "point_isotropy",
                point_isotropy,
                f"the isotropy of the point ({x.size} coordinates)",
            )
        W = coarse.weights(x)
    else:
        W = np.asarray(point, dtype=float)
        if W.shape != (d, d):
            raise out_of_range("point", W.shape, f"a FixedPoint or a ({d}, {d}) weight matrix")
    if not fine.contains(W, tol=1e-8):
        raise ParameterError(
            f"`isotropy` {isotropy!r}: the point does not lie in Fix({fine.label}); use a "
            "refinement of the point's own isotropy with the same block order.",
            parameter="isotropy",
        )
    arcs = trace_arcs(
        fine,
        fine.coordinates(W),
        directions=directions,
        r0=r0,
        r_max=r_max,
        progress=progress,
    )
    if (model.input_dimension or model.student.width) != d:
        return arcs
    space = landscape(model, params, decoupled=False)
    sym = detect_symmetry(space, seed=0)

    def named(c):
        Q, M, a = space.overlaps(space.pack(fine.weights(c.x)))
        o = orbit(Q, M, a if space.trainable else None, sym, 1e-6)
        return dataclasses.replace(c, isotropy=o.isotropy)

    return tuple(
        dataclasses.replace(a, crossings=tuple(named(c) for c in a.crossings)) for a in arcs
    )
