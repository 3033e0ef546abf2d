r"""Closed-form kernel of the subspace-norm target :math:`f^*(x)=\|P_Hx\|` against a ReLU neuron.

Setting: :math:`x\sim\mathcal N(0,I_d)`, :math:`H` a subspace of dimension :math:`r`, :math:`P_H`
its orthogonal projector, :math:`w` a neuron with :math:`A=\|w\|^2`, :math:`N=\|P_Hw\|^2`
(:math:`0\le N\le A`).  The kernel is

.. math:: C_r(A,N)=\mathbb E\big[\mathrm{relu}(w\cdot x)\,\|P_Hx\|\big]
          =\frac{\alpha(r)}{2\pi}\sqrt A\;{}_2F_1\!\left(-\tfrac12,-\tfrac12;\tfrac r2;\tfrac NA\right).

Derivation.  (i) For :math:`u` uniform on the unit sphere :math:`S^{r-1}` of :math:`H`,
:math:`\mathbb E_u[\mathrm{relu}(u\cdot x_H)]=\|x_H\|\,\mathbb E[\mathrm{relu}(u_1)]`, hence

.. math:: \|x_H\|=\alpha(r)\,\mathbb E_u[\mathrm{relu}(u\cdot x_H)],\qquad
          \alpha(r)=\frac{2\sqrt\pi\,\Gamma(\frac{r+1}2)}{\Gamma(\frac r2)}

(:math:`\alpha(1)=2,\ \alpha(2)=\pi,\ \alpha(3)=4,\ \alpha(5)=16/3`).
(ii) The degree-1 arc-cosine kernel of unit :math:`u` and :math:`w` at angle :math:`\theta` is
:math:`\mathbb E[\mathrm{relu}(u\cdot x)\mathrm{relu}(w\cdot x)]=\frac{\|w\|}{2\pi}g(\cos\theta)`,
:math:`g(c)=\sqrt{1-c^2}+(\pi-\arccos c)\,c=\frac{\pi c}2+h(c)`,
:math:`h(c)=\sqrt{1-c^2}+c\arcsin c={}_2F_1(-\tfrac12,-\tfrac12;\tfrac12;c^2)`.
(iii) With :math:`\rho^2=N/A`, :math:`\cos\theta_u=\rho t`, where
:math:`t=\langle P_Hw/\|P_Hw\|,u\rangle` has density :math:`\propto(1-t^2)^{(r-3)/2}` and
:math:`\mathbb E[t^{2k}]=(\frac12)_k/(\frac r2)_k`; the odd part :math:`\pi c/2` averages out and
term by term :math:`\mathbb E_t\,h(\rho t)=\sum_k\frac{(-\frac12)_k^2}{(\frac r2)_k\,k!}\rho^{2k}
={}_2F_1(-\tfrac12,-\tfrac12;\tfrac r2;\rho^2)`.

Checks: :math:`r=1` gives :math:`\frac1\pi\big(\sqrt{A-N}+\sqrt N\arcsin\sqrt{N/A}\big)`;
:math:`N=0` gives :math:`\mathbb E[\mathrm{relu}(w\cdot x)]\,\mathbb E\|x_H\|
=\sqrt{A/2\pi}\cdot\sqrt2\,\Gamma(\frac{r+1}2)/\Gamma(\frac r2)`.

Imports SymPy and the standard library only.
"""

from __future__ import annotations

import numbers
from functools import cache

import sympy

from fixedpoints.errors import out_of_range
from fixedpoints.kernels.activation import A

__all__ = [
    "N",
    "subspace_norm_alpha",
    "subspace_norm_derivatives",
    "subspace_norm_energy",
    "subspace_norm_kernel",
    "subspace_norm_latex",
]

N = sympy.Symbol("N", nonnegative=True)
_HALF = sympy.S.Half


def _check_rank(r) -> int:
    """The dimension ``r`` of ``H`` as an ``int`` (a positive integer, else ``ParameterError``)."""
    if isinstance(r, bool) or not isinstance(r, numbers.Integral) or int(r) < 1:
        raise out_of_range("r", r, "a positive integer (the dimension of H)")
    return int(r)


def _hyper(r: int, shift: int = 0) -> sympy.Expr:
    r""":math:`{}_2F_1(-\frac12+s,-\frac12+s;\frac r2+s;N/A)` with :math:`s` = ``shift``."""
    a = -_HALF + shift
    return sympy.hyper([a, a], [sympy.Rational(r, 2) + shift], N / A)


def subspace_norm_alpha(r: int) -> sympy.Expr:
    r"""Exact :math:`\alpha(r)=2\sqrt\pi\,\Gamma(\frac{r+1}2)/\Gamma(\frac r2)`.

    The constant with :math:`\|x_H\|=\alpha(r)\,\mathbb E_{u\sim\mathrm{Unif}(S^{r-1})}
    [\mathrm{relu}(u\cdot x_H)]`.

    Examples
    --------
    >>> [subspace_norm_alpha(r) for r in (1, 2, 3, 5)]
    [2, pi, 4, 16/3]
    """
    r = _check_rank(r)
    return sympy.gammasimp(
        2 * sympy.sqrt(sympy.pi) * sympy.gamma(sympy.Rational(r + 1, 2)) / sympy.gamma(_HALF * r)
    )


