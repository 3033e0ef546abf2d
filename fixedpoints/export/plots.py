"""Figures (matplotlib, Agg): values in, a :class:`matplotlib.figure.Figure` out; callers save it."""

from __future__ import annotations

__all__ = ["figure", "trajectory_figure"]


def figure(figsize):
    """A new :class:`matplotlib.figure.Figure` (constrained layout, Agg backend; no pyplot state)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def trajectory_figure(times, states, names, losses, *, title: str = ""):
    """Loss (log scale) and order parameters against time.

    Parameters
    ----------
    times : array, shape (n_t,)
    states : array, shape (n_vars, n_t)
    names : sequence of str, length n_vars
    losses : array, shape (n_t,)
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = figure((9, 3.6))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(times, losses, color="k")
    if min(losses) > 0:
        ax1.set_yscale("log")
    ax1.set_xlabel("t")
    ax1.set_ylabel("loss")
    ax1.set_title("population loss")
    for name, row in zip(names, states, strict=True):
        ax2.plot(times, row, label=name, lw=1)
    ax2.set_xlabel("t")
    ax2.set_title("order parameters")
    if len(names) <= 12:
        ax2.legend(fontsize=7, ncol=2)
    if title:
        fig.suptitle(title)
    return fig
