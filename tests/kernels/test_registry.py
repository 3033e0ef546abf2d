import mpmath
import numpy as np
import pytest
import sympy

from fixedpoints.errors import ParameterError
from fixedpoints.kernels import A, B, Kernel, P, pair_kernel, parse_activation, self_kernel

PAIRS = [
    ("relu", "relu"),
    ("erf", "erf"),
    ("step", "step"),
    ("relu", "step"),
    ("relu", "erf"),
    ("step", "erf"),
    ("quadratic", "relu"),
    ("He3+0.5*He4", "He3+0.5*He4"),
    ("leaky_relu(0.2)", "relu"),
    ("z**3", "erf"),
    ("erf(2*z)", "relu(-z)"),
]
FIRST = [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
SECOND = [(2, 0, 0), (0, 2, 0), (0, 0, 2), (1, 1, 0), (1, 0, 1), (0, 1, 1)]


def _points(seed: int, count: int = 3):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        a, b = rng.uniform(0.3, 2.5, size=2)
        yield float(a), float(b), float(rng.uniform(-0.85, 0.85) * np.sqrt(a * b))


def _mp(expr):
    return sympy.lambdify((A, B, P), expr, modules="mpmath")


def _central(f, point, index):
    h = mpmath.mpf("1e-10")
    lo, hi = list(point), list(point)
    lo[index] -= h
    hi[index] += h
    return (f(*hi) - f(*lo)) / (2 * h)


@pytest.mark.parametrize(("sigma", "tau"), PAIRS)
def test_derivative_first_order_matches_finite_differences(sigma, tau):
    kernel = pair_kernel(parse_activation(sigma), parse_activation(tau))
    value = _mp(kernel.value)
    with mpmath.workdps(40):
        for point in _points(1):
            point = [mpmath.mpf(x) for x in point]
            for index, orders in enumerate(FIRST):
                exact = _mp(kernel.derivative(*orders))(*point)
                assert abs(exact - _central(value, point, index)) < 1e-12 * (1 + abs(exact))


@pytest.mark.parametrize(("sigma", "tau"), [("relu", "relu"), ("erf", "erf"), ("relu", "step")])
def test_derivative_second_order_matches_finite_differences(sigma, tau):
    kernel = pair_kernel(parse_activation(sigma), parse_activation(tau))
    with mpmath.workdps(40):
        for point in _points(2):
            point = [mpmath.mpf(x) for x in point]
            for orders in SECOND:
                index = next(i for i, n in enumerate(orders) if n)
                lower = list(orders)
                lower[index] -= 1
                exact = _mp(kernel.derivative(*orders))(*point)
                approx = _central(_mp(kernel.derivative(*lower)), point, index)
                assert abs(exact - approx) < 1e-12 * (1 + abs(exact)), orders


def test_derivative_relu_hand_forms_equal_raw_sympy_derivatives():
    kernel = pair_kernel(parse_activation("relu"), parse_activation("relu"))
    for orders in FIRST + SECOND:
        spec = [s for s, n in zip((A, B, P), orders, strict=True) for _ in range(n)]
        raw = _mp(sympy.diff(kernel.value, *spec))
        hand = _mp(kernel.derivative(*orders))
        for point in _points(3):
            assert abs(raw(*point) - hand(*point)) < 1e-12


@pytest.mark.parametrize("sign", [1, -1])
def test_derivative_relu_is_finite_at_collinear_pairs(sign):
    kernel = pair_kernel(parse_activation("relu"), parse_activation("relu"))
    collinear = {A: 2, B: 3, P: sign * sympy.sqrt(6)}
    expected = {(1, 0, 0): 0, (0, 1, 0): 0, (0, 0, 1): sympy.Rational(1 + sign, 4)}
    for orders, value in expected.items():
        got = sympy.simplify(kernel.derivative(*orders).subs(collinear))
        assert got == value
    raw = sympy.diff(kernel.value, A).subs(collinear)
    assert raw.has(sympy.nan, sympy.zoo) or not raw.is_finite


@pytest.mark.parametrize("text", ["relu", "erf", "He3+0.5*He4", "z**3+relu(z)", "step"])
def test_self_derivative_matches_finite_differences(text):
    kernel = pair_kernel(parse_activation(text), parse_activation(text))
    f = sympy.lambdify(A, kernel.self_value(), modules="mpmath")
    with mpmath.workdps(40):
        for a in (mpmath.mpf("0.4"), mpmath.mpf("1.3")):
            for n in (1, 2):
                exact = sympy.lambdify(A, kernel.self_derivative(n), modules="mpmath")(a)
                approx = mpmath.diff(f, a, n)
                assert abs(exact - approx) < 1e-15 * (1 + abs(exact))


def test_self_value_is_collinear_limit_of_pair_value():
    for text in ["relu", "erf", "relu(z)+step(z)", "z**2+erf(2*z)"]:
        kernel = pair_kernel(parse_activation(text), parse_activation(text))
        value = _mp(kernel.value)
        with mpmath.workdps(40):
            a = mpmath.mpf("1.3")
            limit = value(a, a, a * (1 - mpmath.mpf("1e-30")))
            assert abs(limit - _mp(kernel.self_value())(a, a, a)) < 1e-12


def test_pair_kernel_is_cached_and_compares_by_value():
    relu = parse_activation("relu")
    first = pair_kernel(relu, relu)
    assert pair_kernel(relu, relu) is first
    assert pair_kernel("relu", "relu") is first
    assert first == Kernel(first.sigma, first.tau, first.value)
    assert hash(first) == hash(Kernel(first.sigma, first.tau, first.value))
    assert first.derivative(1, 0, 1) is first.derivative(1, 0, 1)
    assert self_kernel(relu) == A / 2


def test_derivative_rejects_negative_orders():
    kernel = pair_kernel("relu", "relu")
    with pytest.raises(ParameterError, match="`nA`"):
        kernel.derivative(-1, 0, 0)
    with pytest.raises(ParameterError, match="`n`"):
        kernel.self_derivative(-2)


def test_derivative_mixed_orders_commute():
    kernel = pair_kernel("erf", "relu(z) + z**2")
    mixed = kernel.derivative(1, 0, 1)
    assert sympy.simplify(mixed - sympy.diff(kernel.derivative(0, 0, 1), A)) == 0
    assert sympy.simplify(mixed - sympy.diff(kernel.derivative(1, 0, 0), P)) == 0
