"""Export layer (pure): LaTeX, JSON-ready dictionaries, report tables and figures.

The names are loaded on first use, each from its own module (as ``fixedpoints`` itself does):
a command that draws a graph or prints a table does not import SymPy, which only the equation
writers (:mod:`fixedpoints.export.equations`) need; matplotlib is imported only when a figure is
drawn.
"""

from __future__ import annotations

import importlib

#: public name -> module that defines it
_EXPORTS = {
    "bifurcation_figure": "fixedpoints.export.landscape",
    "claims_table_latex": "fixedpoints.export.report",
    "compare_claims": "fixedpoints.export.report",
    "latex_table": "fixedpoints.export.report",
    "fixed_points_table_latex": "fixedpoints.export.landscape",
    "fixed_points_table_text": "fixedpoints.export.landscape",
    "flow_to_json": "fixedpoints.export.equations",
    "flow_to_latex": "fixedpoints.export.equations",
    "flow_to_text": "fixedpoints.export.equations",
    "phase_diagram_figure": "fixedpoints.export.sweep",
    "simulation_figure": "fixedpoints.export.simulation",
    "spectrum_figure": "fixedpoints.export.landscape",
    "staircase_figure": "fixedpoints.export.staircase",
    "sweep_line_figure": "fixedpoints.export.sweep",
    "trajectory_figure": "fixedpoints.export.plots",
    "transition_graph_figure": "fixedpoints.export.graph",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'fixedpoints.export' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
