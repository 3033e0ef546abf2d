r"""Integrating a :class:`~fixedpoints.protocols.System` (e.g. a compiled order-parameter flow):
one trajectory with SciPy (:func:`integrate`), or many at once with the batched driver
(:func:`integrate_batch`, Dormand–Prince 5(4) with one adaptive step per trajectory).

A compiled system's vector field takes states as columns, ``(n_vars, N)``;
:func:`integrate_batch` takes and returns rows, ``(N, n_vars)``.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.ode.control import ErrorControl
from fixedpoints.numeric.ode.driver import solve
from fixedpoints.numeric.ode.tableau import DOPRI5
from fixedpoints.results import Solution, Status, Trajectory

__all__ = ["integrate", "integrate_batch"]


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
    r"""Integrate the system from ``x0`` over :math:`[0, t_\mathrm{end}]` with
    :func:`scipy.integrate.solve_ivp` (a reference integrator of high order).

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
    method : str
        A SciPy method name (``DOP853``, ``RK45``, ``LSODA``, ...).

    Returns
    -------
    Trajectory
        ``status`` ``reached-end``, or ``step-too-small`` with the solver's message if it stopped
        early (never raises for a solver failure).
    """
    if not (t_end > 0 and np.isfinite(t_end)):
        raise out_of_range("t_end", t_end, "a finite number > 0")
    x0 = np.asarray(x0, float)
    t_eval = np.linspace(0.0, float(t_end), int(n_points))
    from scipy.integrate import solve_ivp  # here: SciPy's integrators load in 0.2 s

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
        status=Status.REACHED_END if sol.success else Status.STEP_TOO_SMALL,
        message=str(sol.message),
    )


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
) -> Solution:
    r"""Integrate :math:`\dot y=F(y)` from ``N`` initial states at once, each with its own
    adaptive Dormand–Prince 5(4) step (:func:`~fixedpoints.numeric.ode.solve` with
    :class:`~fixedpoints.numeric.ode.ErrorControl`), with an optional event and stop rule.

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
        Passed to ``field`` as its second argument.
    rtol, atol : float
        Tolerances of the error norm (:mod:`~fixedpoints.numeric.ode.control`).
    event, level, direction, bisections
        ``event(y)`` maps ``(n_vars, N)`` to ``(N,)``; see :func:`~fixedpoints.numeric.ode.solve`.
    stop : callable, optional
        ``stop(t, y) -> bool (N,)`` with ``t`` of shape ``(N,)`` and ``y`` ``(n_vars, N)``.
    max_steps : int
        Step attempts per trajectory.

    Returns
    -------
    Solution
        ``states`` ``(N, n_vars)``; statuses ``event``, ``stopped``, ``max-time``, ``max-steps``,
        ``step-too-small`` or ``diverged``.

    Raises
    ------
    ParameterError
        Bad arguments, ``y0`` not 1-D/2-D or not finite, callbacks returning wrong shapes.
    """
    y = np.array(y0, dtype=float, ndmin=1)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.size == 0:
        raise out_of_range("y0", np.shape(y0), "a non-empty array of shape (N, n_vars)")
    if not np.all(np.isfinite(y)):
        raise out_of_range("y0", "non-finite values", "finite")
    F = field if params is None else (lambda x: field(x, params))

    def rows_field(x):
        out = np.asarray(F(x.T), dtype=float)
        if out.shape != x.T.shape:
            raise out_of_range(
                "field",
                f"output shape {out.shape}",
                f"shape (n_vars, N) = {x.T.shape}",
                "`field` must accept and return a batch of states, one column per trajectory.",
            )
        return out.T

    ev = None if event is None else (lambda x: event(x.T))
    st = None if stop is None else (lambda t, x, f, ids: stop(t, x.T))
    return solve(
        rows_field,
        y,
        t_max,
        tableau=DOPRI5,
        control=ErrorControl(rtol=rtol, atol=atol),
        event=ev,
        level=level,
        direction=direction,
        bisections=bisections,
        stop=st,
        max_steps=max_steps,
    )
