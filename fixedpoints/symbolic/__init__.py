"""Symbolic layer (SymPy only): loss, order-parameter ODEs, ansätze, symmetry checks."""

from fixedpoints.symbolic.ansatz import (
    Ansatz,
    ansatz_names,
    check_permutation_equivariance,
    is_zero,
    make_ansatz,
    reduce_flow,
)
from fixedpoints.symbolic.flow import OrderParameterFlow, derive, state_symbols
from fixedpoints.symbolic.threshold import (
    SymbolicThreshold,
    named_point,
    named_points,
    symbolic_threshold,
    symbolic_threshold_in_size,
)

__all__ = [
    "Ansatz",
    "OrderParameterFlow",
    "ansatz_names",
    "check_permutation_equivariance",
    "derive",
    "is_zero",
    "make_ansatz",
    "reduce_flow",
    "state_symbols",
    "SymbolicThreshold",
    "named_point",
    "named_points",
    "symbolic_threshold",
    "symbolic_threshold_in_size",
]
