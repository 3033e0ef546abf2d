"""The symbols of a model's order parameters and its expression entries (shared by the flow, its
matrix form and the named points)."""

from __future__ import annotations

import sympy as sp

from fixedpoints.errors import ModelError
from fixedpoints.models import Model
from fixedpoints.models.naming import OrderParameterNames

__all__ = ["overlap_equations", "state_symbols"]


def state_symbols(model: Model) -> dict:
    """The overlap symbols of a model: ``{'Q': k×k Matrix, 'M': k×m Matrix, 'a': k×o Matrix,
    'variables': [...], 'latex': {...}}`` (diagonal of Q is 1 for spherical neurons)."""
    k, m, o = model.student.width, model.teacher.width, model.outputs
    sph = model.student.spherical
    names = OrderParameterNames.for_model(model)
    latex: dict[str, str] = {}
    variables: list[sp.Symbol] = []

    def sym(kind, *idx):
        n, lx = names.name(kind, *idx), names.latex(kind, *idx)
        latex[n] = lx
        s = sp.Symbol(n, real=True)
        variables.append(s)
        return s

    Q = sp.zeros(k, k)
    for i in range(k):
        for j in range(i, k):
            if i == j and sph:
                Q[i, i] = sp.Integer(1)
            else:
                Q[i, j] = Q[j, i] = sym("Q", i, j)
    M = sp.Matrix(k, m, lambda i, r: sym("M", i, r))
    params = {s: sp.Symbol(s, real=True) for s in model.free}
    if model.student.second_layer == "trainable":
        a = sp.Matrix(k, o, lambda i, c: sym("a", i, *((c,) if o > 1 else ())))
    else:
        a = sp.Matrix(k, o, lambda i, c: _expr(model.student.a[i][c], params, "student.a"))
    return {"Q": Q, "M": M, "a": a, "variables": variables, "latex": latex, "params": params}


def _expr(text: str, params: dict, where: str) -> sp.Expr:
    try:
        e = sp.sympify(text, locals={str(k): v for k, v in params.items()}, rational=True)
    except (sp.SympifyError, TypeError, SyntaxError) as e:
        raise ModelError(f"`{where}` entry {text!r} is not a valid expression ({e}).") from None
    # long decimals (e.g. rounded Gram entries) stay floats rather than huge exact rationals
    big = {r: sp.Float(r, 17) for r in e.atoms(sp.Rational) if r.q > 10**6}
    return e.xreplace(big) if big else e


def overlap_equations(Q, M, S, H, T, spherical: bool) -> dict:
    r"""``{Q_ij (i ≤ j, the symbols), M_ir: right-hand side}`` of the closed flow (DESIGN §1):
    :math:`X=SQ+HM^\top`, :math:`\dot Q=-(X+X^\top)`, :math:`\dot M=-(SM+HT)`, and for
    spherical neurons :math:`+\Lambda Q+Q\Lambda`, :math:`+\Lambda M` with
    :math:`\Lambda=\operatorname{diag}X_{ii}` (the diagonal of Q is then the constant 1)."""
    k, m = M.shape
    X = S * Q + H * M.T
    Qdot, Mdot = -(X + X.T), -(S * M + H * T)
    if spherical:
        Lam = sp.diag(*[X[i, i] for i in range(k)])
        Qdot, Mdot = Qdot + Lam * Q + Q * Lam, Mdot + Lam * M
    rhs: dict = {}
    for i in range(k):
        for j in range(i, k):
            if isinstance(Q[i, j], sp.Symbol):
                rhs[Q[i, j]] = Qdot[i, j]
        for r in range(m):
            rhs[M[i, r]] = Mdot[i, r]
    return rhs
