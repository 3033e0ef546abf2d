"""Generated kernels of activations with parameters: the parameters are arguments of the code
(compiled once per activation pair, bound per value), and every number equals the one of the
activation with the value written in."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import fixedpoints as fp
from fixedpoints.api.landscapes import LandscapeFamily
from fixedpoints.codegen import compile_pair_kernels, kernelcode
from fixedpoints.codegen.kernelcode import kernel_module

RNG = np.random.default_rng(20)
A = np.array([1.0, 0.8, 1.3])
B = np.array([1.0, 1.1, 0.7])
P = np.array([0.3, -0.5, 0.2])


def _kernels(target, params, **kw):
    model = fp.load_model("multi-index", {"target": target, "k": 2, "loss": "square"})
    return compile_pair_kernels(model, params, **kw)


def _same(k1, k2, tol=1e-12):
    for name in ("ss", "st", "tt"):
        one, two = getattr(k1, name), getattr(k2, name)
        for order in range(4):
            np.testing.assert_allclose(one(order, A, B, P), two(order, A, B, P), atol=tol)
        for x, y in zip(one.jet(A, B, P), two.jet(A, B, P), strict=True):
            np.testing.assert_allclose(x, y, atol=tol)
        if one.has_hess:
            for x, y in zip(one.hess(A, B, P), two.hess(A, B, P), strict=True):
                np.testing.assert_allclose(x, y, atol=tol)
    for name in ("ss_self", "tt_self"):
        for order in range(2):
            np.testing.assert_allclose(
                getattr(k1, name)(order, A), getattr(k2, name)(order, A), atol=tol
            )


def test_generated_module_takes_the_parameters_as_leading_arguments():
    module = kernel_module("He3+c*He4", "He3+c*He4", cache_dir=False)
    assert module["PARAMETERS"] == ("c",)
    # K_st(1, 1, P) = 6 P^3 + 24 c^2 P^4
    (value,) = module["st_d0"](0.5, 1.0, 1.0, P)
    np.testing.assert_allclose(value, 6 * P**3 + 6 * P**4, atol=1e-15)


@pytest.mark.parametrize("value", [0.5, -1.25])
def test_bound_hermite_kernels_equal_the_kernels_with_the_number_written_in(value):
    bound = _kernels("He3+c*He4", {"beta": 0.3, "c": value})
    assert bound.parameters == ("c",)
    _same(bound, _kernels(f"He3+{value}*He4", {"beta": 0.3}))


def test_a_new_value_binds_the_compiled_kernels_without_generating_code(monkeypatch):
    _kernels("He3+c*He4", {"beta": 0.3, "c": 0.1})

    def no_code(*args):
        raise AssertionError("kernel code generated again")

    monkeypatch.setattr(kernelcode, "_generate", no_code)
    _kernels("He3+c*He4", {"beta": 0.3, "c": 0.7})


def test_quadrature_kernels_with_a_coefficient_parameter_match_the_numeric_ones():
    bound = _kernels("tanh(z)+c*z", {"beta": 0.3, "c": 0.3})
    _same(bound, _kernels("tanh(z)+0.3*z", {"beta": 0.3}), tol=1e-10)


def test_mpmath_backend_binds_the_parameters():
    import mpmath

    bound = _kernels("erf(c*z)", {"beta": 0.3, "c": -0.7}, backend="mpmath")
    plain = _kernels("erf(-0.7*z)", {"beta": 0.3}, backend="mpmath")
    args = [np.array([mpmath.mpf(t) for t in v], dtype=object) for v in (A, B, P)]
    for order in range(4):
        got, want = bound.st(order, *args), plain.st(order, *args)
        assert all(abs(g - w) < 1e-14 for g, w in zip(got, want, strict=True))


def test_flow_loss_with_c_symbolic_then_substituted_equals_the_number_written_in():
    model = fp.load_model("multi-index", {"target": "He3+c*He4", "k": 2, "loss": "square"})
    fixed = fp.load_model("multi-index", {"target": "He3+0.5*He4", "k": 2, "loss": "square"})
    flow = fp.derive(model)
    assert [str(p) for p in flow.parameters] == ["beta", "c"]
    x = RNG.uniform(-0.4, 0.4, len(flow.names))
    values = (*x, 0.2, 0.5)
    at = dict(zip((*flow.variables, *flow.parameters), values, strict=True))
    symbolic = float(flow.loss.xreplace(at))
    system, plain = fp.compile_flow(model), fp.compile_flow(fixed)
    assert system.parameters == ("beta", "c")
    assert system.loss(x, {"beta": 0.2, "c": 0.5}) == pytest.approx(symbolic, abs=1e-12)
    assert plain.loss(x, {"beta": 0.2}) == pytest.approx(symbolic, abs=1e-12)
    np.testing.assert_allclose(
        system.vector_field(x, {"beta": 0.2, "c": 0.5}),
        plain.vector_field(x, {"beta": 0.2}),
        atol=1e-12,
    )
    # d L / d c: central differences of the compiled loss against the symbolic derivative
    c = flow.parameters[1]
    h = 1e-5
    fd = (system.loss(x, [0.2, 0.5 + h]) - system.loss(x, [0.2, 0.5 - h])) / (2 * h)
    assert fd == pytest.approx(float(sp.diff(flow.loss, c).xreplace(at)), abs=1e-7)


def test_landscape_family_gives_the_landscape_at_any_beta_and_c():
    model = fp.load_model("multi-index", {"target": "He3+c*He4"})
    family = LandscapeFamily(model, "c", {"beta": 0.3})
    first = family.at(0.5)
    x = first.retract(RNG.standard_normal(first.dimension))
    for beta, c in ((0.3, 0.5), (0.1, -0.2), (0.45, 1.5)):
        space = family.at(c, {"beta": beta})
        ref = fp.landscape(fp.load_model("multi-index", {"target": f"He3+{c}*He4", "beta": beta}))
        assert space.loss(x) == pytest.approx(ref.loss(x), abs=1e-12)
        np.testing.assert_allclose(space.gradient(x), ref.gradient(x), atol=1e-12)
        np.testing.assert_allclose(space.hessian(x), ref.hessian(x), atol=1e-10)
    assert family.at(0.5).loss(x) == pytest.approx(first.loss(x), abs=1e-15)  # params kept
