r"""Order-parameter ODE integration against the classic fixed-step Euler integrator, side by side.

Run: ``python benchmarks/bench_ode.py [--k 2,4,8] [--quick] [--target 1e-3] [--method DOP853]``
(about 1.5 min; ``--quick``: 1 repeat, about 1 min; ``--target 1e-4``: about 3 min);
``--field``: one evaluation of the vector field, ours against the vectorised I3 field (20 s).

Model: the ``soft-committee`` preset (Saad & Solla 1995) with k = m, activation
:math:`g(z)=\operatorname{erf}(z/\sqrt2)` for student and teacher, second layers fixed to 1,
:math:`T=I`, loss :math:`\mathcal L=\tfrac12\mathbb E[(\sum_i g(\lambda_i)-\sum_n g(\nu_n))^2]`,
gradient-flow time t (the small-learning-rate limit :math:`\eta\to0`, :math:`t=\eta\alpha`, of the
online-SGD ODEs: the :math:`\eta^2 I_4` terms drop out, so both sides integrate the same ODE).

Baseline: a faithful pure-Python port of the classic integrator of the teacher–student ODE
literature (Saad & Solla 1995; Biehl & Schwarze 1995; the ``propagate`` loop of Goldt et al.'s
``pyscm``): forward Euler with a fixed step ``dt``; each step builds the covariance
:math:`C=\begin{pmatrix}Q&R\\R^\top&T\end{pmatrix}` of the local fields and, in explicit loops over
the index triples, projects it to 3×3 blocks ``C3(C, a, b, c)`` and evaluates

.. math::

    I_3(C)=\frac{2}{\pi}\,\frac{1}{\sqrt{\Lambda_3}}\,
    \frac{C_{23}(1+C_{11})-C_{12}C_{13}}{1+C_{11}},\qquad
    \Lambda_3=(1+C_{11})(1+C_{33})-C_{13}^2,

.. math::

    \dot R_{in}=\sum_p I_3(i,n,p)-\sum_j I_3(i,n,j),\qquad
    \dot Q_{ik}=\sum_p[I_3(i,k,p)+I_3(k,i,p)]-\sum_j[I_3(i,k,j)+I_3(k,i,j)]

(students i, j, k; teachers n, p), and records the generalisation error
:math:`\epsilon_g=\frac1\pi\sum_{ab}s_as_b\arcsin\frac{C_{ab}}{\sqrt{(1+C_{aa})(1+C_{bb})}}`
(:math:`s=+1` on students, :math:`-1` on teachers) at the output times. ``pyscm`` compiles this
loop with Cython; the pure-Python port is therefore slower than the original, so a second baseline,
the same Euler scheme with the :math:`I_3` sums vectorised over all triples in NumPy (a stand-in
for the compiled original), is reported as well.
Ours: :func:`fixedpoints.integrate` (SciPy DOP853, adaptive) on :func:`fixedpoints.compile_flow`
of :func:`fixedpoints.derive`.

Equal accuracy. A reference solution (ours, rtol=1e-12, atol=1e-14) is taken at ``N_OUT`` uniform
output times in (0, t_end]; the error of a run is the largest absolute state difference (all Q and
R entries, all output times). Euler: dt is halved from ``DT0`` until the error is below
``--target`` (default 1e-3: ``pyscm``'s default dt = 0.01 gives 2e-4 to 3e-3 on these runs);
ours: the loosest rtol on a half-decade grid (atol = rtol/100) below the target.
Both are then timed at those settings (best of ``--repeats``). Independent checks, asserted: the
classic I3 sums equal our derived vector field at every reference state, the classic
:math:`\epsilon_g` equals our loss, and the Richardson extrapolant 2E(dt) - E(2dt) of the two
finest Euler runs agrees with the reference far below the target (Euler converges to our solution).

Timings include everything from the initial state to the trajectory with losses at the output
times; derive + compile (a one-off per model, cached on disk) are printed separately and are not in
the ratios. A pure-Python Euler run longer than ``--loop-budget`` seconds is timed on a prefix of
its steps and extrapolated linearly (fixed step: every step does the same work), marked ``*``.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys
import tempfile
import time

import numpy as np

try:
    import fixedpoints as fp
except ModuleNotFoundError:  # run from a checkout that is not installed
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    import fixedpoints as fp

from fixedpoints.numeric import state_from_weights, teacher_vectors

D = 100  # input dimension of the initial weights
INIT_SCALE = 0.5  # W_ij ~ N(0, INIT_SCALE^2 / D): |w_i| ~ 0.5, R_in ~ 0.05
SEED = 0
N_OUT = 20  # output times t_end / N_OUT, ..., t_end
DT0 = 0.1  # largest Euler step tried (halved until the target is met)
VECTORISED_BUDGET = 30.0  # seconds of repeated vectorised-Euler timing runs
RTOLS = tuple(10.0 ** (-e) for e in np.arange(3.0, 12.5, 0.5))  # loosest first


def t_end_for(k: int) -> float:
    """Long enough to escape the symmetric plateau and converge (loss ~1e-6 at d = 100)."""
    return 50.0 * k


# --- classic Euler integrator (pure Python, the classic codes' loop structure) -----------------


def c3(cov, a, b, c):
    """Covariance of the local fields (a, b, c): the 3×3 projection of ``cov``."""
    ra, rb, rc = cov[a], cov[b], cov[c]
    return ((ra[a], ra[b], ra[c]), (rb[a], rb[b], rb[c]), (rc[a], rc[b], rc[c]))


def i3(C):
    r""":math:`\mathbb E[g'(u_1)\,u_2\,g(u_3)]` for :math:`g=\operatorname{erf}(\cdot/\sqrt2)`."""
    lambda3 = (1 + C[0][0]) * (1 + C[2][2]) - C[0][2] ** 2
    return (
        2
        / math.pi
        / math.sqrt(lambda3)
        * (C[1][2] * (1 + C[0][0]) - C[0][1] * C[0][2])
        / (1 + C[0][0])
    )


def i2(cov, a, b):
    r""":math:`\mathbb E[g(u_1)g(u_2)]
    =\frac2\pi\arcsin\frac{C_{12}}{\sqrt{(1+C_{11})(1+C_{22})}}`."""
    return 2 / math.pi * math.asin(cov[a][b] / math.sqrt((1 + cov[a][a]) * (1 + cov[b][b])))


def eg_loops(Q, R, T):
    """Generalisation error ½E[(f - f*)²] from the order parameters."""
    K, M = R.shape
    cov = np.block([[Q, R], [R.T, T]]).tolist()
    eg = 0.0
    for i in range(K):
        for k in range(K):
            eg += i2(cov, i, k) / 2
        for n in range(M):
            eg -= i2(cov, i, K + n)
    for n in range(M):
        for p in range(M):
            eg += i2(cov, K + n, K + p) / 2
    return eg


def derivatives_loops(Q, R, T):
    """(dQ/dt, dR/dt) by the loops over index triples (one Euler step's work)."""
    K, M = R.shape
    cov = np.block([[Q, R], [R.T, T]]).tolist()
    dQ, dR = np.zeros((K, K)), np.zeros((K, M))
    for i in range(K):
        for n in range(M):
            for p in range(M):
                dR[i, n] += i3(c3(cov, i, K + n, K + p))
            for j in range(K):
                dR[i, n] -= i3(c3(cov, i, K + n, j))
    for i in range(K):
        for k in range(K):
            for p in range(M):
                dQ[i, k] += i3(c3(cov, i, k, K + p)) + i3(c3(cov, k, i, K + p))
            for j in range(K):
                dQ[i, k] -= i3(c3(cov, i, k, j)) + i3(c3(cov, k, i, j))
    return dQ, dR


def euler_loops(Q, R, T, dt, steps, every):
    """Forward Euler, the classic way: R and Q updated in loops from the step's covariance."""
    K, M = R.shape
    Q, R = Q.copy(), R.copy()
    out = [(Q.copy(), R.copy(), eg_loops(Q, R, T))]
    for step in range(1, steps + 1):
        cov = np.block([[Q, R], [R.T, T]]).tolist()
        for i in range(K):
            for n in range(M):
                for p in range(M):
                    R[i, n] += dt * i3(c3(cov, i, K + n, K + p))
                for j in range(K):
                    R[i, n] -= dt * i3(c3(cov, i, K + n, j))
        for i in range(K):
            for k in range(K):
                for p in range(M):
                    Q[i, k] += dt * (i3(c3(cov, i, k, K + p)) + i3(c3(cov, k, i, K + p)))
                for j in range(K):
                    Q[i, k] -= dt * (i3(c3(cov, i, k, j)) + i3(c3(cov, k, i, j)))
        if step % every == 0:
            out.append((Q.copy(), R.copy(), eg_loops(Q, R, T)))
    return out


# --- the same Euler scheme, I3 sums vectorised over all triples ---------------------------------


def eg_vectorised(Q, R, T):
    K = len(Q)
    C = np.block([[Q, R], [R.T, T]])
    s = np.sqrt(1 + np.diag(C))
    J = 2 / np.pi * np.arcsin(C / np.outer(s, s))
    sign = np.where(np.arange(len(C)) < K, 1.0, -1.0)
    return 0.5 * sign @ J @ sign


def field_vectorised(Q, R, T, sign):
    """(dQ/dt, dR/dt): the I3 sums over all triples at once (``sign``: -1 on students, +1 on
    teachers)."""
    K = len(Q)
    C = np.block([[Q, R], [R.T, T]])
    g = 1 + np.diag(C)
    lam = g[:K, None] * g[None, :] - C[:K] ** 2  # Λ3 for (a, ., c), a student
    num = C[None] * g[:K, None, None] - C[:K, :, None] * C[:K, None, :]  # [a, b, c]
    D = (num / (g[:K, None, None] * np.sqrt(lam)[:, None, :])) @ sign * (2 / np.pi)
    return D[:, :K] + D[:, :K].T, D[:, K:]


def euler_vectorised(Q, R, T, dt, steps, every):
    K = len(Q)
    sign = np.where(np.arange(K + len(T)) < K, -1.0, 1.0)  # -students, +teachers
    Q, R = Q.copy(), R.copy()
    out = [(Q.copy(), R.copy(), eg_vectorised(Q, R, T))]
    for step in range(1, steps + 1):
        dQ, dR = field_vectorised(Q, R, T, sign)
        Q += dt * dQ
        R += dt * dR
        if step % every == 0:
            out.append((Q.copy(), R.copy(), eg_vectorised(Q, R, T)))
    return out


# --- set-up, errors, timing ---------------------------------------------------------------------


class Case:
    """Model, compiled flow, initial state and reference trajectory for one k (= m)."""

    def __init__(self, k: int, t_end: float, method: str = "DOP853"):
        self.k, self.t_end, self.method = k, t_end, method
        model = fp.load_model("soft-committee", {"k": k, "m": k})
        with tempfile.TemporaryDirectory() as cache:
            t0 = time.perf_counter()
            fp.derive(model, cache_dir=cache)
            t1 = time.perf_counter()
            flow = fp.derive(model, cache_dir=cache)
            t2 = time.perf_counter()
        self.cf = fp.compile_flow(flow)
        self.t_derive_cold, self.t_derive_cached = t1 - t0, t2 - t1
        self.t_compile = time.perf_counter() - t2
        rng = np.random.default_rng(SEED)
        W = rng.normal(size=(k, D)) * INIT_SCALE / math.sqrt(D)
        V = teacher_vectors(np.eye(k), D)
        self.x0 = state_from_weights(self.cf.names, W, V)
        self.Q0, self.R0, self.T = W @ W.T, W @ V.T, V @ V.T
        names = fp.OrderParameterNames(k, k)
        self.index = [names.parse(n) for n in self.cf.names]
        t0 = time.perf_counter()
        self.ref = self.ours(1e-12, 1e-14, "DOP853")
        self.t_ref = time.perf_counter() - t0
        assert self.ref.status == "reached-end", self.ref.message

    def ours(self, rtol, atol, method=None):
        return fp.integrate(
            self.cf,
            self.x0,
            self.t_end,
            n_points=N_OUT + 1,
            rtol=rtol,
            atol=atol,
            method=method or self.method,
        )

    def state(self, Q, R):
        return np.array([(Q if kind == "Q" else R)[idx] for kind, idx in self.index])

    def euler_states(self, out):
        return np.array([self.state(Q, R) for Q, R, _ in out]).T

    def error(self, states):
        return float(np.abs(states[:, 1:] - self.ref.states[:, 1:]).max())

    def check_formulas(self):
        """The classic I3 sums and ε_g against our derived vector field and loss."""
        worst_f = worst_l = 0.0
        for x in self.ref.states.T:
            Q, R = np.zeros((self.k, self.k)), np.zeros((self.k, self.k))
            for (kind, (i, j)), v in zip(self.index, x, strict=True):
                if kind == "Q":
                    Q[i, j] = Q[j, i] = v
                else:
                    R[i, j] = v
            dQ, dR = derivatives_loops(Q, R, self.T)
            worst_f = max(worst_f, np.abs(self.state(dQ, dR) - self.cf.vector_field(x)).max())
            worst_l = max(worst_l, abs(eg_loops(Q, R, self.T) - float(self.cf.loss(x))))
        assert worst_f < 1e-12 and worst_l < 1e-12, (worst_f, worst_l)
        return worst_f, worst_l


def best_of(repeats, fn):
    best, out = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(case: Case, target: float, repeats: int, loop_budget: float) -> dict:
    r = {"k": case.k, "n": case.cf.dimension, "t_end": case.t_end}
    r["check_rhs"], r["check_loss"] = case.check_formulas()

    # ours: loosest rtol meeting the target
    for rtol in RTOLS:
        traj = case.ours(rtol, rtol * 1e-2)
        err = case.error(traj.states)
        if traj.status == "reached-end" and err <= target:
            break
    else:
        raise RuntimeError(f"k={case.k}: no rtol in {RTOLS} meets the target {target:g}")
    r["rtol"], r["err_ours"] = rtol, err
    r["t_ours"], _ = best_of(repeats, lambda: case.ours(rtol, rtol * 1e-2))

    # Euler (vectorised): halve dt until the target is met (after the first run, jump to one
    # halving above the level that first-order convergence predicts); same error as the loops
    args = (case.Q0, case.R0, case.T)
    dt, prev = DT0, None
    while True:
        steps = round(case.t_end / dt)
        every = steps // N_OUT
        assert every * N_OUT == steps, (case.t_end, dt)
        t_vec, out = best_of(1, lambda: euler_vectorised(*args, dt, steps, every))  # noqa: B023
        E = case.euler_states(out)
        err = case.error(E)
        if err <= target:
            break
        levels = max(1, math.ceil(math.log2(err / target)) - 1) if prev is None else 1
        prev, dt = (dt, E), dt / 2**levels
    r["dt"], r["steps"], r["err_euler"] = dt, steps, err
    if prev is not None:  # Euler converges (at first order) to our solution
        dt1, E1 = prev
        r["err_richardson"] = case.error((dt1 * E - dt * E1) / (dt1 - dt))
        assert r["err_richardson"] < max(target / 10, 1e-7), r["err_richardson"]
    reps = min(repeats - 1, int(VECTORISED_BUDGET / t_vec))
    if reps > 0:
        t_more, _ = best_of(reps, lambda: euler_vectorised(*args, dt, steps, every))
        t_vec = min(t_vec, t_more)
    r["t_vec"] = t_vec

    # Euler (classic loops) at the same dt: full run if it fits the budget, else a timed prefix
    probe = min(steps, 20)
    t_probe, part = best_of(1, lambda: euler_loops(*args, dt, probe, probe))
    Ev = euler_vectorised(*args, dt, probe, probe)
    assert np.allclose(part[-1][0], Ev[-1][0], rtol=0, atol=1e-12)
    assert np.allclose(part[-1][1], Ev[-1][1], rtol=0, atol=1e-12)
    per_step = t_probe / probe
    if per_step * steps <= loop_budget:
        reps = max(1, min(repeats, int(loop_budget / (per_step * steps))))
        r["t_loop"], out = best_of(reps, lambda: euler_loops(*args, dt, steps, every))
        r["err_loop"] = case.error(case.euler_states(out))
        r["loop_extrapolated"] = False
    else:
        n = max(probe, int(loop_budget / 2 / per_step))
        t_n, _ = best_of(1, lambda: euler_loops(*args, dt, n, n + 1))
        r["t_loop"] = t_n / n * steps
        r["err_loop"] = err
        r["loop_extrapolated"] = True
    r.update(
        derive_cold=case.t_derive_cold,
        derive_cached=case.t_derive_cached,
        compile=case.t_compile,
        t_ref=case.t_ref,
    )
    return r


def field_timing(k: int, repeats: int = 7, n: int = 2000) -> tuple[float, float, float]:
    """One evaluation of the vector field at a random state, k = m: ``(ours s, hand s, max
    difference)``; ours is ``fp.compile_flow(model)`` (pair-vectorised, no derivation), hand the
    vectorised I3 field of the Euler baseline; interleaved, best of ``repeats``."""
    model = fp.load_model("soft-committee", {"k": k, "m": k})
    cf = fp.compile_flow(model)
    rng = np.random.default_rng(SEED)
    W = rng.normal(size=(k, D)) * INIT_SCALE / math.sqrt(D)
    V = teacher_vectors(np.eye(k), D)
    Q, R, T = W @ W.T, W @ V.T, V @ V.T
    x = state_from_weights(cf.names, W, V)
    sign = np.where(np.arange(2 * k) < k, -1.0, 1.0)
    names = fp.OrderParameterNames(k, k)
    dQ, dR = field_vectorised(Q, R, T, sign)
    want = np.array([(dQ if kd == "Q" else dR)[i] for kd, i in map(names.parse, cf.names)])
    diff = float(np.abs(cf.vector_field(x) - want).max())
    best = [np.inf, np.inf]
    for _ in range(repeats):
        for j, fn in enumerate(
            (lambda: cf.vector_field(x), lambda: field_vectorised(Q, R, T, sign))
        ):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            best[j] = min(best[j], (time.perf_counter() - t0) / n)
    return best[0], best[1], diff


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", default="2,4,8", help="comma-separated k = m (default 2,4,8)")
    parser.add_argument("--target", type=float, default=1e-3, help="max-abs state error")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats (best of)")
    parser.add_argument(
        "--loop-budget", type=float, default=20.0, help="seconds for one pure-Python Euler run"
    )
    parser.add_argument("--t-end", type=float, default=None, help="default 50 k")
    parser.add_argument("--method", default="DOP853", help="solve_ivp method of ours")
    parser.add_argument("--quick", action="store_true", help="1 repeat, 3 s loop budget")
    parser.add_argument(
        "--field", action="store_true", help="only time one field evaluation (ours vs hand)"
    )
    args = parser.parse_args(argv)
    if args.field:
        print("one vector-field evaluation, soft committee k = m: ours vs the vectorised I3 field")
        for k in [int(s) for s in args.k.split(",")]:
            ours, hand, diff = field_timing(k)
            print(
                f"  k={k}: ours {ours * 1e6:7.1f} us, hand {hand * 1e6:7.1f} us, "
                f"speed-up {hand / ours:5.2f}x, max |difference| {diff:.1e}"
            )
        return
    if args.quick:
        args.repeats, args.loop_budget = 1, 3.0
    ks = [int(s) for s in args.k.split(",")]

    print(
        f"soft committee, erf(z/sqrt2), T = I, d = {D}, W ~ N(0, {INIT_SCALE}^2/d), seed {SEED}; "
        f"error = max |x - x_ref| over {N_OUT} output times; target {args.target:g}; ours = "
        f"fp.integrate(method={args.method!r})"
    )
    head = (
        f"{'k':>2} {'vars':>4} {'t_end':>5} | {'Euler dt':>9} {'steps':>7} {'err':>7} "
        f"{'loops s':>8} {'numpy s':>7} | {'rtol':>7} {'err':>7} {'ours s':>7} | "
        f"{'x loops':>7} {'x numpy':>7}"
    )
    print(head)
    print("-" * len(head))
    rows = []
    for k in ks:
        case = Case(k, args.t_end or t_end_for(k), args.method)
        r = run(case, args.target, args.repeats, args.loop_budget)
        rows.append(r)
        star = "*" if r["loop_extrapolated"] else " "
        print(
            f"{k:>2} {r['n']:>4} {r['t_end']:>5.0f} | {r['dt']:>9.3g} {r['steps']:>7} "
            f"{r['err_euler']:>7.1e} {r['t_loop']:>7.2f}{star} {r['t_vec']:>7.3f} | "
            f"{r['rtol']:>7.1e} {r['err_ours']:>7.1e} {r['t_ours']:>7.3f} | "
            f"{r['t_loop'] / r['t_ours']:>6.1f}x {r['t_vec'] / r['t_ours']:>6.2f}x",
            flush=True,
        )
    print(
        "\nx loops / x numpy: Euler time / our time at equal accuracy (both below the target);"
        " * = pure-Python Euler timed on a prefix of its steps and extrapolated."
    )
    print("checks (asserted) and one-off costs, not in the ratios:")
    for r in rows:
        rich = r.get("err_richardson", float("nan"))
        print(
            f"  k={r['k']}: |F_classic - F_ours| = {r['check_rhs']:.1e}, "
            f"|eps_g - loss| = {r['check_loss']:.1e}, Richardson(Euler) error = {rich:.1e}; "
            f"derive cold {r['derive_cold']:.2f} s, cached {r['derive_cached']:.3f} s, "
            f"compile {r['compile']:.2f} s; reference (rtol 1e-12) {r['t_ref']:.2f} s"
        )
    print(
        "  (derive timed in this process: SymPy's in-memory caches are warm after the first k; "
        "benchmarks/bench_derive.py times fresh processes)"
    )


if __name__ == "__main__":
    main()
