"""Integration and weight/overlap conversions on hand-written systems (no SymPy)."""

from __future__ import annotations

import numpy as np
import pytest

from fixedpoints.errors import ParameterError
from fixedpoints.numeric import integrate, state_from_weights, teacher_vectors
from fixedpoints.protocols import System


class Decay:
    """x' = -x, L = x^2/2: exact solution x0 exp(-t)."""

    names = ("x",)
    parameters = ()
    dimension = 1

    def vector_field(self, x, params=None):
        return -np.asarray(x)

    def loss(self, x, params=None):
        return 0.5 * float(x[0]) ** 2


def test_integrate_matches_the_exact_solution():
    assert isinstance(Decay(), System)
    traj = integrate(Decay(), [2.0], 3.0, n_points=7)
    assert traj.status == "reached-end"
    assert np.allclose(traj.states[0], 2 * np.exp(-traj.times), atol=1e-9)
    assert np.allclose(traj.losses, 2 * np.exp(-2 * traj.times), atol=1e-8)


def test_integrate_rejects_a_non_positive_window():
    with pytest.raises(ParameterError, match="t_end"):
        integrate(Decay(), [1.0], 0.0)


def test_teacher_vectors_reproduce_a_singular_gram_matrix():
    T = np.array([[1.0, -1.0], [-1.0, 1.0]])
    V = teacher_vectors(T, 3)
    assert np.allclose(V @ V.T, T) and V.shape == (2, 3)
    with pytest.raises(ParameterError, match="`d`"):
        teacher_vectors(np.eye(3), 2)
    with pytest.raises(ParameterError, match="semi-definite"):
        teacher_vectors(np.array([[1.0, 2.0], [2.0, 1.0]]), 2)


def test_state_from_weights_orders_like_the_names():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    V = np.eye(2)
    s = state_from_weights(["Q_11", "Q_12", "M_21", "a_2"], W, V, a=[[5.0], [6.0]])
    assert np.allclose(s, [5.0, 11.0, 3.0, 6.0])


# ---------------------------------------------------------------------------------------------
# integrate_batch: batched Dormand–Prince 5(4) against SciPy
# ---------------------------------------------------------------------------------------------


def _overlap_field(m):
    r"""Multi-index overlap ODE, He3 (:math:`\varphi'=18t^2`), ``G = I``; batch ``(k, N)``."""
    p = 18.0 * m**2
    return p - m * np.sum(m * p, axis=0)


def _overlap_loss(m):
    return -np.sum(6.0 * m**3, axis=0)


_M0 = np.array([[0.1, 0.05, -0.02], [0.03, 0.2, 0.01], [-0.1, 0.02, 0.04], [0.3, -0.2, 0.1]])


def _scipy_final(y0, t_end, events=None):
    from scipy.integrate import solve_ivp

    return solve_ivp(
        lambda t, y: _overlap_field(y[:, None])[:, 0],
        (0.0, t_end),
        y0,
        method="DOP853",
        rtol=1e-13,
        atol=1e-15,
        events=events,
    )


def test_integrate_batch_matches_scipy_final_states():
    from fixedpoints.numeric import integrate_batch

    res = integrate_batch(_overlap_field, _M0, 2.0, rtol=1e-11, atol=1e-14)
    assert res.states.shape == _M0.shape and list(res.status) == ["max-time"] * len(_M0)
    assert np.allclose(res.times, 2.0, rtol=0, atol=1e-12)
    for y0, y1 in zip(_M0, res.states, strict=True):
        ref = _scipy_final(y0, 2.0).y[:, -1]
        assert np.allclose(y1, ref, rtol=1e-7, atol=1e-10)


def test_integrate_batch_linear_system_exact_solution():
    from fixedpoints.numeric import integrate_batch

    A = np.array([[-1.0, 2.0], [-2.0, -1.0]])  # y(t) = e^{-t} R(2t) y0
    y0 = np.array([[1.0, 0.0], [0.5, -2.0], [3.0, 1.0]])
    res = integrate_batch(lambda y: A @ y, y0, 3.0, rtol=1e-11, atol=1e-14)
    c, s = np.cos(6.0), np.sin(6.0)
    exact = np.exp(-3.0) * (y0 @ np.array([[c, -s], [s, c]]))
    assert np.allclose(res.states, exact, rtol=1e-7, atol=1e-12)
    assert np.all(res.steps > 0)


def test_integrate_batch_event_times_match_scipy():
    from fixedpoints.numeric import integrate_batch

    level = -0.75  # loss of a neuron with one overlap 1/2
    res = integrate_batch(
        _overlap_field, _M0, 50.0, rtol=1e-11, atol=1e-14, event=_overlap_loss, level=level
    )
    for i, y0 in enumerate(_M0):

        def ev(t, y):
            return _overlap_loss(y[:, None])[0] - level

        ev.terminal = True
        sol = _scipy_final(y0, 50.0, events=ev)
        if sol.t_events[0].size:
            assert res.status[i] == "event"
            assert res.event_times[i] == pytest.approx(sol.t_events[0][0], rel=1e-7)
            assert res.times[i] == res.event_times[i]
            assert _overlap_loss(res.states[i][:, None])[0] == pytest.approx(level, abs=1e-7)
        else:
            assert res.status[i] == "max-time" and np.isinf(res.event_times[i])
    # direction -1 counts a start already below the level as an event at t = 0
    below = integrate_batch(
        _overlap_field, [[0.9, 0.0, 0.0]], 1.0, event=_overlap_loss, level=level, direction=-1
    )
    assert below.event_times[0] == 0.0 and below.status[0] == "event"


def test_integrate_batch_stop_predicate_and_t_max():
    from fixedpoints.numeric import integrate_batch

    def steady(t, m):
        return np.max(np.abs(_overlap_field(m)), axis=0) < 1e-8

    m0 = np.array([[0.3, 0.1, 0.05], [0.2, 0.25, 0.0], [-0.01, -0.02, -0.005]])  # last: creeps to 0
    res = integrate_batch(_overlap_field, m0, 30.0, stop=steady)
    assert list(res.status[:2]) == ["stopped", "stopped"]
    assert np.allclose(np.max(res.states[:2], axis=1), 1.0, atol=1e-8)
    assert res.status[2] == "max-time" and res.times[2] == pytest.approx(30.0)
    assert np.all(res.times[:2] < 30.0)
    capped = integrate_batch(_overlap_field, m0, 30.0, max_steps=3)
    assert list(capped.status) == ["max-steps"] * 3


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"t_max": 0.0}, "t_max"),
        ({"t_max": -1.0}, "t_max"),
        ({"rtol": 0.0}, "rtol"),
        ({"max_steps": 0}, "max_steps"),
        ({"event": _overlap_loss}, "level"),
        ({"y0": np.zeros((2, 3, 1))}, "y0"),
        ({"y0": [[np.nan, 0.0, 0.0]]}, "y0"),
        ({"field": lambda y: y[:2]}, "field"),
        ({"event": lambda y: np.zeros(7), "level": 0.0}, "event"),
        ({"stop": lambda t, y: np.zeros(7, bool)}, "stop"),
    ],
)
def test_integrate_batch_rejects_bad_input(kwargs, name):
    from fixedpoints.numeric import integrate_batch

    args = {"field": _overlap_field, "y0": _M0, "t_max": 1.0}
    args.update(kwargs)
    field, y0, t_max = args.pop("field"), args.pop("y0"), args.pop("t_max")
    with pytest.raises(ParameterError, match=f"`{name}`"):
        integrate_batch(field, y0, t_max, **args)
