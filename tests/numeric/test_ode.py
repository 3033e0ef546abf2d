"""The one ODE engine: every tableau converges at its order, controllers (fixed, rule,
per-trajectory and shared adaptive) behave as documented, retraction and events work on tuple
states, the Rosenbrock method keeps its order with any Jacobian and is L-stable, stiffness
switching happens where (and only where) the explicit step is stability-limited, and every caller
goes through it."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import fixedpoints as fp
from fixedpoints.errors import ParameterError
from fixedpoints.numeric.ode import (
    AUTO,
    DOPRI5,
    EULER,
    HEUN,
    RK4,
    ROS34PW2,
    Auto,
    ErrorControl,
    FixedStep,
    Layout,
    StepRule,
    forward_jacobian,
    rk_step,
    rosenbrock_step,
    solve,
)
from fixedpoints.numeric.ode.jacobian import SymmetricJacobian, eigen_jacobian
from fixedpoints.results import Status

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _decay(y):
    return -y


@pytest.mark.parametrize(("tableau", "order"), [(EULER, 1), (HEUN, 2), (RK4, 4), (DOPRI5, 5)])
def test_each_tableau_converges_at_its_order(tableau, order):
    """Global error of y' = -y at t = 1 for steps h and h/2: the ratio is 2^order."""
    errors = []
    for h in (0.1, 0.05):
        sol = solve(_decay, np.ones((1, 1)), 1.0, tableau=tableau, control=FixedStep(h))
        errors.append(abs(sol.states[0, 0] - np.exp(-1)))
    rate = np.log2(errors[0] / errors[1])
    assert rate == pytest.approx(order, abs=0.15)


def test_embedded_error_estimates_scale_with_their_order():
    """One step of y' = -y: DOPRI5's error estimate shrinks like h^5, Heun's like h^2."""
    y = (np.ones((1, 1)),)

    def field(s):
        return (-s[0],)

    for tab, q in ((DOPRI5, 5), (HEUN, 2)):
        e = [abs(rk_step(field, tab, y, field(y), h, np)[2][0][0, 0]) for h in (0.1, 0.05)]
        assert np.log2(e[0] / e[1]) == pytest.approx(q, abs=0.2)


def _rated(y):
    """(y, r) -> (-r y, 0): decays with per-trajectory rates carried in the state."""
    return (-y[1] * y[0], 0.0 * y[1])


def test_per_trajectory_steps_differ_and_shared_steps_agree():
    """Two decays with rates 1 and 50: per-trajectory steps adapt separately (the fast one needs
    more), a shared step makes them take the same number."""
    rates = np.array([[1.0], [50.0]])
    y0 = (np.ones((2, 1)), rates)
    own = solve(_rated, y0, 1.0, control=ErrorControl(rtol=1e-8, atol=1e-12))
    shared = solve(_rated, y0, 1.0, control=ErrorControl(rtol=1e-8, atol=1e-12, shared=True))
    assert own.steps[1] > own.steps[0] and shared.steps[0] == shared.steps[1]
    for sol in (own, shared):
        assert np.allclose(sol.states[0][:, 0], np.exp(-rates[:, 0]), rtol=1e-6)
        assert sol.status == (Status.MAX_TIME, Status.MAX_TIME)


def test_step_rule_sets_each_trajectory_step():
    """A rule h = 0.1 / rate keeps h * rate fixed: trajectory i takes 10 rate_i steps to t = 1."""
    sol = solve(
        _rated,
        (np.ones((2, 1)), np.array([[1.0], [4.0]])),
        1.0,
        tableau=HEUN,
        control=StepRule(lambda t, y, f: 0.1 / y[1][:, 0]),
    )
    assert list(sol.steps) == [10, 40]


def test_tuple_state_with_retraction_stays_on_the_sphere():
    """Rotation field on a tuple state (W, None): the retraction keeps |w| = 1, the angle
    advances by t."""
    A = np.array([[0.0, -1.0], [1.0, 0.0]])

    def field(y):
        return (y[0] @ A.T * 1.0 + 0.3 * y[0], None)  # a radial part the retraction removes

    W0 = np.array([[[1.0, 0.0]]])
    sol = solve(
        field,
        (W0, None),
        1.0,
        control=ErrorControl(rtol=1e-10, atol=1e-12, shared=True),
        retract=lambda y: (y[0] / np.linalg.norm(y[0], axis=-1, keepdims=True), None),
    )
    W, a = sol.states
    assert a is None and np.linalg.norm(W[0, 0]) == pytest.approx(1.0, abs=1e-12)
    assert W[0, 0] == pytest.approx([np.cos(1.0), np.sin(1.0)], abs=1e-8)


