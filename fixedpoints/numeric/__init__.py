"""Numeric layer (NumPy/SciPy/mpmath, no SymPy): integration and weight/overlap conversions."""

from fixedpoints.numeric.continuation import Branch, Event, continue_branch
from fixedpoints.numeric.fixed_points import (
    FixedPoint,
    FixedPointSearch,
    classify_point,
    find_fixed_points,
)
from fixedpoints.numeric.integrate import BatchTrajectory, Trajectory, integrate, integrate_batch
from fixedpoints.numeric.landscape import Landscape
from fixedpoints.numeric.newton import newton
from fixedpoints.numeric.overlaps import overlap_coordinates, state_from_weights, teacher_vectors
from fixedpoints.numeric.population import PopulationLoss

__all__ = [
    "BatchTrajectory",
    "Branch",
    "Event",
    "FixedPoint",
    "FixedPointSearch",
    "Landscape",
    "classify_point",
    "continue_branch",
    "find_fixed_points",
    "newton",
    "PopulationLoss",
    "Trajectory",
    "integrate",
    "integrate_batch",
    "overlap_coordinates",
    "state_from_weights",
    "teacher_vectors",
]
