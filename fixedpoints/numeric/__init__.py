"""Numeric layer (NumPy/SciPy/mpmath, no SymPy): integration and weight/overlap conversions."""

from fixedpoints.numeric.integrate import Trajectory, integrate
from fixedpoints.numeric.overlaps import parse_variable, state_from_weights, teacher_vectors

__all__ = ["Trajectory", "integrate", "parse_variable", "state_from_weights", "teacher_vectors"]
