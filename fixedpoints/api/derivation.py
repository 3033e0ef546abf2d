"""Derivation of a model: the (cached) order-parameter flow, reduced by an ansatz on request, and
a trajectory of it from a random initialization.

Composes :func:`fixedpoints.codegen.cached_derive` (derivation with its on-disk cache; the
printed equations cached beside it, :func:`printed_flow`),
:func:`fixedpoints.symbolic.reduce_flow`, :func:`fixedpoints.codegen.compile_flow`,
:func:`fixedpoints.numeric.initialize.initial_weights` and
:func:`fixedpoints.numeric.ode.integrate`.
"""

from __future__ import annotations

import math

from fixedpoints.codegen import (
    array_function,
    cached_derive,
    compile_pair_kernels,
    model_arrays,
    read_cached,
    write_cached,
)
from fixedpoints.errors import ParameterError, out_of_range
from fixedpoints.models import Model
from fixedpoints.models.naming import OrderParameterNames
from fixedpoints.numeric.overlap_flow import OverlapFlow
from fixedpoints.numeric.overlaps import input_dimension, state_from_weights, teacher_vectors
from fixedpoints.numeric.population import PopulationLoss

__all__ = ["check_evaluable", "compile_flow", "derive", "flow_trajectory", "printed_flow"]

#: the formats :func:`printed_flow` prints
FORMATS = ("text", "latex", "json")


def derive(model, *, ansatz=None, cache_dir=None):
    """The loss and order-parameter flow of ``model``
    (:class:`~fixedpoints.symbolic.OrderParameterFlow`), from the on-disk cache when it holds them
    (``cache_dir``: a folder, None for the default, False for no cache), reduced by ``ansatz``
    (``'symmetric'``, ``'diagonal'``, ``'block:p1,p2,...'``) after checking it is invariant.

    >>> import fixedpoints as fp
    >>> fp.derive(fp.load_model("multi-index", {"k": 2, "n": 1, "target": "He3"})).names
    ('M_11', 'M_12')
    """
    flow = cached_derive(model, cache_dir=cache_dir)
    check_evaluable(model, flow)
    if not ansatz:
        return flow
    from fixedpoints.symbolic import reduce_flow

    return reduce_flow(flow, ansatz)


def printed_flow(
    model, fmt: str = "text", *, ansatz=None, expand: bool = False, cache_dir=None, flow=None
):
    """``(printed, cached)``: the flow of ``model`` (reduced by ``ansatz``) as ``fmt`` prints it
    — ``printed["body"]`` the text (:func:`~fixedpoints.export.flow_to_text`), the LaTeX
    (:func:`~fixedpoints.export.flow_to_latex`, ``expand``) or the JSON document
    (:func:`~fixedpoints.export.flow_to_json`), ``printed["dimension"]`` and
    ``printed["parameters"]`` (names) — and whether it came from the on-disk cache. A flow printed
    once in a format is read back without SymPy: printing is most of a cached derivation's time
    (soft-committee k = m = 8: 2–4 s for the 100 equations' text, against 0.02 s to read it).
    ``flow``: the caller's :func:`derive` of the same arguments, printed where the cache misses
    (not derived a second time).

    Raises
    ------
    ParameterError
        Naming ``fmt`` when it is not one of :data:`FORMATS`; and what :func:`derive` raises.
    """
    if fmt not in FORMATS:
        raise out_of_range("fmt", fmt, " or ".join(FORMATS))
    kind = f"printed-{fmt}|ansatz={ansatz or ''}|expand={bool(expand)}"
    out = read_cached(model, kind, cache_dir=cache_dir)
    if isinstance(out, dict):
        return out, True
    from fixedpoints.export import flow_to_json, flow_to_latex, flow_to_text

    if flow is None:
        flow = derive(model, ansatz=ansatz, cache_dir=cache_dir)
    if fmt == "json":
        body = flow_to_json(flow)
    elif fmt == "latex":
        body = flow_to_latex(flow, expand=expand)
    else:
        body = flow_to_text(flow)
    out = {
        "body": body,
        "dimension": flow.dimension,
        "parameters": [str(p) for p in flow.parameters],
    }
    write_cached(model, kind, out, cache_dir=cache_dir)
    return out, False


def check_evaluable(model, flow=None) -> None:
    """Refuse a model that no numeric verb can evaluate, with the checks those verbs make (one
    home: the kernels and teacher vectors they build).

    - A kernel without a closed form (a quadrature function in ``flow``) is compiled as
      :func:`~fixedpoints.codegen.compile_pair_kernels` compiles it for ``fixed-points`` and
      ``simulate``: a kinked integrand (e.g. a step student with a tanh teacher) raises.
    - The teacher overlap must be positive semi-definite
      (:func:`~fixedpoints.numeric.overlaps.teacher_vectors`), checked when no parameter is
      left free (a symbolic overlap is checked where the numeric verbs give it values).

    Raises
    ------
    DerivationError
        A kernel that cannot be integrated.
    ParameterError
        Naming ``teacher.overlap`` when it is not positive semi-definite.
    """
    from fixedpoints.kernels import quadrature_functions

    if flow is not None and quadrature_functions(flow.loss):
        params = {name: _inside(model, name) for name in model.free}
        compile_pair_kernels(model, params)
    if not model.free:
        from fixedpoints.api.landscapes import model_teacher_vectors  # the PSD check

        model_teacher_vectors(model, model_arrays(model, {})["T"])


