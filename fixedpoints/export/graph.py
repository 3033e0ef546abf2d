"""Figure of a transition graph (pure: node-link data in, matplotlib figure out)."""

from __future__ import annotations

from fixedpoints.export.plots import figure

__all__ = ["transition_graph_figure"]


_KINDS = {  # colour and marker of each kind of node
    "minimum": ("tab:blue", "o"),
    "saddle": ("tab:orange", "^"),
    "maximum": ("tab:red", "v"),
    "degenerate": ("tab:gray", "D"),
    "nondifferentiable": ("tab:gray", "X"),
}


def _layout(nodes) -> dict:
    """Positions: y = loss; x = Morse index, the nodes of one index spread evenly over
    [index − 0.4, index + 0.4] in order of loss, so that no two share a point."""
    columns: dict = {}
    for n in sorted(nodes, key=lambda n: (n["index"], n["loss"], str(n["id"]))):
        columns.setdefault(n["index"], []).append(n)
    pos = {}
    for index, col in columns.items():
        m = len(col)
        for j, n in enumerate(col):
            pos[n["id"]] = (index + (0.8 * (j + 0.5) / m - 0.4 if m > 1 else 0.0), n["loss"])
    return pos


def transition_graph_figure(data: dict, *, title: str = ""):
    """Draw a transition graph: loss on the y-axis (symmetric-log when the losses span several
    decades), nodes in columns by Morse index and spread within a column (:func:`_layout`),
    coloured and shaped by kind (legend); arrows from each saddle to where its unstable flows
    end, numbered with the count of starts when more than one (at most 20 edges; else the count
    is the line width), as the legend says. Node ids are written for graphs of at most 40 nodes,
    beside the marker.

    Parameters
    ----------
    data : dict
        Node-link data (:func:`networkx.node_link_data` with ``edges="edges"``; ``"links"`` is
        also read): nodes with ``id``, ``loss``, ``index`` (and ``kind``); edges with ``source``,
        ``target``, optional ``count``.
    title : str
        Names the model and its settings.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D

    nodes = data.get("nodes", [])
    edges = data.get("edges", data.get("links", []))
    pos = _layout(nodes)
    fig = figure((7.2, 5.0))
    ax = fig.subplots()
    counted = False
    numbered = len(edges) <= 20  # few edges: the count of starts on each; many: line width
    most = max((e.get("count", 1) for e in edges), default=1)
    for e in edges:
        (x0, y0), (x1, y1) = pos[e["source"]], pos[e["target"]]
        lw = 0.6 if numbered else 0.4 + 1.6 * e.get("count", 1) / most
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "->", "color": "0.55", "lw": lw, "alpha": 0.7,
                "shrinkA": 4, "shrinkB": 4,
            },
        )  # fmt: skip
        if numbered and e.get("count", 1) > 1:
            counted = True
            ax.text(
                0.6 * x0 + 0.4 * x1, 0.6 * y0 + 0.4 * y1, str(e["count"]), fontsize=6, color="0.35"
            )
    kinds_seen = []
    for n in nodes:
        kind = n.get("kind") or ("minimum" if n["index"] == 0 else "saddle")
        colour, marker = _KINDS.get(kind, _KINDS["degenerate"])
        if kind not in kinds_seen:
            kinds_seen.append(kind)
        x, y = pos[n["id"]]
        ax.scatter([x], [y], s=36, color=colour, marker=marker, zorder=3, edgecolors="k", lw=0.4)
        if len(nodes) <= 40:
            ax.annotate(
                str(n["id"]), (x, y), textcoords="offset points", xytext=(5, -2), fontsize=6
            )
    losses = [n["loss"] for n in nodes]
    positive = sorted(abs(v) for v in losses if v != 0)
    if positive and max(positive) > 100 * positive[0]:
        ax.set_yscale("symlog", linthresh=positive[0])
    indices = sorted({n["index"] for n in nodes})
    ax.set_xticks(indices)
    ax.set_xlim(min(indices, default=0) - 0.6, max(indices, default=0) + 0.6)
    ax.set_xlabel("Morse index (nodes of one index spread by loss)")
    ax.set_ylabel("loss")
    handles = [
        Line2D([], [], ls="", marker=_KINDS.get(k, _KINDS["degenerate"])[1],
               color=_KINDS.get(k, _KINDS["degenerate"])[0], label=k)
        for k in kinds_seen
    ]  # fmt: skip
    handles.append(
        Line2D(
            [], [], color="0.55", lw=0.7,
            label="flow from a saddle" + ("" if numbered else " (width: starts)"),
        )
    )  # fmt: skip
    if counted:
        handles.append(Line2D([], [], ls="", label="number on an arrow: starts"))
    ax.legend(handles=handles, fontsize=7, loc="best", framealpha=0.8)
    ax.set_title(title or "transition graph", fontsize=10)
    return fig
