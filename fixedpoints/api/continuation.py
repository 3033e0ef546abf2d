"""Continuation of a model's fixed points in one parameter: every branch found at the start of the
range (or one named point), with fold and branch-point events and branch switching.

Composes :class:`fixedpoints.api.landscapes.LandscapeFamily`,
:func:`fixedpoints.numeric.fixed_points.find_fixed_points`,
:func:`fixedpoints.numeric.named.named_point_weights` and
:mod:`fixedpoints.numeric.bifurcation`.
"""

from __future__ import annotations

import math
import time

from fixedpoints.api.landscapes import LandscapeFamily
from fixedpoints.api.search import MAX_STARTS
from fixedpoints.errors import ParameterError, out_of_range
from fixedpoints.numeric.bifurcation import follow_branches, seed_branches
from fixedpoints.numeric.fixed_points import find_fixed_points as _search
from fixedpoints.numeric.named import named_point_weights
from fixedpoints.numeric.symmetry import detect_symmetry
from fixedpoints.results import Continuation

__all__ = ["continue_fixed_points"]


def continue_fixed_points(
    model,
    parameter: str,
    start: float,
    end: float,
    params=None,
    *,
    starts: int = 100,
    seed: int = 0,
    point: str | None = None,
    switch: bool = True,
    max_branches: int = 24,
    progress=None,
    isotropy: str | None = None,
) -> Continuation:
    """Continue the fixed points found at ``parameter = start`` up to ``end`` (pseudo-arclength),
    with fold and branch-point events, switching branches at branch points.

    Parameters
    ----------
    model : Model
    parameter : str
        A free parameter of ``model``.
    start, end : float
        The range, finite and different.
    params : dict, optional
        Values of the other free parameters.
    starts, seed : int
        Newton starts of the search at ``start``.
    point : str, optional
        Continue only this named point (``'averaged'``).
    switch : bool
        Follow the branches bifurcating at branch points.
    max_branches : int
    progress : callable, optional
        ``progress(p)`` after each continuation step.
    isotropy : str, optional
        With ``parameter='d'``: block sizes written in d (``"d-1,1"``, ``"d"``); every
        non-degenerate point of that fixed space found at d = ``start`` is followed in real d
        (reduced loss, k = d ReLU-type models), and each isotypic eigenvalue that crosses zero
        is an event with its ``component`` and ``multiplicity_formula`` (a polynomial in d):
        the families' real critical dimensions.

    Returns
    -------
    Continuation
        One branch per symmetry orbit at the start (degenerate points skipped, the averaged
        point first and labelled ``'averaged'``), plus switched branches.

    Raises
    ------
    ParameterError
        Naming ``parameter``, ``starts`` or ``point``.
    """
    if not (math.isfinite(start) and math.isfinite(end)) or start == end:
        raise ParameterError(
            f"`parameter` range must be A:B with finite A != B; got {start}:{end}.",
            parameter="parameter",
        )
    if not (isinstance(starts, int) and 1 <= starts <= MAX_STARTS):
        raise out_of_range("starts", starts, f"an integer in [1, {MAX_STARTS}]")
    t0 = time.perf_counter()
    if isotropy is not None:
        return _continue_in_dimension(
            model, parameter, start, end, params, isotropy, starts, seed, progress, t0
        )
    family = LandscapeFamily(model, parameter, params)
    space = family.at(start)
    if point:
        seeds = [(named_point_weights(space, point), point)]
    else:
        # orbits under the family's group (at a generic parameter value): copies that a
        # symmetry of the start value identifies may follow different branches
        sym = detect_symmetry(family.at(start + 0.3819660113 * (end - start)), seed=seed)
        search = _search(space, starts=starts, seed=seed, sym=sym)
        try:
            named = ("averaged", named_point_weights(space, "averaged"))
        except ParameterError:
            named = None
        seeds = seed_branches(space, search.points, named=named, seed=seed, sym=sym)
    branches = follow_branches(
        family.at,
        seeds,
        start,
        end,
        switch=switch,
        max_branches=max_branches,
        seed=seed,
        progress=progress,
    )
    return Continuation(
        parameter=parameter,
        range=(start, end),
        branches=tuple(branches),
        model=model.name,
        settings=dict(model.settings),
        stats={"seconds": time.perf_counter() - t0},
    )


def _continue_in_dimension(
    model, parameter, start, end, params, isotropy, starts, seed, progress, t0
):
    """The branches of Fix(``isotropy``) in real d (see :func:`continue_fixed_points`)."""
    from fixedpoints.codegen import compile_pair_kernels
    from fixedpoints.numeric.continuation import continue_branch
    from fixedpoints.numeric.symmetry import DimensionFamily, find_isotropic_fixed_points

    if parameter != "d":
        raise ParameterError(
            f"`isotropy` continues in the dimension: `parameter` must be 'd'; got {parameter!r}.",
            parameter="parameter",
        )
    if not (float(start).is_integer() and start >= 2):
        raise out_of_range("parameter", start, "an integer d >= 2 at the start of the range")
    if min(start, end) <= 1:
        raise out_of_range("parameter", f"{start}:{end}", "a range of d above 1")
    kernels = compile_pair_kernels(model, params)
    family = DimensionFamily(kernels, isotropy)
    found = find_isotropic_fixed_points(kernels, isotropy, int(start), starts=starts, seed=seed)
    branches = []
    for p in found.points:
        if p.degenerate or str(p.status) != "converged":
            continue
        label = f"L={p.loss:.10g} {p.isotropy} index {p.index}"
        b = continue_branch(
            family,
            p.x,
            float(start),
            float(end),
            step=0.1,
            max_step=0.5,
            label=label,
            progress=progress,
        )
        branches.append(b)
    settings = dict(model.settings)
    settings["d"] = start
    return Continuation(
        parameter="d",
        range=(start, end),
        branches=tuple(branches),
        model=model.name,
        settings=settings,
        stats={"seconds": time.perf_counter() - t0},
    )