def test_stop_rule_gives_statuses_and_steps_are_capped():
    sol = solve(
        _decay,
        np.array([[1.0], [10.0]]),
        np.inf,
        control=ErrorControl(),
        stop=lambda t, y, f, ids: [Status.CONVERGED if v < 0.5 else None for v in y[:, 0]],
    )
    assert sol.status == (Status.CONVERGED, Status.CONVERGED)
    assert sol.times[1] > sol.times[0] > np.log(2) - 0.5
    capped = solve(_decay, np.ones((1, 1)), np.inf, control=FixedStep(0.1), max_steps=7)
    assert capped.status == (Status.MAX_STEPS,) and capped.steps[0] == 7
    # None: every trajectory goes on; per-trajectory steps give each its own times
    seen = []

    def go_on(t, y, f, ids):
        seen.append(np.array(t))
        return None

    free = solve(_decay, np.array([[1.0], [10.0]]), 2.0, control=ErrorControl(), stop=go_on)
    assert free.status == (Status.MAX_TIME,) * 2 and np.all(free.times == 2.0)
    assert any(t.size == 2 and t[0] != t[1] for t in seen)


def test_non_finite_field_ends_the_trajectory_as_diverged():
    """y' = y^3 from y = 1 blows up at t = 1/2; y' = -y from y = -1 stays finite."""

    def field(y):
        with np.errstate(all="ignore"):
            return np.where(y > 0, np.where(y > 1e3, np.nan, y**3), -y)

    sol = solve(field, np.array([[-1.0], [1.0]]), 5.0)
    assert sol.status == (Status.MAX_TIME, Status.DIVERGED)


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ParameterError, match="`control`"):
        solve(_decay, np.ones((1, 1)), 1.0, tableau=RK4)
    with pytest.raises(ParameterError, match="`control`"):
        solve(_decay, np.ones((1, 1)), 1.0, tableau=EULER, control=ErrorControl())
    with pytest.raises(ParameterError, match="`field`"):
        solve(lambda y: y[:, :0], np.ones((2, 2)), 1.0)
    with pytest.raises(ParameterError, match="`h`"):
        FixedStep(0.0)


def test_every_caller_integrates_through_the_engine():
    """No module outside numeric/ode holds a Runge–Kutta step or a Butcher tableau: the callers
    (simulate, the data-set escape, the studies) import the engine."""
    users = {
        "fixedpoints/numeric/simulate.py",
        "fixedpoints/numeric/dataset.py",
        "derivations/simsek_2025_multi_index/recovery.py",
    }
    for rel in users:
        src = (ROOT / rel).read_text()
        assert "solve(" in src, rel
    integrator = ("dopri", "heun", "rk4", "runge", "euler")
    files = [
        *ROOT.joinpath("fixedpoints").rglob("*.py"),
        *ROOT.joinpath("derivations").rglob("*.py"),
    ]
    for path in files:
        if "ode" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                assert not any(w in node.name.lower() for w in integrator), (path, node.name)
            if isinstance(node, ast.Name):
                assert node.id not in ("DP_A", "DP_E", "_DP_A", "_DP_E"), path


# --- Rosenbrock (ROS34PW2), forward-difference Jacobians, stiffness switching -----------------


def _square_decay(y):
    """y1' = -y1^2, y2' = y1 y2 from (1, 1): y = (1 / (1 + t), 1 + t)."""
    return np.stack([-(y[:, 0] ** 2), y[:, 0] * y[:, 1]], axis=1)


def _square_decay_jacobian(y):
    J = np.zeros((y.shape[0], 2, 2))
    J[:, 0, 0], J[:, 1, 0], J[:, 1, 1] = -2 * y[:, 0], y[:, 1], y[:, 0]
    return J


