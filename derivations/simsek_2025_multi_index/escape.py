r"""Şimšek, Bendjeddou & Hsu (2025): search-phase escape time against ``d`` (claim 4 of the issue).

One spherical neuron of the ``multi-index`` preset (``k = 3`` orthogonal index vectors, ``G = I``)
starts at a uniform point of :math:`S^{d-1}`, so its overlaps :math:`m=Vw` are
:math:`O(d^{-1/2})`. The overlaps follow the closed ODE derived by ``fp.derive``,
:math:`\dot m_j=\sum_l(\delta_{jl}-m_jm_l)\varphi'(m_l)`, and the neuron sits near the equator
:math:`m=0` (the search phase) until one overlap becomes :math:`O(1)`.

**Escape time.** :math:`T=\inf\{t:\mathcal L(m(t))\le-\varphi(1/2)\}`, the first time the loss
:math:`\mathcal L=-\sum_j\varphi(m_j)` reaches the loss of a neuron with one overlap :math:`1/2` and
the others zero (He2: :math:`\varphi=2t^2`, level :math:`-1/2`; He3: :math:`6t^3`, :math:`-3/4`;
He4: :math:`24t^4`, :math:`-3/2`). A loss level is used (not an overlap level) so that the
weight-space simulation, which records only the loss, measures the same quantity.

**Statistic.** The median of :math:`T` over the neurons, with :math:`T=\infty` for neurons that never
escape. For the odd He3 (:math:`\varphi'(t)=18t^2\ge0`) the sign of each :math:`m_j` is invariant and
a neuron with every :math:`m_j(0)<0` creeps to the equator (probability :math:`2^{-k}=1/8`); the
median of all neurons is still finite and is the median of the escapers' times at quantile
:math:`\tfrac12/(1-2^{-k})`.

**Asymptotics** (leading order, :math:`z=\sqrt d\,m(0)\approx\mathcal N(0,I_k)`):

* He3, :math:`\dot m\approx18m^2`: :math:`T\approx\sqrt d/(18\max_jz_j)`, exponent :math:`1/2=p^*/2-1`;
* He4, :math:`\dot m\approx96m^3`: :math:`T\approx d/(192\max_jz_j^2)`, exponent :math:`1=p^*/2-1`;
* He2, exact: :math:`r=|m|^2` obeys :math:`\dot r=8r(1-r)` (the direction of :math:`m` is frozen), so
  with level :math:`r=1/4`, :math:`T=\tfrac18\ln\big((1-r_0)/(3r_0)\big)=\tfrac18\ln(\chi^2_{d-k}/(3|z|^2))`,
  i.e. :math:`T=\tfrac18\ln d+O(1)`: slope :math:`1/8` against :math:`\ln d`.

**Computed here.** Exact initial overlaps of a uniform point (first ``k`` coordinates of
:math:`g/|g|`): :math:`m(0)=z/\sqrt{|z|^2+\chi^2_{d-k}}`, the same :math:`z` for every ``d`` (common
random numbers, so the fitted slopes are not blurred by resampling). Every neuron is integrated
with its own adaptive Dormand–Prince 5(4) step by ``fp.integrate_batch`` (vectorised over neurons,
right-hand side = the compiled derived ``vector_field``, event = the loss) and the crossing is
located on the cubic Hermite interpolant of the accepted step. The exponent is the least-squares slope of :math:`\ln\operatorname{median}T`
against :math:`\ln d` for :math:`d=10^2,10^{2.5},\dots,10^6`. Weight-space check: ``simulate``
(``method="flow"``) at moderate ``d``; the escape time is read off the recorded loss curve and
compared neuron by neuron with the ODE started from exactly that neuron's :math:`m(0)=Vw_0`.
"""

from __future__ import annotations

import math
import pathlib
import time

import numpy as np
import sympy as sp

import fixedpoints as fp

HERE = pathlib.Path(__file__).resolve().parent
SEED = 0
K = 3  # index vectors (orthogonal, G = I)
TARGETS = {"He2": 2, "He3": 3, "He4": 4}  # target -> information exponent p*
LOG10_D = tuple(np.arange(2.0, 6.01, 0.5))  # d = 10^2 ... 10^6
NEURONS = 1000  # overlap-ODE neurons per d
OVERLAP = 0.5  # escape level: L = -phi(OVERLAP)
RTOL, ATOL = 1e-8, 1e-14  # overlap-ODE tolerances
T_MAX_ODE = 1e12  # non-escapers (He3, all m_j(0) < 0) are stopped here
# weight-space checks: (target, d, neurons, t_max)
SIM = (("He3", 100, 64, 20.0), ("He3", 1000, 32, 8.0), ("He4", 100, 48, 3.0))
LARGE_D_MIN = 1e4  # the large-d exponent fits d >= LARGE_D_MIN
SIM_RECORDS = 1500  # log-spaced loss records of the weight-space runs
SIM_GRADIENT_TOL = 1e-7  # a run stops at a minimum (|grad| < tol); its loss is then held


