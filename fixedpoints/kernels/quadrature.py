r"""Quadrature kernels: symbolic placeholders for kernels with no closed form.

A kernel :math:`K(A,B,P)=\mathbb E[\sigma(u)\tau(v)]` with no closed form (``tanh``, ``sigmoid``,
products of atoms, ...) is an applied SymPy function ``gk_<hash8>_<p>_<q>(A, B, P)`` with value

.. math:: G_{p,q}(A,B,P)=\mathbb E\big[\sigma^{(p)}(u)\,\tau^{(q)}(v)\big],\qquad
          (u,v)\sim\mathcal N\Big(0,\begin{pmatrix}A&P\\P&B\end{pmatrix}\Big),

where ``<hash8>`` identifies the pair (σ, τ).  Derivatives follow Price's theorem,

.. math:: \partial_A G_{p,q}=\tfrac12 G_{p+2,q},\quad \partial_B G_{p,q}=\tfrac12 G_{p,q+2},\quad
          \partial_P G_{p,q}=G_{p+1,q+1},

so :math:`\partial_A^a\partial_B^b\partial_P^c K=2^{-(a+b)}G_{2a+c,\,2b+c}`:
**the factor** :math:`2^{-(a+b)}` **is in the symbolic expression**, and the integrands listed by
:func:`quadrature_functions` are the plain derivatives :math:`\sigma^{(p)}, \tau^{(q)}`.  The
numeric evaluation (2-D Gauss–Hermite with :math:`u=\sqrt A x_1`,
:math:`v=(P/\sqrt A)x_1+\sqrt{B-P^2/A}\,x_2`) lives in :mod:`fixedpoints.codegen`.

Integrands of non-smooth activations (relu, step) contain ``step`` or ``DiracDelta`` after
differentiation; the quadrature is accurate (spectrally) only for smooth activations.
"""

from __future__ import annotations

import hashlib

import sympy

from fixedpoints.kernels.activation import A, B, P, z

__all__ = ["QuadratureKernel", "quadrature_kernel", "quadrature_functions"]

_REGISTRY: dict[str, type[QuadratureKernel]] = {}


class QuadratureKernel(sympy.Function):
    r"""Base class of the generated ``gk_<hash8>_<p>_<q>`` functions, :math:`G_{p,q}(A,B,P)`.

    Class attributes: ``sigma``, ``tau`` (activations in ``z``), ``p``, ``q`` (derivative orders).
    """

    nargs = 3
    sigma: sympy.Expr = sympy.S.Zero
    tau: sympy.Expr = sympy.S.Zero
    p: int = 0
    q: int = 0

    def fdiff(self, argindex=1):
        cls = type(self)
        if argindex == 1:
            return _function(cls.sigma, cls.tau, cls.p + 2, cls.q)(*self.args) / 2
        if argindex == 2:
            return _function(cls.sigma, cls.tau, cls.p, cls.q + 2)(*self.args) / 2
        if argindex == 3:
            return _function(cls.sigma, cls.tau, cls.p + 1, cls.q + 1)(*self.args)
        raise sympy.ArgumentIndexError(self, argindex)

    @classmethod
    def integrands(cls) -> tuple[sympy.Expr, sympy.Expr]:
        """The two expressions in ``z`` to integrate: (σ^(p), τ^(q))."""
        return sympy.diff(cls.sigma, z, cls.p), sympy.diff(cls.tau, z, cls.q)

    def _latex(self, printer, exp=None):
        r"""``\mathcal K^{(p,q)}_{\tanh,\tanh}(A, B, P)``: the pair's activations and the
        derivative orders, not the hashed name."""
        cls = type(self)

        def label(f):
            if isinstance(f, sympy.Function) and f.args == (z,):
                name = type(f).__name__
                return {"tanh": r"\tanh", "sin": r"\sin", "cos": r"\cos", "exp": r"\exp"}.get(
                    name, rf"\operatorname{{{name}}}"
                )
            return printer._print(f)

        orders = f"^{{({cls.p},{cls.q})}}" if (cls.p, cls.q) != (0, 0) else ""
        args = ", ".join(printer._print(a) for a in self.args)
        head = rf"\mathcal{{K}}{orders}_{{{label(cls.sigma)},{label(cls.tau)}}}"
        tex = rf"{head}\left({args}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex

    def describe(self) -> dict:
        """How to evaluate it (the JSON of ``derive``): the definition and the integrands."""
        cls = type(self)
        return {
            "definition": "E[sigma^(p)(u) tau^(q)(v)], (u, v) ~ N(0, [[A, P], [P, B]])",
            "sigma": sympy.sstr(cls.sigma),
            "tau": sympy.sstr(cls.tau),
            "p": cls.p,
            "q": cls.q,
            "arguments": ["A", "B", "P"],
            "numeric": "two-dimensional truncated trapezoid rule on standard normal axes "
            "(u = sqrt(A) x1, v = P/sqrt(A) x1 + sqrt(B - P^2/A) x2), step calibrated to an "
            "absolute error of 1e-12 (fixedpoints.codegen.compile)",
        }

    def __reduce_ex__(self, protocol):
        cls = type(self)
        return _rebuild, (cls.sigma, cls.tau, cls.p, cls.q, self.args)


