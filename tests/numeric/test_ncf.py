"""Residual NCF: closed form against finite differences and Monte Carlo; KKT points classified."""

from __future__ import annotations

import numpy as np
import pytest

from fixedpoints.api.landscapes import model_teacher_vectors
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ModelError
from fixedpoints.models import load_model_file
from fixedpoints.numeric.ncf import ResidualNCF, kkt_points


def _setup(preset, *sets):
    model = load_model_file(preset).instantiate(list(sets))
    kernels = compile_pair_kernels(model)
    return kernels, model_teacher_vectors(model, kernels.T)


@pytest.fixture(scope="module")
def relu():
    return _setup("relu-two-layer", "d=5", "teacher_coefficients=1,-0.5")


def test_ncf_gradient_matches_finite_differences(relu):
    kernels, V = relu
    rng = np.random.default_rng(0)
    W, a = rng.standard_normal((2, 5)), rng.standard_normal((2, 1))
    ncf = ResidualNCF(kernels, V, W, a)
    theta = rng.standard_normal(6)
    h = 1e-6
    fd = [(ncf.value(theta + h * e) - ncf.value(theta - h * e)) / (2 * h) for e in np.eye(6)]
    np.testing.assert_allclose(ncf.gradient(theta), fd, rtol=1e-6, atol=1e-8)


def test_ncf_matches_monte_carlo_residual_correlation(relu):
    kernels, V = relu
    rng = np.random.default_rng(1)
    W, a = rng.standard_normal((2, 5)), rng.standard_normal((2, 1))
    ncf = ResidualNCF(kernels, V, W, a)
    theta = rng.standard_normal(6)
    x = rng.standard_normal((400_000, 5))
    relu_ = np.maximum
    resid = relu_(x @ V.T, 0) @ kernels.b[:, 0] - relu_(x @ W.T, 0) @ a[:, 0]
    # loss = c E(f - f*)^2 with c = 1/2: N = 2c alpha E[r relu(w.x)]
    mc = theta[0] * np.mean(resid * relu_(x @ theta[1:], 0))
    assert ncf.value(theta) == pytest.approx(mc, abs=4e-3 * (1 + abs(mc)))


def test_ncf_is_two_homogeneous(relu):
    kernels, V = relu
    ncf = ResidualNCF(kernels, V)
    theta = np.array([0.3, 0.5, -0.2, 0.1, 0.4, 0.0])
    assert ncf.value(3 * theta) == pytest.approx(9 * ncf.value(theta), rel=1e-12)


def test_kkt_points_relu_origin_values_and_kinds(relu):
    kernels, V = relu
    pts = kkt_points(ResidualNCF(kernels, V), seed=0)
    maxima = [p for p in pts if p.kind == "local max"]
    assert [round(p.value, 5) for p in maxima] == [0.21716, 0.08400]
    top = maxima[0]
    assert top.multiplier == pytest.approx(2 * top.value)
    # balanced: |alpha| = |w| = 1/sqrt(2), w along (0.974, -0.225) (digest §4b)
    assert abs(top.direction[0]) == pytest.approx(2**-0.5, abs=1e-6)
    np.testing.assert_allclose(
        np.array(top.direction[1:3]) * 2**0.5, [0.97443, -0.22467], atol=1e-4
    )
    assert max(top.spectrum) < 0 and top.gradient_norm < 1e-7
    assert [p.kind for p in pts if p.value < -1e-6] == ["local min", "local min"]
    assert any(p.kind == "degenerate zero set" for p in pts)


def test_kkt_points_linear_are_singular_modes():
    kernels, V = _setup("linear-two-layer", "singular_values=3,2,1,0.5")
    pts = kkt_points(ResidualNCF(kernels, V), starts=16, roots=60, seed=0)
    positive = sorted({round(p.value, 6) for p in pts if p.value > 1e-6}, reverse=True)
    # N = a^T S w on |a|^2 + |w|^2 = 1: KKT values s_k / 2
    assert positive == [1.5, 1.0, 0.5, 0.25]
    kinds = {round(p.value, 6): p.kind for p in pts}
    assert kinds[1.5] == "local max" and kinds[1.0] == "saddle"


def test_ncf_rejects_non_homogeneous_activation():
    kernels, V = _setup("soft-committee")
    with pytest.raises(ModelError, match="second layer|homogeneous"):
        ResidualNCF(kernels, V)
