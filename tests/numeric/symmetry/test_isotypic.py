"""Hessian spectra by isotypic components against dense eigendecompositions, the closed form at
W = I and the digest's spectra (papers/arjevani_2024_hidden_minima.md §4)."""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest

from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError
from fixedpoints.models import load_model
from fixedpoints.numeric import PopulationLoss
from fixedpoints.numeric.derivatives import dense_hessian
from fixedpoints.numeric.symmetry.isotypic import (
    dense_spectrum,
    isotypic_components,
    isotypic_spectrum,
    merge_spectrum,
    reduced_isotypic_spectrum,
    weight_space_hvp,
)
from fixedpoints.numeric.symmetry.young import YoungIsotropy

# digest §4: W = I, d = 10
IDENTITY_D10 = [
    (0.0908451, 45),
    (0.2718905, 9),
    (0.4091549, 35),
    (1.4623809, 1),
    (2.7281095, 9),
    (3.1291685, 1),
]
# digest §4: F_A, d = 10 (eigenvalue, multiplicity, type)
F_A_D10 = [
    (0.031964, 8, "(8,1)"),
    (0.062854, 28, "(7,1,1)"),
    (0.079093, 1, "trivial"),
    (0.085186, 8, "(8,1)"),
    (0.216166, 1, "trivial"),
    (0.239215, 8, "(8,1)"),
    (0.363741, 8, "(8,1)"),
    (0.380175, 27, "(7,2)"),
    (1.454088, 1, "trivial"),
    (2.657946, 1, "trivial"),
    (2.699543, 8, "(8,1)"),
    (3.096356, 1, "trivial"),
]
F_A_XI = (1.00435482, -0.69903682, -0.01581193, 0.18236776, 0.12604236)
F_D_D10 = [
    (0.017488, 36, "(8,1,1)"),
    (0.066333, 9, "(9,1)"),
    (0.176189, 9, "(9,1)"),
    (0.336612, 35, "(8,2)"),
    (1.432579, 1, "trivial"),
    (2.658280, 9, "(9,1)"),
    (3.038207, 1, "trivial"),
]


@cache
def kernels(d):
    return compile_pair_kernels(load_model("relu-teacher", {"d": d}))


def population(d):
    return PopulationLoss(kernels(d), np.eye(d))


