"""The Runge–Kutta–Chebyshev method RKC2 in the one ODE engine: its stability function is bounded
on its real interval and second order, it converges at order 2, it integrates stiff problems
with far fewer field calls than Dormand–Prince, trajectories with different stage counts in one
batch get the steps they would get alone, the power iteration finds the spectral radius, and
AUTO switches a state wider than ``max_dense`` to it."""

from __future__ import annotations

import numpy as np
import pytest

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.ode import (
    AUTO,
    DOPRI5,
    RKC,
    ROS34PW2,
    Auto,
    Chebyshev,
    ErrorControl,
    FixedStep,
    Layout,
    solve,
)
from fixedpoints.numeric.ode.chebyshev import (
    chebyshev_coefficients,
    chebyshev_step,
    spectral_radius,
    stage_counts,
)


def _R(s, z):
    """R_s(z): one RKC step of y' = z y from y = 1 with h = 1 and s stages."""
    z = np.asarray(z, dtype=float).reshape(-1, 1)
    y = (np.ones_like(z),)
    step = chebyshev_step(lambda Y: (z * Y[0],), RKC, y, (z * y[0],), 1.0, np.full(z.size, s), np)
    return step.y[0][:, 0]


@pytest.mark.parametrize("s", [2, 3, 7, 40, 400])
def test_stability_function_is_bounded_on_its_interval_and_second_order(s):
    """|R_s| <= 1 on [-beta_s, 0] (beta_s ~ 0.65 s^2), R_s(z) - e^z = O(z^3)."""
    beta = chebyshev_coefficients(RKC.max_stages, RKC.damping)[0][s]
    assert beta == pytest.approx(2 / 3 * (s * s - 1) * (1 - 2 * RKC.damping / 15), rel=0.02)
    assert np.abs(_R(s, np.linspace(-beta, 0.0, 4001))).max() <= 1.0 + 1e-12
    err = [abs(_R(s, [z])[0] - np.exp(z)) for z in (-0.02, -0.01)]
    assert np.log2(err[0] / err[1]) == pytest.approx(3.0, abs=0.1)


def test_rkc_converges_at_order_two_on_a_nonlinear_problem():
    """y' = -y^2, y(0) = 1, y(1) = 1/2 with fixed steps h and h/2: error ratio 2^2."""
    errors = []
    for h in (0.05, 0.025):
        sol = solve(lambda y: -y * y, np.ones((1, 1)), 1.0, tableau=RKC, control=FixedStep(h))
        errors.append(abs(sol.states[0, 0] - 0.5))
    assert np.log2(errors[0] / errors[1]) == pytest.approx(2.0, abs=0.1)


class _Counted:
    def __init__(self, A):
        self.A, self.rows = A, 0

    def __call__(self, y):
        self.rows += y.shape[0]
        return y @ self.A.T


def test_rkc_integrates_a_stiff_problem_with_far_fewer_field_calls():
    """Eigenvalues -1 and -1000 to t = 10 at rtol 1e-4: Dormand–Prince is held at h ~ 3.3/1000,
    RKC takes a few stages per step instead; both land on the exact solution."""
    A = np.diag([-1.0, -1000.0])
    y0 = np.array([[1.0, 1.0], [0.5, -2.0]])
    exact = y0 * np.exp(10.0 * np.diag(A))
    control = ErrorControl(rtol=1e-4, atol=1e-8)
    calls = {}
    for method in (DOPRI5, RKC):
        field = _Counted(A)
        sol = solve(field, y0, 10.0, tableau=method, control=control)
        calls[method.name] = field.rows
        assert np.abs(sol.states - exact).max() < 1e-5 and sol.methods == (method.name,) * 2
    assert calls["rkc"] < calls["dopri5"] / 4


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_trajectories_with_different_stage_counts_get_their_own_steps(backend):
    """Decays with rates 1, 3000 and 40 in one batch (the rate is part of the state): each row
    takes its own stage counts, and its steps and end state are those of its run alone."""
    xp = pytest.importorskip(backend)
    rates = np.array([[1.0], [3000.0], [40.0]])

    def field(y):
        return (-y[1] * y[0], 0.0 * y[1])

    def run(r):
        y0 = (xp.asarray(np.ones((r.shape[0], 1))), xp.asarray(r))
        return solve(field, y0, 2.0, tableau=RKC, control=ErrorControl(rtol=1e-5, atol=1e-9))

    batch = run(rates)
    for i in range(3):
        alone = run(rates[i : i + 1])
        assert batch.steps[i] == alone.steps[0]
        np.testing.assert_allclose(batch.states[0][i], alone.states[0][0], rtol=1e-13, atol=1e-300)
    assert np.abs(batch.states[0][:, 0] - np.exp(-2.0 * rates[:, 0])).max() < 1e-4


