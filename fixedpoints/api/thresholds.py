"""Where a named fixed point changes stability in a parameter: the closed form (SymPy) when one
exists, always checked by the numeric route (continuation of the point with the index change
located to 1e-10).

Composes :func:`fixedpoints.numeric.named.named_point_weights`,
:func:`fixedpoints.numeric.continuation.continue_branch`,
:func:`fixedpoints.numeric.bifurcation.index_changes`,
:func:`fixedpoints.symbolic.symbolic_threshold` and
:func:`fixedpoints.symbolic.symbolic_threshold_in_size`.
"""

from __future__ import annotations

import sympy as sp

from fixedpoints.api.landscapes import LandscapeFamily
from fixedpoints.codegen import cached_derive
from fixedpoints.errors import DerivationError, ParameterError
from fixedpoints.numeric.bifurcation import index_changes
from fixedpoints.numeric.continuation import continue_branch
from fixedpoints.numeric.named import NAMED_POINTS, named_point_weights
from fixedpoints.results import Status, Threshold
from fixedpoints.symbolic import size_factory, symbolic_threshold, symbolic_threshold_in_size

__all__ = ["NUMERIC_AGREEMENT", "threshold"]

# the closed form is checked against the numeric root; that root is limited by the accuracy of the
# finite-difference Hessian eigenvalue (~1e-9 relative to the curvature), i.e. ~1e-8 in beta for
# high-degree targets (He6: 1.6e-8)
NUMERIC_AGREEMENT = 1e-6