def closed_form_identity(d):
    """Digest §4: the Hessian spectrum at W = I."""
    pi = np.pi
    root = np.sqrt(pi**2 * d**2 - 16 * pi + 16)
    disc = np.sqrt((pi - 2) ** 2 * d**2 + 16 * (pi - 1) * d - 16 * (pi - 1))
    return sorted(
        [
            (0.25 - 1 / (2 * pi), d * (d - 1) // 2),
            (0.25 + 1 / (2 * pi), d * (d - 3) // 2),
            ((pi * (d + 2) - root) / (8 * pi), d - 1),
            ((pi * (d + 2) + root) / (8 * pi), d - 1),
            (((pi + 2) * d + 2 * pi - disc) / (8 * pi), 1),
            (((pi + 2) * d + 2 * pi + disc) / (8 * pi), 1),
        ]
    )


def assert_same_spectrum(got, expected, tol):
    assert [m for _, m in got] == [m for _, m in expected]
    assert max(abs(a - b) for (a, _), (b, _) in zip(got, expected, strict=True)) < tol


def dense_at(W):
    d = W.shape[0]
    pl = population(d)

    def grad(X):
        return pl.gradient(X.reshape(X.shape[:-1] + (d, d)))[0].reshape(X.shape)

    return dense_hessian(grad, W.ravel())


@pytest.mark.parametrize("blocks", [(10,), (9, 1)])
def test_spectrum_at_the_identity_is_the_closed_form(blocks):
    d = 10
    expected = closed_form_identity(d)
    assert_same_spectrum(expected, IDENTITY_D10, 5e-8)
    W = np.eye(d)
    hvp_route = merge_spectrum(isotypic_spectrum(weight_space_hvp(population(d), W), W, blocks))
    assert_same_spectrum(hvp_route, expected, 1e-8)
    iso = YoungIsotropy(blocks, kernels(d))
    reduced = merge_spectrum(reduced_isotypic_spectrum(iso, iso.coordinates(W)))
    assert_same_spectrum(reduced, expected, 1e-8)


def test_spectrum_at_the_identity_for_large_d_without_dense_arrays():
    d = 1000
    k = dataclasses.replace(kernels(2), T=np.eye(d), b=np.ones((d, 1)), a=np.ones((d, 1)))
    iso = YoungIsotropy((d - 1, 1), k)
    got = merge_spectrum(reduced_isotypic_spectrum(iso, [1.0, 1.0, 0.0, 0.0, 0.0]))
    assert_same_spectrum(got, closed_form_identity(d), 1e-8)


def test_spectrum_at_f_a_equals_the_dense_spectrum_and_the_digest():
    d = 10
    iso = YoungIsotropy((9, 1), kernels(d))
    res = iso.solve(np.array([F_A_XI]))
    assert res.converged[0]
    x = res.x[0]
    W = iso.weights(x)
    dense = dense_spectrum(dense_at(W))
    hvp_pairs = isotypic_spectrum(weight_space_hvp(population(d), W), W, (9, 1))
    red_pairs = reduced_isotypic_spectrum(iso, x)
    for pairs in (hvp_pairs, red_pairs):
        assert sum(m for _, m, _ in pairs) == d * d
        assert_same_spectrum(merge_spectrum(pairs), dense, 1e-8)
        assert [(m, c) for _, m, c in pairs] == [(m, c) for _, m, c in F_A_D10]
        assert max(abs(v - e) for (v, _, _), (e, _, _) in zip(pairs, F_A_D10, strict=True)) < 1e-5


def test_spectrum_at_f_d_matches_the_digest():
    d = 10
    iso = YoungIsotropy((10,), kernels(d))
    res = iso.solve(np.array([[-0.8, 0.2]]))
    pairs = reduced_isotypic_spectrum(iso, res.x[0])
    assert [(m, c) for _, m, c in pairs] == [(m, c) for _, m, c in F_D_D10]
    assert max(abs(v - e) for (v, _, _), (e, _, _) in zip(pairs, F_D_D10, strict=True)) < 1e-5


PARTITIONS = [(1,), (2,), (3,), (1, 1), (2, 1), (1, 2), (4,), (3, 1), (2, 2), (1, 1, 2), (5,)]
PARTITIONS += [(4, 1), (3, 2), (2, 2, 1), (1, 3, 1), (1, 1, 1, 1, 1)]


@pytest.mark.parametrize("blocks", PARTITIONS)
def test_decomposition_is_exact_at_random_symmetric_points(blocks):
    """Any point of Fix (not only critical ones) has a Γ-equivariant Hessian: every partition of
    d ≤ 5, including the degenerate small blocks, against the dense spectrum."""
    d = sum(blocks)
    iso = YoungIsotropy(blocks, kernels(d))
    rng = np.random.default_rng(sum(blocks) * 7 + len(blocks))
    xi = rng.normal(size=iso.dimension)
    xi[iso.r :] *= 0.5
    W = iso.weights(xi)
    dense = dense_spectrum(dense_at(W), tol=1e-7)
    for pairs in (
        isotypic_spectrum(weight_space_hvp(population(d), W), W, blocks),
        reduced_isotypic_spectrum(iso, xi),
    ):
        assert sum(m for _, m, _ in pairs) == d * d
        assert_same_spectrum(merge_spectrum(pairs, tol=1e-7), dense, 1e-8)


def test_component_types_and_multiplicities():
    _, comps = isotypic_components((9, 1))
    summary = [(c.label, c.multiplicity, len(c.copies)) for c in comps]
    assert summary == [("trivial", 1, 5), ("(8,1)", 8, 5), ("(7,2)", 27, 1), ("(7,1,1)", 28, 1)]
    _, comps = isotypic_components((10,))
    summary = [(c.label, c.multiplicity, len(c.copies)) for c in comps]
    assert summary == [("trivial", 1, 2), ("(9,1)", 9, 3), ("(8,2)", 35, 1), ("(8,1,1)", 36, 1)]
    _, comps = isotypic_components((8, 2))
    labels = {c.label: c.multiplicity for c in comps}
    assert labels == {
        "trivial": 1,
        "(7,1)⊗(2)": 7,
        "(6,2)⊗(2)": 20,
        "(6,1,1)⊗(2)": 21,
        "(8)⊗(1,1)": 1,
        "(7,1)⊗(1,1)": 7,
    }


def test_merge_and_dense_spectrum_format():
    pairs = [(0.5, 2, "a"), (0.1, 1, "b"), (0.5 + 1e-9, 3, "c"), (-1.0, 1, "d")]
    merged = merge_spectrum(pairs)
    assert [m for _, m in merged] == [1, 1, 5]
    assert merged[0][0] == -1.0 and abs(merged[2][0] - 0.5) < 1e-9
    assert merge_spectrum(pairs, tol=1e-12)[2:] == [[0.5, 2], [0.5 + 1e-9, 3]]
    H = np.diag([1.0, 2.0, 1.0, 3.0])
    assert dense_spectrum(H) == [[1.0, 2], [2.0, 1], [3.0, 1]]


def test_bad_input():
    d = 6
    W = np.eye(d)
    hvp = weight_space_hvp(population(d), W)
    with pytest.raises(ParameterError, match="`isotropy`"):
        isotypic_spectrum(hvp, W, (4, 1))
    W2 = W.copy()
    W2[0, 1] = 0.3
    with pytest.raises(ParameterError, match="not fixed"):
        isotypic_spectrum(hvp, W2, (5, 1))
    with pytest.raises(ParameterError, match="kernels"):
        reduced_isotypic_spectrum(YoungIsotropy((5, 1)), np.zeros(5))