def test_power_iteration_finds_the_spectral_radius():
    """A symmetric linear field with eigenvalues in [-200, 0.5] in a random basis: sigma within
    1% of 200 for every row; a field that vanishes gives 0."""
    rng = np.random.default_rng(3)
    n = 30
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.concatenate([[-200.0, 0.5], -rng.uniform(0.0, 150.0, n - 2)])
    A = Q @ np.diag(lam) @ Q.T
    y = (rng.standard_normal((4, n)),)
    f = (y[0] @ A.T,)
    rho, v = spectral_radius(lambda s: (s[0] @ A.T,), y, f, None, Layout(y), np)
    assert np.abs(rho / 200.0 - 1).max() < 0.01 and v.shape == (4, n)
    zero, _ = spectral_radius(lambda s: (0.0 * s[0],), y, (0.0 * y[0],), None, Layout(y), np)
    assert np.array_equal(zero, np.zeros(4))


def test_stage_counts_cover_h_rho():
    beta = chebyshev_coefficients(RKC.max_stages, RKC.damping)[0]
    hrho = np.array([0.0, 1.0, 10.0, 1e3, 1e5, 1e9])
    s = stage_counts(hrho, RKC)
    assert s.min() >= 2 and s.max() == RKC.max_stages
    ok = hrho <= beta[-1]
    assert np.all(beta[s[ok]] >= hrho[ok]) and np.all(
        beta[np.maximum(s[ok] - 1, 0)] < hrho[ok] + (s[ok] == 2)
    )


def test_auto_switches_a_wide_state_to_rkc():
    """300 decays with rates up to 1000 (wider than max_dense = 256): AUTO switches the run to
    RKC and lands on the exact solution in far fewer steps; with ``wide=None`` it stays on
    Dormand–Prince, and a narrow state still switches to the Rosenbrock method."""
    rates = np.geomspace(1.0, 1000.0, 300)
    y0 = np.ones((1, 300))
    control = ErrorControl(rtol=1e-5, atol=1e-9)
    auto = solve(lambda y: -rates * y, y0, 5.0, tableau=AUTO, control=control)
    plain = solve(lambda y: -rates * y, y0, 5.0, tableau=Auto(wide=None), control=control)
    assert auto.methods == ("rkc",) and plain.methods == ("dopri5",)
    assert auto.steps[0] < plain.steps[0] / 2
    assert np.abs(auto.states[0] - np.exp(-5.0 * rates)).max() < 1e-4
    fast = np.array([1.0, 1000.0])
    narrow = solve(lambda y: -fast * y, y0[:, :2], 5.0, tableau=AUTO, control=control)
    assert narrow.methods == ("ros34pw2",)


def test_bad_chebyshev_arguments_name_the_parameter():
    with pytest.raises(ParameterError, match="`damping`"):
        Chebyshev(damping=1.5)
    with pytest.raises(ParameterError, match="`max_stages`"):
        Chebyshev(max_stages=1)
    with pytest.raises(ParameterError, match="`wide`"):
        Auto(wide=ROS34PW2)
