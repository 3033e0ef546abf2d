"""The subspace-norm kernel C_r(A, N) = E[relu(w.x) ||P_H x||] against independent computations:
quadrature in polar coordinates of H, finite differences, the expanded forms and Monte Carlo."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import sympy
from scipy import integrate

from fixedpoints.errors import ParameterError
from fixedpoints.kernels import (
    A,
    N,
    subspace_norm_alpha,
    subspace_norm_derivatives,
    subspace_norm_energy,
    subspace_norm_kernel,
    subspace_norm_latex,
)

RANKS = [1, 2, 3, 4, 5]
# (A, N): N = 0, N = A, generic, near either end
POINTS = [(1.0, 0.0), (1.3, 1.3), (1.7, 0.6), (0.4, 0.35), (2.5, 0.01), (0.8, 0.79999)]
INTERIOR = [(1.7, 0.6), (0.4, 0.35), (2.5, 0.01), (0.9, 0.85)]
MP_FUNCS = [{"elliptic_k": mp.ellipk, "elliptic_e": mp.ellipe}, "mpmath"]


def mp_value(expr: sympy.Expr, a, n, dps: int = 30) -> mp.mpf:
    """expr(A=a, N=n) in mpmath at ``dps`` digits (a, n: exact decimal strings or numbers)."""
    with mp.workdps(dps):
        return sympy.lambdify((A, N), expr, MP_FUNCS)(mp.mpf(a), mp.mpf(n))


def reference(r: int, a: float, n: float) -> float:
    """E[relu(w.x) ||x_H||] by quadrature, w = sqrt(n) e_1 + sqrt(a - n) e_perp.

    The Gaussian along e_perp is integrated out exactly:
    E_y[relu(c + s y)] = c Phi(c/s) + s phi(c/s), c = sqrt(n) x_1, s = sqrt(a - n).  Then
    x_H = R v with R ~ chi_r and x_1 = R cos(phi), phi having density ~ sin(phi)^(r-2) on (0, pi)
    (r = 1: x_1 = +-R).  Nested adaptive quadrature, split at phi = pi/2 (the kink when s = 0).
    """
    s, sn = math.sqrt(a - n), math.sqrt(n)

    def f(c: float) -> float:
        if s == 0.0:
            return max(c, 0.0)
        x = c / s
        return c * 0.5 * math.erfc(-x / math.sqrt(2)) + s * math.exp(-x * x / 2) / math.sqrt(
            2 * math.pi
        )

    log_norm = (r / 2 - 1) * math.log(2) + math.lgamma(r / 2)

    def r_chi(radius: float) -> float:  # R times the chi_r density
        return math.exp(r * math.log(radius) - radius**2 / 2 - log_norm) if radius > 0 else 0.0

    opts = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 200}
    if r == 1:
        g = lambda R: r_chi(R) * (f(sn * R) + f(-sn * R)) / 2  # noqa: E731
        return integrate.quad(g, 0, math.inf, **opts)[0]

    def inner(phi: float) -> float:
        cp = math.cos(phi)
        radial = integrate.quad(lambda R: r_chi(R) * f(sn * R * cp), 0, math.inf, **opts)[0]
        return radial * math.sin(phi) ** (r - 2)

    z = math.sqrt(math.pi) * math.exp(math.lgamma((r - 1) / 2) - math.lgamma(r / 2))
    halves = [(0.0, math.pi / 2), (math.pi / 2, math.pi)]
    return sum(integrate.quad(inner, lo, hi, **opts)[0] for lo, hi in halves) / z


def test_alpha_values():
    assert subspace_norm_alpha(1) == 2
    assert subspace_norm_alpha(2) == sympy.pi
    assert subspace_norm_alpha(3) == 4
    assert subspace_norm_alpha(5) == sympy.Rational(16, 3)
    assert float(subspace_norm_alpha(10)) == pytest.approx(7.731263, abs=1e-6)
    # ||x_H|| = alpha E_u[relu(u.x_H)]: E||x_H|| = alpha E[relu(u_1)] E||x_H||, E|u_1| = 2/alpha
    for r in (2, 7):
        u1 = integrate.quad(lambda t, r=r: abs(t) * (1 - t * t) ** ((r - 3) / 2), -1, 1)[0]
        u1 /= integrate.quad(lambda t, r=r: (1 - t * t) ** ((r - 3) / 2), -1, 1)[0]
        assert u1 == pytest.approx(2 / float(subspace_norm_alpha(r)), rel=1e-9)


@pytest.mark.parametrize("bad", [0, -2, 2.5, 3.0, True, "3", None])
def test_bad_rank_is_rejected(bad):
    for fn in (subspace_norm_alpha, subspace_norm_kernel, subspace_norm_derivatives):
        with pytest.raises(ParameterError, match="`r`") as info:
            fn(bad)
        assert info.value.parameter == "r"


def test_rank_accepts_integral_types():
    assert subspace_norm_kernel(np.int64(3)) == subspace_norm_kernel(3)
    assert subspace_norm_alpha(sympy.Integer(3)) == 4


@pytest.mark.parametrize("r", RANKS)
def test_kernel_against_polar_quadrature(r):
    kernel = subspace_norm_kernel(r)
    assert kernel.has(sympy.hyper)
    for a, n in POINTS:
        value = float(mp_value(kernel, a, n))
        assert value == pytest.approx(reference(r, a, n), rel=1e-10, abs=0), (r, a, n)


def test_rank_one_elementary_formula():
    elementary = (sympy.sqrt(A - N) + sympy.sqrt(N) * sympy.asin(sympy.sqrt(N / A))) / sympy.pi
    assert sympy.simplify(subspace_norm_kernel(1, expand=True) - elementary) == 0
    for a, n in POINTS:
        closed = mp_value(elementary, a, n)
        assert closed == pytest.approx(mp_value(subspace_norm_kernel(1), a, n), rel=1e-25)
        assert float(closed) == pytest.approx(reference(1, a, n), rel=1e-10)


@pytest.mark.parametrize("r", RANKS)
def test_no_overlap_factorizes(r):
    # N = 0: E[relu(w.x)] E||x_H|| = sqrt(A / 2 pi) * sqrt(2) Gamma((r+1)/2) / Gamma(r/2)
    at_zero = sympy.hyperexpand(subspace_norm_kernel(r).subs(N, 0))
    mean_norm = (
        sympy.sqrt(2) * sympy.gamma(sympy.Rational(r + 1, 2)) / sympy.gamma(sympy.Rational(r, 2))
    )
    assert sympy.simplify(at_zero - sympy.sqrt(A / (2 * sympy.pi)) * mean_norm) == 0


@pytest.mark.parametrize("r", RANKS)
def test_derivatives_against_finite_differences(r):
    kernel = subspace_norm_kernel(r)
    d_a, d_n = subspace_norm_derivatives(r)
    for free in (d_a, d_n):
        assert free.free_symbols <= {A, N}
    h = mp.mpf("1e-10")
    with mp.workdps(30):
        for a, n in INTERIOR:
            a, n = mp.mpf(a), mp.mpf(n)
            fd_a = (mp_value(kernel, a + h, n) - mp_value(kernel, a - h, n)) / (2 * h)
            fd_n = (mp_value(kernel, a, n + h) - mp_value(kernel, a, n - h)) / (2 * h)
            assert mp_value(d_a, a, n) == pytest.approx(fd_a, rel=1e-8)
            assert mp_value(d_n, a, n) == pytest.approx(fd_n, rel=1e-8)


@pytest.mark.parametrize("r", [1, 2, 3])
def test_dn_is_finite_at_full_overlap(r):
    _, d_n = subspace_norm_derivatives(r)
    at_end = mp_value(d_n, 1, 1)
    assert mp.isfinite(at_end)
    # one-sided limit: d_n(N -> A) approaches the value at N = A
    assert mp_value(d_n, 1, 1 - mp.mpf("1e-12")) == pytest.approx(at_end, rel=1e-5)


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5, 6])
def test_expanded_equals_hyper(r):
    expanded = subspace_norm_kernel(r, expand=True)
    assert not expanded.has(sympy.hyper)
    kinds = expanded.atoms(sympy.elliptic_k, sympy.elliptic_e)
    assert bool(kinds) == (r % 2 == 0)  # elliptic for even r, elementary for odd r
    hyper_form = subspace_norm_kernel(r)
    for a, n in INTERIOR:
        assert mp_value(expanded, a, n) == pytest.approx(mp_value(hyper_form, a, n), rel=1e-25)


def test_energy_and_latex():
    assert subspace_norm_energy(3) == sympy.Rational(3, 2)
    assert subspace_norm_energy(4) == 2
    text = subspace_norm_latex(5)
    assert text.startswith(r"C_{5}(A,N)=")
    assert r"{}_2F_1" in text and r"\frac{5}{2}" in text and r"\alpha(5)=\frac{16}{3}" in text


def test_monte_carlo_d7_r3():
    rng = np.random.default_rng(7031)
    d, r, n_samples = 7, 3, 1_000_000
    basis, _ = np.linalg.qr(rng.standard_normal((d, r)))  # orthonormal basis of H
    w = rng.standard_normal(d)
    x = rng.standard_normal((n_samples, d))
    samples = np.maximum(x @ w, 0.0) * np.linalg.norm(x @ basis, axis=1)
    mean, stderr = samples.mean(), samples.std() / math.sqrt(n_samples)
    a, n = float(w @ w), float(np.sum((basis.T @ w) ** 2))
    exact = float(mp_value(subspace_norm_kernel(r), a, n))
    assert abs(mean - exact) < 5 * stderr, (mean, exact, stderr)
