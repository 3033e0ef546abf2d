"""Numeric layer (NumPy/SciPy/mpmath, no SymPy): landscapes, the ODE engine, Newton, fixed
points and their classification, symmetry, continuation, simulation and neural correlation
functions."""

from fixedpoints.numeric.continuation import continue_branch
from fixedpoints.numeric.fixed_points import classify_point, find_fixed_points
from fixedpoints.numeric.landscape import Landscape
from fixedpoints.numeric.ode import integrate, integrate_batch
from fixedpoints.numeric.overlaps import overlap_coordinates, state_from_weights, teacher_vectors
from fixedpoints.numeric.population import PopulationLoss

__all__ = [
    "Landscape",
    "PopulationLoss",
    "classify_point",
    "continue_branch",
    "find_fixed_points",
    "integrate",
    "integrate_batch",
    "overlap_coordinates",
    "state_from_weights",
    "teacher_vectors",
]
