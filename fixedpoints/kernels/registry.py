r"""Pair kernels of two activations, assembled from atom kernels, with cached derivatives.

:math:`K_{\sigma\tau}(A,B,P)=\mathbb E[\sigma(u)\tau(v)]`,
:math:`(u,v)\sim\mathcal N(0,[[A,P],[P,B]])`.
With :math:`\sigma=\sum_ic_i a_i`, :math:`\tau=\sum_jd_j b_j`
(:func:`~fixedpoints.kernels.closed_forms.decompose`),
:math:`K_{\sigma\tau}=\sum_{ij}c_id_jK_{a_ib_j}`.
Pairs of closed atoms use the closed forms; the numeric parts :math:`\sigma_N, \tau_N` (sums of
numeric atoms) give at most two quadrature kernels,
:math:`\mathbb E[\sigma_N(u)\tau(v)]+\mathbb E[\sigma_C(u)\tau_N(v)]`,
:math:`\sigma_C=\sigma-\sigma_N`.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import sympy

from fixedpoints.errors import ParameterError
from fixedpoints.kernels.activation import A, B, P, parse_activation, z
from fixedpoints.kernels.closed_forms import Atom, decompose, scaled_derivative
from fixedpoints.kernels.quadrature import quadrature_kernel

__all__ = ["Kernel", "pair_kernel", "self_kernel"]

_Terms = tuple[tuple[sympy.Expr, Atom, Atom], ...]


@cache
def _split(sigma: sympy.Expr, tau: sympy.Expr) -> tuple[_Terms, sympy.Expr]:
    r"""Closed atom pairs (coefficient, a, b) and the quadrature part of K_{sigma tau}.

    With parameters in the activations the quadrature part is bilinear in them
    (:func:`_by_parameter`): :math:`\sum_{gh}g\,h\,\mathbb E[\sigma_g(u)\tau_h(v)]` with
    parameter-free integrands."""
    left, right = decompose(sigma), decompose(tau)
    closed = tuple(
        (c * d, a, b)
        for c, a in left
        for d, b in right
        if a.kind != "numeric" and b.kind != "numeric"
    )
    quad = sympy.S.Zero
    if not (sigma.free_symbols | tau.free_symbols) - {z}:
        sigma_n = sympy.Add(*[c * a.expr for c, a in left if a.kind == "numeric"])
        tau_n = sympy.Add(*[d * b.expr for d, b in right if b.kind == "numeric"])
        if sigma_n != 0:
            quad += quadrature_kernel(sigma_n, tau)
        sigma_c = sympy.expand(sigma - sigma_n)
        if tau_n != 0 and sigma_c != 0:
            quad += quadrature_kernel(sigma_c, tau_n)
        return closed, quad
    pairs = (
        ([t for t in left if t[1].kind == "numeric"], right),
        ([t for t in left if t[1].kind != "numeric"], [t for t in right if t[1].kind == "numeric"]),
    )
    for one, other in pairs:
        if not one or not other:
            continue
        for g, s in _by_parameter(one).items():
            for h, t in _by_parameter(other).items():
                quad += g * h * quadrature_kernel(s, t)
    return closed, quad


def _by_parameter(terms) -> dict:
    """``{parameter part: activation in z}``: the sum of ``coefficient * atom`` grouped by the
    parameter factor of each coefficient term (``c*tanh(z) + 2*c*z + z`` -> ``{c: tanh(z) + 2z,
    1: z}``); an atom that contains a parameter itself (``tanh(c*z)``) has no such split."""
    groups: dict = {}
    for coeff, atom in terms:
        inside = atom.expr.free_symbols - {z}
        if inside:
            raise ParameterError(
                f"the activation term {atom.expr} takes the parameter(s) "
                f"{', '.join(sorted(map(str, inside)))} inside and needs a quadrature kernel (no "
                "closed form, alone or with the other activation's terms), which cannot carry "
                "parameters; allowed: parameters as coefficients (c*tanh(z)), or as scales of "
                "erf, relu or step when every other term has a closed form (erf(c*z)+He3)."
            )
        for term in sympy.Add.make_args(sympy.expand(coeff)):
            number, part = term.as_independent(*term.free_symbols, as_Add=False)
            groups[part] = groups.get(part, sympy.S.Zero) + number * atom.expr
    return {part: e for part, e in groups.items() if e != 0}


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """Expand polynomials; simplify small closed forms (once per kernel and order, cached), keeping
    the simpler of the two by operation count."""
    if expr.is_polynomial(A, B, P):
        return sympy.expand(expr)
    if sympy.count_ops(expr) <= 120:
        simpler = sympy.simplify(expr)
        if sympy.count_ops(simpler) < sympy.count_ops(expr):
            return simpler
    return expr


@cache
def _derivative(sigma: sympy.Expr, tau: sympy.Expr, nA: int, nB: int, nP: int) -> sympy.Expr:  # noqa: N803
    closed, quad = _split(sigma, tau)
    total = sympy.Add(*[c * scaled_derivative(a, b, nA, nB, nP) for c, a, b in closed])
    spec = [(s, n) for s, n in ((A, nA), (B, nB), (P, nP)) if n]
    quad_part = sympy.diff(quad, *spec) if spec else quad
    return _tidy(total) + quad_part


@cache
def _self_derivative(sigma: sympy.Expr, tau: sympy.Expr, n: int) -> sympy.Expr:
    if n == 0:
        closed, quad = _split(sigma, tau)
        diagonal = {B: A, P: A}
        total = sympy.Add(
            *[c * scaled_derivative(a, b, 0, 0, 0).subs(diagonal) for c, a, b in closed]
        )
        return sympy.simplify(total) + quad.subs(diagonal)
    return _tidy(sympy.diff(_self_derivative(sigma, tau, 0), A, n))


@dataclasses.dataclass(frozen=True)
class Kernel:
    r"""Gaussian pair kernel :math:`K_{\sigma\tau}(A,B,P)=\mathbb E[\sigma(u)\tau(v)]`.

    Attributes
    ----------
    sigma : sympy.Expr
        Activation on the ``A`` side (student), in ``z``.
    tau : sympy.Expr
        Activation on the ``B`` side, in ``z``.
    value : sympy.Expr
        :math:`K(A,B,P)`; may contain quadrature functions
        (see :mod:`~fixedpoints.kernels.quadrature`).
    """

    sigma: sympy.Expr
    tau: sympy.Expr
    value: sympy.Expr

    def derivative(self, nA: int, nB: int, nP: int) -> sympy.Expr:  # noqa: N803
        r""":math:`\partial_A^{n_A}\partial_B^{n_B}\partial_P^{n_P}K` (cached per kernel and order).

        ReLU parts use hand-simplified first derivatives that are finite at collinear pairs
        :math:`P^2=AB`: :math:`\partial_PK=(\pi-\arccos\rho)/(2\pi)`,
        :math:`\partial_AK=\sqrt{AB-P^2}/(4\pi A)`.
        """
        for label, n in (("nA", nA), ("nB", nB), ("nP", nP)):
            if not isinstance(n, int) or n < 0:
                raise ParameterError(f"`{label}` must be an integer >= 0; got {n!r}.")
        return _derivative(self.sigma, self.tau, nA, nB, nP)

    def self_value(self) -> sympy.Expr:
        r"""Self kernel :math:`K_{\mathrm{self}}(A)=\mathbb E[\sigma(u)\tau(u)]`, u ~ N(0, A).

        Meant for ``sigma == tau`` (:math:`\mathbb E[\sigma(u)^2]`, ReLU: A/2); obtained from the
        regular closed forms at :math:`B=P=A`, never by differentiating through :math:`P^2=AB`.
        """
        return _self_derivative(self.sigma, self.tau, 0)

    def self_derivative(self, n: int) -> sympy.Expr:
        r""":math:`\frac{d^n}{dA^n}K_{\mathrm{self}}(A)` (cached)."""
        if not isinstance(n, int) or n < 0:
            raise ParameterError(f"`n` must be an integer >= 0; got {n!r}.")
        return _self_derivative(self.sigma, self.tau, n)


def _as_activation(expr, name: str) -> sympy.Expr:
    if isinstance(expr, str):
        return parse_activation(expr, name=name)
    if not isinstance(expr, sympy.Basic):
        try:
            return sympy.sympify(expr, strict=True)
        except sympy.SympifyError:
            raise ParameterError(
                f"`{name}` must be a sympy expression in z; got {expr!r}."
            ) from None
    return expr


@cache
def _pair_kernel(sigma: sympy.Expr, tau: sympy.Expr) -> Kernel:
    return Kernel(sigma, tau, _derivative(sigma, tau, 0, 0, 0))


def pair_kernel(sigma: sympy.Expr, tau: sympy.Expr) -> Kernel:
    r"""Kernel :math:`K_{\sigma\tau}(A,B,P)=\mathbb E[\sigma(u)\tau(v)]`, derived once per pair.

    Parameters
    ----------
    sigma, tau : sympy.Expr or str
        Activations in ``z`` (strings go through :func:`parse_activation`).

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from fixedpoints.kernels.activation import relu, z
    >>> pair_kernel(relu(z), relu(z)).self_value()
    A/2
    >>> pair_kernel("He3+0.5*He4", "He3+0.5*He4").value.subs({A: 1, B: 1})
    6*P**4 + 6*P**3
    """
    return _pair_kernel(_as_activation(sigma, "sigma"), _as_activation(tau, "tau"))


def self_kernel(sigma: sympy.Expr) -> sympy.Expr:
    r"""Self kernel :math:`\mathbb E[\sigma(u)^2]`, u ~ N(0, A), as an expression in A."""
    s = _as_activation(sigma, "sigma")
    return pair_kernel(s, s).self_value()
