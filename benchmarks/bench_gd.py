r"""Batched population gradient descent: ``fp.simulate`` against a plain NumPy batched
implementation written by hand, per step, side by side in one process.

Model: ``relu-teacher`` (k = d students and teachers, V = I, fixed second layers 1), runs
:math:`W\in\mathbb R^{R\times k\times d}`, step :math:`\eta=5/d`. Baseline (the 30 lines a theorist
writes): with :math:`\theta_{ij}` the angle between :math:`w_i` and :math:`u_j`,
:math:`\nabla_{w_i}\mathbb E[\mathrm{relu}(w_i\cdot x)\mathrm{relu}(u\cdot x)]
=\frac1{2\pi}\big[(\pi-\theta)u+\|u\|\sin\theta\,\hat w_i\big]`, so

.. math::

    \nabla_{w_i}\mathcal L=\tfrac12w_i+\sum_{j\ne i}\nabla K(w_i,w_j)-\sum_r\nabla K(w_i,v_r),

all pairs at once with batched matrix products, and ``W -= lr * grad`` in a Python loop.
Ours: :func:`fixedpoints.numeric.simulate.simulate` (``method='gd'``, the stop rules evaluated
every step, loss records at log-spaced times) on :class:`fixedpoints.numeric.PopulationLoss`.
Ours runs twice: on one thread (the batch cut into cache-sized chunks of runs) and on the usable
cores (the chunks shared among threads; :class:`~fixedpoints.numeric.PopulationLoss`'s
``threads``); the hand-written code runs on one thread (NumPy's element-wise operations do).
Both start from the same weights; the final weights agree to 1e-10 (asserted). The marginal cost
per step is :math:`(t(n_2)-t(n_1))/(n_2-n_1)` (start-up cancelled), best of ``--repeats``, the
three implementations interleaved.

Run: ``python benchmarks/bench_gd.py [--repeats 3]`` (about 3 min on 2 cores).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fixedpoints as fp
from fixedpoints.api.landscapes import model_teacher_vectors
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.numeric.initialize import initial_weights
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.numeric.simulate import StopRule, simulate


def _pair_grad(W, U, nW, nU):
    """Sum over u of the gradient of E[relu(w.x) relu(u.x)] w.r.t. each w: (R, k, d)."""
    G = W @ np.swapaxes(U, -1, -2)
    cos = np.clip(G / (nW[..., :, None] * nU[..., None, :]), -1.0, 1.0)
    theta = np.arccos(cos)
    A = (np.pi - theta) / (2 * np.pi)
    B = nU[..., None, :] * np.sqrt(1 - cos * cos) / (2 * np.pi)
    return A, B


def handwritten_gd(W, V, lr, steps):
    """Plain batched GD on the relu-teacher population loss (module docstring)."""
    W = W.copy()
    k = W.shape[-2]
    off = 1.0 - np.eye(k)
    nV = np.linalg.norm(V, axis=-1)
    for _ in range(steps):
        nW = np.linalg.norm(W, axis=-1)
        A, B = _pair_grad(W, W, nW, nW)
        As, Bs = _pair_grad(W, V[None], nW, nV[None])
        A, B = A * off, B * off
        radial = (B.sum(-1) - Bs.sum(-1)) / nW
        grad = A @ W - As @ V + (0.5 + radial)[..., None] * W
        W -= lr * grad
    return W


def ours(pop, W, lr, steps):
    sim = simulate(pop, W, method="gd", lr=lr, stop=StopRule(gradient_tol=0.0, t_max=lr * steps))
    return sim.W


def marginal(fns, n1, n2, repeats):
    """Marginal seconds per step of each of ``fns`` (``fn(steps)``), best of ``repeats``,
    the functions interleaved in every repeat (a busy machine slows all of them alike)."""
    best = np.full((len(fns), 2), np.inf)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            for j, n in enumerate((n1, n2)):
                t0 = time.perf_counter()
                fn(n)
                best[i, j] = min(best[i, j], time.perf_counter() - t0)
    return (best[:, 1] - best[:, 0]) / (n2 - n1)


def case(d, runs, repeats, n1=50, n2=250):
    model = fp.load_model("relu-teacher", {"d": d})
    kt = compile_pair_kernels(model)
    V = model_teacher_vectors(model, kt.T)
    pops = PopulationLoss(kt, V, threads=1), PopulationLoss(kt, V)
    W0, _ = initial_weights("gaussian", runs, d, d, seed=0)
    lr = 5 / d
    theirs = handwritten_gd(W0, V, lr, n1)
    for pop in pops:
        mine = ours(pop, W0, lr, n1)
        assert np.abs(mine - theirs).max() < 1e-10, np.abs(mine - theirs).max()
    return marginal(
        [
            lambda n: handwritten_gd(W0, V, lr, n),
            *(lambda n, p=p: ours(p, W0, lr, n) for p in pops),
        ],
        n1,
        n2,
        repeats,
    )


def main(argv=None) -> None:
    from fixedpoints.numeric.parallel import thread_count

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    cores = thread_count()
    print("relu-teacher GD, marginal milliseconds per step (best of repeats)")
    print(
        f"{'case':>16} {'hand-written':>13} {'ours, 1 thread':>20} {f'ours, {cores} threads':>21}"
    )
    for d, runs in ((20, 200), (100, 100)):
        t_hand, t_one, t_all = case(d, runs, args.repeats)
        print(
            f"{f'd={d} x {runs}':>16} {t_hand * 1e3:13.2f} {t_one * 1e3:10.2f} "
            f"({t_hand / t_one:4.2f}x) {t_all * 1e3:11.2f} ({t_hand / t_all:4.2f}x)"
        )


if __name__ == "__main__":
    main()
