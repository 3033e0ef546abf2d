"""Figures of batched simulations: loss curves (median and quantile band) and final losses."""

from __future__ import annotations

from fixedpoints.export.plots import figure

__all__ = ["simulation_figure"]


def simulation_figure(times, q10, median, q90, final_losses, *, title: str = ""):
    """Loss curves of many runs and the histogram of their final losses.

    Left: median over runs and the 10–90 % quantile band against time (log time axis; log loss
    axis when every loss is positive). Right: histogram of the final losses.

    Parameters
    ----------
    times : sequence (n_t,)
    q10, median, q90 : sequence (n_t,)
        Quantiles of the loss over runs at each time.
    final_losses : sequence (runs,)
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    final = [float(x) for x in final_losses if x == x and abs(x) != float("inf")]
    fig = figure((10, 3.8))
    ax1, ax2 = fig.subplots(1, 2)
    keep = [i for i, t in enumerate(times) if t > 0]
    if keep:
        t = [times[i] for i in keep]
        lo, mid, hi = ([q[i] for i in keep] for q in (q10, median, q90))
        ax1.fill_between(t, lo, hi, color="tab:blue", alpha=0.25, lw=0, label="10–90 %")
        ax1.plot(t, mid, color="tab:blue", label="median")
        ax1.set_xscale("log")
        if min(lo) > 0:
            ax1.set_yscale("log")
        ax1.legend(loc="best", fontsize=8)
    ax1.set_xlabel("t")
    ax1.set_ylabel("population loss")
    ax1.set_title("loss curves")
    if final:
        lo, hi = min(final), max(final)
        if lo > 0 and hi / lo > 100:
            bins = [lo * (hi / lo) ** (i / 40) for i in range(41)]
            ax2.set_xscale("log")
        else:
            bins = 40
        ax2.hist(final, bins=bins, color="tab:gray")
    ax2.set_xlabel("final loss")
    ax2.set_ylabel("runs")
    ax2.set_title(f"final losses ({len(final)} runs)")
    if title:
        fig.suptitle(title)
    return fig
