"""The one ODE engine: Runge–Kutta tableaus as data, one explicit step over any array namespace,
step controllers (per trajectory or shared), one batched driver with stop rules and events, and the
SciPy reference integrator."""

from fixedpoints.numeric.ode.control import ErrorControl, FixedStep, StepRule
from fixedpoints.numeric.ode.driver import solve
from fixedpoints.numeric.ode.jacobian import Layout, forward_jacobian
from fixedpoints.numeric.ode.step import rk_step, rosenbrock_step
from fixedpoints.numeric.ode.stiffness import AUTO, Auto, stiffness_ratio
from fixedpoints.numeric.ode.systems import integrate, integrate_batch
from fixedpoints.numeric.ode.tableau import (
    DOPRI5,
    EULER,
    HEUN,
    RK4,
    RKC,
    ROS34PW2,
    TABLEAUS,
    Chebyshev,
    Rosenbrock,
    Tableau,
)

__all__ = [
    "AUTO",
    "DOPRI5",
    "EULER",
    "HEUN",
    "RK4",
    "RKC",
    "ROS34PW2",
    "TABLEAUS",
    "Auto",
    "Chebyshev",
    "ErrorControl",
    "FixedStep",
    "Layout",
    "Rosenbrock",
    "StepRule",
    "Tableau",
    "forward_jacobian",
    "integrate",
    "integrate_batch",
    "rk_step",
    "rosenbrock_step",
    "solve",
    "stiffness_ratio",
]
