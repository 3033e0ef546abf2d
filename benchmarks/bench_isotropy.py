"""Fixed points in Fix(Δ(S_{d-1}×S_1)) and their Hessian spectra for the ReLU teacher (k = d, V = I).

Run: ``python benchmarks/bench_isotropy.py [d ...]``. For each d: multistart Newton in the
5-dimensional reduced space (30 starts), then the full d²×d² Hessian spectrum of every distinct
point by isotypic components, two ways:

* ``reduced``: :func:`~fixedpoints.numeric.symmetry.isotypic.reduced_isotypic_spectrum` (Hessian of the
  reduced loss on a refined fixed space, no d×d arrays);
* ``hvp``: :func:`~fixedpoints.numeric.symmetry.isotypic.isotypic_spectrum` with 12 weight-space
  Hessian-vector products per point (Richardson differences of the exact population gradient);

and, for d ≤ ``DENSE_MAX``, the dense route (``dense_hessian`` + ``eigvalsh``) at the same points.

The pair kernels are compiled once (at d = 2) and given the d-dimensional teacher arrays, because
``compile_pair_kernels`` builds ``T`` entry by entry with SymPy (O(d²): ~8 s at d = 200; its time
is printed separately for small d).
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys
import time

import numpy as np

try:
    import fixedpoints as fp
except ModuleNotFoundError:  # run from a checkout that is not installed
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    import fixedpoints as fp

from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.numeric import PopulationLoss
from fixedpoints.numeric.derivatives import dense_hessian
from fixedpoints.numeric.symmetry.isotypic import (
    dense_spectrum,
    isotypic_spectrum,
    merge_spectrum,
    reduced_isotypic_spectrum,
    weight_space_hvp,
)
from fixedpoints.numeric.symmetry.young import YoungIsotropy

DIMS = (20, 50, 100, 200, 300, 500, 1000)
STARTS = 30
DENSE_MAX = 50
SEED = 0

_BASE = compile_pair_kernels(fp.load_model("relu-teacher", {"d": 2}))


def kernels(d):
    return dataclasses.replace(_BASE, T=np.eye(d), b=np.ones((d, 1)), a=np.ones((d, 1)))


def starts(d, n, rng):
    """D0, D1 ~ U(-1.5, 1.5); O0, C01, C10 ~ U(-3, 3)/d."""
    return np.column_stack([rng.uniform(-1.5, 1.5, (n, 2)), rng.uniform(-3, 3, (n, 3)) / d])


def distinct(res, loss, tol=1e-7):
    keep = []
    for i in np.nonzero(res.converged)[0]:
        if all(np.max(np.abs(res.x[i] - res.x[j])) > tol for j in keep):
            keep.append(i)
    return sorted(keep, key=lambda i: loss[i])


def collinear_students(W, tol=1e-9):
    """Whether two student rows are collinear (θ = 0 or π): there the loss is only C², the point
    is degenerate (not isolated), and finite-difference Hessians lose digits."""
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    C = np.abs(U @ U.T) - np.eye(len(W))
    return bool(C.max() > 1 - tol)


def max_diff(a, b):
    """Largest eigenvalue difference of two merged spectra (inf if multiplicities differ)."""
    if [m for _, m in a] != [m for _, m in b]:
        return float("inf")
    return max(abs(x - y) for (x, _), (y, _) in zip(a, b, strict=True))


def run(d, rng):
    kern = kernels(d)
    iso = YoungIsotropy((d - 1, 1), kern)
    pl = PopulationLoss(kern, np.eye(d))
    t0 = time.perf_counter()
    res = iso.solve(starts(d, STARTS, rng))
    loss = iso.reduced_loss(res.x)
    pts = distinct(res, loss)
    t_newton = time.perf_counter() - t0

    t_red = t_hvp = t_dense = 0.0
    diff_hvp = diff_dense = 0.0
    found = []
    for i in pts:
        x = res.x[i]
        t0 = time.perf_counter()
        red = reduced_isotypic_spectrum(iso, x)
        t_red += time.perf_counter() - t0
        W = iso.weights(x)
        t0 = time.perf_counter()
        hv = isotypic_spectrum(weight_space_hvp(pl, W), W, (d - 1, 1))
        t_hvp += time.perf_counter() - t0
        red_m = merge_spectrum(red)
        degenerate = collinear_students(W)
        if not degenerate:
            diff_hvp = max(diff_hvp, max_diff(red_m, merge_spectrum(hv)))
        index = sum(m for v, m, _ in red if v < -1e-9)
        found.append(f"{loss[i]:.10f}[{index}]" + ("*" if degenerate else ""))
        if d <= DENSE_MAX:

            def grad(X):
                return pl.gradient(X.reshape(X.shape[:-1] + (d, d)))[0].reshape(X.shape)

            t0 = time.perf_counter()
            dense = dense_spectrum(dense_hessian(grad, W.ravel()))
            t_dense += time.perf_counter() - t0
            if not degenerate:
                diff_dense = max(diff_dense, max_diff(red_m, dense))
    n = len(pts)
    return {
        "d": d,
        "converged": int(np.sum(res.converged)),
        "points": n,
        "newton": t_newton,
        "reduced": t_red,
        "hvp": t_hvp,
        "dense": t_dense if d <= DENSE_MAX else None,
        "diff_hvp": diff_hvp,
        "diff_dense": diff_dense if d <= DENSE_MAX else None,
        "found": found,
    }


def main(dims=DIMS):
    rng = np.random.default_rng(SEED)
    print("compile_pair_kernels(load_model('relu-teacher', d)) [s]:", end="")
    for d in (20, 50, 100):
        t0 = time.perf_counter()
        compile_pair_kernels(fp.load_model("relu-teacher", {"d": d}))
        print(f"  d={d}: {time.perf_counter() - t0:.2f}", end="")
    print()
    head = (
        f"{'d':>5} {'conv':>4} {'pts':>3} {'newton s':>8} {'iso-red s':>9} {'iso-hvp s':>9} "
        f"{'dense s':>8} {'x red':>8} {'x hvp':>6} {'|red-hvp|':>9} {'|red-dense|':>11} "
        f"{'red+newton':>10}"
    )
    print(head)
    rows = []
    for d in dims:
        r = run(d, rng)
        rows.append(r)
        dense = f"{r['dense']:8.2f}" if r["dense"] is not None else f"{'-':>8}"
        su_red = f"{r['dense'] / r['reduced']:8.0f}" if r["dense"] is not None else f"{'-':>8}"
        su_hvp = f"{r['dense'] / r['hvp']:6.1f}" if r["dense"] is not None else f"{'-':>6}"
        dd = f"{r['diff_dense']:11.1e}" if r["diff_dense"] is not None else f"{'-':>11}"
        print(
            f"{d:5d} {r['converged']:4d} {r['points']:3d} {r['newton']:8.3f} {r['reduced']:9.3f} "
            f"{r['hvp']:9.2f} {dense} {su_red} {su_hvp} {r['diff_hvp']:9.1e} {dd} "
            f"{r['newton'] + r['reduced']:10.3f}",
            flush=True,
        )
    print(
        "\n|red-hvp|, |red-dense|: largest eigenvalue difference between the routes over the"
        " non-degenerate points; x red / x hvp: dense time / isotypic time."
    )
    print("critical points found (loss[Morse index]; * = collinear students, degenerate):")
    for r in rows:
        print(f"  d={r['d']}: " + ", ".join(r["found"]))


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or DIMS)
