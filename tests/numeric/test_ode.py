"""The one ODE engine: every tableau converges at its order, controllers (fixed, rule,
per-trajectory and shared adaptive) behave as documented, retraction and events work on tuple
states, and every caller goes through it."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.ode import (
    DOPRI5,
    EULER,
    HEUN,
    RK4,
    ErrorControl,
    FixedStep,
    StepRule,
    rk_step,
    solve,
)
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
