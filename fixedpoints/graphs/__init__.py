"""Graphs layer: transition graphs between fixed points and their queries (networkx)."""

from fixedpoints.graphs.queries import (
    minima_gatekeepers,
    plateau_sequence,
    reachable_minima,
    summary,
)
from fixedpoints.graphs.transition import transition_graph, unstable_directions

__all__ = [
    "minima_gatekeepers",
    "plateau_sequence",
    "reachable_minima",
    "summary",
    "transition_graph",
    "unstable_directions",
]
