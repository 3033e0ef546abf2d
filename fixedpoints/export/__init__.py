"""Export layer (pure): LaTeX, JSON-ready dictionaries, report tables and figures."""

from fixedpoints.export.equations import flow_to_json, flow_to_latex, flow_to_text
from fixedpoints.export.landscape import (
    bifurcation_figure,
    fixed_points_table_latex,
    fixed_points_table_text,
)
from fixedpoints.export.plots import trajectory_figure
from fixedpoints.export.report import claims_table_latex, compare_claims

__all__ = [
    "bifurcation_figure",
    "fixed_points_table_latex",
    "fixed_points_table_text",
    "claims_table_latex",
    "compare_claims",
    "flow_to_json",
    "flow_to_latex",
    "flow_to_text",
    "trajectory_figure",
]