def _inside(model, name: str) -> float:
    """A value inside the declared range of the free parameter ``name`` (the kernels do not
    depend on it; the arrays compiled beside them need one)."""
    lo, hi = (_number(b) for b in model.range_of(name)[:2])
    if lo is not None and hi is not None:
        return (lo + hi) / 2
    if lo is not None:
        return lo + 0.5
    return 0.5 if hi is None else hi - 0.5


def _number(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def compile_flow(flow, backend: str = "numpy"):
    r"""A numeric system (:class:`~fixedpoints.protocols.System`: ``vector_field``, ``loss``) of
    a derived flow, or of a model directly.

    A full flow (or a :class:`~fixedpoints.models.Model`) on NumPy is pair-vectorised
    (:class:`~fixedpoints.numeric.overlap_flow.OverlapFlow`): the kernels of the model are
    evaluated once per pair type over arrays of :math:`(A,B,P)` and :math:`S`, :math:`H` are
    assembled by matrix products; numeric parameters (e.g. ``beta``) are arguments, so one
    compiled system serves a whole sweep. A reduced flow (an ansatz) or ``backend='mpmath'``
    compiles its expressions one per variable (:func:`fixedpoints.codegen.compile_flow`, the
    reference the tests hold the pair-vectorised flow to).

    Parameters
    ----------
    flow : OrderParameterFlow or Model
        From :func:`derive` (a model needs no derivation: the same system, without SymPy).
    backend : {'numpy', 'mpmath'}

    Returns
    -------
    OverlapFlow or CompiledFlow

    Examples
    --------
    >>> import fixedpoints as fp
    >>> model = fp.load_model("soft-committee", {"k": 2, "m": 2})
    >>> system = fp.compile_flow(model)
    >>> system.names
    ('Q_11', 'Q_12', 'Q_22', 'M_11', 'M_12', 'M_21', 'M_22')
    >>> bool(abs(system.loss([1, 0, 1, 1, 0, 0, 1])) < 1e-15)
    True
    """
    model = flow if isinstance(flow, Model) else flow.model
    if backend != "numpy" or model is None or (not isinstance(flow, Model) and flow.ansatz):
        from fixedpoints.codegen import compile_flow as compile_expressions

        if isinstance(flow, Model):
            flow = derive(flow)
        return compile_expressions(flow, backend)
    spherical = model.student.spherical
    trainable = model.student.second_layer == "trainable"
    names = (
        OrderParameterNames.for_model(model).variables(spherical=spherical, trainable=trainable)
        if isinstance(flow, Model)
        else flow.names
    )
    arrays = array_function(model) if model.free else None

    def population(values):
        params = dict(zip(model.free, values, strict=True))
        kernels = compile_pair_kernels(model, params, arrays=arrays)
        return PopulationLoss(kernels, None)

    return OverlapFlow.for_model(model, names, population)


def flow_trajectory(model, flow, t_end: float, *, seed: int = 0, n_points: int = 400):
    """Integrate the full ``flow`` of ``model`` over ``[0, t_end]`` from the overlaps of a random
    initialization (weights Gaussian :math:`N(0,1/d)`, unit rows for spherical neurons, trainable
    second layers :math:`N(0,1/k)`; seeded).

    Returns
    -------
    Trajectory

    Raises
    ------
    ParameterError
        A free parameter left symbolic (naming ``params``), a reduced flow (``ansatz``), or a
        non-positive ``t_end``.
    """
    from fixedpoints.numeric.initialize import initial_weights  # heavy: loaded when used
    from fixedpoints.numeric.ode import integrate

    if flow.parameters:
        name = str(flow.parameters[0])
        raise ParameterError(
            f"`{name}` is free (symbolic); a trajectory needs numbers: give it a value in "
            "`params`.",
            parameter="params",
        )
    if flow.ansatz:
        raise ParameterError(
            "a trajectory integrates the full flow: drop `ansatz`.", parameter="ansatz"
        )
    if not (t_end > 0 and math.isfinite(t_end)):
        raise out_of_range("t_end", t_end, "a finite number > 0")
    system = compile_flow(flow)
    T = model_arrays(model, {})["T"]
    k = model.student.width
    d = input_dimension(T, k, model.input_dimension)
    V = teacher_vectors(T, d)
    trainable = model.student.second_layer == "trainable"
    W, a = initial_weights(
        "sphere" if model.student.spherical else "gaussian",
        1,
        k,
        d,
        outputs=model.outputs if trainable else None,
        seed=seed,
    )
    x0 = state_from_weights(flow.names, W[0], V, None if a is None else a[0], model.outputs)
    return integrate(system, x0, t_end, n_points=n_points)
