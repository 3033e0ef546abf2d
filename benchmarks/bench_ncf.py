"""Cost of one KKT enumeration of the population NCF at the origin: relu-two-layer with 2 teacher
neurons (teacher_coefficients = 1, -0.5) for d = 5, 10, 20, 50, 100.

Run: ``python benchmarks/bench_ncf.py [--starts N] [--roots N]``; prints one line per d (wall time of
``kkt_points``, number of KKT points found by kind, the top value).
"""

from __future__ import annotations

import argparse
import collections
import time

import fixedpoints as fp
from fixedpoints.api.landscapes import model_teacher_vectors
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.numeric.ncf import ResidualNCF, kkt_points


def case(d, starts, roots):
    model = fp.load_model("relu-two-layer", {"d": d, "teacher_coefficients": "1,-0.5"})
    kernels = compile_pair_kernels(model)
    ncf = ResidualNCF(kernels, model_teacher_vectors(model, kernels.T))
    t0 = time.perf_counter()
    pts = kkt_points(ncf, starts=starts, roots=roots, seed=0)
    dt = time.perf_counter() - t0
    kinds = collections.Counter(p.kind for p in pts)
    print(
        f"d={d:4d}: {dt:7.2f} s, {len(pts)} KKT points ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}); "
        f"max N = {pts[0].value:.6f}",
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=24)
    ap.add_argument("--roots", type=int, default=24)
    args = ap.parse_args()
    for d in (5, 10, 20, 50, 100):
        case(d, args.starts, args.roots)


if __name__ == "__main__":
    main()
