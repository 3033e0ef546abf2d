"""Kernels of activations with parameters: closed forms with the parameter symbolic (Hermite
coefficients, erf/relu scales), bilinear quadrature parts, and a clear refusal of a parameter
inside a quadrature integrand."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from fixedpoints.errors import ParameterError
from fixedpoints.kernels import (
    A,
    B,
    P,
    activation_parameters,
    pair_kernel,
    parameter_symbol,
    parse_activation,
    quadrature_functions,
)

c, b = parameter_symbol("c"), parameter_symbol("b")


def test_parse_activation_makes_other_names_real_parameters():
    expr = parse_activation("He3+c*He4+leaky_relu(b)")
    assert activation_parameters(expr) == (b, c)
    assert all(s.is_real for s in expr.free_symbols)


def test_hermite_kernel_with_symbolic_coefficients_is_the_mehler_sum():
    # sigma = sum_p a_p He_p, tau = sum_p b_p He_p: K(1, 1, P) = sum_p p! a_p b_p P^p
    a = {2: b, 3: sympy.Integer(1), 4: c}
    t = {3: sympy.Integer(1), 4: c, 5: b}
    K = pair_kernel("b*He2+He3+c*He4", "He3+c*He4+b*He5")
    want = sum(sympy.factorial(p) * a[p] * t[p] * P**p for p in set(a) & set(t))
    assert sympy.expand(K.value.subs({A: 1, B: 1}) - want) == 0


def test_symbolic_coefficient_kernel_substituted_equals_the_numeric_kernel():
    sym, num = pair_kernel("He3+c*He4", "relu"), pair_kernel("He3+3/7*He4", "relu")
    at = {A: sympy.Rational(6, 5), B: sympy.Rational(4, 5), P: sympy.Rational(1, 3)}
    for order in ((0, 0, 0), (1, 0, 0), (0, 0, 1), (0, 1, 1)):
        diff = sym.derivative(*order).subs(c, sympy.Rational(3, 7)) - num.derivative(*order)
        assert abs(float(diff.subs(at))) < 1e-14


def _gauss_pair(f, g, a, bb, p, n=80):
    """E[f(u) g(v)], (u, v) ~ N(0, [[a, p], [p, bb]]), by Gauss-Hermite (probabilists')."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / w.sum()
    x1, x2 = np.meshgrid(x, x, indexing="ij")
    u = np.sqrt(a) * x1
    v = p / np.sqrt(a) * x1 + np.sqrt(bb - p**2 / a) * x2
    return float(np.einsum("i,j,ij->", w, w, f(u) * g(v)))


@pytest.mark.parametrize("value", [0.7, -0.4])
def test_erf_with_a_parameter_scale_matches_quadrature_for_either_sign(value):
    from scipy.special import erf

    K = pair_kernel("erf(c*z)", "erf(c*z)+z")

    def f(u):
        return erf(value * u)

    def g(v):
        return erf(value * v) + v

    a, bb, p = 1.3, 0.8, 0.5
    got = float(K.value.subs({c: value, A: a, B: bb, P: p}))
    assert got == pytest.approx(_gauss_pair(f, g, a, bb, p), abs=1e-12)
    own = float(K.self_value().subs({c: value, A: a}))  # u = v: P = A = B
    assert own == pytest.approx(_gauss_pair(f, g, a, a, a), abs=1e-12)


def test_relu_with_a_parameter_scale_equals_the_sign_normalised_kernel():
    sym = pair_kernel("relu(c*z)", "erf")
    at = {A: 1.1, B: 0.9, P: -0.3}
    for value in (-0.6, 0.6):
        num = pair_kernel(f"relu({value}*z)", "erf")
        for order in ((0, 0, 0), (1, 0, 0), (0, 0, 1)):
            got = float(sym.derivative(*order).subs({c: value, **at}))
            assert got == pytest.approx(float(num.derivative(*order).subs(at)), abs=1e-14)


def test_quadrature_part_is_bilinear_in_the_parameters():
    K = pair_kernel("tanh(z)+c*z", "tanh(z)")
    functions = quadrature_functions(K.value)
    assert all(
        not (s.free_symbols | t.free_symbols) - {sympy.Symbol("z", real=True)}
        for s, t in functions.values()
    )
    assert sympy.diff(K.value, c, 2) == 0 and sympy.diff(K.value, c) != 0


@pytest.mark.parametrize("text", ["tanh(c*z)", "sigmoid(z)+erf(c*z)"])
def test_parameter_inside_a_quadrature_integrand_is_refused_naming_it(text):
    with pytest.raises(ParameterError) as info:
        pair_kernel(text, "tanh(z)")
    message = str(info.value)
    assert "parameter(s) c" in message and "coefficients" in message and "\n" not in message
