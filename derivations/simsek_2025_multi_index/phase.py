r"""Claim 6 of Şimşek, Bendjeddou & Hsu (2025): the phase diagram of the averaged point over
:math:`(\beta, k)` for He3 and He4 targets, measured with ``fixedpoints sweep simulate``, with the
threshold :math:`\beta_c(k)` of ``fixedpoints threshold --symbolic k`` overlaid.

Setting (paper note §1, §3): one spherical neuron per run learns
:math:`f^*(x)=\sum_{j=1}^k\sigma^*(v_j^\top x)` with equiangular index vectors
:math:`v_i^\top v_j=\beta` under the correlation loss. The averaged point
:math:`\bar w=\sum_jv_j/\|\sum_jv_j\|` (overlaps :math:`m_j=\mu`, :math:`\mu^2=(1+(k-1)\beta)/k`) is
a saddle of index :math:`k-1` for :math:`\beta<\beta_c` and a minimum above, with
:math:`\beta_c=(p-2)/(k+p-2)` for a pure :math:`\mathrm{He}_p` target. So a random neuron ends at
:math:`\bar w` with probability 0 below :math:`\beta_c`. Above :math:`\beta_c` the near-index
minima (one overlap near 1) survive up to their fold :math:`\beta_s(k)\ge\beta_c(k)`
(bistable window, found in this work; ``fixedpoints continue`` shows the fold), and above
:math:`\beta_s` the averaged point is the only minimum in span V, so every neuron that leaves the
equator :math:`m=0` ends there.

The sweep: ``fixedpoints sweep simulate multi-index`` over beta = 0, 0.05, ..., 0.6 (13 values),
k = 2..6 and target = He3, 0.5*He4 (130 grid points, 100 neurons each, d = 20, gradient descent
with step 0.028 up to t = 8, stop when the gradient is below 1e-6). The He4 target is scaled by
1/2: the loss scales by 1/4, which only rescales time (gradient descent on L/4 with step 4*eta
makes the same iterates as on L with step eta), so the fixed points, beta_c and the basins are
those of He4, and both targets share one step size that is stable at the largest curvature of
the grid (Hessian eigenvalue :math:`k\mu\varphi'(\mu)` at k = 6, beta = 0.6: 58.8 for He3, 64
for 0.5*He4; step x eigenvalue <= 1.8 < 2).

The colour of the diagram is the fraction of neurons that ``simulate`` labels ``averaged`` (all
overlaps positive and equal to 1e-3 relative); for the even He4 target the loss is invariant
under :math:`w\to-w`, so a neuron at :math:`-\bar w` (all overlaps negative and equal) counts too.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sympy as sp

import fixedpoints as fp

HERE = Path(__file__).resolve().parent

#: label -> (target expression passed to the preset, Hermite degree p)
TARGETS = {"He3": ("He3", 3), "He4": ("0.5*He4", 4)}
BETA_GRID = (0.0, 0.6, 13)  # A:B:N of `--grid beta`
BETA_STEP = (BETA_GRID[1] - BETA_GRID[0]) / (BETA_GRID[2] - 1)
KS = (2, 3, 4, 5, 6)
DIMENSION = 20
SIMULATE_ARGS = ("--runs", "100", "--t-max", "8", "--lr", "0.028", "--gradient-tol", "1e-6")
WORKERS = 2
SEED = 0
#: claim 2 looks at beta >= beta_c + MARGIN; the widest bistable window on the grid is 0.068
MARGIN = 0.1
#: a neuron that converged with max_j |m_j| below this stayed at the equator m = 0
EQUATOR = 0.1


def _sweep_argv(out: Path) -> list[str]:
    a, b, n = BETA_GRID
    return [
        "sweep",
        "simulate",
        "multi-index",
        "--grid",
        f"beta={a:g}:{b:g}:{n}",
        "--grid",
        "k=" + ",".join(str(k) for k in KS),
        "--grid",
        "target=" + ",".join(expr for expr, _ in TARGETS.values()),
        "--set",
        f"d={DIMENSION}",
        "--out",
        str(out),
        "--workers",
        str(WORKERS),
        "--seed",
        str(SEED),
        "--json",
        "--quiet",
        "--no-plot",
        "--",
        *SIMULATE_ARGS,
    ]


def _cache_dir(report: Path) -> Path:
    """``REPORT/sweeps/phase-<hash>`` (the study's report folder, git-ignored); the hash of the
    sweep's arguments keeps sweeps of different settings apart, so a rerun resumes its own."""
    key = json.dumps(_sweep_argv(Path("OUT")))
    return report / "sweeps" / f"phase-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def _start_sweep(out: Path) -> subprocess.Popen:
    """Start ``python -m fixedpoints sweep ...`` (a Dask LocalCluster of WORKERS processes)."""
    return subprocess.Popen(
        [sys.executable, "-m", "fixedpoints", *_sweep_argv(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish_sweep(proc: subprocess.Popen) -> dict:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(
            f"fixedpoints sweep exited with {proc.returncode}: {stderr.strip()[-2000:]}"
        )
    return json.loads(stdout)


def beta_c_expression(target: str) -> sp.Expr:
    r"""The threshold :math:`\beta_c(k)` of the averaged point, from ``fp.threshold`` with the
    size k symbolic (what ``fixedpoints threshold multi-index --param beta --symbolic k`` prints).

    Parameters
    ----------
    target : str
        Target expression of the ``multi-index`` preset (e.g. ``'He3'``).

    Returns
    -------
    sympy.Expr
        :math:`\beta_c` as a function of the symbol ``k``; :math:`(p-2)/(k+p-2)` for
        :math:`\mathrm{He}_p`.
    """
    model = fp.load_model("multi-index", {"target": target, "k": 3, "n": 1})
    res = fp.threshold(model, "beta", 0.0, 0.999999, symbolic=("k",))
    if res.expression is None:
        raise RuntimeError(f"no closed-form beta_c(k) for {target}: {res.symbolic_status}")
    return sp.sympify(res.expression, locals={"k": sp.Symbol("k")})


def _averaged(M: np.ndarray, even: bool) -> np.ndarray:
    """Runs at the averaged point: the label of ``simulate`` (all overlaps positive and equal to
    1e-3 relative), applied to ``-M`` as well when the target is even."""
    scale = np.abs(M).max(axis=1)
    equal = np.ptp(M, axis=1) <= 1e-3 * scale
    at = np.all(M > 0, axis=1) & equal
    if even:
        at |= np.all(M < 0, axis=1) & equal
    return at


def point_fractions(record: dict, even: bool) -> dict:
    r"""Outcome fractions of one grid point of the sweep.

    Parameters
    ----------
    record : dict
        A ``points/<key>.json`` record of ``fixedpoints sweep simulate`` (one neuron per run).
    even : bool
        Even target: :math:`-\bar w` counts as the averaged point.

    Returns
    -------
    dict
        ``averaged``: fraction of all runs at the averaged point (the tool's ``averaged`` label
        agrees on the positive ones); ``converged``: runs with status ``converged`` and
        :math:`\max_j|m_j|\ge 0.1` (they left the equator and reached a fixed point);
        ``averaged_of_converged``: the averaged fraction among those (NaN if none).
    """
    runs = record["result"]["runs"]
    M = np.array([r["overlaps"][0] for r in runs], dtype=float)
    at = _averaged(M, even)
    labelled = np.array([r["outcome"] == "averaged" for r in runs])
    if np.any(labelled & ~at):
        raise RuntimeError(f"runs labelled averaged fail the averaged test at {record['point']}")
    done = np.array([r["status"] == "converged" for r in runs]) & (np.abs(M).max(axis=1) >= EQUATOR)
    return {
        "averaged": float(at.mean()),
        "converged": int(done.sum()),
        "averaged_of_converged": float((at & done).sum() / done.sum()) if done.any() else np.nan,
    }


def transition(betas, fractions) -> float:
    r"""Where the averaged fraction crosses 1/2 along a grid line of fixed k: the midpoint between
    the first grid :math:`\beta` with fraction > 1/2 and the grid point before it,
    :math:`\beta_t=\beta_{i^*}-h/2` (NaN when no point exceeds 1/2)."""
    for b, f in sorted(zip(betas, fractions, strict=True)):
        if f > 0.5:
            return float(b - BETA_STEP / 2)
    return float("nan")


def fold_beta(k: int, p: int) -> float:
    r"""Reference computation (not the tool): the fold :math:`\beta_s(k)` where the near-index
    minima of :math:`\varphi=t^p` disappear.

    By the :math:`S_{k-1}` symmetry the near-index minimum lies on the line
    :math:`m\propto(1,r,\dots,r)`; on the sphere (:math:`m^\top G^{-1}m=1`,
    :math:`G^{-1}=\frac{1}{1-\beta}\bigl(I-\frac{\beta}{1-\beta+k\beta}\mathbf 1\mathbf 1^\top\bigr)`)
    the loss along it is :math:`\ell(r)=-a(r)^p\,(1+(k-1)r^p)`, :math:`a(r)^{-2}=m^\top G^{-1}m`
    at :math:`m=(1,r,\dots,r)`. :math:`\beta_s` is the largest :math:`\beta` at which
    :math:`\ell` has a local minimum with :math:`r<1` (bisection, 1e-6). It agrees with the
    index-0 folds of ``fixedpoints continue multi-index --param beta`` to 1e-5 (He3: k = 4, 5, 6
    -> 0.22401, 0.20000, 0.18274; He4: k = 3, 5, 6 -> 0.41603, 0.33996, 0.31758); for k = 2,
    :math:`\beta_s=\beta_c`.
    """
    r = np.linspace(-0.9, 0.995, 40001)

    def has_minimum(beta):
        c, e = 1 / (1 - beta), beta / ((1 - beta) * (1 - beta + k * beta))
        q = c * (1 + (k - 1) * r**2) - e * (1 + (k - 1) * r) ** 2
        loss = -(q ** (-p / 2)) * (1 + (k - 1) * r**p)
        return bool(np.any((loss[1:-1] < loss[:-2]) & (loss[1:-1] < loss[2:])))

    lo, hi = (p - 2) / (k + p - 2) - 1e-3, 0.95
    while hi - lo > 1e-6:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if has_minimum(mid) else (lo, mid)
    return lo


def run(extras: dict | None = None) -> dict:
    r"""Run the (beta, k, target) sweep and compute the phase-diagram claims.

    Without a report folder (``extras["report"]`` None) the sweep writes to a temporary folder
    (a fresh run every time); with one, to ``REPORT/sweeps/phase-<hash>/``, so a rerun resumes
    and reuses finished points. The thresholds :math:`\beta_c(k)` are derived while the sweep
    runs.

    Parameters
    ----------
    extras : dict, optional
        Filled with ``extras["phase"]``: per target the table rows (beta, k, status, averaged
        fraction, ...), the expression of :math:`\beta_c(k)`, the transitions and the sweep
        settings, for :func:`figures`. ``extras["phase_sweep_dir"]`` (if given) is the sweep
        folder; ``extras["report"]`` the study's report folder (or None).

    Returns
    -------
    dict
        Claim id -> value, per target T in (He3, He4):

        - ``phase_T_beta_c_overlay``: :math:`\beta_c(k)` for k = 2..6 from the tool's expression;
        - ``phase_T_averaged_fraction_below_beta_c``: the largest averaged fraction over grid
          points with :math:`\beta<\beta_c(k)`;
        - ``phase_T_averaged_fraction_above_window``: the smallest averaged fraction among
          converged neurons off the equator over grid points with
          :math:`\beta\ge\beta_c(k)+0.1`;
        - ``phase_T_transition_lag``: :math:`\max_k|\beta_t(k)-\beta_c(k)|` with
          :math:`\beta_t` from :func:`transition`.
    """
    extras = {} if extras is None else extras
    t0 = time.perf_counter()
    given = extras.get("phase_sweep_dir")
    report = extras.get("report")
    if given is None and report is None:
        with tempfile.TemporaryDirectory(prefix="phase-sweep-") as tmp:
            return _run(Path(tmp), extras, t0)
    return _run(Path(given) if given else _cache_dir(Path(report)), extras, t0)


def _run(out: Path, extras: dict, t0: float) -> dict:
    proc = _start_sweep(out)
    try:
        k = sp.Symbol("k")
        expressions = {label: beta_c_expression(expr) for label, (expr, _) in TARGETS.items()}
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    doc = _finish_sweep(proc)
    records = [json.loads(f.read_text()) for f in sorted((out / "points").glob("*.json"))]
    claims, phase = {}, {"sweep_dir": str(out), "sweep_argv": _sweep_argv(out), "targets": {}}
    for label, (expr, p) in TARGETS.items():
        beta_c = {kk: float(expressions[label].subs(k, kk)) for kk in KS}
        rows = []
        for rec in records:
            point = rec["point"]
            if point["target"] != expr:
                continue
            row = {"beta": point["beta"], "k": point["k"], "status": rec["status"]}
            if rec["status"] == "ok":
                row.update(point_fractions(rec, even=p % 2 == 0))
            rows.append(row)
        ok = [r for r in rows if r["status"] == "ok"]
        below = [r["averaged"] for r in ok if r["beta"] < beta_c[r["k"]] - 1e-9]
        above = [
            r["averaged_of_converged"] for r in ok if r["beta"] >= beta_c[r["k"]] + MARGIN - 1e-9
        ]
        trans = {
            kk: transition(
                [r["beta"] for r in ok if r["k"] == kk],
                [r["averaged"] for r in ok if r["k"] == kk],
            )
            for kk in KS
        }
        claims[f"phase_{label}_beta_c_overlay"] = [beta_c[kk] for kk in KS]
        claims[f"phase_{label}_averaged_fraction_below_beta_c"] = max(below) if below else None
        claims[f"phase_{label}_averaged_fraction_above_window"] = (
            None if not above else float("nan") if np.isnan(above).any() else min(above)
        )
        claims[f"phase_{label}_transition_lag"] = max(abs(trans[kk] - beta_c[kk]) for kk in KS)
        phase["targets"][label] = {
            "target": expr,
            "degree": p,
            "beta_c_expression": str(expressions[label]),
            "beta_c": beta_c,
            "transition": trans,
            "rows": rows,
            "failed": sum(r["status"] != "ok" for r in rows),
        }
    phase["failed"] = doc.get("failed")
    phase["seconds"] = round(time.perf_counter() - t0, 2)
    extras["phase"] = phase
    return claims


def figures(out: Path, extras: dict) -> list[str]:
    r"""Write ``phase_diagram_He3.png`` and ``phase_diagram_He4.png``.

    Each shows the averaged fraction over the (beta, k) grid (``fp.export.phase_diagram_figure``)
    with :math:`\beta_c(k)` (the tool's expression, for real k) as a
    solid line and the fold :math:`\beta_s(k)` of the near-index minima (:func:`fold_beta`,
    reference computation) as a dashed line: the bistable window lies between them.

    Parameters
    ----------
    out : pathlib.Path
        Folder for the figures (created if missing).
    extras : dict
        As filled by :func:`run` (run first if it is not).

    Returns
    -------
    list of str
        The paths written.
    """

    if "phase" not in extras:
        run(extras)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    k = sp.Symbol("k")
    written = []
    for label, data in extras["phase"]["targets"].items():
        expr = sp.sympify(data["beta_c_expression"], locals={"k": k})
        ks = np.linspace(KS[0] - 0.5, KS[-1] + 0.5, 101)
        beta_c = [float(expr.subs(k, float(x))) for x in ks]
        folds = [fold_beta(kk, data["degree"]) for kk in KS]
        rows = [
            {
                "beta": r["beta"],
                "k": r["k"],
                "status": r["status"],
                "averaged fraction": r.get("averaged"),
            }
            for r in data["rows"]
        ]
        fig = fp.export.phase_diagram_figure(
            rows,
            "beta",
            "k",
            "averaged fraction",
            title=f"multi-index, {label} target ({data['target']}), d = {DIMENSION}: fraction "
            "of neurons at the averaged point",
            curves=[
                (beta_c, ks, rf"$\beta_c(k) = {sp.latex(expr)}$ (fixedpoints threshold)", "r-"),
                (folds, KS, r"fold of the near-index minima (reference)", "w--o"),
            ],
        )
        path = out / f"phase_diagram_{label}.png"
        fig.savefig(path, dpi=120)
        written.append(str(path))
    return written


if __name__ == "__main__":
    extras: dict = {"report": HERE / "report"}
    start = time.perf_counter()
    values = run(extras)
    elapsed = time.perf_counter() - start
    for key, value in values.items():
        print(f"{key}: {value}")
    for label, data in extras["phase"]["targets"].items():
        print(f"{label}: beta_c(k) = {data['beta_c_expression']}")
        for kk in KS:
            line = [r for r in data["rows"] if r["k"] == kk and r["status"] == "ok"]
            cells = " ".join(
                f"{r['beta']:.2f}:{r['averaged']:.2f}"
                for r in sorted(line, key=lambda r: r["beta"])
            )
            print(
                f"  k={kk} beta_c={data['beta_c'][kk]:.4f} beta_s={fold_beta(kk, data['degree']):.4f}"
                f" transition={data['transition'][kk]:.3f} | {cells}"
            )
    print(f"run(): {elapsed:.1f} s (sweep folder {extras['phase']['sweep_dir']})")
    start = time.perf_counter()
    paths = figures(HERE / "report", extras)
    print(f"figures(): {time.perf_counter() - start:.1f} s -> {', '.join(paths)}")
