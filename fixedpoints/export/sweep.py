"""Figures of parameter sweeps (values in, a :class:`matplotlib.figure.Figure` out; callers save it).

Inputs are the rows of a sweep table: one flat dictionary per grid point holding the grid values
(numbers or strings) and scalar results, as written to ``results.jsonl`` by ``fixedpoints sweep``.
Numeric grid axes are drawn to scale; string axes (e.g. ``target = He3, He4``) are categorical.
"""

from __future__ import annotations

import math

from fixedpoints.export.plots import figure, integer_ticks

__all__ = ["phase_diagram_figure", "sweep_line_figure"]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _axis(values) -> tuple[dict, list, list, list]:
    """Positions of the distinct ``values`` of one grid axis.

    Returns ``(position, edges, ticks, labels)``: numeric axes map each value to itself and put cell
    edges half-way between neighbours; any other axis maps the values, in order of appearance, to
    ``0, 1, ...`` with edges at ``i ± 1/2``. Ticks are at the values when there are at most 12
    (none otherwise: matplotlib's own ticks).
    """
    distinct = list(dict.fromkeys(values))
    if distinct and all(_is_number(v) for v in distinct):
        xs = sorted(float(v) for v in distinct)
        if len(xs) == 1:
            half = 0.5 if xs[0] == 0 else abs(xs[0]) / 2
            edges = [xs[0] - half, xs[0] + half]
        else:
            mids = [(a + b) / 2 for a, b in zip(xs, xs[1:], strict=False)]
            edges = [2 * xs[0] - mids[0], *mids, 2 * xs[-1] - mids[-1]]
        few = len(xs) <= 12  # label every value of a short axis
        return (
            {v: float(v) for v in distinct},
            edges,
            xs if few else [],
            [_label(x) for x in xs] if few else [],
        )
    position = {v: float(i) for i, v in enumerate(distinct)}
    edges = [i - 0.5 for i in range(len(distinct) + 1)]
    return position, edges, list(position.values()), [str(v) for v in distinct]


def _colour_values(rows, color) -> tuple[list[float], list[str]]:
    """Numbers to colour by (NaN where missing) and, for a string column, the category names."""
    raw = [r.get(color) for r in rows]
    present = [v for v in raw if v is not None]
    if all(isinstance(v, (bool, int, float)) for v in present):
        return [float("nan") if v is None else float(v) for v in raw], []
    names = list(dict.fromkeys(str(v) for v in present))
    code = {n: float(i) for i, n in enumerate(names)}
    return [float("nan") if v is None else code[str(v)] for v in raw], names


def _integers(values) -> bool:
    """Every value a whole number (an axis of sizes, counts or indices)."""
    nums = [v for v in values if v is not None]
    return bool(nums) and all(_is_number(v) and float(v).is_integer() for v in nums)


