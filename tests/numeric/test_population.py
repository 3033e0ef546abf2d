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


@pytest.mark.parametrize("case", SMOOTH + ["soft-committee-tanh"])
def test_chunked_and_threaded_batches_give_the_numbers_of_one_call(case, monkeypatch):
    """Every preset (trainable second layers, spherical neurons, an exact target, smooth and
    non-smooth kernels), 7 runs: cut into chunks of about two runs and shared by three threads,
    the losses and gradients are exactly those of one unchunked call on one thread, and
    unchanged for one thread with chunks (quadrature kernels, tanh: to 1e-11, far below their
    quadrature error; their Gauss-Hermite sums are not taken in one fixed order)."""
    import fixedpoints.numeric.population as population

    _, ws, pop = _setup(case)
    W, a = ws.unpack(ws.x0)
    rng = np.random.default_rng(1)
    Ws = W * (1 + 0.2 * rng.normal(size=(7, *W.shape)))
    As = None if a is None else a * (1 + 0.2 * rng.normal(size=(7, *a.shape)))
    if pop.kernels.spherical:
        Ws /= np.linalg.norm(Ws, axis=-1, keepdims=True)
    same = np.testing.assert_array_equal
    if not pop.kernels.ss.has_hess:  # quadrature

        def same(x, y):
            np.testing.assert_allclose(x, y, rtol=1e-11, atol=1e-13)

    pop.threads = 1
    monkeypatch.setattr(population, "CHUNK", 1 << 40)
    one, plain = pop.value_and_gradient(Ws, As), pop.gradient(Ws, As)
    block = Ws.shape[1] * (Ws.shape[1] + pop._m)
    monkeypatch.setattr(population, "CHUNK", 2 * block)
    monkeypatch.setattr(population, "THREADED", 1)
    for threads in (1, 3):
        pop.threads = threads
        got = pop.value_and_gradient(Ws, As)
        for x, y in zip(got, one, strict=True):
            assert (x is None) == (y is None)
            if x is not None:
                same(x, y)
        same(pop.gradient(Ws, As)[0], plain[0])


def test_threads_must_be_a_positive_integer():
    model = load_model("relu-teacher", {"d": 3})
    kernels = compile_pair_kernels(model)
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="threads"):
            PopulationLoss(kernels, np.eye(3), threads=bad)
