r"""Integration of :math:`\dot x=F(x;\theta)` for any :class:`~fixedpoints.protocols.System`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["Trajectory", "integrate"]


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
