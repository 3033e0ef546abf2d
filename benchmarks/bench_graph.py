"""Time to build transition graphs (fixed-point search + flows): relu-teacher d = 6, 8, 10 seeded
from Fix(Δ(S_{d-1}×S_1)), soft-committee k = m = 4 and relu-teacher d = 10 (weight-space search:
what ``fixedpoints graph relu-teacher --set d=10`` does, issue 18's target).

Run: ``python benchmarks/bench_graph.py [--starts N]``; prints one line per case.
"""

from __future__ import annotations

import argparse
import time

from fixedpoints.api import find_fixed_points, landscape
from fixedpoints.graphs import summary, transition_graph
from fixedpoints.models import load_model_file
from fixedpoints.numeric.symmetry import young_isotropy


def case(name, sets, isotropy, starts):
    model = load_model_file(name).instantiate(sets)
    t0 = time.perf_counter()
    res = find_fixed_points(model, {}, starts=starts, seed=0, isotropy=isotropy)
    t1 = time.perf_counter()
    space = landscape(model, {})
    embed = None
    if isotropy:
        iso = young_isotropy(isotropy, space.d)

        def embed(xi):
            return iso.weights(xi).ravel()

    G = transition_graph(space, res.points, embed=embed)
    t2 = time.perf_counter()
    s = summary(G)
    sinks = ", ".join(f"{sk['loss']:.10g}" for sk in s["sinks"])
    print(
        f"{name} {' '.join(sets)} iso={isotropy}: search {t1 - t0:.2f} s, graph {t2 - t1:.2f} s; "
        f"{s['nodes']} nodes ({len(res.points)} seeded), {s['edges']} edges, "
        f"{s['directions_followed']} starts, {s['unresolved']} unresolved; sinks {sinks}",
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=200)
    args = ap.parse_args()
    for d in (6, 8, 10):
        case("relu-teacher", [f"d={d}"], f"{d - 1},1", args.starts)
    case("soft-committee", ["k=4", "m=4"], None, args.starts)
    case("relu-teacher", ["d=10"], None, args.starts)


if __name__ == "__main__":
    main()
