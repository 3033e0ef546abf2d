"""The one ODE engine: Runge–Kutta tableaus as data, one explicit step over any array namespace,
step controllers (per trajectory or shared), one batched driver with stop rules and events, and the
SciPy reference integrator."""

from fixedpoints.numeric.ode.control import ErrorControl, FixedStep, StepRule
from fixedpoints.numeric.ode.driver import solve
from fixedpoints.numeric.ode.step import rk_step
from fixedpoints.numeric.ode.systems import integrate, integrate_batch
from fixedpoints.numeric.ode.tableau import DOPRI5, EULER, HEUN, RK4, TABLEAUS, Tableau

__all__ = [
    "DOPRI5",
    "EULER",
    "HEUN",
    "RK4",
    "TABLEAUS",
    "ErrorControl",
    "FixedStep",
    "StepRule",
    "Tableau",
    "integrate",
    "integrate_batch",
    "rk_step",
    "solve",
]