# ---------------------------------------------------------------------------------------------
# the overlap ODE and its escape times
# ---------------------------------------------------------------------------------------------


def overlap_system(target: str):
    r"""The compiled overlap ODE :math:`\dot m_j=\sum_l(\delta_{jl}-m_jm_l)\varphi'(m_l)` and
    :math:`\varphi(1/2)`.

    Parameters
    ----------
    target : str
        Hermite expression of :math:`\sigma^*` (``"He2"``, ``"He3"``, ``"He4"``).

    Returns
    -------
    system : CompiledFlow
        ``fp.compile_flow(fp.derive(model))`` for ``k = 3``, ``n = 1``, :math:`\beta=0`.
    phi_half : float
        :math:`\varphi(1/2)`, read off the derived loss :math:`\mathcal L=-\sum_j\varphi(m_j)`.
    """
    model = fp.load_model("multi-index", {"k": K, "n": 1, "target": target, "beta": 0.0})
    flow = fp.derive(model)
    values = {v: 0 for v in flow.variables}
    values[flow.variables[0]] = sp.nsimplify(OVERLAP)
    phi_half = float(-flow.loss.subs(values))
    return fp.compile_flow(flow), phi_half


def escape_times(
    system, m0: np.ndarray, level: float, *, t_max=T_MAX_ODE, rtol=RTOL, atol=ATOL
) -> np.ndarray:
    r"""First time :math:`T_i=\inf\{t:\mathcal L(m_i(t))\le\mathrm{level}\}` for every neuron.

    ``fp.integrate_batch`` with the compiled ``vector_field`` as right-hand side and the loss as
    event (``direction=-1``): each neuron has its own Dormand–Prince 5(4) step, and the crossing is
    located on the cubic Hermite interpolant of the accepted step. The loss never increases along
    the flow (:math:`\dot{\mathcal L}=-|\nabla\mathcal L|^2`), so the first step that ends below
    ``level`` contains the only crossing.

    Parameters
    ----------
    system : CompiledFlow
        Overlap ODE; ``vector_field`` and ``loss`` accept a batch ``(k, N)``.
    m0 : ndarray (N, k)
        Initial overlaps.
    level : float
        Loss level (:math:`-\varphi(1/2)`).
    t_max : float
        Neurons still above ``level`` at ``t_max`` get :math:`T=\infty`.
    rtol, atol : float

    Returns
    -------
    ndarray (N,)
    """
    res = fp.integrate_batch(
        system.vector_field,
        m0,
        t_max,
        rtol=rtol,
        atol=atol,
        event=system.loss,
        level=level,
        direction=-1,
        max_steps=100_000,
    )
    return res.event_times


def fit_power_law(d: np.ndarray, T: np.ndarray) -> tuple[float, float]:
    r"""Least-squares :math:`\ln T=a\ln d+b`; returns ``(a, b)``."""
    a, b = np.polyfit(np.log(d), np.log(T), 1)
    return float(a), float(b)


def he2_median_theory(d: np.ndarray, k: int = K) -> np.ndarray:
    r"""Leading-order median of the exact He2 escape time
    :math:`T=\tfrac18\ln(\chi^2_{d-k}/(3|z|^2))`: :math:`\tfrac18\ln\big((d-k)/(3\,\mathrm{med}\,\chi^2_k)\big)`
    (the fluctuation of :math:`\chi^2_{d-k}/(d-k)` is :math:`O(d^{-1/2})`)."""
    from scipy.stats import chi2

    return np.log((np.asarray(d, float) - k) / (3 * chi2.median(k))) / 8


