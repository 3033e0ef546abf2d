"""Şimşek, Bendjeddou & Hsu (2025): claims reproduced with the public API (``README.md`` for the
mapping and the derivation).

``run()`` returns claim id -> computed value. The claims are grouped:

* here: the derivation (φ, overlap ODE, Hessian at the averaged point), β_c as a SymPy result in
  k and p, mixtures, the orthogonal fixed-point census and the continuation in β;
* ``escape.py``: the search-phase escape time against d;
* ``recovery.py``: convergence to the nearest index vector and the recovery probability;
* ``phase.py``: the (β, k) phase diagram from ``fixedpoints sweep``.

``run(report)`` writes the figures (branch diagram, escape time, recovery probability, phase
diagrams) and ``beta_c.tex`` into ``report`` when given (``fixedpoints study run`` gives
``report/`` next to this file); ``run()`` writes nothing, wherever it runs.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import sympy as sp
from scipy.optimize import brentq, fsolve

import fixedpoints as fp

HERE = Path(__file__).resolve().parent
PARTS = ("escape", "recovery", "phase")
EXTRAS: dict = {}

K_SYM = sp.Symbol("k", integer=True, positive=True)
P_SYM = sp.Symbol("p", integer=True, positive=True)
DEGREES = (3, 4, 5, 6)  # He_p targets: the first three fix the form in p, the last checks it
MIXTURES = (("He3+0.5*He4", 3), ("He3+He5", 4), ("He4+0.3*He6", 3), ("He3+0.2*He6", 5))


def _part(name: str):
    """A sibling part module (``escape.py`` ...) of this study."""
    return fp.study_part(HERE, name)


def _model(k, target, beta=None, d=None, n=1):
    settings = {"k": k, "n": n, "target": target}
    if beta is not None:
        settings["beta"] = beta
    if d is not None:
        settings["d"] = d
    return fp.load_model("multi-index", settings)


# ---------------------------------------------------------------------------------------------
# 1. derivation


def _phi(target: str) -> sp.Poly:
    r""":math:`\varphi(t)=\sum_pc_p^2p!\,t^p`, read off the derived loss :math:`L=-\varphi(m)` of one
    index vector (k = n = 1)."""
    flow = fp.derive(_model(1, target))
    (m,) = flow.variables
    return sp.Poly(-flow.loss, m)


def _phi_coefficients():
    return [float(c) for c in reversed(_phi("He3+0.5*He4").all_coeffs())]


def _ode_residual(k=3, beta=0.2, target="He3+0.5*He4", seed=0):
    r"""max over random m of :math:`|\dot m_{\rm derived}-\sum_l(G_{jl}-m_jm_l)\varphi'(m_l)|`."""
    system = fp.compile_flow(fp.derive(_model(k, target, beta)))
    G = (1 - beta) * np.eye(k) + beta * np.ones((k, k))
    dphi = np.polynomial.Polynomial([0, 0, 0, 6, 6]).deriv()  # phi = 6 t^3 + 6 t^4
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(20):
        m = rng.uniform(-1, 1, k)
        ref = G @ dphi(m) - m * (m @ dphi(m))
        worst = max(worst, float(np.max(np.abs(system.vector_field(m) - ref))))
    return worst


def _averaged_point(k, beta, target):
    system = fp.compile_flow(fp.derive(_model(k, target, beta)))
    mu = np.sqrt((1 + (k - 1) * beta) / k)
    return system, np.full(k, mu)


def _split_eigenvalue(k=3, beta=0.2):
    """Jacobian eigenvalues of the derived ODE at the averaged point on span{v_j} ⊥ w̄, for
    φ = t⁴ (He4's φ = 24 t⁴ divided by its leading coefficient)."""
    system, m = _averaged_point(k, beta, "He4")
    scale = float(_phi("He4").LC())
    h = 1e-6
    J = np.column_stack(
        [
            (system.vector_field(m + h * e) - system.vector_field(m - h * e)) / (2 * h)
            for e in np.eye(k)
        ]
    )
    basis = np.linalg.qr(np.column_stack([np.ones(k), np.eye(k)[:, : k - 1]]))[0][:, 1:]
    eig = np.sort(np.linalg.eigvals(basis.T @ J @ basis).real)
    return [float(x) / scale for x in eig]


# ---------------------------------------------------------------------------------------------
# 1b. beta_c in k and p


def _beta_c_in_k(p: int):
    """The library's closed form in the size k for the He_p target (flows derived at k = 3, 4, 5,
    interpolated in k and checked; :func:`fixedpoints.symbolic.symbolic_threshold_in_size`)."""
    res = fp.threshold(_model(3, f"He{p}"), "beta", 0.0, 0.999999, symbolic=("k",))
    if res.expression is None:
        raise RuntimeError(f"no closed form for He{p}: {res.symbolic_status}")
    return sp.sympify(res.expression, locals={"k": K_SYM})


def _beta_c_in_k_and_p():
    r"""β_c(k, p) from the library's closed forms in k at p = 3, 4, 5: the unique
    :math:`(a+bp)/(c+p)` through them (a, b, c functions of k; a linear solve), then checked exactly
    against the library at p = 6.

    Returns the expression, the list of per-degree results (as strings) and whether the check
    passed."""
    per_degree = {p: _beta_c_in_k(p) for p in DEGREES}
    a, b, c = sp.symbols("a b c")
    eqs = [sp.Eq(a + b * p, per_degree[p] * (c + p)) for p in DEGREES[:3]]
    sol = sp.solve(eqs, [a, b, c], dict=True)
    if len(sol) != 1:
        raise RuntimeError(f"no unique interpolant (a + b p)/(c + p): {sol}")
    expr = sp.factor(sp.simplify((a + b * P_SYM) / (c + P_SYM)).xreplace(sol[0]))
    checked = all(sp.simplify(expr.xreplace({P_SYM: p}) - per_degree[p]) == 0 for p in DEGREES[3:])
    return expr, {p: str(v) for p, v in per_degree.items()}, checked


def _note_condition_solution():
    r"""Independent route (the note's §3 condition, not the library): for
    :math:`\varphi=t^p`, :math:`(k-1)\mu\varphi'(\mu)=(1-\mu^2)\varphi''(\mu)` with
    :math:`\mu^2=(1+(k-1)\beta)/k`, solved for β with SymPy."""
    beta, t = sp.symbols("beta t", positive=True)
    phi = t**P_SYM
    mu = sp.sqrt((1 + (K_SYM - 1) * beta) / K_SYM)
    cond = ((K_SYM - 1) * t * sp.diff(phi, t) - (1 - t**2) * sp.diff(phi, t, 2)).subs(t, mu)
    cond = sp.simplify(cond / (P_SYM * mu ** (P_SYM - 2)))
    (root,) = sp.solve(cond, beta)
    return root


def _mixtures():
    """β_c of mixtures (library: continuation of the averaged point, Brent to 1e-10), their
    position between the pure lowest/highest-degree values, and the deviation from the root of
    the note's condition (λ_split = 0) computed from φ."""
    fractions, deviations, values = [], [], []
    for target, k in MIXTURES:
        res = fp.threshold(_model(k, target), "beta", 0.0, 0.999999)
        degrees = [int(s.split("He")[1]) for s in target.replace("*", "+").split("+") if "He" in s]
        lo, hi = [(p - 2) / (k + p - 2) for p in (min(degrees), max(degrees))]
        fractions.append((res.value - lo) / (hi - lo))
        dphi = _phi(target).diff()
        d2phi = dphi.diff()

        def split(beta, k=k, dphi=dphi, d2phi=d2phi):
            mu = np.sqrt((1 + (k - 1) * beta) / k)
            return k * mu * float(dphi(mu)) - (1 - beta) * float(d2phi(mu))

        root = brentq(split, 1e-9, 0.999999, xtol=1e-14)
        deviations.append(abs(root - res.value))
        values.append(res.value)
    return values, fractions, max(deviations)


# ---------------------------------------------------------------------------------------------
# 2. orthogonal case: the complete fixed-point set


def _census(target, k, starts=100):
    """Fixed points of one neuron for G = I in d = k + 2 (Morse index counted there): the
    non-degenerate orbits (the equator m = 0 is a degenerate critical sphere)."""
    res = fp.find_fixed_points(_model(k, target, 0.0, d=k + 2), starts=starts, seed=0)
    return [p for p in res.points if not p.degenerate], res


def _sign_vector_deviation(points, space) -> float:
    r"""max over points of the distance of m from a normalised sign vector on its support:
    :math:`m_j\in\{0,\pm|S|^{-1/2}\}`."""
    worst = 0.0
    for p in points:
        m = space.overlaps(p.x)[1].ravel()
        support = np.abs(m) > 1e-6
        ref = np.sign(m) * support / np.sqrt(support.sum())
        worst = max(worst, float(np.max(np.abs(m - ref))))
    return worst


def _orthogonal():
    out = {}
    counts = []
    for target, k in (("He3", 3), ("He4", 3), ("He4", 4)):
        pts, _ = _census(target, k)
        space = fp.landscape(_model(k, target, 0.0, d=k + 2))
        counts.append(sum(p.count for p in pts))
        out[f"dev_{target}_{k}"] = _sign_vector_deviation(pts, space)
        scale = float(_phi(target).LC())
        out[f"points_{target}_{k}"] = pts
        out[f"scale_{target}_{k}"] = scale
    he3 = out["points_He3_3"]
    levels = sorted({(round(p.loss / out["scale_He3_3"], 8), p.index) for p in he3})
    he4 = out["points_He4_4"]
    by_index = Counter()
    loss_by_index: dict = {}
    for p in he4:
        by_index[p.index] += p.count
        loss_by_index.setdefault(p.index, set()).add(round(p.loss / out["scale_He4_4"], 10))
    # degenerate family of the note's mixture phi = (t^3 + t^4)/2
    mix = "sqrt(1/12)*He3+sqrt(1/48)*He4"
    res = fp.find_fixed_points(_model(3, mix, 0.0, d=5), starts=100, seed=0)
    space = fp.landscape(_model(3, mix, 0.0, d=5))
    fam = [
        p
        for p in res.points
        if p.degenerate and 0.3 < float(np.linalg.norm(space.overlaps(p.x)[1])) < 0.99
    ]
    family = (
        [
            fam[0].index,
            fam[0].nullity,
            fam[0].loss,
            float(np.linalg.norm(space.overlaps(fam[0].x)[1])),
        ]
        if len(fam) == 1
        else [float("nan")] * 4
    )
    return {
        "orthogonal_fixed_point_counts": counts,
        "orthogonal_sign_vector_deviation": max(
            out[f"dev_{t}_{k}"] for t, k in (("He3", 3), ("He4", 3), ("He4", 4))
        ),
        "orthogonal_He3_k3_losses": [lv[0] for lv in levels],
        "orthogonal_He3_k3_indices": [lv[1] for lv in levels],
        "orthogonal_He4_k4_counts_by_index": [by_index[i] for i in range(4)],
        "orthogonal_He4_k4_losses_by_index": [
            float(next(iter(loss_by_index[i]))) if len(loss_by_index[i]) == 1 else float("nan")
            for i in range(4)
        ],
        "mixture_degenerate_family": family,
    }


# ---------------------------------------------------------------------------------------------
# 3. equiangular case: continuation in beta


def _max_overlap(family, beta, x) -> float:
    return float(np.max(family.at(beta).overlaps(x)[1]))


def _continuation(target, end):
    """All branches for k = 3 from β = 0 to ``end`` (d = k: fixed points in span V)."""
    model = _model(3, target, d=3)
    res = fp.continue_fixed_points(model, "beta", 0.0, end, starts=100, seed=0)
    return model, res.branches


def _near_index_fold(target, guess):
    r"""Independent location of the fold where the near-index minima :math:`m=(a,b,b)` disappear:
    Newton (:func:`scipy.optimize.fsolve`) on the derived overlap ODE restricted to the pattern,
    plus :math:`\det J_{(a,b)}=0`, unknowns :math:`(a, b, \beta)`."""
    flow = fp.derive(_model(3, target))
    system = fp.compile_flow(flow)

    def field(a, b, beta):
        v = system.vector_field(np.array([a, b, b]), {"beta": beta})
        return np.array([v[0], v[1]])

    def eqs(z):
        a, b, beta = z
        h = 1e-7
        J = np.column_stack(
            [
                (field(a + h, b, beta) - field(a - h, b, beta)) / (2 * h),
                (field(a, b + h, beta) - field(a, b - h, beta)) / (2 * h),
            ]
        )
        # F = 0 forces m^T G^-1 m = 1 (the unit sphere in span V); the radial eigenvalue of J is
        # -2 m.phi'(m) != 0, so det J = 0 exactly when the tangent eigenvalue vanishes
        return [*field(a, b, beta), np.linalg.det(J)]

    with warnings.catch_warnings():  # judged by the returned residual, not by fsolve's warning
        warnings.simplefilter("ignore", RuntimeWarning)
        z = fsolve(eqs, guess, xtol=1e-13)
    return float(z[2]), float(np.max(np.abs(eqs(z))))


def _equiangular():
    out = {}
    for target, end in (("He3", 0.35), ("He4", 0.6)):
        model, branches = _continuation(target, end)
        family = fp.LandscapeFamily(model, "beta")
        (avg,) = [b for b in branches if b.label == "averaged"]
        bp = [e for e in avg.events if e.kind == "branch_point"]
        out[f"averaged_{target}"] = [
            avg.points[0].index,
            avg.points[-1].index,
            bp[0].value if len(bp) == 1 else float("nan"),
        ]
        # near-index minima: minima at beta = 0 with one overlap 1; where they end (fold)
        minima = [
            b
            for b in branches
            if b.points[0].index == 0
            and b.points[0].parameter == 0.0
            and _max_overlap(family, 0.0, b.points[0].x) > 0.999
        ]
        folds = [e.value for b in minima for e in b.events if e.kind == "fold"]
        out[f"fold_{target}"] = folds
        out[f"branches_{target}"] = (branches, family)
        guess_x = minima[0].points[-1].x if minima else None
        if guess_x is not None and folds:
            m = family.at(folds[0]).overlaps(guess_x)[1].ravel()
            a, b = sorted(m)[-1], sorted(m)[0]
            beta_f, resid = _near_index_fold(target, [a, b, folds[0]])
            out[f"fold_check_{target}"] = (beta_f, resid)
    counts = {}
    for target, beta, d in (("He3", 0.2, 5), ("He3", 0.3, 3), ("He4", 0.3, 3), ("He4", 0.5, 3)):
        res = fp.find_fixed_points(_model(3, target, beta, d=d), starts=100, seed=0)
        counts[(target, beta)] = sum(p.count for p in res.points if not p.degenerate)
    EXTRAS["continuation"] = {
        t: [
            {"label": b.label, "status": b.status, "events": [(e.kind, e.value) for e in b.events]}
            for b in out[f"branches_{t}"][0]
        ]
        for t in ("He3", "He4")
    }
    return out, counts


def _fold_curve():
    r"""The fold of the near-index minima of He3 + c He4 (k = 3) as a curve in (β, c)
    (:func:`fixedpoints.continue_curves`): its points at c = 0.5 and 1, and the largest
    distance at c = 0.5, 1, 2 from the independent fold solve (:func:`_near_index_fold` with c
    written into the target)."""
    model = _model(3, "He3+c*He4")
    res = fp.continue_curves(model, "beta", 0.0, 0.6, "c", 0.25, 3.0, switch=False, starts=40)
    (fold,) = [c for c in res.curves if c.kind == "fold" and c.points and c.points[0].index == 0]
    at = {round(p.p2, 12): p for p in fold.points}
    plane = fp.LandscapePlane(model, "beta", "c")
    worst = 0.0
    for c in (0.5, 1.0, 2.0):
        p = at[c]
        m = np.sort(plane.at(p.p1, c).overlaps(p.x)[1].ravel())
        beta_f, _ = _near_index_fold(f"He3+{c!r}*He4", [m[-1], m[0], p.p1])
        worst = max(worst, abs(beta_f - p.p1))
    EXTRAS["fold_curve"] = {"points": fold.values(), "events": [e.kind for e in fold.events]}
    return [at[0.5].p1, at[1.0].p1], worst


# ---------------------------------------------------------------------------------------------
# figures


def _branch_figure(out: Path, eq: dict) -> list[str]:
    """Continuation in β (k = 3): largest overlap max_j m_j and loss per branch; minima solid,
    saddles dashed; events marked; β_c dotted."""
    from matplotlib.figure import Figure

    written = []
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, target, p in zip(axes, ("He3", "He4"), (3, 4), strict=True):
        branches, family = eq[f"branches_{target}"]
        for i, br in enumerate(branches):
            color = f"C{i % 10}"
            beta = np.array([q.parameter for q in br.points])
            mo = np.array([_max_overlap(family, q.parameter, q.x) for q in br.points])
            stable = [q.index == 0 for q in br.points]
            for i in range(len(beta) - 1):
                ax.plot(
                    beta[i : i + 2],
                    mo[i : i + 2],
                    "-" if stable[i] and stable[i + 1] else "--",
                    color=color,
                    lw=2.2 if br.label == "averaged" else 1.0,
                    label="averaged point" if br.label == "averaged" and i == 0 else None,
                )
            for ev in br.events:
                if ev.x is not None:
                    ax.plot(
                        ev.value,
                        _max_overlap(family, ev.value, ev.x),
                        "o" if ev.kind == "branch_point" else "s",
                        color="k",
                        mfc="none",
                    )
        bc = (p - 2) / (3 + p - 2)
        ax.axvline(bc, color="0.4", ls=":", lw=1)
        ax.text(bc, 0.02, " β_c", color="0.3", fontsize=9, transform=ax.get_xaxis_transform())
        ax.legend(fontsize=8, loc="lower left")
        ax.set_xlabel("β (equiangular overlap of the index vectors)")
        ax.set_ylabel("max_j m_j")
        ax.set_title(
            f"{target}, k = 3: fixed points in span V (solid: minima; o branch point, □ fold)",
            fontsize=8,
        )
    written.append(out / "branch_diagram.png")
    fig.savefig(written[-1], dpi=150)
    return [str(w) for w in written]


def _write_latex(out: Path, expr) -> str:
    path = out / "beta_c.tex"
    text = (
        "% beta_c of the averaged point, derived by fixedpoints (study simsek_2025_multi_index)\n"
        f"\\beta_c(k, p) = {sp.latex(expr)}\n"
    )
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------------------------


def run(report=None) -> dict:
    """Claim id -> computed value; with a ``report`` folder, also the figures, ``beta_c.tex``
    and the resumable sweep cache of the phase diagram there."""
    system, m = _averaged_point(3, 0.25, "He3")
    values = {
        "phi_coefficients_He3_half_He4": _phi_coefficients(),
        "overlap_ode_max_deviation": _ode_residual(),
        "averaged_point_residual_k3_He3_beta025": float(np.max(np.abs(system.vector_field(m)))),
        "jacobian_split_eigenvalues_k3_He4_beta02": _split_eigenvalue(),
    }

    expr, per_degree, checked = _beta_c_in_k_and_p()
    note_root = _note_condition_solution()
    values["beta_c_symbolic_k_p"] = str(expr)
    values["beta_c_symbolic_checked_at_p6"] = checked
    values["beta_c_matches_note_condition"] = bool(sp.simplify(expr - note_root) == 0)
    values["beta_c_He4_in_k"] = per_degree[4]
    values["beta_c_He3_in_k"] = per_degree[3]
    EXTRAS["beta_c"] = {"expression": str(expr), "latex": sp.latex(expr), "per_degree": per_degree}

    mix_values, fractions, deviation = _mixtures()
    values["mixture_beta_c_bracketed"] = fractions
    values["mixture_beta_c_vs_note_condition"] = deviation
    EXTRAS["mixtures"] = {f"{t} (k={k})": v for (t, k), v in zip(MIXTURES, mix_values, strict=True)}

    values.update(_orthogonal())

    eq, counts = _equiangular()
    values["averaged_index_and_threshold_He3_k3"] = eq["averaged_He3"]
    values["averaged_index_and_threshold_He4_k3"] = eq["averaged_He4"]
    values["near_index_minima_fold_He3_k3"] = eq["fold_He3"]
    values["near_index_minima_fold_He4_k3"] = eq["fold_He4"]
    values["near_index_fold_independent_check"] = max(
        abs(eq[f"fold_check_{t}"][0] - eq[f"fold_{t}"][0]) for t in ("He3", "He4")
    )
    values["fold_curve_He3_cHe4_k3"], values["fold_curve_independent_check"] = _fold_curve()
    values["equiangular_counts_He3_k3"] = [counts[("He3", 0.2)], counts[("He3", 0.3)]]
    values["equiangular_counts_He4_k3"] = [counts[("He4", 0.3)], counts[("He4", 0.5)]]

    part_extras = {}
    for name in PARTS:
        part_extras[name] = {"report": report}
        values.update(_part(name).run(part_extras[name]))

    if report is not None:
        out = Path(report)
        out.mkdir(parents=True, exist_ok=True)
        figures = [_write_latex(out, expr), *_branch_figure(out, eq)]
        for name in PARTS:
            figures += _part(name).figures(out, part_extras[name])
        EXTRAS["figures"] = figures
    return values
