"""Symbolic layer (SymPy only): loss, order-parameter ODEs, ansätze, symmetry checks, named points
and closed-form thresholds."""

from fixedpoints.symbolic.ansatz import (
    Ansatz,
    ansatz_names,
    check_equivariance,
    check_permutation_equivariance,
    fixed_point_ansatz,
    is_zero,
    make_ansatz,
    reduce_flow,
)
from fixedpoints.symbolic.flow import OrderParameterFlow, derive
from fixedpoints.symbolic.named_points import named_point, named_points
from fixedpoints.symbolic.sizes import size_factory, symbolic_threshold_in_size
from fixedpoints.symbolic.state import state_symbols
from fixedpoints.symbolic.threshold import SymbolicThreshold, symbolic_threshold

__all__ = [
    "Ansatz",
    "OrderParameterFlow",
    "SymbolicThreshold",
    "ansatz_names",
    "check_equivariance",
    "check_permutation_equivariance",
    "derive",
    "fixed_point_ansatz",
    "is_zero",
    "make_ansatz",
    "named_point",
    "named_points",
    "reduce_flow",
    "size_factory",
    "state_symbols",
    "symbolic_threshold",
    "symbolic_threshold_in_size",
]
