"""Figure of a transition graph (pure: node-link data in, matplotlib figure out)."""

from __future__ import annotations

from fixedpoints.export.plots import figure

__all__ = ["transition_graph_figure"]


def transition_graph_figure(data: dict, *, title: str = ""):
    """Draw a transition graph: each node at height = its loss, nodes of equal (rounded) loss
    spread horizontally, coloured by Morse index (minima ringed black); edges as arrows from a
    saddle to where its unstable directions flow, labelled with the number of starts when > 1.

    Parameters
    ----------
    data : dict
        Node-link data (:func:`networkx.node_link_data` with ``edges="edges"``; ``"links"`` is
        also read): nodes with ``id``, ``loss``, ``index``; edges with ``source``, ``target``,
        optional ``count``.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    nodes = data.get("nodes", [])
    edges = data.get("edges", data.get("links", []))
    # horizontal spread of nodes whose losses coincide at plotting resolution
    span = max((n["loss"] for n in nodes), default=1.0) - min((n["loss"] for n in nodes), default=0)
    res = max(span, 1e-12) * 1e-3
    rows: dict = {}
    for n in sorted(nodes, key=lambda n: (n["loss"], n["index"], str(n["id"]))):
        rows.setdefault(round(n["loss"] / res), []).append(n)
    pos = {}
    for row in rows.values():
        for j, n in enumerate(row):
            pos[n["id"]] = (n["index"] + 0.25 * (j - (len(row) - 1) / 2), n["loss"])
    top = max((n["index"] for n in nodes), default=1) or 1
    import matplotlib

    fig = figure((6.4, 4.8))
    ax = fig.subplots()
    cmap = matplotlib.colormaps["viridis"]
    for e in edges:
        (x0, y0), (x1, y1) = pos[e["source"]], pos[e["target"]]
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 0.8, "shrinkA": 5, "shrinkB": 5},
        )
        if e.get("count", 1) > 1:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, str(e["count"]), fontsize=6, color="0.3")
    for n in nodes:
        x, y = pos[n["id"]]
        edge = "k" if n["index"] == 0 else "none"
        ax.scatter([x], [y], s=40, color=cmap(n["index"] / top), edgecolors=edge, zorder=3)
        ax.annotate(str(n["id"]), (x, y), textcoords="offset points", xytext=(4, 3), fontsize=6)
    sm = matplotlib.cm.ScalarMappable(cmap=cmap, norm=matplotlib.colors.Normalize(0, top))
    fig.colorbar(sm, ax=ax, label="Morse index")
    ax.set_xlabel("Morse index (spread within equal loss)")
    ax.set_ylabel("loss")
    ax.set_title(
        title or "transition graph (arrows: saddle → end of its unstable flow)", fontsize=9
    )
    return fig