@pytest.mark.parametrize(
    "jacobian",
    [
        _square_decay_jacobian,
        lambda y: _square_decay_jacobian(y) + np.array([[0.3, 0.2], [-0.5, 0.1]]),
        lambda y: np.zeros((y.shape[0], 2, 2)),
        None,  # forward differences
    ],
    ids=["exact", "perturbed", "zero", "forward-differences"],
)
def test_rosenbrock_converges_at_order_three_with_any_jacobian(jacobian):
    """ROS34PW2 is a W-method: global error ratio 2^3 for steps h and h/2 on a nonlinear problem
    whatever the Jacobian."""
    errors = []
    for h in (0.05, 0.025):
        sol = solve(
            _square_decay,
            np.ones((1, 2)),
            1.0,
            tableau=ROS34PW2,
            control=FixedStep(h),
            jacobian=jacobian,
        )
        errors.append(np.abs(sol.states[0] - [0.5, 2.0]).max())
    assert np.log2(errors[0] / errors[1]) == pytest.approx(3, abs=0.15)
    assert sol.methods == ("ros34pw2",)


def test_rosenbrock_embedded_error_estimate_scales_as_h_cubed():
    """One step: the embedded (order 2) estimate is a local error O(h^3)."""
    y = (np.ones((1, 2)),)
    layout = Layout(y)

    def field(s):
        return (_square_decay(s[0]),)

    J = _square_decay_jacobian(y[0])
    e = [
        abs(rosenbrock_step(field, ROS34PW2, y, field(y), h, J, np, layout=layout).error[0]).max()
        for h in (0.02, 0.01)
    ]
    assert np.log2(e[0] / e[1]) == pytest.approx(3, abs=0.1)


def _stability_function(z):
    """R(z) = y_new / y of one ROS34PW2 step of y' = z y with h = 1 and the exact Jacobian."""
    y = (np.ones((1, 1)),)
    st = rosenbrock_step(
        lambda s: (z * s[0],),
        ROS34PW2,
        y,
        (z * y[0],),
        1.0,
        np.full((1, 1, 1), z),
        np,
        layout=Layout(y),
    )
    return st.y[0][0, 0]


def test_ros34pw2_is_l_stable():
    """R(z) -> 0 as z -> -inf, |R| <= 1 on the negative axis and on the imaginary axis (a
    rotation y' = [[0, -w], [w, 0]] y does not grow), and R(z) = e^z + O(z^4)."""
    assert abs(_stability_function(-1e12)) < 1e-9
    assert all(abs(_stability_function(-x)) <= 1 for x in np.geomspace(1e-3, 1e6, 60))
    for w in np.geomspace(1e-2, 1e4, 40):
        A = np.array([[0.0, -w], [w, 0.0]])
        y = (np.array([[1.0, 0.0]]),)
        st = rosenbrock_step(
            lambda s, A=A: (s[0] @ A.T,),
            ROS34PW2,
            y,
            (y[0] @ A.T,),
            1.0,
            A[None],
            np,
            layout=Layout(y),
        )
        assert np.linalg.norm(st.y[0]) <= 1 + 1e-12
    e = [abs(_stability_function(-z) - np.exp(-z)) for z in (0.02, 0.01)]
    assert np.log2(e[0] / e[1]) == pytest.approx(4, abs=0.1)


def test_forward_jacobian_matches_the_exact_one_on_a_tuple_state():
    """State (X (N, 2, 2), None, v (N, 3)), F = (sin(X) v0, None, v^2 + x00 x11): the batched
    forward differences agree with the closed form to ~sqrt(eps)."""
    rng = np.random.default_rng(1)
    X, v = rng.normal(size=(4, 2, 2)), rng.normal(size=(4, 3))

    def field(y):
        X, _, v = y
        return (np.sin(X) * v[:, :1, None], None, v**2 + (X[:, 0, 0] * X[:, 1, 1])[:, None])

    y = (X, None, v)
    layout = Layout(y)
    J = forward_jacobian(field, y, field(y), layout, np)
    exact = np.zeros((4, 7, 7))
    x = X.reshape(4, 4)
    for a in range(4):
        exact[:, a, a] = np.cos(x[:, a]) * v[:, 0]
        exact[:, a, 4] = np.sin(x[:, a])
    for k in range(3):
        exact[:, 4 + k, 4 + k] = 2 * v[:, k]
        exact[:, 4 + k, 0], exact[:, 4 + k, 3] = x[:, 3], x[:, 0]
    assert J.shape == (4, 7, 7) and layout.n == 7
    assert np.abs(J - exact).max() < 1e-6


def _linear(eigenvalues):
    Q = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    A = Q @ np.diag(eigenvalues) @ Q.T
    return A, (lambda t: Q @ np.diag(np.exp(t * np.asarray(eigenvalues))) @ Q.T)


