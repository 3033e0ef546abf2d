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

import math

import fixedpoints as fp

STARTS = 400
EXTRAS: dict = {}


def _model():
    return fp.load_model("relu-teacher", {"d": 8})  # a template: d is passed as `dimension`


def _search(iso, d, **kw):
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
    fam = _families(d, certify=True)
    return {k: (p.certificate.verdict if p is not None else None) for k, p in fam.items()}


def _critical_dimensions():
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
                out[name] = (e.value, e.component, e.multiplicity_formula)
    return out


def run(report=None):
    fams = {d: _families(d) for d in (6, 7, 10, 20, 100)}
    claims = {}
    for name in ("F_A", "F_d-1", "F_d", "S1"):
        claims[f"loss_{name}"] = [fams[d][name].loss for d in (7, 10, 20, 100)]
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
    for d in (6, 10, 20):
        glob = [p for p in _search("d", d).points if p.loss == 0.0]
        EXTRAS[f"global_min_d{d}"] = glob[0].spectrum if glob else None
    claims["global_min_spectrum_d10"] = [v for v, _ in _search("d", 10).points[0].spectrum]
    EXTRAS["global_min_closed_form_d10"] = _global_min_spectrum(10)
    # asymptotics at d = 1e8 (50 digits)
    big = _families(10**8, precision=50)
    EXTRAS["losses_1e8_digits"] = {k: p.digits["loss"] for k, p in big.items() if p}
    claims["asymptotic_F_A_times_d"] = big["F_A"].loss * 1e8
    hidden = 0.5 - 1 / math.pi
    claims["asymptotic_hidden_coefficient"] = [
        (big[n].loss - hidden) * 1e4 for n in ("F_d-1", "F_d")
    ]
    crit = _critical_dimensions()
    EXTRAS["critical_dimensions"] = crit
    for n in ("F_A", "F_d-1", "F_d"):
        claims[f"critical_dimension_{n}"] = crit[n][0]
    claims["critical_components"] = [crit[n][1] for n in ("F_A", "F_d-1")]
    verdicts = {d: _certified(d) for d in range(6, 21)}
    EXTRAS["certificates"] = verdicts
    claims["certified_minima_d7_to_20"] = all(
        verdicts[d][n] == "minimum" for d in range(7, 21) for n in ("F_A", "F_d-1", "F_d")
    )
    claims["certified_d6"] = [verdicts[6][n] for n in ("F_A", "F_d-1", "F_d")]
    claims["certified_S1_saddle"] = all(verdicts[d]["S1"] == "saddle" for d in range(7, 21))
    return claims