def leading_order_median(target: str, z: np.ndarray, d: np.ndarray) -> np.ndarray:
    r"""Median over neurons of the leading-order escape time for :math:`\varphi=c\,t^p`, :math:`p\ge3`.

    Near the equator :math:`\dot m_j\approx pc\,m_j^{p-1}`, which blows up at
    :math:`t=m_j(0)^{2-p}/(p(p-2)c)`; with :math:`m(0)\approx z/\sqrt d` the first coordinate to
    blow up gives :math:`T\approx d^{p/2-1}/(p(p-2)c\,z_*^{p-2})`, :math:`z_*=\max_jz_j` (odd
    ``p``; :math:`T=\infty` if :math:`z_*<0`) or :math:`\max_j|z_j|` (even ``p``). He3:
    :math:`\sqrt d/(18z_*)`; He4: :math:`d/(192z_*^2)`.

    Returns
    -------
    ndarray (len(d),)
    """
    p = TARGETS[target]
    c = overlap_system(target)[1] * 2.0**p  # phi(1/2) = c 2^-p
    zs = np.max(z, axis=1) if p % 2 else np.max(np.abs(z), axis=1)
    with np.errstate(divide="ignore"):
        unit = np.where(zs > 0, 1.0 / (p * (p - 2) * c * np.abs(zs) ** (p - 2)), np.inf)
    return np.median(unit) * np.asarray(d, float) ** (p / 2 - 1)


def ode_sweep(target: str, z: np.ndarray, rng) -> dict:
    r"""Escape times of the overlap ODE for every ``d`` in :data:`LOG10_D`.

    Returns
    -------
    dict
        ``d``, ``median``, ``q25``, ``q75`` (quantiles of :math:`T` over neurons, :math:`\infty`
        counted), ``escaped`` (fraction with finite ``T``), ``level``.
    """
    system, phi_half = overlap_system(target)
    ds = np.round(10.0 ** np.array(LOG10_D)).astype(int)
    m0 = np.concatenate([fp.sphere_overlaps(z, int(d), rng) for d in ds])
    T = escape_times(system, m0, -phi_half).reshape(len(ds), len(z))
    q25, med, q75 = np.quantile(T, [0.25, 0.5, 0.75], axis=1)  # inf sorts last (fine below 7/8)
    esc = np.mean(np.isfinite(T), axis=1)
    return {
        "d": ds.astype(float),
        "median": np.array(med),
        "q25": np.array(q25),
        "q75": np.array(q75),
        "escaped": np.array(esc),
        "level": -phi_half,
    }


# ---------------------------------------------------------------------------------------------
# weight space
# ---------------------------------------------------------------------------------------------


def loss_crossing(times: np.ndarray, losses: np.ndarray, level: float) -> np.ndarray:
    r"""First crossing of ``level`` by each recorded loss curve, linear in :math:`\ln t` between the
    two bracketing records (:math:`\infty` if never crossed).

    Parameters
    ----------
    times : ndarray (R,)
        Record times (``times[0] = 0``).
    losses : ndarray (N, R)
    level : float

    Returns
    -------
    ndarray (N,)
    """
    out = np.full(len(losses), np.inf)
    for i, L in enumerate(losses):
        j = np.flatnonzero(L <= level)
        if j.size == 0:
            continue
        j = j[0]
        if j == 0:
            out[i] = 0.0
            continue
        t0, t1 = times[j - 1], times[j]
        s = (L[j - 1] - level) / (L[j - 1] - L[j])
        out[i] = (
            t0 + s * (t1 - t0) if t0 == 0 else math.exp((1 - s) * math.log(t0) + s * math.log(t1))
        )
    return out


