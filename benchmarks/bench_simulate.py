"""Batched population gradient descent against a per-run NumPy loop, and backend speed-ups.

Part 1 (issue 6 target >= 10x): relu-teacher d = 8, 200 runs, Xavier init N(0, 1/d), step 5/d,
until |grad| < 1e-9 (the Safran-Shamir protocol). Baseline: a plain Python loop over runs, each run
a NumPy gradient-descent loop with the *same* closed-form gradient
(:class:`fixedpoints.numeric.PopulationLoss` on a (k, d) array). Both start from identical weights
and must reach identical final losses (asserted), so the ratio compares like with like.

Part 2: relu-teacher d = 100, 1000 runs, a fixed number of GD steps on every backend that is
installed (numpy, torch on CPU or CUDA, cupy); speed-up over NumPy. Run on the device machine for
GPU numbers.

Run: python benchmarks/bench_simulate.py [--part 1|2|both] [--d2 100] [--runs2 1000] [--steps 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fixedpoints as fp
from fixedpoints.api.landscapes import model_teacher_vectors
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.numeric.backend import array_backend, to_numpy
from fixedpoints.numeric.initialize import initial_weights
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.numeric.simulate import StopRule
from fixedpoints.numeric.simulate import simulate as run_batch


def per_run_loop(pop, W0, lr, tol, max_steps):
    """The baseline: one run at a time, plain NumPy GD with the closed-form gradient."""
    finals = []
    for W in W0:
        W = W.copy()
        for _ in range(max_steps):
            g, _ = pop.gradient(W)
            if np.linalg.norm(g) < tol:
                break
            W = W - lr * g
        finals.append(float(pop.loss(W)))
    return np.array(finals)


def part1(runs=200, d=8):
    model = fp.load_model("relu-teacher", {"d": d})
    kt = compile_pair_kernels(model)
    V = model_teacher_vectors(model, kt.T)
    pop = PopulationLoss(kt, V)
    W0, _ = initial_weights("gaussian", runs, d, d, seed=0)
    lr, tol, max_steps = 5 / d, 1e-9, 200_000
    t0 = time.perf_counter()
    res = run_batch(
        pop, W0, method="gd", lr=lr, stop=StopRule(gradient_tol=tol, t_max=lr * max_steps)
    )
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    loop = per_run_loop(pop, W0, lr, tol, max_steps)
    t_loop = time.perf_counter() - t0
    assert np.allclose(loop, res.final_losses, atol=1e-10), "batched and per-run results differ"
    spurious = np.mean(res.final_losses > 1e-6)
    print(
        f"relu-teacher d={d}, {runs} runs, GD lr=5/d to |grad|<1e-9 "
        f"(max {res.steps.max()} steps, spurious fraction {spurious:.3f})"
    )
    print(f"  per-run NumPy loop : {t_loop:8.2f} s")
    print(f"  batched (numpy)    : {t_batch:8.2f} s")
    print(f"  speed-up           : {t_loop / t_batch:8.1f}x")


def part2(d=100, runs=1000, steps=200):
    model = fp.load_model("relu-teacher", {"d": d})
    W0, _ = initial_weights("gaussian", runs, d, d, seed=0)
    times, finals = {}, {}
    for name in ("numpy", "torch", "cupy"):
        try:
            be = array_backend(name)
        except fp.ParameterError:
            print(f"  {name:6s}: not installed")
            continue
        kt = compile_pair_kernels(model, xp=be.xp)
        pop = PopulationLoss(kt, model_teacher_vectors(model, kt.T), device=be.device)
        W = be.asarray(W0)
        stop = StopRule(gradient_tol=0.0, t_max=steps * 5 / d * (1 + 1e-9))
        run_batch(pop, W[:2], method="gd", lr=5 / d, stop=StopRule(t_max=5 / d * 3))  # warm-up
        t0 = time.perf_counter()
        res = run_batch(pop, W, method="gd", lr=5 / d, stop=stop)
        times[name] = time.perf_counter() - t0
        finals[name] = to_numpy(res.final_losses)
        print(
            f"  {be.describe():24s}: {times[name]:8.2f} s for {steps} steps "
            f"({times[name] / steps * 1e3:.1f} ms/step)"
        )
    for name, t in times.items():
        if name != "numpy" and "numpy" in times:
            err = np.max(np.abs(finals[name] - finals["numpy"]))
            print(
                f"  {name} speed-up over numpy: {times['numpy'] / t:.1f}x "
                f"(max final-loss difference {err:.1e})"
            )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", default="both", choices=["1", "2", "both"])
    ap.add_argument("--d2", type=int, default=100)
    ap.add_argument("--runs2", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args()
    if a.part in ("1", "both"):
        part1()
    if a.part in ("2", "both"):
        print(f"relu-teacher d={a.d2}, {a.runs2} runs, {a.steps} GD steps per backend")
        part2(a.d2, a.runs2, a.steps)
