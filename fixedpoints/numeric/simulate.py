r"""Batched finite-width training on the exact population loss (or on sampled data).

All runs advance together as one array program of shape ``(runs, k, d)`` in any array-API
namespace (NumPy, PyTorch, CuPy), through the one ODE engine (:func:`fixedpoints.numeric.ode.solve`);
finished runs leave the batch, so the cost follows the runs still moving.

Methods
-------
``gd``
    Gradient descent :math:`W_{t+1}=W_t-\eta\nabla\mathcal L(W_t)`: the explicit Euler method for
    gradient flow with step :math:`\eta` (row normalisation after each step for spherical
    neurons), time :math:`t=\eta\cdot\text{steps}`.
``flow``
    Gradient flow :math:`\dot W=-\nabla\mathcal L(W)` with an adaptive step
    (:class:`~fixedpoints.numeric.ode.ErrorControl`) by ``integrator``: ``auto`` (default) is
    Dormand–Prince 5(4) switching each run to the L-stable Rosenbrock method ROS34PW2 once its
    explicit step is stability-limited (:mod:`~fixedpoints.numeric.ode.stiffness`; states of at
    most 256 weights, a wider one switches to ``rkc`` instead). Near a minimum the Hessian's largest eigenvalue :math:`\lambda_{\max}`
    caps an explicit step at :math:`h\approx3.3/\lambda_{\max}` while the error control keeps
    the state jittering at the tolerance, so a small gradient tolerance is reached after
    :math:`10^4`–:math:`10^5` explicit steps; the Rosenbrock method's steps grow as the gradient
    decays. ``dopri5``: Dormand–Prince only. ``rkc``: the Runge–Kutta–Chebyshev method, explicit
    and second order, with as many stages per step as :math:`h\lambda_{\max}` needs (about
    :math:`\sqrt{1.5h\lambda_{\max}}`, :mod:`~fixedpoints.numeric.ode.chebyshev`): no Jacobian,
    no linear algebra, any width. ``stats['integrators']`` names the method of each
    run's last step. The Rosenbrock Jacobian is :math:`-\nabla^2\mathcal L`, exact
    (:meth:`~fixedpoints.numeric.population.PopulationLoss.hessian`) where the kernels have
    second derivatives and the neurons are free; else forward differences of the field. For free
    neurons it is kept in eigen form (``solve(..., symmetric_jacobian=True)``: no inverse per step).

    ``step="shared"`` (default): one step for the whole batch (``ErrorControl(shared=True)``:
    accepted when every run accepts it, the next one the smallest proposal), so the stiffest
    run sets the step of all and a run's path depends on the batch it is in.
    ``step="per-run"``: every run has its own step, error test and time
    (``ErrorControl(shared=False)``), so a run's path is the one it would have alone and the
    cost is the sum of the runs' own step counts, not the batch size times the stiffest run's.
``sgd``
    Minibatch SGD: Euler steps along the gradient of fresh Gaussian samples each step
    (:class:`~fixedpoints.numeric.sampled.SampledLoss`); stop rules use the exact population
    gradient.

Stop rules (per run, with the run's own time :math:`t_r`), checked at the start and after every
accepted step: :math:`\|\nabla\mathcal L\|_F<` ``gradient_tol`` (``converged``), no loss change
beyond ``plateau_tol``·(1+|L|) over ``plateau_window`` time since the run's last reference
(``plateau``), :math:`t_r\ge` ``t_max`` (``max-time``), ``max_steps`` accepted steps
(``max-steps``), a non-finite loss or gradient, or a loss above
:data:`BLOW_UP`·(1+|L₀|), L₀ the run's loss at the start (``diverged``: e.g. gradient descent
with a step far beyond the stability limit, which may otherwise reach ``t_max`` in one step).

Loss curves. Record :math:`j` of run :math:`r` is its loss at its first accepted step with
:math:`t_r\ge\tau_j` (the record times :math:`\tau_j`: ``records`` log-spaced ones, or
``record_times``), and its final loss once it has stopped. Shared steps: ``times`` are the times
of the steps that recorded (the start always among them). Per-run steps: ``times`` are the
nominal :math:`\tau_j` up to the last one some run reached (the steps do not land on them).
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
    RKC,
    ROS34PW2,
    Auto,
    Chebyshev,
    ErrorControl,
    FixedStep,
    Rosenbrock,
    Tableau,
    solve,
)
from fixedpoints.results import Simulation, Status

__all__ = ["METHODS", "StopRule", "simulate"]

METHODS = ("gd", "flow", "sgd")
STEPS = ("shared", "per-run")
INTEGRATORS = {"auto": AUTO, "dopri5": DOPRI5, "ros34pw2": ROS34PW2, "rkc": RKC}
#: a run whose loss exceeds ``BLOW_UP * (1 + |L0|)`` (L0: its loss at the start) has diverged
BLOW_UP = 1e8


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
    flat = xp.reshape(gW, (*gW.shape[:-2], -1))
    s = xp.vecdot(flat, flat)  # one pass, no squared copy
    if ga is not None:
        s = s + xp.sum(ga * ga, axis=(-2, -1))
    return xp.sqrt(s)


def _retract(xp, W, spherical):
    return W / xp.linalg.vector_norm(W, axis=-1, keepdims=True) if spherical else W


# Stop codes of _Monitor in priority order (a later rule overrides an earlier one).
_GO, _STEPS, _TIME, _PLATEAU, _CONVERGED, _DIVERGED = range(6)
_STATUS = np.array(
    [None, Status.MAX_STEPS, Status.MAX_TIME, Status.PLATEAU, Status.CONVERGED, Status.DIVERGED],
    dtype=object,
)


class _Monitor:
    r"""The stop rule of a simulation: records the loss curves, applies the rules of the module
    docstring per run and keeps the final loss, gradient norm, time and step count of every run.

    Called by :func:`~fixedpoints.numeric.ode.solve` at :math:`t=0` and after every accepted step
    with the active runs' own times ``t`` (shape ``(n,)``; equal for shared steps). Per run
    :math:`r`: its accepted steps :math:`n_r` (calls after the first), ``max-steps`` when
    :math:`n_r\ge` ``max_steps``, ``max-time`` when :math:`t_r\ge t_{\max}(1-10^{-12})`, a
    plateau window from the run's last reference time, ``converged``/``diverged`` from its
    gradient norm. Record :math:`j` (time :math:`\tau_j`) of run :math:`r` is its loss at its
    first step with :math:`t_r\ge\tau_j` (one step reaching several record times fills them
    all). ``nominal=False`` (shared steps) keeps one column per recording step at that step's
    time, and records the start whatever :math:`\tau_0`; ``nominal=True`` (per-run steps) one
    column per record time. Returns None when every run goes on (no per-step object array).

    Fused losses (``step``: the fixed step of ``gd``, else None): after each call the monitor
    predicts from :math:`t_r+\eta` whether the next state will need its loss (a record time, the
    end, a plateau check, the last step) and sets :attr:`want`; the field then evaluates loss and
    gradient from one kernel jet (:meth:`~fixedpoints.numeric.population.PopulationLoss.
    value_and_gradient`) and leaves the loss in :attr:`fused` with the state it belongs to. A
    state that needs a loss the prediction missed (convergence, divergence) gets it computed.
    """

    def __init__(self, population, stop, rec_times, runs, sampled_field, nominal, step=None):
        self.population, self.stop, self.rec_times = population, stop, rec_times
        self.xp = population.xp
        self.sampled, self.nominal = sampled_field, nominal
        self.count = np.zeros(runs, dtype=np.int64)  # accepted steps of each run so far
        self.filled = np.zeros(runs, dtype=np.int64)  # record times each run has reached
        self.cols_t, self.cols = [], []
        self.curves = np.full((runs, rec_times.size), np.nan) if nominal else None
        self.ref_L, self.ref_t = np.full(runs, np.nan), np.full(runs, np.nan)
        self.final_L, self.final_g = np.full(runs, np.nan), np.full(runs, np.nan)
        self.stop_t, self.steps = np.zeros(runs), np.zeros(runs, dtype=int)
        self.start_L = np.full(runs, np.nan)  # each run's loss at its start (BLOW_UP)
        self.step, self.want, self.fused = step, step is not None, None

    def fuse(self, y, L):
        """Keep the loss ``L`` (device array, one per row) evaluated with the field at ``y``."""
        self.fused = (y[0], to_numpy(L))

    def _plan(self, t, ids, k):
        """Set :attr:`want`: whether the state after the next step of size ``step`` needs its
        loss (class docstring)."""
        stop, t = self.stop, t + self.step
        want = np.searchsorted(self.rec_times, t, side="right") > self.filled[ids]
        want |= (t >= stop.t_max * (1 - 1e-12)) | (k + 1 >= stop.max_steps)
        if stop.plateau_tol is not None:
            ref_t = self.ref_t[ids]
            want |= np.isnan(ref_t) | (t - ref_t >= stop.plateau_window)
        self.want = bool(want.any())

    def _losses(self, y, rows, n):
        """Host losses of the active rows ``rows`` (all ``n`` of them in one call when all);
        the fused ones when the field left them for this state."""
        fused, self.fused = self.fused, None
        if fused is not None and fused[0] is y[0]:
            return fused[1][rows]
        if rows.size == n:
            return to_numpy(self.population.loss(*y))
        r = self.xp.asarray(rows, device=_device(y[0]))
        part = tuple(None if c is None else self.xp.take(c, r, axis=0) for c in y)
        return to_numpy(self.population.loss(*part))

    def __call__(self, t, y, f, ids):
        t = np.asarray(t, dtype=float)
        k = self.count[ids]
        self.count[ids] = k + 1
        status = self._apply(t, y, f, ids, k)
        if self.step is not None:
            self._plan(t, ids, k)
        return status

    def _apply(self, t, y, f, ids, k):
        """The stop rules and records at one call (class docstring)."""
        stop, rec = self.stop, self.rec_times
        n_runs = ids.size
        reached = np.searchsorted(rec, t, side="right")  # record times <= t
        due = reached > self.filled[ids]
        if not self.nominal and k[0] == 0:
            due[:] = True  # shared steps: the start is always a column
        g = self.population.gradient(*y) if self.sampled else f  # f = -(exact gradient)
        gn = to_numpy(_norms(self.xp, g[0], g[1]))
        code = np.zeros(n_runs, dtype=np.int8)
        code[k >= stop.max_steps] = _STEPS
        code[t >= stop.t_max * (1 - 1e-12)] = _TIME
        check = np.zeros(n_runs, dtype=bool)
        if stop.plateau_tol is not None:
            ref_t = self.ref_t[ids]
            check = np.isnan(ref_t) | (t - ref_t >= stop.plateau_window)
        code[gn < stop.gradient_tol] = _CONVERGED
        code[~np.isfinite(gn)] = _DIVERGED
        first = k == 0
        need = due | check | (code != _GO) | first
        if not need.any():
            return None
        rows = np.flatnonzero(need)
        L = np.full(n_runs, np.nan)
        L[rows] = self._losses(y, rows, n_runs)
        if first.any():
            self.start_L[ids[first]] = L[first]
        with np.errstate(invalid="ignore"):
            code[L > BLOW_UP * (1 + np.abs(self.start_L[ids]))] = _DIVERGED
        if due.any():
            self._record(t, ids, due, L, reached)
        if check.any():
            c = np.flatnonzero(check)
            old = self.ref_L[ids[c]]
            flat = np.abs(L[c] - old) <= stop.plateau_tol * (1 + np.abs(L[c]))  # False if unset
            code[c[flat]] = np.maximum(code[c[flat]], _PLATEAU)
            self.ref_L[ids[c]], self.ref_t[ids[c]] = L[c], t[c]
        done = np.flatnonzero(code != _GO)
        if done.size == 0:
            return None
        gid = ids[done]
        self.final_L[gid], self.final_g[gid] = L[done], gn[done]
        self.stop_t[gid], self.steps[gid] = t[done], k[done]
        code[done[~np.isfinite(L[done])]] = _DIVERGED
        return _STATUS[code]

    def _record(self, t, ids, due, L, reached):
        """Store the losses of the ``due`` rows (module docstring of the class)."""
        r = np.flatnonzero(due)
        if self.nominal:
            j = np.arange(self.rec_times.size)
            fill = (j >= self.filled[ids[r], None]) & (j < reached[r, None])
            self.curves[ids[r]] = np.where(fill, L[r, None], self.curves[ids[r]])
        else:
            self.cols_t.append(float(t[0]))
            self.cols.append((ids.copy(), L.copy()))
        self.filled[ids[r]] = np.maximum(self.filled[ids[r]], reached[r])

    def curves_and_times(self):
        """``(times, losses)`` before the final losses are filled in (NaN where not recorded)."""
        if self.nominal:
            last = int(self.filled.max()) if self.filled.size else 0
            return self.rec_times[:last].copy(), self.curves[:, :last]
        times = np.asarray(self.cols_t, dtype=float)
        losses = np.full((self.final_L.size, times.size), np.nan)
        for j, (ids, L) in enumerate(self.cols):
            losses[ids, j] = L
        return times, losses


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
    step: str = "shared",
    project=None,
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
        ``records`` log-spaced ones (the steps do not land on them: with shared steps the
        recorded times are the steps' own, with per-run steps these nominal times; module
        docstring).
    integrator : {'auto', 'dopri5', 'ros34pw2', 'rkc'} or a method
        ``flow`` integrator (module docstring): a name, or an adaptive
        :class:`~fixedpoints.numeric.ode.Tableau`, :class:`~fixedpoints.numeric.ode.Rosenbrock`,
        :class:`~fixedpoints.numeric.ode.Auto` or :class:`~fixedpoints.numeric.ode.Chebyshev`.
    project : callable, optional
        ``flow`` on NumPy: ``project(X, ids) -> X``, a linear projection of the runs ``ids``
        given as rows :math:`(\operatorname{vec}W,\operatorname{vec}a)` onto subspaces the
        flow leaves invariant, applied after every step (:func:`~fixedpoints.numeric.ode.solve`'s
        ``project``): a run started on a fixed-point subspace of a symmetry stays on it to
        round-off.
    step : {'shared', 'per-run'}
        ``flow`` step control (module docstring): one adaptive step for the batch (default), or
        one per run; then ``times`` are the nominal record times. ``gd``/``sgd`` take the step
        :math:`\eta` in every run either way.

    Returns
    -------
    Simulation
        Host arrays; ``stats['seconds']`` is the wall time, ``stats['integrators']`` (``flow``)
        the method of each run's last step.
    """
    if method not in METHODS:
        raise out_of_range("method", method, "one of " + ", ".join(METHODS))
    if step not in STEPS:
        raise out_of_range("step", step, "one of " + ", ".join(STEPS))
    if isinstance(integrator, str):
        if integrator not in INTEGRATORS:
            raise out_of_range("integrator", integrator, "one of " + ", ".join(INTEGRATORS))
        integrator = INTEGRATORS[integrator]
    elif (
        not isinstance(integrator, Tableau | Rosenbrock | Auto | Chebyshev)
        or not integrator.adaptive
    ):
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
        if monitor.want:  # this state's loss is needed: from the same kernel jet
            L, gW, ga = population.value_and_gradient(*y)
            monitor.fuse(y, L)
        else:
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
    per_run = method == "flow" and step == "per-run"
    fused = method == "gd" and hasattr(population, "value_and_gradient")
    monitor = _Monitor(
        population, stop, rec_times, runs, method == "sgd", per_run, float(lr) if fused else None
    )
    if method == "flow":
        control = ErrorControl(rtol=rtol, atol=atol, shared=not per_run)
        tableau = integrator
    else:
        tableau, control = EULER, FixedStep(float(lr))
    retract = (lambda y: (_retract(xp, y[0], True), y[1])) if spherical else None
    jacobian = None
    if method == "flow" and not spherical and getattr(population, "exact_hessian", False):

        def jacobian(y):
            return -population.hessian(y[0], y[1])

    if project is not None:
        if method != "flow":
            raise out_of_range("project", "given", f"None for method {method!r}")
        project = _rows_projection(project, W0.shape[1:])
    sol = solve(
        field,
        (_retract(xp, W0, spherical), a0),
        stop.t_max,
        tableau=tableau,
        control=control,
        xp=xp,
        retract=retract,
        project=project,
        stop=monitor,
        max_steps=10**15,
        progress=progress,
        jacobian=jacobian,
        symmetric_jacobian=method == "flow" and not spherical,  # J = -Hess L, symmetric
    )
    W, a = sol.states
    status = list(sol.status)
    for i, s in enumerate(status):
        if np.isnan(monitor.final_L[i]) and s in (Status.DIVERGED, Status.STEP_TOO_SMALL):
            # ended by the integrator (its step underflowed): no stop-rule values were taken
            monitor.stop_t[i], monitor.steps[i] = sol.times[i], sol.steps[i]
            status[i] = Status.DIVERGED
    times, losses = _assemble(*monitor.curves_and_times(), monitor.final_L, monitor.stop_t)
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


def _assemble(times, losses, final_L, stop_t):
    """Loss matrix (runs × records): each run's final loss after it stopped and where it has no
    record."""
    after = times[None, :] > stop_t[:, None]
    return times, np.where(after | np.isnan(losses), final_L[:, None], losses)


def _rows_projection(project, shape):
    """:func:`solve`'s ``project(y, ids)`` from :func:`simulate`'s: the state tuple ``(W, a)``
    flattened side by side, projected, split back."""
    size = int(np.prod(shape))

    def on_state(y, ids):
        W, a = y
        n = W.shape[0]
        flat = W.reshape(n, -1)
        if a is not None:
            flat = np.concatenate([flat, a.reshape(n, -1)], axis=1)
        out = project(flat, ids)
        return out[:, :size].reshape(W.shape), None if a is None else out[:, size:].reshape(a.shape)

    return on_state
