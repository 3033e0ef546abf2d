"""Batched simulation: backends, integrators, stop rules, sampled data, and the paper checks
(Safran–Shamir spurious minima, Şimşek et al. averaged point)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import fixedpoints as fp
from fixedpoints.api import simulate
from fixedpoints.api.landscapes import model_teacher_vectors
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.codegen.arrayapi import activation_functions
from fixedpoints.errors import ParameterError
from fixedpoints.numeric.backend import array_backend, to_numpy
from fixedpoints.numeric.initialize import initial_weights
from fixedpoints.numeric.ode import RK4
from fixedpoints.numeric.outcomes import outcomes
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.numeric.sampled import SampledLoss
from fixedpoints.numeric.simulate import StopRule
from fixedpoints.numeric.simulate import simulate as run_batch


def _population(model, backend="numpy"):
    be = array_backend(backend)
    kt = compile_pair_kernels(model, xp=be.xp)
    V = model_teacher_vectors(model, kt.T)
    return be, PopulationLoss(kt, V, device=be.device), V


# --- initializations --------------------------------------------------------------------------


def test_initial_weights_schemes_have_their_defining_property():
    W, a = initial_weights("orthonormal", 3, 4, 6, seed=2)
    for w in W:
        assert np.allclose(w @ w.T, np.eye(4), atol=1e-12)
    W, _ = initial_weights("sphere", 5, 3, 7, scale=0.5, seed=0)
    assert np.allclose(np.linalg.norm(W, axis=-1), 0.5)
    W, a = initial_weights("gaussian", 2000, 2, 50, outputs=3, seed=1)
    assert a.shape == (2000, 2, 3)
    assert abs(np.var(W) * 50 - 1) < 0.02  # N(0, 1/d)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"scheme": "xavier"}, "init"), ({"scale": -1.0}, "scale"), ({"runs": 0}, "runs")],
)
def test_initial_weights_bad_input_names_the_parameter(kwargs, name):
    args = {"scheme": "gaussian", "runs": 2, "k": 2, "d": 3, **kwargs}
    with pytest.raises(ParameterError, match=f"`{name}`"):
        initial_weights(args.pop("scheme"), args.pop("runs"), args.pop("k"), args.pop("d"), **args)


def test_orthonormal_init_needs_k_at_most_d():
    with pytest.raises(ParameterError, match="k <= d"):
        initial_weights("orthonormal", 1, 5, 3)


# --- backends ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "sets"),
    [
        ("relu-teacher", {"d": 5}),
        ("multi-index", {"k": 3, "beta": 0.2, "d": 6, "target": "He3+0.5*He4"}),
        ("soft-committee", {"k": 3, "m": 2}),
        ("linear-two-layer", {"singular_values": [3, 2, 1]}),
    ],
)
def test_population_loss_is_identical_on_the_strict_array_api(preset, sets):
    model = fp.load_model(preset, sets)
    _, ref, V = _population(model)
    be, strict, _ = _population(model, "array-api-strict")
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, model.student.width, V.shape[1]))
    a = None if ref.a is not None else rng.standard_normal((4, model.student.width, model.outputs))
    args = (W, a)
    sargs = (be.asarray(W), None if a is None else be.asarray(a))
    assert np.allclose(to_numpy(strict.loss(*sargs)), ref.loss(*args), rtol=1e-13, atol=1e-13)
    for x, y in zip(strict.gradient(*sargs), ref.gradient(*args), strict=True):
        if y is not None:
            assert np.allclose(to_numpy(x), y, rtol=1e-12, atol=1e-13)


def test_simulation_on_strict_array_api_matches_numpy_bit_for_bit_in_outcome():
    model = fp.load_model("relu-teacher", {"d": 4})
    ref = simulate(model, runs=6, seed=3, t_max=30.0)
    strict = simulate(model, runs=6, seed=3, t_max=30.0, backend="array-api-strict")
    assert strict.protocol["backend"] == "array-api-strict"
    assert np.allclose(strict.W, ref.W, atol=1e-12)
    assert strict.status == ref.status


def test_torch_backend_matches_numpy():
    pytest.importorskip("torch")
    model = fp.load_model("relu-teacher", {"d": 4})
    ref = simulate(model, runs=5, seed=1, t_max=20.0)
    tor = simulate(model, runs=5, seed=1, t_max=20.0, backend="torch", device="cpu")
    assert tor.protocol["backend"].startswith("torch")
    assert np.allclose(tor.W, ref.W, atol=1e-10)


def test_missing_backend_gives_the_install_command():
    with pytest.raises(ParameterError, match="pip install"):
        array_backend("cupy")
    with pytest.raises(ParameterError, match="`backend`"):
        array_backend("jax")


# --- integrators and stop rules ---------------------------------------------------------------


def test_flow_matches_scipy_dop853_on_one_run():
    model = fp.load_model("soft-committee", {"k": 2, "m": 2})
    _, pop, V = _population(model)
    W0, _ = initial_weights("gaussian", 1, 2, V.shape[1], seed=4)
    stop = StopRule(gradient_tol=0.0, t_max=15.0)
    res = run_batch(pop, W0, method="flow", stop=stop, rtol=1e-10, atol=1e-12)

    def rhs(t, x):
        return -pop.gradient(x.reshape(W0.shape))[0].ravel()

    ref = solve_ivp(rhs, (0, 15.0), W0.ravel(), method="DOP853", rtol=1e-12, atol=1e-14)
    assert res.status == ("max-time",)
    assert np.allclose(res.W.ravel(), ref.y[:, -1], atol=1e-7)


def test_batched_gd_equals_one_run_at_a_time():
    model = fp.load_model("relu-teacher", {"d": 5})
    _, pop, V = _population(model)
    W0, _ = initial_weights("gaussian", 8, 5, 5, seed=0)
    stop = StopRule(gradient_tol=1e-6, t_max=500.0)
    batch = run_batch(pop, W0, method="gd", lr=1.0, stop=stop)
    for i in (0, 3, 7):
        one = run_batch(pop, W0[i : i + 1], method="gd", lr=1.0, stop=stop)
        assert np.allclose(one.W[0], batch.W[i], atol=1e-13)
        assert one.steps[0] == batch.steps[i]
    assert set(batch.status) == {"converged"}
    assert np.all(batch.gradient_norms < 1e-6)


def test_stop_rules_report_why_each_run_stopped():
    model = fp.load_model("relu-teacher", {"d": 4})
    _, pop, V = _population(model)
    W0, _ = initial_weights("gaussian", 3, 4, 4, seed=0)
    res = run_batch(pop, W0, method="gd", lr=0.5, stop=StopRule(t_max=2.0))
    assert res.status == ("max-time",) * 3 and np.allclose(res.stop_times, 2.0)
    res = run_batch(pop, W0, method="gd", lr=50.0, stop=StopRule(t_max=1e4))
    assert set(res.status) == {"diverged"}
    res = run_batch(
        pop, W0, method="gd", lr=0.5, stop=StopRule(plateau_tol=1e-3, plateau_window=5.0)
    )
    assert set(res.status) <= {"plateau", "converged"} and "plateau" in res.status
    # loss curves: start at the initial loss, end at the final loss, non-increasing for small lr
    res = run_batch(pop, W0, method="gd", lr=0.2, stop=StopRule(t_max=50.0), records=30)
    assert np.allclose(res.losses[:, 0], pop.loss(W0))
    assert np.allclose(res.losses[:, -1], res.final_losses)
    assert np.all(np.diff(res.losses, axis=1) <= 1e-12)


def test_method_and_step_size_are_validated():
    model = fp.load_model("relu-teacher", {"d": 3})
    with pytest.raises(ParameterError, match="`lr`"):
        simulate(model, runs=2, method="gd", lr=-1.0)
    with pytest.raises(ParameterError, match="`method`"):
        simulate(model, runs=2, method="adam")
    with pytest.raises(ParameterError, match="`runs`"):
        simulate(model, runs=0)
    be, pop, V = _population(model)
    W0 = np.ones((2, 3, 3))
    for bad in ("radau", RK4):
        with pytest.raises(ParameterError, match="`integrator`"):
            run_batch(pop, W0, method="flow", integrator=bad)


# --- sampled data (SGD) against the closed form -------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "sets"),
    [("soft-committee", {"k": 2, "m": 2}), ("relu-two-layer", {"d": 3})],
)
def test_sampled_loss_and_gradient_are_unbiased_estimates_of_the_population(preset, sets):
    model = fp.load_model(preset, sets)
    be, pop, V = _population(model)
    sampled = SampledLoss(pop, *activation_functions(model, np))
    rng = np.random.default_rng(0)
    k, d = model.student.width, V.shape[1]
    W = rng.standard_normal((1, k, d)) / np.sqrt(d)
    a = None if pop.a is not None else rng.standard_normal((1, k, model.outputs))
    X = rng.standard_normal((20, 20_000, d))  # 20 independent batches: their spread gives the SE
    Wb = np.broadcast_to(W, (20, k, d))
    ab = None if a is None else np.broadcast_to(a, (20, k, model.outputs))
    for est, exact in (
        (sampled.loss(Wb, ab, X), pop.loss(W, a)),
        (sampled.gradient(Wb, ab, X)[0], pop.gradient(W, a)[0]),
    ):
        se = np.std(est, axis=0, ddof=1) / np.sqrt(20)
        assert np.all(np.abs(np.mean(est, axis=0) - exact) <= 5 * se + 1e-12)


def test_sgd_with_large_batches_tracks_population_gd():
    model = fp.load_model("soft-committee", {"k": 2, "m": 2})
    gd = simulate(model, runs=4, seed=2, method="gd", lr=0.1, t_max=20.0, gradient_tol=0)
    sgd = simulate(
        model, runs=4, seed=2, method="sgd", lr=0.1, t_max=20.0, gradient_tol=0, batch_size=4096
    )
    assert np.allclose(sgd.final_losses, gd.final_losses, atol=5e-3)


# --- the papers ----------------------------------------------------------------------------------


def test_relu_teacher_d8_spurious_fraction_and_loss_match_safran_shamir():
    """Arjevani §6: 57 of 500 GD runs (11.4 %) end at F_A, L = 0.0215080372 (Xavier, step 5/d)."""
    model = fp.load_model("relu-teacher", {"d": 8})
    res = simulate(model, runs=200, seed=0)
    assert res.protocol["lr"] == pytest.approx(5 / 8) and res.protocol["init"] == "gaussian"
    assert set(res.status) == {"converged"}
    spurious = res.final_losses > 1e-6
    p, n = 57 / 500, 200
    assert abs(spurious.mean() - p) <= 3 * np.sqrt(p * (1 - p) / n)
    assert np.allclose(res.final_losses[spurious], 0.0215080372, atol=1e-9)
    clusters = outcomes(res, res.V, square=True).groups
    assert [c.label for c in clusters][0] == "global minimum"
    assert res.outcomes.groups[0].label == "global minimum"  # simulate labels them itself


@pytest.mark.parametrize(("beta", "low", "high"), [(0.28, 0.95, 1.0), (0.1, 0.0, 0.0)])
def test_multi_index_neurons_reach_the_averaged_point_only_above_beta_c(beta, low, high):
    """Şimşek et al. §5 (k=3, He3, β_c = 1/4): at β=0.28 almost every neuron ends at the averaged
    point, at β=0.1 none (d=300 here; d=2000 in the slow test)."""
    model = fp.load_model("multi-index", {"k": 3, "beta": beta, "target": "He3", "d": 300})
    res = simulate(model, runs=100, seed=0)
    assert res.protocol["decoupled"] and res.protocol["neurons_per_run"] == 1
    labels = res.outcomes.labels
    frac = np.mean([lab == "averaged" for lab in labels])
    assert low <= frac <= high


@pytest.mark.slow
def test_multi_index_d2000_acceptance():
    model = fp.load_model("multi-index", {"k": 3, "beta": 0.28, "target": "He3", "d": 2000})
    res = simulate(model, runs=400, seed=0)
    labels = res.outcomes.labels
    assert np.mean([lab == "averaged" for lab in labels]) >= 0.95


def test_decoupled_model_simulates_one_neuron_per_run():
    model = fp.load_model("multi-index", {"k": 3, "n": 3, "beta": 0.3, "d": 8})
    res = simulate(model, runs=3, t_max=5.0)
    assert res.W.shape == (3, 1, 8)
    assert np.allclose(np.linalg.norm(res.W, axis=-1), 1.0)  # spherical neurons stay on the sphere


def test_torch_sgd_draws_on_the_device_and_learns():
    pytest.importorskip("torch")
    model = fp.load_model("soft-committee", {"k": 2, "m": 2})
    kw = {"runs": 3, "method": "sgd", "lr": 0.1, "t_max": 5.0, "gradient_tol": 0}
    ref = simulate(model, **kw)
    tor = simulate(model, **kw, backend="torch", device="cpu")
    # different random streams (drawn on the device), same expected dynamics
    assert np.allclose(tor.final_losses, ref.final_losses, rtol=0.1)
    assert np.all(tor.final_losses < tor.losses[:, 0])


def test_outcomes_group_by_label_then_loss_and_name_the_reflected_averaged_point():
    """Synthetic final points (one neuron, k = 2 orthonormal teacher vectors in d = 3): +w̄ is the
    averaged point, -w̄ its reflection (the same point for even targets); runs of two labels interleaved at one loss give
    one cluster per label, not one per alternation."""
    from types import SimpleNamespace

    V = np.eye(2, 3)
    s = 1 / np.sqrt(2)
    W = np.array([[[s, s, 0]], [[-s, -s, 0]], [[1, 0, 0]], [[s, s, 0]], [[0, 1, 0]], [[0, 0, 1]]])
    L = np.array([-1.0, -1.0, -1.0 + 1e-9, -1.0, -1.0, 0.0])
    res = SimpleNamespace(final_losses=L, W=W)
    res_out = outcomes(res, V, square=False)
    clusters, labels = res_out.groups, list(res_out.labels)
    assert labels[:2] == ["averaged", "averaged (reflected, -w̄)"]
    assert labels[2] == labels[4] == "unidentified"
    assert labels[5].startswith("orthogonal")
    by_label = {c.label: c.count for c in clusters}
    assert len(clusters) == 4 and by_label["averaged"] == 2 and by_label["unidentified"] == 2
    # a neuron creeping to the equator along the all-negative direction is not -w̄
    creep = SimpleNamespace(final_losses=np.array([-1e-6]), W=np.array([[[-0.01, -0.01, 1]]]))
    assert outcomes(creep, V, square=False).labels == ("unidentified",)
    assert [c.loss for c in clusters] == sorted(c.loss for c in clusters)


def test_outcomes_do_not_label_a_run_far_from_a_critical_point():
    """GD past its stability limit ends in a 2-cycle whose overlaps look averaged: with a large
    final gradient the run is 'not converged', and a real simulation of that case shows it (He4,
    k = 3, beta = 0.6: lambda_perp = 96 (1 + 2 beta)^2 / 3 = 154.9 > 2 / lr for lr = 0.02)."""
    from types import SimpleNamespace

    s = 1 / np.sqrt(2)
    res = SimpleNamespace(
        final_losses=np.array([-1.0, -1.0]),
        W=np.array([[[s, s, 0]], [[s, s, 0]]]),
        gradient_norms=np.array([1e-9, 0.5]),
    )
    labels = outcomes(res, np.eye(2, 3), square=False).labels
    assert labels == ("averaged", "not converged")

    model = fp.load_model("multi-index", {"k": 3, "beta": 0.6, "target": "He4", "d": 20})
    bad = simulate(model, runs=20, seed=0, lr=0.02, t_max=20)
    labels = bad.outcomes.labels
    assert "averaged" not in labels and set(labels) == {"not converged"}
    good = simulate(model, runs=20, seed=0, lr=0.005, t_max=20)
    labels = good.outcomes.labels
    # He4 is even: about half the neurons end at -w̄
    assert sum(lab.startswith("averaged") for lab in labels) >= 19


def test_sphere_overlaps_match_sphere_initialization_in_weight_space():
    """The overlap-space sampler against ``initial_weights('sphere')`` projected on equiangular
    teacher vectors (beta = 0.3, k = 3, d = 12): mean 0 and covariance G/d, each entry within 5
    standard errors; d = k puts every point on the unit sphere of span V (m^T G^-1 m = 1)."""
    from fixedpoints.numeric.initialize import initial_weights, sphere_overlaps

    k, d, n, beta = 3, 12, 40000, 0.3
    G = (1 - beta) * np.eye(k) + beta * np.ones((k, k))
    V = np.linalg.cholesky(G) @ np.eye(k, d)  # rows: unit vectors with Gram matrix G
    rng = np.random.default_rng(3)
    m = sphere_overlaps(rng.standard_normal((n, k)), d, rng, G)
    W, _ = initial_weights("sphere", n, 1, d, seed=4)
    ref = W[:, 0] @ V.T
    for sample in (m, ref):
        prod = sample[:, :, None] * sample[:, None, :]
        se = prod.std(axis=0) / np.sqrt(n)
        assert np.all(np.abs(prod.mean(axis=0) - G / d) <= 5 * se)
        assert np.all(np.abs(sample.mean(axis=0)) <= 5 * sample.std(axis=0) / np.sqrt(n))
    on_sphere = sphere_overlaps(rng.standard_normal((5, k)), k, rng, G)
    assert np.einsum("ni,ij,nj->n", on_sphere, np.linalg.inv(G), on_sphere) == pytest.approx(1)
    with pytest.raises(fp.ParameterError, match="`d`"):
        sphere_overlaps(np.zeros((2, k)), k - 1, rng)


def test_gd_records_take_the_loss_from_the_gradient_jet():
    """GD evaluates the record losses with the field (one kernel jet), no separate loss call;
    the curves, stops and weights equal those of the unfused monitor."""
    model = fp.load_model("relu-teacher", {"d": 4})
    _, pop, _ = _population(model)
    W0, _ = initial_weights("gaussian", 5, 4, 4, seed=1)
    stop = StopRule(gradient_tol=1e-5, t_max=50.0, plateau_tol=1e-12, plateau_window=5.0)
    calls = []

    class Unfused:  # the same loss without value_and_gradient
        xp, kernels = pop.xp, pop.kernels

        def loss(self, W, a=None):
            calls.append(W.shape[0])
            return pop.loss(W, a)

        def gradient(self, W, a=None):
            return pop.gradient(W, a)

    fused = run_batch(pop, W0, method="gd", lr=0.2, stop=stop)
    plain = run_batch(Unfused(), W0, method="gd", lr=0.2, stop=stop)
    assert calls  # the unfused monitor computes its losses apart
    np.testing.assert_allclose(fused.W, plain.W, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fused.times, plain.times)
    np.testing.assert_allclose(fused.losses, plain.losses, rtol=1e-12, atol=1e-14)
    assert fused.status == plain.status and (fused.steps == plain.steps).all()