def test_auto_switches_to_rosenbrock_on_a_stiff_problem_with_far_fewer_steps():
    """Eigenvalues -1 and -1000: DOPRI5 is held at h ~ 3.3/1000 (about 3000 steps to t = 10);
    AUTO switches after about 15 of them and needs several times fewer in all."""
    A, flow = _linear([-1.0, -1000.0])
    y0 = np.array([[1.0, 1.0], [0.5, -2.0]])
    control = ErrorControl(rtol=1e-6, atol=1e-9)
    explicit = solve(lambda y: y @ A.T, y0, 10.0, control=control)
    auto = solve(lambda y: y @ A.T, y0, 10.0, tableau=AUTO, control=control)
    assert explicit.methods == ("dopri5",) * 2 and auto.methods == ("ros34pw2",) * 2
    assert explicit.steps.min() > 2500 and auto.steps.max() < explicit.steps.min() / 5
    assert np.abs(auto.states - y0 @ flow(10.0).T).max() < 1e-8


def test_auto_stays_explicit_on_a_non_stiff_problem():
    """Eigenvalues -1 and -2: AUTO takes exactly DOPRI5's steps."""
    A, _ = _linear([-1.0, -2.0])
    y0 = np.array([[1.0, 1.0]])
    explicit = solve(lambda y: y @ A.T, y0, 10.0)
    auto = solve(lambda y: y @ A.T, y0, 10.0, tableau=AUTO)
    assert auto.methods == ("dopri5",) and np.array_equal(auto.states, explicit.states)


@pytest.mark.parametrize("shared", [False, True])
def test_auto_on_a_tuple_state_with_none_entries(shared):
    """The stiff system on the state (u (N, 1), None, w (N, 1, 1)), rows started apart: both
    per-trajectory and shared steps switch and land on the exact solution."""
    A, flow = _linear([-1.0, -1000.0])

    def field(y):
        u, _, w = y
        z = np.concatenate([u, w[:, 0]], axis=1) @ A.T
        return (z[:, :1], None, z[:, 1:, None])

    z0 = np.array([[1.0, 1.0], [0.5, -2.0], [0.0, 1.0]])
    sol = solve(
        field,
        (z0[:, :1], None, z0[:, 1:, None]),
        5.0,
        tableau=AUTO,
        control=ErrorControl(rtol=1e-6, atol=1e-9, shared=shared),
    )
    u, none, w = sol.states
    assert none is None and sol.methods == ("ros34pw2",) * 3
    assert np.abs(np.concatenate([u, w[:, 0]], axis=1) - z0 @ flow(5.0).T).max() < 1e-7
    assert sol.steps.max() < 600


def test_auto_switches_back_when_the_stiffness_fades():
    """y' = -1e5 e^(-s) (y - sin s), s' = 1: stiff at first (DOPRI5 alone needs at least
    int 1e5 e^(-s) / 3.3 ds ~ 3e4 steps), not after s ~ 12. The run ends on DOPRI5 after far
    fewer steps, on SciPy's Radau solution."""

    def field(y):
        lam = 1e5 * np.exp(-y[:, 1])
        return np.stack([-lam * (y[:, 0] - np.sin(y[:, 1])), np.ones_like(lam)], axis=1)

    auto = solve(
        field, np.zeros((1, 2)), 30.0, tableau=AUTO, control=ErrorControl(rtol=1e-7, atol=1e-10)
    )
    ref = solve_ivp(lambda t, y: field(y[None])[0], (0, 30), [0.0, 0.0], "Radau", rtol=1e-11)
    assert auto.methods == ("dopri5",) and auto.steps[0] < 3000
    assert abs(auto.states[0, 0] - ref.y[0, -1]) < 1e-6


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_auto_switches_each_trajectory_on_its_own(backend):
    """Decays with rates 1 and 1000 in one batch (per-trajectory steps; the rate is part of the
    state): only the fast one switches; both land on e^(-r t), in NumPy and the strict array API."""
    xp = pytest.importorskip(backend)
    y0 = (xp.asarray(np.ones((2, 1))), xp.asarray(np.array([[1.0], [1000.0]])))
    sol = solve(_rated, y0, 2.0, tableau=AUTO, control=ErrorControl(rtol=1e-6, atol=1e-9))
    assert sol.methods == ("dopri5", "ros34pw2")
    assert np.abs(sol.states[0][:, 0] - np.exp([-2.0, -2000.0])).max() < 1e-7
    assert sol.steps[1] < 200


