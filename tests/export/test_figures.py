"""Figures are read by their artists (issue 19, item 4): a title, labelled axes, a legend that
matches the curves, distinct colours, integer ticks on integer axes, no overlapping nodes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_rgba  # noqa: E402

from fixedpoints.export import (  # noqa: E402
    bifurcation_figure,
    spectrum_figure,
    sweep_line_figure,
    trajectory_figure,
    transition_graph_figure,
)


def _labelled(ax):
    assert ax.get_xlabel() and ax.get_ylabel()


def test_trajectory_figure_twelve_variables_have_distinct_styles_and_plain_ticks():
    t = np.linspace(0, 10, 50)
    names = [f"Q_{i}" for i in range(12)]
    states = np.array([np.sin(t + i) for i in range(12)])
    losses = 4.0 + 0.05 * np.cos(t)  # less than a decade: linear, no 4.04×10⁰ ticks
    fig = trajectory_figure(t, states, names, losses, title="soft-committee, k = 4, m = 2")
    ax1, ax2 = fig.axes
    assert fig._suptitle.get_text() == "soft-committee, k = 4, m = 2"
    _labelled(ax1)
    _labelled(ax2)
    assert ax1.get_yscale() == "linear"
    styles = {(to_rgba(line.get_color()), line.get_linestyle()) for line in ax2.get_lines()}
    assert len(styles) == 12
    legend = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert legend == names
    fig.canvas.draw()
    assert all("10^" not in t.get_text() and "×" not in t.get_text() for t in ax1.get_yticklabels())


def test_bifurcation_legend_matches_line_styles_and_markers():
    pts = [
        {"parameter": b, "loss": -b, "index": 0 if b > 0.25 else 2} for b in np.linspace(0, 0.5, 11)
    ]
    branches = [
        {"points": pts, "events": [{"kind": "branch_point", "value": 0.25, "loss": -0.25}],
         "label": "averaged"},
        {"points": [dict(p, loss=p["loss"] - 1) for p in pts], "events": [], "label": "other"},
    ]  # fmt: skip
    fig = bifurcation_figure(branches, "beta", title="multi-index, k = 3, He3")
    (ax,) = fig.axes
    _labelled(ax)
    assert ax.get_title() == "multi-index, k = 3, He3"
    entries = {
        t.get_text(): h
        for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True)
    }
    assert {"averaged", "other", "stable (index 0)", "unstable (index ≥ 1)", "branch point"} <= set(
        entries
    )
    assert entries["stable (index 0)"].get_linestyle() == "-"
    assert entries["unstable (index ≥ 1)"].get_linestyle() == "--"
    # each branch's legend colour is the colour of its curves
    colours = {
        to_rgba(line.get_color()) for line in ax.get_lines() if line.get_linestyle() in ("-", "--")
    }
    assert to_rgba(entries["averaged"].get_color()) in colours
    assert to_rgba(entries["other"].get_color()) in colours
    assert to_rgba(entries["averaged"].get_color()) != to_rgba(entries["other"].get_color())


def _legend(ax):
    legend = ax.get_legend()
    return {t.get_text(): h for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)}


def test_bifurcation_legend_lists_only_the_styles_drawn():
    """A branch stable throughout: solid lines only, no 'unstable' entry, no event markers;
    a one-point branch is still drawn (a marker) and keeps its legend entry."""
    pts = [{"parameter": b, "loss": b, "index": 0} for b in np.linspace(0, 1, 5)]
    lone = [{"parameter": 0.5, "loss": 2.0, "index": 1}]
    fig = bifurcation_figure(
        [{"points": pts, "events": [], "label": "a"}, {"points": lone, "events": [], "label": "b"}],
        "beta",
    )
    (ax,) = fig.axes
    entries = _legend(ax)
    assert set(entries) == {"a", "b", "stable (index 0)", "unstable (index ≥ 1)"}
    assert {line.get_linestyle() for line in ax.get_lines()} == {"-", "--"}
    solid_only = bifurcation_figure([{"points": pts, "events": [], "label": "a"}], "beta")
    (ax,) = solid_only.axes
    assert set(_legend(ax)) == {"a", "stable (index 0)"}
    assert {line.get_linestyle() for line in ax.get_lines()} == {"-"}


def test_bifurcation_event_markers_sit_on_the_plotted_quantity():
    pts = [
        {"parameter": b, "loss": -b, "min_eigenvalue": b - 0.5, "index": int(b < 0.5)}
        for b in np.linspace(0, 1, 11)
    ]
    ev = {"kind": "branch_point", "value": 0.5, "loss": -0.5}
    fig = bifurcation_figure(
        [{"points": pts, "events": [ev], "label": "x"}], "beta", quantity="min_eigenvalue"
    )
    (ax,) = fig.axes
    (marker,) = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert marker.get_ydata()[0] == pytest.approx(0.0)  # not the event's loss


def test_spectrum_figure_draws_each_eigenvalue_by_stability_with_a_matching_legend():
    """Every distinct eigenvalue path of each branch is a curve (solid where index 0, dashed
    elsewhere); the zero line and the events on it; the legend lists the branches in their
    colours, the two styles, and the event kinds drawn."""
    bs = np.linspace(0, 0.5, 11)
    avg = [
        {"parameter": b, "index": 0 if b > 0.25 else 2, "spectrum": [[b - 0.25, 2], [1.0 + b, 2]]}
        for b in bs
    ]
    iso = [
        {
            "parameter": b,
            "index": 0,
            "spectrum": [[0.1, 3], [0.2 + b, 1]],
            "components": [[0.1, 3, "(d-1,1)"], [0.2 + b, 1, "trivial"]],
        }
        for b in bs
    ]
    branches = [
        {"points": avg, "events": [{"kind": "branch_point", "value": 0.25}], "label": "averaged"},
        {"points": iso, "events": [{"kind": "fold", "value": 0.5}], "label": "isotypic"},
    ]
    fig = spectrum_figure(branches, "beta", title="spectra")
    (ax,) = fig.axes
    _labelled(ax)
    assert ax.get_title() == "spectra"
    entries = _legend(ax)
    assert set(entries) == {
        "zero", "averaged", "isotypic", "stable (index 0)", "unstable (index ≥ 1)",
        "branch point", "fold",
    }  # fmt: skip
    curves = [line for line in ax.get_lines() if line.get_linestyle() in ("-", "--")]
    zero = [c for c in curves if list(c.get_ydata()) == [0, 0]]
    assert len(zero) == 1
    curves = [c for c in curves if c not in zero]
    colour = {name: to_rgba(entries[name].get_color()) for name in ("averaged", "isotypic")}
    by_branch = {
        name: [c for c in curves if to_rgba(c.get_color()) == rgba] for name, rgba in colour.items()
    }
    # averaged: 2 distinct eigenvalues × (unstable run + stable run); isotypic: 2 components
    assert len(by_branch["averaged"]) == 4 and len(by_branch["isotypic"]) == 2
    assert {c.get_linestyle() for c in by_branch["averaged"]} == {"-", "--"}
    assert {c.get_linestyle() for c in by_branch["isotypic"]} == {"-"}
    markers = [line for line in ax.get_lines() if line.get_marker() in ("o", "s")]
    assert sorted(m.get_xdata()[0] for m in markers) == [0.25, 0.5]
    assert all(m.get_ydata()[0] == 0.0 for m in markers)


def test_graph_figure_has_no_redundant_colour_bar_and_nodes_do_not_overlap():
    nodes = [
        {"id": i, "loss": 0.05 + 1e-4 * i, "index": i % 3, "kind": "saddle" if i % 3 else "minimum"}
        for i in range(12)
    ]
    edges = [{"source": i, "target": i - 1, "count": 2} for i in range(1, 12) if i % 3]
    fig = transition_graph_figure({"nodes": nodes, "edges": edges}, title="relu-teacher, d = 6")
    assert len(fig.axes) == 1  # no colour bar repeating the x-axis
    (ax,) = fig.axes
    _labelled(ax)
    assert ax.get_title() == "relu-teacher, d = 6"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "minimum" in texts and "saddle" in texts and "number on an arrow: starts" in texts
    offsets = np.concatenate([c.get_offsets() for c in ax.collections])
    assert len({tuple(np.round(o, 9)) for o in offsets}) == len(nodes)


def test_integer_sweep_axis_has_integer_ticks():
    rows = [{"k": k, "beta_c": 1 / (k + 1), "status": "ok"} for k in range(2, 20)]
    fig = sweep_line_figure(rows, "k", "beta_c", title="beta_c against k")
    (ax,) = fig.axes
    _labelled(ax)
    ticks = [v for v in ax.get_xticks() if 2 <= v <= 19]
    assert ticks and all(float(v).is_integer() for v in ticks)


def test_command_line_figures_name_model_and_settings(tmp_path, capsys):
    import matplotlib.image

    from fixedpoints.cli import main
    from fixedpoints.cli.io import figure_title
    from fixedpoints.models import load_model

    title = figure_title(load_model("relu-teacher", {"d": 3}), "transition graph")
    assert title == "relu-teacher (d = 3): transition graph"
    out = tmp_path / "flow.png"
    argv = ["derive", "soft-committee", "--set", "k=3", "--set", "m=2", "--plot", str(out)]
    assert main(argv) == 0
    assert matplotlib.image.imread(out).shape[0] > 100
