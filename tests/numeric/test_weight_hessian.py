"""The exact weight-space Hessian (chain rule through the kernels' second derivatives) against
extrapolated finite differences of the exact gradient and plain second differences of the loss."""

from __future__ import annotations

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.numeric.derivatives import dense_hessian
from fixedpoints.numeric.symmetry import detect_symmetry
from fixedpoints.numeric.symmetry.subspace import young_subspace

CASES = {
    "relu-teacher": ("relu-teacher", {"d": 4, "k": 3}),
    "soft-committee-2": ("soft-committee", {"k": 2, "m": 2, "T": 1.5}),
    "soft-committee-4": ("soft-committee", {"k": 4, "m": 3}),
    "multi-index-correlation": (
        "multi-index",
        {"k": 3, "n": 2, "beta": 0.2, "target": "He3+0.5*He4", "d": 4},
    ),
    "multi-index-square": (
        "multi-index",
        {"k": 2, "n": 3, "beta": 0.3, "target": "He3+He4", "loss": "square", "d": 4},
    ),
    "quadratic": ("quadratic", {"d": 4, "m": 2, "teacher_eigenvalues": "3,2,1,0"}),
    "linear-trainable": ("linear-two-layer", {"singular_values": "3,2,1", "width": 2}),
    "relu-trainable": ("relu-two-layer", {"d": 3, "teacher_coefficients": "1,-0.5", "width": 2}),
    "mean-field-relu": ("mean-field-relu", {"d": 3, "particles": 3, "target": "odd-linear"}),
}


def _space(case):
    preset, settings = CASES[case]
    return fp.landscape(fp.load_model(preset, settings), decoupled=False)


def _relative(H, ref):
    return float(np.abs(H - ref).max() / max(1.0, np.abs(ref).max()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_weight_hessian_matches_finite_differences_of_the_gradient(case):
    space = _space(case)
    assert space.exact
    rng = np.random.default_rng(3)
    for _ in range(2):
        x = space.random_start(rng)
        B = space.tangent_basis(x)
        assert _relative(space.hessian(x, B), dense_hessian(space.gradient, x, B)) < 1e-7


@pytest.mark.parametrize("case", ["soft-committee-2", "relu-trainable", "linear-trainable"])
def test_weight_hessian_matches_second_differences_of_the_loss(case):
    space = _space(case)
    x = space.random_start(np.random.default_rng(5))
    n, h = x.size, 1e-4
    E = np.eye(n) * h
    f0 = space.loss(x)
    ref = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            ref[i, j] = (
                space.loss(x + E[i] + E[j])
                - space.loss(x + E[i] - E[j])
                - space.loss(x - E[i] + E[j])
                + space.loss(x - E[i] - E[j])
            ) / (4 * h * h)
    assert np.isfinite(f0)
    assert _relative(space.hessian(x), ref) < 1e-5


def test_weight_hessian_is_finite_and_right_at_collinear_relu_pairs():
    # the loss is C^2 with a |θ|^3 term there; the kernel's ∂²_P K diverges like 1/sinθ
    space = fp.landscape(fp.load_model("relu-teacher", {"d": 4}))
    V = space.V
    rng = np.random.default_rng(0)
    duplicate = rng.standard_normal((4, 4))
    duplicate[1] = 0.5 * duplicate[0]
    for W in (V, -V[[1, 0, 2, 3]], np.vstack([V[0], V[0], V[2], V[3]]), duplicate):
        x = W.ravel()
        H = space.hessian(x)
        assert np.isfinite(H).all()
        assert _relative(H, dense_hessian(space.gradient, x)) < 1e-7
    # the global minimum W = V is strictly convex (its spectrum is known to be positive)
    assert np.linalg.eigvalsh(space.hessian(V.ravel())).min() > 0.05


def test_weight_hessian_is_batched_over_points():
    space = _space("relu-trainable")
    rng = np.random.default_rng(1)
    X = np.array([space.random_start(rng) for _ in range(3)])
    assert space.batched_hessian
    H = space.hessian(X)
    assert H.shape == (3, space.dimension, space.dimension)
    for x, h in zip(X, H, strict=True):
        assert np.allclose(h, space.hessian(x), atol=1e-13)


def test_fixed_subspace_hessian_is_the_projected_weight_hessian():
    space = fp.landscape(fp.load_model("relu-teacher", {"d": 4}))
    sub = young_subspace(space, detect_symmetry(space), (3, 1))
    rng = np.random.default_rng(2)
    xi = sub.starts(3, rng)
    H = sub.hessian(xi)
    for x, h in zip(xi, H, strict=True):
        assert _relative(h, dense_hessian(sub.gradient, x)) < 1e-7


def test_quadrature_kernels_fall_back_to_finite_differences():
    model = fp.load_model("soft-committee", {"k": 2, "m": 1, "activation": "tanh", "d": 3})
    kernels = compile_pair_kernels(model)
    assert kernels.ss.hess(1.0, 1.0, 0.5) is None
    space = fp.landscape(model)
    assert not space.exact and not space.batched_hessian
    assert space.population.hessian(np.ones((2, 3))) is None
    x = space.random_start(np.random.default_rng(0))
    assert np.allclose(space.hessian(x), dense_hessian(space.gradient, x))


@pytest.mark.parametrize("activation", ["relu(z)", "erf(z/sqrt(2))", "He3+0.5*He4"])
def test_kernel_second_derivatives_match_differences_of_the_first(activation):
    model = fp.load_model("soft-committee", {"k": 2, "m": 1, "activation": activation, "d": 3})
    K = compile_pair_kernels(model).ss
    A, B, P, h = np.array(1.3), np.array(0.7), np.array(0.4), 1e-6
    hess = K.hess(A, B, P)  # AA, AB, AP, BB, BP, PP

    def first(a, b, p):
        return np.array([K(o, a, b, p) for o in (1, 2, 3)])  # ∂_A, ∂_B, ∂_P

    dA = (first(A + h, B, P) - first(A - h, B, P)) / (2 * h)
    dB = (first(A, B + h, P) - first(A, B - h, P)) / (2 * h)
    dP = (first(A, B, P + h) - first(A, B, P - h)) / (2 * h)
    ref = [dA[0], dA[1], dA[2], dB[1], dB[2], dP[2]]
    assert np.allclose(np.array(hess, dtype=float), ref, atol=1e-7)
