"""Arjevani (2024) hidden minima; Safran & Shamir (2018): the symmetric families of the k = d
ReLU teacher–student problem, with the public API only (``README.md`` for the mapping).

Families (coordinates of Fix(Δ(S_{d-1}×S_1)): D1 block diagonal, D2 special diagonal, O1 block
off-diagonal, C12 block rows × special column, C21 special row × block columns):

* F_A (Safran–Shamir, non-hidden): index 0 (d ≥ 6), D1 > 0 > D2, smallest positive loss;
* F_{d-1} (hidden): D1 < 0 < D2;
* F_d (hidden, ΔS_d): D < 0 in Fix(ΔS_d);
* S1 (index-1 saddle): the lowest index-1 point of Fix(Δ(S_{d-1}×S_1)).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np

import fixedpoints as fp

STARTS = 400
EXTRAS: dict = {}
LOSS_D = (6, 7, 8, 10, 12, 15, 20, 30, 50, 100)  # the digest's §3.2 table
GLOBAL_D = (6, 10, 20, 50, 100)
GD_RUNS = 500  # Safran-Yehudai-Shamir protocol: 500 runs per d (digest §6)
GD_FAST = (7, 8, 10, 12)
GD_ALL = tuple(range(6, 21))
#: coefficients c_k of L = Σ c_k d^{-k/2} identified by PSLQ (fast: the digest's closed forms;
#: deep, slow: those the digest had as decimals only)
SERIES_FAST = {"F_A": [2, 3], "F_d-1": [0, 1, 2], "F_d": [0, 1, 2]}
SERIES_DEEP = {"F_A": [4], "F_d-1": [3], "F_d": [3]}
#: the arc's fixed space of each family's smallest eigendirection (digest §5)
ARC_SPACES = {"F_A": ("d-1,1", "d-2,1,1"), "F_d-1": ("d-1,1", "d-3,1,1,1"), "F_d": ("d", "d-2,1,1")}


@functools.cache
def _model():
    return fp.load_model("relu-teacher", {"d": 8})  # a template: d is passed as `dimension`


@functools.cache
def _search(iso, d, **kw):
    """The search of Fix(``iso``) at d (each (iso, d, options) once per run)."""
    return fp.find_fixed_points(_model(), isotropy=iso, starts=STARTS, dimension=d, **kw)


def _families(d, **kw):
    """{name: FixedPoint} for F_A, F_{d-1}, S1 (in Fix(Δ(S_{d-1}×S_1))) and F_d (ΔS_d)."""
    res = _search("d-1,1", d, **kw)
    out = {}
    pos = [p for p in res.points if p.loss > 1e-9 and p.status == "converged"]
    fa = [p for p in pos if p.coordinates["D1"] > 0 > p.coordinates["D2"] and p.index <= 3]
    out["F_A"] = min(fa, key=lambda p: p.loss)
    fd1 = [p for p in pos if p.coordinates["D1"] < 0 < p.coordinates["D2"] and p.index <= 6]
    out["F_d-1"] = min(fd1, key=lambda p: p.loss)
    # S1^- (D2, C21 < 0: the one the digest tables list; S1^+ is nearly degenerate with it)
    s1 = [p for p in pos if p.index == 1 and -0.1 < p.coordinates["D2"] < 0]
    out["S1"] = min(s1, key=lambda p: p.loss) if s1 else None
    full = _search("d", d, **kw)
    fd = [p for p in full.points if p.coordinates["D1"] < 0 and p.index <= 6]
    out["F_d"] = min(fd, key=lambda p: p.loss)
    return out


def _global_min_spectrum(d):
    """Closed form of the Hessian spectrum at W = I (digest §4): sorted (value, multiplicity)."""
    pi = math.pi
    a = 0.25 - 1 / (2 * pi)
    b = 0.25 + 1 / (2 * pi)
    disc = math.sqrt(pi**2 * d**2 - 16 * pi + 16)
    lm, lp = (pi * (d + 2) - disc) / (8 * pi), (pi * (d + 2) + disc) / (8 * pi)
    q = math.sqrt((pi - 2) ** 2 * d**2 + 16 * (pi - 1) * d - 16 * (pi - 1))
    t1, t2 = ((pi + 2) * d + 2 * pi - q) / (8 * pi), ((pi + 2) * d + 2 * pi + q) / (8 * pi)
    return sorted(
        [(a, d * (d - 1) // 2), (b, d * (d - 3) // 2), (lm, d - 1), (lp, d - 1), (t1, 1), (t2, 1)]
    )


def _certified(d):
    """{family: FixedPoint with its Arb certificate} at d."""
    return _families(d, certify=True)


def _critical_dimensions():
    """{family: (critical d, component, multiplicity formula, [(d, smallest eigenvalue)])}."""
    out = {}
    for iso, names in (("d-1,1", ("F_A", "F_d-1")), ("d", ("F_d",))):
        res = fp.continue_fixed_points(
            fp.load_model("relu-teacher", {"d": 20}), "d", 20.0, 5.2, isotropy=iso, starts=80
        )
        for b in res.branches:
            if b.points[0].index != 0 or b.points[0].loss < 1e-9:
                continue
            ev = [e for e in b.events if e.value > 5.2]
            if not ev:
                continue
            e = max(ev, key=lambda e: e.value)
            x = b.points[0].x
            if iso == "d":
                name = "F_d" if x[0] < 0 else None
            else:
                name = "F_A" if x[0] > 0 > x[1] else ("F_d-1" if x[0] < 0 < x[1] else None)
            if name in names and name not in out:
                curve = [(q.parameter, q.min_eigenvalue) for q in b.points]
                out[name] = (e.value, e.component, e.multiplicity_formula, curve)
    return out


def _two_rogue(d, **kw):
    """The Δ(S_{d-2}×S_2) Safran–Shamir-type minimum (two rogue neurons; D1 > 0.5)."""
    res = _search("d-2,2", d, **kw)
    pts = [p for p in res.points if p.loss > 1e-9 and p.coordinates["D1"] > 0.5]
    return min(pts, key=lambda p: p.loss) if pts else None


def _gd(d, families):
    """Batched GD, the digest §6 protocol (the preset's [simulate] table: Xavier init, step 5/d,
    |grad| < 1e-9), outcomes named after the known families."""
    known = {k: p for k, p in families.items() if p is not None and k != "S1"}
    known["two-rogue"] = _two_rogue(d)
    known = {k: p for k, p in known.items() if p is not None}
    names = list(known)
    sim = fp.simulate(
        fp.load_model("relu-teacher", {"d": d}),
        runs=GD_RUNS,
        seed=0,
        fixed_points=[known[k] for k in names],
    )
    count = {k: 0 for k in names}
    spurious, losses = 0, set()
    for g in sim.outcomes.groups:
        if g.label == "global minimum":
            continue
        spurious += g.count
        losses.add(round(g.loss, 10))
        if g.label.startswith("fixed point "):
            count[names[int(g.label.split()[-1])]] += g.count
    return {
        "spurious": spurious / GD_RUNS,
        "counts": count,
        "losses": sorted(losses),
        "hidden": count.get("F_d", 0) + count.get("F_d-1", 0),
    }


def _arcs(d):
    """Minimising tangency arc of each family (the arc of the two signs with the lower loss at
    r0), its crossings, and the ± asymmetry of the loss at r0 (a cubic invariant or not)."""
    model = fp.load_model("relu-teacher", {"d": d})
    fams = _families(d)
    out = {}
    for name, (coarse, fine) in ARC_SPACES.items():
        arcs = fp.tangency_arcs(model, fams[name], fine, point_isotropy=coarse, r_max=2.2)
        best = min(arcs, key=lambda a: a.loss[0])
        out[name] = {
            "arc": best,
            "asymmetry": abs(arcs[0].loss[0] - arcs[1].loss[0]),
            "center": fams[name].loss,
        }
    return out


def _spectra_fit(ds=(100, 300, 1000, 3000, 10000)):
    """Smallest Hessian eigenvalue of F_A and F_d against d: the exponent α of
    |λ - (1/4 - 1/2π)| ~ C d^{-α}(1 + c d^{-1/2}) and the d^{-1/2} coefficients."""
    a0 = 0.25 - 1 / (2 * math.pi)
    lam, losses = [], []
    for d in ds:
        fam = _families(d)
        lam.append([fam["F_A"].components[0][0], fam["F_d"].components[0][0]])
        losses.append([fam[n].loss for n in ("F_A", "F_d-1", "F_d")])
    lam = np.array(lam)
    d = np.array(ds, dtype=float)
    t = d**-0.5
    out = {"d": list(ds), "lambda_min": lam.tolist(), "losses": losses}
    for j, name in enumerate(("F_A", "F_d")):
        y = lam[:, j] - a0
        M = np.column_stack([np.ones_like(t), -np.log(d), t])
        out[f"alpha_{name}"] = float(np.linalg.lstsq(M, np.log(np.abs(y)), rcond=None)[0][1])
        P = np.column_stack([t, t**2, t**3])
        out[f"a1_{name}"] = float(np.linalg.lstsq(P, y, rcond=None)[0][0])
    y = np.abs(lam[:, 0] - lam[:, 1])
    M = np.column_stack([np.ones_like(t), -np.log(d), t])
    out["alpha_difference"] = float(np.linalg.lstsq(M, np.log(y), rcond=None)[0][1])
    return out


def _series_data(digits, d1, per_decade):
    """{family: [(d, loss), ...]} as mpf, F_A and F_{d-1} followed in Fix(Δ(S_{d-1}×S_1)) and F_d
    in Fix(ΔS_d) from d = 10⁴ to ``d1`` at ``digits`` digits (continue --precision)."""
    kw = dict(precision=digits, per_decade=per_decade, starts=30)
    res = fp.continue_fixed_points(_model(), "d", 10**4, d1, isotropy="d-1,1", **kw)
    out = {}
    for name, sign in (("F_A", 1), ("F_d-1", -1)):
        cand = [
            b
            for b in res.branches
            if b.points
            and b.points[0].index == 0
            and b.points[0].loss > 1e-12
            and sign * b.points[0].x[0] > 0 > sign * b.points[0].x[1]
        ]
        out[name] = min(cand, key=lambda b: b.points[0].loss)
    res = fp.continue_fixed_points(_model(), "d", 10**4, d1, isotropy="d", **kw)
    cand = [b for b in res.branches if b.points and b.points[0].x[0] < 0 and b.points[0].index == 0]
    out["F_d"] = min(cand, key=lambda b: b.points[0].loss)
    return {
        name: [(mpmath.mpf(q.parameter), mpmath.mpf(q.digits["loss"])) for q in b.points]
        for name, b in out.items()
        if b.status == "reached-end"
    }


def _series_fit(points, order):
    """Least squares (QR, columns scaled) of L = Σ_{k<order} c_k t^k, t = d^{-1/2}."""
    ts = [d ** mpmath.mpf(-0.5) for d, _ in points]
    tmax = max(ts)
    A = mpmath.matrix(len(ts), order)
    b = mpmath.matrix(len(ts), 1)
    for i, (t, (_, loss)) in enumerate(zip(ts, points, strict=True)):
        for k in range(order):
            A[i, k] = (t / tmax) ** k
        b[i] = loss
    x, _ = mpmath.qr_solve(A, b)
    return [x[k] / tmax**k for k in range(order)]


def _closed_form(c, err, top=6):
    """PSLQ of c against 1, 1/π, …, 1/π^top at the digits it is known to (``err`` from two
    truncation orders); a relation is accepted when its coefficients' digits stay 10 below the
    data's (else one exists by chance). Text such as ``1/2 - 2/pi^2``, or None."""
    good = max(5, int(-mpmath.log10(err)) - 1) if err > 0 else mpmath.mp.dps - 5
    with mpmath.workdps(good + 5):
        for k_max in (4, top):
            v = [mpmath.mpf(c)] + [1 / mpmath.pi**k for k in range(k_max + 1)]
            rel = mpmath.pslq(v, tol=mpmath.mpf(10) ** -good, maxcoeff=10**5, maxsteps=10**6)
            if not rel or rel[0] == 0:
                continue
            size = sum(math.log10(abs(r)) for r in rel if r)
            if size <= good - 10:
                return _pi_text([Fraction(-r, rel[0]) for r in rel[1:]])
    return None


