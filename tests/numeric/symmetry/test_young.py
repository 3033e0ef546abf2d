"""Fixed-point subspaces of diagonal Young subgroups (ReLU teacher, k = d, V = I): the reduced loss
against the weight-space loss, Newton in the reduced space against Arjevani's digest, isotropy
detection and orbit sizes."""

from __future__ import annotations

import dataclasses
import math
from functools import cache

import numpy as np
import pytest

from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError
from fixedpoints.models import load_model
from fixedpoints.numeric import PopulationLoss
from fixedpoints.numeric.derivatives import dense_hessian
from fixedpoints.numeric.symmetry.young import (
    YoungIsotropy,
    isotropy_label,
    orbit_size,
    parse_blocks,
    young_isotropy,
)
from tests.helpers import fd_gradient

# digest (papers/arjevani_2024_hidden_minima.md §3.2), d = 10, coordinates (D0, D1, O0, C01, C10)
F_A = (0.0187021946, (1.00435482, -0.69903682, -0.01581193, 0.18236776, 0.12604236))
F_DM1 = (0.0720567070, (-0.77451034, 1.06456357, 0.21786259, -0.00787636, 0.01940223))
S_1 = (0.0544367460, None)
F_D = (0.0766366620, (-0.80030403, 0.19847652))


@cache
def kernels(d):
    return compile_pair_kernels(load_model("relu-teacher", {"d": d}))


def population(d):
    return PopulationLoss(kernels(d), np.eye(d))


def random_point(iso, rng, n=None):
    shape = (iso.dimension,) if n is None else (n, iso.dimension)
    xi = rng.normal(size=shape)
    xi[..., iso.r :] /= np.sqrt(iso.d)  # off-diagonal entries ~ 1/sqrt(d), diagonal ~ 1
    return xi


CASES = [(6, (6,)), (6, (5, 1)), (6, (2, 2, 2)), (10, (9, 1)), (10, (10,)), (10, (4, 3, 2, 1))]
CASES += [(13, (6, 1, 4, 2)), (13, (1, 1, 11)), (13, (8, 5))]


@pytest.mark.parametrize(("d", "blocks"), CASES)
def test_reduced_loss_and_gradient_equal_the_weight_space_ones(d, blocks):
    iso = YoungIsotropy(blocks, kernels(d))
    pl = population(d)
    rng = np.random.default_rng(d + len(blocks))
    xi = random_point(iso, rng, n=4)
    W = iso.weights(xi)
    L = pl.loss(W)
    assert np.max(np.abs(iso.reduced_loss(xi) - L) / np.maximum(1, np.abs(L))) < 1e-12
    g_full = pl.gradient(W)[0]
    g = iso.reduced_gradient(xi)
    proj = np.einsum("nij,kij->nk", g_full, iso.basis())
    assert np.allclose(iso.project(g_full), proj, rtol=0, atol=1e-11)
    assert np.max(np.abs(g - proj)) < 1e-11 * max(1.0, np.max(np.abs(proj)))
    fd = fd_gradient(lambda x: float(iso.reduced_loss(x)), xi[0])
    assert np.max(np.abs(g[0] - fd)) < 1e-7 * max(1.0, np.max(np.abs(fd)))
    # the gradient lies in Fix, so its norm follows from the reduced gradient
    assert np.allclose(iso.full_gradient_norm(xi), np.linalg.norm(g_full, axis=(1, 2)))


def test_geometry_names_basis_and_projection():
    iso = YoungIsotropy((9, 1))
    assert iso.names == ("D1", "D2", "O1", "C12", "C21") and iso.dimension == 5
    assert YoungIsotropy((10,)).names == ("D1", "O1")
    assert YoungIsotropy((8, 2)).names == ("D1", "D2", "O1", "O2", "C12", "C21")
    assert YoungIsotropy((3, 2, 1)).dimension == 2 + 2 + 1 + 6
    E = iso.basis()
    assert E.shape == (5, 10, 10)
    assert np.array_equal(E.sum(axis=0), np.ones((10, 10)))  # disjoint orbits covering M(d, d)
    assert np.array_equal(np.sum(E, axis=(1, 2)), iso.orbit_sizes)
    xi = np.array([1.5, -0.5, 0.25, 2.0, -3.0])
    W = iso.weights(xi)
    assert W[0, 0] == 1.5 and W[9, 9] == -0.5 and W[0, 1] == 0.25 and W[3, 9] == 2.0
    assert W[9, 3] == -3.0
    assert np.allclose(np.tensordot(xi, E, axes=1), W)
    assert np.allclose(iso.coordinates(W), xi) and iso.contains(W)
    W2 = W.copy()
    W2[0, 1] += 1e-3
    assert not iso.contains(W2)
    # batched over leading dimensions
    X = np.stack([xi, 2 * xi])[None]
    assert iso.weights(X).shape == (1, 2, 10, 10)
    assert np.allclose(iso.weights(X)[0, 1], 2 * W)


