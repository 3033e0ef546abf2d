r"""Claim 1: symmetries are preserved by the (mean-field) gradient flow (Hajjar & Chizat 2022,
Prop. 2.1), checked three ways.

* **Symbolically**, on the derived order-parameter flow of ``mean-field-relu`` with k = 4
  particles: the sign flip :math:`(a_i,w_i)\mapsto(-a_{\pi(i)},-w_{\pi(i)})` (an odd target) and
  particle swaps are equivariances (``fp.check_equivariance``), and the fixed-point
  subspace of the group they generate is invariant under the flow (``fp.reduce_flow`` of
  ``fp.fixed_point_ansatz``: 18 variables reduce to 10 for the flip, 6 with the swaps). For the
  even target :math:`\|P_Hx\|` the flip is *not* an equivariance (the check fails, as it must).
* **Numerically**, on the weight-space mean-field field (``fp.training_loss``):
  :math:`F(gx)=gF(x)` for reflections and permutations of :math:`H^\perp`, a rotation of order 5
  in :math:`H^\perp`, a reflection inside H and :math:`-I`; a map mixing H and :math:`H^\perp`
  is not a symmetry.
* **Along trajectories**: from an orbit-closed initialization (``init="symmetric:G"``) the
  predictor's defect :math:`\max_x|f(x)-f(T^\top x)|` stays at round-off for the whole run, for
  each generator; from a generic initialization it is O(1) and grows during the transient.
"""

from __future__ import annotations

import numpy as np

import fixedpoints as fp

#: the target ||P_H x|| with H = span(e1, e2) in R^6 and the generators of claim 1
D, D_H, M = 6, 2, 60
GENERATORS = ("reflect:6", "swap:5,6", "rotate:3,4,5", "reflect:1", "reflect:1,2,3,4,5,6")
NOT_SYMMETRIES = ("swap:2,3",)
TIMES = (1.0, 4.0, 10.0, 20.0)
LR = 0.05
DATA: dict = {}  # what the figures reuse
FLIP = {"perm": [2, 3, 0, 1], "signs": [-1] * 4, "flip_a": True}
SWAP = {"perm": [1, 0, 3, 2]}


def symbolic_checks() -> dict:
    """Equivariance and invariant fixed-point subspaces of the derived flows (k = 4, d = 3)."""
    out, failures = {}, 0
    for target in ("odd-linear", "odd-cubic"):
        flow = fp.derive(
            fp.load_model("mean-field-relu", {"particles": 4, "d": 3, "target": target})
        )
        for g in (FLIP, SWAP):
            failures += not fp.check_equivariance(flow, **g)
        sizes = []
        for gens in ([FLIP], [FLIP, SWAP]):
            sizes.append(len(fp.reduce_flow(flow, fp.fixed_point_ansatz(flow, gens)).variables))
        out[f"fixed_subspace_dims_{target}"] = [len(flow.variables), *sizes]
    even = fp.derive(
        fp.load_model(
            "mean-field-relu",
            {"particles": 4, "d": 3, "target": "norm-subspace", "d_H": 2, "teacher_particles": 4},
        )
    )
    out["symbolic_equivariance_failures"] = failures
    out["symbolic_flip_refuted_for_even_target"] = not fp.check_equivariance(even, **FLIP)
    return out


def _model(init_particles=M, **extra):
    return fp.load_model(
        "mean-field-relu",
        {"target": "norm-subspace", "d": D, "d_H": D_H, "particles": init_particles, **extra},
    )


def _defect(W, a, element, X) -> float:
    """Worst run's predictor defect; the predictor is the mean-field network's own
    (``MeanFieldScaling.output``: f = (1/m) sum a_i relu(w_i.x))."""
    mf = fp.training_loss(_model())
    return max(
        float(fp.symmetry_defect(lambda x, r=r: mf.output(W[r], a[r], x), X, element))
        for r in range(W.shape[0])
    )


def field_checks(seed: int = 0) -> dict:
    """Relative equivariance defects of the weight-space field at random particles."""
    rng = np.random.default_rng(seed)
    odd = fp.training_loss(fp.load_model("mean-field-relu", {"target": "odd-cubic", "d": D}))
    even = fp.training_loss(_model())
    W, a = rng.standard_normal((M, D)) / np.sqrt(D), rng.standard_normal((M, 1))
    sym = max(
        fp.equivariance_defect(even.gradient, W, a, fp.particle_group(g, D).generators[0])
        for g in GENERATORS
    )
    sym = max(
        sym, fp.equivariance_defect(odd.gradient, W, a, fp.particle_group("flip", D).generators[0])
    )
    other = min(
        fp.equivariance_defect(even.gradient, W, a, fp.particle_group(g, D).generators[0])
        for g in NOT_SYMMETRIES
    )
    flip_even = fp.equivariance_defect(
        even.gradient, W, a, fp.particle_group("flip", D).generators[0]
    )
    return {
        "field_equivariance_defect": sym,
        "field_non_symmetries_detected": bool(other > 1e-3 and flip_even > 1e-3),
    }


def trajectories(seed: int = 1, runs: int = 2, n_inputs: int = 500):
    """Defect of each generator along runs from orbit-closed (per generator) and generic
    initializations: {init: {generator: [defect at t = 0, TIMES...]}} and the losses."""
    X = np.random.default_rng(seed + 100).standard_normal((n_inputs, D))
    model = _model()
    curves, losses = {}, {}
    for init in [f"symmetric:{g}" for g in GENERATORS] + ["gaussian"]:
        sim = fp.simulate(model, runs=runs, init=init, seed=seed, method="gd", lr=LR, t_max=LR / 2)
        W, a = sim.W0, sim.a0
        gens = GENERATORS if init == "gaussian" else (init.split(":", 1)[1],)
        rows = {g: [_defect(W, a, fp.particle_group(g, D).generators[0], X)] for g in gens}
        prev, L = 0.0, [sim.losses[:, 0].mean()]
        for t in TIMES:
            sim = fp.simulate(
                model, runs=runs, start=(W, a), method="gd", lr=LR, t_max=t - prev, gradient_tol=0
            )
            W, a, prev = sim.W, sim.a, t
            L.append(float(sim.final_losses.mean()))
            for g in gens:
                rows[g].append(_defect(W, a, fp.particle_group(g, D).generators[0], X))
        curves[init], losses[init] = rows, L
    return curves, losses


def claims() -> dict:
    out = symbolic_checks()
    out.update(field_checks())
    curves, losses = trajectories()
    DATA["trajectories"] = (curves, losses)
    sym = max(max(v) for init, rows in curves.items() if init != "gaussian" for v in rows.values())
    generic = curves["gaussian"]
    out["orbit_closed_defect_max"] = sym
    out["generic_defect_order_one"] = min(max(v) for v in generic.values()) > 0.1
    out["generic_defect_grows"] = all(max(v[1:]) > v[0] for v in generic.values())
    return out
