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
from fixedpoints.codegen.arrayapi import activation_functions
from fixedpoints.errors import out_of_range
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

__all__ = ["DEFAULT_PROTOCOL", "simulate"]

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
}
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
    **protocol,
) -> Simulation:
    """Train ``runs`` copies of ``model`` from random initializations, batched, and label where
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
    **protocol
        Overrides of :data:`DEFAULT_PROTOCOL` / the model's ``[simulate]`` table: ``method``
        (``gd``, ``flow``, ``sgd``, ``exact``), ``lr``, ``init``, ``scale``, ``gradient_tol``,
        ``t_max``, ``times`` (increasing record times; the last one ends the runs; ``exact``
        gives the state exactly there, the others at the first step reaching each),
        ``integrator`` (``flow``: ``auto``, ``dopri5`` or ``ros34pw2``, see
        :func:`fixedpoints.numeric.simulate.simulate`),
        ``records``; None values are ignored.

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
    unknown = set(protocol) - set(DEFAULT_PROTOCOL)
    if unknown:
        raise out_of_range("protocol", sorted(unknown), "keys " + ", ".join(DEFAULT_PROTOCOL))
    if not (isinstance(runs, int | np.integer) and int(runs) >= 1):
        raise out_of_range("runs", runs, "an integer >= 1")
    proto = {**DEFAULT_PROTOCOL, **dict(model.simulation)}
    proto.update({k: v for k, v in protocol.items() if v is not None})
    if proto["method"] not in (*METHODS, EXACT):
        raise out_of_range("method", proto["method"], "one of " + ", ".join((*METHODS, EXACT)))
    if proto["method"] == EXACT and backend != "numpy":
        raise out_of_range(
            "backend",
            backend,
            "'numpy' for method 'exact'",
            "The closed form runs on the host: p + 2 numbers per run.",
        )
    be = array_backend(backend, device)
    kernels = compile_pair_kernels(model, params, xp=be.xp)
    kernels, k, decoupled = decouple(kernels, model.student.width)
    V = model_teacher_vectors(model, kernels.T)
    d = V.shape[1]
    population = PopulationLoss(kernels, V, device=be.device)
    W0, a0 = initial_weights(
        proto["init"],
        int(runs),
        k,
        d,
        scale=float(proto["scale"]),
        outputs=model.outputs if kernels.a is None else None,
        seed=seed,
    )
    times = _record_times(proto)
    if times is not None:  # the last record time ends the runs
        proto["t_max"] = float(times[-1]) if times[-1] > 0 else proto["t_max"]
    if proto["method"] == EXACT:
        result = _exact(population, W0, proto, times, rtol, atol, progress)
        return _finish(
            model, result, V, W0, a0, proto, be, runs, k, d, decoupled, fixed_points, loss_tol
        )
    sampled = None
    if proto["method"] == "sgd":
        sampled = SampledLoss(population, *activation_functions(model, be.xp))
    stop = StopRule(
        gradient_tol=float(proto["gradient_tol"]),
        t_max=float(proto["t_max"]),
        plateau_tol=plateau_tol,
    )
    result = _simulate(
        population,
        be.asarray(W0),
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
        model, result, V, W0, a0, proto, be, runs, k, d, decoupled, fixed_points, loss_tol
    )


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