def test_reduced_loss_is_batched_and_d_independent():
    d = 1000
    k = dataclasses.replace(kernels(2), T=np.eye(d), b=np.ones((d, 1)), a=np.ones((d, 1)))
    iso = YoungIsotropy((d - 1, 1), k)
    rng = np.random.default_rng(0)
    xi = random_point(iso, rng, n=6).reshape(2, 3, 5)
    L = iso.reduced_loss(xi)
    g = iso.reduced_gradient(xi)
    assert L.shape == (2, 3) and g.shape == (2, 3, 5)
    assert abs(L[1, 2] - iso.reduced_loss(xi[1, 2])) < 1e-12 * abs(L[1, 2])
    # W = I is the global minimum at any d
    assert abs(float(iso.reduced_loss([1.0, 1.0, 0.0, 0.0, 0.0]))) < 1e-9
    assert float(iso.full_gradient_norm([1.0, 1.0, 0.0, 0.0, 0.0])) < 1e-9


def test_reduced_hessian_is_the_projected_weight_space_hessian():
    d = 6
    iso = YoungIsotropy((4, 2), kernels(d))
    pl = population(d)
    xi = random_point(iso, np.random.default_rng(3))

    def grad(X):
        return pl.gradient(X.reshape(X.shape[:-1] + (d, d)))[0].reshape(X.shape)

    H = dense_hessian(grad, iso.weights(xi).ravel())
    E = iso.basis().reshape(iso.dimension, -1)
    Hr = iso.reduced_hessian(xi)
    assert np.max(np.abs(E @ H @ E.T - Hr)) < 1e-8 * np.max(np.abs(Hr))
    assert iso.reduced_hessian(np.stack([xi, xi])).shape == (2, iso.dimension, iso.dimension)


def _starts(rng, targets, n_random, d, dim):
    starts = [np.array(t) + 0.02 * rng.normal(size=dim) for t in targets]
    x0 = np.column_stack(
        [rng.uniform(-1.5, 1.5, (n_random, 2)), rng.uniform(-3, 3, (n_random, dim - 2)) / d]
    )
    return np.concatenate([np.array(starts).reshape(-1, dim), x0])


def _found(iso, res, loss, tol=1e-9):
    hit = np.nonzero(np.array(res.converged) & (np.abs(iso.reduced_loss(res.x) - loss) < tol))[0]
    assert hit.size, f"no critical point with loss {loss}"
    return res.x[hit[0]]


def test_newton_finds_the_d10_families_in_fix_delta_s9_x_s1():
    d = 10
    iso = young_isotropy("9,1", d, kernels(d))
    rng = np.random.default_rng(0)
    s1_guess = (1.09, -0.02, -0.009, 0.11, -0.018)
    res = iso.solve(_starts(rng, [F_A[1], F_DM1[1], s1_guess], 60, d, 5))
    assert np.sum(res.converged) > 40
    pl = population(d)
    xa = _found(iso, res, F_A[0])
    assert np.allclose(xa, F_A[1], atol=2e-8)
    xm = _found(iso, res, F_DM1[0])
    assert np.allclose(xm, F_DM1[1], atol=2e-8)
    xs = _found(iso, res, S_1[0])
    for x in (xa, xm, xs):
        # symmetric criticality: the full weight-space gradient vanishes
        assert np.linalg.norm(pl.gradient(iso.weights(x))[0]) < 1e-9
    # F_A is a minimum, S_1 an index-1 saddle (reduced Hessians; full spectra in test_isotypic)
    assert np.linalg.eigvalsh(iso.reduced_hessian(xa)).min() > 0
    assert np.sum(np.linalg.eigvalsh(iso.reduced_hessian(xs)) < 0) == 1
    # the global minimum is found too, and its isotropy is the whole diagonal
    x0 = _found(iso, res, 0.0)
    assert iso.isotropy_of(x0) == ((10,), "ΔS10")
    assert iso.isotropy_of(x0).orbit_size == math.factorial(10)
    t = iso.isotropy_of(xa)
    assert t.blocks == (9, 1) and t.label == "Δ(S9×S1)"
    assert t.orbit_size == orbit_size((9, 1), 10) == math.factorial(10) ** 2 // math.factorial(9)


