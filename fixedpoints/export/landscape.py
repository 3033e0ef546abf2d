"""Tables and figures of fixed points and continuation branches (values in, strings/figures out).

Inputs are the JSON-ready dictionaries the command line emits (``fixed_points`` entries and
``branches``), so the export layer needs nothing from the numeric layer.
"""

from __future__ import annotations

from fixedpoints.export.plots import distinct_styles, figure
from fixedpoints.export.report import latex_table

__all__ = [
    "bifurcation_figure",
    "fixed_points_table_latex",
    "fixed_points_table_text",
    "spectrum_figure",
]


def _num(x, digits: int = 10) -> str:
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    if isinstance(x, int) and abs(x) >= 10**12:
        digits = str(x)  # orbit sizes like (d!)^2/|Iso| (exact in JSON)
        return f"{digits[0]}.{digits[1:4]}e{len(digits) - 1}"
    return str(x)


def _spectrum_tex(spectrum, limit: int = 6) -> str:
    parts = [f"{_num(v, 6)}" + (f"^{{({m})}}" if m > 1 else "") for v, m in spectrum[:limit]]
    if len(spectrum) > limit:
        parts.append(r"\dots")
    return "$" + ",\\ ".join(parts) + "$"


def fixed_points_table_latex(points: list[dict], *, caption: str = "") -> str:
    r"""A ``tabular`` of fixed points: loss, index, nullity, count, isotropy and the spectrum as
    :math:`\lambda^{(\text{multiplicity})}` (first six distinct eigenvalues)."""
    body = []
    for p in points:
        iso = str(p.get("isotropy", "")).replace("×", r"$\times$").replace("Δ", r"$\Delta$")
        body.append(
            f"{_num(p['loss'])} & {p['index']} & {p['nullity']} & {p['count']} & {iso} & "
            f"{_spectrum_tex(p['spectrum'])} \\\\"
        )
    header = r"loss & index & nullity & count & isotropy & spectrum \\"
    return latex_table("rrrrll", header, body, caption)


def fixed_points_table_text(points: list[dict]) -> str:
    """Plain-text table of fixed points (one line each)."""
    lines = [f"{'loss':>16} {'index':>5} {'nullity':>7} {'count':>8}  kind        isotropy"]
    for p in points:
        lines.append(
            f"{p['loss']:>16.10g} {p['index']:>5} {p['nullity']:>7} {_num(p['count']):>8}  "
            f"{p.get('kind', ''):<11} {p.get('isotropy', '')}"
        )
    return "\n".join(lines)


def bifurcation_figure(
    branches: list[dict], parameter: str, *, quantity: str = "loss", title: str = ""
):
    """Bifurcation diagram: ``parameter`` against ``quantity`` (a key of the branch points, e.g.
    ``loss`` or ``min_eigenvalue``) per branch, one colour per branch (:func:`distinct_styles`); stable segments (index 0)
    solid, unstable (index ≥ 1) dashed, a segment whose ends differ in index in the style of its
    start; branch points ○ and folds □ (at the event's ``quantity``, else at the nearest point's).
    The legend shows exactly what is drawn: one entry per labelled branch in its colour, the
    line styles and markers that occur."""
    from matplotlib.lines import Line2D

    fig = figure((6.8 if len(branches) <= 4 else 9.0, 4.6))
    ax = fig.subplots()
    handles, styles, kinds = [], set(), set()
    for br, color in zip(branches, _colours(len(branches)), strict=True):
        pts = br["points"]
        xs = [q["parameter"] for q in pts]
        ys = [q[quantity] for q in pts]
        for run in _stability_runs(pts):
            styles.add(_draw(ax, xs[run], ys[run], pts[run.start]["index"] == 0, color))
        if br.get("label") and pts:
            handles.append(Line2D([], [], color=color, lw=2, label=str(br["label"])))
        for ev in br.get("events", []):
            marker = "o" if ev["kind"] == "branch_point" else "s"
            ax.plot(ev["value"], _event_y(ev, pts, quantity), marker, color="k", mfc="none", ms=7)
            kinds.add(ev["kind"])
    _legend(ax, handles, styles, kinds)
    ax.set_xlabel(parameter)
    ax.set_ylabel(quantity)
    ax.set_title(title or f"continuation in {parameter}", fontsize=10)
    return fig