def test_rosenbrock_arguments_name_the_parameter():
    with pytest.raises(ParameterError, match="`jacobian`"):
        solve(_decay, np.ones((2, 3)), 1.0, tableau=ROS34PW2, jacobian=lambda y: np.zeros((2, 3)))
    with pytest.raises(ParameterError, match="`explicit`"):
        Auto(explicit=RK4)
    with pytest.raises(ParameterError, match="`window`"):
        Auto(window=0)


def test_flow_on_the_quadratic_network_converges_quickly_with_stiffness_switching():
    """Quadratic activations, teacher eigenvalues (5, 3, 2), d = 5, m = 2 (10 weights): at the
    minimum (loss 2.5) the Hessian spans 2 ... 37.6 and DOPRI5 alone needs 1e4-1e5 steps to
    |grad| < 1e-8; with the switch every run converges by t ~ 15 in a few hundred steps."""
    model = fp.load_model("quadratic", {"teacher_eigenvalues": "5,3,2", "d": 5, "m": 2})
    sim = fp.simulate(model, runs=10)
    assert sim.status == (Status.CONVERGED,) * 10
    assert np.all(sim.gradient_norms < 1e-8) and sim.stop_times.max() < 100
    assert np.abs(sim.final_losses - 2.5).max() < 1e-10 and sim.steps.max() < 1000
    assert set(sim.stats["integrators"]) == {"ros34pw2"}


def _gradient_flow(n, seed=0, top=1e3):
    """F = -grad L for L(x) = x^T A x / 2 + sum x^4 / 4 with A's eigenvalues 1 .. ``top``
    (stiff), and the exact Jacobian -(A + 3 diag x^2), symmetric."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * np.geomspace(1.0, top, n)) @ Q.T

    def field(y):
        return -(y @ A + y**3)

    def jacobian(y):
        return -(A[None] + 3 * y[:, :, None] ** 2 * np.eye(n)[None])

    return field, jacobian


def test_rosenbrock_step_in_eigen_form_is_the_inverse_form():
    """One ROS34PW2 step with J = U diag(lam) U^T solved in its eigenbasis equals the step with
    the inverse of I - h gamma J, state and error estimate, for per-trajectory steps."""
    field, jacobian = _gradient_flow(7)
    y = (np.random.default_rng(1).standard_normal((5, 7)),)
    layout, h = Layout(y), np.geomspace(1e-4, 1.0, 5)

    def F(s):
        return (field(s[0]),)

    J = jacobian(y[0])
    a = rosenbrock_step(F, ROS34PW2, y, F(y), h, J, np, layout=layout)
    b = rosenbrock_step(F, ROS34PW2, y, F(y), h, eigen_jacobian(J, np), np, layout=layout)
    assert np.abs(a.y[0] - b.y[0]).max() < 1e-12 * max(1.0, np.abs(a.y[0]).max())
    assert np.abs(a.error[0] - b.error[0]).max() < 1e-12


def test_symmetric_jacobian_flow_agrees_with_the_inverse_form_and_radau():
    """A stiff gradient flow with AUTO: eigen-form Jacobians (one eigh per Jacobian, none per
    step) give the same trajectory as the inverse form to the tolerance, both agree with
    SciPy's Radau at rtol 1e-10, and the run switched to ROS34PW2."""
    field, jacobian = _gradient_flow(6, seed=2)
    y0 = np.random.default_rng(3).standard_normal((3, 6))
    control = ErrorControl(rtol=1e-7, atol=1e-10)
    runs = [
        solve(field, y0, 5.0, tableau=AUTO, control=control, jacobian=jacobian, **kw)
        for kw in ({}, {"symmetric_jacobian": True})
    ]
    for sol in runs:
        assert sol.methods == ("ros34pw2",) * 3
        for i in range(3):
            ref = solve_ivp(
                lambda t, x: field(x[None])[0],
                (0, 5.0),
                y0[i],
                method="Radau",
                rtol=1e-10,
                atol=1e-13,
            ).y[:, -1]
            assert np.abs(sol.states[i] - ref).max() < 1e-6
    assert np.abs(runs[0].states - runs[1].states).max() < 1e-6


