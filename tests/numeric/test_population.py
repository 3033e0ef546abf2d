"""Vectorised weight-space loss and gradient against the symbolic derivation and finite
differences, for every preset."""

from __future__ import annotations

import numpy as np
import pytest

from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.models import load_model
from fixedpoints.numeric import PopulationLoss
from tests.helpers import WeightSpace, fd_gradient
from tests.symbolic.test_flow import CASES, _preset

SMOOTH = sorted(c for c in CASES if c != "soft-committee-tanh")


def _setup(case):
    settings, params = CASES[case]
    model = load_model(_preset(case), settings)
    ws = WeightSpace(model, params, seed=4)
    pop = PopulationLoss(compile_pair_kernels(model, params), ws.V)
    return model, ws, pop


@pytest.mark.parametrize("case", SMOOTH + ["soft-committee-tanh"])
def test_population_loss_equals_the_derived_loss(case):
    _, ws, pop = _setup(case)
    W, a = ws.unpack(ws.x0)
    assert abs(float(pop.loss(W, a)) - ws.loss(ws.x0)) < 1e-9


@pytest.mark.parametrize("case", SMOOTH)
def test_population_gradient_matches_finite_differences(case):
    model, ws, pop = _setup(case)
    W, a = ws.unpack(ws.x0)
    gW, ga = pop.gradient(W, a)
    # the reference: minus the weight-space velocity of the independent helper
    ref = -ws.velocity(ws.x0)
    got = np.concatenate([gW.ravel(), ga.ravel()]) if ga is not None else gW.ravel()
    assert np.max(np.abs(got - ref)) < 1e-7
    fd = fd_gradient(lambda x: float(pop.loss(*ws.unpack(x))), ws.x0)
    if not model.student.spherical:
        assert np.max(np.abs(got - fd)) < 1e-7


def test_population_loss_is_batched_over_runs():
    _, ws, pop = _setup("relu-teacher")
    rng = np.random.default_rng(0)
    Ws = rng.normal(size=(4, 3, 3)) / np.sqrt(3)
    losses = pop.loss(Ws)
    grads, _ = pop.gradient(Ws)
    assert losses.shape == (4,) and grads.shape == (4, 3, 3)
    for r in range(4):
        assert abs(losses[r] - pop.loss(Ws[r])) < 1e-14
        assert np.allclose(grads[r], pop.gradient(Ws[r])[0], atol=1e-14)


def test_population_loss_is_zero_at_the_teacher():
    model = load_model("relu-teacher", {"d": 6})
    pop = PopulationLoss(compile_pair_kernels(model), np.eye(6))
    assert abs(float(pop.loss(np.eye(6)))) < 1e-13
    assert np.max(np.abs(pop.gradient(np.eye(6))[0])) < 1e-13


@pytest.mark.parametrize("case", SMOOTH + ["soft-committee-tanh"])
def test_value_and_gradient_equals_loss_and_gradient(case):
    _, ws, pop = _setup(case)
    W, a = ws.unpack(ws.x0)
    W = np.stack([W, 1.1 * W])
    a = None if a is None else np.stack([a, a])
    L, gW, ga = pop.value_and_gradient(W, a)
    gW0, ga0 = pop.gradient(W, a)
    np.testing.assert_allclose(L, pop.loss(W, a), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gW, gW0, rtol=1e-12, atol=1e-14)  # jet and grad: same formulas
    if ga0 is not None:
        np.testing.assert_allclose(ga, ga0, rtol=1e-12, atol=1e-14)
