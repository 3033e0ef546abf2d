"""Regressions for bugs found in review: each once produced a wrong result, NaN or traceback."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from fixedpoints.cli import main
from fixedpoints.codegen import compile_flow
from fixedpoints.errors import AnsatzError, DerivationError, ModelError, ParameterError
from fixedpoints.models import load_model, parse_model_text
from fixedpoints.numeric import state_from_weights
from fixedpoints.symbolic import derive, reduce_flow


def test_relu_flow_is_finite_at_collinear_neurons():
    system = compile_flow(derive(load_model("relu-teacher", {"d": 2})))
    rng = np.random.default_rng(0)
    for _ in range(50):
        w = rng.normal(size=2)
        W = np.stack([w, 1.7 * w])
        x = state_from_weights(system.names, W, np.eye(2))
        assert np.all(np.isfinite(system.vector_field(x))) and np.isfinite(system.loss(x))


def test_kinked_quadrature_is_refused_not_silently_wrong():
    model = load_model("multi-index", {"k": 2, "beta": 0.2, "activation": "step", "target": "tanh"})
    with pytest.raises(DerivationError, match="kinked"):
        compile_flow(derive(model))


def test_norm_subspace_teacher_compiles_with_float_gram_entries():
    model = load_model("mean-field-relu", {"target": "norm-subspace", "d_H": 2, "particles": 2})
    system = compile_flow(derive(model))
    assert np.isfinite(system.loss(np.full(system.dimension, 0.3)))


def _model(body: str):
    return parse_model_text('name = "t"\n' + body).instantiate()


def test_model_file_string_booleans_and_weight_lists():
    m = _model('[student]\nwidth="2"\nspherical="false"\n[teacher]\nwidth="2"\nb="1, 2"\n')
    assert not m.student.spherical and m.teacher.b == (("1",), ("2",))
    m = _model('[student]\nwidth="1"\n[teacher]\nwidth="2"\nb="-[1, 2]"\n')
    assert m.teacher.b == (("(-(1))",), ("(-(2))",))
    with pytest.raises(ParameterError, match="true or false"):
        _model('[student]\nwidth="1"\nspherical="maybe"\n[teacher]\nwidth="1"\n')


def test_model_file_rejects_typos_and_undeclared_names():
    with pytest.raises(ModelError, match="activaton"):
        _model('[student]\nwidth="1"\nactivaton="erf"\n[teacher]\nwidth="1"\n')
    with pytest.raises(ModelError, match="not declared"):
        _model('[student]\nwidth="1"\na="x"\n[teacher]\nwidth="1"\n')
    with pytest.raises(ModelError, match="must be a table"):
        parse_model_text('name="t"\n[parameters]\nk = 3\n[student]\n[teacher]\n')


def test_negative_values_keep_their_sign_inside_templates():
    m = parse_model_text(
        'name="t"\n[parameters.c]\ntype="real"\ndefault=1\n[student]\nwidth="1"\n'
        'activation="linear"\n[teacher]\nwidth="1"\nactivation="linear"\nb="{c}**2"\n'
    ).instantiate({"c": -2})
    assert sp.sympify(m.teacher.b[0][0]) == 4


def test_symmetric_overlap_accepts_equal_numbers_written_differently():
    m = _model('[student]\nwidth="1"\n[teacher]\noverlap="[[1, 0.5], [1/2, 1]]"\n')
    assert m.teacher.width == 2


def test_json_expressions_parse_with_plain_sympify_even_for_clashing_names(capsys):
    assert main(["derive", "multi-index", "--set", "k=2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    expr = sp.sympify(doc["equations"]["M_11"])
    assert sp.Symbol("beta") in expr.free_symbols
    assert main(["derive", "relu-teacher", "--set", "d=3", "--ansatz", "symmetric", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for e in doc["equations"].values():
        assert {str(s) for s in sp.sympify(e).free_symbols} <= {"D", "O", "R", "S"}


def test_ansatz_names_may_not_capture_free_parameters():
    m = parse_model_text(
        'name="t"\n[parameters.R]\ntype="real"\n[student]\nwidth="2"\nactivation="erf"\n'
        '[teacher]\nwidth="2"\nactivation="erf"\noverlap="{R}*identity"\n'
    ).instantiate()
    with pytest.raises(AnsatzError, match="R"):
        reduce_flow(derive(m), "symmetric")


@pytest.mark.parametrize("target", ["1/z", "z**0.5", "exp(z**2)"])
def test_activations_without_finite_moments_are_rejected(target):
    with pytest.raises(ParameterError):
        derive(load_model("multi-index", {"k": 2, "target": target}))


@pytest.mark.parametrize(
    "argv",
    [
        ["derive", "multi-index", "--set", "beta=10**400"],
        ["derive", "multi-index", "--set", "beta=1/0"],
        ["derive", "multi-index", "--set", "k=9**9**9"],
        ["derive", "soft-committee", "--plot", "fig.xyz"],
        ["derive", "soft-committee", "--plot", "f.png", "--time", "inf"],
    ],
)
def test_pathological_input_gives_one_line_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_study_with_malformed_expected_or_nan_value_reports_cleanly(tmp_path, capsys):
    d = tmp_path / "s"
    d.mkdir()
    (d / "study.py").write_text("def run():\n    return {'x': float('nan')}\n")
    (d / "expected.json").write_text("[1, 2]")
    assert main(["study", "run", str(d)]) == 2
    claim = {"id": "x", "claim": "c", "value": 1.0, "tol": 0.1, "source": "s", "provenance": "p"}
    (d / "expected.json").write_text(json.dumps({"claims": [claim]}))
    assert main(["study", "run", str(d), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["claims"][0]["value"] == "nan" and out["claims"][0]["pass"] is False


def test_sqrt_activation_is_accepted_by_parameters_and_kernels():
    m = load_model("multi-index", {"k": 2, "target": "sqrt(2)*He3"})
    assert derive(m).dimension == 5  # Q_12 and M_ir (spherical neurons)