def test_symmetric_jacobian_by_forward_differences_keeps_the_order():
    """Forward differences of a gradient field are symmetric only to O(sqrt eps); the eigen form
    reads one triangle, a W-method Jacobian, and the order-3 convergence holds."""
    field, _ = _gradient_flow(4, seed=4, top=4.0)
    errors = []
    y0 = np.full((1, 4), 0.8)
    ref = solve_ivp(
        lambda t, x: field(x[None])[0], (0, 1.0), y0[0], method="Radau", rtol=1e-13, atol=1e-15
    ).y[:, -1]
    for h in (0.05, 0.025):
        sol = solve(field, y0, 1.0, tableau=ROS34PW2, control=FixedStep(h), symmetric_jacobian=True)
        errors.append(np.abs(sol.states[0] - ref).max())
    assert np.log2(errors[0] / errors[1]) == pytest.approx(3, abs=0.3)


def test_eigen_jacobian_marks_a_failing_row_not_the_batch():
    """A non-finite Jacobian in a batch: its row of the eigen form is NaN (that step fails and is
    retried), the others are the exact decomposition."""
    J = np.stack([np.diag([-1.0, -2.0]), np.full((2, 2), np.nan), np.array([[-3.0, 1], [1, -3]])])
    E = eigen_jacobian(J, np)
    assert isinstance(E, SymmetricJacobian)
    assert np.isnan(E.lam[1]).all()
    for i in (0, 2):
        assert np.allclose((E.U[i] * E.lam[i]) @ E.U[i].T, J[i], atol=1e-14)


@pytest.mark.parametrize("symmetric", [False, True])
def test_trajectories_retiring_one_by_one_keep_their_jacobians(symmetric):
    """Stiff gradient flows stopped at different gradient norms retire one by one while on
    ROS34PW2: the others keep their Jacobians (no evaluation of an empty batch), and each ends
    where it would alone."""
    field, jacobian = _gradient_flow(5, seed=5)

    def checked(y):
        assert y.shape[0] > 0
        return jacobian(y)

    tols = np.array([1e-1, 1e-2, 1e-3, 1e-4])

    def stop(t, y, f, ids):
        return np.sqrt((f * f).sum(axis=1)) < tols[ids]

    y0 = np.random.default_rng(6).standard_normal((4, 5))
    control = ErrorControl(rtol=1e-7, atol=1e-10)
    kw = {
        "tableau": Auto(jacobian_every=10**6),
        "control": control,
        "symmetric_jacobian": symmetric,
    }
    together = solve(field, y0, 50.0, jacobian=checked, stop=stop, **kw)
    assert len(set(together.times.tolist())) == 4  # four different retirements
    for i in range(4):
        alone = solve(
            field,
            y0[i : i + 1],
            50.0,
            jacobian=checked,
            stop=lambda t, y, f, ids, i=i: np.sqrt((f * f).sum(axis=1)) < tols[i],
            **kw,
        )
        assert np.abs(alone.states[0] - together.states[i]).max() < 1e-8  # round-off, not rtol


def test_project_keeps_an_invariant_subspace_against_round_off():
    """``project``: y' = -Ay + δ with A = diag(1, 0.5, -2) leaves x2 = 0 invariant but for a
    round-off-sized δ = 1e-14 e2, which the unstable direction amplifies like e^{2t}; with its
    projector a trajectory stays on the subspace exactly and follows the exact flow there, one
    without leaves it (each trajectory has its own projector, by id)."""
    A = np.diag([1.0, 0.5, -2.0])

    def field(y):
        return -(y @ A) + np.array([0.0, 0.0, 1e-14])

    P = np.stack([np.diag([1.0, 1.0, 0.0]), np.eye(3)])
    y0 = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    sol = solve(field, y0, 20.0, project=lambda y, ids: np.einsum("nij,nj->ni", P[ids], y))
    assert sol.states[0][2] == 0.0
    np.testing.assert_allclose(sol.states[0][:2], np.exp([-20.0, -10.0]), rtol=1e-5, atol=1e-11)
    assert abs(sol.states[1][2]) > 1e-4
    from fixedpoints.numeric.simulate import simulate

    pop = fp.landscape(fp.load_model("soft-committee", {"k": 2, "m": 2})).population
    with pytest.raises(ParameterError, match="project"):
        simulate(pop, np.zeros((1, 2, 2)), method="gd", lr=0.1, project=lambda X, ids: X)
