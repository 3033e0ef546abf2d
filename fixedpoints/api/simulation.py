r"""Finite-width simulation of a model: the protocol resolved (the model file's ``[simulate]``
table, then the arguments), the kernels compiled for the array backend, batched training and the
outcomes labelled.

Composes :func:`fixedpoints.codegen.compile_pair_kernels` and
:func:`~fixedpoints.codegen.arrayapi.activation_functions` (for the backend's namespace),
:func:`fixedpoints.numeric.initialize.initial_weights`,
:func:`fixedpoints.numeric.simulate.simulate` and :func:`fixedpoints.numeric.outcomes.outcomes`.
A decoupled model (correlation loss with a fixed second layer, e.g. ``multi-index``) has no
student–student interaction: every neuron is simulated as its own run (``runs`` = neurons).
"""

from __future__ import annotations

import time as _time

import numpy as np

from fixedpoints.api.landscapes import model_teacher_vectors
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError, out_of_range
from fixedpoints.numeric import meanfield
from fixedpoints.numeric.backend import array_backend
from fixedpoints.numeric.initialize import initial_weights
from fixedpoints.numeric.landscape import decouple
from fixedpoints.numeric.outcomes import outcomes
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.numeric.riccati import RiccatiProblem, exact_flow
from fixedpoints.numeric.sampled import SampledLoss
from fixedpoints.numeric.simulate import METHODS, StopRule
from fixedpoints.numeric.simulate import simulate as _simulate
from fixedpoints.results import Simulation

__all__ = ["DEFAULT_PROTOCOL", "simulate", "simulation_protocol", "training_loss"]

DEFAULT_PROTOCOL = {
    "method": "flow",
    "lr": None,
    "init": "gaussian",
    "scale": 1.0,
    "gradient_tol": 1e-8,
    "t_max": 1e4,
    "records": 100,
    "times": None,
    "integrator": "auto",
    "scaling": "standard",
    "target": "teacher",
    "subspace": None,
    "reduced": False,
}
SCALINGS = ("standard", "mean-field")
#: targets the model's teacher neurons represent exactly (the mean-field-relu preset's names)
TEACHER_TARGETS = ("teacher", "odd-linear", "odd-cubic")
TARGETS = (*TEACHER_TARGETS, "norm-subspace")
#: methods beyond the batched trainers of :mod:`fixedpoints.numeric.simulate`
EXACT = "exact"