def _label(v) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def phase_diagram_figure(
    rows: list[dict], x: str, y: str, color: str, *, title: str = "", curves=None
):
    """Phase diagram of a 2-D sweep: the value of ``color`` over the ``(x, y)`` grid.

    Parameters
    ----------
    rows : list of dict
        One row per grid point, with keys ``x``, ``y`` and (where the point succeeded) ``color``;
        rows whose ``status`` is not ``'ok'`` are marked with a cross.
    x, y : str
        Grid columns on the horizontal and vertical axes.
    color : str
        Column to colour by: numbers (booleans count as 0/1) on a continuous colour bar, strings
        (e.g. ``kind``) as categories.
    title : str
    curves : sequence of tuple, optional
        Lines drawn over the diagram, e.g. a predicted phase boundary :math:`x_c(y)`: each entry is
        ``(xs, ys, label)`` or ``(xs, ys, label, fmt)`` with ``fmt`` a matplotlib format string
        (default ``"r-"``, then ``"r--"``, ``"r:"``, ...). Coordinates are data coordinates on
        numeric axes and positions ``0, 1, ...`` on categorical ones; the view keeps the grid's
        extent, and labelled curves get a legend.

    Returns
    -------
    matplotlib.figure.Figure
        One ``pcolormesh`` panel with a colour bar; cells of missing values stay blank, and small
        grids (at most 64 cells) print the value in each cell.
    """
    xpos, xedges, xticks, xlabels = _axis([r.get(x) for r in rows])
    ypos, yedges, yticks, ylabels = _axis([r.get(y) for r in rows])
    xs, ys = sorted(set(xpos.values())), sorted(set(ypos.values()))
    col = {v: i for i, v in enumerate(xs)}
    row = {v: i for i, v in enumerate(ys)}
    values, categories = _colour_values(rows, color)
    grid = [[float("nan")] * len(xs) for _ in ys]
    for r, v in zip(rows, values, strict=True):
        grid[row[ypos[r.get(y)]]][col[xpos[r.get(x)]]] = v

    fig = figure((6.4, 4.8))
    ax = fig.subplots()
    if categories:
        import matplotlib

        n = len(categories)
        cmap = matplotlib.colormaps["tab10" if n <= 10 else "viridis"].resampled(n)
        mesh = ax.pcolormesh(xedges, yedges, grid, cmap=cmap, vmin=-0.5, vmax=n - 0.5)
        bar = fig.colorbar(mesh, ax=ax, ticks=list(range(n)))
        bar.ax.set_yticklabels(categories)
    else:
        mesh = ax.pcolormesh(xedges, yedges, grid, cmap="viridis")
        bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(color)
    small = len(xs) * len(ys) <= 64
    for r, v in zip(rows, values, strict=True):
        px, py = xpos[r.get(x)], ypos[r.get(y)]
        if r.get("status", "ok") != "ok":
            ax.plot(px, py, "x", color="red", ms=10, mew=2)
        elif small and not math.isnan(v):
            text = categories[int(v)] if categories else _label(r.get(color))
            ax.text(
                px,
                py,
                text,
                ha="center",
                va="center",
                fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.6, "linewidth": 0, "pad": 1},
            )
    if curves:
        _overlay(ax, curves, (xedges[0], xedges[-1]), (yedges[0], yedges[-1]))
    if xticks:
        ax.set_xticks(xticks, xlabels)
    elif _integers([r.get(x) for r in rows]):
        integer_ticks(ax.xaxis)
    if yticks:
        ax.set_yticks(yticks, ylabels)
    elif _integers([r.get(y) for r in rows]):
        integer_ticks(ax.yaxis)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title or f"{color} over ({x}, {y})", fontsize=10)
    return fig


_CURVE_STYLES = ("r-", "r--", "r:", "r-.")


def _overlay(ax, curves, xlim, ylim) -> None:
    """Draw ``curves`` (``(xs, ys, label[, fmt])``) on ``ax`` inside the grid's extent."""
    labelled = False
    for i, curve in enumerate(curves):
        if len(curve) not in (3, 4):
            raise ValueError(f"a curve is (xs, ys, label) or (xs, ys, label, fmt); got {curve!r}")
        xs, ys, label = curve[:3]
        fmt = curve[3] if len(curve) == 4 else _CURVE_STYLES[i % len(_CURVE_STYLES)]
        ax.plot([float(v) for v in xs], [float(v) for v in ys], fmt, lw=2, label=label or None)
        labelled = labelled or bool(label)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    if labelled:
        ax.legend(loc="best", fontsize=8, framealpha=0.7)


def sweep_line_figure(rows: list[dict], x: str, color: str, *, title: str = ""):
    """A 1-D sweep: ``color`` (a numeric column) against the grid column ``x``.

    Parameters
    ----------
    rows : list of dict
        One row per grid point; rows without a numeric ``color`` value are left out.
    x : str
        The grid column (numbers to scale, strings as categories).
    color : str
        The plotted column.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    pos, _, ticks, labels = _axis([r.get(x) for r in rows])
    pts = sorted(
        (pos[r.get(x)], float(r[color]))
        for r in rows
        if isinstance(r.get(color), (bool, int, float)) and r.get("status", "ok") == "ok"
    )
    fig = figure((6.4, 4.0))
    ax = fig.subplots()
    ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color="C0", ms=4)
    if ticks:
        ax.set_xticks(ticks, labels)
    elif _integers([r.get(x) for r in rows]):
        integer_ticks(ax.xaxis)  # a grid of sizes: no tick at 5.25
    if _integers([p[1] for p in pts]):
        integer_ticks(ax.yaxis)
    ax.set_xlabel(x)
    ax.set_ylabel(color)
    ax.set_title(title or f"{color} against {x}", fontsize=10)
    return fig
