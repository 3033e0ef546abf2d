"""Model descriptions: presets, parameters, templates, the matrix language, serialisation."""

from __future__ import annotations

import pytest

from fixedpoints.errors import ModelError, ParameterError
from fixedpoints.models import Model, load_model, load_model_file, parse_model_text, preset_names
from fixedpoints.models.expressions import evaluate_int, evaluate_list, evaluate_matrix
from tests.helpers import PRESETS


def test_preset_names_are_the_seven_of_the_design():
    assert preset_names() == sorted(PRESETS)


@pytest.mark.parametrize("name", preset_names())
def test_load_model_every_preset_roundtrips_through_json(name):
    model = load_model(name)
    again = Model.from_dict(model.to_dict())
    assert again == model and hash(again) == hash(model)
    assert again.digest() == model.digest()


def test_load_model_defaults_follow_templates():
    m = load_model("multi-index", {"k": 4})
    assert m.student.width == 4 and m.teacher.width == 4 and m.input_dimension == 6
    assert m.student.activation == "He3" and m.free == ("beta",)
    assert m.teacher.overlap[0][1] == "(beta)" and m.student.spherical


def test_load_model_quadratic_drops_null_eigenvalues():
    m = load_model("quadratic", {"teacher_eigenvalues": "3,2,1,0", "m": 2})
    assert m.teacher.width == 3 and m.input_dimension == 4
    assert m.loss.scale == "1/4"


def test_load_model_linear_two_layer_has_vector_outputs():
    m = load_model("linear-two-layer", {"singular_values": "3,2", "width": 5})
    assert m.outputs == 2 and m.teacher.b == (("3", "0"), ("0", "2"))
    assert m.student.second_layer == "trainable"


def test_load_model_mean_field_switches_teacher_by_target():
    lin = load_model("mean-field-relu")
    assert lin.teacher.activation == "linear" and lin.teacher.width == 1
    norm = load_model("mean-field-relu", {"target": "norm-subspace", "d_H": 1})
    assert norm.teacher.width == 2 and norm.teacher.overlap == (("1", "-1"), ("-1", "1"))


def test_digest_changes_with_the_mathematics_only():
    a, b = load_model("soft-committee"), load_model("soft-committee", {"T": 2})
    assert a.digest() != b.digest()
    assert a.digest() == load_model("soft-committee", {"T": 1}).digest()


@pytest.mark.parametrize(
    "settings,needle",
    [
        ({"k": 0}, "`k`"),
        ({"k": "two"}, "`k`"),
        ({"beta": 1}, "[0, 1)"),
        ({"beta": "nan"}, "`beta`"),
        ({"target": "He3*foo(z)"}, "foo"),
        ({"target": "He3+x*He4"}, "pre-activation variable is z"),
        ({"loss": "l1"}, "correlation"),
        ({"k": 5, "d": 3}, "`d`"),
        ({"nope": 1}, "unknown parameter `nope`"),
    ],
)
def test_load_model_bad_values_name_the_parameter(settings, needle):
    with pytest.raises(ParameterError, match=None) as e:
        load_model("multi-index", settings)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_beta_free_value_keeps_it_symbolic():
    assert load_model("multi-index", {"beta": "free"}).free == ("beta",)
    with pytest.raises(ParameterError):
        load_model("soft-committee", {"T": "free"})


def test_load_model_file_rejects_unknown_names():
    with pytest.raises(ParameterError, match="unknown preset or model file"):
        load_model_file("definitely-not-a-model")


def test_parse_model_text_reports_toml_and_structure_errors():
    with pytest.raises(ModelError, match="not valid TOML"):
        parse_model_text("name = ", "bad.toml")
    with pytest.raises(ModelError, match=r"\[teacher\]"):
        parse_model_text('name="x"\n[student]\nwidth="1"\n')


def test_teacher_overlap_must_be_symmetric():
    text = (
        'name="x"\n[student]\nwidth="1"\nactivation="relu"\n[teacher]\nactivation="relu"\n'
        'overlap="[[1, 0.5], [0.2, 1]]"\n'
    )
    with pytest.raises(ModelError, match="symmetric"):
        parse_model_text(text).instantiate()


def test_evaluate_matrix_language():
    assert evaluate_matrix("identity", name="T", size=2) == (("1", "0"), ("0", "1"))
    assert evaluate_matrix("2*identity", name="T", size=2)[0] == ("(2)*(1)", "(2)*(0)")
    assert evaluate_matrix("diag([3, 2])", name="T") == (("3", "0"), ("0", "2"))
    assert evaluate_matrix("diag(nonzero([3, 0, 1]))", name="T") == (("3", "0"), ("0", "1"))
    assert evaluate_matrix("[[1, x], [x, 1]]", name="T") == (("1", "x"), ("x", "1"))
    with pytest.raises(ParameterError):
        evaluate_matrix("__import__('os')", name="T", size=2)
    with pytest.raises(ParameterError):
        evaluate_matrix("identity.real", name="T", size=2)


def test_evaluate_int_and_list():
    assert evaluate_int("len([1, 2, 3]) + 2", name="w") == 5
    assert evaluate_list("3, 2.5, 0", name="s") == [3, 2.5, 0]
    with pytest.raises(ParameterError, match="`w`"):
        evaluate_int("1.5", name="w")
