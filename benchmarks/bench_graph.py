"""Time to build transition graphs (fixed-point search + flows): relu-teacher d = 6, 8, 10 seeded
from Fix(Δ(S_{d-1}×S_1)), soft-committee k = m = 4 and relu-teacher d = 10 (weight-space search:
what ``fixedpoints graph relu-teacher --set d=10`` does, issue 18's target).

Each case builds the graph from one search three times, side by side in this process: along
every eigenvector (``directions="eigenvectors"``) and along the projected coordinate axes with one
flow per stabiliser orbit (``"symmetric"``), both with the flows' former tolerance
``rtol=1e-6``, then with the default ``symmetric``, ``rtol=1e-4``; it prints the ratios.

Run: ``python benchmarks/bench_graph.py [--starts N] [--only K] [--workers W]``; prints lines
per case.
"""

from __future__ import annotations

import argparse
import time

from fixedpoints.api import find_fixed_points, landscape
from fixedpoints.graphs import summary, transition_graph
from fixedpoints.models import load_model_file
from fixedpoints.numeric.symmetry import young_isotropy


def case(name, sets, isotropy, starts, workers):
    model = load_model_file(name).instantiate(sets)
    t0 = time.perf_counter()
    res = find_fixed_points(model, {}, starts=starts, seed=0, isotropy=isotropy, workers=workers)
    t1 = time.perf_counter()
    space = landscape(model, {})
    embed = None
    if isotropy:
        iso = young_isotropy(isotropy, space.d)

        def embed(xi):
            return iso.weights(xi).ravel()

    times, search = {}, t1 - t0
    variants = [("eigenvectors", 1e-6), ("symmetric", 1e-6), ("symmetric", 1e-4)]
    for directions, rtol in variants:
        t1 = time.perf_counter()
        G = transition_graph(
            space, res.points, embed=embed, directions=directions, rtol=rtol, workers=workers
        )
        times[directions, rtol] = t2 = time.perf_counter() - t1
        s = summary(G)
        sinks = ", ".join(f"{sk['loss']:.10g}" for sk in s["sinks"])
        print(
            f"{name} {' '.join(sets)} iso={isotropy} {directions} rtol={rtol:g}: search "
            f"{search:.2f} s, graph {t2:.2f} s; {s['nodes']} nodes ({len(res.points)} seeded), "
            f"{s['edges']} edges, {s['directions_followed']} starts in {s['flows']} flows, "
            f"{s['unresolved']} unresolved; sinks {sinks}",
            flush=True,
        )
    base, former, new = (times[v] for v in variants)
    print(
        f"  graph speed-up: symmetric over eigenvectors (rtol 1e-6) {base / former:.2f}x; "
        f"rtol 1e-4 over 1e-6 (symmetric) {former / new:.2f}x; default over eigenvectors "
        f"rtol 1e-6 {base / new:.2f}x",
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=200)
    ap.add_argument("--only", type=int, default=None, help="run case K (0-4) only")
    ap.add_argument("--workers", type=int, default=1, help="processes (search and flows)")
    args = ap.parse_args()
    cases = [("relu-teacher", [f"d={d}"], f"{d - 1},1") for d in (6, 8, 10)]
    cases += [("soft-committee", ["k=4", "m=4"], None), ("relu-teacher", ["d=10"], None)]
    for i, (name, sets, iso) in enumerate(cases):
        if args.only is None or args.only == i:
            case(name, sets, iso, args.starts, args.workers)


if __name__ == "__main__":
    main()