def _pi_text(coefs):
    """``Σ q_k / π^k`` as text: ``1/2 - 2/pi^2``, ``-32/(3pi^4)``."""
    terms = []
    for k, q in enumerate(coefs):
        if q == 0:
            continue
        num, den = abs(q.numerator), q.denominator
        pik = "" if k == 0 else ("pi" if k == 1 else f"pi^{k}")
        if not pik:
            body = f"{num}/{den}" if den > 1 else f"{num}"
        elif den == 1:
            body = f"{num}/{pik}"
        else:
            body = f"{num}/({den}{pik})"
        terms.append(("-" if q < 0 else "+", body))
    if not terms:
        return "0"
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    return text + "".join(f" {s} {b}" for s, b in terms[1:])


def _series(digits, d1, per_decade, orders, wanted):
    """Fitted coefficients (with the two-order error bar) and their closed forms: ``wanted`` =
    {family: [k, ...]}; and the N-digit losses {family: [(d, L), ...]} as floats."""
    with mpmath.workdps(digits + 20):
        data = _series_data(digits, d1, per_decade)
        out = {}
        for name, ks in wanted.items():
            lo, hi = (_series_fit(data[name], K) for K in orders)
            for k in ks:
                err = abs(lo[k] - hi[k])
                out[(name, k)] = (hi[k], err, _closed_form(hi[k], err))
        # the hidden families as their distance to the limit (float64 cannot subtract it)
        limit = mpmath.mpf(1) / 2 - 1 / mpmath.pi
        curves = {
            n: [(float(d), float(v if n == "F_A" else limit - v)) for d, v in pts]
            for n, pts in data.items()
        }
    return out, curves


