r"""Closed-form stability thresholds of named fixed points.

At a point fixed by :math:`S_n\times S_m` (student and teacher permutations) the Jacobian :math:`J`
of :math:`\dot x=F(x)` commutes with the group, so it acts

* on the *standard* component :math:`\mathbf 1_n\otimes(\mathbb R^m\ominus\mathbf 1_m)` (the direction
  :math:`M_{i1}-M_{i2}` for all i; the only copy of the teacher's standard representation in which
  students move together) as one scalar :math:`\lambda_{\rm std}`, multiplicity :math:`m-1`;
* on the *trivial* component (one basis vector per class of variables: :math:`M_{ir}`, :math:`Q_{ij}`,
  :math:`Q_{ii}`, :math:`a_i`) as a small matrix whose eigenvalues are reported.

For the multi-index flow :math:`\dot m_j=\sum_l(G_{jl}-m_jm_l)\varphi'(m_l)`:

.. math::

    \lambda_{\rm std} = (1-\beta)\varphi''(\mu) - k\mu\varphi'(\mu),\qquad
    \lambda_{\rm triv} = -2k\mu\varphi'(\mu),

i.e. :math:`\lambda_{\rm std}=-\lambda_{\rm split}` (Riemannian Hessian of the loss, same
directions), and :math:`\lambda_{\rm triv}=-2\lambda_\perp`. A threshold is a value of a parameter
where :math:`\lambda_{\rm std}=0`; for :math:`\varphi\propto t^p` it is
:math:`\beta_c=(p-2)/(k+p-2)`. Eigenvalues and the point are handled as polynomials (resultants,
roots of factors of degree <= 2, exact real-root counting). The same with the size k symbolic:
:mod:`fixedpoints.symbolic.sizes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy as sp

from fixedpoints.symbolic.algebra import (
    DIGITS,
    nested_radicals,
    number,
    polynomial,
    rationalize,
    tidy,
)
from fixedpoints.symbolic.flow import OrderParameterFlow
from fixedpoints.symbolic.named_points import (
    averaged_pattern,
    check_point,
    defining_factor,
    intervals_of,
    parameter_samples,
    parameter_symbol,
    select_point,
)
from fixedpoints.symbolic.ranges import Interval, context_text, inside, interval_text, sample_values

__all__ = [
    "SymbolicThreshold",
    "at_point",
    "direct_roots",
    "solve_threshold",
    "symbolic_threshold",
    "trivial_eigenvalues",
]


@dataclass(frozen=True)
class SymbolicThreshold:
    r"""Where a named fixed point changes stability, in closed form when one exists.

    Attributes
    ----------
    parameter : str
        The parameter solved for (a free parameter of the model, e.g. ``'beta'``).
    point : str
        Name of the fixed point (see :func:`named_points`).
    expression : sympy.Expr or None
        The unique root of :math:`\lambda_{\rm std}=0` inside the parameter's range, or ``None``
        when there is no acceptable closed form (no root or several roots in range, a root of a
        factor of degree >= 3, an expression with more than ``max_ops`` operations or nested
        radicals, or a non-polynomial eigenvalue); ``reason`` says which.
    eigenvalues : dict
        Component name -> Jacobian eigenvalue at the point as a function of the parameter (and of
        the size symbol when ``size`` is set): ``'standard'`` (the split direction
        :math:`e_1-e_2` in teacher-index space) and ``'trivial'`` (the radial direction, all
        :math:`M_{ir}` together). With more than one variable class (several students, free
        norms, trainable output weights) a triangular trivial block adds ``'trivial:<class>'``
        (e.g. ``'trivial:Q_ij'``), a full one is reported as ``'trivial_1'``, ``'trivial_2'``, ...
        Hessian eigenvalue = -Jacobian eigenvalue on the standard directions. A numeric root of
        ``eigenvalues['standard']`` is the threshold when ``expression`` is ``None``; a positive
        value means the point is unstable in those directions.
    multiplicities : dict
        Component name -> multiplicity (``'standard'``: m - 1).
    coordinates : dict
        The point: variable name -> expression. With a symbolic size the keys are variable classes
        (``'M_ir'`` for every student i and teacher r, ``'Q_ij'`` for i < j, ...).
    size : str or None
        Name of the symbolic size (e.g. ``'k'``; the symbol in the expressions is
        ``sympy.Symbol(size, integer=True, positive=True)``) or ``None``.
    reason : str
        Why ``expression`` is ``None`` ('' otherwise).
    component : str
        The component whose eigenvalue crosses zero (``'standard'``).
    """

    parameter: str
    point: str
    expression: sp.Expr | None
    eigenvalues: dict = field(default_factory=dict)
    multiplicities: dict = field(default_factory=dict)
    coordinates: dict = field(default_factory=dict)
    size: str | None = None
    reason: str = ""
    component: str = "standard"


def trivial_eigenvalues(block: sp.Matrix, labels: Sequence[str], at) -> tuple[dict, dict]:
    """Eigenvalues of the trivial block (entries polynomial in the point coordinates; ``at`` puts
    the point in). A triangular block gives one eigenvalue per class: ``'trivial'`` for the
    ``M_ir`` class and ``'trivial:<class>'`` for the others; a full block of size <= 4 is solved
    from its characteristic polynomial (``'trivial_1'``, ...)."""
    n = block.shape[0]
    if n == 1:
        return {"trivial": at(block[0, 0])}, {"trivial": 1}
    values = block.applyfunc(at)
    lower = all(values[i, j] == 0 for i in range(n) for j in range(i + 1, n))
    upper = all(values[i, j] == 0 for i in range(n) for j in range(i))
    eig, mult = {}, {}
    if lower or upper:
        order = sorted(range(n), key=lambda i: labels[i] != "M_ir")
        for i in order:
            key = "trivial" if labels[i] == "M_ir" else f"trivial:{labels[i]}"
            eig[key], mult[key] = values[i, i], 1
        return eig, mult
    lam = sp.Dummy("lambda")
    try:
        cp = sp.Poly(sp.expand((lam * sp.eye(n) - values).det(method="berkowitz")), lam)
        rts = sp.roots(cp, multiple=False) if cp.degree() <= 4 else {}
    except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        return {}, {}
    if sum(rts.values()) != n:
        return {}, {}
    for j, (r, mlt) in enumerate(rts.items(), start=1):
        eig[f"trivial_{j}"], mult[f"trivial_{j}"] = r, mlt
    return eig, mult


def at_point(expr, sol: dict, factor):
    r"""Substitute the point; with a univariate point of defining polynomial P(u), first reduce
    ``expr`` modulo P (canonical form :math:`\sum_{j<\deg P} c_j u^j` with factored c_j)."""
    expr = sp.sympify(expr)
    if factor is not None and len(sol) == 1:
        (u,) = tuple(sol)
        try:
            r = sp.rem(sp.expand(expr), sp.expand(factor), u)
            coeffs = sp.Poly(r, u).all_coeffs()[::-1]
            return sp.Add(*[sp.factor(c) * sol[u] ** j for j, c in enumerate(coeffs)])
        except (sp.PolynomialError, TypeError, ValueError, NotImplementedError):
            pass
    return tidy(expr.xreplace(sol))


def direct_roots(lam_point, b: sp.Symbol) -> list:
    r"""Roots in radicals of :math:`\lambda(b)` at the point when its numerator is a polynomial
    of degree <= 2 in ``b`` with coefficients free of ``b`` (radicals of the other parameters
    allowed): a parameter the point does not depend on, such as one inside an activation
    (:math:`c=3^{3/4}(2\beta+1)^{1/4}\sqrt{(1-4\beta)/(10\beta^2+\beta-2)}/4` for the averaged
    point of ``He3+c*He4``). Empty otherwise."""
    try:
        p = sp.Poly(sp.numer(sp.together(lam_point)), b)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return []
    if not 1 <= p.degree() <= 2 or any(b in co.free_symbols for co in p.coeffs()):
        return []
    try:
        return list(sp.roots(p, multiple=False))
    except (NotImplementedError, sp.PolynomialError):  # pragma: no cover - degree <= 2
        return []


def _readable(root, contexts):
    r""":func:`tidy` of a root; when that nests radicals, the root with powers of products split
    (:math:`\sqrt{a\sqrt b}\to\sqrt a\,b^{1/4}`) where that form has the same value at every
    context."""
    expr = tidy(root)
    if not nested_radicals(expr):
        return expr
    split = sp.powdenest(sp.expand_power_base(root, force=True), force=True)
    for ctx in contexts:
        a, v = number(split, ctx), number(root, ctx)
        if a is None or v is None or abs(a - v) > 1e-13 * max(1.0, abs(v)):
            return expr
    return split


def solve_threshold(
    lam_u,
    sol: dict,
    factor,
    b: sp.Symbol,
    iv: Interval,
    contexts: list[dict],
    max_ops: int,
) -> tuple[sp.Expr | None, str]:
    r"""Solve :math:`\lambda(u(b), b) = 0` for ``b``.

    With a univariate point :math:`u` and its defining irreducible factor :math:`P(u,b)`, the
    candidates are the roots of :math:`\operatorname{res}_u(\lambda, P)`; without, of the numerator
    of :math:`\lambda(u(b),b)`. Each factor of degree <= 2 in ``b`` is solved in radicals, and so
    is the eigenvalue at the point itself where it is quadratic in ``b`` (:func:`direct_roots`);
    at every
    context (values of the other symbols) the real roots of *all* factors inside the range that
    really zero the eigenvalue (30-digit check on the chosen branch) are counted: exactly one,
    matching one closed-form candidate everywhere, is accepted.
    """
    lam_point = lam_u.xreplace(sol)
    num = sp.numer(sp.together(rationalize(lam_u)))
    if factor is not None:
        (u,) = tuple(sol)
        pl, pf = polynomial(num, [u, b]), polynomial(factor, [u, b])
        if pl is None or pf is None:
            return None, "the eigenvalue is not polynomial in the point coordinate and parameter"
        res = sp.resultant(pl.as_expr(), pf.as_expr(), u)
    else:
        res = sp.numer(sp.together(lam_point))
    rp = polynomial(res, [b])
    if rp is None:
        return None, "the eigenvalue at the point is not polynomial in the parameter"
    if rp.is_zero:
        return None, "the eigenvalue vanishes identically in the parameter"
    factors = [f for f, _ in sp.factor_list(rp.as_expr())[1] if b in f.free_symbols]
    closed = []  # closed-form roots of the factors of degree <= 2
    for f in factors:
        pf = sp.Poly(f, b)
        if pf.degree() <= 2:
            closed += list(sp.roots(pf, multiple=False))
    closed += direct_roots(lam_point, b)
    if not factors:
        return None, f"the eigenvalue has no zero in {interval_text(iv)}"
    match: set | None = None
    for ctx in contexts:
        scale = max(1.0, *(abs(number(lam_point, {**ctx, b: s}) or 0) for s in sample_values(iv)))
        zeros: list[float] = []
        for f in factors:
            fc = polynomial(sp.sympify(f).xreplace(ctx), [b])
            if fc is None or fc.degree() < 1 or fc.degree() > 60 or fc.free_symbols - {b}:
                return None, f"cannot isolate the real roots of a factor at {context_text(ctx)}"
            for r in fc.real_roots():
                x = float(r.evalf(DIGITS))
                if not inside(x, iv):
                    continue
                val = number(lam_point, {**ctx, b: r.evalf(DIGITS)})
                if val is not None and abs(val) < 1e-15 * scale:
                    if all(abs(x - w) > 1e-14 * max(1.0, abs(w)) for w in zeros):
                        zeros.append(x)
        if not zeros:
            return None, f"the eigenvalue has no zero in {interval_text(iv)} at {context_text(ctx)}"
        if len(zeros) > 1:
            return None, f"several zeros in {interval_text(iv)} at {context_text(ctx)}: {zeros}"
        hits = set()
        for j, c in enumerate(closed):
            z = number(c, ctx)
            if z is not None and abs(z - zeros[0]) < 1e-13 * max(1.0, abs(zeros[0])):
                hits.add(j)
        match = hits if match is None else match & hits
        if not match:
            return None, "the zero is a root of a polynomial of degree >= 3 (no simple closed form)"
    if match is None:  # pragma: no cover - contexts is never empty
        return None, "no context to check the closed form at"
    # several candidates can match (a factor's root and the same root solved directly): each
    # met the one zero at every context, so they agree; the factor's comes first
    expr = _readable(closed[min(match)], contexts)
    if sp.count_ops(expr) > max_ops:
        return None, f"the closed form has {sp.count_ops(expr)} operations (> max_ops={max_ops})"
    if nested_radicals(expr):
        return None, "the closed form has nested radicals"
    return expr, ""


def symbolic_threshold(
    flow: OrderParameterFlow,
    parameter: str,
    point: str = "averaged",
    *,
    intervals: dict | None = None,
    max_ops: int = 60,
) -> SymbolicThreshold:
    r"""Closed-form value of ``parameter`` where ``point`` changes stability.

    The point is substituted into the Jacobian of :math:`\dot x=F(x)`; the eigenvalue on the
    standard component (direction :math:`M_{i1}-M_{i2}`, multiplicity :math:`m-1`) is

    .. math:: \lambda_{\rm std}(\beta)=(1-\beta)\varphi''(\mu)-k\mu\varphi'(\mu),
              \qquad \mu^2=\frac{1+(k-1)\beta}{k}

    for the multi-index model, and :math:`\lambda_{\rm std}=0` is solved exactly (resultant with
    the point's defining polynomial, roots of factors of degree <= 2, real-root count in the range).
    He_p targets give :math:`\beta_c=(p-2)/(k+p-2)`.

    Parameters
    ----------
    flow : OrderParameterFlow
        Full flow (from :func:`~fixedpoints.symbolic.derive`) with ``parameter`` free.
    parameter : str
        Name of a free parameter (e.g. ``'beta'``).
    point : str
        One of :func:`named_points`.
    intervals : dict, optional
        Parameter name -> (lo, hi[, lo_open, hi_open]); default: the model's declared range.
    max_ops : int
        Largest accepted :func:`sympy.count_ops` of the closed form.

    Returns
    -------
    SymbolicThreshold

    Raises
    ------
    ParameterError
        Unknown point, or a parameter that is not free.
    DerivationError
        The point has no closed form or the model lacks its symmetry.
    """
    check_point(flow, point)
    b = parameter_symbol(flow, parameter)
    local = averaged_pattern(flow)
    ivs = intervals_of(flow, intervals)
    samples = parameter_samples(flow, ivs)
    sol = select_point(local, samples)
    factor = defining_factor(local.reduced.variables, local.reduced.equations, sol, samples)
    coords = {str(v): sp.sympify(e).xreplace(sol) for v, e in local.embedding.items()}
    eig, mult = trivial_eigenvalues(
        local.trivial, [c for c, _ in local.classes], lambda e: at_point(e, sol, factor)
    )
    if local.standard is None:
        return SymbolicThreshold(
            parameter, point, None, eig, mult, coords, None, "no standard component (m = 1)"
        )
    eig = {"standard": at_point(local.standard, sol, factor), **eig}
    mult = {"standard": local.std_multiplicity, **mult}
    others = [p for p in flow.parameters if p != b]
    contexts = [{p: s[p] for p in others} for s in samples] if others else [{}]
    expr, reason = solve_threshold(local.standard, sol, factor, b, ivs[b], contexts, max_ops)
    return SymbolicThreshold(parameter, point, expr, eig, mult, coords, None, reason)
