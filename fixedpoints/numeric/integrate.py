r"""Integration of :math:`\dot x=F(x;\theta)` for any :class:`~fixedpoints.protocols.System`.

:func:`integrate` follows one trajectory with SciPy; :func:`integrate_batch` follows many at once,
each with its own adaptive Dormand–Prince 5(4) step, with an optional event and stop rule. The
Dormand–Prince tableau (:data:`DP_A`, :data:`DP_E`) is defined here once; the weight-space
simulation (:mod:`fixedpoints.numeric.simulate`) uses the same one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["BatchTrajectory", "DP_A", "DP_E", "Trajectory", "integrate", "integrate_batch"]

# Dormand–Prince 5(4) tableau (Hairer, Nørsett & Wanner, Solving ODEs I, Table 5.2). Row ``i`` of
# DP_A holds the coefficients a_ij of stage i + 1; the last row is the 5th-order solution (b_j), so
# its stage derivative is F at the new point (FSAL). DP_E = b - b_hat: weights of the error estimate.
DP_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
DP_E = (71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40)


@dataclass(frozen=True)
class Trajectory:
    """Result of :func:`integrate`.

    Attributes
    ----------
    times : ndarray (n_t,)
    states : ndarray (n_vars, n_t)
    losses : ndarray (n_t,)
    names : tuple of str
    status : str
        ``'converged'`` (reached the end of the window) or ``'failed'``.
    message : str
    """

    times: np.ndarray
    states: np.ndarray
    losses: np.ndarray
    names: tuple
    status: str
    message: str


def integrate(
    system,
    x0,
    t_end: float,
    *,
    params=None,
    n_points: int = 200,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    method: str = "DOP853",
) -> Trajectory:
    r"""Integrate the system from ``x0`` over :math:`[0, t_\mathrm{end}]` with SciPy.

    Parameters
    ----------
    system : System
    x0 : array (n_vars,)
    t_end : float
        Positive end time.
    params : dict, optional
        Values of the system's free parameters.
    n_points : int
        Output times (uniform).
    rtol, atol : float
        Tolerances of :func:`scipy.integrate.solve_ivp`.

    Returns
    -------
    Trajectory
        ``status='failed'`` with the solver's message if the solver stopped early (never raises for
        a solver failure).
    """
    from fixedpoints.errors import out_of_range

    if not t_end > 0:
        raise out_of_range("t_end", t_end, "> 0")
    x0 = np.asarray(x0, float)
    t_eval = np.linspace(0.0, float(t_end), int(n_points))
    sol = solve_ivp(
        lambda t, x: system.vector_field(x, params),
        (0.0, float(t_end)),
        x0,
        t_eval=t_eval,
        rtol=rtol,
        atol=atol,
        method=method,
    )
    states = sol.y
    try:  # one vectorised call when the system accepts (n_vars, n_t) states
        losses = np.asarray(system.loss(states, params), dtype=float)
        if losses.shape != sol.t.shape:
            raise ValueError("not vectorised")
    except (TypeError, ValueError):
        losses = np.array([float(system.loss(states[:, i], params)) for i in range(sol.t.size)])
    return Trajectory(
        times=sol.t,
        states=states,
        losses=losses,
        names=tuple(system.names),
        status="converged" if sol.success else "failed",
        message=str(sol.message),
    )


STATUSES = ("event", "stopped", "t_max", "max_steps", "failed")


@dataclass(frozen=True)
class BatchTrajectory:
    """Result of :func:`integrate_batch` (one entry per trajectory).

    Attributes
    ----------
    states : ndarray (N, n_vars)
        Final states: at the event, at the stop, at ``t_max``, or where the integration ended.
    times : ndarray (N,)
        Final times.
    event_times : ndarray (N,)
        First time the event reached its level; ``inf`` if never (or no event was given).
    status : ndarray (N,) of str
        ``'event'`` (the event fired; ``times == event_times``), ``'stopped'`` (the stop predicate
        held), ``'t_max'`` (reached ``t_max``), ``'max_steps'`` (step budget spent) or ``'failed'``
        (the step size underflowed, e.g. a non-finite right-hand side).
    steps : ndarray (N,) of int
        Accepted steps.
    rejected : ndarray (N,) of int
        Rejected step attempts.
    """

    states: np.ndarray
    times: np.ndarray
    event_times: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    rejected: np.ndarray


def integrate_batch(
    field,
    y0,
    t_max: float,
    *,
    params=None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    event=None,
    level: float | None = None,
    direction: int = 0,
    stop=None,
    max_steps: int = 1_000_000,
    bisections: int = 48,
) -> BatchTrajectory:
    r"""Integrate :math:`\dot y=F(y)` from ``N`` initial states at once, each with its own step.

    Every trajectory ``i`` has its own adaptive Dormand–Prince 5(4) step :math:`h_i`; all active
    trajectories advance together as one array program (the right-hand side is called on an
    ``(n_vars, N_active)`` array). One step from :math:`(t,y)` with :math:`k_1=F(y)`:

    .. math::

        k_s=F\Big(y+h\sum_{j<s}a_{sj}k_j\Big),\quad s=2,\dots,7,\qquad
        y_{\rm new}=y+h\sum_{j\le6}b_jk_j,\qquad e=h\sum_{j\le7}(b_j-\hat b_j)k_j,

    with :math:`(a_{sj})`, :math:`b` and :math:`b-\hat b` from :data:`DP_A` and :data:`DP_E`
    (the 7th stage is evaluated at :math:`y_{\rm new}`, so :math:`k_7=F(y_{\rm new})` is the next
    :math:`k_1`: FSAL). The step is accepted when

    .. math::

        \mathrm{err}=\sqrt{\frac1{n}\sum_j\Big(\frac{e_j}
        {\mathrm{atol}+\mathrm{rtol}\max(|y_j|,|y_{{\rm new},j}|)}\Big)^2}\le1,

    and the next step (or the retry, capped at :math:`h`) is
    :math:`h\min(5,\max(0.2,\,0.9\,\mathrm{err}^{-1/5}))`. The first step is
    :math:`0.01\,\|y_0\|/\|F(y_0)\|` (RMS norms), and no step passes ``t_max``.

    **Event.** With ``event`` :math:`g` and ``level`` :math:`c`, the trajectory stops at the first
    time :math:`g(y(t))` reaches :math:`c`: ``direction = -1``: :math:`g\le c` (reached from
    above), ``+1``: :math:`g\ge c`, ``0``: :math:`g-c` changes sign from its sign at
    :math:`t=0` (or vanishes). If that holds at :math:`t=0` the event time is 0. In the accepted
    step :math:`[t,t+h]` where it first holds, the crossing :math:`\theta\in[0,1]` is found by
    ``bisections`` bisections on the cubic Hermite interpolant built from :math:`y,F(y)` at both
    ends,

    .. math::

        p(\theta)=(2\theta^3-3\theta^2+1)\,y_0+(\theta^3-2\theta^2+\theta)\,hF_0
        +(3\theta^2-2\theta^3)\,y_1+(\theta^3-\theta^2)\,hF_1,

    (error :math:`O(h^4)`; for a monotone :math:`g` along the flow, e.g. the loss of a gradient
    flow, the step contains the only crossing). The event time is :math:`t+\theta h` and the final
    state :math:`p(\theta)`.

    **Stop.** ``stop(t, y)`` (``t`` of shape ``(N_active,)``, ``y`` of shape
    ``(n_vars, N_active)``, returning bool ``(N_active,)``) is checked at :math:`t=0` and after
    every accepted step (after the event); a trajectory for which it holds ends there with status
    ``'stopped'``, e.g. a steady state :math:`\max_j|F_j|<\mathrm{tol}`, or
    :math:`\max_j|m_j|<\mathrm{floor}` at a degenerate critical point.

    Parameters
    ----------
    field : callable
        ``field(y)`` (or ``field(y, params)`` when ``params`` is given) maps ``(n_vars, N)`` to
        ``(n_vars, N)``, e.g. the ``vector_field`` of a compiled system.
    y0 : array_like (N, n_vars) or (n_vars,)
        Initial states, one row per trajectory (a 1-D array is one trajectory).
    t_max : float
        End time, > 0 (``inf`` allowed: then ``event``, ``stop`` or ``max_steps`` ends the run).
    params : dict, optional
        Passed to ``field`` as its second argument (``event`` and ``stop`` get ``y`` only).
    rtol, atol : float
        Relative and absolute tolerances of the error norm above, > 0 and >= 0.
    event : callable, optional
        ``event(y)`` maps ``(n_vars, N)`` to ``(N,)``; needs ``level``.
    level : float, optional
        Level of ``event``.
    direction : {0, -1, 1}
        Which way the event counts (see above).
    stop : callable, optional
        Per-trajectory stop predicate ``stop(t, y) -> bool (N,)``.
    max_steps : int
        Step attempts (accepted or rejected) per trajectory; status ``'max_steps'`` when spent.
    bisections : int
        Bisections of the event location (:math:`\theta` to :math:`2^{-\mathrm{bisections}}`).

    Returns
    -------
    BatchTrajectory
        Final states ``(N, n_vars)``, final times, event times (``inf`` if never), status per
        trajectory, accepted and rejected step counts.

    Raises
    ------
    ParameterError
        Non-positive ``t_max``, bad tolerances, ``y0`` not 1-D/2-D or not finite, ``field``,
        ``event`` or ``stop`` returning the wrong shape, ``event`` without ``level``.
    """
    from fixedpoints.errors import out_of_range

    if not t_max > 0:
        raise out_of_range("t_max", t_max, "> 0")
    if not rtol > 0:
        raise out_of_range("rtol", rtol, "> 0")
    if not atol >= 0:
        raise out_of_range("atol", atol, ">= 0")
    if int(max_steps) < 1:
        raise out_of_range("max_steps", max_steps, ">= 1")
    if direction not in (-1, 0, 1):
        raise out_of_range("direction", direction, "one of -1, 0, 1")
    if event is not None and level is None:
        raise out_of_range("level", level, "a number when `event` is given")
    y = np.array(y0, dtype=float, ndmin=1)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.size == 0:
        raise out_of_range("y0", np.shape(y0), "a non-empty array of shape (N, n_vars)")
    if not np.all(np.isfinite(y)):
        raise out_of_range("y0", "non-finite values", "finite")
    y = y.T.copy()  # (n_vars, N)
    n_vars, N = y.shape
    F = field if params is None else (lambda x: field(x, params))

    def rhs(x):
        return np.asarray(F(x), dtype=float).reshape(x.shape)

    f = np.asarray(F(y), dtype=float)
    if f.shape != y.shape:
        raise out_of_range(
            "field",
            f"output shape {f.shape}",
            f"shape (n_vars, N) = {y.shape}",
            "`field` must accept and return a batch of states, one column per trajectory.",
        )

    def side(x):
        """Event condition holds (bool per column)."""
        g = np.asarray(event(x), dtype=float)
        if g.shape != (x.shape[1],):
            raise out_of_range("event", f"output shape {g.shape}", f"shape (N,) = ({x.shape[1]},)")
        return g

    def _check_stop(t_, x):
        s = np.asarray(stop(t_, x), dtype=bool)
        if s.shape != (x.shape[1],):
            raise out_of_range("stop", f"output shape {s.shape}", f"shape (N,) = ({x.shape[1]},)")
        return s

    t = np.zeros(N)
    event_times = np.full(N, np.inf)
    status = np.full(N, "", dtype=object)
    steps = np.zeros(N, dtype=int)
    rejected = np.zeros(N, dtype=int)
    sign0 = np.zeros(N)
    if event is not None:
        g0 = side(y) - level
        if direction == 0:
            sign0 = np.sign(g0)
            hit = sign0 == 0
        else:
            hit = direction * g0 >= 0
        event_times[hit] = 0.0
        status[hit] = "event"
    if stop is not None:
        s0 = _check_stop(t, y) & (status == "")
        status[s0] = "stopped"

    def reached(x, idx):
        g = side(x) - level
        if direction == 0:
            return (np.sign(g) != sign0[idx]) | (g == 0)
        return direction * g >= 0

    ny = np.sqrt(np.mean(y**2, axis=0))
    nf = np.sqrt(np.mean(f**2, axis=0))
    safe_nf = np.where(nf > 0, nf, 1.0)
    h = np.where(nf > 0, 0.01 * np.where(ny > 0, ny, 1.0) / safe_nf, 1e-3)
    h = np.minimum(h, t_max)
    active = np.flatnonzero(status == "")
    for _ in range(int(max_steps)):
        if active.size == 0:
            break
        ta = t[active]
        ya, fa, ha = y[:, active], f[:, active], np.minimum(h[active], t_max - ta)
        ks = [fa]
        for row in DP_A[1:]:
            yi = ya + ha * sum(a * kk for a, kk in zip(row, ks, strict=False) if a)
            ks.append(rhs(yi))
        err_vec = ha * sum(e * kk for e, kk in zip(DP_E, ks, strict=True) if e)
        scale = atol + rtol * np.maximum(np.abs(ya), np.abs(yi))
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            err = np.sqrt(np.mean((err_vec / scale) ** 2, axis=0))
            finite = np.isfinite(err) & np.all(np.isfinite(ks[-1]), axis=0)
            ok = finite & (err <= 1.0)
            factor = np.where(
                err == 0, 5.0, np.clip(0.9 * np.where(err > 0, err, 1.0) ** -0.2, 0.2, 5.0)
            )
        factor = np.where(finite, factor, 0.1)
        h_new = np.where(ok, ha * factor, ha * np.minimum(factor, 1.0))
        h[active] = h_new
        rejected[active[~ok]] += 1
        # a step that cannot be shortened any further: give up on that trajectory
        tiny = ~ok & (h_new <= 1e-15 * np.maximum(np.abs(ta), 1.0))
        status[active[tiny]] = "failed"
        acc = active[ok]
        if acc.size:
            y_old, f_old, y1, f1, hh = ya[:, ok], fa[:, ok], yi[:, ok], ks[-1][:, ok], ha[ok]
            t_old = ta[ok]
            y[:, acc], f[:, acc], t[acc] = y1, f1, t_old + hh
            steps[acc] += 1
            done = np.zeros(acc.size, dtype=bool)
            if event is not None:
                crossed = reached(y1, acc)
                if crossed.any():
                    c = np.flatnonzero(crossed)
                    theta, p = _hermite_crossing(
                        lambda x, idx=acc[c]: reached(x, idx),
                        y_old[:, c],
                        f_old[:, c],
                        y1[:, c],
                        f1[:, c],
                        hh[c],
                        bisections,
                    )
                    te = t_old[c] + theta * hh[c]
                    event_times[acc[c]] = te
                    t[acc[c]] = te
                    y[:, acc[c]] = p
                    status[acc[c]] = "event"
                    done |= crossed
            if stop is not None:
                rest = np.flatnonzero(~done)
                if rest.size:
                    s = _check_stop(t[acc[rest]], y1[:, rest])
                    status[acc[rest[s]]] = "stopped"
                    done[rest[s]] = True
            end = ~done & (t[acc] >= t_max * (1 - 1e-12))
            status[acc[end]] = "t_max"
        active = active[status[active] == ""]
    status[status == ""] = "max_steps"
    return BatchTrajectory(
        states=y.T.copy(),
        times=t,
        event_times=event_times,
        status=status.astype(str),
        steps=steps,
        rejected=rejected,
    )


def _hermite_crossing(reached, y0, f0, y1, f1, h, iterations):
    r"""First :math:`\theta\in[0,1]` with ``reached(p(theta))`` by bisection on the cubic Hermite
    interpolant :math:`p(\theta)=h_{00}y_0+h_{10}hf_0+h_{01}y_1+h_{11}hf_1`; returns
    :math:`\theta` and :math:`p(\theta)`."""

    def p(th):
        t2, t3 = th**2, th**3
        return (
            (2 * t3 - 3 * t2 + 1) * y0
            + (t3 - 2 * t2 + th) * h * f0
            + (3 * t2 - 2 * t3) * y1
            + (t3 - t2) * h * f1
        )

    lo, hi = np.zeros(h.size), np.ones(h.size)
    for _ in range(iterations):
        th = 0.5 * (lo + hi)
        below = reached(p(th))
        hi, lo = np.where(below, th, hi), np.where(below, lo, th)
    return hi, p(hi)
