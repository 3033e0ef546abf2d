"""The two-parameter phase diagram: fold and branch-point curves (``continue --curve``)."""

from __future__ import annotations

from fixedpoints.export.plots import distinct_styles, figure

__all__ = ["curves_figure"]

_EVENT_MARKERS = {
    "cusp": ("*", "cusp"),
    "turn": ("^", "turn"),
    "meets-branch-point": ("o", "curves meet"),
    "meets-fold": ("o", "curves meet"),
    "end": ("x", "curve ends"),
}


def curves_figure(curves: list[dict], parameters, *, title: str = ""):
    """Phase diagram in the plane ``parameters`` = (p1, p2): each curve (a ``curves`` entry of
    ``continue --json``) with p1 on x and p2 on y, fold curves solid and branch-point curves
    dashed, one colour per curve, labelled in the legend by kind and the branch it was started
    from ("closed form" when it has one); events marked (cusp ★, turn ▲, curves meet ○, end ✕). The legend
    shows exactly what is drawn."""
    from matplotlib.lines import Line2D

    p1, p2 = parameters
    drawn = [c for c in curves if c.get("points")]
    fig = figure((7.2, 5.0))
    ax = fig.subplots()
    handles, seen = [], {}
    for c, (colour, _) in zip(drawn, distinct_styles(len(drawn)), strict=True):
        xs = [p[0] for p in c["points"]]
        ys = [p[1] for p in c["points"]]
        style = "-" if c["kind"] == "fold" else "--"
        ax.plot(xs, ys, style, color=colour, lw=1.6)
        label = f"{c['kind']}: {_short(c.get('label', ''))}"
        if c.get("expression"):
            label += " (closed form)"
        handles.append(Line2D([], [], color=colour, ls=style, lw=1.6, label=label))
        for ev in c.get("events", []):
            marker, name = _EVENT_MARKERS.get(ev["kind"], ("D", ev["kind"]))
            x, y = ev["parameters"]
            ax.plot(x, y, marker, color="k", mfc="none" if marker != "*" else "k", ms=8)
            seen[name] = marker
    for name, marker in seen.items():
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=marker,
                color="k",
                mfc="none" if marker != "*" else "k",
                label=name,
            )
        )
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="best")
    ax.set_xlabel(p1)
    ax.set_ylabel(p2)
    ax.set_title(title or f"phase diagram in ({p1}, {p2})", fontsize=10)
    return fig


def _short(label: str) -> str:
    """The origin of a curve in a few words: ``'fold at beta = 0.2979541989 on loss -7.5,
    index 0'`` -> ``'from loss -7.5, index 0'``."""
    _, sep, origin = label.partition(" on ")
    return f"from {origin}" if sep else label.replace("branch_point", "branch point")
