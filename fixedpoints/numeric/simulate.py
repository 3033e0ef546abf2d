r"""Batched finite-width training on the exact population loss (or on sampled data).

All runs advance together as one array program of shape ``(runs, k, d)`` in any array-API
namespace (NumPy, PyTorch, CuPy); finished runs are removed from the batch, so the cost follows
the runs still moving.

Methods
-------
``gd``
    Gradient descent :math:`W_{t+1}=W_t-\eta\nabla\mathcal L(W_t)` (row normalisation after each step
    for spherical neurons), time :math:`t=\eta\cdot\text{steps}`.
``flow``
    Gradient flow :math:`\dot W=-\nabla\mathcal L(W)` by the Dormand–Prince 5(4) pair with a shared
    adaptive step: a step is accepted when every run's error
    :math:`\sqrt{\operatorname{mean}\big((y_5-y_4)/(\mathrm{atol}+\mathrm{rtol}\max(|y|,|y'|))\big)^2}\le1`,
    the next step is :math:`h\min(5,\max(0.2,0.9\,\mathrm{err}^{-1/5}))`.
``sgd``
    Minibatch SGD on fresh Gaussian samples each step
    (:class:`~fixedpoints.numeric.sampled.SampledLoss`); stop rules use the exact population gradient.

Stop rules (per run), checked after every step: :math:`\|\nabla\mathcal L\|_F<` ``gradient_tol``
(``converged``), no loss change beyond ``plateau_tol``·(1+|L|) over ``plateau_window`` time
(``plateau``), :math:`t\ge` ``t_max`` (``max_time``), ``max_steps`` (``max_steps``), a non-finite
loss or gradient (``diverged``).
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.backend import array_device as _device
from fixedpoints.numeric.backend import normal_sampler, to_numpy
from fixedpoints.numeric.integrate import DP_A as _DP_A  # Dormand–Prince 5(4), defined once
from fixedpoints.numeric.integrate import DP_E as _DP_E

__all__ = ["METHODS", "StopRule", "Simulation", "simulate"]

METHODS = ("gd", "flow", "sgd")


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


@dataclass(frozen=True)
class Simulation:
    """Result of :func:`simulate` (host NumPy arrays).

    Attributes
    ----------
    times : ndarray (n_records,)
        Record times (log-spaced, from 0).
    losses : ndarray (runs, n_records)
        Population loss; after a run stopped, its final loss.
    W : ndarray (runs, k, d)
    a : ndarray (runs, k, o) or None
    final_losses, gradient_norms, stop_times : ndarray (runs,)
    steps : ndarray (runs,)
    status : tuple of str
        Per run: ``converged``, ``plateau``, ``max_time``, ``max_steps`` or ``diverged``.
    method : str
    seconds : float
        Wall time.
    """

    times: np.ndarray
    losses: np.ndarray
    W: np.ndarray
    a: np.ndarray | None
    final_losses: np.ndarray
    gradient_norms: np.ndarray
    stop_times: np.ndarray
    steps: np.ndarray
    status: tuple
    method: str
    seconds: float


class _Batch:
    """The active runs: weights, gradient and bookkeeping, shrunk as runs stop."""

    def __init__(self, xp, W, a, runs):
        self.xp, self.W, self.a = xp, W, a
        self.ids = np.arange(runs)

    def take(self, keep):
        xp = self.xp
        k = xp.asarray(keep, device=_device(self.W))
        self.ids = self.ids[keep]
        self.W = xp.take(self.W, k, axis=0)
        self.a = None if self.a is None else xp.take(self.a, k, axis=0)
        return k


def _norms(xp, gW, ga):
    s = xp.sum(gW * gW, axis=(-2, -1))
    if ga is not None:
        s = s + xp.sum(ga * ga, axis=(-2, -1))
    return xp.sqrt(s)


def _retract(xp, W, spherical):
    return W / xp.linalg.vector_norm(W, axis=-1, keepdims=True) if spherical else W


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

    Returns
    -------
    Simulation
    """
    if method not in METHODS:
        raise out_of_range("method", method, "one of " + ", ".join(METHODS))
    if method != "flow" and not (lr is not None and lr > 0):
        raise out_of_range("lr", lr, f"a step size > 0 (required for method {method!r})")
    if method == "sgd" and sampled is None:
        raise out_of_range("sampled", None, "a SampledLoss for method 'sgd'")
    stop = stop or StopRule()
    with np.errstate(all="ignore"):  # a diverging run is reported by its status, not a warning
        return _run(
            population,
            W0,
            a0,
            method,
            lr,
            stop,
            records,
            rtol,
            atol,
            sampled,
            batch_size,
            seed,
            progress,
        )


