"""Numeric layer (NumPy/SciPy/mpmath, no SymPy): integration and weight/overlap conversions."""

from fixedpoints.numeric.integrate import Trajectory, integrate
from fixedpoints.numeric.overlaps import parse_variable, state_from_weights, teacher_vectors
from fixedpoints.numeric.population import PopulationLoss

__all__ = [
    "PopulationLoss",
    "Trajectory",
    "integrate",
    "parse_variable",
    "state_from_weights",
    "teacher_vectors",
]
