r"""Finite-d dynamics of the quadratic network (claims 2, 4 and the finite-d parts of 5).

Everything finite-d comes from ``fp.simulate(..., method="exact")`` (the Riccati solution of the
library) and is checked against an independent direct integration of the weight flow
:math:`\dot W=-[2(Z-Z^*)+\tau I]W` (SciPy DOP853, rtol 1e-12, with :math:`\phi=\int\tau`
carried along), written here from the notes' formulas.

Conventions (notes §1.2): orthonormal case :math:`W_0=U/\sqrt m` (Haar), :math:`Z^*=P^*/m^*`; the
teacher is diagonal (by rotation invariance the same problem as a Haar teacher); time
:math:`\gamma=t/d`.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.integrate import solve_ivp

import fixedpoints as fp

GAMMAS = (0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0)  # the notes' §7 grid
PAIRS = {"above": (0.5, 0.25), "equal": (0.5, 0.5), "below": (0.25, 0.5)}
SEEDS = 5


def quadratic(eigenvalues, d, m):
    """The ``quadratic`` preset with teacher eigenvalues ``eigenvalues`` (zeros padded to d)."""
    text = ",".join(repr(float(v)) for v in eigenvalues)
    return fp.load_model("quadratic", {"teacher_eigenvalues": text, "d": d, "m": m})


@functools.cache
def orthonormal(d, alpha, alpha_star, gammas=GAMMAS, runs=SEEDS, seed=0):
    r"""Exact finite-d flow, orthonormal case: ``(phi, chi, loss)`` arrays (runs, 1 + len(gammas))
    at :math:`\gamma=0` and ``gammas``."""
    m, ms = round(alpha * d), round(alpha_star * d)
    sim = fp.simulate(
        quadratic([1 / ms] * ms, d, m),
        runs=runs,
        seed=seed,
        method="exact",
        init="orthonormal",
        scale=1 / np.sqrt(m),
        times=[0.0, *(d * np.asarray(gammas))],
        gradient_tol=0.0,
    )
    o = sim.observables
    return np.asarray(o["phi"]), np.asarray(o["overlap"]), np.asarray(sim.losses), sim


def direct_flow(Zstar, W0, times):
    r"""Independent reference: the weight flow (rows :math:`w_j`) with :math:`\phi` appended,
    DOP853 rtol 1e-12; returns :math:`Z(t)` (len(times), d, d) and :math:`\phi(t)`."""
    k, d = W0.shape
    trs = np.trace(Zstar)

    def rhs(t, x):
        W = x[:-1].reshape(k, d)
        Z = W.T @ W
        tau = np.trace(Z) - trs
        G = 2 * (Z - Zstar) + tau * np.eye(d)
        return np.concatenate([-(W @ G).ravel(), [tau]])

    x0 = np.concatenate([W0.ravel(), [0.0]])
    sol = solve_ivp(rhs, (0, times[-1]), x0, method="DOP853", rtol=1e-12, atol=1e-14, t_eval=times)
    Ws = sol.y[:-1].T.reshape(len(times), k, d)
    return np.swapaxes(Ws, -1, -2) @ Ws, sol.y[-1]


def explicit_solution_check():
    r"""Claim 2: the exact solution against direct integration, teacher (5, 3, 2), d = 5, m = 2
    (Gaussian start: the general graded-QR route), and the identity
    :math:`\log\det K=4(\phi+t\operatorname{tr}Z^*)` along it.

    Returns ``(max relative |Z_exact - Z_direct|_F at t = 0.5, 2, 10; max |loss difference|;
    max |log det K - 4(phi + t tr Z*)|)``."""
    times = np.array([0.0, 0.5, 2.0, 10.0])
    model = quadratic([5, 3, 2], 5, 2)
    dev_Z, dev_L, dev_id = 0.0, 0.0, 0.0
    for t_end in times[1:]:
        sim = fp.simulate(model, runs=3, method="exact", times=[0.0, t_end], gradient_tol=0.0)
        Zs = np.diag([5.0, 3, 2, 0, 0])
        for r in range(3):
            Zd, _ = direct_flow(Zs, np.asarray(sim.W0[r]), np.array([0.0, t_end]))
            Ze = sim.W[r].T @ sim.W[r]
            dev_Z = max(dev_Z, np.linalg.norm(Ze - Zd[-1]) / np.linalg.norm(Zd[-1]))
            E = Zd[-1] - Zs
            L = 0.5 * np.sum(E * E) + 0.25 * np.trace(E) ** 2
            dev_L = max(dev_L, abs(float(sim.final_losses[r]) - L))
        o = sim.observables
        ident = o["log_det_K"] - 4 * (o["phi"] + np.asarray(sim.times)[None, :] * 10.0)
        dev_id = max(dev_id, float(np.max(np.abs(ident))))
    return dev_Z, dev_L, dev_id


def reduction_check(d=20):
    r"""Claim 2: the orthonormal reduction (m eigenvalues, three scalar ODEs) against direct
    integration at d = 20 for the three (α, α*) pairs, γ up to 10: max |Δφ|, max |Δχ|, and the
    log det identity along the reduction."""
    dphi, dchi, dident = 0.0, 0.0, 0.0
    for alpha, alpha_s in PAIRS.values():
        phi, chi, _, sim = orthonormal(d, alpha, alpha_s, runs=2)
        ms = round(alpha_s * d)
        Zs = np.diag([1 / ms] * ms + [0.0] * (d - ms))
        times = np.asarray(sim.times)
        for r in range(2):
            Z, ph = direct_flow(Zs, np.asarray(sim.W0[r]), times)
            c = np.einsum("tij,ij->t", Z, Zs) / (
                np.linalg.norm(Z, axis=(1, 2)) * np.linalg.norm(Zs)
            )
            dphi = max(dphi, float(np.max(np.abs(ph - phi[r]))))
            dchi = max(dchi, float(np.max(np.abs(c - chi[r]))))
        o = sim.observables
        ident = o["log_det_K"] - 4 * (o["phi"] + times[None, :] * 1.0)
        dident = max(dident, float(np.max(np.abs(ident))))
    return dphi, dchi, dident


def phi_table(d=200):
    """φ_d(γ) at the §7 grid, mean of 5 seeds, for the three pairs at d (orthonormal case)."""
    return {
        name: np.mean(orthonormal(d, *pair)[0], axis=0)[1:].tolist() for name, pair in PAIRS.items()
    }


def rank_limited_loss(ds=(20, 40, 80, 200)):
    r"""d·L∞ for α = 0.25 < α* = 0.5 (orthonormal): the exact flow at γ = 10 against the
    top-m closed form :math:`(m^*-m)(m^*+2)/(2m^{*2}(m+2))` (notes §3)."""
    got, closed = [], []
    for d in ds:
        _, _, loss, _ = orthonormal(d, 0.25, 0.5)
        m, ms = d // 4, d // 2
        got.append(float(d * np.mean(loss[:, -1])))
        closed.append(d * (ms - m) * (ms + 2) / (2 * ms**2 * (m + 2)))
    return got, closed


def gaussian_teacher(d, m_star, seed, normalised=True):
    """Eigenvalues of W*ᵀW* (notes §1.2 (b)/(c)), W* entries N(0, 1/(d m*)) or N(0, 1/m*)."""
    rng = np.random.default_rng(1000 + seed)
    var = 1 / (d * m_star) if normalised else 1 / m_star
    Ws = rng.normal(scale=np.sqrt(var), size=(d, m_star))
    return np.sort(np.linalg.eigvalsh(Ws.T @ Ws))[::-1]


def t2_loss(d, t_values=(100.0, 300.0), runs=1):
    r"""Claim 4: :math:`t^2\mathcal L(t)` for m = d/2, m* = m/2, Gaussian not normalised (Fig. 5
    left), at ``t_values`` (mean over runs, one teacher per run) and the universal limit
    :math:`k(2+m^*)/(32(2+m^*+k))`, :math:`k=\min(m-m^*,d-m^*)`."""
    m = d // 2
    ms = m // 2
    vals = []
    for r in range(runs):
        mu = gaussian_teacher(d, ms, r, normalised=False)
        sim = fp.simulate(
            quadratic(mu, d, m),
            runs=1,
            seed=r,
            method="exact",
            scale=np.sqrt(d / m),  # N(0, 1/m) entries
            times=[0.0, *t_values],
            gradient_tol=0.0,
        )
        vals.append(np.asarray(sim.losses)[0, 1:] * np.asarray(t_values) ** 2)
    k = min(m - ms, d - ms)
    return np.mean(vals, axis=0).tolist(), k * (2 + ms) / (32 * (2 + ms + k))


def exponential_rate(d=20, window=(15.0, 25.0)):
    r"""Claim 4: m = m* = d/2 (Fig. 5 right): the fitted decay rate of log L on ``window``
    against :math:`4\mu_{\min}` (smallest teacher eigenvalue)."""
    m = d // 2
    mu = gaussian_teacher(d, m, 0, normalised=False)
    ts = np.linspace(*window, 11)
    sim = fp.simulate(
        quadratic(mu, d, m),
        runs=3,
        method="exact",
        scale=np.sqrt(d / m),
        times=[0.0, *ts],
        gradient_tol=0.0,
    )
    L = np.asarray(sim.losses)[:, 1:]
    rates = [-np.polyfit(ts, np.log(row), 1)[0] for row in L]
    return rates, 4 * float(mu[-1])


def claims(slow: bool = False) -> dict:
    """Claim id -> computed value (claims 2 and 4; the d = 200 and d = 1000 tables when
    ``slow``)."""
    dev_Z, dev_L, dev_id = explicit_solution_check()
    dphi, dchi, dident = reduction_check()
    got, closed = rank_limited_loss((20, 40, 80))
    rates, four_mu = exponential_rate()
    t2, limit20 = t2_loss(20)
    out = {
        "dyn_exact_vs_direct_Z": dev_Z,
        "dyn_exact_vs_direct_loss": dev_L,
        "dyn_logdet_identity_general": dev_id,
        "dyn_reduction_vs_direct_phi": dphi,
        "dyn_reduction_vs_direct_chi": dchi,
        "dyn_logdet_identity_reduction": dident,
        "dyn_rank_limited_dLinf": got,
        "dyn_rank_limited_closed_form_dev": max(
            abs(a - b) for a, b in zip(got, closed, strict=True)
        ),
        "dyn_exponential_rate_ratio": [r / four_mu for r in rates],
        "dyn_t2L_ratio_d20": [v / limit20 for v in t2],
        "dyn_phi10_convergence": [
            float(np.mean(orthonormal(d, 0.5, 0.25, runs=20)[0][:, -1])) for d in (20, 40, 80)
        ],
    }
    if slow:
        table = phi_table(200)
        for name in PAIRS:
            out[f"dyn_phi_d200_{name}"] = table[name]
        phi, _, loss, _ = orthonormal(1000, 0.5, 0.25)
        out["dyn_dloss_d1000_above"] = (1000 * np.mean(loss, axis=0))[1:6].tolist()
        out["dyn_phi10_d1000"] = float(np.mean(phi[:, -1]))
        t2_40, limit40 = t2_loss(40, t_values=(300.0, 1e3))
        out["dyn_t2L_ratio_d40"] = [v / limit40 for v in t2_40]
    return out
