"""Shared numeric helpers of the kernel tests: Monte Carlo and 2-D Gauss–Hermite quadrature."""

from __future__ import annotations

import numpy as np
import sympy
from numpy.polynomial.hermite_e import hermegauss

from fixedpoints.kernels import A, B, P, quadrature_functions, z

N_MC = 2_000_000
_RNG = np.random.default_rng(20240611)
X1, X2 = _RNG.standard_normal((2, N_MC))


def numeric_activation(expr: sympy.Expr):
    """Vectorized callable of an activation in z."""
    f = sympy.lambdify(z, expr, modules=["scipy", "numpy"])
    return lambda x: np.broadcast_to(np.asarray(f(x), dtype=float), np.shape(x))


def monte_carlo(sigma: sympy.Expr, tau: sympy.Expr, a: float, b: float, p: float):
    """Mean and standard error of sigma(u) tau(v), (u, v) ~ N(0, [[a, p], [p, b]])."""
    u = np.sqrt(a) * X1
    v = (p / np.sqrt(a)) * X1 + np.sqrt(max(b - p * p / a, 0.0)) * X2
    f = numeric_activation(sigma)(u) * numeric_activation(tau)(v)
    return float(f.mean()), float(f.std() / np.sqrt(N_MC))


def gauss_hermite(sigma: sympy.Expr, tau: sympy.Expr, a: float, b: float, p: float, n: int = 60):
    """E[sigma(u) tau(v)] by n x n Gauss–Hermite with the Cholesky map."""
    x, w = hermegauss(n)
    w = w / np.sqrt(2 * np.pi)
    x1, x2 = np.meshgrid(x, x, indexing="ij")
    u = np.sqrt(a) * x1
    v = (p / np.sqrt(a)) * x1 + np.sqrt(max(b - p * p / a, 0.0)) * x2
    f = numeric_activation(sigma)(u) * numeric_activation(tau)(v)
    return float(w @ f @ w)


def _bound(sigma, tau, n):
    return lambda a, b, p: gauss_hermite(sigma, tau, a, b, p, n)


def evaluate(expr: sympy.Expr, a: float, b: float, p: float, n: int = 60) -> float:
    """Evaluate a kernel expression, quadrature functions included, at (A, B, P) = (a, b, p)."""
    table = quadrature_functions(expr)
    funcs = {name: _bound(s, t, n) for name, (s, t) in table.items()}
    f = sympy.lambdify((A, B, P), expr, modules=[funcs, "mpmath"])
    return float(f(a, b, p))
