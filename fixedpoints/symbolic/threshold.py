r"""Named fixed points and closed-form stability thresholds.

A *named point* is a fixed point defined by a symmetry pattern and found symbolically. The
``averaged`` point has every student equal and every student–teacher overlap equal and positive:
:math:`M_{ir}=\mu>0`, :math:`Q_{ij}=1` (spherical students; :math:`Q_{ij}=q` otherwise), trainable
output weights :math:`a_i=A`. For the multi-index model (:math:`n=1`, equiangular
:math:`G=(1-\beta)I+\beta\mathbf 1\mathbf 1^\top`, :math:`\varphi(t)=\sum_p c_p^2p!\,t^p`) it is
:math:`\bar w=\sum_j v_j/\lVert\sum_j v_j\rVert`, :math:`\mu^2=(1+(k-1)\beta)/k`.

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
directions), and :math:`\lambda_{\rm triv}=-2\lambda_\perp` (the radial overlap direction measures
:math:`\lVert P_{V^\perp}w\rVert^2`, which decays at twice the rate of the perpendicular
components). A threshold is a value of a parameter where :math:`\lambda_{\rm std}=0`; for
:math:`\varphi\propto t^p` it is :math:`\beta_c=(p-2)/(k+p-2)`.

Everything here is bounded: point equations and eigenvalues are handled as polynomials
(:class:`sympy.Poly`, :func:`sympy.roots` on factors of degree <= 4, resultants, exact real-root
counting); nothing calls an unbounded :func:`sympy.solve` on a large expression.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy as sp

from fixedpoints.errors import AnsatzError, DerivationError, ParameterError
from fixedpoints.models import Model, load_model_file, preset_names
from fixedpoints.models.parameters import resolve_parameters, substitute
from fixedpoints.symbolic.ansatz import Ansatz, is_zero, reduce_flow
from fixedpoints.symbolic.flow import OrderParameterFlow, _expr, derive, state_symbols

__all__ = [
    "SymbolicThreshold",
    "named_point",
    "named_points",
    "symbolic_threshold",
    "symbolic_threshold_in_size",
]

POINTS = ("averaged",)
_DIGITS = 30
_ROOT_DEGREE = 4  # largest factor degree handed to sympy.roots for the point
_EXTRA_SIZES = (10, 20, 50, 100)


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


# --------------------------------------------------------------------------------------------
# small helpers


def _num(expr, subs: dict) -> complex | None:
    """Value of ``expr`` at ``subs`` with 30 digits, or None when it is not a finite number."""
    try:
        v = sp.sympify(expr).xreplace(subs).evalf(_DIGITS)
        z = complex(v)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if z != z or abs(z) == float("inf"):
        return None
    return z


def _rationalize(expr):
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    return expr.xreplace({f: sp.nsimplify(f, rational=True) for f in floats})


def _nested_radicals(expr) -> bool:
    for p in expr.atoms(sp.Pow):
        if not p.exp.is_Integer and any(
            not q.exp.is_Integer for q in p.base.atoms(sp.Pow) if q is not p
        ):
            return True
    return False


def _check_point(flow: OrderParameterFlow, point: str) -> None:
    if point not in named_points(flow):
        names = ", ".join(repr(p) for p in named_points(flow)) or "(none for this flow)"
        raise ParameterError(f"`point` must be one of {names}; got {point!r}.")


def _parameter_symbol(flow: OrderParameterFlow, parameter: str) -> sp.Symbol:
    by_name = {str(p): p for p in flow.parameters}
    if parameter not in by_name:
        allowed = ", ".join(by_name) or "(none: every parameter of this model is set)"
        raise ParameterError(
            f"`parameter` must be a free parameter of the model; allowed: {allowed}; "
            f"got {parameter!r}."
        )
    return by_name[parameter]


Interval = tuple  # (lo, hi, lo_open, hi_open) with sympy numbers / oo


def _interval(model: Model | None, name: str, given=None) -> Interval:
    """The allowed range of parameter ``name``: ``given`` (lo, hi) if passed, else the declared
    bounds of the preset (templates resolved with the model's settings), else the real line."""
    if given is not None:
        lo, hi = (sp.sympify(given[0]), sp.sympify(given[1]))
        return (lo, hi, len(given) > 2 and bool(given[2]), len(given) > 3 and bool(given[3]))
    lo, hi, lo_open, hi_open = -sp.oo, sp.oo, True, True
    if model is not None and model.name in preset_names():
        p = load_model_file(model.name).parameters.get(name)
        if p is not None:
            values = dict(model.settings)
            try:
                if p.minimum is not None:
                    lo, lo_open = _bound(substitute(p.minimum, values)), p.min_open
                if p.maximum is not None:
                    hi, hi_open = _bound(substitute(p.maximum, values)), p.max_open
            except (TypeError, ValueError, ParameterError, sp.SympifyError):
                lo, hi, lo_open, hi_open = -sp.oo, sp.oo, True, True
    return (lo, hi, lo_open, hi_open)


def _bound(text: str) -> sp.Expr:
    value = sp.sympify(text, rational=True)
    if not value.is_number or not value.is_real:
        raise ValueError(text)
    return value


def _samples(iv: Interval) -> list:
    """Three rational test values strictly inside the interval."""
    lo, hi = iv[0], iv[1]
    if lo.is_finite and hi.is_finite:
        return [
            lo + (hi - lo) * f
            for f in (sp.Rational(2, 13), sp.Rational(5, 11), sp.Rational(10, 13))
        ]
    if lo.is_finite:
        return [lo + f for f in (sp.Rational(1, 3), sp.Rational(1), sp.Rational(3))]
    if hi.is_finite:
        return [hi - f for f in (sp.Rational(1, 3), sp.Rational(1), sp.Rational(3))]
    return [sp.Rational(-1, 3), sp.Rational(1, 3), sp.Rational(2)]


def _inside(x: float, iv: Interval, eps: float = 1e-14) -> bool:
    lo, hi, lo_open, hi_open = iv
    if lo.is_finite:
        lf = float(lo)
        if x < lf - eps or (lo_open and x <= lf + eps):
            return False
    if hi.is_finite:
        hf = float(hi)
        if x > hf + eps or (hi_open and x >= hf - eps):
            return False
    return True


# --------------------------------------------------------------------------------------------
# the averaged point and its local spectrum (reduced variables left symbolic)


@dataclass(frozen=True)
class _Local:
    """Everything about the averaged pattern at one concrete size, with the reduced coordinates
    symbolic: reduced equations, Jacobian eigenvalue on the standard component, trivial block."""

    flow: OrderParameterFlow
    reduced: OrderParameterFlow
    embedding: dict  # full variable -> expression in reduced symbols
    classes: tuple  # ((label, (vars...)), ...)
    positive: tuple  # reduced symbols that must be > 0
    standard: sp.Expr | None
    std_multiplicity: int
    trivial: sp.Matrix


def _averaged_ansatz(flow: OrderParameterFlow):
    model = flow.model
    if model is None or flow.ansatz:
        raise DerivationError(
            "named points need the full flow of a model (derive(model)), not a reduced one."
        )
    st = state_symbols(model)
    if [str(v) for v in st["variables"]] != list(flow.names):
        raise DerivationError("the flow's variables do not match its model; derive it again.")
    Q, M, a = st["Q"], st["M"], st["a"]
    k, m, o = model.student.width, model.teacher.width, model.outputs
    sph = model.student.spherical
    taken = {str(p) for p in flow.parameters}

    def fresh(base):
        name = base
        while name in taken:
            name += "_"
        taken.add(name)
        return name

    mu = fresh("mu")
    assign: dict[str, str] = {}
    classes: list[tuple[str, tuple]] = []
    labels: dict[str, str] = {mu: "M_ir"}
    positive = [mu]
    q = None
    if not sph:
        q = fresh("q")
        labels[q] = "Q_ij"
        positive.append(q)
        classes.append(("Q_ii", tuple(Q[i, i] for i in range(k))))
        for i in range(k):
            assign[str(Q[i, i])] = q
    if k > 1:
        classes.append(("Q_ij", tuple(Q[i, j] for i in range(k) for j in range(i + 1, k))))
        for i in range(k):
            for j in range(i + 1, k):
                assign[str(Q[i, j])] = "1" if sph else q
    classes.append(("M_ir", tuple(M[i, r] for i in range(k) for r in range(m))))
    for i in range(k):
        for r in range(m):
            assign[str(M[i, r])] = mu
    if model.student.second_layer == "trainable":
        for c in range(o):
            target = fresh("A" if o == 1 else f"A_{c + 1}")
            label = "a_i" if o == 1 else f"a_i{c + 1}"
            labels[target] = label
            classes.append((label, tuple(a[i, c] for i in range(k))))
            for i in range(k):
                assign[str(a[i, c])] = target
    ansatz = Ansatz(
        name="averaged",
        assignment=tuple((v, assign[v]) for v in flow.names),
        latex=tuple((s, sp.latex(sp.Symbol(s))) for s in labels),
    )
    return ansatz, tuple(classes), labels, tuple(positive)


def _jvp(equations, free, subs: dict, direction: dict) -> list:
    """Directional derivative :math:`J(x)u` of the right-hand sides at ``subs``."""
    out = []
    for e, fs in zip(equations, free, strict=True):
        terms = [c * sp.diff(e, v).xreplace(subs) for v, c in direction.items() if v in fs]
        out.append(sp.expand(sp.Add(*terms)))
    return out


def _local(flow: OrderParameterFlow) -> _Local:
    ansatz, classes, labels, positive = _averaged_ansatz(flow)
    try:
        reduced = reduce_flow(flow, ansatz)
    except AnsatzError as e:
        raise DerivationError(
            f"the 'averaged' point does not exist for this model (students equal and all "
            f"student-teacher overlaps equal is not an invariant pattern): {e}"
        ) from None
    syms = {str(s): s for s in reduced.variables}
    embedding = {}
    for v, target in ansatz.assignment:
        var = next(x for x in flow.variables if str(x) == v)
        embedding[var] = syms[target] if target in syms else sp.sympify(target)
    equations = [_rationalize(e) for e in flow.equations]
    free = [e.free_symbols for e in equations]
    index = {v: n for n, v in enumerate(flow.variables)}
    model = flow.model
    k, m = model.student.width, model.teacher.width

    # trivial block: J u_c expressed on the class basis (rows of one class must agree)
    trivial = sp.zeros(len(classes), len(classes))
    for c, (_, members) in enumerate(classes):
        ju = _jvp(equations, free, embedding, dict.fromkeys(members, 1))
        for d, (label, rows) in enumerate(classes):
            first = ju[index[rows[0]]]
            for r in rows[1:]:
                if not is_zero(ju[index[r]] - first)[0]:
                    raise DerivationError(
                        f"the trivial component is not invariant in class {label}: the model "
                        "lacks the student/teacher permutation symmetry of the averaged point."
                    )
            trivial[d, c] = first

    standard = None
    if m > 1:
        M = state_symbols(model)["M"]
        v = {}
        for i in range(k):
            v[M[i, 0]], v[M[i, 1]] = sp.Integer(1), sp.Integer(-1)
        jv = _jvp(equations, free, embedding, v)
        standard = jv[index[M[0, 0]]]
        for var, row in zip(flow.variables, jv, strict=True):
            if not is_zero(row - standard * v.get(var, 0))[0]:
                raise DerivationError(
                    f"M_i1 - M_i2 is not an eigenvector of the Jacobian (row {var}): the model "
                    "lacks the teacher permutation symmetry of the averaged point."
                )
    return _Local(
        flow=flow,
        reduced=reduced,
        embedding=embedding,
        classes=classes,
        positive=tuple(syms[s] for s in positive if s in syms),
        standard=standard,
        std_multiplicity=m - 1,
        trivial=trivial,
    )


def _polynomial(expr, gens) -> sp.Poly | None:
    try:
        p = sp.Poly(expr, *gens)
    except (sp.PolynomialError, sp.GeneratorsNeeded, sp.CoercionFailed):
        return None
    if p.domain == sp.EX or (p.domain.is_Numerical and not p.domain.is_Exact):
        return None
    return p


def _point_candidates(reduced_vars, equations) -> list[tuple[dict, sp.Expr | None]]:
    """All closed-form solutions of the reduced fixed-point equations, each with the irreducible
    factor it comes from (univariate case) or None."""
    equations = [sp.numer(sp.together(_rationalize(e))) for e in equations]
    if len(reduced_vars) == 1:
        u = reduced_vars[0]
        polys = [p for e in equations if (p := _polynomial(e, [u])) is not None and not p.is_zero]
        if len(polys) != len(equations) or not polys:
            raise DerivationError(
                "the fixed-point equation of the averaged point is not polynomial in its "
                "coordinate; no closed form (use the numeric layer)."
            )
        g = polys[0]
        for p in polys[1:]:
            g = sp.gcd(g, p)
        out = []
        for f, _ in sp.factor_list(g.as_expr())[1]:
            pf = _polynomial(f, [u])
            if pf is None or pf.degree() < 1 or pf.degree() > _ROOT_DEGREE:
                continue
            rts = sp.roots(pf, multiple=False)
            if sum(rts.values()) != pf.degree():
                continue
            out += [({u: r}, f) for r in rts]
        return out
    if any(_polynomial(e, reduced_vars) is None for e in equations):
        raise DerivationError(
            "the fixed-point equations of the averaged point are not polynomial; no closed form."
        )
    degree = 1
    for e in equations:
        degree *= max(1, sp.Poly(e, *reduced_vars).total_degree())
    if len(reduced_vars) > 3 or degree > 16:
        raise DerivationError(
            f"the averaged point's system ({len(reduced_vars)} unknowns, Bezout bound {degree}) "
            "is too large for a bounded closed-form solve; use the numeric layer."
        )
    try:
        sols = sp.solve(equations, list(reduced_vars), dict=True)
    except (NotImplementedError, sp.PolynomialError) as e:
        raise DerivationError(
            f"sympy could not solve the averaged point's equations: {e}"
        ) from None
    return [(s, None) for s in sols if set(s) == set(reduced_vars)]


def _valid_at(local: _Local, sol: dict, subs: dict) -> float | None:
    """The loss at the candidate if it is real, positive where required and inside the span of
    the teacher for spherical students (else None)."""
    vals = {}
    for u, e in sol.items():
        z = _num(e, subs)
        if z is None or abs(z.imag) > 1e-20 * max(1.0, abs(z.real)):
            return None
        vals[u] = z.real
        if u in local.positive and z.real <= 1e-12:
            return None
    model = local.flow.model
    if model.student.spherical:
        # w lies in span{v_r}: m^T T^{-1} m = |w|^2 = 1 (this discards the degenerate
        # families phi'(mu) = 0, whose neurons have a component outside the teacher span)
        params = {str(s): s for s in local.flow.parameters}
        T = sp.Matrix(
            model.teacher.width,
            model.teacher.width,
            lambda r, s: _expr(model.teacher.overlap[r][s], params, "teacher.overlap"),
        ).xreplace(subs)
        if T.det() != 0:
            mrow = sp.Matrix(
                [[sp.Float(vals[local.embedding[x]], _DIGITS) for x in _first_student_m(local)]]
            )
            norm = (mrow * T.inv() * mrow.T)[0, 0]
            if abs(float(norm) - 1.0) > 1e-10:
                return None
    loss = _num(local.reduced.loss.xreplace(sol), subs)
    return None if loss is None else loss.real


def _first_student_m(local: _Local):
    M = state_symbols(local.flow.model)["M"]
    return [M[0, r] for r in range(M.shape[1])]


def _select_point(local: _Local, samples: list[dict]) -> dict:
    cands = _point_candidates(local.reduced.variables, local.reduced.equations)
    good = []
    for sol, _ in cands:
        losses = [_valid_at(local, sol, s) for s in samples]
        if all(x is not None for x in losses):
            good.append((losses, sol))
    if not good:
        raise DerivationError(
            "no real closed-form averaged point with positive overlaps was found "
            f"(candidates: {[c[0] for c in cands]})."
        )
    good.sort(key=lambda g: g[0])
    return good[0][1]


def _param_samples(flow: OrderParameterFlow, intervals: dict) -> list[dict]:
    per = {p: _samples(intervals[p]) for p in flow.parameters}
    return [{p: per[p][j] for p in flow.parameters} for j in range(3)]


# --------------------------------------------------------------------------------------------
# public API: named points


def named_points(flow: OrderParameterFlow) -> tuple[str, ...]:
    """Names of the fixed points that :func:`named_point` can construct for ``flow``.

    Returns
    -------
    tuple of str
        ``('averaged',)`` for a full flow with a model attached, ``()`` otherwise (reduced
        flows carry no index structure).
    """
    if flow.model is None or flow.ansatz:
        return ()
    return POINTS


def named_point(
    flow: OrderParameterFlow, point: str = "averaged", *, intervals: dict | None = None
) -> dict:
    r"""A named fixed point in closed form.

    ``'averaged'``: solve the reduced flow on the pattern :math:`M_{ir}=\mu`, :math:`Q_{ij}=1`
    (spherical; :math:`Q_{ij}=q` otherwise), :math:`a_i=A`, and keep the real root with
    :math:`\mu>0` (and :math:`q>0`) at test values of the free parameters; for spherical students
    also :math:`m^\top T^{-1}m=1` (the neuron lies in the teacher span), which for the multi-index
    model leaves :math:`\mu=\sqrt{(1+(k-1)\beta)/k}`. Several survivors: the lowest loss.

    Parameters
    ----------
    flow : OrderParameterFlow
        Full flow from :func:`fixedpoints.symbolic.derive`.
    point : str
        One of :func:`named_points`.
    intervals : dict, optional
        Parameter name -> (lo, hi) range used to pick test values (default: the preset's range).

    Returns
    -------
    dict
        Variable name -> sympy expression (in the free parameters).

    Raises
    ------
    ParameterError
        Unknown ``point``.
    DerivationError
        No closed-form point (non-polynomial flow, no real positive root, broken symmetry).
    """
    _check_point(flow, point)
    local = _local(flow)
    sol = _select_point(local, _param_samples(flow, _intervals(flow, intervals)))
    return {str(v): sp.sympify(e).xreplace(sol) for v, e in local.embedding.items()}


def _intervals(flow: OrderParameterFlow, given: dict | None) -> dict:
    given = given or {}
    return {p: _interval(flow.model, str(p), given.get(str(p))) for p in flow.parameters}


# --------------------------------------------------------------------------------------------
# thresholds


def _trivial_eigenvalues(block: sp.Matrix, labels: Sequence[str], at) -> tuple[dict, dict]:
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


def _at_point(expr, sol: dict, factor):
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
    return _tidy(expr.xreplace(sol))


def _tidy(expr):
    expr = sp.sympify(expr)
    if sp.count_ops(expr) > 300:
        return expr
    try:
        radical = any(not p.exp.is_Integer for p in expr.atoms(sp.Pow))
        return sp.simplify(expr) if radical else sp.factor(sp.cancel(expr))
    except (TypeError, ValueError, NotImplementedError, RecursionError):  # pragma: no cover
        return expr


def _solve_threshold(
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
    of :math:`\lambda(u(b),b)`. Each factor of degree <= 2 in ``b`` is solved in radicals; at every
    context (values of the other symbols) the real roots of *all* factors inside the range that
    really zero the eigenvalue (30-digit check on the chosen branch) are counted: exactly one,
    matching one closed-form candidate everywhere, is accepted.
    """
    lam_point = lam_u.xreplace(sol)
    num = sp.numer(sp.together(_rationalize(lam_u)))
    if factor is not None:
        (u,) = tuple(sol)
        pl, pf = _polynomial(num, [u, b]), _polynomial(factor, [u, b])
        if pl is None or pf is None:
            return None, "the eigenvalue is not polynomial in the point coordinate and parameter"
        res = sp.resultant(pl.as_expr(), pf.as_expr(), u)
    else:
        res = sp.numer(sp.together(lam_point))
    rp = _polynomial(res, [b])
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
    if not factors:
        return None, f"the eigenvalue has no zero in {_iv_text(iv)}"
    match: set | None = None
    for ctx in contexts:
        scale = max(1.0, *(abs(_num(lam_point, {**ctx, b: s}) or 0) for s in _samples(iv)))
        zeros: list[float] = []
        for f in factors:
            fc = _polynomial(sp.sympify(f).xreplace(ctx), [b])
            if fc is None or fc.degree() < 1 or fc.degree() > 60 or fc.free_symbols - {b}:
                return None, f"cannot isolate the real roots of a factor at {_ctx_text(ctx)}"
            for r in fc.real_roots():
                x = float(r.evalf(_DIGITS))
                if not _inside(x, iv):
                    continue
                val = _num(lam_point, {**ctx, b: r.evalf(_DIGITS)})
                if val is not None and abs(val) < 1e-15 * scale:
                    if all(abs(x - w) > 1e-14 * max(1.0, abs(w)) for w in zeros):
                        zeros.append(x)
        if not zeros:
            return None, f"the eigenvalue has no zero in {_iv_text(iv)} at {_ctx_text(ctx)}"
        if len(zeros) > 1:
            return None, f"several zeros in {_iv_text(iv)} at {_ctx_text(ctx)}: {zeros}"
        hits = set()
        for j, c in enumerate(closed):
            z = _num(c, ctx)
            if z is not None and abs(z - zeros[0]) < 1e-13 * max(1.0, abs(zeros[0])):
                hits.add(j)
        match = hits if match is None else match & hits
        if not match:
            return None, "the zero is a root of a polynomial of degree >= 3 (no simple closed form)"
    if match is None or len(match) != 1:  # pragma: no cover - two equal closed forms
        return None, "several closed forms match the zero"
    expr = _tidy(closed[match.pop()])
    if sp.count_ops(expr) > max_ops:
        return None, f"the closed form has {sp.count_ops(expr)} operations (> max_ops={max_ops})"
    if _nested_radicals(expr):
        return None, "the closed form has nested radicals"
    return expr, ""


def _iv_text(iv: Interval) -> str:
    lo, hi, lo_open, hi_open = iv
    return f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"


def _ctx_text(ctx: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in ctx.items()) or "the model's values"


def symbolic_threshold(
    flow: OrderParameterFlow,
    parameter: str,
    point: str = "averaged",
    symbolic: Sequence[str] = (),
    *,
    intervals: dict | None = None,
    model_factory: Callable[[int], Model] | None = None,
    sizes: Sequence[int] = (3, 4, 5),
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
    symbolic : sequence of str
        ``('k',)`` (a size setting of the model) to get the threshold as a function of a
        symbolic size; see :func:`symbolic_threshold_in_size`. Without ``model_factory`` the
        model is rebuilt from its preset with the settings that differ from their defaults.
    intervals : dict, optional
        Parameter name -> (lo, hi[, lo_open, hi_open]); default: the preset's declared range.
    model_factory, sizes
        Passed to :func:`symbolic_threshold_in_size` when ``symbolic`` is given.
    max_ops : int
        Largest accepted :func:`sympy.count_ops` of the closed form.

    Returns
    -------
    SymbolicThreshold

    Raises
    ------
    ParameterError
        Unknown point, a parameter that is not free, or an unsupported ``symbolic`` entry.
    DerivationError
        The point has no closed form or the model lacks its symmetry.
    """
    _check_point(flow, point)
    b = _parameter_symbol(flow, parameter)
    symbolic = tuple(symbolic)
    if symbolic:
        if len(symbolic) != 1:
            raise ParameterError(f"`symbolic` takes one size name (e.g. ('k',)); got {symbolic!r}.")
        factory = model_factory or _default_factory(flow.model, symbolic[0])
        return symbolic_threshold_in_size(
            factory,
            parameter,
            point,
            sizes,
            size=symbolic[0],
            intervals=intervals,
            max_ops=max_ops,
        )
    local = _local(flow)
    ivs = _intervals(flow, intervals)
    samples = _param_samples(flow, ivs)
    sol = _select_point(local, samples)
    factor = _defining_factor(local.reduced.variables, local.reduced.equations, sol, samples)
    coords = {str(v): sp.sympify(e).xreplace(sol) for v, e in local.embedding.items()}
    eig, mult = _trivial_eigenvalues(
        local.trivial, [c for c, _ in local.classes], lambda e: _at_point(e, sol, factor)
    )
    if local.standard is None:
        return SymbolicThreshold(
            parameter, point, None, eig, mult, coords, None, "no standard component (m = 1)"
        )
    eig = {"standard": _at_point(local.standard, sol, factor), **eig}
    mult = {"standard": local.std_multiplicity, **mult}
    others = [p for p in flow.parameters if p != b]
    contexts = [{p: s[p] for p in others} for s in samples] if others else [{}]
    expr, reason = _solve_threshold(local.standard, sol, factor, b, ivs[b], contexts, max_ops)
    return SymbolicThreshold(parameter, point, expr, eig, mult, coords, None, reason)


def _defining_factor(reduced_vars, equations, sol, samples) -> sp.Expr | None:
    """The irreducible factor of the (univariate) point equation that the chosen root solves."""
    if len(reduced_vars) != 1:
        return None
    (u,) = reduced_vars
    for s, f in _point_candidates(reduced_vars, equations):
        if all(
            (a := _num(s[u], smp)) is not None
            and (c := _num(sol[u], smp)) is not None
            and abs(a - c) < 1e-20 * max(1.0, abs(c))
            for smp in samples
        ):
            return f
    return None  # pragma: no cover


# --------------------------------------------------------------------------------------------
# symbolic size


def _default_factory(model: Model | None, size: str) -> Callable[[int], Model]:
    if model is None or model.name not in preset_names():
        raise ParameterError(
            f"`symbolic` = ({size!r},) needs `model_factory` for a model that is not a preset."
        )
    mf = load_model_file(model.name)
    if size not in mf.parameters or mf.parameters[size].kind != "int":
        sizes = [n for n, p in mf.parameters.items() if p.kind == "int"]
        raise ParameterError(
            f"`symbolic` must name an integer size of preset {model.name!r} "
            f"(one of {', '.join(sizes)}); got {size!r}."
        )
    settings = dict(model.settings)
    keep = {}
    for name, value in settings.items():
        if name in model.free or name == size:
            continue
        others = {n: v for n, v in settings.items() if n not in (name, *model.free)}
        try:
            resolved, _ = resolve_parameters(mf.parameters, others)
        except ParameterError:
            keep[name] = value
            continue
        if resolved.get(name) != value:
            keep[name] = value  # set by the user, not a default (a default follows the size)

    def factory(n: int) -> Model:
        return load_model_file(model.name).instantiate({**keep, size: str(n)})

    return factory


def _lagrange(values: list, nodes: Sequence[int], x: sp.Symbol):
    out = sp.Integer(0)
    for j, (vj, sj) in enumerate(zip(values, nodes, strict=True)):
        w = sp.Integer(1)
        for l_, sl in enumerate(nodes):
            if l_ != j:
                w *= sp.Rational(1, sj - sl) * (x - sl)
        out += vj * w
    return sp.expand(out)


def symbolic_threshold_in_size(
    model_factory: Callable[[int], Model],
    parameter: str,
    point: str = "averaged",
    sizes: Sequence[int] = (3, 4, 5),
    *,
    size: str = "k",
    degree: int = 1,
    intervals: dict | None = None,
    max_ops: int = 60,
) -> SymbolicThreshold:
    r"""The threshold as a function of a symbolic size :math:`k`.

    Flows are derived only at concrete sizes, but on the averaged pattern (reduced coordinates
    left symbolic) the reduced fixed-point equations, the standard eigenvalue and the trivial block
    are polynomials in the size of degree ``degree`` (affine by default: every equation holds at
    most one sum over an index). They are derived at ``sizes[:degree + 1]``, interpolated in
    :math:`k`, and **checked** exactly at the remaining sizes; then the point is solved with
    :math:`k` symbolic (the branch that matches the concrete points) and
    :math:`\lambda_{\rm std}=0` is solved for the parameter. Candidate roots are validated at the
    sizes and at k = 10, 20, 50, 100. Multi-index He_p: :math:`\beta_c=(p-2)/(k+p-2)`.

    Parameters
    ----------
    model_factory : callable
        ``model_factory(k) -> Model``, e.g.
        ``lambda k: load_model("multi-index", {**settings, "k": k})``.
    parameter : str
        Free parameter to solve for.
    point : str
        Named point (``'averaged'``).
    sizes : sequence of int
        At least ``degree + 2`` distinct sizes.
    size : str
        Name of the size symbol in the result.
    degree : int
        Polynomial degree in the size assumed by the interpolation.
    intervals : dict, optional
        Parameter name -> range (default: the preset's declared range at the first size).
    max_ops : int
        Largest accepted :func:`sympy.count_ops` of the closed form.

    Returns
    -------
    SymbolicThreshold
        With ``size`` set; ``coordinates`` keyed by variable class (``'M_ir'``, ``'Q_ij'``...);
        ``multiplicities['standard']`` a polynomial in the size (m - 1).

    Raises
    ------
    DerivationError
        The interpolation fails its check at a further size, or the patterns differ across sizes.
    ParameterError
        Fewer than ``degree + 2`` sizes, unknown point, parameter not free.
    """
    sizes = [int(s) for s in sizes]
    if len(set(sizes)) < degree + 2:
        raise ParameterError(
            f"`sizes` must hold at least {degree + 2} distinct sizes for degree {degree}; "
            f"got {sizes}."
        )
    ksym = sp.Symbol(size, integer=True, positive=True)
    flows = [derive(model_factory(s)) for s in sizes]
    for f in flows:
        _check_point(f, point)
    b = _parameter_symbol(flows[0], parameter)
    locals_ = [_local(f) for f in flows]
    ref = locals_[0]
    for s, loc in zip(sizes, locals_, strict=True):
        if (
            loc.reduced.variables != ref.reduced.variables
            or [c for c, _ in loc.classes] != [c for c, _ in ref.classes]
            or loc.flow.parameters != ref.flow.parameters
            or (loc.standard is None) != (ref.standard is None)
        ):
            raise DerivationError(
                f"the averaged pattern differs between sizes {sizes[0]} and {s}; "
                "choose sizes with the same structure."
            )
    if ref.standard is None:
        raise DerivationError("no standard component (the teacher has one neuron).")

    def quantities(loc: _Local) -> list:
        out = [sp.expand(e) for e in loc.reduced.equations]
        out.append(sp.expand(loc.standard))
        out += [sp.expand(e) for e in loc.trivial]
        out.append(sp.Integer(loc.std_multiplicity))
        return out

    cls = [c for c, _ in ref.classes]
    what = [f"the reduced equation d{v}/dt" for v in ref.reduced.variables]
    what += ["the standard eigenvalue"]
    what += [f"the trivial-block entry ({r}, {c})" for r in cls for c in cls]
    what += ["the standard multiplicity"]

    data = [quantities(loc) for loc in locals_]
    nodes = sizes[: degree + 1]
    fitted = [
        _lagrange([d[j] for d in data[: degree + 1]], nodes, ksym) for j in range(len(data[0]))
    ]
    for s, d in zip(sizes[degree + 1 :], data[degree + 1 :], strict=True):
        for j, (fit, val) in enumerate(zip(fitted, d, strict=True)):
            diff = sp.expand(fit.xreplace({ksym: s}) - val)
            if diff != 0 and not is_zero(diff)[0]:
                raise DerivationError(
                    f"{what[j]} at the averaged pattern is not a polynomial of degree {degree} "
                    f"in `{size}`: interpolation from sizes {nodes} fails at {size} = {s}."
                )
    nred = len(ref.reduced.variables)
    red_eqs = fitted[:nred]
    lam = fitted[nred]
    nb = len(ref.classes)
    trivial = sp.Matrix(nb, nb, fitted[nred + 1 : nred + 1 + nb * nb])
    std_mult = sp.factor(fitted[-1])

    # the point with symbolic size: the candidate that matches the concrete points
    ivs_per = [_intervals(f, intervals) for f in flows]
    samples_per = [_param_samples(f, iv) for f, iv in zip(flows, ivs_per, strict=True)]
    concrete = [_select_point(loc, sm) for loc, sm in zip(locals_, samples_per, strict=True)]
    chosen = None
    for sol, fac in _point_candidates(ref.reduced.variables, red_eqs):
        ok = True
        for s, csol, sm in zip(sizes, concrete, samples_per, strict=True):
            for smp in sm:
                for u in sol:
                    a = _num(sol[u], {**smp, ksym: s})
                    c = _num(csol[u], smp)
                    if a is None or c is None or abs(a - c) > 1e-18 * max(1.0, abs(c)):
                        ok = False
        if ok:
            chosen = (sol, fac)
            break
    if chosen is None:
        raise DerivationError(
            f"no closed-form averaged point with symbolic `{size}` matches the concrete points."
        )
    sol, fac = chosen
    coords = {}
    for label, members in ref.classes:
        value = sp.sympify(ref.embedding[members[0]])
        coords[label] = sp.simplify(value.xreplace(sol)) if value.free_symbols else value
    eig, mult = _trivial_eigenvalues(
        trivial, [c for c, _ in ref.classes], lambda e: _at_point(e, sol, fac)
    )
    eig = {"standard": _at_point(lam, sol, fac), **eig}
    mult = {"standard": std_mult, **mult}

    ivs = ivs_per[0]
    same = all(iv[b] == ivs[b] for iv in ivs_per)
    others = [p for p in flows[0].parameters if p != b]
    ks = list(sizes) + (list(_EXTRA_SIZES) if same else [])
    contexts = []
    for kval in ks:
        base = {ksym: sp.Integer(kval)}
        if others:
            contexts += [{**base, **{p: smp[p] for p in others}} for smp in samples_per[0]]
        else:
            contexts.append(base)
    expr, reason = _solve_threshold(lam, sol, fac, b, ivs[b], contexts, max_ops)
    return SymbolicThreshold(parameter, point, expr, eig, mult, coords, size, reason)