def test_newton_finds_the_d10_points_of_fix_delta_s10():
    d = 10
    iso = young_isotropy("10", d, kernels(d))
    rng = np.random.default_rng(1)
    x0 = np.column_stack([rng.uniform(-1.5, 1.5, 40), rng.uniform(-0.5, 0.5, 40)])
    res = iso.solve(x0)
    assert np.allclose(_found(iso, res, 0.0), (1.0, 0.0), atol=1e-9)
    x = _found(iso, res, F_D[0])
    assert np.allclose(x, F_D[1], atol=2e-8)
    assert np.linalg.norm(population(d).gradient(iso.weights(x))[0]) < 1e-9
    assert iso.isotropy_of(x).label == "ΔS10"


def test_isotropy_merges_blocks_only_when_the_point_allows_it():
    iso = YoungIsotropy((4, 3, 2, 1))
    assert iso.isotropy_of(iso.coordinates(np.eye(10))).blocks == (10,)
    # blocks 1 and 3 carry one pattern, blocks 2 and 4 another: Δ(S6×S4)
    group = np.array([0, 0, 0, 0, 1, 1, 1, 0, 0, 1])  # blocks {0..3}, {4,5,6}, {7,8}, {9}
    off = np.array([[0.1, -0.2], [0.3, 0.05]])
    W = off[group[:, None], group[None, :]]
    W[np.arange(10), np.arange(10)] = np.array([1.0, -0.7])[group]
    xi = iso.coordinates(W)
    assert iso.contains(W)
    t = iso.isotropy_of(xi)
    assert t == ((6, 4), "Δ(S6×S4)")
    assert t.orbit_size == math.factorial(10) ** 2 // (math.factorial(6) * math.factorial(4))
    xi[iso.names.index("C13")] += 1e-6  # blocks 1 and 3 no longer merge; 2 and 4 still do
    assert iso.isotropy_of(xi).blocks == (4, 4, 2)
    assert iso.isotropy_of(xi, tol=1e-5).blocks == (6, 4)
    assert isotropy_label((1, 9)) == "Δ(S9×S1)" and isotropy_label([5]) == "ΔS5"


def test_block_specifications_and_bad_input():
    assert parse_blocks("9,1", 10) == (9, 1) and parse_blocks("10", 10) == (10,)
    assert parse_blocks((8, 2), 10) == (8, 2) and parse_blocks(10, 10) == (10,)
    for bad in ("9,2", "9,0,1", "a,b", "", (5, 5.5), (11, -1)):
        with pytest.raises(ParameterError, match="`isotropy`"):
            parse_blocks(bad, 10)
    with pytest.raises(ParameterError, match="summing to d.*at d = 10"):
        young_isotropy("9,2", 10, kernels(10))
    # k != d
    k9 = compile_pair_kernels(load_model("relu-teacher", {"d": 10, "k": 9}))
    with pytest.raises(ParameterError, match="`isotropy`.*k = d"):
        YoungIsotropy((10,), k9)
    with pytest.raises(ParameterError, match="`isotropy`.*k = d"):
        YoungIsotropy((9,), k9)
    # a teacher that is not the identity
    bent = dataclasses.replace(kernels(4), T=np.eye(4) + 0.1 * (1 - np.eye(4)))
    with pytest.raises(ParameterError, match="`isotropy`.*identity teacher"):
        YoungIsotropy((3, 1), bent)
    scaled = dataclasses.replace(kernels(4), b=np.array([[1.0], [1.0], [2.0], [1.0]]))
    with pytest.raises(ParameterError, match="`isotropy`"):
        YoungIsotropy((3, 1), scaled)
    with pytest.raises(ParameterError, match="`isotropy`"):
        YoungIsotropy((3, 1)).reduced_loss(np.zeros(5))
    with pytest.raises(ParameterError, match="orbit|isotropy"):
        orbit_size((9, 2), 10)


def test_newton_counts_degenerate_starts_instead_of_raising():
    iso = YoungIsotropy((3, 1), kernels(4))
    bad = np.array([[0.0] * 5, [1.0, 1.0, 0.0, 0.0, 0.0], [np.nan] + [0.0] * 4, [1e300] * 5])
    res = iso.solve(bad)
    assert list(res.converged) == [False, True, False, False]
    assert np.isnan(iso.reduced_loss(np.zeros(5)))
