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
}


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
        (``gd``, ``flow``, ``sgd``), ``lr``, ``init``, ``scale``, ``gradient_tol``, ``t_max``,
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
    if proto["method"] not in METHODS:
        raise out_of_range("method", proto["method"], "one of " + ", ".join(METHODS))
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
    )
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
