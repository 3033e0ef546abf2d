"""Multistart completeness on the multi-index model (He4 target, orthogonal index vectors, one
neuron in d = k + 2): the isolated fixed points are the normalised sign vectors on every support,
3^k - 1 of them (simsek_2025_multi_index.md §4). Reports the number of starts needed to find all
of them against k, and the time. Run: python benchmarks/bench_multistart.py"""

from __future__ import annotations

import time

import fixedpoints as fp
from fixedpoints.numeric.fixed_points import find_fixed_points

print(f"{'k':>3} {'d':>3} {'expected':>9} {'starts needed':>14} {'found':>6} {'seconds':>8}")
for k in (2, 3, 4, 5):
    model = fp.load_model("multi-index", {"k": k, "beta": 0, "target": "He4", "d": k + 2})
    space = fp.landscape(model)
    expected = 3**k - 1
    for starts in (10, 20, 40, 80, 160, 320, 640, 1280, 2000):
        t0 = time.perf_counter()
        res = find_fixed_points(space, starts=starts, seed=0)
        dt = time.perf_counter() - t0
        found = sum(p.count for p in res.points if not p.degenerate)
        if found >= expected:
            break
    print(f"{k:>3} {k + 2:>3} {expected:>9} {starts:>14} {found:>6} {dt:>8.2f}")