def simulate(
    model,
    params=None,
    *,
    runs: int = 100,
    backend: str = "numpy",
    device=None,
    seed: int = 0,
    batch_size: int = 256,
    plateau_tol: float | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    fixed_points=None,
    loss_tol: float = 1e-6,
    progress=None,
    start=None,
    **protocol,
) -> Simulation:
    r"""Train ``runs`` copies of ``model`` from random initializations, batched, and label where
    they end.

    Parameters
    ----------
    model : Model
    params : dict, optional
        Values of free parameters.
    runs : int
    backend : {'numpy', 'torch', 'cupy', 'array-api-strict'}
    device : optional
        Backend device (torch: ``"cuda"``, ``"cpu"``).
    seed : int
        Initialization (and SGD sampling) seed; the weights are identical on every backend.
    batch_size : int
        SGD samples per step and run.
    plateau_tol, rtol, atol : float
        Plateau stop rule; ``flow`` tolerances.
    fixed_points : sequence, optional
        Known fixed points (FixedPoint or dicts with ``loss``) to name the outcomes after.
    loss_tol : float
        Final losses this close are one outcome.
    progress : callable, optional
        ``progress(t, active_runs)`` after each step.
    start : (W0, a0), optional
        Start from these weights instead of drawing them (e.g. to continue a run from its final
        ``W``, ``a``): ``W0`` of shape ``(runs, k, d)`` — ``(runs, k, d_H + 1)`` for
        ``reduced`` — and ``a0`` ``(runs, k, outputs)`` or None for a fixed second layer.
    **protocol
        Overrides of :data:`DEFAULT_PROTOCOL` / the model's ``[simulate]`` table: ``method``
        (``gd``, ``flow``, ``sgd``, ``exact``), ``lr``, ``init``, ``scale``, ``gradient_tol``,
        ``t_max``, ``times`` (increasing record times; the last one ends the runs; ``exact``
        gives the state exactly there, the others at the first step reaching each),
        ``integrator`` (``flow``: ``auto``, ``dopri5``, ``ros34pw2`` or ``rkc``, see
        :func:`fixedpoints.numeric.simulate.simulate`),
        ``records``; ``scaling`` (``standard``, or ``mean-field``: output :math:`\frac1m`,
        step :math:`\times m`, :class:`~fixedpoints.numeric.meanfield.MeanFieldScaling`;
        second layers start at :math:`a_i\sim\mathcal N(0,\delta^2)`),
        ``target`` (``teacher``: the teacher neurons; ``norm-subspace``: the exact
        :math:`\\|P_Hx\\|`, :math:`H=\\operatorname{span}(e_1..e_r)`, r = ``subspace``,
        :class:`~fixedpoints.numeric.meanfield.SubspaceNormTarget`), ``reduced`` (the exact
        reduction by the rotations of :math:`H^\\perp`, r + 1 numbers per neuron from the same
        initialization, :class:`~fixedpoints.numeric.meanfield.ReducedLoss`); ``init`` may be
        ``symmetric:GENERATORS`` (:mod:`fixedpoints.numeric.symmetry.particles`) or a named group,
        ``symmetric:odd`` (the flip) or ``symmetric:perp`` (:math:`-I` on :math:`H^\perp`); None
        values are ignored.

    Returns
    -------
    Simulation
        With the resolved ``protocol``, the teacher ``V``, the initial weights and the
        ``outcomes``.

    Raises
    ------
    ParameterError
        Naming ``protocol``, ``runs``, ``method``, ``backend`` or a protocol entry.

    Examples
    --------
    >>> import fixedpoints as fp
    >>> sim = fp.simulate(fp.load_model("soft-committee", {"k": 2, "m": 2}), runs=3)
    >>> sim.status == (fp.Status.CONVERGED,) * 3, [(g.label, g.count) for g in sim.outcomes.groups]
    (True, [('global minimum', 3)])
    """
    if not (isinstance(runs, int | np.integer) and int(runs) >= 1):
        raise out_of_range("runs", runs, "an integer >= 1")
    proto = simulation_protocol(model, **protocol)
    if proto["method"] == EXACT and backend != "numpy":
        raise out_of_range(
            "backend",
            backend,
            "'numpy' for method 'exact'",
            "The closed form runs on the host: p + 2 numbers per run.",
        )
    be = array_backend(backend, device)
    kernels, k, decoupled, V, target, population = _setup(model, params, proto, be)
    d = V.shape[1]
    W0, a0 = initial_weights(
        _named_group(str(proto["init"]), proto, d),
        int(runs),
        k,
        d,
        scale=float(proto["scale"]),
        outputs=model.outputs if kernels.a is None else None,
        seed=seed,
    )
    if proto["scaling"] == "mean-field" and a0 is not None:
        a0 = a0 * np.sqrt(k)  # a_i ~ N(0, scale^2): O(1) per particle, the output carries 1/m
    if start is not None:
        W0, a0 = _start(start, W0, a0, target if proto["reduced"] else None)
    times = _record_times(proto)
    if times is not None:  # the last record time ends the runs
        proto["t_max"] = float(times[-1]) if times[-1] > 0 else proto["t_max"]
    if proto["method"] == EXACT:
        result = _exact(population, W0, proto, times, rtol, atol, progress)
        return _finish(
            model, result, V, W0, a0, proto, be, runs, k, d, decoupled, fixed_points, loss_tol
        )
    sampled = None
    if proto["method"] == "sgd":  # the forward pass is printed by SymPy: imported only here
        from fixedpoints.codegen.arrayapi import activation_functions

        sampled = SampledLoss(population, *activation_functions(model, be.xp))
    W_start = W0
    if proto["reduced"]:
        population, W_start, V = _reduction(kernels, target, W0, proto, start is not None)
    if proto["scaling"] == "mean-field":
        population = meanfield.MeanFieldScaling(population, k)
        sampled = None if sampled is None else population.sampled(sampled)
    stop = StopRule(
        gradient_tol=float(proto["gradient_tol"]),
        t_max=float(proto["t_max"]),
        plateau_tol=plateau_tol,
    )
    result = _simulate(
        population,
        be.asarray(W_start),
        None if a0 is None else be.asarray(a0),
        method=proto["method"],
        lr=proto["lr"],
        stop=stop,
        records=int(proto["records"]),
        rtol=rtol,
        atol=atol,
        sampled=sampled,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
        integrator=proto["integrator"],
        record_times=times,
    )
    return _finish(
        model, result, V, W_start, a0, proto, be, runs, k, d, decoupled, fixed_points, loss_tol
    )


