"""Staircase figure of a saddle-to-saddle plateau sequence (loss against t / ln(1/δ))."""

from __future__ import annotations

from fixedpoints.export.plots import figure

__all__ = ["staircase_figure"]


def staircase_figure(times, losses, *, title: str = ""):
    """Predicted loss as a step function of the rescaled time τ = t / ln(1/δ).

    Plateau i holds from ``times[i]`` to ``times[i+1]``; the last one is drawn to 1.25 × its start
    (at least 1). Loss axis logarithmic when every plateau loss is positive.

    Parameters
    ----------
    times, losses : sequence (n,)
        Plateau start times (the first 0) and losses.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = [float(x) for x in times]
    L = [float(x) for x in losses]
    end = max(1.25 * t[-1], t[-1] + 1.0) if t else 1.0
    fig = figure((5.5, 3.8))
    ax = fig.subplots()
    ax.step([*t, end], [*L, L[-1]] if L else [], where="post", color="tab:blue")
    ax.plot(t, L, "o", color="tab:blue", ms=4)
    for x in t[1:]:
        ax.axvline(x, color="tab:gray", lw=0.5, ls=":")
    if L and min(L) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("t / ln(1/δ)")
    ax.set_ylabel("plateau loss")
    if title:
        ax.set_title(title)
    return fig
