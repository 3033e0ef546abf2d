"""Tables and figures of fixed points and continuation branches (values in, strings/figures out).

Inputs are the JSON-ready dictionaries the command line emits (``fixed_points`` entries and
``branches``), so the export layer needs nothing from the numeric layer.
"""

from __future__ import annotations

from fixedpoints.export.plots import figure
from fixedpoints.export.report import latex_table

__all__ = ["bifurcation_figure", "fixed_points_table_latex", "fixed_points_table_text"]


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
    ``loss``) per branch, one colour per branch; stable segments (index 0) solid, unstable
    dashed; branch points ○ and folds □. The legend shows exactly these: one entry per labelled
    branch in its colour, the two line styles and the two markers."""
    from matplotlib.lines import Line2D

    fig = figure((6.8, 4.6))
    ax = fig.subplots()
    handles = []
    for i, br in enumerate(branches):
        pts = br["points"]
        color = f"C{i % 10}"
        run = [pts[0]]
        for q in pts[1:]:
            if (q["index"] == 0) != (run[-1]["index"] == 0):
                _draw(ax, run + [q], parameter, quantity, color)
                run = [q]
            else:
                run.append(q)
        _draw(ax, run, parameter, quantity, color)
        if br.get("label"):
            handles.append(Line2D([], [], color=color, lw=2, label=str(br["label"])))
        for ev in br.get("events", []):
            marker = "o" if ev["kind"] == "branch_point" else "s"
            ax.plot(
                ev["value"], ev.get(quantity, ev.get("loss")), marker, color="k", mfc="none", ms=7
            )
    kinds = {ev["kind"] for br in branches for ev in br.get("events", [])}
    indices = {q["index"] == 0 for br in branches for q in br["points"]}
    if True in indices:
        handles.append(Line2D([], [], color="0.3", ls="-", label="stable (index 0)"))
    if False in indices:
        handles.append(Line2D([], [], color="0.3", ls="--", label="unstable (index ≥ 1)"))
    if "branch_point" in kinds:
        handles.append(
            Line2D([], [], ls="", marker="o", mfc="none", color="k", label="branch point")
        )
    if kinds - {"branch_point"}:
        handles.append(Line2D([], [], ls="", marker="s", mfc="none", color="k", label="fold"))
    ax.set_xlabel(parameter)
    ax.set_ylabel(quantity)
    ax.set_title(title or f"continuation in {parameter}", fontsize=10)
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="best", framealpha=0.8)
    return fig


def _draw(ax, run, parameter, quantity, color):
    if len(run) < 2:
        return
    xs = [q["parameter"] for q in run]
    ys = [q[quantity] for q in run]
    style = "-" if run[0]["index"] == 0 else "--"
    ax.plot(xs, ys, style, color=color, lw=1.4)
