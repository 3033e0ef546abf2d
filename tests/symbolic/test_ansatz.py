"""Ansätze and permutation equivariance, each verified against the full flow numerically."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from fixedpoints.codegen import compile_flow
from fixedpoints.errors import AnsatzError, ParameterError
from fixedpoints.models import load_model
from fixedpoints.symbolic import (
    check_permutation_equivariance,
    derive,
    is_zero,
    make_ansatz,
    reduce_flow,
)


def _lift(full, reduced, ansatz, xi):
    """Full state from reduced coordinates xi (ansatz partition)."""
    val = dict(zip(reduced.names, xi, strict=True))
    assign = dict(ansatz.assignment)
    return np.array(
        [val[assign[n]] if assign[n] in val else float(sp.sympify(assign[n])) for n in full.names]
    )


@pytest.mark.parametrize(
    "preset,settings,name",
    [
        ("soft-committee", {"k": 3, "m": 3}, "symmetric"),
        ("soft-committee", {"k": 3, "m": 2}, "symmetric"),
        ("relu-teacher", {"d": 5}, "block:2,3"),
        ("relu-teacher", {"d": 4}, "block:3,1"),
        ("multi-index", {"k": 3, "beta": 0.2, "target": "He4"}, "symmetric"),
        ("mean-field-relu", {"particles": 3, "d": 3}, "symmetric"),
    ],
)
def test_reduce_flow_equals_full_flow_on_the_ansatz_subspace(preset, settings, name):
    flow = derive(load_model(preset, settings))
    ansatz = make_ansatz(name, flow)
    red = reduce_flow(flow, ansatz)
    assert red.dimension < flow.dimension
    full_sys, red_sys = compile_flow(flow), compile_flow(red)
    rng = np.random.default_rng(0)
    xi = rng.uniform(0.05, 0.3, red.dimension)
    for i, n in enumerate(red.names):  # diagonal overlaps order one
        if n[0] == "D":
            xi[i] += 0.8
    x = _lift(flow, red, ansatz, xi)
    fx = full_sys.vector_field(x)
    fr = red_sys.vector_field(xi)
    # every full variable's derivative equals the derivative of its reduced symbol
    assert np.allclose(_lift(flow, red, ansatz, fr), fx, atol=1e-12)
    assert abs(float(full_sys.loss(x)) - float(red_sys.loss(xi))) < 1e-12


def test_reduce_flow_refuses_a_non_invariant_ansatz_naming_variables():
    flow = derive(load_model("relu-two-layer", {"width": 2, "teacher_coefficients": "1,-0.5"}))
    with pytest.raises(AnsatzError, match=r"not invariant: .*Q_11.*Q_22|not invariant"):
        reduce_flow(flow, "symmetric")
    flow = derive(load_model("relu-teacher", {"d": 3}))
    with pytest.raises(AnsatzError, match="fixes Q_12 = 0"):
        reduce_flow(flow, "diagonal")


def test_make_ansatz_rejects_bad_names_and_blocks():
    flow = derive(load_model("relu-teacher", {"d": 3}))
    with pytest.raises(ParameterError, match="unknown ansatz"):
        make_ansatz("round", flow)
    with pytest.raises(ParameterError, match="sum to the student width 3"):
        make_ansatz("block:1,1", flow)


def test_check_permutation_equivariance_student_and_teacher_permutations():
    sc = derive(load_model("soft-committee", {"k": 3, "m": 2}))
    assert check_permutation_equivariance(sc, [1, 2, 0])
    assert check_permutation_equivariance(sc, [0, 1, 2], teacher=[1, 0])
    rt = derive(load_model("relu-two-layer", {"width": 2, "teacher_coefficients": "1,-0.5"}))
    assert check_permutation_equivariance(rt, [1, 0])
    # teachers with different output weights are not interchangeable
    assert not check_permutation_equivariance(rt, [0, 1], teacher=[1, 0])


def test_check_permutation_equivariance_detects_fixed_unequal_second_layer(tmp_path):
    from fixedpoints.models import parse_model_text

    text = (
        'name="x"\n[student]\nwidth="2"\nactivation="erf"\na="[1, 2]"\n'
        '[teacher]\nwidth="1"\nactivation="erf"\n'
    )
    flow = derive(parse_model_text(text).instantiate())
    assert not check_permutation_equivariance(flow, [1, 0])


def test_is_zero_structural_and_numeric():
    x, y = sp.symbols("x y", positive=True)
    assert is_zero(sp.Integer(0)) == (True, "structural")
    assert is_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)[0]
    assert not is_zero(sp.sqrt(x * y) - sp.sqrt(x) * sp.sqrt(y) + x * 1e-3)[0]
