r"""The stiff gradient flows of a transition graph: Rosenbrock steps with the Jacobian kept in
eigen form (``symmetric_jacobian=True``, no inverse per step) against the inverse form (one
batched ``inv`` of :math:`I-h\gamma J` per step, the previous engine), side by side in one
process.

Run: ``python benchmarks/bench_rosenbrock.py [--d 8] [--repeats 2]`` (about a minute at d = 8).

Workload: the first round of ``graph relu-teacher --set d=D`` seeded from Fix(Δ(S_{D-1}×S_1))
(the starts :math:`x^*\pm10^{-3}v_j` along every unstable eigenvector of every saddle found
there), integrated exactly as :func:`~fixedpoints.graphs.transition_graph` does: AUTO
(Dormand–Prince switching per run to ROS34PW2), per-run steps, rtol 1e-6, atol 1e-9, the exact
Hessian as Jacobian, until :math:`\|\nabla\mathcal L\|<10^{-6}` or :math:`t=10^4`. Columns: wall
time (best of ``--repeats``), trajectory Jacobians evaluated, and the largest distance between
the end points of the two forms (the same flows, up to the tolerance).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fixedpoints.api import find_fixed_points, landscape
from fixedpoints.graphs.transition import unstable_directions
from fixedpoints.models import load_model_file
from fixedpoints.numeric.ode import AUTO, ErrorControl, solve, stiffness
from fixedpoints.numeric.symmetry import young_isotropy


def starts(d: int):
    model = load_model_file("relu-teacher").instantiate([f"d={d}"])
    res = find_fixed_points(model, {}, starts=100, seed=0, isotropy=f"{d - 1},1")
    space = landscape(model, {})
    iso = young_isotropy(f"{d - 1},1", d)
    X = []
    for p in res.points:
        x = iso.weights(p.x).ravel()
        _, V = unstable_directions(space, x)
        for v in V:
            X += [x + 1e-3 * v, x - 1e-3 * v]
    return space, np.array(X)


def flow(space, X, symmetric: bool):
    pop = space.population
    W0, _ = space.unpack(X)
    counted = {"jacobians": 0}
    evaluate = stiffness.Methods._evaluate

    def counting(self, y, f):
        counted["jacobians"] += int(y[0].shape[0])
        return evaluate(self, y, f)

    def field(y):
        gW, _ = pop.gradient(y[0], None)
        return (-gW, None)

    def stop(t, y, f, ids):
        g = np.sqrt((f[0] * f[0]).sum(axis=(1, 2)))
        return g < 1e-6

    stiffness.Methods._evaluate = counting
    try:
        t0 = time.perf_counter()
        sol = solve(
            field,
            (np.ascontiguousarray(W0), None),
            1e4,
            tableau=AUTO,
            control=ErrorControl(rtol=1e-6, atol=1e-9, shared=False),
            jacobian=lambda y: -pop.hessian(y[0], None),
            symmetric_jacobian=symmetric,
            stop=stop,
        )
        seconds = time.perf_counter() - t0
    finally:
        stiffness.Methods._evaluate = evaluate
    return seconds, counted["jacobians"], sol.states[0]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    space, X = starts(args.d)
    print(f"relu-teacher d = {args.d}: {len(X)} flows of {X.shape[1]} weights")
    best = {}
    for _ in range(args.repeats):
        for symmetric in (False, True):  # interleaved
            s, jac, W = flow(space, X, symmetric)
            if symmetric not in best or s < best[symmetric][0]:
                best[symmetric] = (s, jac, W)
    (s0, j0, W0), (s1, j1, W1) = best[False], best[True]
    print(f"{'form':<22} {'seconds':>8} {'Jacobians':>10}")
    print(f"{'inverse (before)':<22} {s0:>8.2f} {j0:>10}")
    print(f"{'eigen (symmetric)':<22} {s1:>8.2f} {j1:>10}")
    print(f"speed-up {s0 / s1:.2f}x; largest end-point distance {np.abs(W0 - W1).max():.2e}")


if __name__ == "__main__":
    main()