def threshold(
    model,
    parameter: str,
    lo: float,
    hi: float,
    *,
    point: str = "averaged",
    symbolic=(),
    model_factory=None,
    params=None,
    curve=None,
) -> Threshold:
    """Where the named ``point`` changes stability for ``parameter`` in ``[lo, hi]``.

    First the closed form (the point substituted into the Jacobian of the overlap ODE, the
    eigenvalue of its standard isotypic block solved with SymPy); then, always, the numeric route
    (continuation of the point in weight space, index change localised to 1e-10), which gives
    ``index_below``/``index_above`` and checks the closed form (to
    :data:`NUMERIC_AGREEMENT`). With ``symbolic=('k',)`` the closed form is derived with the
    size k symbolic (the model rebuilt at other sizes by ``model_factory``, default
    :func:`~fixedpoints.symbolic.size_factory`).

    With ``curve = (name, c0, c1)`` (a second free parameter and its range) the threshold is
    found at ``name = c0`` and continued as a curve in (``parameter``, ``name``)
    (:func:`~fixedpoints.api.curves.threshold_curve`): ``Threshold.curve``, with its closed form
    where SymPy finds one (``parameter`` as a function of ``name``, or the other way round).

    Returns
    -------
    Threshold

    Raises
    ------
    ParameterError
        Naming ``point``, ``parameter``, ``symbolic`` or ``curve``.

    Examples
    --------
    >>> import fixedpoints as fp
    >>> model = fp.load_model("multi-index", {"k": 3, "target": "He4", "d": 3})
    >>> res = fp.threshold(model, "beta", 0.0, 0.99)
    >>> res.expression, round(res.value, 12), (res.index_below, res.index_above)
    ('2/5', 0.4, (2, 0))
    """
    if point not in NAMED_POINTS:
        raise ParameterError(
            f"`point` must be one of {', '.join(NAMED_POINTS)}; got {point!r}.", parameter="point"
        )
    if lo >= hi:
        lo, hi = hi, lo
    symbolic = tuple(symbolic)
    if len(symbolic) > 1:
        raise ParameterError(
            f"`symbolic` takes one size name (e.g. ('k',)); got {symbolic!r}.", parameter="symbolic"
        )
    if curve is not None:
        name, c0, c1 = curve
        if name == parameter or name not in model.free:
            raise ParameterError(
                f"`curve` must name a free parameter of {model.name!r} other than "
                f"{parameter!r} (free: {', '.join(model.free)}); got {name!r}.",
                parameter="curve",
            )
        params = {**dict(params or {}), name: float(c0)}
    factory = None
    if symbolic:
        factory = model_factory or size_factory(model, symbolic[0])
    family = LandscapeFamily(model, parameter, params)
    x0 = named_point_weights(family.at(lo), point)
    branch = continue_branch(family.at, x0, lo, hi, event_tol=1e-10, label=point)
    first, last = branch.points[0].index, branch.points[-1].index
    events = index_changes(branch)
    numeric = events[0].value if events else None
    out = {
        "value": numeric,
        "expression": None,
        "index_below": events[0].index_below if events else first,
        "index_above": events[0].index_above if events else last,
        "kind": events[0].kind if events else None,
        "method": "numeric (continuation, bisection/Brent to 1e-10)",
        "symbolic_status": None,
        "eigenvalue": None,
        "latex": None,
    }
    try:
        if symbolic:
            sym = symbolic_threshold_in_size(factory, parameter, point, size=symbolic[0])
        else:
            sym = symbolic_threshold(cached_derive(model), parameter, point)
    except (DerivationError, ParameterError) as e:
        sym = None
        out["symbolic_status"] = str(e)
    if sym is not None:
        out["symbolic_status"] = sym.reason or "solved"
        std = sym.eigenvalues.get("standard") if sym.eigenvalues else None
        if std is not None:
            out["eigenvalue"] = f"-({std})"  # Hessian eigenvalue = -(Jacobian eigenvalue)
        if sym.expression is not None:
            _closed_form(out, sym.expression, symbolic, model, lo, hi, numeric)
    found = out["value"] is not None
    if found:
        message = (
            f"the {point} point changes index {out['index_below']} -> {out['index_above']} at "
            f"{parameter} = {out['value']:.12g}"
        )
    else:
        message = (
            f"the {point} point keeps index {first} for {parameter} in [{lo:g}, {hi:g}] "
            "(no threshold in this range)"
        )
    if curve is not None:
        from fixedpoints.api.curves import threshold_curve

        name, c0, c1 = curve
        out["curve"] = threshold_curve(
            model,
            parameter,
            lo,
            hi,
            name,
            c0,
            c1,
            point=point,
            params={k: v for k, v in params.items() if k != name},
            event=events[0] if events else None,
        )
    return Threshold(
        parameter=parameter,
        point=point,
        numeric_value=numeric,
        range=(lo, hi),
        status=Status.FOUND if found else Status.NOT_FOUND,
        message=message,
        events=tuple(events),
        branch=branch,
        **out,
    )


def _closed_form(out, expr, symbolic, model, lo, hi, numeric) -> None:
    """Accept the closed form ``expr`` when its value (at the model's size) lies in the range and
    the numeric route found the index change there; record a disagreement with the numeric root,
    or a root that changes no index (``numeric`` None: no threshold)."""
    value = expr
    if symbolic:
        size = [f for f in expr.free_symbols if f.name == symbolic[0]]
        if size:
            value = expr.subs(
                size[0], int(dict(model.settings).get(symbolic[0], model.teacher.width))
            )
    try:
        v = float(value)
    except TypeError:
        return
    if not lo - 1e-9 <= v <= hi + 1e-9:
        return
    if numeric is None:  # a root where the index does not change (an end point, a tangency)
        root = str(expr) if str(expr) == f"{v:.12g}" else f"{expr} = {v:.12g}"
        out["symbolic_status"] = (
            f"the closed-form root {root} changes no index in the range (index "
            f"{out['index_below']} on both sides): not a threshold"
        )
        return
    out.update(
        expression=str(expr),
        latex=sp.latex(expr),
        value=v,
        method="sympy closed form (checked numerically)",
    )
    if numeric is not None and abs(numeric - v) > NUMERIC_AGREEMENT:
        out["symbolic_status"] = f"closed form {v!r} disagrees with the numeric root {numeric!r}"