def simulation_protocol(model, **protocol) -> dict:
    """The protocol :func:`simulate` follows: :data:`DEFAULT_PROTOCOL`, updated by the model's
    ``[simulate]`` table and by ``protocol`` (None values ignored), checked.

    >>> import fixedpoints as fp
    >>> simulation_protocol(fp.load_model("relu-teacher", {"d": 4}))["lr"]
    1.25

    Raises
    ------
    ParameterError
        Naming ``protocol`` (an unknown key), ``method``, or ``lr`` given to a method that
        chooses its own steps (``flow``, ``exact``).
    """
    unknown = set(protocol) - set(DEFAULT_PROTOCOL)
    if unknown:
        raise out_of_range("protocol", sorted(unknown), "keys " + ", ".join(DEFAULT_PROTOCOL))
    proto = {**DEFAULT_PROTOCOL, **dict(model.simulation)}
    proto.update({k: v for k, v in protocol.items() if v is not None})
    if proto["method"] not in (*METHODS, EXACT):
        raise out_of_range("method", proto["method"], "one of " + ", ".join((*METHODS, EXACT)))
    if proto["method"] in ("flow", EXACT):
        if protocol.get("lr") is not None:
            raise ParameterError(
                f"`lr` is the step of methods gd and sgd; method {proto['method']!r} chooses its "
                f"own steps (flow: adaptive, rtol/atol); got lr={protocol['lr']!r}. Drop it, or "
                "use method 'gd'.",
                parameter="lr",
            )
        proto["lr"] = None  # a preset's gd step does not apply (and is not echoed)
    return proto


def training_loss(model, params=None, *, backend: str = "numpy", device=None, **protocol):
    r"""The loss object :func:`simulate` trains, to evaluate at any weights: ``loss(W, a)``
        and ``gradient(W, a)`` (minus the velocity field; batched over leading dimensions).

        With ``scaling='mean-field'`` (the ``mean-field-relu`` preset's default) it is
        :class:`~fixedpoints.numeric.meanfield.MeanFieldScaling` of the population loss, so
        ``gradient`` is :math:`m
    abla R`; with ``reduced=True`` the states are
        :math:`(v_i,arrho_i)` rows of the rotation-reduced model
        (:class:`~fixedpoints.numeric.meanfield.ReducedLoss`). Protocol entries as for
        :func:`simulate` (``scaling``, ``target``, ``subspace``, ``reduced``).

        Examples
        --------
        >>> import fixedpoints as fp, numpy as np
        >>> model = fp.load_model("mean-field-relu", {"d": 4, "d_H": 2, "target": "norm-subspace"})
        >>> full = fp.training_loss(model)
        >>> reduced = fp.training_loss(model, reduced=True)
        >>> W, a = np.ones((8, 4)), np.ones((8, 1))  # every particle (1, 1, 1, 1): rho = sqrt(2)
        >>> Y = np.concatenate([W[:, :2], np.full((8, 1), np.sqrt(2))], 1)
        >>> bool(full.loss(W, a) > reduced.loss(Y, a))  # the orbit average spreads the particles
        True
    """
    proto = simulation_protocol(model, **protocol)
    kernels, k, _, V, target, population = _setup(
        model, params, proto, array_backend(backend, device)
    )
    if proto["reduced"]:
        population = meanfield.ReducedLoss(kernels, target)
    if proto["scaling"] == "mean-field":
        population = meanfield.MeanFieldScaling(population, k)
    return population


def _setup(model, params, proto, be):
    """Compiled kernels, neurons per run, decoupling, teacher vectors (or the target's basis),
    exact target and the standard-parameterization population loss."""
    kernels = compile_pair_kernels(model, params, xp=be.xp)
    kernels, k, decoupled = decouple(kernels, model.student.width)
    V = model_teacher_vectors(model, kernels.T)
    target = _exact_target(proto, V.shape[1], be, model.student.activation)
    if target is not None:
        V = target.basis()
    population = PopulationLoss(kernels, V, device=be.device, target=target)
    return kernels, k, decoupled, V, target, population


def _named_group(init: str, proto, d: int) -> str:
    """``symmetric:odd`` -> ``symmetric:flip``; ``symmetric:perp`` -> the reflection of every
    coordinate of the complement of H (``subspace`` = dim H)."""
    if init == "symmetric:odd":
        return "symmetric:flip"
    if init == "symmetric:perp":
        r = proto.get("subspace")
        if r is None or not 1 <= int(r) < d:
            raise out_of_range("init", init, f"a model with a subspace H of dimension < d = {d}")
        return "symmetric:reflect:" + ",".join(str(i) for i in range(int(r) + 1, d + 1))
    return init


def _exact_target(proto, d, be, activation):
    """The exact target the protocol names (None: the teacher neurons), checked."""
    if proto["scaling"] not in SCALINGS:
        raise out_of_range("scaling", proto["scaling"], "one of " + ", ".join(SCALINGS))
    if proto["target"] in TEACHER_TARGETS:
        if proto["reduced"]:
            raise out_of_range("reduced", True, "target 'norm-subspace' (a target of P_H x)")
        return None
    if proto["target"] != "norm-subspace":
        raise out_of_range("target", proto["target"], "one of " + ", ".join(TARGETS))
    if be.name != "numpy":
        raise out_of_range("backend", be.name, "'numpy' for target 'norm-subspace'")
    if activation != "relu":
        raise out_of_range("student.activation", activation, "relu for target 'norm-subspace'")
    r = proto["subspace"]
    if r is None or float(r) != int(r):
        raise out_of_range("subspace", r, f"an integer in [1, d = {d}] (dim H)")
    return meanfield.SubspaceNormTarget(d, int(r))


