"""The pair-vectorised order-parameter flow (:class:`fixedpoints.numeric.OverlapFlow`, what
``fp.compile_flow`` returns for a full flow) against the per-variable compiled SymPy flow, the
reference, on every preset and on sizes beyond the compact naming (k, m ≥ 10)."""

from __future__ import annotations

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.codegen import compile_flow as compile_expressions
from fixedpoints.codegen import model_arrays
from fixedpoints.numeric.overlap_flow import OverlapFlow
from fixedpoints.numeric.overlaps import input_dimension, state_from_weights, teacher_vectors

CASES = [
    ("soft-committee", {"k": 3, "m": 2}),
    ("soft-committee", {"k": 2, "m": 3, "activation": "tanh"}),
    ("multi-index", {"k": 3, "n": 2, "target": "He3+0.5*He4", "beta": 0.2}),
    ("multi-index", {"k": 2, "n": 2, "target": "He2", "activation": "He3"}),
    ("relu-teacher", {"d": 3}),
    ("relu-two-layer", {}),
    ("linear-two-layer", {}),
    ("quadratic", {}),
    ("mean-field-relu", {}),
]


def _states(model, names, runs, seed=0):
    """Overlap states of random weights (valid Gram matrices), one column per run."""
    rng = np.random.default_rng(seed)
    k, o = model.student.width, model.outputs
    T = model_arrays(model, {p: 0.3 for p in model.free})["T"]
    d = input_dimension(T, k, model.input_dimension)
    V = teacher_vectors(T, d)
    cols = []
    for _ in range(runs):
        W = rng.normal(size=(k, d)) / np.sqrt(d)
        if model.student.spherical:
            W /= np.linalg.norm(W, axis=1, keepdims=True)
        a = rng.normal(size=(k, o))
        cols.append(state_from_weights(names, W, V, a, o))
    return np.array(cols).T


@pytest.mark.parametrize(("name", "sets"), CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_pair_vectorised_flow_equals_the_symbolic_flow(name, sets):
    model = fp.load_model(name, sets)
    flow = fp.derive(model)
    fast, ref = fp.compile_flow(flow), compile_expressions(flow)
    assert isinstance(fast, OverlapFlow) and fast.names == ref.names
    params = {p: 0.3 for p in fast.parameters}
    X = _states(model, flow.names, 6)
    F, R = fast.vector_field(X, params), ref.vector_field(X, params)
    scale = 1 + np.abs(R).max()
    assert np.abs(F - R).max() <= 1e-12 * scale
    # tanh has no closed-form kernel: both sides use 2-D Gauss-Hermite quadrature, but the
    # teacher-teacher constant is summed in a different order of nodes (1e-10 apart)
    tol = 1e-9 if "tanh" in str(sets) else 1e-12
    assert np.abs(fast.loss(X, params) - ref.loss(X, params)).max() <= tol * scale
    # one state at a time, and a model given directly (no derivation) is the same system
    direct = fp.compile_flow(model)
    assert direct.names == flow.names
    np.testing.assert_allclose(direct.vector_field(X[:, 0], params), R[:, 0], atol=1e-12 * scale)


def test_wide_sizes_use_the_separated_names_and_agree():
    """k = 10 students, m = 11 teachers: the naming scheme with underscores (Q_1_10)."""
    model = fp.load_model("soft-committee", {"k": 10, "m": 11})
    flow = fp.derive(model)
    fast, ref = fp.compile_flow(flow), compile_expressions(flow)
    X = _states(model, flow.names, 3, seed=1)
    F, R = fast.vector_field(X), ref.vector_field(X)
    assert np.abs(F - R).max() <= 1e-12 * (1 + np.abs(R).max())
    assert "Q_1_10" in fast.names


def test_batch_shapes_and_parameters_as_arguments():
    """Trailing batch dimensions are kept; a parameter value is an argument (one system for a
    sweep), and a missing or mis-sized one is named."""
    model = fp.load_model("multi-index", {"k": 2, "n": 1, "target": "He3"})
    system = fp.compile_flow(model)
    X = _states(model, system.names, 12)
    X = X.reshape(system.dimension, 3, 4)
    for beta in (0.0, 0.4):
        ref = compile_expressions(fp.derive(model))
        F = system.vector_field(X, {"beta": beta})
        assert F.shape == X.shape
        R = ref.vector_field(X.reshape(system.dimension, -1), {"beta": beta})
        np.testing.assert_allclose(F.reshape(system.dimension, -1), R, atol=1e-13)
    with pytest.raises(fp.ParameterError, match="beta"):
        system.vector_field(X)
    with pytest.raises(fp.ParameterError, match="`params` must have 1"):
        system.vector_field(X, [0.1, 0.2])
    with pytest.raises(fp.ParameterError, match="`x`"):
        system.vector_field(np.zeros(system.dimension + 1), {"beta": 0.1})


def test_reduced_flows_and_mpmath_keep_the_per_variable_code():
    model = fp.load_model("soft-committee", {"k": 2, "m": 2})
    red = fp.derive(model, ansatz="symmetric")
    assert not isinstance(fp.compile_flow(red), OverlapFlow)
    assert fp.compile_flow(fp.derive(model), backend="mpmath").backend == "mpmath"
