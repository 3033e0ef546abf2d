"""Figures (matplotlib, Agg): values in, a :class:`matplotlib.figure.Figure` out; callers save it."""

from __future__ import annotations

__all__ = ["distinct_styles", "figure", "integer_ticks", "trajectory_figure"]


def figure(figsize):
    """A new :class:`matplotlib.figure.Figure` (constrained layout, Agg backend; no pyplot state)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def distinct_styles(n: int) -> list[tuple]:
    """``n`` distinct ``(colour, linestyle)`` pairs: tab10 / tab20 colours, then a sampled
    colormap, with the line style cycling so that no two curves look alike."""
    import matplotlib

    if n <= 10:
        colours = [matplotlib.colormaps["tab10"](i) for i in range(n)]
    elif n <= 20:
        colours = [matplotlib.colormaps["tab20"](i) for i in range(n)]
    else:
        cmap = matplotlib.colormaps["turbo"]
        colours = [cmap(i / max(1, n - 1)) for i in range(n)]
    styles = ("-", "--", ":", "-.")
    return [(c, styles[(i // 10) % len(styles)] if n > 10 else "-") for i, c in enumerate(colours)]


def integer_ticks(axis) -> None:
    """Ticks at integers only (an axis of sizes, counts or indices)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def trajectory_figure(times, states, names, losses, *, title: str = ""):
    """Loss and order parameters against time: the loss on a log scale when it is positive and
    spans more than a decade (else linear, plain ticks), each order parameter in its own colour
    and line style (:func:`distinct_styles`), a legend up to 24 variables.

    Parameters
    ----------
    times : array, shape (n_t,)
    states : array, shape (n_vars, n_t)
    names : sequence of str, length n_vars
    losses : array, shape (n_t,)
    title : str
        The figure title (model and settings).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.ticker import ScalarFormatter

    fig = figure((9.5, 3.8))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(times, losses, color="k", label="loss")
    lo, hi = min(losses), max(losses)
    if lo > 0 and hi > 10 * lo:
        ax1.set_yscale("log")
    else:
        fmt = ScalarFormatter(useOffset=False)
        fmt.set_scientific(False)
        ax1.yaxis.set_major_formatter(fmt)
    ax1.set_xlabel("time t (gradient flow)")
    ax1.set_ylabel("population loss")
    ax1.set_title("population loss", fontsize=9)
    for name, row, (colour, style) in zip(names, states, distinct_styles(len(names)), strict=True):
        ax2.plot(times, row, style, color=colour, label=name, lw=1.1)
    ax2.set_xlabel("time t (gradient flow)")
    ax2.set_ylabel("order parameter")
    ax2.set_title(f"order parameters ({len(names)})", fontsize=9)
    if len(names) <= 24:
        ax2.legend(fontsize=6, ncol=1 + len(names) // 9, loc="best", framealpha=0.7)
    fig.suptitle(title or "order-parameter flow", fontsize=10)
    return fig
