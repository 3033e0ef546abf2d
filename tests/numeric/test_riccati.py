"""The exact (Riccati) flow of quadratic networks against direct integration of the weight flow,
on both evaluation routes (graded QR, diagonal), with re-anchoring, null directions, indefinite
teachers and other sizes than the examples."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import fixedpoints as fp
from fixedpoints.errors import ParameterError
from fixedpoints.numeric.initialize import initial_weights
from fixedpoints.numeric.riccati import RiccatiProblem, exact_flow
from fixedpoints.numeric.riccati.closed_form import Anchor


def direct(Zs, W0, times, a=1.0, s=0.25):
    """Z(t) of the weight flow dW/dt = -grad L, L = s(2|Z - Z*|^2 + tr(Z - Z*)^2), Z = a WᵀW."""
    k, d = W0.shape

    def rhs(t, x):
        W = x.reshape(k, d)
        Z = a * W.T @ W
        G = 4 * (Z - Zs) + 2 * np.trace(Z - Zs) * np.eye(d)
        return -(2 * a * s * W @ G).ravel()

    sol = solve_ivp(rhs, (0, times[-1]), W0.ravel(), "DOP853", t_eval=times, rtol=1e-12, atol=1e-14)
    W = sol.y.T.reshape(len(times), k, d)
    return a * np.swapaxes(W, -1, -2) @ W


def loss(Z, Zs, s=0.25):
    E = Z - Zs
    return s * (2 * np.sum(E * E, axis=(-2, -1)) + np.trace(E, axis1=-2, axis2=-1) ** 2)


CASES = [
    # (teacher eigenvalues padded to d, d, k, init, times): general route, null directions
    ((5, 3, 2), 5, 2, "gaussian", [0, 0.3, 2, 20, 60]),
    ((3, 2, 1), 6, 4, "gaussian", [0, 1, 5, 40]),  # m > m*: 1/t^2 tail
    ((2, 2, 1), 4, 6, "gaussian", [0, 1, 10]),  # k > d, degenerate teacher
    ((1.5, -0.7, 0.4), 5, 3, "gaussian", [0, 1, 4, 12]),  # indefinite teacher
    ((0.2,) * 5, 20, 8, "orthonormal", [0, 20, 100, 400]),  # diagonal route, m > m*
    ((0.1,) * 10, 20, 14, "orthonormal", [0, 20, 100, 400]),  # diagonal, m + m* > d
]


@pytest.mark.parametrize("mu, d, k, init, times", CASES)
def test_exact_flow_matches_direct_integration(mu, d, k, init, times):
    Zs = np.diag(list(mu) + [0.0] * (d - len(mu)))
    scale = 1 / np.sqrt(k) if init == "orthonormal" else 1.0
    W0, _ = initial_weights(init, 2, k, d, scale=scale, seed=7)
    pb = RiccatiProblem.from_teacher(Zs)
    times = np.array(times, float)
    flow = exact_flow(pb, W0, times)
    for r in range(2):
        Z = direct(Zs, W0[r], times)
        np.testing.assert_allclose(flow.observables["loss"][r], loss(Z, Zs), rtol=1e-7, atol=1e-9)
        tr = np.trace(Z, axis1=1, axis2=2)
        np.testing.assert_allclose(flow.observables["trace"][r], tr, rtol=1e-7)
        Zf = flow.W[r].T @ flow.W[r]
        assert np.linalg.norm(Zf - Z[-1]) <= 1e-7 * np.linalg.norm(Z[-1])
    # log det K = 4 (phi + t tr Z*) along the solution (notes §2), through re-anchorings
    ident = flow.observables["log_det_K"] - 4 * (flow.observables["phi"] + times * np.trace(Zs))
    assert np.max(np.abs(ident)) < 1e-7 * (1 + np.max(np.abs(flow.observables["log_det_K"])))


def test_routes_agree_and_the_diagonal_route_is_chosen_for_orthonormal_students():
    d, m, ms = 12, 5, 4
    Zs = np.diag([1 / ms] * ms + [0.0] * (d - ms))
    pb = RiccatiProblem.from_teacher(Zs)
    W0, _ = initial_weights("orthonormal", 3, m, d, scale=1 / np.sqrt(m), seed=2)
    from fixedpoints.numeric.riccati.flow import _factor0

    anchor = Anchor(pb, _factor0(pb, W0))
    assert anchor.diag
    rows = np.arange(3)
    u, phi, gh = np.full(3, 7.0), np.full(3, -0.3), np.array([[0.8, 5.0]] * 3)
    n_diag = anchor.trace(u, phi, gh, rows)
    anchor.diag = False  # the same anchor through the general graded-QR route
    n_qr = anchor.trace(u, phi, gh, rows)
    np.testing.assert_allclose(n_diag, n_qr, rtol=1e-12)


def test_structural_zeros_are_exact_at_long_times():
    # m > m*: students in the null space of Z* decay as 1/t; rounding noise amplified by
    # e^{4t/m*} would wreck the trace (the notes' pitfall) -- compare with the closed-form tail
    d, m, ms = 16, 8, 2
    Zs = np.diag([1 / ms] * ms + [0.0] * (d - ms))
    W0, _ = initial_weights("orthonormal", 1, m, d, scale=1 / np.sqrt(m), seed=0)
    times = np.array([0.0, 100.0, 400.0])  # e^{4t/m*} = e^{800}
    flow = exact_flow(RiccatiProblem.from_teacher(Zs), W0, times)
    Z = direct(Zs, W0[0], times)
    np.testing.assert_allclose(flow.observables["loss"][0], loss(Z, Zs), rtol=1e-6)
    assert np.all(np.isfinite(flow.observables["phi"]))


def test_simulate_exact_converges_every_run_to_the_top_two_minimum():
    model = fp.load_model("quadratic", {"teacher_eigenvalues": "5,3,2", "d": 5, "m": 2})
    sim = fp.simulate(model, runs=20, method="exact")
    assert set(sim.status) == {fp.Status.CONVERGED}
    np.testing.assert_allclose(sim.final_losses, 2.5, atol=1e-12)
    assert np.all(sim.gradient_norms < 1e-8)
    Z = np.einsum("rki,rkj->rij", sim.W, sim.W)
    np.testing.assert_allclose(Z[:, 0, 0], 5.5, atol=1e-7)  # Z_S = mu_k - tau_S/2, tau_S = -1
    np.testing.assert_allclose(Z[:, 2:, 2:], 0.0, atol=1e-7)


def test_second_layer_and_loss_scale_set_the_time_scale():
    Zs = np.diag([1.0, 0.4, 0.0, 0.0])
    W0, _ = initial_weights("gaussian", 1, 2, 4, seed=3)
    times = np.array([0.0, 0.7, 3.0])
    flow = exact_flow(RiccatiProblem.from_teacher(Zs, a=2.0, s=0.1), W0, times)
    Z = direct(Zs, W0[0], times, a=2.0, s=0.1)
    np.testing.assert_allclose(flow.observables["loss"][0], loss(Z, Zs, s=0.1), rtol=1e-8)


def test_simulate_exact_at_requested_times():
    model = fp.load_model("quadratic", {"teacher_eigenvalues": "1,0.5", "d": 3, "m": 2})
    times = [0.0, 0.5, 1.5]
    sim = fp.simulate(model, runs=2, method="exact", times=times, gradient_tol=0.0)
    np.testing.assert_allclose(sim.times, times)
    Zs = np.diag([1.0, 0.5, 0.0])
    for r in range(2):
        Z = direct(Zs, np.asarray(sim.W0[r]), np.array(times))
        np.testing.assert_allclose(sim.losses[r], loss(Z, Zs), rtol=1e-8)
    assert {"phi", "overlap", "trace", "gradient_norm"} <= set(sim.observables)


def test_exact_refuses_models_outside_the_class_and_device_backends():
    with pytest.raises(ParameterError, match="method"):
        fp.simulate(fp.load_model("soft-committee", {"k": 2, "m": 2}), runs=1, method="exact")
    with pytest.raises(ParameterError, match="backend"):
        fp.simulate(fp.load_model("quadratic"), runs=1, method="exact", backend="torch")


def test_exact_refuses_rank_deficient_starts_and_bad_times():
    pb = RiccatiProblem.from_teacher(np.diag([1.0, 0.0, 0.0]))
    W0 = np.zeros((1, 2, 3))
    W0[0, 0, 0] = 1.0
    with pytest.raises(ParameterError, match="W0"):
        exact_flow(pb, W0, [0.0, 1.0])
    with pytest.raises(ParameterError, match="times"):
        exact_flow(pb, np.eye(3)[None, :2], [1.0, 0.5])
