"""Parameters inside activations (issue 20): ``--set target="He3+c*He4"`` makes ``c`` a real
parameter of the model, free (symbolic) unless set, written in as a number when set."""

from __future__ import annotations

import pytest

from fixedpoints.errors import ParameterError
from fixedpoints.models import load_model, load_model_file, with_settings
from fixedpoints.models.activation_names import check_parameter_name


def test_activation_parameter_is_a_free_unbounded_real_parameter():
    m = load_model("multi-index", {"target": "He3+c*He4"})
    assert m.free == ("beta", "c")
    assert m.teacher.activation == m.student.activation == "He3+c*He4"
    assert m.range_of("c")[:2] == (None, None)
    assert m.setting("c") == "c"


def test_set_activation_parameter_is_the_number_written_in():
    with_c = load_model("multi-index", ["target=He3+c*He4", "c=0.5", "beta=0.2"])
    plain = load_model("multi-index", ["target=He3+0.5*He4", "beta=0.2"])
    assert with_c.teacher.activation == "He3+0.5*He4"
    assert with_c.free == () and with_c.digest() == plain.digest()
    assert with_c.setting("c") == "0.5"
    negative = load_model("multi-index", ["target=He3+c**2*He4+c*z", "c=-0.5"])
    assert negative.teacher.activation == "He3+(-0.5)**2*He4+(-0.5)*z"


def test_declared_parameters_in_an_activation_are_the_model_parameters():
    free = load_model("multi-index", {"target": "He3+beta*He4"})
    assert free.free == ("beta",) and free.teacher.activation == "He3+beta*He4"
    set_ = load_model("multi-index", {"target": "He3+beta*He4", "beta": 0.25, "k": 2})
    assert set_.teacher.activation == "He3+0.25*He4" and set_.free == ()
    assert load_model("multi-index", {"target": "He3+k*He4", "k": 2}).teacher.activation == (
        "He3+2*He4"
    )


def test_with_settings_and_parameters_for_know_activation_parameters():
    m = load_model("multi-index", {"target": "He3+c*He4"})
    assert with_settings(m, c=0.25).teacher.activation == "He3+0.25*He4"
    params = load_model_file("multi-index").parameters_for(["target=erf(a*z)+b*z"])
    assert [n for n in params if n in ("a", "b")] == ["a", "b"]
    assert params["a"].kind == "real" and params["a"].default is None


@pytest.mark.parametrize(
    ("assignments", "needles"),
    [
        (["target=He3+x*He4"], ["`target`", "'x'", "pre-activation variable is z"]),
        (["target=He3+P*He4"], ["`target`", "'P'", "K(A, B, P)"]),
        (["target=He3+M_12*z"], ["`target`", "order parameter"]),
        (["target=rleu"], ["`target`", "did you mean relu"]),
        (["target=He3+Hx4"], ["`target`", "did you mean He4"]),
        (["target=foo(z)+He3"], ["`target`", "unknown function 'foo'"]),
        (["target=He3+loss*He4"], ["`loss`", "choice parameter"]),
        (["target=He3+c*He4", "c=abc"], ["`c`", "a number", "'abc'"]),
        (["target=He3+c*He4", "c=nan"], ["`c`", "'nan'"]),
        (["c=1"], ["unknown parameter `c`", "He3+c*He4"]),
        (["target=He3+c*He4", "e=1"], ["unknown parameter `e`", "activation parameters c"]),
    ],
)
def test_bad_activation_parameters_name_parameter_value_and_allowed(assignments, needles):
    with pytest.raises(ParameterError) as info:
        load_model("multi-index", assignments)
    message = str(info.value)
    assert all(n in message for n in needles), message
    assert "\n" not in message


def test_check_parameter_name_accepts_ordinary_names():
    for name in ("c", "alpha", "gain", "c2", "theta_1", "E", "S"):
        assert check_parameter_name(name, name="target", text=name) == name