def _transition_graph():
    """The d = 8 transition graph seeded in Fix(Δ(S7×S1)) (it contains Fix(ΔS8)): its minima in
    that subspace, and the lowest index of a saddle with an edge into each of them.

    The flows run in the full weight space. From the degenerate points (seven equal neurons,
    index 42 and 49) the unstable eigenspaces are highly degenerate, so which eigenvectors are
    followed, and hence which minima of smaller isotropy (e.g. Δ(S6×S2)) their flows reach, is
    fixed only by round-off; those sinks are reported in ``outside`` and not asserted.
    """
    g = fp.transition_graph(fp.load_model("relu-teacher", {"d": 8}), isotropy="7,1", starts=200)
    G = g.graph
    inside = [
        s
        for s in g.summary["sinks"]
        if G.nodes[s["node"]]["isotropy"].startswith(("ΔS8", "Δ(S7×S1)"))
    ]
    sinks = sorted(G.nodes[s["node"]]["loss"] for s in inside)
    outside = sorted(
        (G.nodes[s["node"]]["loss"], G.nodes[s["node"]]["isotropy"])
        for s in g.summary["sinks"]
        if s not in inside
    )
    gate = {}
    for s in inside:
        preds = [G.nodes[u]["index"] for u in G.predecessors(s["node"])]
        gate[round(G.nodes[s["node"]]["loss"], 10)] = min(preds) if preds else None
    index1 = [u for u in G.nodes if G.nodes[u]["index"] == 1]
    targets = sorted({round(G.nodes[v]["loss"], 10) for u in index1 for v in G.successors(u)})
    return {
        "graph": g,
        "sinks": sinks,
        "outside": outside,
        "gate": gate,
        "index1_targets": targets,
    }


