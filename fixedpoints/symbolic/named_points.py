r"""Named fixed points of an order-parameter flow, exactly: the *averaged* point and the Jacobian
at it, split by the symmetry of the point.

A *named point* is a fixed point defined by a symmetry pattern and found symbolically. The
``averaged`` point has every student equal and every student–teacher overlap equal and positive:
:math:`M_{ir}=\mu>0`, :math:`Q_{ij}=1` (spherical students; :math:`Q_{ij}=q` otherwise), trainable
output weights :math:`a_i=A`. For the multi-index model (:math:`n=1`, equiangular
:math:`G=(1-\beta)I+\beta\mathbf 1\mathbf 1^\top`, :math:`\varphi(t)=\sum_p c_p^2p!\,t^p`) it is
:math:`\bar w=\sum_j v_j/\lVert\sum_j v_j\rVert`, :math:`\mu^2=(1+(k-1)\beta)/k`.

At such a point the Jacobian commutes with the point's symmetry group, so it splits into a
*standard* component (the direction :math:`M_{i1}-M_{i2}`, one eigenvalue of multiplicity
:math:`m-1`) and a *trivial* block (one basis vector per class of variables);
:class:`AveragedPattern` holds both with the reduced coordinates symbolic (the formulas and the
multi-index example: :mod:`fixedpoints.symbolic.threshold`).

Everything here is bounded: point equations are handled as polynomials (:class:`sympy.Poly`,
:func:`sympy.roots` on factors of degree <= 4, exact real-root counting); nothing calls an
unbounded :func:`sympy.solve` on a large expression. The threshold solve built on these:
:mod:`fixedpoints.symbolic.threshold`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from fixedpoints.errors import AnsatzError, DerivationError, ParameterError
from fixedpoints.symbolic.algebra import DIGITS, number, polynomial, rationalize
from fixedpoints.symbolic.ansatz import Ansatz, is_zero, reduce_flow
from fixedpoints.symbolic.flow import OrderParameterFlow
from fixedpoints.symbolic.ranges import parameter_interval, sample_values
from fixedpoints.symbolic.state import _expr, state_symbols

__all__ = [
    "POINTS",
    "AveragedPattern",
    "averaged_pattern",
    "check_point",
    "defining_factor",
    "intervals_of",
    "named_point",
    "named_points",
    "parameter_samples",
    "parameter_symbol",
    "point_candidates",
    "select_point",
]

POINTS = ("averaged",)
_ROOT_DEGREE = 4  # largest factor degree handed to sympy.roots for the point


def check_point(flow: OrderParameterFlow, point: str) -> None:
    """Refuse a point name that ``flow`` has no pattern for (naming ``point``)."""
    if point not in named_points(flow):
        names = ", ".join(repr(p) for p in named_points(flow)) or "(none for this flow)"
        raise ParameterError(f"`point` must be one of {names}; got {point!r}.")


def parameter_symbol(flow: OrderParameterFlow, parameter: str) -> sp.Symbol:
    """The SymPy symbol of the free parameter named ``parameter``."""
    by_name = {str(p): p for p in flow.parameters}
    if parameter not in by_name:
        allowed = ", ".join(by_name) or "(none: every parameter of this model is set)"
        raise ParameterError(
            f"`parameter` must be a free parameter of the model; allowed: {allowed}; "
            f"got {parameter!r}."
        )
    return by_name[parameter]


@dataclass(frozen=True)
class AveragedPattern:
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


def averaged_pattern(flow: OrderParameterFlow) -> AveragedPattern:
    """The averaged pattern of ``flow`` (reduced flow, standard eigenvalue, trivial block)."""
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
    equations = [rationalize(e) for e in flow.equations]
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
    return AveragedPattern(
        flow=flow,
        reduced=reduced,
        embedding=embedding,
        classes=classes,
        positive=tuple(syms[s] for s in positive if s in syms),
        standard=standard,
        std_multiplicity=m - 1,
        trivial=trivial,
    )


def point_candidates(reduced_vars, equations) -> list[tuple[dict, sp.Expr | None]]:
    """All closed-form solutions of the reduced fixed-point equations, each with the irreducible
    factor it comes from (univariate case) or None."""
    equations = [sp.numer(sp.together(rationalize(e))) for e in equations]
    if len(reduced_vars) == 1:
        u = reduced_vars[0]
        polys = [p for e in equations if (p := polynomial(e, [u])) is not None and not p.is_zero]
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
            pf = polynomial(f, [u])
            if pf is None or pf.degree() < 1 or pf.degree() > _ROOT_DEGREE:
                continue
            rts = sp.roots(pf, multiple=False)
            if sum(rts.values()) != pf.degree():
                continue
            out += [({u: r}, f) for r in rts]
        return out
    if any(polynomial(e, reduced_vars) is None for e in equations):
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


def _valid_at(local: AveragedPattern, sol: dict, subs: dict) -> float | None:
    """The loss at the candidate if it is real, positive where required and inside the span of
    the teacher for spherical students (else None)."""
    vals = {}
    for u, e in sol.items():
        z = number(e, subs)
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
                [[sp.Float(vals[local.embedding[x]], DIGITS) for x in _first_student_m(local)]]
            )
            norm = (mrow * T.inv() * mrow.T)[0, 0]
            if abs(float(norm) - 1.0) > 1e-10:
                return None
    loss = number(local.reduced.loss.xreplace(sol), subs)
    return None if loss is None else loss.real


def _first_student_m(local: AveragedPattern):
    M = state_symbols(local.flow.model)["M"]
    return [M[0, r] for r in range(M.shape[1])]


def select_point(local: AveragedPattern, samples: list[dict]) -> dict:
    """The closed-form point among the candidates: real, positive where required, in the
    teacher span (spherical students), lowest loss at the test values."""
    cands = point_candidates(local.reduced.variables, local.reduced.equations)
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


def parameter_samples(flow: OrderParameterFlow, intervals: dict) -> list[dict]:
    """Three assignments of rational test values to the free parameters."""
    per = {p: sample_values(intervals[p]) for p in flow.parameters}
    return [{p: per[p][j] for p in flow.parameters} for j in range(3)]


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
    check_point(flow, point)
    local = averaged_pattern(flow)
    sol = select_point(local, parameter_samples(flow, intervals_of(flow, intervals)))
    return {str(v): sp.sympify(e).xreplace(sol) for v, e in local.embedding.items()}


def intervals_of(flow: OrderParameterFlow, given: dict | None) -> dict:
    """Parameter symbol -> interval (:func:`~fixedpoints.symbolic.ranges.parameter_interval`)."""
    given = given or {}
    return {p: parameter_interval(flow.model, str(p), given.get(str(p))) for p in flow.parameters}


def defining_factor(reduced_vars, equations, sol, samples) -> sp.Expr | None:
    """The irreducible factor of the (univariate) point equation that the chosen root solves."""
    if len(reduced_vars) != 1:
        return None
    (u,) = reduced_vars
    for s, f in point_candidates(reduced_vars, equations):
        if all(
            (a := number(s[u], smp)) is not None
            and (c := number(sol[u], smp)) is not None
            and abs(a - c) < 1e-20 * max(1.0, abs(c))
            for smp in samples
        ):
            return f
    return None  # pragma: no cover
