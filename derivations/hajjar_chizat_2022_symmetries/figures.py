"""Figures of the study (written by ``fixedpoints study run``): the symmetry defect along runs,
the odd target's excess risk against the reduced linear dynamics, full against reduced risk
curves with the cost per step against d, the alignment over time, and the particle cloud
projected on H. They reuse the data the claims computed (the parts' ``DATA``)."""

from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import fixedpoints as fp  # noqa: E402

COST_DIMS = (10, 30, 100, 300, 1000)


def symmetry_defect(sym, path):
    curves, _ = sym.DATA["trajectories"]
    t = np.array([0.0, *sym.TIMES])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for colour, g in zip(colours, sym.GENERATORS, strict=False):
        ax.semilogy(
            t,
            np.maximum(curves[f"symmetric:{g}"][g], 1e-17),
            "-o",
            color=colour,
            label=f"{g}: orbit-closed start",
        )
        ax.semilogy(t, curves["gaussian"][g], "--", color=colour, label=f"{g}: generic start")
    ax.set_xlabel("time t (mean-field gradient descent)")
    ax.set_ylabel(r"defect $\max_x|f(x)-f(T^\top x)|$")
    ax.set_title(
        rf"Symmetry preservation, $f^*=\|P_Hx\|$, d = {sym.D}, $d_H$ = {sym.D_H}, m = {sym.M}"
    )
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def odd_excess(odd, path):
    times, states, losses = odd.DATA["odd"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    W, a = states[-1]
    for r in range(W.shape[0]):
        e = np.array([np.linalg.norm(odd._beta(*s)[r] - 2 * odd.BETA_STAR) for s in states])
        H = (W[r].T @ W[r] + np.sum(a[r, :, 0] ** 2) * np.eye(odd.D)) / odd.M
        lam, vec = np.linalg.eigh(H)
        i0 = int(np.searchsorted(times, odd.FIT_START))
        e0 = odd._beta(*states[i0])[r] - 2 * odd.BETA_STAR
        tt = np.linspace(times[i0], times[-1], 50)
        pred = [np.linalg.norm(vec @ (np.exp(-lam * (s - tt[0]) / 4) * (vec.T @ e0))) for s in tt]
        line = ax.semilogy(times, e**2 / 8, "o", ms=4, label=f"run {r + 1}: simulated")[0]
        ax.semilogy(
            tt,
            np.square(pred) / 8,
            "-",
            color=line.get_color(),
            label=f"run {r + 1}: reduced linear dynamics",
        )
    ax.set_xlabel("time t")
    ax.set_ylabel(r"excess risk $R-R^*=\frac{1}{8}\|\beta-2\beta^*\|^2$")
    ax.set_title(rf"Odd target $x_1^3$, flip-symmetric start (d = {odd.D}, m = {odd.M})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def cost_per_step(d, m=64, runs=2, steps=40, repeats=3):
    """Seconds per GD step of ``fp.simulate`` (full, reduced) for ||P_H x||, d_H = 2: the
    minimum over interleaved repeats (``benchmarks/bench_meanfield.py`` uses it too)."""
    model = fp.load_model(
        "mean-field-relu", {"target": "norm-subspace", "d": d, "d_H": 2, "particles": m}
    )
    best = [np.inf, np.inf]
    for _ in range(repeats):  # interleaved repeats, the minimum of each
        for i, reduced in enumerate((False, True)):
            t0 = time.perf_counter()
            fp.simulate(
                model,
                runs=runs,
                method="gd",
                lr=0.05,
                t_max=0.05 * steps,
                gradient_tol=0.0,
                reduced=reduced,
            )
            best[i] = min(best[i], (time.perf_counter() - t0) / steps)
    return best


def full_vs_reduced(red, path):
    ag = red.DATA["agreement"]
    m = red.AGREE_M[-1]
    times, full, reduced, *_ = ag[m]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4.2))
    for name, L, style in (
        ("full (d + 1 per particle)", full, "-"),
        ("reduced (d_H + 2 per particle)", reduced, "--"),
    ):
        ax.plot(times, L.mean(0), style, label=f"{name}: mean of {L.shape[0]} runs")
        ax.fill_between(times, L.min(0), L.max(0), alpha=0.2)
    ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel(r"risk $R(\mu_t)$")
    ax.set_title(rf"$\|P_Hx\|$, d = {red.AGREE_D}, $d_H$ = 2, m = {m}: full vs reduced")
    ax.legend(fontsize=7)
    costs = np.array([cost_per_step(d) for d in COST_DIMS])
    bx.loglog(COST_DIMS, 1e3 * costs[:, 0], "o-", label="full model")
    bx.loglog(COST_DIMS, 1e3 * costs[:, 1], "s--", label="reduced model")
    for d, (f, r) in zip(COST_DIMS, costs, strict=True):
        bx.annotate(
            f"{f / r:.1f}x",
            (d, 1e3 * r),
            textcoords="offset points",
            xytext=(0, -12),
            fontsize=7,
            ha="center",
        )
    bx.set_xlabel("input dimension d")
    bx.set_ylabel("ms per gradient step (2 runs, m = 64)")
    bx.set_title("Cost per step (labels: full / reduced)")
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return {int(d): round(float(f / r), 2) for d, (f, r) in zip(COST_DIMS, costs, strict=True)}


