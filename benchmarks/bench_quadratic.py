r"""Exact (Riccati) dynamics of the quadratic network against direct simulation, side by side in one
process (issue: exact and fast dynamics for this model class).

Run: ``python benchmarks/bench_quadratic.py [--skip-default]`` (about 3 minutes, most of it the
direct simulations).

1. **d = 200, orthonormal case** (α = m/d = 0.5, α* = m*/d = 0.25, one run to γ = t/d = 10):
   ``fp.simulate(method="exact")`` (the Riccati solution, three scalar ODEs for this start) against
   ``fp.simulate(method="flow")`` on the 20 000 weights at rtol 1e-6 (the default) and 1e-8. Accuracy:
   :math:`|\mathcal L(t_{\rm end})-\mathcal L_{\rm ref}|` and the relative Frobenius error of
   :math:`Z(t_{\rm end})`, the reference being the exact flow at rtol 1e-12.
2. **The 100-run case** ``simulate quadratic --set teacher_eigenvalues=5,3,2 --set d=5 --set m=2``:
   the default method (``flow``) and ``exact``: wall time, runs converged, max :math:`|L-2.5|` (the
   previous default, Dormand–Prince alone, is in ``bench_stiff.py``: about 80 s).
3. **One d = ∞ solve** (the study's ``limit.py``): φ(γ) and χ(γ) on 200 points of [1e-3, 10] for one
   (α, α*) pair.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

import fixedpoints as fp

ROOT = Path(__file__).resolve().parents[1]


def _model(eigs, d, m):
    text = ",".join(repr(float(v)) for v in eigs)
    return fp.load_model("quadratic", {"teacher_eigenvalues": text, "d": d, "m": m})


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def orthonormal_d200():
    d, m, ms = 200, 100, 50
    model = _model([1 / ms] * ms, d, m)
    kw = dict(runs=1, init="orthonormal", scale=1 / np.sqrt(m), gradient_tol=0.0)
    t_end = 10.0 * d

    def final_Z(sim):
        W = np.asarray(sim.W[0])
        return W.T @ W

    ref = fp.simulate(model, method="exact", times=[0.0, t_end], rtol=1e-12, atol=1e-14, **kw)
    Zr, Lr = final_Z(ref), float(ref.final_losses[0])
    rows = []
    for label, call in (
        (
            "exact (rtol 1e-10)",
            lambda: fp.simulate(model, method="exact", times=[0.0, t_end], **kw),
        ),
        ("flow rtol 1e-6", lambda: fp.simulate(model, method="flow", t_max=t_end, **kw)),
        (
            "flow rtol 1e-8",
            lambda: fp.simulate(model, method="flow", t_max=t_end, rtol=1e-8, atol=1e-11, **kw),
        ),
    ):
        sim, sec = _timed(call)
        err_Z = np.linalg.norm(final_Z(sim) - Zr) / np.linalg.norm(Zr)
        rows.append((label, sec, abs(float(sim.final_losses[0]) - Lr), err_Z, int(sim.steps[0])))
    print("1. d = 200, orthonormal, alpha = 0.5, alpha* = 0.25, t = 10 d (one run)")
    print(f"   {'method':20s} {'seconds':>8s} {'|dL|':>9s} {'|dZ|/|Z|':>9s} {'steps':>7s}")
    for label, sec, dl, dz, steps in rows:
        print(f"   {label:20s} {sec:8.2f} {dl:9.1e} {dz:9.1e} {steps:7d}")
    for label, sec, *_ in rows[1:]:
        print(f"   speed-up of exact over {label}: {sec / rows[0][1]:.0f}x")


def hundred_runs(skip_default: bool):
    model = _model([5, 3, 2], 5, 2)
    print("2. simulate quadratic, teacher (5, 3, 2), d = 5, m = 2, 100 runs")
    for method in ("exact",) + (() if skip_default else ("flow",)):
        sim, sec = _timed(lambda method=method: fp.simulate(model, runs=100, method=method))
        conv = sum(s == fp.Status.CONVERGED for s in sim.status)
        err = float(np.max(np.abs(np.asarray(sim.final_losses) - 2.5)))
        print(f"   {method:6s} {sec:7.2f} s, converged {conv}/100, max |L - 2.5| = {err:.1e}")


def limit_solve():
    spec = importlib.util.spec_from_file_location(
        "martin_limit", ROOT / "derivations/martin_2024_quadratic/limit.py"
    )
    limit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(limit)
    g = np.geomspace(1e-3, 10, 200)
    limit.limit_curves(0.5, 0.25, g)  # warm-up (imports, quadrature nodes)
    best = min(_timed(lambda: limit.limit_curves(0.5, 0.25, g))[1] for _ in range(3))
    print(f"3. one d = inf solve (alpha, alpha*) = (0.5, 0.25), 200 gammas: {best * 1e3:.1f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-default", action="store_true", help="skip the default method in 2.")
    args = ap.parse_args()
    orthonormal_d200()
    hundred_runs(args.skip_default)
    limit_solve()


if __name__ == "__main__":
    main()
