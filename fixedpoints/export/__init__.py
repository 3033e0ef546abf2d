"""Export layer (pure): LaTeX, JSON-ready dictionaries, report tables and figures.

The names are loaded on first use, each from its own module (as ``fixedpoints`` itself does):
a command that draws a graph or prints a table does not import SymPy, which only the equation
writers (:mod:`fixedpoints.export.equations`) need; matplotlib is imported only when a figure is
drawn.
"""

from __future__ import annotations

from fixedpoints.lazy import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
