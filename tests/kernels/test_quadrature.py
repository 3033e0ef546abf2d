import itertools
import pickle

import numpy as np
import pytest
import sympy

from fixedpoints.kernels import (
    A,
    B,
    P,
    QuadratureKernel,
    pair_kernel,
    parse_activation,
    quadrature_functions,
    quadrature_kernel,
    relu,
    z,
)

from .helpers import evaluate, gauss_hermite, monte_carlo

ERF = parse_activation("erf")
TANH = sympy.tanh(z)
RHOS = (-0.95, -0.7, 0.3, 0.95)


def _box(values):
    for a, b in itertools.product(values, values):
        for rho in RHOS:
            yield a, b, rho * np.sqrt(a * b)


def _closed(expr):
    return sympy.lambdify((A, B, P), expr, modules="mpmath")


def _max_error_erf(values, n):
    closed = _closed(pair_kernel(ERF, ERF).value)
    return max(abs(gauss_hermite(ERF, ERF, *pt, n) - float(closed(*pt))) for pt in _box(values))


def test_quadrature_kernel_erf_matches_closed_form_at_unit_scale():
    assert _max_error_erf((0.2, 0.5, 1.0), 60) < 1e-10


def test_quadrature_kernel_erf_accuracy_over_full_box():
    # 60 x 60 nodes lose accuracy at A = B = 4 (erf saturates); 100 x 100 recover it.
    assert _max_error_erf((0.2, 1.0, 4.0), 60) < 1e-8
    assert _max_error_erf((0.2, 1.0, 4.0), 100) < 1e-12


def test_quadrature_kernel_tanh_converges_in_node_count():
    unit = max(
        abs(gauss_hermite(TANH, TANH, *pt, 60) - gauss_hermite(TANH, TANH, *pt, 250))
        for pt in _box((0.2, 0.5, 1.0))
    )
    assert unit < 5e-9
    full = max(
        abs(gauss_hermite(TANH, TANH, *pt, 60) - gauss_hermite(TANH, TANH, *pt, 250))
        for pt in _box((0.2, 4.0))
    )
    assert full < 1e-4


def test_quadrature_kernel_tanh_matches_monte_carlo():
    for a, b, p in [(1.0, 1.0, 0.4), (0.6, 2.0, -0.7)]:
        mean, se = monte_carlo(TANH, TANH, a, b, p)
        assert abs(evaluate(quadrature_kernel(TANH, TANH), a, b, p) - mean) < 4 * se


@pytest.mark.parametrize(
    "orders", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (0, 2, 0), (1, 1, 0)]
)
def test_quadrature_kernel_price_derivatives_match_closed_erf(orders):
    spec = [s for s, n in zip((A, B, P), orders, strict=True) for _ in range(n)]
    derived = sympy.diff(quadrature_kernel(ERF, ERF), *spec)
    closed = _closed(pair_kernel(ERF, ERF).derivative(*orders))
    for a, b, p in [(1.0, 1.0, 0.4), (0.5, 1.5, -0.6), (2.0, 0.7, 0.9)]:
        assert abs(evaluate(derived, a, b, p, n=100) - float(closed(a, b, p))) < 1e-11


def test_quadrature_kernel_price_derivatives_match_finite_differences():
    kernel = pair_kernel(TANH, TANH)
    point, h = np.array([0.5, 0.4, 0.2]), 1e-4
    for index, orders in enumerate([(1, 0, 0), (0, 1, 0), (0, 0, 1)]):
        step = np.eye(3)[index] * h
        hi, lo = (
            evaluate(kernel.value, *(point + step), n=150),
            evaluate(kernel.value, *(point - step), n=150),
        )
        exact = evaluate(kernel.derivative(*orders), *point, n=150)
        assert abs(exact - (hi - lo) / (2 * h)) < 1e-8


def test_quadrature_functions_lists_integrands_without_price_factor():
    kernel = pair_kernel(TANH, TANH)
    derivative = kernel.derivative(1, 0, 1)
    ((name, (s, t)),) = quadrature_functions(derivative).items()
    assert name.startswith("gk_") and name.endswith("_3_1") and name.isidentifier()
    assert sympy.simplify(s - sympy.diff(TANH, z, 3)) == 0
    assert sympy.simplify(t - sympy.diff(TANH, z, 1)) == 0
    (applied,) = derivative.atoms(QuadratureKernel)
    assert sympy.simplify(derivative - applied / 2) == 0


def test_pair_kernel_mixes_closed_and_quadrature_parts():
    sigma, tau = relu(z), TANH + z
    kernel = pair_kernel(sigma, tau)
    assert len(quadrature_functions(kernel.value)) == 1
    assert sympy.simplify(kernel.value - kernel.value.atoms(QuadratureKernel).pop() - P / 2) == 0
    mean, se = monte_carlo(sigma, tau, 1.2, 0.9, -0.4)
    assert abs(evaluate(kernel.value, 1.2, 0.9, -0.4, n=100) - mean) < 4 * se
    self_value = kernel.self_value()
    assert self_value.free_symbols == {A}


def test_quadrature_kernel_names_are_deterministic_and_picklable():
    first = quadrature_kernel(TANH, ERF)
    assert first == quadrature_kernel(TANH, ERF)
    assert first != quadrature_kernel(ERF, TANH)
    assert type(first).__name__ == type(quadrature_kernel(TANH, ERF)).__name__
    derivative = sympy.diff(first, A, P)
    assert pickle.loads(pickle.dumps(derivative)) == derivative
