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

import numpy as np

from fixedpoints.api.landscapes import LandscapeFamily
from fixedpoints.api.search import MAX_STARTS, MAX_WEIGHTS, check_weight_space
from fixedpoints.errors import ParameterError, out_of_range
from fixedpoints.numeric.bifurcation import follow_branches, seed_branches
from fixedpoints.numeric.fixed_points import find_fixed_points as _search
from fixedpoints.numeric.named import named_point_weights
from fixedpoints.numeric.symmetry import detect_symmetry
from fixedpoints.numeric.symmetry.precision import working_precision
from fixedpoints.results import Continuation

__all__ = ["continue_fixed_points"]

#: geometric steps per decade of d when families are followed at N digits (``precision``)
PER_DECADE = 8


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
    precision: int | None = None,
    per_decade: int = PER_DECADE,
    max_weights: int | None = MAX_WEIGHTS,
    start_point=None,
) -> Continuation:
    r"""Continue the fixed points found at ``parameter = start`` up to ``end`` (pseudo-arclength),
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
    precision : int, optional
        With ``isotropy``: digits N (15 to 1000). The points found at d = ``start`` (float64
        search; above d = 1e5 that search runs at d = 1000 and is followed at N digits) are
        followed to ``end`` at N digits in geometric steps, ``per_decade`` per decade
        (:func:`~fixedpoints.numeric.symmetry.precision.follow_precise_branch`: extrapolation
        in :math:`t=d^{-1/2}`, Newton at N digits), with no float64 cancellation at any d.
        Index and smallest eigenvalue come from the isotypic spectrum at N digits, null band
        :math:`10^{-\lfloor N/2\rfloor}\max(1,\max|\lambda|)`; each point carries
        ``digits`` (``loss``, ``coordinates``, ``components``, ``residual`` as N-digit text).
        Events: an isotypic eigenvalue changing sign between two steps, located in t at N
        digits, with component, multiplicity formula and the index on either side (folds are
        not detected: a branch whose Newton fails before ``end`` stops with status
        ``step-too-small``; one that cannot be started or classified, ``stalled``, its label
        says why).
    per_decade : int
        With ``precision``: steps per decade of d (1 to 1000; default 8). Fewer are faster, and
        the families are analytic in t, so a few per decade usually suffice.
    max_weights : int or None
        The largest weight space continued (default :data:`~fixedpoints.api.search.MAX_WEIGHTS`;
        None: no limit; :func:`~fixedpoints.api.search.check_weight_space`).
    start_point : mapping or array, optional
        Continue only this point, given by its overlaps ``{"M_11": ..., "Q_12": ...}`` (as in
        ``fixed-points --json``; :func:`~fixedpoints.numeric.overlaps.weights_from_coordinates`)
        or its weight coordinates, polished by Newton at ``parameter = start`` (label
        ``'start'``). No multistart search: one branch, switching as asked.

    Returns
    -------
    Continuation
        One branch per symmetry orbit at the start (degenerate points skipped, the averaged
        point first and labelled ``'averaged'``), plus switched branches.

    Raises
    ------
    ParameterError
        Naming ``parameter``, ``starts``, ``point``, ``precision`` or ``max_weights``.

    Examples
    --------
    The loss of the family F_A (found at d = 100) at d = 10⁸, to 40 digits: :math:`d\,L\to
    \tfrac12-\tfrac{2}{\pi^2}` (a template model at d = 8 carries the kernels)::

        res = continue_fixed_points(load_model("relu-teacher", {"d": 8}), "d", 100, 1e8,
                                    isotropy="d-1,1", precision=40)
        res.branches[1].points[-1].digits["loss"]
    """
    if not (math.isfinite(start) and math.isfinite(end)) or start == end:
        raise ParameterError(
            f"`parameter` range must be A:B with finite A != B; got {start}:{end}.",
            parameter="parameter",
        )
    if not (isinstance(starts, int) and 1 <= starts <= MAX_STARTS):
        raise out_of_range("starts", starts, f"an integer in [1, {MAX_STARTS}]")
    if precision is not None:
        if isotropy is None or parameter != "d":
            raise ParameterError(
                "`precision` follows the families of a Young fixed space in the dimension: give "
                f"`isotropy` (e.g. 'd-1,1') and parameter 'd'; got parameter {parameter!r}, "
                f"isotropy {isotropy!r}.",
                parameter="precision",
            )
        working_precision(precision)  # validates: an integer in [15, 1000]
        if not (isinstance(per_decade, int) and 1 <= per_decade <= 1000):
            raise out_of_range("per_decade", per_decade, "an integer in [1, 1000]")
    t0 = time.perf_counter()
    if isotropy is not None:
        return _continue_in_dimension(
            model,
            parameter,
            start,
            end,
            params,
            isotropy,
            starts,
            seed,
            progress,
            t0,
            (precision, per_decade),
        )
    family = LandscapeFamily(model, parameter, params)
    space = family.at(start)
    check_weight_space(space, max_weights, model.name)
    if start_point is not None:
        seeds = [(_start_weights(space, start_point), "start")]
    elif point:
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


