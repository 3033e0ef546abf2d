r"""Closed-form Gaussian kernels of activation *atoms*.

An activation is decomposed linearly (:func:`decompose`) into atoms with ``z``-free coefficients:
monomials :math:`z^n`, :math:`\mathrm{relu}(z)`, :math:`\mathbf 1\{z>0\}`,
:math:`\operatorname{erf}(s z)` and *numeric* atoms (anything else, integrated by quadrature).
Signs and scales are normalized: :math:`\mathrm{relu}(cz)=|c|\,\mathrm{relu}(z)` for c > 0 and
:math:`|c|(\mathrm{relu}(z)-z)` for c < 0, :math:`\mathbf 1\{-z>0\}=1-\mathbf 1\{z>0\}`,
:math:`\operatorname{erf}(cz)=\operatorname{sign}(c)\operatorname{erf}(|c|z)`.  The kernel of
atoms ``a(c z)``, ``b(d z)`` follows from the base kernel by the scaling rule
:math:`K(c^2A, d^2B, cdP)`, which holds for scales of any sign (:math:`(cu, dv)` is a Gaussian
pair): a scale that is a parameter of unknown sign (``erf(c*z)``) is kept as it is.

Base kernels (:math:`\rho=P/\sqrt{AB}`; erf atoms in the Saad–Solla form
:math:`\operatorname{erf}(z/\sqrt2)`):

* relu × relu: :math:`\frac1{2\pi}\big(\sqrt{AB-P^2}+(\pi-\arccos\rho)P\big)` (Cho & Saul, 2009);
* step × step: :math:`\frac12-\frac{\arccos\rho}{2\pi}`;
* erf × erf: :math:`\frac2\pi\arcsin\frac{P}{\sqrt{(1+A)(1+B)}}` (Saad & Solla, 1995);
* relu × step: :math:`\frac{\sqrt A(1+\rho)}{2\sqrt{2\pi}}`;
* relu × erf: :math:`\frac{P}{\sqrt{2\pi(1+B)}}`;
* step × erf: :math:`\frac1\pi\arcsin\frac{P}{\sqrt{A(1+B)}}`;
* :math:`z^a\times z^b` (Isserlis/Wick): :math:`\sum_j\binom aj\binom bj j!\,P^j(a-j-1)!!A^{(a-j)/2}
  (b-j-1)!!B^{(b-j)/2}` over j with a − j, b − j even;
* X × :math:`z^b`: with :math:`v=(P/A)u+\sqrt{B-P^2/A}\,\xi`,
  :math:`\sum_j\binom bj(P/A)^j(B-P^2/A)^{(b-j)/2}(b-j-1)!!\,\mathbb E[X(u)u^j]`.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import sympy

from fixedpoints.errors import DerivationError
from fixedpoints.kernels.activation import A, B, P, relu, step, z

__all__ = ["Atom", "decompose", "base_kernel", "base_derivative", "scaled_derivative"]

_PI = sympy.pi
_RANK = {"relu": 0, "step": 1, "erf": 2, "mono": 3}


@dataclasses.dataclass(frozen=True)
class Atom:
    """One activation atom: ``kind`` in {'mono', 'relu', 'step', 'erf', 'numeric'}.

    ``degree`` is n for ``z**n``; ``scale`` is c in ``base(c z)`` (erf base: erf(z/sqrt 2));
    ``expr`` is the atom as an expression in ``z``.
    """

    kind: str
    expr: sympy.Expr
    degree: int = 0
    scale: sympy.Expr = sympy.S.One


def _mono(n: int) -> Atom:
    return Atom("mono", z**n, degree=n)


_RELU = Atom("relu", relu(z))
_STEP = Atom("step", step(z))


def _sign(c: sympy.Expr, term: sympy.Expr) -> int:
    if c.is_positive:
        return 1
    if c.is_negative:
        return -1
    raise DerivationError(f"cannot decide the sign of the scale {c} in the activation term {term}.")


def _atoms_of_term(term: sympy.Expr) -> list[tuple[sympy.Expr, Atom]]:
    coeff, dep = term.as_independent(z, as_Add=False)
    if dep == 1:
        return [(coeff, _mono(0))]
    if dep == z:
        return [(coeff, _mono(1))]
    if dep.is_Pow and dep.base == z and dep.exp.is_Integer and dep.exp >= 0:
        return [(coeff, _mono(int(dep.exp)))]
    if isinstance(dep, relu | step | sympy.erf):
        c, rest = dep.args[0].as_independent(z, as_Add=False)
        if rest == z and c != 0 and c.free_symbols and c.is_positive is c.is_negative is None:
            # a parameter of unknown sign: the scaling rule holds for any real scale
            kind = {relu: "relu", step: "step"}.get(type(dep), "erf")
            scale = sympy.sqrt(2) * c if kind == "erf" else c
            return [(coeff, Atom(kind, dep, scale=scale))]
        if rest == z and c != 0:
            sgn = _sign(c, term)
            if isinstance(dep, relu):
                if sgn > 0:
                    return [(coeff * c, _RELU)]
                return [(-coeff * c, _RELU), (coeff * c, _mono(1))]
            if isinstance(dep, step):
                return [(coeff, _STEP)] if sgn > 0 else [(coeff, _mono(0)), (-coeff, _STEP)]
            base = Atom("erf", sympy.erf(abs(c) * z), scale=sympy.sqrt(2) * abs(c))
            return [(sgn * coeff, base)]
    return [(coeff, Atom("numeric", dep))]


def decompose(expr: sympy.Expr) -> tuple[tuple[sympy.Expr, Atom], ...]:
    r"""Split an activation into atoms: :math:`\sigma(z)=\sum_i c_i\,\mathrm{atom}_i(z)`.

    Parameters
    ----------
    expr : sympy.Expr
        Activation in ``z``.

    Returns
    -------
    tuple of (coefficient, Atom)
        Coefficients are ``z``-free; equal atoms are merged and zero coefficients dropped.
    """
    collected: dict[Atom, sympy.Expr] = {}
    for term in sympy.Add.make_args(sympy.expand(sympy.sympify(expr))):
        for coeff, atom in _atoms_of_term(term):
            collected[atom] = collected.get(atom, 0) + coeff
    out = [(sympy.nsimplify(c) if c.is_Float else c, atom) for atom, c in collected.items()]
    return tuple((c, atom) for c, atom in out if c != 0)


def _dfact(n: int) -> sympy.Integer:
    """Double factorial with (-1)!! = 1."""
    return sympy.S.One if n <= 0 else sympy.factorial2(n)


def _wick(a: int, b: int) -> sympy.Expr:
    total = sympy.S.Zero
    for j in range(min(a, b) + 1):
        if (a - j) % 2 or (b - j) % 2:
            continue
        total += (
            sympy.binomial(a, j)
            * sympy.binomial(b, j)
            * sympy.factorial(j)
            * P**j
            * _dfact(a - j - 1)
            * A ** ((a - j) // 2)
            * _dfact(b - j - 1)
            * B ** ((b - j) // 2)
        )
    return sympy.expand(total)


def _half_moment(n: int) -> sympy.Expr:
    """m_n = E[Z^n 1{Z>0}] for Z ~ N(0, 1)."""
    return 2 ** sympy.Rational(n, 2) * sympy.gamma(sympy.Rational(n + 1, 2)) / (2 * sympy.sqrt(_PI))


@cache
def _moment(kind: str, j: int) -> sympy.Expr:
    """E[X(u) u^j] for u ~ N(0, A) and X a base atom (erf base: erf(u/sqrt 2))."""
    if kind == "relu":
        return A ** sympy.Rational(j + 1, 2) * _half_moment(j + 1)
    if kind == "step":
        return A ** sympy.Rational(j, 2) * _half_moment(j)
    if kind == "erf":
        if j % 2 == 0:
            return sympy.S.Zero
        # Stein: E[u g(u)] = A E[g'(u)] with g = u^{j-1} erf(u/sqrt2);
        # d/du erf(u/sqrt2) = sqrt(2/pi) e^{-u^2/2}
        gauss = _dfact(j - 2) * (A / (1 + A)) ** sympy.Rational(j - 1, 2) / sympy.sqrt(1 + A)
        prev = (j - 1) * _moment(kind, j - 2) if j >= 3 else 0
        return sympy.expand(A * (prev + sympy.sqrt(2 / _PI) * gauss))
    raise DerivationError(f"no one-variable moment for atom kind {kind!r}.")


def _x_mono(kind: str, b: int) -> sympy.Expr:
    total = sympy.S.Zero
    for j in range(b + 1):
        if (b - j) % 2:
            continue
        total += (
            sympy.binomial(b, j)
            * (P / A) ** j
            * (B - P**2 / A) ** ((b - j) // 2)
            * _dfact(b - j - 1)
            * _moment(kind, j)
        )
    return sympy.simplify(sympy.expand(total))


def _rho():
    return P / (sympy.sqrt(A) * sympy.sqrt(B))


_TABLE = {
    ("relu", "relu"): lambda: (
        (sympy.sqrt(A * B - P**2) + (_PI - sympy.acos(_rho())) * P) / (2 * _PI)
    ),
    ("relu", "step"): lambda: sympy.sqrt(A) * (1 + _rho()) / (2 * sympy.sqrt(2 * _PI)),
    ("relu", "erf"): lambda: P / sympy.sqrt(2 * _PI * (1 + B)),
    ("step", "step"): lambda: sympy.Rational(1, 2) - sympy.acos(_rho()) / (2 * _PI),
    ("step", "erf"): lambda: sympy.asin(P / sympy.sqrt(A * (1 + B))) / _PI,
    ("erf", "erf"): lambda: 2 * sympy.asin(P / sympy.sqrt((1 + A) * (1 + B))) / _PI,
}


def _key(a: Atom) -> tuple:
    return (a.kind, a.degree)


def _swap(expr: sympy.Expr) -> sympy.Expr:
    return expr.xreplace({A: B, B: A})


@cache
def base_kernel(kind_a: str, deg_a: int, kind_b: str, deg_b: int) -> sympy.Expr:
    r"""Kernel :math:`\mathbb E[a(u)b(v)]` of two base atoms (unit scale; erf base erf(z/√2)).

    ``deg_*`` is the monomial degree (ignored for other kinds).  Unordered pairs are implemented
    once; the other order follows from :math:`K_{ba}(A,B,P)=K_{ab}(B,A,P)`.
    """
    if _RANK[kind_a] > _RANK[kind_b]:
        return _swap(base_kernel(kind_b, deg_b, kind_a, deg_a))
    if kind_a == "mono":
        return _wick(deg_a, deg_b)
    if kind_b == "mono":
        return _x_mono(kind_a, deg_b)
    return _TABLE[(kind_a, kind_b)]()


def _relu_relu_first(index: int) -> sympy.Expr:
    """Hand-simplified first derivatives of the relu × relu kernel, finite at P^2 = AB."""
    if index == 2:
        return (_PI - sympy.acos(_rho())) / (2 * _PI)
    root = sympy.sqrt(A * B - P**2)
    return root / (4 * _PI * A) if index == 0 else root / (4 * _PI * B)


@cache
def base_derivative(kind_a: str, deg_a: int, kind_b: str, deg_b: int, nA: int, nB: int, nP: int):  # noqa: N803
    r""":math:`\partial_A^{n_A}\partial_B^{n_B}\partial_P^{n_P}` of :func:`base_kernel` (cached).

    For relu × relu the first derivatives are the hand-simplified forms
    :math:`\partial_PK=(\pi-\arccos\rho)/(2\pi)`, :math:`\partial_AK=\sqrt{AB-P^2}/(4\pi A)`,
    which are finite at collinear pairs; higher orders differentiate these.
    """
    orders = {A: nA, B: nB, P: nP}
    if (kind_a, kind_b) == ("relu", "relu") and nA + nB + nP >= 1:
        first = P if nP else (A if nA else B)
        orders[first] -= 1
        start = _relu_relu_first({A: 0, B: 1, P: 2}[first])
    else:
        start = base_kernel(kind_a, deg_a, kind_b, deg_b)
    spec = [(s, n) for s, n in orders.items() if n]
    return sympy.diff(start, *spec) if spec else start


def scaled_derivative(a: Atom, b: Atom, nA: int, nB: int, nP: int) -> sympy.Expr:  # noqa: N803
    r"""Derivative of the kernel of atoms ``a``, ``b`` with their scales c, d:

    :math:`\partial^{(n_A,n_B,n_P)}K_{ab}=c^{2n_A}d^{2n_B}(cd)^{n_P}\,
    (\partial^{(n_A,n_B,n_P)}K^{\mathrm{base}}_{ab})(c^2A,d^2B,cdP)`.
    """
    base = base_derivative(a.kind, a.degree, b.kind, b.degree, nA, nB, nP)
    c, d = a.scale, b.scale
    if c == 1 and d == 1:
        return base
    factor = c ** (2 * nA) * d ** (2 * nB) * (c * d) ** nP
    return factor * base.xreplace({A: c**2 * A, B: d**2 * B, P: c * d * P})