def _reduction(kernels, target, W0, proto, reduced_already=False):
    """The reduced loss and the state (v, |P_perp w|) of the same initialization."""
    if proto["method"] not in ("gd", "flow"):
        raise out_of_range("method", proto["method"], "gd or flow for the reduced model")
    r = target.r
    Y0 = W0
    if not reduced_already:
        Y0 = np.concatenate([W0[..., :r], np.linalg.norm(W0[..., r:], axis=-1)[..., None]], -1)
    return meanfield.ReducedLoss(kernels, target), Y0, np.eye(r, r + 1)


def _start(start, W_drawn, a_drawn, reduced_target):
    """The given start weights, checked against the shapes of the drawn ones."""
    try:
        W0, a0 = start
        W0 = np.array(W0, dtype=float)
        a0 = None if a0 is None else np.array(a0, dtype=float)
    except (TypeError, ValueError):
        raise out_of_range("start", type(start).__name__, "a pair (W0, a0) of arrays") from None
    shape = W_drawn.shape
    if reduced_target is not None:
        shape = (*shape[:-1], reduced_target.r + 1)
    a_shape = None if a_drawn is None else a_drawn.shape
    if W0.shape != shape or (None if a0 is None else a0.shape) != a_shape:
        got = (W0.shape, None if a0 is None else a0.shape)
        raise out_of_range("start", got, f"arrays of shapes {shape} and {a_shape}")
    if not (np.all(np.isfinite(W0)) and (a0 is None or np.all(np.isfinite(a0)))):
        raise out_of_range("start", "non-finite weights", "finite arrays")
    return W0, a0


def _record_times(proto):
    """Explicit record times (the ``times`` protocol entry), checked, or None."""
    times = proto.get("times")
    if times is None:
        return None
    arr = np.asarray(times, dtype=float).ravel()
    if arr.size < 1 or not np.all(np.isfinite(arr)) or arr[0] < 0 or np.any(np.diff(arr) <= 0):
        raise out_of_range("times", list(np.ravel(times))[:6], "increasing finite times >= 0")
    return arr


def _exact(population, W0, proto, times, rtol, atol, progress):
    r"""The exact (Riccati) flow of a quadratic network (:mod:`fixedpoints.numeric.riccati`) as a
    :class:`~fixedpoints.results.Simulation`; records at ``times`` or log-spaced to ``t_max``."""
    problem = RiccatiProblem.from_population(population)
    t_max = float(proto["t_max"])
    if times is None:
        n = max(int(proto["records"]), 2)
        times = np.concatenate([[0.0], np.geomspace(min(1e-3, t_max / 10), t_max, n)])
    t0 = _time.perf_counter()
    flow = exact_flow(
        problem,
        np.asarray(W0, dtype=float),
        times,
        gradient_tol=float(proto["gradient_tol"]),
        rtol=min(rtol, 1e-10),
        atol=min(atol, 1e-12),
        progress=progress,
    )
    losses = flow.observables["loss"]
    obs = {n: v for n, v in flow.observables.items() if n != "loss"}
    return Simulation(
        times=flow.times,
        losses=losses,
        W=flow.W,
        a=None,
        final_losses=flow.final["loss"],
        gradient_norms=flow.final["gradient_norm"],
        stop_times=flow.stop_times,
        steps=flow.steps,
        status=flow.status,
        method=EXACT,
        loss_quantiles=np.quantile(losses, [0.1, 0.5, 0.9], axis=0),
        stats={"seconds": _time.perf_counter() - t0},
        observables=obs,
    )


def _finish(model, result, V, W0, a0, proto, be, runs, k, d, decoupled, fixed_points, loss_tol):
    """Outcomes, protocol and provenance added to a finished simulation."""
    square = model.loss.kind == "square"
    labelled = outcomes(result, V, square=square, fixed_points=fixed_points, loss_tol=loss_tol)
    setup = {
        **proto,
        "backend": be.describe(),
        "runs": int(runs),
        "neurons_per_run": k,
        "d": d,
        "decoupled": decoupled,
    }
    return result.with_(
        protocol=setup,
        V=V,
        W0=W0,
        a0=a0,
        overlaps=np.einsum("rkd,md->rkm", result.W, V),
        outcomes=labelled,
        square=square,
        model=model.name,
        settings=dict(model.settings),
    )