def _start_weights(space, start_point):
    """The weights of ``start_point`` (overlaps or weights) in ``space``, polished by Newton.

    Raises
    ------
    ParameterError
        Naming ``start``: overlaps of no weights, weights of the wrong size, or no critical
        point near them.
    """
    from fixedpoints.numeric.newton import newton
    from fixedpoints.numeric.overlaps import weights_from_coordinates

    if isinstance(start_point, dict) or hasattr(start_point, "items"):
        W, a = weights_from_coordinates(
            start_point, space.V, space.names, space.k, spherical=space.spherical
        )
        if space.trainable and a is None:
            raise ParameterError(
                "`start` must give the second-layer weights a_i of a trainable model.",
                parameter="start",
            )
        x = space.pack(W, a if space.trainable else None)
    else:
        x = np.asarray(start_point, dtype=float).reshape(-1)
        if x.size != space.dimension:
            raise ParameterError(
                f"`start` weights must have {space.dimension} entries; got {x.size}.",
                parameter="start",
            )
    r = newton(space, space.retract(x), tol=1e-12)
    if str(r.status) != "converged":
        raise ParameterError(
            f"`start`: Newton from the given point did not converge ({r.status}); give a "
            "critical point at the start of the range.",
            parameter="start",
        )
    return np.asarray(r.x)


def _continue_in_dimension(
    model, parameter, start, end, params, isotropy, starts, seed, progress, t0, precise_steps
):
    """The branches of Fix(``isotropy``) in real d (see :func:`continue_fixed_points`);
    ``precise_steps`` = (precision, per_decade)."""
    from fixedpoints.codegen import compile_pair_kernels
    from fixedpoints.numeric.continuation import continue_branch
    from fixedpoints.numeric.symmetry import DimensionFamily, find_isotropic_fixed_points
    from fixedpoints.numeric.symmetry.precision import follow_precise_branch
    from fixedpoints.numeric.symmetry.search import FLOAT_LIMIT

    if parameter != "d":
        raise ParameterError(
            f"`isotropy` continues in the dimension: `parameter` must be 'd'; got {parameter!r}.",
            parameter="parameter",
        )
    if not (float(start).is_integer() and start >= 2):
        raise out_of_range("parameter", start, "an integer d >= 2 at the start of the range")
    if min(start, end) <= 1:
        raise out_of_range("parameter", f"{start}:{end}", "a range of d above 1")
    precision, per_decade = precise_steps
    kernels = compile_pair_kernels(model, params)
    family = DimensionFamily(kernels, isotropy)
    precise = None if precision is None else compile_pair_kernels(model, params, backend="mpmath")
    found = find_isotropic_fixed_points(
        kernels,
        isotropy,
        int(start),
        starts=starts,
        seed=seed,
        # float64 cannot classify the start above FLOAT_LIMIT: the search does it at N digits
        **({"precision": precision, "precise_kernels": precise} if start > FLOAT_LIMIT else {}),
    )
    branches = []
    for p in found.points:
        if p.degenerate or str(p.status) != "converged":
            continue
        label = f"L={p.loss:.10g} {p.isotropy} index {p.index}"
        if precision is not None:
            branches.append(
                follow_precise_branch(
                    isotropy,
                    precise,
                    p.x,
                    float(start),
                    float(end),
                    precision,
                    per_decade=per_decade,
                    float_kernels=kernels,
                    label=label,
                    progress=progress,
                )
            )
            continue
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
    if precision is not None:
        settings["precision"] = precision
        settings["per_decade"] = per_decade
    return Continuation(
        parameter="d",
        range=(start, end),
        branches=tuple(branches),
        model=model.name,
        settings=settings,
        stats={"seconds": time.perf_counter() - t0},
    )