def alignment(red, path):
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4.2))
    for d_H, (times, _loss, _mass, amass, align, *_rest) in red.DATA["minimizer"].items():
        t = np.maximum(times, 0.3)
        line = ax.semilogx(t, align.mean(1), "o-", label=rf"$d_H$ = {d_H}")[0]
        bx.semilogx(
            t, (align / amass).mean(1), "o-", color=line.get_color(), label=rf"$d_H$ = {d_H}"
        )
    ax.set_xlabel("time t (t = 0 drawn at 0.3)")
    ax.set_ylabel(r"alignment $\int|a|\,\|w\|\sin\angle(w,H)\,d\mu$")
    ax.set_title(rf"Reduced model, d = {red.MIN_D}, m = {red.MIN_M}")
    bx.set_xlabel("time t (t = 0 drawn at 0.3)")
    bx.set_ylabel(r"share off H: $\int|a|\|w\|\sin\angle(w,H)\,/\int|a|\|w\|$")
    bx.set_title("Mass share off H")
    for x in (ax, bx):
        x.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def particles(red, path, d_H=2):
    times, L, mass, amass, align, m2e, (W, a) = red.DATA["minimizer"][d_H]
    v, rho, av = W[0, :, :d_H], W[0, :, -1], a[0, :, 0]
    fig, ax = plt.subplots(figsize=(5.6, 5.0))
    size = 30 * np.abs(av) * np.linalg.norm(W[0], axis=-1) + 2
    lim = np.max(np.abs(av)) or 1.0
    sc = ax.scatter(
        v[:, 0],
        v[:, 1],
        c=av,
        s=size,
        cmap="coolwarm",
        vmin=-lim,
        vmax=lim,
        edgecolors="k",
        linewidths=0.3,
    )
    fig.colorbar(sc, ax=ax, label="output weight a")
    ax.set_aspect("equal")
    ax.set_xlabel(r"$w_1$ (coordinate of $P_Hw$)")
    ax.set_ylabel(r"$w_2$ (coordinate of $P_Hw$)")
    alpha = fp.subspace_norm_alpha(d_H)
    ax.set_title(
        rf"Particles on H at t = {times[-1]:g} (size $\propto|a|\|w\|$), mass "
        rf"{mass[-1, 0]:.4f} vs $\alpha(2)=\pi$",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return {"mass": float(mass[-1, 0]), "alpha": alpha, "mean_rho": float(np.mean(rho))}
