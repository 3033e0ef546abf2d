"""Kumar & Haupt (2024): small-initialization escape, directional convergence and the saddle-to-saddle
staircase of two-homogeneous networks, with the public API (``README.md`` for the mapping).

``run(report)`` returns the claim values and, when a ``report`` folder is given (``fixedpoints
study run`` gives ``report/`` next to this file), draws three figures there; ``run()`` writes
nothing, wherever it runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import fixedpoints as fp

RELU = {"d": 5, "teacher_coefficients": "1,-0.5"}
WIDTH = 8  # simulated student width
RUNS = 4  # simulated initializations per delta
DELTAS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)  # 6 decades
RECORDS = 4000
EXTRAS: dict = {}


def _linear():
    seq = fp.saddle_to_saddle(fp.load_model("linear-two-layer", {"singular_values": "3,2,1,0.5"}))
    return [p.loss for p in seq.plateaus], [p.time for p in seq.plateaus]


def _crossing(times, curve, level):
    """First time the loss curve falls below ``level`` (linear interpolation between records)."""
    i = int(np.argmax(curve < level))
    if i == 0:
        return np.nan
    t0, t1, l0, l1 = times[i - 1], times[i], curve[i - 1], curve[i]
    return float(t0 + (l0 - level) / (l0 - l1) * (t1 - t0))


def _simulate(model, delta, t_max, records=RECORDS):
    return fp.simulate(
        model,
        runs=RUNS,
        method="flow",
        init="gaussian",
        scale=delta,
        t_max=t_max,
        records=records,
        gradient_tol=0.0,
        seed=1,
    )


def _relu_simulations(L, tau):
    """Jump times (loss crossing the midpoint between plateaus), mid-plateau-1 losses, and the
    curves at the smallest delta."""
    model = fp.load_model("relu-two-layer", {**RELU, "width": WIDTH})
    jumps, mid_losses, last = [], [], None
    for delta in DELTAS:
        res = _simulate(model, delta, 1.3 * tau[2] * np.log(1 / delta) + 15)
        j = np.array(
            [
                [_crossing(res.times, c, (L[k] + L[k + 1]) / 2) for c in res.losses]
                for k in range(len(L) - 1)
            ]
        )
        tm = np.sqrt(j[0] * j[1])  # log-midpoint of plateau 1
        mid_losses.append([float(np.interp(tm[r], res.times, res.losses[r])) for r in range(RUNS)])
        jumps.append(j)
        last = res
    return model, np.array(jumps), np.array(mid_losses), last  # jumps: (delta, jump, run)


def _alignment(model, u_star, tau1):
    """Median over runs of cos(leading neuron, KKT maximiser) at t = tau1 ln(1/delta) / 2: halfway
    to the escape, while |theta| = O(sqrt(delta)) (near the origin)."""
    cosines = []
    for delta in DELTAS:
        res = _simulate(model, delta, 0.5 * tau1 * np.log(1 / delta), records=20)
        per_run = []
        for r in range(RUNS):
            theta = np.concatenate([res.a[r], res.W[r]], axis=1)  # (k, 1 + d): (a_j, w_j)
            norms = np.linalg.norm(theta, axis=1)
            k = int(np.argmax(norms))
            per_run.append(float(theta[k] @ u_star / norms[k]))
        cosines.append(float(np.median(per_run)))
    return cosines


def _figures(out, L, tau, jumps, last, cosines):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x = np.log(1 / np.array(DELTAS))
    written = []

    res = last
    scale = np.log(1 / DELTAS[-1])
    fig = fp.export.staircase_figure(
        tau, L, title=f"relu-two-layer, width {WIDTH}, δ = {DELTAS[-1]:g}"
    )
    ax = fig.axes[0]
    for r, curve in enumerate(res.losses):
        ax.plot(
            res.times / scale, curve, lw=0.8, alpha=0.7, label="gradient flow" if r == 0 else None
        )
    for k in range(jumps.shape[1]):
        ax.plot(jumps[-1, k] / scale, [(L[k] + L[k + 1]) / 2] * RUNS, "x", color="tab:red")
    ax.set_ylabel("loss ½E(f − f*)²")
    ax.lines[0].set_label("predicted plateaus (jumps at τ_k)")
    ax.lines[-1].set_label("simulated jump times")
    ax.legend(fontsize=8)
    written.append(out / "staircase_relu.png")
    fig.savefig(written[-1], dpi=150)

    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.subplots()
    for k, color in zip(range(jumps.shape[1]), ("tab:blue", "tab:orange"), strict=False):
        med = np.median(jumps[:, k], axis=1)
        ax.plot(x, jumps[:, k], ".", color=color, ms=3)
        ax.plot(x, med, "o", color=color, label=f"jump {k + 1} (simulated)")
        c = np.median(med - tau[k + 1] * x)
        ax.plot(
            x,
            c + tau[k + 1] * x,
            "-",
            color=color,
            lw=1,
            label=f"slope τ{k + 1} = {tau[k + 1]:.4f}",
        )
    ax.set_xlabel("ln(1/δ)")
    ax.set_ylabel("jump time t")
    ax.legend(fontsize=8)
    written.append(out / "jump_times_relu.png")
    fig.savefig(written[-1], dpi=150)

    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.subplots()
    ax.loglog(DELTAS, 1 - np.array(cosines), "o-")
    ax.set_xlabel("δ")
    ax.set_ylabel("1 − cos(leading neuron, KKT maximiser)")
    ax.set_title("alignment at t = τ₁ ln(1/δ)/2")
    written.append(out / "alignment_relu.png")
    fig.savefig(written[-1], dpi=150)
    return [str(p) for p in written]


def run(report=None) -> dict:
    """Claim id -> computed value; with a ``report`` folder, the figures too."""
    lin_L, lin_t = _linear()

    seq = fp.saddle_to_saddle(fp.load_model("relu-two-layer", RELU))
    L = [p.loss for p in seq.plateaus]
    tau = [p.time for p in seq.plateaus]
    ncf_max = [p.ncf_max for p in seq.plateaus[:2]]
    t_reset = tau[1] + 1 / (2 * ncf_max[1])  # restart the clock at saddle 1

    model, jumps, mid_losses, last = _relu_simulations(L, tau)
    x = np.log(1 / np.array(DELTAS))
    slopes = [
        float(np.median([np.polyfit(x, jumps[:, k, r], 1)[0] for r in range(RUNS)]))
        for k in range(jumps.shape[1])
    ]

    # the NCF at the origin, in the coordinates of the simulated model's teacher vectors
    points = fp.ncf_kkt_points(model, seed=0)
    maxima = [p for p in points if p.kind == "local max"]
    u_star = np.array(maxima[0].direction)
    u_star /= np.linalg.norm(u_star)
    cosines = _alignment(model, u_star, tau[1])
    mis = 1 - np.array(cosines)
    exponent = float(np.polyfit(np.log(DELTAS), np.log(mis), 1)[0])
    rate = -max(maxima[0].spectrum)  # slowest contraction of the sphere flow at u*

    n = 4  # Pesme–Flammarion on an orthonormal design
    X = np.sqrt(n) * np.eye(n)
    diag = fp.diagonal_saddle_to_saddle(X, X @ np.array([3.0, -2.0, 0.0, 0.5]))

    if report is not None:
        EXTRAS["figures"] = _figures(report, L, tau, jumps, last, cosines)
    EXTRAS["alignment_cosines"] = dict(zip(map(str, DELTAS), cosines, strict=True))
    EXTRAS["median_jump_times"] = np.median(jumps, axis=2).tolist()
    return {
        "linear_plateau_losses": lin_L,
        "linear_plateau_times": lin_t,
        "relu_plateau_losses": L,
        "relu_tau1": tau[1],
        "relu_tau2": tau[2],
        "relu_tau2_issue_value": tau[2],
        "relu_ncf_max_origin": ncf_max[0],
        "relu_ncf_max_saddle1": ncf_max[1],
        "relu_ncf_origin_local_maxima": [p.value for p in maxima],
        "relu_naive_reset_time": t_reset,
        "relu_tau2_differs_from_reset_by_more_than_1": bool(abs(tau[2] - t_reset) > 1),
        "sim_slope_jump1": slopes[0],
        "sim_slope_jump2": slopes[1],
        "sim_plateau1_loss": float(np.median(mid_losses[-1])),
        "alignment_cosine_smallest_delta": cosines[-1],
        "alignment_misalignment_decreases": bool(np.all(np.diff(mis) < 0)),
        "alignment_misalignment_exponent": exponent,
        "alignment_predicted_exponent": rate * tau[1],
        "diagonal_orthonormal_times": [p.time for p in diag.plateaus],
        "diagonal_orthonormal_supports": [list(p.active) for p in diag.plateaus],
        "diagonal_orthonormal_final_loss": diag.plateaus[-1].loss,
    }
