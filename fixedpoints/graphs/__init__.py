"""Graphs layer: transition graphs between fixed points and saddle-to-saddle plateau sequences."""

from fixedpoints.graphs.queries import (
    minima_gatekeepers,
    plateau_sequence,
    reachable_minima,
    summary,
)
from fixedpoints.graphs.saddle_to_saddle import (
    Plateau,
    SaddleSequence,
    diagonal_saddle_to_saddle,
    linear_saddle_to_saddle,
    saddle_to_saddle,
)
from fixedpoints.graphs.transition import transition_graph, unstable_directions

__all__ = [
    "Plateau",
    "SaddleSequence",
    "diagonal_saddle_to_saddle",
    "linear_saddle_to_saddle",
    "saddle_to_saddle",
    "minima_gatekeepers",
    "plateau_sequence",
    "reachable_minima",
    "summary",
    "transition_graph",
    "unstable_directions",
]
