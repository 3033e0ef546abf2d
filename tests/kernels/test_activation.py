import pytest
import sympy

from fixedpoints.errors import ParameterError
from fixedpoints.kernels import parse_activation, relu, step, z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("relu", relu(z)),
        ("step", step(z)),
        ("linear", z),
        ("quadratic", z**2),
        ("erf", sympy.erf(z / sympy.sqrt(2))),
        ("leaky_relu(0.1)", z / 10 + sympy.Rational(9, 10) * relu(z)),
        ("leaky_relu", z / 100 + sympy.Rational(99, 100) * relu(z)),
        ("tanh", sympy.tanh(z)),
        ("sigmoid", 1 / (1 + sympy.exp(-z))),
        ("He3+0.5*He4", sympy.hermite_prob(3, z) + sympy.hermite_prob(4, z) / 2),
        ("2*He2 - He0", 2 * z**2 - 3),
        ("z**3 - 3*z", z**3 - 3 * z),
        ("z^3", z**3),
        ("relu(z) + 0.5*z", relu(z) + z / 2),
        ("erf(2*z) - step(-z)", sympy.erf(2 * z) - step(-z)),
        ("exp(-z**2/2)", sympy.exp(-(z**2) / 2)),
    ],
)
def test_parse_activation_accepts_documented_forms(text, expected):
    assert sympy.expand(parse_activation(text) - expected) == 0


def test_parse_activation_makes_floats_exact_rationals():
    expr = parse_activation("0.25*z + 1.5")
    assert expr == z / 4 + sympy.Rational(3, 2)
    assert not expr.atoms(sympy.Float)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("rleu", "did you mean relu"),
        ("A*z", "arguments of the Gaussian kernels"),
        ("He2.5", "non-integer degree"),
        ("He_3", "non-integer degree"),
        ("relu(", "malformed"),
        ("foo(z)", "unknown function 'foo'"),
        ("x + 1", "the pre-activation variable is z"),
        ("", "non-empty"),
        ("1/0", "not finite"),
        ("relu(z, 2)", "one positional argument"),
        ("leaky_relu(z)", "slope"),
        ("z.real", "unsupported"),
        ("'relu'", "non-numeric constant"),
    ],
)
def test_parse_activation_rejects_bad_input_naming_the_parameter(text, fragment):
    with pytest.raises(ParameterError) as info:
        parse_activation(text, name="target")
    message = str(info.value)
    assert "`target`" in message
    assert fragment in message
    assert "\n" not in message


def test_parse_activation_rejects_non_string():
    with pytest.raises(ParameterError, match="`activation`"):
        parse_activation(3)  # type: ignore[arg-type]


def test_relu_and_step_evaluate_on_numbers():
    assert relu(sympy.Integer(-2)) == 0
    assert relu(sympy.Rational(3, 2)) == sympy.Rational(3, 2)
    assert step(sympy.Integer(0)) == 0
    assert step(sympy.Integer(2)) == 1
    assert sympy.diff(relu(2 * z), z) == 2 * step(2 * z)
