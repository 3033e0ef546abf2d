r"""Batched finite-width training on the exact population loss (or on sampled data).

All runs advance together as one array program of shape ``(runs, k, d)`` in any array-API
namespace (NumPy, PyTorch, CuPy), through the one ODE engine (:func:`fixedpoints.numeric.ode.solve`,
one step shared by the batch); finished runs leave the batch, so the cost follows the runs still
moving.

Methods
-------
``gd``
    Gradient descent :math:`W_{t+1}=W_t-\eta\nabla\mathcal L(W_t)`: the explicit Euler method for
    gradient flow with step :math:`\eta` (row normalisation after each step for spherical
    neurons), time :math:`t=\eta\cdot\text{steps}`.
``flow``
    Gradient flow :math:`\dot W=-\nabla\mathcal L(W)` with a shared adaptive step
    (:class:`~fixedpoints.numeric.ode.ErrorControl` with ``shared=True``) by ``integrator``:
    ``auto`` (default) is Dormand–Prince 5(4) switching each run to the L-stable Rosenbrock
    method ROS34PW2 once its explicit step is stability-limited
    (:mod:`~fixedpoints.numeric.ode.stiffness`; states of at most 400 weights). Near a minimum
    the Hessian's largest eigenvalue :math:`\lambda_{\max}` caps an explicit step at
    :math:`h\approx3.3/\lambda_{\max}` while the error control keeps the state jittering at the
    tolerance, so a small gradient tolerance is reached after :math:`10^4`–:math:`10^5` explicit
    steps; the Rosenbrock method's steps grow as the gradient decays. ``dopri5``: Dormand–Prince
    only. ``stats['integrators']`` names the method of each run's last step.
``sgd``
    Minibatch SGD: Euler steps along the gradient of fresh Gaussian samples each step
    (:class:`~fixedpoints.numeric.sampled.SampledLoss`); stop rules use the exact population
    gradient.

Stop rules (per run), checked at the start and after every step: :math:`\|\nabla\mathcal L\|_F<`
``gradient_tol`` (``converged``), no loss change beyond ``plateau_tol``·(1+|L|) over
``plateau_window`` time (``plateau``), :math:`t\ge` ``t_max`` (``max-time``), ``max_steps``
(``max-steps``), a non-finite loss or gradient (``diverged``).
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.backend import array_device as _device
from fixedpoints.numeric.backend import normal_sampler, to_numpy
from fixedpoints.numeric.ode import (
    AUTO,
    DOPRI5,
    EULER,
    ROS34PW2,
    Auto,
    ErrorControl,
    FixedStep,
    Rosenbrock,
    Tableau,
    solve,
)
from fixedpoints.results import Simulation, Status

__all__ = ["METHODS", "StopRule", "simulate"]

METHODS = ("gd", "flow", "sgd")
INTEGRATORS = {"auto": AUTO, "dopri5": DOPRI5, "ros34pw2": ROS34PW2}


@dataclass(frozen=True)
class StopRule:
    """Per-run stop rules (see the module docstring)."""

    gradient_tol: float = 1e-9
    t_max: float = 1e5
    max_steps: int = 10_000_000
    plateau_tol: float | None = None
    plateau_window: float = 10.0

    def __post_init__(self):
        if not self.gradient_tol >= 0:
            raise out_of_range("gradient_tol", self.gradient_tol, ">= 0")
        if not self.t_max > 0:
            raise out_of_range("t_max", self.t_max, "> 0")
        if int(self.max_steps) < 1:
            raise out_of_range("max_steps", self.max_steps, "an integer >= 1")
        if self.plateau_tol is not None and not self.plateau_tol > 0:
            raise out_of_range("plateau_tol", self.plateau_tol, "> 0")


def _norms(xp, gW, ga):
    s = xp.sum(gW * gW, axis=(-2, -1))
    if ga is not None:
        s = s + xp.sum(ga * ga, axis=(-2, -1))
    return xp.sqrt(s)


def _retract(xp, W, spherical):
    return W / xp.linalg.vector_norm(W, axis=-1, keepdims=True) if spherical else W


class _Monitor:
    """The stop rule of a simulation: records the loss curves, applies the rules of the module
    docstring and keeps the final loss, gradient norm, time and step count of every run."""

    def __init__(self, population, stop, rec_times, runs, sampled_field):
        self.population, self.stop, self.rec_times = population, stop, rec_times
        self.xp = population.xp
        self.sampled = sampled_field
        self.next_rec, self.n = 0, 0
        self.cols_t, self.cols = [], []
        self.ref_L, self.ref_t = None, None
        self.final_L, self.final_g = np.full(runs, np.nan), np.full(runs, np.nan)
        self.stop_t, self.steps = np.zeros(runs), np.zeros(runs, dtype=int)
        self.runs = runs

    def loss(self, y):
        return to_numpy(self.population.loss(*y))

    def __call__(self, t, y, f, ids):
        xp, stop = self.xp, self.stop
        tt = float(t[0])
        n = self.n
        self.n += 1
        L = None
        if tt >= self.rec_times[self.next_rec] or n == 0:
            L = self.loss(y)
            self.cols_t.append(tt)
            self.cols.append((ids.copy(), L))
            while self.next_rec < len(self.rec_times) - 1 and self.rec_times[self.next_rec] <= tt:
                self.next_rec += 1
        if self.sampled:
            g = self.population.gradient(*y)
        else:
            g = f  # the descent direction is minus the exact gradient
        gn = to_numpy(_norms(xp, g[0], g[1]))
        why = np.full(ids.size, None, dtype=object)
        why[n >= stop.max_steps] = Status.MAX_STEPS
        why[tt >= stop.t_max * (1 - 1e-12)] = Status.MAX_TIME
        if stop.plateau_tol is not None and (
            self.ref_t is None or tt - self.ref_t >= stop.plateau_window
        ):
            L = self.loss(y) if L is None else L
            if self.ref_t is not None:
                flat = np.abs(L - self.ref_L[ids]) <= stop.plateau_tol * (1 + np.abs(L))
                why[flat] = Status.PLATEAU
            self.ref_L = np.full(self.runs, np.nan) if self.ref_L is None else self.ref_L
            self.ref_L[ids], self.ref_t = L, tt
        why[gn < stop.gradient_tol] = Status.CONVERGED
        why[~np.isfinite(gn)] = Status.DIVERGED
        done = why != None  # noqa: E711
        if done.any():
            L = self.loss(y) if L is None else L
            rows = np.flatnonzero(done)
            gid = ids[rows]
            self.final_L[gid], self.final_g[gid] = L[rows], gn[rows]
            self.stop_t[gid], self.steps[gid] = tt, n
            why[rows[~np.isfinite(L[rows])]] = Status.DIVERGED
        return why


@np.errstate(all="ignore")  # a diverging run is reported by its status, not a warning
def simulate(
    population,
    W0,
    a0=None,
    *,
    method: str = "gd",
    lr: float | None = None,
    stop: StopRule | None = None,
    records: int = 100,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    sampled=None,
    batch_size: int = 256,
    seed: int = 0,
    progress=None,
    integrator="auto",
    record_times=None,
) -> Simulation:
    r"""Train ``runs`` networks at once on the population loss.

    Parameters
    ----------
    population : PopulationLoss
        Loss and exact gradient, in the namespace of ``W0``.
    W0 : array (runs, k, d)
        Initial first layers (same namespace/device as ``population``).
    a0 : array (runs, k, o), optional
        Initial trainable second layers (None: the model's fixed ``a``).
    method : {'gd', 'flow', 'sgd'}
    lr : float
        Step size η (``gd``, ``sgd``; required there).
    stop : StopRule
    records : int
        Number of log-spaced record times of the loss curves.
    rtol, atol : float
        ``flow`` tolerances.
    sampled : SampledLoss
        Required for ``sgd``.
    batch_size : int
        ``sgd`` samples per step and run.
    seed : int
        ``sgd`` sampling seed.
    progress : callable, optional
        ``progress(t, active_runs)`` after each step.
    record_times : array_like, optional
        Record the loss at the first step reaching each of these increasing times instead of
        ``records`` log-spaced ones (the steps do not land on them: the recorded times are the
        steps' own).
    integrator : {'auto', 'dopri5', 'ros34pw2'} or a method
        ``flow`` integrator (module docstring): a name, or an adaptive
        :class:`~fixedpoints.numeric.ode.Tableau`, :class:`~fixedpoints.numeric.ode.Rosenbrock`
        or :class:`~fixedpoints.numeric.ode.Auto`.

    Returns
    -------
    Simulation
        Host arrays; ``stats['seconds']`` is the wall time, ``stats['integrators']`` (``flow``)
        the method of each run's last step.
    """
    if method not in METHODS:
        raise out_of_range("method", method, "one of " + ", ".join(METHODS))
    if isinstance(integrator, str):
        if integrator not in INTEGRATORS:
            raise out_of_range("integrator", integrator, "one of " + ", ".join(INTEGRATORS))
        integrator = INTEGRATORS[integrator]
    elif not isinstance(integrator, Tableau | Rosenbrock | Auto) or not integrator.adaptive:
        raise out_of_range("integrator", integrator, "a name or an adaptive method")
    if method != "flow" and not (lr is not None and lr > 0):
        raise out_of_range("lr", lr, f"a step size > 0 (required for method {method!r})")
    if method == "sgd" and sampled is None:
        raise out_of_range("sampled", None, "a SampledLoss for method 'sgd'")
    stop = stop or StopRule()
    xp = population.xp
    spherical = population.kernels.spherical
    runs = W0.shape[0]
    t0 = _time.perf_counter()

    def descent(y):
        gW, ga = population.gradient(*y)
        return (-gW, None if ga is None else -ga)

    field = descent
    if method == "sgd":
        draw = normal_sampler(xp, _device(W0), seed)

        def field(y):
            X = draw((int(y[0].shape[0]), batch_size, W0.shape[-1]))
            sW, sa = sampled.gradient(y[0], y[1], X)
            return (-sW, None if sa is None else -sa)

    t_first = lr if method != "flow" else 1e-3
    if record_times is None:
        rec_times = np.concatenate([[0.0], np.geomspace(t_first, stop.t_max, max(records, 2))])
    else:
        rec_times = np.asarray(record_times, dtype=float)
    monitor = _Monitor(population, stop, rec_times, runs, method == "sgd")
    if method == "flow":
        tableau, control = integrator, ErrorControl(rtol=rtol, atol=atol, shared=True)
    else:
        tableau, control = EULER, FixedStep(float(lr))
    retract = (lambda y: (_retract(xp, y[0], True), y[1])) if spherical else None
    sol = solve(
        field,
        (_retract(xp, W0, spherical), a0),
        stop.t_max,
        tableau=tableau,
        control=control,
        xp=xp,
        retract=retract,
        stop=monitor,
        max_steps=10**15,
        progress=progress,
    )
    W, a = sol.states
    status = list(sol.status)
    for i, s in enumerate(status):
        if np.isnan(monitor.final_L[i]) and s in (Status.DIVERGED, Status.STEP_TOO_SMALL):
            # ended by the integrator (its step underflowed): no stop-rule values were taken
            monitor.stop_t[i], monitor.steps[i] = sol.times[i], sol.steps[i]
            status[i] = Status.DIVERGED
    times, losses = _assemble(monitor.cols_t, monitor.cols, monitor.final_L, monitor.stop_t)
    quantiles = np.quantile(losses, [0.1, 0.5, 0.9], axis=0) if losses.size else np.zeros((3, 0))
    return Simulation(
        times=times,
        losses=losses,
        W=np.asarray(W),
        a=None if a is None else np.asarray(a),
        final_losses=monitor.final_L,
        gradient_norms=monitor.final_g,
        stop_times=monitor.stop_t,
        steps=monitor.steps,
        status=tuple(status),
        method=method,
        loss_quantiles=quantiles,
        stats={
            "seconds": _time.perf_counter() - t0,
            **({"integrators": sol.methods} if method == "flow" else {}),
        },
    )


def _assemble(cols_t, cols, final_L, stop_t):
    """Loss matrix (runs × records), each run's final loss after it stopped."""
    times = np.asarray(cols_t, dtype=float)
    losses = np.full((final_L.size, times.size), np.nan)
    for j, (ids, L) in enumerate(cols):
        losses[ids, j] = L
    after = times[None, :] > stop_t[:, None]
    losses = np.where(after | np.isnan(losses), final_L[:, None], losses)
    return times, losses
