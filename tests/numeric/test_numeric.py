"""Integration and weight/overlap conversions on hand-written systems (no SymPy)."""

from __future__ import annotations

import numpy as np
import pytest

from fixedpoints.errors import ParameterError
from fixedpoints.numeric import integrate, parse_variable, state_from_weights, teacher_vectors
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
    assert traj.status == "converged"
    assert np.allclose(traj.states[0], 2 * np.exp(-traj.times), atol=1e-9)
    assert np.allclose(traj.losses, 2 * np.exp(-2 * traj.times), atol=1e-8)


def test_integrate_rejects_a_non_positive_window():
    with pytest.raises(ParameterError, match="t_end"):
        integrate(Decay(), [1.0], 0.0)


def test_parse_variable_conventions():
    assert parse_variable("Q_12") == ("Q", (0, 1))
    assert parse_variable("Q_1_12") == ("Q", (0, 11))
    assert parse_variable("a_12") == ("a", (11,))
    assert parse_variable("a_12", outputs=2) == ("a", (0, 1))
    with pytest.raises(ParameterError):
        parse_variable("Z_1")


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