def subspace_norm_kernel(r: int, *, expand: bool = False) -> sympy.Expr:
    r""":math:`C_r(A,N)=\frac{\alpha(r)}{2\pi}\sqrt A\,{}_2F_1(-\frac12,-\frac12;\frac r2;\frac NA)`.

    Parameters
    ----------
    r : int
        Dimension of :math:`H` (positive integer).
    expand : bool
        ``False``: the ``sympy.hyper`` form, valid on all of :math:`0\le N\le A`.
        ``True``: ``sympy.hyperexpand`` of it (simplified when that is shorter): elementary
        (:math:`\arcsin`, square roots) for odd :math:`r`, complete elliptic integrals
        :math:`K(N/A), E(N/A)` for even :math:`r`.  The expanded forms carry removable
        singularities (plain substitution gives ``nan``) at :math:`N=0` for :math:`r\ge3` and at
        :math:`N=A` for :math:`r=2` and :math:`r\ge4` (e.g. :math:`(A-N)K(N/A)`, :math:`0/0`);
        evaluate the hyper form or take limits there.  Should ``hyperexpand`` leave a ``hyper`` in place, the
        hyper form is returned unchanged (it removes it for every :math:`r` tried, 1 to 31).

    Examples
    --------
    >>> subspace_norm_kernel(1, expand=True)
    (sqrt(N)*asin(sqrt(N)/sqrt(A)) + sqrt(A - N))/pi
    """
    return _kernel(_check_rank(r), bool(expand))


@cache
def _kernel(r: int, expand: bool) -> sympy.Expr:
    """Cached body of :func:`subspace_norm_kernel` (``r`` already checked)."""
    const = subspace_norm_alpha(r) / (2 * sympy.pi)
    if not expand:
        return const * sympy.sqrt(A) * _hyper(r)
    body = sympy.hyperexpand(sympy.sqrt(A) * _hyper(r))
    if body.has(sympy.hyper):
        return const * sympy.sqrt(A) * _hyper(r)
    simpler = sympy.simplify(body)
    if sympy.count_ops(simpler) < sympy.count_ops(body):
        body = simpler
    return const * body


def subspace_norm_derivatives(r: int) -> tuple[sympy.Expr, sympy.Expr]:
    r"""Partial derivatives :math:`(\partial_AC_r,\ \partial_NC_r)` in hyper form.

    With :math:`F_0={}_2F_1(-\frac12,-\frac12;\frac r2;\frac NA)`,
    :math:`F_1={}_2F_1(\frac12,\frac12;\frac r2+1;\frac NA)` and
    :math:`\frac{d}{dz}{}_2F_1(a,b;c;z)=\frac{ab}{c}{}_2F_1(a+1,b+1;c+1;z)`:

    .. math:: \partial_NC_r=\frac{\alpha(r)}{2\pi}\frac{F_1}{2r\sqrt A},\qquad
              \partial_AC_r=\frac{\alpha(r)}{2\pi}\Big(\frac{F_0}{2\sqrt A}
              -\frac{N\,F_1}{2r\,A^{3/2}}\Big).

    :math:`\partial_NC_r` is finite at :math:`N=A` (Gauss: :math:`c-a-b=\frac r2>0` for
    :math:`F_1`), whereas :math:`\partial_N^2C_r\propto{}_2F_1(\frac32,\frac32;\frac r2+2;\frac NA)`
    (:math:`c-a-b=\frac r2-1`) diverges as :math:`N\to A` for :math:`r\le2`.
    """
    r = _check_rank(r)
    const = subspace_norm_alpha(r) / (2 * sympy.pi)
    f0, f1 = _hyper(r), _hyper(r, 1)
    d_n = const * f1 / (2 * r * sympy.sqrt(A))
    d_a = const * (f0 / (2 * sympy.sqrt(A)) - N * f1 / (2 * r * A ** sympy.Rational(3, 2)))
    return d_a, d_n


def subspace_norm_energy(r: int) -> sympy.Expr:
    r"""Half the target's second moment, :math:`\frac12\mathbb E\|P_Hx\|^2=\frac r2`.

    Examples
    --------
    >>> subspace_norm_energy(3)
    3/2
    """
    return sympy.Rational(_check_rank(r), 2)


def subspace_norm_latex(r: int) -> str:
    r"""LaTeX of the definition and the closed form of :math:`C_r(A,N)`, for reports.

    Examples
    --------
    >>> tex = subspace_norm_latex(3)
    >>> tex.startswith(r"C_{3}(A,N)=\mathbb{E}"), tex.endswith(r"\alpha(3)=4")
    (True, True)
    """
    r = _check_rank(r)
    return (
        rf"C_{{{r}}}(A,N)=\mathbb{{E}}\left[\operatorname{{relu}}(w\cdot x)\,\|P_H x\|\right]"
        rf"=\frac{{\alpha({r})}}{{2\pi}}\sqrt{{A}}\,{{}}_2F_1\left(-\tfrac{{1}}{{2}},"
        rf"-\tfrac{{1}}{{2}};{sympy.latex(sympy.Rational(r, 2))};\tfrac{{N}}{{A}}\right),"
        rf"\quad \alpha({r})={sympy.latex(subspace_norm_alpha(r))}"
    )
