"""Named points and closed-form thresholds, checked against papers/simsek_2025_multi_index.md §3."""

from __future__ import annotations

import pytest
import sympy as sp

from fixedpoints.errors import DerivationError, ParameterError
from fixedpoints.models import load_model
from fixedpoints.symbolic import derive
from fixedpoints.symbolic.named_points import named_point, named_points
from fixedpoints.symbolic.sizes import size_factory, symbolic_threshold_in_size
from fixedpoints.symbolic.threshold import SymbolicThreshold, symbolic_threshold

BETA = sp.Symbol("beta", real=True)


def _flow(k, target, **extra):
    return derive(load_model("multi-index", {"k": k, "n": 1, "target": target, **extra}))


def _factory(target, **extra):
    return lambda k: load_model("multi-index", {"k": k, "n": 1, "target": target, **extra})


def _k(expr):
    (k,) = [s for s in expr.free_symbols if s.name == "k"]
    return k


@pytest.mark.parametrize(
    "p,k,expected",
    [
        (3, 2, sp.Rational(1, 3)),
        (3, 3, sp.Rational(1, 4)),
        (3, 10, sp.Rational(1, 11)),
        (4, 3, sp.Rational(2, 5)),
        (4, 5, sp.Rational(2, 7)),
        (5, 5, sp.Rational(3, 8)),
    ],
)
def test_threshold_table(p, k, expected):
    res = symbolic_threshold(_flow(k, f"He{p}"), "beta")
    assert isinstance(res, SymbolicThreshold)
    assert res.expression == expected and res.reason == ""
    assert res.point == "averaged" and res.parameter == "beta" and res.size is None
    assert res.multiplicities["standard"] == k - 1
    assert sp.simplify(res.eigenvalues["standard"].subs(BETA, expected)) == 0


@pytest.mark.parametrize("p", [3, 4, 5])
def test_threshold_symbolic_in_k(p):
    res = symbolic_threshold_in_size(_factory(f"He{p}"), "beta", sizes=(3, 4, 5))
    k = _k(res.expression)
    assert sp.simplify(res.expression - (p - 2) / (k + p - 2)) == 0
    assert res.size == "k"
    assert sp.expand(res.multiplicities["standard"] - (k - 1)) == 0
    mu2 = (1 + (k - 1) * BETA) / k
    assert sp.simplify(res.coordinates["M_ir"] ** 2 - mu2) == 0
    # the closed form agrees with the concrete-size computation beyond the fitted sizes
    assert res.expression.subs(k, 10) == symbolic_threshold(_flow(10, f"He{p}"), "beta").expression


def test_size_factory_rebuilds_the_model_from_its_preset():
    model = load_model("multi-index", {"k": 3, "n": 1, "target": "He4"})
    res = symbolic_threshold_in_size(size_factory(model, "k"), "beta")
    k = _k(res.expression)
    assert sp.simplify(res.expression - 2 / (k + 2)) == 0


def test_non_affine_size_dependence_is_caught():
    bad = lambda k: load_model("multi-index", {"k": k, "n": 1, "target": f"He{k}"})  # noqa: E731
    with pytest.raises(DerivationError, match="not a polynomial of degree 1"):
        symbolic_threshold_in_size(bad, "beta", sizes=(3, 4, 5))


def test_averaged_point_coordinates():
    flow = _flow(3, "He3")
    assert named_points(flow) == ("averaged",)
    pt = named_point(flow, "averaged")
    assert set(pt) == {"M_11", "M_12", "M_13"}
    for v in pt.values():
        assert sp.simplify(v**2 - (1 + 2 * BETA) / 3) == 0
        assert v.subs(BETA, sp.Rational(1, 5)) > 0


@pytest.mark.parametrize(
    "beta,hess_split,hess_perp",
    [
        (sp.Rational(0), -2.666667, 1.333333),
        (sp.Rational(1, 5), -1.866667, 2.613333),
        (sp.Rational(2, 5), 0.0, 4.32),
        (sp.Rational(3, 5), 2.933333, 6.453333),
    ],
)
def test_spectrum_k3_he4(beta, hess_split, hess_perp):
    """The note's tangent-Hessian eigenvalues use phi = t^4; our He4 flow has phi = 24 t^4, so
    Jacobian eigenvalues are 24 times larger: standard = -24 lambda_split, trivial (radial overlap
    direction, |P_perp w|^2 decays at twice the rate) = -2 * 24 lambda_perp."""
    res = symbolic_threshold(_flow(3, "He4"), "beta")
    std = res.eigenvalues["standard"].subs(BETA, beta)
    triv = res.eigenvalues["trivial"].subs(BETA, beta)
    assert float(std) == pytest.approx(-24 * hess_split, abs=2e-5 * 24)
    assert float(triv) == pytest.approx(-2 * 24 * hess_perp, abs=2e-5 * 48)
    # exact form: (1 - beta) phi''(mu) - k mu phi'(mu), trivial -2 k mu phi'(mu)
    mu = sp.sqrt((1 + 2 * beta) / 3)
    t = sp.Symbol("t")
    phi = 24 * t**4
    d1, d2 = sp.diff(phi, t).subs(t, mu), sp.diff(phi, t, 2).subs(t, mu)
    assert sp.simplify(std - ((1 - beta) * d2 - 3 * mu * d1)) == 0
    assert sp.simplify(triv + 2 * 3 * mu * d1) == 0
    if beta == sp.Rational(1, 5):
        assert std == sp.Rational(224, 5)  # = 24 * 1.866667


def test_mixture_threshold_k4():
    k = 4
    res = symbolic_threshold(_flow(k, "He3+0.5*He4"), "beta")
    lam = res.eigenvalues["standard"]
    root = sp.nsolve(lam, BETA, sp.Rational(1, 2), prec=40)
    assert 0 < root < 1
    # independent: (k-1) mu phi'(mu) = (1 - mu^2) phi''(mu), mu^2 = (1+(k-1)beta)/k
    t, b = sp.symbols("t b")
    phi = 6 * t**3 + 6 * t**4
    mu = sp.sqrt((1 + (k - 1) * b) / k)
    eq = ((k - 1) * t * sp.diff(phi, t) - (1 - t**2) * sp.diff(phi, t, 2)).subs(t, mu)
    ref = sp.nsolve(eq, b, sp.Rational(1, 2), prec=40)
    assert abs(root - ref) < 1e-12
    assert abs(eq.subs(b, root)) < 1e-12
    if res.expression is None:
        assert "degree" in res.reason
    else:  # pragma: no cover - a simple closed form would have to agree
        assert abs(res.expression.evalf(30) - ref) < 1e-12


def test_multi_student_and_square_loss():
    flow = derive(load_model("multi-index", {"k": 3, "target": "He3"}))  # n = k
    res = symbolic_threshold(flow, "beta")
    assert res.expression == sp.Rational(1, 4)
    assert res.coordinates["Q_12"] == 1
    flow = _flow(3, "He4", loss="square")
    assert symbolic_threshold(flow, "beta").expression == sp.Rational(2, 5)


def test_unknown_point():
    with pytest.raises(ParameterError, match=r"`point`.*'averaged'.*'saddle'"):
        symbolic_threshold(_flow(3, "He3"), "beta", point="saddle")
    with pytest.raises(ParameterError, match="`point`"):
        named_point(_flow(3, "He3"), "saddle")


def test_parameter_not_free():
    with pytest.raises(ParameterError, match="'gamma'"):
        symbolic_threshold(_flow(3, "He3"), "gamma")
    with pytest.raises(ParameterError, match="'beta'"):
        symbolic_threshold(_flow(3, "He3", beta=0.2), "beta")
