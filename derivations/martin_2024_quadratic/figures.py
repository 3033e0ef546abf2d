r"""Figures 2–5 of Martin, Bach & Biroli (set-ups in the notes §6): finite-d curves from the exact
flow (``fp.simulate(..., method="exact")``, mean over runs) against the :math:`d=\infty` curves
of ``limit.py``. The data functions are separate from the drawing so the claims can reuse them.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import fixedpoints as fp  # noqa: E402

DIMS = (20, 40, 80, 200)
PANELS = (("α > α*", 0.5, 0.25), ("α = α*", 0.5, 0.5), ("α < α*", 0.25, 0.5))
CURVE_GAMMAS = tuple(np.concatenate([np.geomspace(1e-3, 1, 31), np.linspace(1.25, 10, 36)]))
COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def _gaussian_normalised(dyn, d, alpha, alpha_star, runs=3):
    r"""φ_d and χ_d for the Gaussian normalised start and teacher (notes §1.2 (b), Fig. 4):
    :math:`W_0,W^*` entries :math:`\mathcal N(0,1/(dm))`, :math:`\mathcal N(0,1/(dm^*))`, one
    teacher per run; returns arrays (runs, 1 + len(CURVE_GAMMAS))."""
    m, ms = round(alpha * d), round(alpha_star * d)
    phis, chis = [], []
    for r in range(runs):
        mu = dyn.gaussian_teacher(d, ms, r, normalised=True)
        sim = fp.simulate(
            dyn.quadratic(mu, d, m),
            runs=1,
            seed=r,
            method="exact",
            scale=1 / np.sqrt(m),
            times=[0.0, *(d * np.asarray(CURVE_GAMMAS))],
            gradient_tol=0.0,
        )
        phis.append(np.asarray(sim.observables["phi"])[0])
        chis.append(np.asarray(sim.observables["overlap"])[0])
    return np.array(phis), np.array(chis)


def _panels(title, ylabel):
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    fig.suptitle(title)
    for ax in axes:
        ax.set_xlabel("γ = t/d")
        ax.set_ylabel(ylabel)
    return fig, axes


def figure_phi_chi(dyn, limit, path_phi, path_chi, gaussian_path=None):
    r"""Figs 2 and 3 (orthonormal start, :math:`\phi_d(\gamma)` and :math:`\chi_d(\gamma)`, mean
    of 5 runs, d = 20, 40, 80, 200, dashed d = ∞), and Fig. 4 (Gaussian normalised start, 3 runs,
    d = 20, 40, 80, with the orthonormal d = ∞ curve) when ``gaussian_path`` is given."""
    g = np.asarray(CURVE_GAMMAS)
    figs = {
        "phi": _panels("Fig. 2 — quadratic network, orthonormal start: φ_d(γ) = ∫τ", "φ(γ)"),
        "chi": _panels("Fig. 3 — quadratic network, orthonormal start: overlap χ_d(γ)", "χ(γ)"),
    }
    if gaussian_path:
        figs["gauss"] = _panels(
            "Fig. 4 — quadratic network, Gaussian normalised start: φ_d(γ)", "φ(γ)"
        )
    for col, (label, alpha, alpha_s) in enumerate(PANELS):
        for i, d in enumerate(DIMS):
            phi, chi, _, _ = dyn.orthonormal(d, alpha, alpha_s, gammas=CURVE_GAMMAS)
            for key, arr in (("phi", phi), ("chi", chi)):
                ax = figs[key][1][col]
                ax.plot(g, arr.mean(axis=0)[1:], color=COLOURS[i], label=f"d = {d} (5 runs)")
            if gaussian_path and d <= 80:
                gphi, _ = _gaussian_normalised(dyn, d, alpha, alpha_s)
                ax = figs["gauss"][1][col]
                ax.plot(g, gphi.mean(axis=0)[1:], color=COLOURS[i], label=f"d = {d} (3 runs)")
        lphi, lchi = limit.limit_curves(alpha, alpha_s, g)
        for key, arr in (("phi", lphi), ("chi", lchi), ("gauss", lphi)):
            if key not in figs:
                continue
            ax = figs[key][1][col]
            ax.plot(g, arr, "k--", label="d = ∞ (orthonormal)")
            ax.set_title(f"{label}: α = {alpha}, α* = {alpha_s}")
            if not (key != "chi" and alpha < alpha_s):
                ax.set_xscale("log")
            ax.legend(fontsize=8)
    paths = {"phi": path_phi, "chi": path_chi, "gauss": gaussian_path}
    for key, (fig, _) in figs.items():
        fig.savefig(paths[key], dpi=120)
        plt.close(fig)


def figure_rates(dyn, path):
    r"""Fig. 5: left :math:`t^2\mathcal L(t)` (m* = m/2) with the predicted plateau
    :math:`k(2+m^*)/(32(2+m^*+k))`; right :math:`\mathcal L(t)` for m* = m with
    :math:`e^{-4\mu_{\min}t}` (Gaussian, not normalised; mean of 5 runs, exact flow)."""
    t = np.geomspace(1e-2, 25, 80)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    fig.suptitle("Fig. 5 — quadratic network, Gaussian start (not normalised): finite-d rates")
    for i, (d, m) in enumerate(((20, 10), (40, 20), (100, 50))):
        for ax, ms in ((left, m // 2), (right, m)):
            curves, mus = [], []
            for r in range(5):
                mu = dyn.gaussian_teacher(d, ms, r if ax is left else 0, normalised=False)
                sim = fp.simulate(
                    dyn.quadratic(mu, d, m),
                    runs=1,
                    seed=r,
                    method="exact",
                    scale=np.sqrt(d / m),
                    times=[0.0, *t],
                    gradient_tol=0.0,
                )
                curves.append(np.asarray(sim.losses)[0, 1:])
                mus.append(mu[-1])
            L = np.mean(curves, axis=0)
            if ax is left:
                k = min(m - ms, d - ms)
                left.loglog(t, t**2 * L, color=COLOURS[i], label=f"d = {d}, m = {m}, m* = {ms}")
                plateau = k * (2 + ms) / (32 * (2 + ms + k))
                left.axhline(plateau, color=COLOURS[i], ls=":", lw=1)
            else:
                right.semilogy(t, L, color=COLOURS[i], label=f"d = {d}, m = m* = {m}")
                tail = t >= 12
                c = L[tail][0] * np.exp(4 * mus[0] * t[tail][0])
                right.semilogy(t[tail], c * np.exp(-4 * mus[0] * t[tail]), "--", color=COLOURS[i])
    left.set(xlabel="t", ylabel="t² L(t)", title="m* = m/2: t²L → k(2+m*)/(32(2+m*+k)) (dotted)")
    left.set_ylim(2e-3, 2)
    right.set(xlabel="t", ylabel="L(t)", title="m* = m: L ∝ exp(−4 μ_min t) (dashed)")
    right.set_ylim(1e-9, 1e2)
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    fig.savefig(path, dpi=120)
    plt.close(fig)
