"""Numeric layer (NumPy/SciPy/mpmath, no SymPy): landscapes, the ODE engine, Newton, fixed
points and their classification, symmetry, continuation, simulation, the pair-vectorised
order-parameter flow and neural correlation functions. Names load on first use."""

from __future__ import annotations

from fixedpoints.lazy import lazy_names

_EXPORTS = {
    "Landscape": "fixedpoints.numeric.landscape",
    "OverlapFlow": "fixedpoints.numeric.overlap_flow",
    "PopulationLoss": "fixedpoints.numeric.population",
    "classify_point": "fixedpoints.numeric.fixed_points",
    "continue_branch": "fixedpoints.numeric.continuation",
    "find_fixed_points": "fixedpoints.numeric.fixed_points",
    "integrate": "fixedpoints.numeric.ode",
    "integrate_batch": "fixedpoints.numeric.ode",
    "overlap_coordinates": "fixedpoints.numeric.overlaps",
    "state_from_weights": "fixedpoints.numeric.overlaps",
    "teacher_vectors": "fixedpoints.numeric.overlaps",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