def _run(
    population, W0, a0, method, lr, stop, records, rtol, atol, sampled, batch_size, seed, progress
):
    xp = population.xp
    spherical = population.kernels.spherical
    runs = W0.shape[0]
    t0 = _time.perf_counter()
    batch = _Batch(xp, _retract(xp, W0, spherical), a0, runs)
    draw = normal_sampler(xp, _device(W0), seed) if method == "sgd" else None

    def grad(W, a):
        return population.gradient(W, a)

    # results (host)
    final_W = np.zeros(tuple(W0.shape))
    final_a = None if a0 is None else np.zeros(tuple(a0.shape))
    final_L, final_g = np.full(runs, np.nan), np.full(runs, np.nan)
    stop_t, steps_n = np.zeros(runs), np.zeros(runs, dtype=int)
    status = [""] * runs
    t_first = lr if method != "flow" else 1e-3
    rec_times = np.concatenate([[0.0], np.geomspace(t_first, stop.t_max, max(records, 2))])
    cols_t, cols = [], []
    next_rec = 0

    gW, ga = grad(batch.W, batch.a)
    h = lr if method != "flow" else None
    t, n = 0.0, 0
    ref_L = ref_t = None
    while batch.ids.size:
        L = None
        if t >= rec_times[next_rec] or n == 0:
            L = to_numpy(population.loss(batch.W, batch.a))
            cols_t.append(t)
            cols.append((batch.ids.copy(), L))
            while next_rec < len(rec_times) - 1 and rec_times[next_rec] <= t:
                next_rec += 1
        gn = to_numpy(_norms(xp, gW, ga))
        why = np.full(batch.ids.size, "", dtype=object)
        why[n >= stop.max_steps] = "max_steps"
        why[t >= stop.t_max * (1 - 1e-12)] = "max_time"
        if stop.plateau_tol is not None and (ref_t is None or t - ref_t >= stop.plateau_window):
            L = to_numpy(population.loss(batch.W, batch.a)) if L is None else L
            if ref_t is not None:
                flat = np.abs(L - ref_L[batch.ids]) <= stop.plateau_tol * (1 + np.abs(L))
                why[flat] = "plateau"
            ref_L = np.full(runs, np.nan) if ref_L is None else ref_L
            ref_L[batch.ids], ref_t = L, t
        why[gn < stop.gradient_tol] = "converged"
        why[~np.isfinite(gn)] = "diverged"
        done = why != ""
        if done.any():
            L = to_numpy(population.loss(batch.W, batch.a)) if L is None else L
            rows = np.flatnonzero(done)
            ids = batch.ids[rows]
            r = xp.asarray(rows, device=_device(batch.W))
            final_W[ids] = to_numpy(xp.take(batch.W, r, axis=0))
            if final_a is not None:
                final_a[ids] = to_numpy(xp.take(batch.a, r, axis=0))
            final_L[ids], final_g[ids], stop_t[ids], steps_n[ids] = L[rows], gn[rows], t, n
            for i, r_, w in zip(ids, rows, why[rows], strict=True):
                status[i] = "diverged" if not np.isfinite(L[r_]) else w
            keep = np.flatnonzero(~done)
            if keep.size == 0:
                break
            k = batch.take(keep)
            gW = xp.take(gW, k, axis=0)
            ga = None if ga is None else xp.take(ga, k, axis=0)
        # one step
        if method == "gd":
            batch.W = _retract(xp, batch.W - h * gW, spherical)
            if ga is not None:
                batch.a = batch.a - h * ga
            t += h
            gW, ga = grad(batch.W, batch.a)
        elif method == "sgd":
            X = draw((int(batch.ids.size), batch_size, W0.shape[-1]))
            sW, sa = sampled.gradient(batch.W, batch.a, X)
            batch.W = _retract(xp, batch.W - h * sW, spherical)
            if sa is not None:
                batch.a = batch.a - h * sa
            t += h
            gW, ga = grad(batch.W, batch.a)
        else:
            h, (gW, ga) = _dopri_step(population, batch, gW, ga, h, t, stop.t_max, rtol, atol)
            t += h
            if spherical:
                batch.W = _retract(xp, batch.W, True)
                gW, ga = grad(batch.W, batch.a)
            h = batch.next_h
        n += 1
        if progress is not None:
            progress(t, int(batch.ids.size))
    times, losses = _assemble(cols_t, cols, final_L, stop_t)
    return Simulation(
        times=times,
        losses=losses,
        W=final_W,
        a=final_a,
        final_losses=final_L,
        gradient_norms=final_g,
        stop_times=stop_t,
        steps=steps_n,
        status=tuple(status),
        method=method,
        seconds=_time.perf_counter() - t0,
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


def _dopri_step(population, batch, gW, ga, h, t, t_max, rtol, atol):
    """One accepted Dormand–Prince step of :math:`\\dot y=-\\nabla\\mathcal L(y)` (FSAL).

    Returns the step taken and the gradient at the new point; sets ``batch.next_h``.
    """
    xp = population.xp
    y = (batch.W, batch.a)
    k1 = (-gW, None if ga is None else -ga)
    if h is None:  # initial step 0.01 |y| / |f|
        ny = float(xp.max(_norms(xp, *y)))
        nf = float(xp.max(_norms(xp, *k1)))
        h = 1e-3 if nf == 0 else min(1.0, max(1e-6, 0.01 * max(ny, 1e-3) / nf))
    while True:
        h = min(h, t_max - t) if t_max > t else h
        ks = [k1]
        for row in _DP_A[1:]:
            yi = tuple(
                None
                if y[c] is None
                else y[c] + h * sum(a * k[c] for a, k in zip(row, ks, strict=False) if a)
                for c in (0, 1)
            )
            g = population.gradient(*yi)
            ks.append((-g[0], None if g[1] is None else -g[1]))
        y5 = yi  # the last stage point is the 5th-order solution (FSAL)
        num, cnt = 0.0, 0
        for c in (0, 1):
            if y[c] is None:
                continue
            e = h * sum(w * k[c] for w, k in zip(_DP_E, ks, strict=True) if w)
            sc = atol + rtol * xp.maximum(xp.abs(y[c]), xp.abs(y5[c]))
            num = num + xp.sum((e / sc) ** 2, axis=(-2, -1))
            cnt += y[c].shape[-1] * y[c].shape[-2]
        err = float(xp.max(xp.sqrt(num / cnt)))
        if err <= 1.0 or not np.isfinite(err) and h < 1e-12:
            factor = 5.0 if err == 0 else min(5.0, max(0.2, 0.9 * err ** (-0.2)))
            batch.W, batch.a = y5
            batch.next_h = h * factor
            g7 = ks[-1]
            return h, (-g7[0], None if g7[1] is None else -g7[1])
        h = h * (max(0.2, 0.9 * err ** (-0.2)) if np.isfinite(err) else 0.1)
