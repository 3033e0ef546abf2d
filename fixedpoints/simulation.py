r"""Simulation façade: model → batched finite-width training → per-run outcomes.

:func:`simulate` resolves the protocol (the model file's ``[simulate]`` table, then the arguments),
compiles the closed-form kernels for the chosen array backend, draws the initial weights and runs
:func:`fixedpoints.numeric.simulate.simulate`. :func:`outcomes` groups the final points by loss and
labels them (global minimum, the averaged point, a given list of fixed points).
:func:`predict_plateaus` predicts the small-initialization (δ → 0) plateau sequence that such
simulations are checked against.

A decoupled model (correlation loss with a fixed second layer, e.g. ``multi-index``) has no
student–student interaction: every neuron is simulated as its own run (``runs`` = neurons).
"""

from __future__ import annotations

import numpy as np

from fixedpoints.analysis import decouple
from fixedpoints.analysis import model_teacher_vectors as _teacher
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.codegen.arrayapi import compile_array_api
from fixedpoints.errors import out_of_range
from fixedpoints.kernels import parse_activation, z
from fixedpoints.numeric.backend import array_backend
from fixedpoints.numeric.backend import array_device as _device
from fixedpoints.numeric.initialize import initial_weights
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.numeric.sampled import SampledLoss
from fixedpoints.numeric.simulate import METHODS, StopRule
from fixedpoints.numeric.simulate import simulate as _simulate

__all__ = ["DEFAULT_PROTOCOL", "simulate", "outcomes", "predict_plateaus"]

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
    progress=None,
    **protocol,
):
    """Train ``runs`` copies of ``model`` from random initializations, batched.

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
    **protocol
        Overrides of :data:`DEFAULT_PROTOCOL` / the model's ``[simulate]`` table: ``method``
        (``gd``, ``flow``, ``sgd``), ``lr``, ``init``, ``scale``, ``gradient_tol``, ``t_max``,
        ``records``; None values are ignored.

    Returns
    -------
    result : Simulation
    setup : dict
        The resolved protocol plus ``backend``, ``neurons_per_run``, ``d``, ``decoupled``, the
        host teacher vectors ``V`` and the host initial weights ``W0`` (runs, k, d) and ``a0``.
    """
    unknown = set(protocol) - set(DEFAULT_PROTOCOL)
    if unknown:
        raise out_of_range("protocol", sorted(unknown), "keys " + ", ".join(DEFAULT_PROTOCOL))
    if int(runs) < 1:
        raise out_of_range("runs", runs, "an integer >= 1")
    proto = {**DEFAULT_PROTOCOL, **dict(model.simulation)}
    proto.update({k: v for k, v in protocol.items() if v is not None})
    if proto["method"] not in METHODS:
        raise out_of_range("method", proto["method"], "one of " + ", ".join(METHODS))
    be = array_backend(backend, device)
    kernels = compile_pair_kernels(model, params, xp=be.xp)
    kernels, k, decoupled = decouple(kernels, model.student.width)
    V = _teacher(model, kernels)
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
    sampled = _sampled(model, population, be.xp) if proto["method"] == "sgd" else None
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
    setup = {
        **proto,
        "backend": be.describe(),
        "runs": int(runs),
        "neurons_per_run": k,
        "d": d,
        "decoupled": decoupled,
        "V": V,
        "W0": W0,
        "a0": a0,
    }
    return result, setup


def _sampled(model, population, xp) -> SampledLoss:
    sigma = parse_activation(model.student.activation, name="student.activation")
    tau = parse_activation(model.teacher.activation, name="teacher.activation")
    fs, ds, ft = (compile_array_api([z], [e], xp) for e in (sigma, sigma.diff(z), tau))

    def wrap(f):
        def g(x):
            r = f(x)[0]
            if hasattr(r, "shape"):
                return r
            return xp.full(x.shape, float(r), dtype=x.dtype, device=_device(x))

        return g

    return SampledLoss(population, wrap(fs), wrap(ds), wrap(ft))


UNCONVERGED_GRADIENT = 1e-3  # |grad| above this (times max(1, |L|)) at the end: "not converged"


