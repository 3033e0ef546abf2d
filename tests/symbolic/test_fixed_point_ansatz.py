"""Fixed-point subspaces of signed permutation groups as ansätze: built from generators,
proven invariant by reduce_flow where the group is a symmetry, refused where it is not."""

from __future__ import annotations

import pytest
import sympy as sp

import fixedpoints as fp
from fixedpoints.errors import AnsatzError
from fixedpoints.symbolic import check_equivariance, fixed_point_ansatz, reduce_flow

FLIP = {"perm": [2, 3, 0, 1], "signs": [-1] * 4, "flip_a": True}
SWAP = {"perm": [1, 0, 3, 2]}


@pytest.fixture(scope="module")
def odd_flow():
    return fp.derive(
        fp.load_model("mean-field-relu", {"particles": 4, "d": 3, "target": "odd-cubic"})
    )


def test_signed_orbits_and_invariance(odd_flow):
    assert check_equivariance(odd_flow, **FLIP) and check_equivariance(odd_flow, **SWAP)
    ansatz = dict(fixed_point_ansatz(odd_flow, [FLIP]).assignment)
    assert ansatz["M_31"] == "-m_11" and ansatz["a_4"] == "-a_2" and ansatz["Q_33"] == "q_11"
    reduced = reduce_flow(odd_flow, fixed_point_ansatz(odd_flow, [FLIP]))
    assert len(reduced.variables) == 10
    both = reduce_flow(odd_flow, fixed_point_ansatz(odd_flow, [FLIP, SWAP]))
    assert [str(v) for v in both.variables] == ["q_11", "q_12", "q_13", "q_14", "m_11", "a_1"]
    # independently: at a point of the subspace the full field is tangent to it and equals the
    # reduced one (x_v = s_v xi  =>  F_v(x) = s_v G_xi(xi)), evaluated numerically
    values = dict(zip(both.variables, [1.3, 0.2, -0.9, 0.1, 0.4, 0.7], strict=True))
    by_name = {str(v): v for v in both.variables}
    x = {}
    for name, target in fixed_point_ansatz(odd_flow, [FLIP, SWAP]).assignment:
        sign = -1.0 if target.startswith("-") else 1.0
        x[name] = sign * values[by_name[target.lstrip("-")]]
    full = {str(v): v for v in odd_flow.variables}
    point = {full[n]: sp.Float(val, 30) for n, val in x.items()}
    red = dict(zip(both.variables, both.equations, strict=True))
    rpoint = {v: sp.Float(val, 30) for v, val in values.items()}
    for name, target in fixed_point_ansatz(odd_flow, [FLIP, SWAP]).assignment:
        sign = -1.0 if target.startswith("-") else 1.0
        F = float(odd_flow.equations[odd_flow.variables.index(full[name])].xreplace(point))
        G = float(red[by_name[target.lstrip("-")]].xreplace(rpoint))
        assert F == pytest.approx(sign * G, rel=1e-12, abs=1e-14), name


def test_a_sign_flipped_to_itself_is_zero(odd_flow):
    """A signed orbit that returns with sign -1 pins its variables to 0 (w_1 = -w_1 here)."""
    self_flip = {"perm": [0, 1, 2, 3], "signs": [-1, 1, 1, 1], "flip_a": True}
    ansatz = dict(fixed_point_ansatz(odd_flow, [self_flip]).assignment)
    assert ansatz["M_11"] == "0" and ansatz["a_1"] == "0" and ansatz["Q_12"] == "0"
    assert ansatz["Q_11"] == "q_11"  # s_1^2 = 1
    # flipping one ReLU neuron alone changes the network: not a symmetry, and refused
    assert not check_equivariance(odd_flow, **self_flip)
    with pytest.raises(AnsatzError, match="not invariant"):
        reduce_flow(odd_flow, fixed_point_ansatz(odd_flow, [self_flip]))


def test_not_a_symmetry_is_refused():
    even = fp.derive(
        fp.load_model(
            "mean-field-relu",
            {"particles": 4, "d": 3, "target": "norm-subspace", "d_H": 2, "teacher_particles": 4},
        )
    )
    assert not check_equivariance(even, **FLIP)
    with pytest.raises(AnsatzError, match="not invariant"):
        reduce_flow(even, fixed_point_ansatz(even, [FLIP]))
