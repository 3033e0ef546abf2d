import numpy as np
import pytest
import sympy

from fixedpoints.kernels import (
    A,
    B,
    P,
    decompose,
    pair_kernel,
    parse_activation,
    quadrature_functions,
    relu,
    step,
    z,
)

from .helpers import monte_carlo

POINTS = [(1.0, 1.0, 0.3), (0.7, 1.6, -0.5), (2.0, 0.5, 0.8)]
PAIRS = [
    ("relu", "relu"),
    ("erf", "erf"),
    ("step", "step"),
    ("relu", "step"),
    ("step", "relu"),
    ("relu", "erf"),
    ("erf", "relu"),
    ("step", "erf"),
    ("linear", "relu"),
    ("quadratic", "relu"),
    ("He3+0.5*He4", "He3+0.5*He4"),
    ("leaky_relu(0.2)", "relu"),
    ("z**3", "erf"),
    ("quadratic", "quadratic"),
    ("z**4", "step"),
    ("relu(-2*z)", "erf(3*z)"),
    ("step(-z) + 0.5*z", "erf(-z)"),
    ("2*He2 - He0", "relu(z) + z**3"),
]


def _value(expr, a, b, p):
    return float(expr.subs({A: a, B: b, P: p}).evalf(30))


@pytest.mark.parametrize(("sigma", "tau"), PAIRS)
def test_pair_kernel_matches_monte_carlo(sigma, tau):
    s, t = parse_activation(sigma), parse_activation(tau)
    kernel = pair_kernel(s, t)
    assert not quadrature_functions(kernel.value)
    for a, b, p in POINTS:
        mean, se = monte_carlo(s, t, a, b, p)
        assert abs(_value(kernel.value, a, b, p) - mean) < 4 * se + 1e-12, (a, b, p)


@pytest.mark.parametrize(("sigma", "tau"), PAIRS)
def test_self_value_matches_monte_carlo(sigma, tau):
    s, t = parse_activation(sigma), parse_activation(tau)
    self_value = pair_kernel(s, t).self_value()
    assert self_value.free_symbols <= {A}
    for a in (0.5, 1.0, 1.7):
        mean, se = monte_carlo(s, t, a, a, a)
        got = float(self_value.subs(A, a).evalf(30))
        assert abs(got - mean) < 4 * se + 1e-12, a


@pytest.mark.parametrize(
    ("text", "expected"),
    [("He3+0.5*He4", 6 * P**3 + 6 * P**4), ("2*He2 - He0", 8 * P**2 + 1), ("He5", 120 * P**5)],
)
def test_pair_kernel_hermite_mixture_follows_mehler_at_unit_variance(text, expected):
    expr = parse_activation(text)
    value = pair_kernel(expr, expr).value
    assert sympy.expand(value.subs({A: 1, B: 1}) - expected) == 0
    assert sympy.expand(value.subs({A: 2, B: 3}) - expected) != 0


def test_pair_kernel_is_symmetric_under_swap():
    pairs = [("relu", "erf"), ("step", "z**3"), ("relu(2*z)", "quadratic"), ("step", "relu")]
    for sigma, tau in pairs:
        s, t = parse_activation(sigma), parse_activation(tau)
        forward = pair_kernel(s, t).value
        backward = pair_kernel(t, s).value.xreplace({A: B, B: A})
        assert sympy.simplify(forward - backward) == 0


def test_pair_kernel_standard_closed_forms():
    erf = pair_kernel(parse_activation("erf"), parse_activation("erf"))
    expected = 2 * sympy.asin(P / sympy.sqrt((1 + A) * (1 + B))) / sympy.pi
    assert sympy.simplify(erf.value - expected) == 0
    assert sympy.simplify(erf.self_value() - 2 * sympy.asin(A / (1 + A)) / sympy.pi) == 0
    assert pair_kernel(relu(z), relu(z)).self_value() == A / 2
    assert pair_kernel(step(z), step(z)).self_value() == sympy.Rational(1, 2)
    assert pair_kernel(z**2, z**2).value == A * B + 2 * P**2


def test_decompose_normalizes_signs_and_scales():
    atoms = dict((atom.expr, c) for c, atom in decompose(relu(-2 * z)))
    assert atoms == {relu(z): 2, z: -2}
    atoms = dict((atom.expr, c) for c, atom in decompose(step(-z)))
    assert atoms == {sympy.S.One: 1, step(z): -1}
    ((coeff, atom),) = decompose(sympy.erf(-3 * z))
    assert coeff == -1 and atom.kind == "erf" and atom.scale == 3 * sympy.sqrt(2)
    kinds = sorted(atom.kind for _, atom in decompose(sympy.tanh(z) + z * relu(z) + 1))
    assert kinds == ["mono", "numeric", "numeric"]


def test_monte_carlo_helper_is_deterministic():
    first = monte_carlo(relu(z), relu(z), 1.0, 1.0, 0.2)
    assert first == monte_carlo(relu(z), relu(z), 1.0, 1.0, 0.2)
    assert np.isfinite(first[1])
