"""One continuation branch against AUTO-07p's speed, and a fold curve in two parameters.

Run: ``python benchmarks/bench_continuation.py [--auto SECONDS] [--repeats N]``.

* **Branch**: the averaged point of the multi-index model (k = 3, target He3 + 0.5 He4, d = 5,
  one decoupled spherical neuron) continued in beta from 0 to 0.99 with steps fixed so the
  branch has ~150 points, as AUTO's branch (DS = DSMAX = 0.0066); the branch point at
  beta = 0.3330979734 is located on the way. Time: the minimum over ``--repeats`` runs of
  :func:`fixedpoints.numeric.continuation.continue_branch` (the start-up, model loading and the
  first landscape are not timed; AUTO's figure excludes its compilation too).
* **Fold curve**: the fold of the near-index minimum continued in (beta, c) for c from 0.25 to 3
  (:func:`fixedpoints.numeric.curves.continue_curve`), with its points at c = 0.5 and 1 against
  AUTO's (issue 20: 0.348100259418, 0.391183122651).

The target (issue 20) is a branch within 10× of AUTO's time: ``--auto`` is AUTO's time for the
150-point branch. Default 0.0074 s: AUTO-07p 0.9.2 (Debian), the 3-D overlap flow of this model,
150 points from the averaged point at c = 0.5, the bare executable's wall time including process
start and output files, minimum of 5 on this 2-core machine (AUTO's own "Total Time": 0.0059 s;
the issue quotes ~0.01 s). AUTO is not a dependency.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

try:
    import fixedpoints as fp
except ModuleNotFoundError:  # run from a checkout that is not installed
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    import fixedpoints as fp

from fixedpoints.api.landscapes import LandscapeFamily, LandscapePlane
from fixedpoints.numeric.continuation import continue_branch
from fixedpoints.numeric.curves import continue_curve
from fixedpoints.numeric.named import named_point_weights

AUTO_FOLD = {0.5: 0.348100259418, 1.0: 0.391183122651}


def _best(fn, repeats):
    best, out = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--auto", type=float, default=0.0074, help="AUTO's branch time in seconds")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)

    model = fp.load_model("multi-index", {"k": 3, "target": "He3+0.5*He4"})
    family = LandscapeFamily(model, "beta")
    x0 = named_point_weights(family.at(0.0), "averaged")

    def branch():
        return continue_branch(family.at, x0, 0.0, 0.99, step=0.005, max_step=0.0066)

    t, br = _best(branch, args.repeats)
    n = len(br.points)
    print(f"branch: {n} points, events {[round(e.value, 10) for e in br.events]}")
    print(f"  fixedpoints {t * 1e3:.1f} ms ({t / n * 1e3:.2f} ms/point)")
    print(
        f"  AUTO {args.auto * 1e3:.1f} ms: ratio {t / args.auto:.1f}x AUTO's time (target <= 10x)"
    )

    cmodel = fp.load_model("multi-index", {"k": 3, "target": "He3+c*He4"})
    plane = LandscapePlane(cmodel, "beta", "c")
    res = fp.continue_fixed_points(model, "beta", 0.0, 0.6, switch=False)
    ev = next(e for b in res.branches for e in b.events if e.kind == "fold" and e.loss < 0)
    marks = np.arange(0.25, 3.0001, 0.25)

    def curve():
        return continue_curve(
            plane.at, ev.x, (ev.value, 0.5), "fold", ((0, 0.99), (0.25, 3.0)), marks=marks
        )

    tc, cur = _best(curve, max(1, args.repeats // 3))
    pts = {round(p.p2, 12): p.p1 for p in cur.points}
    print(f"fold curve: {len(cur.points)} points over c in [0.25, 3], {tc * 1e3:.0f} ms")
    for c, ref in AUTO_FOLD.items():
        print(f"  c = {c}: beta = {pts[c]:.12f}  AUTO {ref:.12f}  |diff| {abs(pts[c] - ref):.1e}")


if __name__ == "__main__":
    main()
