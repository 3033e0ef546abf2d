"""Rotations inside a degenerate eigenspace of the teacher (quadratic networks, Martin, Bach &
Biroli 2024: every input rotation commuting with Z* is a symmetry): detected only where the loss
is invariant, counted as symmetry zero modes, and identified as one orbit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.numeric.fixed_points import classify_point
from fixedpoints.numeric.landscape import Landscape
from fixedpoints.numeric.symmetry import detect_symmetry, orbit_key, symmetry_generators
from fixedpoints.numeric.symmetry.eigenspaces import rotation_in, teacher_eigenspaces


def _quadratic(eigenvalues, d, m):
    settings = {"teacher_eigenvalues": eigenvalues, "d": d, "m": m}
    return fp.landscape(fp.load_model("quadratic", settings))


@pytest.mark.parametrize(
    "eigenvalues,d,m,expected",
    [("1,1,1", 4, 2, ((3, "span{v1, v2, v3}"),)), ("2,2,1", 4, 3, ((2, "span{v1, v2}"),))],
)
def test_rotations_of_a_degenerate_quadratic_teacher_eigenspace_are_detected(
    eigenvalues, d, m, expected
):
    sym = detect_symmetry(_quadratic(eigenvalues, d, m))
    assert sym.eigenspaces == expected and not sym.failed
    assert f"O({expected[0][0]}) rotations of the teacher eigenspace" in sym.describe()
    assert any(expected[0][1] in g for g in sym.to_dict()["generators"])


@pytest.mark.parametrize(
    "name,settings,candidate",
    [
        ("relu-teacher", {"d": 4}, True),  # Z ∝ identity on span V: proposed, loss not invariant
        ("soft-committee", {"k": 3, "m": 3}, True),  # equal teacher norms, erf
        ("multi-index", {"k": 3, "n": 2, "beta": 0.2, "target": "He3", "loss": "square"}, True),
        ("quadratic", {"teacher_eigenvalues": "3,2,1", "d": 4, "m": 2}, False),  # distinct
    ],
)
def test_no_eigenspace_rotations_where_the_loss_is_not_invariant(name, settings, candidate):
    space = fp.landscape(fp.load_model(name, settings))
    assert bool(teacher_eigenspaces(space.V, space.kernels.b)) == candidate
    sym = detect_symmetry(space)
    assert sym.eigenspaces == () and sym.eigenspace_forms == () and not sym.failed
    assert "eigenspace" not in sym.describe()


def test_several_outputs_need_a_joint_eigenspace():
    """Outputs x1² + x2² and x3²: O(2) on span{e1, e2}; outputs x1² + x2² and x1²: none."""
    V = 2.0 * np.eye(3)
    ((U, value),) = teacher_eigenspaces(V, [[1, 0], [1, 0], [0, 1]])
    assert U.shape == (2, 3) and np.allclose(U.T @ U, np.diag([1.0, 1.0, 0.0]))
    assert value == pytest.approx(4.0)
    assert teacher_eigenspaces(V, [[1, 1], [1, 0], [0, 1]]) == []


def _minimum_111():
    """The minimum of (1, 1, 1), d = 4, m = 2: Z_S on two eigen-directions, λ = 1 − τ_S/2 = 5/4."""
    space = _quadratic("1,1,1", 4, 2)
    W = np.zeros((2, 4))
    W[0, 0] = W[1, 1] = np.sqrt(1.25)
    return space, space.pack(W)


def test_symmetry_zero_modes_at_the_minimum_of_a_degenerate_teacher():
    space, x = _minimum_111()
    assert np.linalg.norm(space.gradient(x)) < 1e-12 and space.loss(x) == pytest.approx(0.625)
    sym = detect_symmetry(space)
    c = classify_point(space, x, sym)
    # C(2, 2) student rotations + 2 pairs (k ∈ S, l ∉ S) of one eigenvalue
    assert (c.index, c.nullity, c.symmetry_zero_modes, c.degenerate) == (0, 3, 3, False)
    for g in symmetry_generators(space, x, sym):  # tangent to the critical manifold
        assert np.linalg.norm(space.hessian(x) @ g) < 1e-6


def test_rotated_copies_are_one_orbit_with_and_without_student_rotations():
    space, x = _minimum_111()
    rng = np.random.default_rng(0)
    sym = detect_symmetry(space)
    W, _ = space.unpack(x)
    W = W + 0.3 * rng.standard_normal(W.shape)  # a generic point
    (U,) = sym.eigenspace_bases
    R = rotation_in(U, rng, -1.0)
    S, _ = np.linalg.qr(rng.standard_normal((2, 2)))
    key = orbit_key(space, space.pack(W), sym)
    assert key.same(orbit_key(space, space.pack(S @ W @ R.T), sym))
    assert not key.same(orbit_key(space, space.pack(W + 1e-3 * rng.standard_normal(W.shape)), sym))
    assert key.size == 1
    # unequal second-layer weights: no student rotations, the point graph carries P = W Π Wᵀ
    kern = dataclasses.replace(space.kernels, a=np.array([[1.0], [2.0]]))
    unequal = Landscape(kern, space.V, space.k)
    sym2 = detect_symmetry(unequal)
    assert not sym2.student_rotations and sym2.eigenspaces == sym.eigenspaces
    x2 = unequal.pack(W)
    assert unequal.loss(unequal.pack(W @ R.T)) == pytest.approx(unequal.loss(x2), rel=1e-12)
    key2 = orbit_key(unequal, x2, sym2)
    assert key2.same(orbit_key(unequal, unequal.pack(W @ R.T), sym2))
    assert key2.same(orbit_key(unequal, unequal.pack(-W @ R.T), sym2))  # both flipped
    assert not key2.same(orbit_key(unequal, unequal.pack(W[[1, 0]] @ R.T), sym2))
    # (w1, w2) ~ (−w1, −w2) ≁ (−w1, w2): two manifolds; all 48 teacher elements act trivially
    assert key2.size == 2 and key2.stabilizer_order == sym2.order // 2
    assert symmetry_generators(unequal, x2, sym2).shape[0] == 3