def spectrum_figure(branches: list[dict], parameter: str, *, title: str = ""):
    """Every Hessian eigenvalue of each branch against ``parameter``
    (:func:`~fixedpoints.results.branches.eigenvalue_paths` of the points' ``components``, or
    of their ``spectrum`` with multiplicities expanded), one colour per branch, the zero line,
    and the events ○ (branch point) / □ (fold) on it (an eigenvalue is zero there). A branch's
    eigenvalue is solid where the branch is stable (index 0), dashed where it is not, as in
    :func:`bifurcation_figure`; the legend shows exactly what is drawn."""
    from matplotlib.lines import Line2D

    from fixedpoints.results.branches import eigenvalue_paths

    fig = figure((6.8 if len(branches) <= 4 else 9.0, 4.6))
    ax = fig.subplots()
    ax.axhline(0.0, color="k", lw=0.6)
    handles = [Line2D([], [], color="k", lw=0.6, label="zero")]
    styles, kinds = set(), set()
    for br, color in zip(branches, _colours(len(branches)), strict=True):
        pts = br["points"]
        paths = eigenvalue_paths([q.get("components", q.get("spectrum", [])) for q in pts])
        # an eigenvalue of multiplicity m is m equal columns: draw it once
        distinct = {tuple(None if v != v else v for v in y): y for y in paths.values()}
        xs = [q["parameter"] for q in pts]
        for run in _stability_runs(pts):
            stable = pts[run.start]["index"] == 0
            for y in distinct.values():
                styles.add(_draw(ax, xs[run], y[run], stable, color, lw=0.9))
        if br.get("label") and paths:
            handles.append(Line2D([], [], color=color, lw=2, label=str(br["label"])))
        for ev in br.get("events", []):
            marker = "o" if ev["kind"] == "branch_point" else "s"
            ax.plot(ev["value"], 0.0, marker, color="k", mfc="none", ms=7)
            kinds.add(ev["kind"])
    _legend(ax, handles, styles, kinds)
    ax.set_xlabel(parameter)
    ax.set_ylabel("Hessian eigenvalue")
    ax.set_title(title or f"spectrum along the branches in {parameter}", fontsize=10)
    return fig


def _stability_runs(pts) -> list[slice]:
    """Slices of consecutive points of equal stability (index 0 or not), each extended by the
    next point so that the curve has no gaps (that segment in the style of its start); a lone
    point is a run of its own."""
    runs, start = [], 0
    for j in range(1, len(pts)):
        if (pts[j]["index"] == 0) != (pts[start]["index"] == 0):
            runs.append(slice(start, j + 1))
            start = j
    if len(pts) - start >= 2 or len(pts) == 1:
        runs.append(slice(start, len(pts)))
    return runs


def _event_y(ev, pts, quantity):
    if quantity in ev:
        return ev[quantity]
    near = min(pts, key=lambda q: abs(q["parameter"] - ev["value"]))
    return near[quantity]


def _legend(ax, handles, styles, kinds):
    """The legend: ``handles`` (the branches), then the line ``styles`` drawn (``'-'`` stable,
    ``'--'`` unstable) and the event ``kinds`` marked, each only where it occurs."""
    from matplotlib.lines import Line2D

    if "-" in styles:
        handles.append(Line2D([], [], color="0.3", ls="-", label="stable (index 0)"))
    if "--" in styles:
        handles.append(Line2D([], [], color="0.3", ls="--", label="unstable (index ≥ 1)"))
    if "branch_point" in kinds:
        handles.append(
            Line2D([], [], ls="", marker="o", mfc="none", color="k", label="branch point")
        )
    if kinds - {"branch_point"}:
        handles.append(Line2D([], [], ls="", marker="s", mfc="none", color="k", label="fold"))
    if len(handles) > 8:  # beside the axes, where it hides no curve
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    elif handles:
        ax.legend(handles=handles, fontsize=7, loc="best", framealpha=0.8)


def _colours(n: int) -> list:
    """``n`` distinct colours (the line style is kept for stability)."""
    return [colour for colour, _ in distinct_styles(n)]


def _draw(ax, xs, ys, stable, color, lw=1.4):
    """Draw one run, solid when ``stable`` else dashed (a marker for a lone point); returns the
    line style used."""
    style = "-" if stable else "--"
    ax.plot(xs, ys, style, color=color, lw=lw, marker="." if len(xs) == 1 else None)
    return style