def run(report=None, slow=False):
    fams = {d: _families(d) for d in LOSS_D}
    claims = {}
    for name in ("F_A", "F_d-1", "F_d", "S1"):
        claims[f"loss_{name}"] = [fams[d][name].loss for d in LOSS_D]
    claims["index_d6"] = [fams[6][n].index for n in ("F_A", "F_d-1", "F_d")]
    claims["index_d7_d20"] = [
        fams[d][n].index for d in (7, 10, 20) for n in ("F_A", "F_d-1", "F_d")
    ]
    claims["index_S1"] = [fams[d]["S1"].index for d in (7, 10, 20, 100)]
    fa10 = fams[10]["F_A"].components
    claims["spectrum_F_A_d10_smallest"] = [fa10[0][0], fa10[0][1]]
    claims["spectrum_F_A_d10_smallest_component"] = fa10[0][2]
    fd10 = fams[10]["F_d"].components
    claims["spectrum_F_d_d10_smallest"] = [fd10[0][0], fd10[0][1]]
    # the global minimum (W = I) in Fix(ΔS_d): its isotypic spectrum against the closed form
    claims["global_min_spectrum_d10"] = [v for v, _ in _search("d", 10).points[0].spectrum]
    worst, same = 0.0, True
    for d in GLOBAL_D:
        glob = min(_search("d", d).points, key=lambda p: abs(p.loss))
        got, want = sorted(glob.spectrum), _global_min_spectrum(d)
        EXTRAS[f"global_min_d{d}"] = got
        same = same and [m for _, m in got] == [m for _, m in want]
        worst = max(
            worst, max(abs(a[0] - b[0]) / max(1.0, b[0]) for a, b in zip(got, want, strict=False))
        )
    claims["global_min_spectrum_every_d"] = [worst, same]
    # asymptotics at d = 1e8 (50 digits)
    big = _families(10**8, precision=50)
    EXTRAS["losses_1e8_digits"] = {k: p.digits["loss"] for k, p in big.items() if p}
    claims["asymptotic_F_A_times_d"] = big["F_A"].loss * 1e8
    hidden = 0.5 - 1 / math.pi
    claims["asymptotic_hidden_coefficient"] = [
        (big[n].loss - hidden) * 1e4 for n in ("F_d-1", "F_d")
    ]
    # the expansion in t = d^{-1/2} from d = 10⁴ to 10¹⁰ (40 digits), coefficients by PSLQ
    series, curves = _series(40, 1e10, 4, (10, 12), SERIES_FAST)
    keys = [(n, k) for n, ks in SERIES_FAST.items() for k in ks]
    EXTRAS["series"] = {
        f"{n} c{k}": [mpmath.nstr(v[0], 25), float(v[1]), v[2]] for (n, k), v in series.items()
    }
    claims["series_closed_forms"] = [series[key][2] for key in keys]
    claims["series_coefficients"] = [float(series[key][0]) for key in keys]
    if slow:  # 60 digits up to d = 10¹²: the next coefficients, known only as decimals before
        deep, _ = _series(60, 1e12, 8, (18, 22), SERIES_DEEP)
        keys = [(n, k) for n, ks in SERIES_DEEP.items() for k in ks]
        EXTRAS["series_deep"] = {
            f"{n} c{k}": [mpmath.nstr(v[0], 30), float(v[1]), v[2]] for (n, k), v in deep.items()
        }
        claims["series_new_closed_forms"] = [deep[key][2] for key in keys]
        claims["series_higher_coefficients"] = [float(deep[key][0]) for key in keys]
    crit = _critical_dimensions()
    EXTRAS["critical_dimensions"] = crit
    for n in ("F_A", "F_d-1", "F_d"):
        claims[f"critical_dimension_{n}"] = crit[n][0]
    claims["critical_components"] = [crit[n][1] for n in ("F_A", "F_d-1")]
    certified = {d: _certified(d) for d in range(6, 21)}
    verdicts = {
        d: {k: (p.certificate.verdict if p is not None else None) for k, p in fam.items()}
        for d, fam in certified.items()
    }
    EXTRAS["certificates"] = verdicts
    claims["certified_minima_d7_to_20"] = all(
        verdicts[d][n] == "minimum" for d in range(7, 21) for n in ("F_A", "F_d-1", "F_d")
    )
    claims["certified_d6"] = [verdicts[6][n] for n in ("F_A", "F_d-1", "F_d")]
    claims["certified_S1_saddle"] = all(verdicts[d]["S1"] == "saddle" for d in range(7, 21))
    # the Δ(S_{d-2}×S_2) two-rogue-neuron minima (Safran's GD data, digest §6)
    rogue = {d: _two_rogue(d) for d in (8, 10, 14, 20)}
    claims["two_rogue_losses"] = [rogue[d].loss for d in (10, 14, 20)]
    claims["two_rogue_certified_d8_d10"] = [
        _two_rogue(d, certify=True).certificate.verdict for d in (8, 10)
    ]
    # spectra: hidden and non-hidden agree to O(d^{-1/2})
    fit = _spectra_fit()
    EXTRAS["spectra_fit"] = fit
    claims["spectra_exponents"] = [fit["alpha_F_A"], fit["alpha_F_d"], fit["alpha_difference"]]
    claims["spectra_half_order_coefficients"] = [fit["a1_F_A"], fit["a1_F_d"]]
    # tangency arcs (digest §5) at d = 10 and 14
    arcs = {d: _arcs(d) for d in (10, 14)}
    names = ("F_A", "F_d-1", "F_d")
    claims["arc_mu_r0_d10"] = [arcs[10][n]["arc"].mu[0] for n in names]
    for d in (10, 14):
        first = [arcs[d][n]["arc"].crossings[0] for n in names]
        second = [arcs[d][n]["arc"].crossings[1] for n in names]
        claims[f"arc_saddle_loss_d{d}"] = [c.loss for c in first]
        claims[f"arc_saddle_distance_d{d}"] = [c.distance for c in first]
        claims[f"arc_barrier_d{d}"] = [c.barrier for c in first]
        claims[f"arc_saddle_index_d{d}"] = [c.index for c in first]
        claims[f"arc_end_loss_d{d}"] = [c.loss for c in second]
        claims[f"arc_end_distance_d{d}"] = [c.distance for c in second]
    claims["arc_end_isotropy_d10"] = [arcs[10][n]["arc"].crossings[1].isotropy for n in names]
    asym = [arcs[10][n]["asymmetry"] for n in names]
    EXTRAS["arc_asymmetry_d10"] = asym
    claims["arc_cubic_term_only_non_hidden"] = [asym[0] > 1e-6, asym[1] < 1e-12, asym[2] < 1e-12]
    # GD from Xavier init (digest §6): frequencies against Safran's data; hidden never reached
    gd = {d: _gd(d, _families(d)) for d in (GD_ALL if slow else GD_FAST)}
    EXTRAS["gd"] = gd
    claims["gd_spurious_fraction"] = [gd[d]["spurious"] for d in GD_FAST]
    claims["gd_F_A_fraction"] = [gd[d]["counts"]["F_A"] / GD_RUNS for d in GD_FAST]
    claims["gd_spurious_losses_d10"] = gd[10]["losses"]
    claims["gd_hidden_runs"] = sum(gd[d]["hidden"] for d in GD_FAST)
    if slow:
        claims["gd_spurious_fraction_d6_to_20"] = [gd[d]["spurious"] for d in GD_ALL]
        claims["gd_hidden_runs_d6_to_20"] = sum(gd[d]["hidden"] for d in GD_ALL)
    # transition graph at d = 8 in the symmetric subspace
    tg = _transition_graph()
    EXTRAS["transition_graph_d8"] = {k: v for k, v in tg.items() if k != "graph"}
    claims["transition_d8_minima"] = tg["sinks"]
    claims["transition_d8_index1_targets"] = tg["index1_targets"]
    claims["transition_d8_lowest_gate_index"] = [tg["gate"][round(v, 10)] for v in tg["sinks"]]
    if report is not None:
        EXTRAS["figures"] = _figures(
            Path(report), fams, fit, arcs, EXTRAS["critical_dimensions"], curves
        )
        EXTRAS["tables"] = _tables(Path(report), certified)
    return claims