def weight_space_check(target: str, d: int, runs: int, t_max: float, seed: int) -> dict:
    r"""Weight-space gradient flow of ``runs`` neurons against the overlap ODE from the same start.

    ``simulate(model, method="flow", init="sphere", gradient_tol=0)`` up to ``t_max`` gives loss
    curves :math:`\mathcal L_i^{\rm sim}(t_r)` at the record times :math:`t_r`. The overlap ODE is
    integrated from exactly the same starts :math:`m_i(0)=Vw_{0,i}/|w_{0,i}|` (SciPy DOP853, rtol
    1e-10, all neurons stacked) and evaluated at the same :math:`t_r`. The escape time of either
    curve is read off the records with the same interpolation (:func:`loss_crossing`), so their
    difference measures the dynamics only; :func:`escape_times` gives the exact ODE escape times.

    Returns
    -------
    dict
        ``T_sim``, ``T_ode_records`` (record-interpolated), ``T_ode`` (exact) per neuron;
        ``rel_dev`` (max over neurons escaping before ``t_max`` of
        :math:`|T^{\rm sim}-T^{\rm ode}_{\rm records}|/T^{\rm ode}_{\rm records}`), ``rel_dev_exact``
        (the same against the exact ODE time: adds the record interpolation error), ``loss_dev``
        (max :math:`|\mathcal L^{\rm sim}-\mathcal L^{\rm ode}|` over neurons and records),
        ``escaped`` (how many), ``agree_escaped`` (the same neurons escape by ``t_max``),
        ``median_sim`` (median :math:`T^{\rm sim}`, :math:`\infty` counted), ``records``, ``seconds``.
    """
    from scipy.integrate import solve_ivp

    model = fp.load_model("multi-index", {"k": K, "n": 1, "target": target, "beta": 0.0, "d": d})
    t0 = time.perf_counter()
    res = fp.simulate(
        model,
        runs=runs,
        seed=seed,
        method="flow",
        t_max=t_max,
        records=SIM_RECORDS,
        gradient_tol=SIM_GRADIENT_TOL,
        init="sphere",
    )
    seconds = time.perf_counter() - t0
    system, phi_half = overlap_system(target)
    W0 = res.W0[:, 0, :]
    m0 = (W0 / np.linalg.norm(W0, axis=1, keepdims=True)) @ np.asarray(res.V).T
    times = np.clip(res.times, 0.0, t_max)
    sol = solve_ivp(
        lambda t, y: system.vector_field(y.reshape(K, -1)).ravel(),
        (0.0, float(times[-1])),
        m0.T.ravel(),
        method="DOP853",
        t_eval=times,
        rtol=1e-10,
        atol=1e-13,
    )
    L_ode = np.array([system.loss(y.reshape(K, -1)) for y in sol.y.T]).T  # (runs, records)
    level = -phi_half
    T_sim = loss_crossing(res.times, res.losses, level)
    T_rec = loss_crossing(res.times, L_ode, level)
    T_ode = escape_times(system, m0, level, t_max=t_max)
    both = np.isfinite(T_sim) & np.isfinite(T_rec)
    return {
        "target": target,
        "d": d,
        "T_sim": T_sim,
        "T_ode_records": T_rec,
        "T_ode": T_ode,
        "rel_dev": float(np.max(np.abs(T_sim[both] - T_rec[both]) / T_rec[both])),
        "rel_dev_exact": float(np.max(np.abs(T_sim[both] - T_ode[both]) / T_ode[both])),
        "loss_dev": float(np.max(np.abs(res.losses - L_ode))),
        "escaped": int(both.sum()),
        "agree_escaped": bool(
            np.array_equal(np.isfinite(T_sim), np.isfinite(T_rec))
            and np.array_equal(np.isfinite(T_sim), np.isfinite(T_ode))
        ),
        "median_sim": float(np.median(T_sim)),
        "records": len(res.times),
        "seconds": seconds,
    }


# ---------------------------------------------------------------------------------------------
# claims
# ---------------------------------------------------------------------------------------------


def run(extras: dict) -> dict:
    """Claim id -> computed value; ``extras`` gets the sweeps and the weight-space checks."""
    timings = {}
    rng = np.random.default_rng(SEED)
    z = rng.standard_normal((NEURONS, K))
    sweeps = {}
    for target in TARGETS:
        t0 = time.perf_counter()
        sweeps[target] = ode_sweep(target, z, rng)
        timings[f"ode_{target}"] = time.perf_counter() - t0
    fits = {t: fit_power_law(sweeps[t]["d"], sweeps[t]["median"]) for t in ("He3", "He4")}
    large = {}
    for t in ("He3", "He4"):
        sel = sweeps[t]["d"] >= LARGE_D_MIN
        large[t] = fit_power_law(sweeps[t]["d"][sel], sweeps[t]["median"][sel])
        sweeps[t]["leading_order"] = leading_order_median(t, z, sweeps[t]["d"])
    he2 = sweeps["He2"]
    slope2, icpt2 = (float(x) for x in np.polyfit(np.log(he2["d"]), he2["median"], 1))
    he2_dev = float(np.max(np.abs(he2["median"] - he2_median_theory(he2["d"]))))
    checks = []
    for i, (target, d, runs, t_max) in enumerate(SIM):
        t0 = time.perf_counter()
        checks.append(weight_space_check(target, d, runs, t_max, seed=SEED + 1 + i))
        timings[f"sim_{target}_d{d}"] = time.perf_counter() - t0
    extras.update(
        {
            "timings": timings,
            "sweeps": sweeps,
            "fits": fits,
            "fits_large_d": large,
            "he2_fit": (slope2, icpt2),
            "weight_space": checks,
        }
    )
    return {
        "escape_exponent_He3_k3": fits["He3"][0],
        "escape_exponent_He4_k3": fits["He4"][0],
        "escape_exponents_large_d_He3_He4_k3": [large["He3"][0], large["He4"][0]],
        "escape_log_d_slope_He2_k3": slope2,
        "escape_median_He2_vs_theory_max_abs_dev": he2_dev,
        "escape_time_weight_space_vs_ode_max_rel_dev": max(c["rel_dev"] for c in checks),
        "escape_weight_space_same_neurons_escape": all(c["agree_escaped"] for c in checks),
    }


