r"""The exact flow of a batch of quadratic networks at requested times: the scalars
:math:`(\phi,h)` of :mod:`~fixedpoints.numeric.riccati.closed_form` integrated by the one
ODE engine, :math:`Z` in closed form, re-anchored when the exponentials grow."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.ode import AUTO, ErrorControl, solve
from fixedpoints.numeric.riccati.closed_form import OBSERVABLES, PHI_STEP, Anchor, RiccatiProblem
from fixedpoints.results import Status

__all__ = ["ExactFlow", "exact_flow"]


@dataclass(frozen=True)
class ExactFlow:
    """The exact flow of a batch of runs at the requested times (:func:`exact_flow`).

    Attributes
    ----------
    times : ndarray (n_times,)
        Model times.
    observables : dict of name -> ndarray (runs, n_times)
        ``loss``, ``gradient_norm``, ``phi`` (:math:`\\int_0^u\\tau`, standard time), ``trace``
        (:math:`\\operatorname{tr}Z`), ``teacher_overlap`` (:math:`\\operatorname{tr}ZZ^*`),
        ``frobenius`` (:math:`\\|Z\\|_F`), ``overlap``
        (:math:`\\chi=\\operatorname{tr}ZZ^*/(\\|Z\\|_F\\|Z^*\\|_F)`), ``log_det_K``; after a run
        stopped, its final values.
    final : dict of name -> ndarray (runs,)
        The same at each run's stop time.
    stop_times, steps : ndarray (runs,)
    status : tuple of Status
    W : ndarray (runs, k, d)
        Final weights with :math:`aW^\\top W=Z` (the flow's weights up to an orthogonal mixing of
        the students, a symmetry of the model).
    """

    times: np.ndarray
    observables: dict
    final: dict
    stop_times: np.ndarray
    steps: np.ndarray
    status: tuple
    W: np.ndarray


def _factor0(problem, W0):
    """:math:`C` with :math:`CC^\\top=aW_0^\\top W_0` in the eigenbasis, full column rank."""
    W0 = np.asarray(W0, dtype=float)
    runs, k, d = W0.shape
    if d != problem.d:
        raise out_of_range("W0", f"shape {W0.shape}", f"(runs, k, d) with d = {problem.d}")
    _, sv, vh = np.linalg.svd(W0, full_matrices=False)
    r = min(k, d)
    small = sv[:, r - 1] <= 1e-12 * np.maximum(sv[:, 0], 1e-300)
    if np.any(small):
        raise out_of_range(
            "W0",
            f"rank < {r} in run {int(np.flatnonzero(small)[0])}",
            f"full rank min(k, d) = {r} (method 'exact')",
        )
    C = np.swapaxes(vh[:, :r, :], -1, -2) * (np.sqrt(problem.a) * sv[:, None, :r])
    return problem.basis.T @ C


def exact_flow(
    problem: RiccatiProblem,
    W0,
    times,
    *,
    gradient_tol: float = 0.0,
    max_steps: int = 10_000_000,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    progress=None,
) -> ExactFlow:
    r"""The exact gradient flow of ``runs`` quadratic networks from ``W0`` (module docstring).

    Parameters
    ----------
    problem : RiccatiProblem
    W0 : array (runs, k, d)
        Initial weights (rank min(k, d)).
    times : array_like
        Increasing model times :math:`\ge0` at which the observables are given (the last is the
        end time).
    gradient_tol : float
        A run stops (``converged``) once :math:`\|\nabla_W\mathcal L\|<` ``gradient_tol``.
    max_steps : int
        Step attempts per run (``max-steps``).
    rtol, atol : float
        Tolerances of the scalar ODE for :math:`(\phi,h)`.
    progress : callable, optional
        ``progress(t, active_runs)`` after each segment.

    Returns
    -------
    ExactFlow
    """
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or times.size < 1 or times[0] < 0 or np.any(np.diff(times) <= 0):
        raise out_of_range("times", times.tolist()[:5], "increasing times >= 0")
    if not np.all(np.isfinite(times)):
        raise out_of_range("times", "non-finite", "finite times")
    pb = problem
    C = _factor0(pb, W0)
    runs, k, d = np.shape(W0)
    scale = pb.time_scale
    U = times * scale
    tr_star = float(np.sum(pb.mu * np.array(pb.sizes)))
    nu = np.maximum(pb.mu, 0.0)
    p = pb.mu.size
    names = (*OBSERVABLES, "log_det_K")
    obs = {n: np.full((runs, U.size), np.nan) for n in names}
    final = {n: np.full(runs, np.nan) for n in names}
    stop_times, steps = np.zeros(runs), np.zeros(runs, dtype=int)
    status = np.full(runs, None, dtype=object)
    factor_final = np.zeros((runs, d, C.shape[2]))
    offset_phi, offset_logdet = np.zeros(runs), np.zeros(runs)
    live = np.arange(runs)  # global ids of the anchored runs
    anchor = Anchor(pb, C)
    y = np.zeros((runs, 3 + p))
    y[:, 0] = np.arange(runs)  # row of the anchor
    u_now = u_anchor = 0.0
    interval = pb.anchor_interval()
    floor = 1e-2 * max(abs(tr_star), 1e-300)  # |φ'| assumed at least this when choosing a segment

    def field(s):
        rows = s[:, 0].astype(int)
        u, phi, gh = s[:, 1], s[:, 2], s[:, 3:]
        out = np.zeros_like(s)
        out[:, 1] = 1.0
        out[:, 2] = anchor.trace(u, phi, gh, rows) - tr_star
        out[:, 3:] = (
            4.0 * np.exp(4.0 * u[:, None] * (pb.mu - nu)) + (2.0 * out[:, 2:3] - 4.0 * nu) * gh
        )
        return out

    def measure(s):
        rows = s[:, 0].astype(int)
        vals, fac = anchor.observables(s[:, 1], s[:, 2], s[:, 3:], rows)
        g = live[rows]
        vals["phi"] = offset_phi[g] + s[:, 2]
        vals["log_det_K"] = offset_logdet[g] + vals["log_det_K"]
        return vals, anchor.full_factor(fac, rows), g

    def settle(s, why, t):
        vals, fac, g = measure(s)
        for n in names:
            final[n][g] = vals[n]
        factor_final[g], status[g], stop_times[g] = fac, why, t / scale

    def stop(t, s, f, ids):
        if gradient_tol <= 0:
            return np.zeros(ids.size, dtype=bool)
        return anchor.gradient_norm(s[:, 1], s[:, 2], s[:, 3:], s[:, 0].astype(int)) < gradient_tol

    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        first, _, _ = measure(y)
        done0 = (
            (first["gradient_norm"] < gradient_tol) if gradient_tol > 0 else np.zeros(runs, bool)
        )
        j = 0
        if U[0] == 0:
            for n in names:
                obs[n][:, 0] = first[n]
            j = 1
        if done0.any():
            settle(y[done0], Status.CONVERGED, 0.0)
            y = y[~done0]
        while y.shape[0] and j < U.size:
            rate = np.max(np.abs(field(y)[:, 2])) if y.shape[0] else 0.0
            end = min(U[j], u_anchor + interval, u_now + PHI_STEP / max(2 * rate, floor))
            if end > u_now:
                sol = solve(
                    field,
                    y,
                    end - u_now,
                    tableau=AUTO,
                    control=ErrorControl(rtol=rtol, atol=atol),
                    stop=stop,
                    max_steps=max(1, int(max_steps - steps[live[y[:, 0].astype(int)]].min())),
                )
                g = live[y[:, 0].astype(int)]
                steps[g] += sol.steps
                y = np.asarray(sol.states)
                st = np.array(sol.status, dtype=object)
                for why in set(st) - {Status.MAX_TIME}:
                    sel = st == why
                    ended = Status.CONVERGED if why == Status.STOPPED else why
                    settle(y[sel], ended, u_now + sol.times[sel])
                y = y[st == Status.MAX_TIME]
                u_now = end
            if y.shape[0] and u_now >= U[j]:
                vals, _, g = measure(y)
                for n in names:
                    obs[n][g, j] = vals[n]
                j += 1
            late = u_now >= u_anchor + interval or np.max(np.abs(y[:, 2]), initial=0) > PHI_STEP
            if y.shape[0] and late and j < U.size:
                vals, fac, g = measure(y)  # re-anchor: C <- factor of Z(u), u, φ, ĝ <- 0
                offset_phi[g], offset_logdet[g] = vals["phi"], vals["log_det_K"]
                anchor, live = Anchor(pb, fac), g
                y = np.zeros((g.size, 3 + p))
                y[:, 0] = np.arange(g.size)
                u_anchor = u_now
            if progress is not None:
                progress(u_now / scale, int(y.shape[0]))
        if y.shape[0]:
            settle(y, Status.MAX_TIME, u_now)
    for n in names:  # after a run stopped: its final values
        after = U[None, :] > stop_times[:, None] * scale
        obs[n] = np.where(after | np.isnan(obs[n]), final[n][:, None], obs[n])
    Wf = np.zeros((runs, k, d))
    full = pb.basis @ factor_final  # (runs, d, r)
    Wf[:, : full.shape[2], :] = np.swapaxes(full, -1, -2) / np.sqrt(pb.a)
    return ExactFlow(
        times=times,
        observables=obs,
        final=final,
        stop_times=stop_times,
        steps=steps,
        status=tuple(status),
        W=Wf,
    )