def outcomes(result, V, *, square: bool, fixed_points=None, loss_tol: float = 1e-6):
    r"""Group final points by loss and label them.

    Runs whose final losses agree within ``loss_tol``·(1+|L|) form one cluster. Labels:
    ``global minimum`` (square loss, L ≤ loss_tol), ``averaged`` (all student–teacher overlaps
    equal and positive, to 1e-3 relative), ``averaged (reflected, -w̄)`` (all equal, negative and
    at least :math:`1/(2\sqrt{km})` in modulus: the same point modulo :math:`w\to-w` for even
    targets), ``orthogonal to the teacher`` (all |M| ≤ 1e-3),
    ``fixed point i`` (the nearest entry of
    ``fixed_points`` by loss, within the tolerance), else ``unidentified``; a run whose final
    gradient norm exceeds ``UNCONVERGED_GRADIENT``·max(1, |L|) is ``not converged`` whatever its
    overlaps look like.

    Parameters
    ----------
    result : Simulation
    V : ndarray (m, d)
        Teacher vectors.
    square : bool
        Square loss (a zero loss is the global minimum).
    fixed_points : list of dict, optional
        Entries with at least ``loss`` (e.g. ``fixed-points --json`` output), sorted by loss.
    loss_tol : float

    Returns
    -------
    clusters : list of dict
        ``{"loss", "count", "fraction", "label", "runs"}`` sorted by loss.
    labels : list of str
        Per run.
    """
    L = np.asarray(result.final_losses, dtype=float)
    M = np.einsum("rkd,md->rkm", result.W, V) if V.shape[0] else np.zeros((L.size, 0, 0))
    g = getattr(result, "gradient_norms", None)
    g = np.zeros(L.size) if g is None else np.asarray(g, dtype=float)
    labels = [_label(L[i], M[i], g[i], square, fixed_points, loss_tol) for i in range(L.size)]
    # group by label first, then by loss: runs of one label at one loss form one cluster even
    # when another label's runs sit at (nearly) the same loss
    order = sorted(range(L.size), key=lambda i: (labels[i], L[i] if np.isfinite(L[i]) else np.inf))
    clusters = []
    for i in order:
        c = clusters[-1] if clusters else None
        if (
            c is not None
            and np.isfinite(L[i])
            and abs(L[i] - c["loss"]) <= loss_tol * (1 + abs(c["loss"]))
            and labels[i] == c["label"]
        ):
            c["runs"].append(int(i))
            continue
        clusters.append({"loss": float(L[i]), "label": labels[i], "runs": [int(i)]})
    for c in clusters:
        c["count"] = len(c["runs"])
        c["fraction"] = c["count"] / L.size
        c["loss"] = float(np.median(L[c["runs"]]))
    clusters.sort(key=lambda c: (c["loss"] if np.isfinite(c["loss"]) else np.inf, c["label"]))
    return clusters, labels


def _label(loss, M, grad, square, fixed_points, tol) -> str:
    if not np.isfinite(loss):
        return "diverged"
    # a run that stopped far from any critical point (e.g. GD in a 2-cycle when the step is past
    # the stability limit 2/lambda_max) is not at the point its overlaps resemble
    if grad > UNCONVERGED_GRADIENT * max(1.0, abs(loss)):
        return "not converged"
    if square and abs(loss) <= tol:
        return "global minimum"
    if M.size and np.ptp(M) <= 1e-3 * np.max(np.abs(M)):
        if np.all(M > 0):
            return "averaged"
        # -w̄ (the same point as w̄ modulo w -> -w for even targets); |M| >= 1/(2 sqrt(k)) keeps
        # out neurons creeping to the equator along the all-negative direction (odd targets)
        if np.all(M < 0) and np.max(np.abs(M)) >= 0.5 / np.sqrt(M.size):
            return "averaged (reflected, -w̄)"
    if M.size and np.max(np.abs(M)) <= 1e-3:
        return "orthogonal to the teacher (M = 0)"
    for j, p in enumerate(fixed_points or ()):
        if abs(float(p["loss"]) - loss) <= tol * (1 + abs(loss)):
            return f"fixed point {j}"
    return "unidentified"


def predict_plateaus(
    model, *, seed: int = 0, starts: int = 24, max_plateaus: int = 20, progress=None
):
    """The predicted small-initialization plateau sequence of ``model`` (a
    :class:`~fixedpoints.graphs.saddle_to_saddle.SaddleSequence`): the SVD closed form for linear
    networks, the population-NCF predictor with carried gains otherwise (times in units of
    ln(1/δ)).

    Raises
    ------
    ModelError
        A fixed second layer (the network must be two-homogeneous).
    """
    from fixedpoints.errors import ModelError
    from fixedpoints.graphs.saddle_to_saddle import linear_saddle_to_saddle, saddle_to_saddle

    kernels = compile_pair_kernels(model)
    if kernels.a is not None:
        raise ModelError(
            "saddle-to-saddle needs a trainable second layer (`student.second_layer = trainable`)"
        )
    V = _teacher(model, kernels)
    width = model.student.width
    if (
        model.student.activation.strip() == "linear"
        and model.teacher.activation.strip() == "linear"
    ):
        return linear_saddle_to_saddle(kernels, V, width=width)
    return saddle_to_saddle(
        kernels,
        V,
        width=width,
        seed=seed,
        starts=starts,
        max_plateaus=max_plateaus,
        progress=progress,
    )
