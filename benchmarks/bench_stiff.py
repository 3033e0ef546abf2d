r"""Gradient flow with stiffness switching against Dormand–Prince alone, side by side in one process.

Run: ``python benchmarks/bench_stiff.py [--runs 100] [--cases quadratic,soft-committee,wide]``
(about 4 minutes, most of it the Dormand–Prince runs of the quadratic and wide cases).

Both columns are :func:`fixedpoints.numeric.simulate.simulate` with ``method="flow"``, the
protocol of ``fixedpoints simulate`` (Gaussian initialization N(0, 1/d), seed 0, one shared step
with rtol 1e-6 and atol 1e-9, stop at :math:`\|\nabla\mathcal L\|_F<10^{-8}` or
:math:`t=10^4`); only the integrator differs: ``dopri5`` (Dormand–Prince 5(4) throughout, the
previous default) or ``auto`` (Dormand–Prince switching each run to the L-stable Rosenbrock method
ROS34PW2 once Hairer's test finds its step stability-limited; the new default).

Cases. ``quadratic``: quadratic activation, teacher eigenvalues (5, 3, 2), d = 5, m = 2 students
(10 weights per run); every run ends at the minimum with loss 2.5, whose Hessian eigenvalues
range from 2 to 37.6 (apart from the flat directions of the student symmetry), so the explicit step is
capped at :math:`\approx3.3/37.6` while the error control keeps the state jittering at the
tolerance. ``soft-committee``: erf activations, k = m = 2 (a non-stiff case, to check that the
switch costs nothing where it does not happen). ``wide``: relu-teacher d = 20 (400 weights per
run, 20 runs), wider than ``Auto.max_dense`` = 256: ``auto`` switches such a run to the
Runge–Kutta–Chebyshev method RKC instead of the Rosenbrock method (before: it stayed on
Dormand–Prince, the ``dopri5`` column); ``rkc`` runs RKC throughout.

Columns: wall time, the largest step count of a run, max :math:`|L-L^\star|` over the runs
(quadratic: :math:`L^\star=2.5`; soft committee: :math:`L^\star=0`, the global minimum), runs
converged, the latest stop time, and the integrator of each run's last step. Times are the best
of ``--repeats`` runs (a run over 10 s is not repeated).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

import fixedpoints as fp
from fixedpoints.api.landscapes import model_teacher_vectors
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.numeric.initialize import initial_weights
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.numeric.simulate import StopRule, simulate

CASES = {  # (preset, parameters), L* (None: runs end at different minima), runs (None: --runs)
    "quadratic": (("quadratic", {"teacher_eigenvalues": "5,3,2", "d": 5, "m": 2}), 2.5, None),
    "soft-committee": (("soft-committee", {"k": 2, "m": 2}), 0.0, None),
    "wide": (("relu-teacher", {"d": 20}), None, 20),
}
INTEGRATORS = {"wide": ("dopri5", "auto", "rkc")}


def setup(name: str, runs: int):
    """Population loss and initial weights as ``fixedpoints simulate`` builds them."""
    (preset, params), target, fixed_runs = CASES[name]
    runs = fixed_runs or runs
    model = fp.load_model(preset, params)
    kernels = compile_pair_kernels(model)
    V = model_teacher_vectors(model, kernels.T)
    W0, _ = initial_weights("gaussian", runs, model.student.width, V.shape[1], seed=0)
    return PopulationLoss(kernels, V), W0, target


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--cases", default="quadratic,soft-committee,wide")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    stop = StopRule(gradient_tol=1e-8, t_max=1e4)
    head = (
        f"{'case':>15} {'integrator':>10} | {'seconds':>8} {'max steps':>9} "
        f"{'max |L-L*|':>10} {'converged':>9} {'max t':>8} | last method"
    )
    print(f"gradient flow, {args.runs} runs, rtol 1e-6, atol 1e-9, |grad| < 1e-8, t_max 1e4")
    print(head)
    print("-" * len(head))
    for name in args.cases.split(","):
        population, W0, target = setup(name, args.runs)
        simulate(population, W0[:2], method="flow", stop=StopRule(t_max=1.0))  # warm-up
        for integrator in INTEGRATORS.get(name, ("dopri5", "auto")):
            seconds = np.inf
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                sim = simulate(population, W0, method="flow", stop=stop, integrator=integrator)
                seconds = min(seconds, time.perf_counter() - t0)
                if seconds > 10:
                    break
            converged = sum(s == fp.Status.CONVERGED for s in sim.status)
            used = Counter(sim.stats["integrators"])
            gap = "-" if target is None else f"{np.abs(sim.final_losses - target).max():.1e}"
            print(
                f"{name:>15} {integrator:>10} | {seconds:>8.2f} {int(sim.steps.max()):>9} "
                f"{gap:>10} {converged:>5}/{sim.runs:<3} {sim.stop_times.max():>8.1f} | "
                + ", ".join(f"{k} {v}" for k, v in sorted(used.items())),
                flush=True,
            )


if __name__ == "__main__":
    main()
