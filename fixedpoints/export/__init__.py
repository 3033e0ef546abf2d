"""Export layer (pure): LaTeX, JSON-ready dictionaries, report tables and figures (matplotlib is
imported only when a figure is drawn)."""

from fixedpoints.export.equations import flow_to_json, flow_to_latex, flow_to_text
from fixedpoints.export.graph import transition_graph_figure
from fixedpoints.export.landscape import (
    bifurcation_figure,
    fixed_points_table_latex,
    fixed_points_table_text,
    spectrum_figure,
)
from fixedpoints.export.plots import trajectory_figure
from fixedpoints.export.report import claims_table_latex, compare_claims, latex_table
from fixedpoints.export.simulation import simulation_figure
from fixedpoints.export.staircase import staircase_figure
from fixedpoints.export.sweep import phase_diagram_figure, sweep_line_figure

__all__ = [
    "bifurcation_figure",
    "claims_table_latex",
    "compare_claims",
    "latex_table",
    "fixed_points_table_latex",
    "fixed_points_table_text",
    "flow_to_json",
    "flow_to_latex",
    "flow_to_text",
    "phase_diagram_figure",
    "simulation_figure",
    "spectrum_figure",
    "staircase_figure",
    "sweep_line_figure",
    "trajectory_figure",
    "transition_graph_figure",
]