def figures(out: pathlib.Path, extras: dict) -> list[str]:
    r"""Write ``escape_time.png`` into ``out``; return the paths.

    (a) Median escape time against ``d`` (log–log) for He3 and He4: overlap ODE (markers,
    interquartile bars), the fitted power law (solid), the leading-order median
    (:func:`leading_order_median`, dotted), the reference slope :math:`p^*/2-1` through
    the largest ``d`` (dashed) and the weight-space medians (open squares). (b) He2: median escape
    time against :math:`\ln d` with the fitted line and the leading-order theory
    :math:`\tfrac18\ln((d-k)/(3\,\mathrm{med}\chi^2_k))`.
    """
    from matplotlib.figure import Figure

    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    a, b = fig.subplots(1, 2)
    colors = {"He3": "tab:blue", "He4": "tab:red", "He2": "tab:green"}
    for target in ("He3", "He4"):
        s, (slope, icpt) = extras["sweeps"][target], extras["fits"][target]
        p = TARGETS[target]
        d, med, c = s["d"], s["median"], colors[target]
        iqr = [med - s["q25"], s["q75"] - med]
        label = f"{target} (p* = {p}): overlap ODE, median (IQR)"
        a.errorbar(d, med, yerr=iqr, fmt="o", ms=4, capsize=2, color=c, label=label)
        dd = np.geomspace(d[0], d[-1], 50)
        a.plot(dd, np.exp(icpt) * dd**slope, "-", color=c, lw=1, label=f"fit: slope {slope:.3f}")
        a.plot(d, s["leading_order"], ":", color=c, lw=1.2, label="leading order, median")
        ref = p / 2 - 1
        label = f"slope p*/2 - 1 = {ref:g}"
        a.plot(dd, med[-1] * (dd / d[-1]) ** ref, "--", color=c, lw=0.8, alpha=0.7, label=label)
    for chk in extras["weight_space"]:
        c = colors[chk["target"]]
        a.plot(chk["d"], chk["median_sim"], "s", mfc="none", mec=c, ms=10, mew=1.5)
    a.plot([], [], "s", mfc="none", mec="k", label="weight-space flow (simulate), median")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("d")
    a.set_ylabel("escape time T (loss reaches -φ(1/2))")
    a.set_title("(a) search phase, k = 3, G = I")
    a.legend(fontsize=7)

    s = extras["sweeps"]["He2"]
    slope, icpt = extras["he2_fit"]
    ld = np.log(s["d"])
    iqr = [s["median"] - s["q25"], s["q75"] - s["median"]]
    label = "He2 (p* = 2): overlap ODE, median (IQR)"
    b.errorbar(
        ld, s["median"], yerr=iqr, fmt="o", ms=4, capsize=2, color=colors["He2"], label=label
    )
    b.plot(ld, icpt + slope * ld, "-", color=colors["He2"], lw=1, label=f"fit: slope {slope:.4f}")
    b.plot(ld, he2_median_theory(s["d"]), "k--", lw=0.8, label="(1/8) ln((d-k) / (3 med χ²_k))")
    b.set_xlabel("ln d")
    b.set_ylabel("escape time T")
    b.set_title("(b) p* = 2: T = Θ(log d), slope 1/8")
    b.legend(fontsize=7)

    path = out / "escape_time.png"
    fig.savefig(path, dpi=130)
    return [str(path)]


if __name__ == "__main__":
    extras: dict = {}
    t0 = time.perf_counter()
    values = run(extras)
    print(f"run(): {time.perf_counter() - t0:.1f} s")
    print("timings:", {k: round(v, 2) for k, v in extras["timings"].items()})
    print("\n".join(f"{key}: {value!r}" for key, value in values.items()))
    for target, s in extras["sweeps"].items():
        print(target, "median T:", np.array2string(s["median"], precision=4))
        print(target, "escaped:", s["escaped"])
    print("large-d fits:", extras["fits_large_d"])
    for chk in extras["weight_space"]:
        print({k: v for k, v in chk.items() if not k.startswith("T_")})
    t0 = time.perf_counter()
    print("figures:", figures(HERE / "report", extras), f"{time.perf_counter() - t0:.1f} s")
