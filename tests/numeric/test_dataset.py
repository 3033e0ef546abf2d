"""Finite data set, square and logistic loss: exact gradients, the empirical NCF and its maximum,
escape time ln(1/δ)/(2 c_l N*) and directional convergence from a small initialization."""

from __future__ import annotations

import numpy as np
import pytest

from fixedpoints.numeric.dataset import (
    EmpiricalLoss,
    escape_slope,
    fit_escape_slope,
    simulate_escape,
    train,
)
from fixedpoints.numeric.initialize import unit_initialization as initial_weights
from fixedpoints.numeric.ncf import ncf_maximum

DELTAS = np.logspace(-2, -8, 7)  # six decades


def _data(n=200, d=5, seed=0):
    """Labels: sign of a ReLU teacher minus its mean."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    t = np.maximum(X[:, 0], 0.0)
    return X, np.sign(t - t.mean())


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def top(data):
    # labels are the same for both losses: one NCF maximum N* serves both
    return ncf_maximum(EmpiricalLoss(*data, "logistic").ncf(), starts=32)


@pytest.mark.parametrize("kind", ["square", "logistic"])
def test_loss_gradient_matches_finite_differences(data, kind):
    X, y = data
    loss = EmpiricalLoss(X[:40], y[:40], kind)
    rng = np.random.default_rng(1)
    W, a = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 3))
    gW, ga = loss.gradient(W, a)
    h = 1e-6
    for idx in [(0, 0, 0), (1, 2, 4), (0, 1, 3)]:
        E = np.zeros_like(W)
        E[idx] = h
        fd = (loss.loss(W + E, a) - loss.loss(W - E, a))[idx[0]] / (2 * h)
        assert gW[idx] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    for idx in [(0, 0), (1, 2)]:
        E = np.zeros_like(a)
        E[idx] = h
        fd = (loss.loss(W, a + E) - loss.loss(W, a - E))[idx[0]] / (2 * h)
        assert ga[idx] == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_ncf_gradient_and_origin_factor(data):
    X, y = data
    rng = np.random.default_rng(2)
    for kind, c in (("square", 1.0), ("logistic", 0.5)):
        loss = EmpiricalLoss(X, y, kind)
        ncf = loss.ncf()
        theta = rng.standard_normal(6)
        h = 1e-6
        fd = [(ncf.value(theta + h * e) - ncf.value(theta - h * e)) / (2 * h) for e in np.eye(6)]
        np.testing.assert_allclose(ncf.gradient(theta), fd, rtol=1e-6, atol=1e-9)
        # near the origin -grad L = c_l grad N_y (+ O(|theta|^3)): the factor 1/2 for logistic
        eps = 1e-5
        gW, ga = loss.gradient(eps * theta[None, 1:], eps * theta[:1])
        G = np.concatenate([-ga, -gW[0]]) / eps
        np.testing.assert_allclose(G, c * ncf.gradient(theta), rtol=1e-4, atol=1e-9)
        np.testing.assert_allclose(loss.residual_ncf().r, c * y)


def test_ncf_maximum_is_a_kkt_point(top, data):
    assert top.kind == "local max" and top.value > 0
    u = np.asarray(top.direction)
    assert abs(u[0]) == pytest.approx(2**-0.5) and np.linalg.norm(u) == pytest.approx(1.0)
    assert max(top.spectrum) < 0 and top.gradient_norm < 1e-10
    ncf = EmpiricalLoss(*data, "logistic").ncf()
    assert ncf.value(u) == pytest.approx(top.value, rel=1e-12)
    # no random direction does better
    V = np.random.default_rng(3).standard_normal((20000, 6))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    assert max(ncf.value(v) for v in V[:2000]) < top.value


@pytest.mark.parametrize("kind", ["logistic", "square"])
def test_escape_slope_and_direction(data, top, kind):
    loss = EmpiricalLoss(*data, kind)
    W0, a0 = initial_weights(10, 5, seed=1)
    res = simulate_escape(loss, W0, a0, DELTAS, threshold=0.5, step=0.05)
    assert np.all(np.isfinite(res.times))
    slope, _ = fit_escape_slope(DELTAS, res.times)
    # logistic: 1 / N*; square: 1 / (2 N*)
    assert slope == pytest.approx(escape_slope(top.value, kind), rel=0.02)
    assert slope == pytest.approx(escape_slope(top.value, kind), rel=0.005)
    gap = 1 - res.cosines(top.direction)  # mid-plateau direction of the largest neuron
    assert np.all(np.diff(gap) <= 1e-7)
    assert gap[0] > 10 * gap[-1] and gap[-1] < 1e-6


def test_logistic_norm_grows_without_bound(data):
    loss = EmpiricalLoss(*data, "logistic")
    W0, a0 = initial_weights(10, 5, seed=1)
    res = simulate_escape(loss, W0, a0, [1e-4], threshold=0.5, step=0.1)
    W, a = res.W, res.a
    norms, losses = [], []
    for _ in range(4):
        W, a = train(loss, W, a, 100.0, step=0.1)
        norms.append(float(np.sqrt(np.sum(W**2) + np.sum(a**2))))
        losses.append(float(loss.loss(W, a)[0]))
    assert np.all(np.diff(norms) > 0.05) and np.all(np.diff(losses) < 0)


def test_rejects_bad_input(data):
    X, y = data
    with pytest.raises(ValueError, match="loss"):
        EmpiricalLoss(X, y, "hinge")
    with pytest.raises(ValueError, match="labels"):
        EmpiricalLoss(X, 2 * y, "logistic")
    with pytest.raises(ValueError, match="ncf_max"):
        escape_slope(-1.0, "square")