def _axes():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    return fig, fig.subplots()


def _save(fig, path):
    fig.savefig(path, dpi=150)
    return str(path)


def _figures(out, fams, fit, arcs, crit, curves):
    """Losses against d (log-log, with the asymptotes; float64 searches up to d = 10⁴, the
    40-digit continuation ``curves`` up to 10¹⁰), smallest eigenvalues against d, the arc
    profiles at d = 10 and the real-d stability diagram; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    hidden = 0.5 - 1 / math.pi
    ds = sorted(set(fams) | set(fit["d"]))
    loss = {d: [fams[d][n].loss for n in ("F_A", "F_d-1", "F_d")] for d in fams}
    loss.update({d: row for d, row in zip(fit["d"], fit["losses"], strict=True)})
    x = np.array(ds, dtype=float)
    L = np.array([loss[d] for d in ds])
    fig, ax = _axes()
    ax.loglog(x, L[:, 0], "o", label="F_A: L")
    ax.loglog(x, (0.5 - 2 / math.pi**2) / x, "-", lw=0.8, label="(1/2 − 2/π²)/d")
    for j, name in ((1, "F_{d−1}"), (2, "F_d")):
        ax.loglog(x, hidden - L[:, j], "s" if j == 1 else "^", label=f"{name}: 1/2 − 1/π − L")
    for name, style in (("F_A", "-"), ("F_d-1", "-"), ("F_d", ":")):
        c = np.array(curves[name])
        ax.loglog(c[:, 0], c[:, 1], style, color="k", lw=0.7)
    ax.plot([], [], "k-", lw=0.7, label="40-digit continuation in d")
    xx = np.geomspace(x[0], 1e10, 50)
    ax.loglog(xx, (0.5 - 2 / math.pi**2) / xx, "-", lw=0.8, alpha=0.5)
    ax.loglog(xx, 4 / (3 * math.pi) / np.sqrt(xx), "--", lw=0.8, label="4/(3π) d^{-1/2}")
    ax.set_xlabel("d")
    ax.set_ylabel("loss / distance to the hidden limit")
    ax.legend(fontsize=8)
    written.append(_save(fig, out / "losses_vs_d.png"))

    fig, ax = _axes()
    lam = np.array(fit["lambda_min"])
    dd = np.array(fit["d"], dtype=float)
    ax.semilogx(dd, lam[:, 0], "o-", label="F_A smallest (standard component)")
    ax.semilogx(dd, lam[:, 1], "^-", label="F_d smallest ((d−2,1,1) component)")
    for v, txt in ((0.25 - 1 / (2 * math.pi), "1/4 − 1/2π"), (0.25, "1/4")):
        ax.axhline(v, color="gray", lw=0.6, ls=":")
        ax.text(dd[0], v, txt, fontsize=7, va="bottom")
    ax.set_xlabel("d")
    ax.set_ylabel("smallest Hessian eigenvalue")
    ax.legend(fontsize=8)
    written.append(_save(fig, out / "spectra_vs_d.png"))

    fig, ax = _axes()
    for name, a in arcs[10].items():
        arc = a["arc"]
        ax.plot(arc.radius, np.array(arc.loss) - a["center"], label=f"{name} ({arc.isotropy})")
        for c in arc.crossings:
            ax.plot(c.distance, c.barrier, "kx" if c.index else "ko", ms=5)
    ax.axhline(0, color="gray", lw=0.6)
    ax.set_xlabel("r = ‖W − W_c‖_F")
    ax.set_ylabel("L − L(c) along the minimising arc")
    ax.set_title("tangency arcs at d = 10 (x: index-1 saddle, o: minimum)")
    ax.legend(fontsize=8)
    written.append(_save(fig, out / "arc_profiles_d10.png"))

    fig, ax = _axes()
    for name, (dc, comp, _, curve) in crit.items():
        c = np.array(curve)
        ax.plot(c[:, 0], c[:, 1], label=f"{name}: d* = {dc:.6f}, {comp}")
        ax.plot(dc, 0, "ko", ms=4)
    ax.axhline(0, color="gray", lw=0.6)
    ax.set_xlabel("d (real)")
    ax.set_ylabel("smallest isotypic eigenvalue")
    ax.set_ylim(-0.05, 0.08)
    ax.legend(fontsize=8)
    written.append(_save(fig, out / "stability_in_real_d.png"))
    return written


def _tables(out, certified, verdicts_d=10):
    """LaTeX tables: the families at d = ``verdicts_d`` (coordinates, loss, index, certified
    verdict and radius, Arb), and every certified d (loss, verdict and radius per family)."""
    fam = certified[verdicts_d]
    rows = []
    for name, p in fam.items():
        if p is None:
            continue
        coords = ", ".join(f"{v:.8f}" for v in p.coordinates.values())
        cert = p.certificate
        rows.append(
            f"${name.replace('d-1', '{d-1}')}$ & ({coords}) & {p.loss:.10f} & {p.index} & "
            f"{cert.verdict} & {'' if cert.radius is None else f'{cert.radius:.1e}'} \\\\"
        )
    text = fp.export.latex_table(
        "llllll",
        r"family & coordinates & loss & index & certificate & radius \\",
        rows,
        f"Symmetric families of the $k = d = {verdicts_d}$ ReLU problem (coordinates $D_1, D_2, "
        r"O_1, C_{12}, C_{21}$ of Fix$(\Delta(S_{d-1}\times S_1))$; $F_d$: $D, O$ of "
        r"Fix$(\Delta S_d)$); radius: Krawczyk box (Arb)",
    )
    path = out / f"families_d{verdicts_d}.tex"
    path.write_text(text + "\n", encoding="utf-8")
    names = ("F_A", "F_d-1", "F_d", "S1")
    rows = []
    for d, fam in certified.items():
        cells = []
        for n in names:
            p = fam.get(n)
            if p is None:
                cells.append("--")
                continue
            c = p.certificate
            radius = "" if c.radius is None else f", {c.radius:.0e}"
            cells.append(f"{p.loss:.10f} ({c.verdict}{radius})")
        rows.append(f"{d} & " + " & ".join(cells) + " \\\\")
    text = fp.export.latex_table(
        "lllll",
        r"$d$ & $F_A$ & $F_{d-1}$ & $F_d$ & $S_1^-$ \\",
        rows,
        "Loss, certified verdict and Krawczyk radius (Arb) of each family for every d",
    )
    all_d = out / "families_certified.tex"
    all_d.write_text(text + "\n", encoding="utf-8")
    return [str(path), str(all_d)]