def _rebuild(sigma, tau, p, q, args):
    return _function(sigma, tau, p, q)(*args)


def _pair_hash(sigma: sympy.Expr, tau: sympy.Expr) -> str:
    text = sympy.srepr(sigma) + "|" + sympy.srepr(tau)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _function(sigma: sympy.Expr, tau: sympy.Expr, p: int, q: int) -> type[QuadratureKernel]:
    name = f"gk_{_pair_hash(sigma, tau)}_{p}_{q}"
    cls = _REGISTRY.get(name)
    if cls is None:
        attrs = {"sigma": sigma, "tau": tau, "p": p, "q": q, "__module__": __name__}
        cls = type(name, (QuadratureKernel,), attrs)
        _REGISTRY[name] = cls
    return cls


def quadrature_kernel(sigma: sympy.Expr, tau: sympy.Expr) -> sympy.Expr:
    r"""Unevaluated kernel :math:`G_{0,0}(A,B,P)=\mathbb E[\sigma(u)\tau(v)]` of two activations.

    Parameters
    ----------
    sigma, tau : sympy.Expr
        Activations in ``z`` (any expressions; no closed form is attempted).

    Returns
    -------
    sympy.Expr
        ``gk_<hash8>_0_0(A, B, P)``; differentiate it with ``sympy.diff`` (Price's theorem).

    Examples
    --------
    >>> from fixedpoints.kernels.activation import A, B, P, z
    >>> k = quadrature_kernel(sympy.tanh(z), sympy.tanh(z))
    >>> sorted(quadrature_functions(sympy.diff(k, A)))[0].endswith("_2_0")
    True
    """
    return _function(sympy.sympify(sigma), sympy.sympify(tau), 0, 0)(A, B, P)


def quadrature_functions(expr: sympy.Expr) -> dict[str, tuple[sympy.Expr, sympy.Expr]]:
    r"""Every quadrature function in ``expr``, with the expressions in ``z`` to integrate.

    Parameters
    ----------
    expr : sympy.Expr
        Any expression (kernel, derivative, loss).

    Returns
    -------
    dict
        ``{name: (sigma_p, tau_q)}`` sorted by name, such that
        ``name(A, B, P) = E[sigma_p(u) tau_q(v)]`` with no extra factor (Price's factors
        :math:`2^{-(a+b)}` are already in ``expr``).
    """
    found = {type(f).__name__: type(f).integrands() for f in expr.atoms(QuadratureKernel)}
    return dict(sorted(found.items()))
