r"""The rotation-reduced mean-field model against the full particle system, side by side in one
process (issue 17: "the reduced one is much cheaper, speed-up against d, d up to 1000").

Run: ``python benchmarks/bench_meanfield.py`` (about 4 minutes).

Target :math:`\|P_Hx\|`, :math:`d_H=2`, mean-field GD (step 0.05) from the same draw, both on the
exact population loss: the full model moves m particles of d + 1 numbers
(:class:`~fixedpoints.numeric.population.PopulationLoss` with the exact target, Gram matrices
:math:`O(m^2d)`), the reduced one m particles of :math:`d_H+2` numbers
(:class:`~fixedpoints.numeric.meanfield.ReducedLoss`: the orbit average by quadrature for
:math:`c=d-d_H<200`, by the moment series beyond; its cost does not grow with d).

1. **Seconds per GD step** of ``fp.simulate`` (end to end, ``runs`` batched), for
   d = 10 … 3000 and m = 64, 256: the minimum over interleaved repeats; the ratio full/reduced.
2. **Seconds per gradient** of the two loss objects alone (m = 256, one run).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import fixedpoints as fp

DIMS = (10, 30, 100, 300, 1000, 3000)
REPEATS = 3


ROOT = Path(__file__).resolve().parents[1]
#: the study's timing function (one copy): seconds per GD step, full and reduced
cost_per_step = fp.study_part(
    ROOT / "derivations" / "hajjar_chizat_2022_symmetries", "figures"
).cost_per_step


def _model(d, m):
    return fp.load_model(
        "mean-field-relu", {"target": "norm-subspace", "d": d, "d_H": 2, "particles": m}
    )


def gradient_seconds(d, m=256, calls=5):
    model = _model(d, m)
    full, red = fp.training_loss(model), fp.training_loss(model, reduced=True)
    rng = np.random.default_rng(0)
    W, a = rng.standard_normal((m, d)) / np.sqrt(d), rng.standard_normal((m, 1))
    Y = np.concatenate([W[:, :2], np.linalg.norm(W[:, 2:], axis=1, keepdims=True)], 1)
    best = [np.inf, np.inf]
    for _ in range(REPEATS):
        for i, (f, x) in enumerate(((full, W), (red, Y))):
            t0 = time.perf_counter()
            for _ in range(calls):
                f.gradient(x, a)
            best[i] = min(best[i], (time.perf_counter() - t0) / calls)
    nodes = red.population.rule.nodes
    return best, nodes


def main():
    print("1. seconds per GD step, fp.simulate end to end (2 runs batched)")
    print(f"{'d':>6} {'m':>5} {'full ms':>9} {'reduced ms':>11} {'full/reduced':>13}")
    for m in (64, 256):
        for d in DIMS:
            f, r = cost_per_step(d, m, steps=20, repeats=REPEATS)
            print(f"{d:6d} {m:5d} {1e3 * f:9.2f} {1e3 * r:11.2f} {f / r:13.2f}", flush=True)
    print("\n2. seconds per gradient of the loss objects (m = 256, one run)")
    print(f"{'d':>6} {'orbit nodes/terms':>18} {'full ms':>9} {'reduced ms':>11} {'ratio':>7}")
    for d in DIMS:
        (f, r), nodes = gradient_seconds(d)
        print(f"{d:6d} {nodes:18d} {1e3 * f:9.2f} {1e3 * r:11.2f} {f / r:7.2f}", flush=True)


if __name__ == "__main__":
    main()
