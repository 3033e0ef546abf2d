"""The two-parameter phase diagram (continue --curve --plot) read by its artists."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_rgba  # noqa: E402

from fixedpoints.export.curves import curves_figure  # noqa: E402


def _curve(kind, label, pts, events=(), expression=None):
    doc = {"kind": kind, "label": label, "points": pts, "events": list(events)}
    if expression:
        doc.update(expression=expression, solved_for="c")
    return doc


def test_phase_diagram_draws_folds_solid_branch_points_dashed_with_a_matching_legend():
    fold = _curve(
        "fold",
        "fold at beta = 0.3 on loss -7.5, index 0",
        [[0.3, 0.25], [0.35, 0.5], [0.39, 1.0]],
        [{"kind": "cusp", "parameters": [0.35, 0.5]}],
    )
    bp = _curve(
        "branch-point",
        "branch_point at beta = 0.28 on averaged",
        [[0.28, 0.25], [0.33, 0.5]],
        expression="sqrt(beta)",
    )
    empty = _curve("fold", "fold that could not be continued", [])
    fig = curves_figure([fold, bp, empty], ("beta", "c"), title="multi-index: phase diagram")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "beta" and ax.get_ylabel() == "c"
    assert ax.get_title() == "multi-index: phase diagram"
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 1]
    assert [ln.get_linestyle() for ln in lines] == ["-", "--"]
    assert to_rgba(lines[0].get_color()) != to_rgba(lines[1].get_color())
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == [
        "fold: from loss -7.5, index 0",
        "branch-point: from averaged (closed form)",
        "cusp",
    ]
    (star,) = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert list(star.get_xdata()) == [0.35] and list(star.get_ydata()) == [0.5]
