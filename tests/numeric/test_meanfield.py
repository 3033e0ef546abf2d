"""Mean-field ReLU networks: the exact target ||P_H x||, the rotation-reduced model against the
full one, the orbit quadrature/series, the mean-field scaling, and orbit-closed initializations."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError
from fixedpoints.numeric.meanfield import (
    MeanFieldScaling,
    ReducedLoss,
    SubspaceNormTarget,
    orbit_rule,
)
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.numeric.symmetry.particles import (
    equivariance_defect,
    orbit_closed,
    particle_group,
    symmetry_defect,
)
from tests.helpers import fd_gradient


@pytest.fixture(scope="module")
def kernels():
    return compile_pair_kernels(fp.load_model("mean-field-relu", {"d": 3, "particles": 2}))


def _models(kernels, d, r):
    """The reduced and the full loss (standard parameterization) of ||P_H x||, dim H = r."""
    target = SubspaceNormTarget(d, r)
    return ReducedLoss(kernels, target), PopulationLoss(kernels, target.basis(), target=target)


def _reduced_state(rng, k, r, runs=None):
    shape = (k, r + 1) if runs is None else (runs, k, r + 1)
    Y = rng.standard_normal(shape)
    Y[..., -1] = np.abs(Y[..., -1])
    a = rng.standard_normal((*shape[:-1], 1))
    return Y, a


def test_target_cross_kernel_against_monte_carlo_and_differences(kernels):
    """The full loss with the exact target: Monte Carlo (10^6 inputs) and the gradient by
    finite differences."""
    rng = np.random.default_rng(0)
    d, r, k = 6, 2, 3
    target = SubspaceNormTarget(d, r)
    full = PopulationLoss(kernels, target.basis(), target=target)
    W, a = rng.standard_normal((k, d)) / np.sqrt(d), rng.standard_normal((k, 1))
    X = rng.standard_normal((10**6, d))
    err = (np.maximum(X @ W.T, 0) @ a)[:, 0] - target(X)[:, 0]
    mc, se = 0.5 * np.mean(err**2), 0.5 * np.std(err**2) / 1e3
    assert abs(full.loss(W, a) - mc) < 5 * se
    gW, ga = full.gradient(W, a)
    assert np.allclose(gW, fd_gradient(lambda w: full.loss(w, a), W), atol=1e-9)
    assert np.allclose(ga, fd_gradient(lambda b: full.loss(W, b), a), atol=1e-9)


@pytest.mark.parametrize("r", [1, 2, 3, 4])
def test_reduced_equals_full_in_codimension_one(kernels, r):
    """d = r + 1: the orbit of (v, rho) is the pair (v, +-rho), so 2k full particles carry the
    invariant measure exactly: loss and gradient agree to round-off (acceptance: 1e-10)."""
    rng = np.random.default_rng(r)
    d, k = r + 1, 4
    reduced, full = _models(kernels, d, r)
    Y, a = _reduced_state(rng, k, r)
    W = np.concatenate([Y, Y * np.r_[np.ones(r), -1.0]])
    a2 = np.concatenate([a, a]) / 2
    gW, ga = full.gradient(W, a2)
    gY, gar = reduced.gradient(Y, a)
    assert abs(full.loss(W, a2) - reduced.loss(Y, a)) < 1e-12
    assert np.abs(gW[:k, :r] + gW[k:, :r] - gY[:, :r]).max() < 1e-12
    assert np.abs(gW[:k, r] - gW[k:, r] - gY[:, r]).max() < 1e-12
    assert np.abs((ga[:k] + ga[k:]) / 2 - gar).max() < 1e-12


@pytest.mark.parametrize("r", [1, 2, 3, 4])
def test_reduced_equals_full_in_codimension_two(kernels, r):
    """d = r + 2: each orbit is a circle, carried by n equally spaced full particles (random
    phases); the full loss and the orbit-summed full gradient converge to the reduced ones as
    n^-4 (the self pairs' |phi|^3 kink), within 1e-10 at n = 800."""
    rng = np.random.default_rng(10 + r)
    d, k = r + 2, 3
    reduced, full = _models(kernels, d, r)
    Y, a = _reduced_state(rng, k, r)
    L, (gY, ga) = reduced.loss(Y, a), reduced.gradient(Y, a)
    errors = []
    for n in (400, 800):
        phase = 2 * np.pi * np.arange(n) / n + rng.uniform(0, 2 * np.pi, (k, 1))
        S = np.stack([np.cos(phase), np.sin(phase)], -1)  # (k, n, 2)
        W = np.concatenate([np.repeat(Y[:, None, :r], n, 1), Y[:, -1, None, None] * S], -1)
        A = np.repeat(a[:, None, :] / n, n, 1)
        gW, gA = full.gradient(W.reshape(k * n, d), A.reshape(k * n, 1))
        gW = gW.reshape(k, n, d)
        errors.append(
            max(
                abs(full.loss(W.reshape(k * n, d), A.reshape(k * n, 1)) - L),
                np.abs(gW[..., :r].sum(1) - gY[:, :r]).max(),
                np.abs(np.einsum("knc,knc->k", gW[..., r:], S) - gY[:, r]).max(),
                np.abs(gA.reshape(k, n).mean(1) - ga[:, 0]).max(),
            )
        )
    assert errors[1] < 1e-10
    assert 8 < errors[0] / errors[1] < 32  # fourth order


@pytest.mark.parametrize("c", [1, 2, 3, 5, 10, 24, 25, 60, 199, 200, 1000])
def test_orbit_rule_moments(c):
    """E t^2 = 1/c and E t^4 = 3/(c(c+2)) for t = s.s' on S^{c-1} (exactly for every rule)."""
    rule = orbit_rule(c)
    if rule.moments is None:
        assert rule.weights.sum() == pytest.approx(1.0, abs=1e-14)
        m2, m4 = rule.weights @ rule.t**2, rule.weights @ rule.t**4
        assert np.allclose(1 - rule.t, rule.one_minus_t, rtol=1e-12, atol=1e-16)
    else:
        m2, m4 = rule.moments[:2]
    assert m2 == pytest.approx(1 / c, rel=1e-12)
    assert m4 == pytest.approx(3 / (c * (c + 2)), rel=1e-12)


def test_orbit_density_against_sampled_spheres():
    """The density (1 - t^2)^((c-3)/2) of t = s.s' (mpmath) and sampled pairs of sphere points."""
    rng = np.random.default_rng(5)
    c = 5
    g = rng.standard_normal((2, 200_000, c))
    g /= np.linalg.norm(g, axis=-1, keepdims=True)
    t = np.sum(g[0] * g[1], -1)
    norm = mpmath.quad(lambda x: (1 - x * x) ** ((c - 3) / 2), [-1, 1])
    exact = float(
        mpmath.quad(lambda x: mpmath.exp(3 * x) * (1 - x * x) ** ((c - 3) / 2), [-1, 1]) / norm
    )
    assert abs(np.mean(np.exp(3 * t)) - exact) < 5 * np.std(np.exp(3 * t)) / math.sqrt(t.size)
    rule = orbit_rule(c)
    assert rule.weights @ np.exp(3 * rule.t) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize("c", [2, 3, 11, 12, 13, 24, 29, 30, 40, 150, 230, 600, 1000])
def test_reduced_routes_and_finite_differences(kernels, c):
    """Default rule against a 200-node (theta) or 60-node (Gauss-Jacobi) reference, which for
    c >= 30 is a different route (quadrature vs the moment series); gradient by finite
    differences; rho = 0 is invariant."""
    rng = np.random.default_rng(c)
    r = 2
    target = SubspaceNormTarget(r + c, r)
    Y, a = _reduced_state(rng, 12, r, runs=2)
    Y[..., -1] *= np.sqrt(c)
    Y[:, :4, -1] *= 0.05  # some nearly aligned particles
    Y[:, 5, -1] = 0.0  # one inside H
    red = ReducedLoss(kernels, target)
    ref = ReducedLoss(kernels, target, nodes=200 if c <= 24 else 60)
    assert (red.rule.moments is not None) == (c >= 30)
    g, ga = red.gradient(Y, a)
    g0, ga0 = ref.gradient(Y, a)
    scale = np.abs(g0).max()
    assert np.abs(red.loss(Y, a) - ref.loss(Y, a)).max() < 1e-11 * (
        1 + np.abs(ref.loss(Y, a)).max()
    )
    assert np.abs(g - g0).max() < 1e-11 * scale
    assert np.abs(ga - ga0).max() < 1e-11 * (1 + np.abs(ga0).max())
    assert np.abs(g[:, 5, -1]).max() < 1e-15 * scale
    Yg = Y[1, 6:]  # generic particles (the target's second derivative diverges inside H)
    fd = fd_gradient(lambda y: red.loss(y, a[1, 6:]), Yg, h=1e-4)
    assert np.abs(fd - red.gradient(Yg, a[1, 6:])[0]).max() < 1e-8 * scale


def test_mean_field_scaling_is_m_times_the_risk_gradient(kernels):
    """R(W, a) = L(W, a/m): the returned field is m * grad R (finite differences)."""
    rng = np.random.default_rng(2)
    target = SubspaceNormTarget(4, 2)
    base = PopulationLoss(kernels, target.basis(), target=target)
    m = 6
    mf = MeanFieldScaling(base, m)
    W, a = rng.standard_normal((m, 4)), rng.standard_normal((m, 1))
    gW, ga = mf.gradient(W, a)
    assert np.allclose(gW, m * fd_gradient(lambda w: mf.loss(w, a), W), atol=1e-8)
    assert np.allclose(ga, m * fd_gradient(lambda b: mf.loss(W, b), a), atol=1e-8)
    X = rng.standard_normal((7, 4))
    f = mf.output(W, a, X)
    assert np.allclose(f, np.maximum(X @ W.T, 0) @ a[:, 0] / m)


def test_particle_groups_and_orbit_closed_initializations(kernels):
    assert particle_group("reflect:3+swap:2,3", 3).order == 8
    assert particle_group("rotate:1,2,6+flip", 4).order == 12
    assert particle_group("reflect:1,2", 2).order == 2
    for bad in ("", "mirror:1", "reflect:7", "swap:1,1", "rotate:1,2", "reflect:x"):
        with pytest.raises(ParameterError, match="init"):
            particle_group(bad, 6)
    G = particle_group("reflect:6+swap:5,6", 6)
    rng = np.random.default_rng(3)
    W, a = orbit_closed(G, rng.standard_normal((2, 6)), rng.standard_normal((2, 1)))
    mf = MeanFieldScaling(
        PopulationLoss(kernels, np.eye(2, 6), target=SubspaceNormTarget(6, 2)), 16
    )
    X = rng.standard_normal((50, 6))
    for element in G.elements:
        assert symmetry_defect(lambda x: mf.output(W, a, x), X, element) < 1e-14
        assert equivariance_defect(mf.gradient, W, a, element) < 1e-13
    # a reflection inside H is a symmetry of ||P_H x|| too; a map mixing H and H^perp is not
    mixing = particle_group("swap:2,3", 6).elements[1]
    assert equivariance_defect(mf.gradient, W, a, mixing) > 1e-3
    with pytest.raises(ParameterError, match="particles"):
        fp.simulate(
            fp.load_model("mean-field-relu", {"particles": 6}),
            runs=1,
            init="symmetric:reflect:5+swap:4,5",
        )
    with pytest.raises(ParameterError, match="init"):
        fp.simulate(
            fp.load_model("mean-field-relu", {"particles": 6}), runs=1, init="symmetric:mirror"
        )


def test_simulated_reduced_and_full_agree_and_symmetry_is_kept():
    """fp.simulate: the reduced flow from the same initialization follows the full one within
    the particles' Monte Carlo error; an orbit-closed start keeps its symmetry to round-off."""
    model = fp.load_model(
        "mean-field-relu", {"d": 8, "d_H": 2, "target": "norm-subspace", "particles": 32}
    )
    kw = dict(runs=2, method="gd", lr=0.05, times=[0, 2, 8], seed=4, init="symmetric:reflect:8")
    full = fp.simulate(model, **kw)
    reduced = fp.simulate(model, reduced=True, **kw)
    assert reduced.W.shape == (2, 32, 3)
    assert np.all(full.losses[:, -1] < 0.5 * full.losses[:, 0])
    assert np.abs(full.losses - reduced.losses).max() < 0.05 * full.losses[:, 0].max()
    G = particle_group("reflect:8", 8)
    X = np.random.default_rng(0).standard_normal((200, 8))
    mf = fp.training_loss(model)
    for W, a in zip(full.W, full.a, strict=True):
        f = lambda x, W=W, a=a: mf.output(W, a, x)  # noqa: E731
        assert symmetry_defect(f, X, G.elements[1]) < 1e-12
    with pytest.raises(ParameterError, match="reduced"):
        fp.simulate(fp.load_model("mean-field-relu"), runs=1, reduced=True)


@pytest.mark.parametrize("r", [1, 2, 3, 5])
def test_numeric_target_matches_the_symbolic_kernel(r):
    """SubspaceNormTarget.cross (SciPy's 2F1) against the SymPy derivation
    (fixedpoints.kernels.subspace_norm) evaluated at 30 digits: value and both partials."""
    import sympy as sp

    from fixedpoints.kernels import A as SA
    from fixedpoints.kernels import N as SN
    from fixedpoints.kernels import subspace_norm_derivatives, subspace_norm_kernel

    target = SubspaceNormTarget(r + 2, r)
    exprs = (subspace_norm_kernel(r), *subspace_norm_derivatives(r))
    for A, N in ((1.3, 0.4), (2.0, 2.0), (0.7, 0.0), (1.0, 0.999999)):
        got = target.cross(np.array(A), np.array(N))
        for g, e in zip(got, exprs, strict=True):
            want = float(sp.N(e.subs({SA: sp.Float(A, 30), SN: sp.Float(N, 30)}), 30))
            assert float(g) == pytest.approx(want, rel=1e-13, abs=1e-15)


def test_named_groups_and_sampled_data():
    """symmetric:perp is -I on H^perp, symmetric:odd the flip; SGD on sampled data in the
    mean-field scaling (fresh Gaussian inputs, the exact target) lowers the risk."""
    model = fp.load_model(
        "mean-field-relu", {"d": 6, "d_H": 2, "target": "norm-subspace", "particles": 16}
    )
    sim = fp.simulate(model, runs=1, init="symmetric:perp", method="gd", lr=0.05, t_max=1.0)
    X = np.random.default_rng(1).standard_normal((100, 6))
    perp = fp.particle_group("reflect:3,4,5,6", 6).elements[1]
    f = lambda x: np.maximum(x @ sim.W[0].T, 0) @ sim.a[0, :, 0] / 16  # noqa: E731
    assert fp.symmetry_defect(f, X, perp) < 1e-13
    odd = fp.load_model("mean-field-relu", {"d": 4, "target": "odd-cubic", "particles": 8})
    sim = fp.simulate(odd, runs=1, init="symmetric:odd", method="gd", lr=0.05, t_max=0.5)
    W, a = sim.W0[0], sim.a0[0]
    assert np.allclose(W[4:], -W[:4]) and np.allclose(a[4:], -a[:4])
    with pytest.raises(ParameterError, match="init"):  # no subspace H in this model
        fp.simulate(fp.load_model("relu-teacher", {"d": 4}), runs=1, init="symmetric:perp")
    sgd = fp.simulate(
        model, runs=2, method="sgd", lr=0.05, t_max=10.0, batch_size=512, gradient_tol=0.0
    )
    assert np.all(sgd.final_losses < 0.5 * sgd.losses[:, 0])


def test_mean_field_scaling_runs_on_the_array_api_standard():
    """The mean-field flow of a teacher target uses only standard array functions: the same
    runs on array-api-strict as on NumPy (the exact ||P_H x|| target is NumPy only, refused)."""
    model = fp.load_model("mean-field-relu", {"d": 4, "target": "odd-cubic", "particles": 8})
    kw = dict(runs=2, seed=2, method="gd", lr=0.05, t_max=1.0, init="symmetric:odd")
    ref = fp.simulate(model, **kw)
    strict = fp.simulate(model, backend="array-api-strict", **kw)
    assert np.allclose(strict.final_losses, ref.final_losses, rtol=1e-12)
    norm = fp.load_model("mean-field-relu", {"d": 4, "d_H": 2, "target": "norm-subspace"})
    with pytest.raises(ParameterError, match="backend"):
        fp.simulate(norm, runs=1, backend="array-api-strict")
