r"""The population loss and the closed order-parameter flow of a two-layer model.

With overlaps :math:`Q=WW^\top` (k×k), :math:`M=WV^\top` (k×m), fixed :math:`T=VV^\top`, output weights
:math:`a_i, b_r \in \mathbb R^{o}` and pair kernels :math:`K_{\sigma\tau}(A,B,P)`:

.. math::

    \mathcal L = c\Big[\sum_{ij} a_i\!\cdot\! a_j K_{\sigma\sigma}(Q_{ii},Q_{jj},Q_{ij})
        - 2\sum_{ir} a_i\!\cdot\! b_r K_{\sigma\sigma_*}(Q_{ii},T_{rr},M_{ir})
        + \sum_{rs} b_r\!\cdot\! b_s K_{\sigma_*\sigma_*}(T_{rr},T_{ss},T_{rs})\Big]

(square loss, :math:`c=\tfrac12` by default; diagonal terms use the one-variable self kernel), or
:math:`\mathcal L=-c\sum_{ir}a_i\cdot b_r K_{\sigma\sigma_*}` (correlation loss). With
:math:`G=\partial\mathcal L/\partial Q` (entries independent), :math:`S=G+G^\top`,
:math:`H=\partial\mathcal L/\partial M`, gradient flow :math:`\dot W=-(SW+HV)` closes on the overlaps:

.. math::

    \dot Q=-(SQ+HM^\top)-(QS+MH^\top),\qquad \dot M=-(SM+HT),\qquad \dot a_i=-\partial\mathcal L/\partial a_i .

Spherical neurons add :math:`\Lambda W` with :math:`\Lambda=\operatorname{diag}((SQ+HM^\top)_{ii})`, and
the diagonal of :math:`S` drops out. :math:`S` and :math:`H` are *assembled* from the kernel's partial
derivatives (derived once per activation pair), never by differentiating :math:`\mathcal L`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from fixedpoints.errors import ModelError
from fixedpoints.kernels import A, B, P, pair_kernel, parse_activation
from fixedpoints.models import Model
from fixedpoints.symbolic.state import _expr, overlap_equations, state_symbols

__all__ = ["OrderParameterFlow", "derive", "state_symbols"]


@dataclass(frozen=True)
class OrderParameterFlow:
    r"""The derived order-parameter ODE :math:`\dot x = F(x)` and loss :math:`\mathcal L(x)`.

    Attributes
    ----------
    variables : tuple of sympy.Symbol
        State variables (upper-triangular ``Q`` entries, ``M`` entries, trainable ``a`` entries; or
        the reduced variables of an ansatz).
    equations : tuple of sympy.Expr
        Right-hand sides, aligned with ``variables``.
    loss : sympy.Expr
        Population loss in the same variables.
    parameters : tuple of sympy.Symbol
        Free symbolic parameters (e.g. ``beta``).
    latex_names : tuple of (str, str)
        Symbol name -> LaTeX name.
    model : Model
        The model it was derived from.
    ansatz : str
        Name of the ansatz the flow was reduced by ('' for the full flow).
    """

    variables: tuple
    equations: tuple
    loss: sp.Expr
    parameters: tuple
    latex_names: tuple = ()
    model: Model | None = field(default=None, compare=False)
    ansatz: str = ""

    def __post_init__(self):
        if len(self.variables) != len(self.equations):
            raise ModelError("a flow needs one equation per variable.")

    @property
    def dimension(self) -> int:
        """Number of state variables."""
        return len(self.variables)

    @property
    def names(self) -> tuple[str, ...]:
        """Variable names (strings)."""
        return tuple(str(v) for v in self.variables)

    def equation(self, name: str) -> sp.Expr:
        """Right-hand side of ``d name / dt``."""
        return dict(zip(self.names, self.equations, strict=True))[name]

    def symbol_latex(self) -> dict:
        """``{Symbol: latex}`` for :func:`sympy.latex` ``symbol_names``."""
        lookup = dict(self.latex_names)
        out = {v: lookup[str(v)] for v in self.variables if str(v) in lookup}
        for s in self.loss.free_symbols | set().union(*(e.free_symbols for e in self.equations)):
            if str(s) in lookup:
                out[s] = lookup[str(s)]
        return out

    def latex_rows(self, *, loss: bool = True) -> list[str]:
        r"""One ``align`` row per equation, ``\dot{Q}_{12} &= ...``, then ``\mathcal{L} &= ...``."""
        names = self.symbol_latex()
        rows = []
        for v, e in zip(self.variables, self.equations, strict=True):
            head, _, idx = names.get(v, sp.latex(v)).partition("_")
            lhs = rf"\dot{{{head}}}_{idx}" if idx else rf"\dot{{{head}}}"
            rows.append(rf"{lhs} &= {sp.latex(e, symbol_names=names)}")
        if loss:
            rows.append(rf"\mathcal{{L}} &= {sp.latex(self.loss, symbol_names=names)}")
        return rows

    def matrix_form(self):
        """The model's flow in matrix form (:func:`fixedpoints.symbolic.matrix_form.matrix_form`:
        named kernels, S and H entry-wise, the matrix equations); needs ``model``."""
        from fixedpoints.symbolic.matrix_form import matrix_form

        if self.model is None:
            raise ModelError("a flow without its model has no matrix form.")
        return matrix_form(self.model)

    def __repr__(self) -> str:
        names = self.names
        shown = ", ".join(names[:4]) + (f", … {len(names) - 4} more" if len(names) > 4 else "")
        model = f"{self.model.name!r}, " if self.model is not None else ""
        params = f", parameters={[str(p) for p in self.parameters]}" if self.parameters else ""
        ansatz = f", ansatz={self.ansatz!r}" if self.ansatz else ""
        return f"OrderParameterFlow({model}{len(names)} variables ({shown}){params}{ansatz})"

    def _repr_latex_(self) -> str:
        return "$$\\begin{aligned}" + r" \\ ".join(self.latex_rows()) + r"\end{aligned}$$"


def derive(model: Model) -> OrderParameterFlow:
    r"""Derive the population loss and the closed order-parameter ODEs of ``model``.

    Parameters
    ----------
    model : Model
        Student, teacher and loss description.

    Returns
    -------
    OrderParameterFlow
        Variables (``Q_ij`` for i <= j, ``M_ir``, trainable ``a_i``), their time derivatives
        under gradient flow :math:`\dot W=-\nabla_W\mathcal L` and the loss.

    Notes
    -----
    Cost: one kernel derivation per activation pair, then :math:`O(k^2+km)` substitutions
    (``xreplace``) and two small matrix products; no expression is differentiated or simplified.

    Examples
    --------
    >>> from fixedpoints.models import load_model
    >>> flow = derive(load_model("multi-index", {"k": 2, "n": 1, "target": "He3"}))
    >>> flow.names
    ('M_11', 'M_12')
    """
    st = state_symbols(model)
    Q, M, a, params = st["Q"], st["M"], st["a"], st["params"]
    k, m = model.student.width, model.teacher.width
    sph = model.student.spherical
    T = sp.Matrix(m, m, lambda r, s: _expr(model.teacher.overlap[r][s], params, "teacher.overlap"))
    b = sp.Matrix(m, model.outputs, lambda r, c: _expr(model.teacher.b[r][c], params, "teacher.b"))
    c = _expr(model.loss.scale, params, "loss.scale")
    sigma = parse_activation(model.student.activation, name="student.activation")
    tau = parse_activation(model.teacher.activation, name="teacher.activation")
    square = model.loss.kind == "square"
    Kst = pair_kernel(sigma, tau)

    def at(expr, x, y, p):
        return expr.xreplace({A: x, B: y, P: p})

    def dot(u, v):
        return (u * v.T)[0, 0]

    ai = [a[i, :] for i in range(k)]
    br = [b[r, :] for r in range(m)]
    ab = [[dot(ai[i], br[r]) for r in range(m)] for i in range(k)]
    st_val, st_A, st_P = Kst.value, Kst.derivative(1, 0, 0), Kst.derivative(0, 0, 1)

    cross = sp.Add(
        *[ab[i][r] * at(st_val, Q[i, i], T[r, r], M[i, r]) for i in range(k) for r in range(m)]
    )
    H = sp.Matrix(k, m, lambda i, r: -ab[i][r] * at(st_P, Q[i, i], T[r, r], M[i, r]))
    S_diag_cross = [
        sp.Add(*[ab[i][r] * at(st_A, Q[i, i], T[r, r], M[i, r]) for r in range(m)])
        for i in range(k)
    ]
    S = sp.zeros(k, k)
    if square:
        Kss, Ktt = pair_kernel(sigma, sigma), pair_kernel(tau, tau)
        ss_val, ss_A, ss_P = Kss.value, Kss.derivative(1, 0, 0), Kss.derivative(0, 0, 1)
        self_val, self_d = Kss.self_value(), Kss.self_derivative(1)
        aa = [[dot(ai[i], ai[j]) for j in range(k)] for i in range(k)]
        student = sp.Add(
            *[aa[i][i] * self_val.xreplace({A: Q[i, i]}) for i in range(k)]
        ) + 2 * sp.Add(
            *[
                aa[i][j] * at(ss_val, Q[i, i], Q[j, j], Q[i, j])
                for i in range(k)
                for j in range(i + 1, k)
            ]
        )
        tt_self, tt_val = Ktt.self_value(), Ktt.value
        teacher = sp.Add(*[dot(br[r], br[r]) * tt_self.xreplace({A: T[r, r]}) for r in range(m)])
        teacher += 2 * sp.Add(
            *[
                dot(br[r], br[s]) * at(tt_val, T[r, r], T[s, s], T[r, s])
                for r in range(m)
                for s in range(r + 1, m)
            ]
        )
        loss = c * (student - 2 * cross + teacher)
        H = 2 * c * H
        for i in range(k):
            for j in range(k):
                if i != j:
                    S[i, j] = 2 * c * aa[i][j] * at(ss_P, Q[i, i], Q[j, j], Q[i, j])
            if not sph:
                S[i, i] = (
                    2
                    * c
                    * (
                        aa[i][i] * self_d.xreplace({A: Q[i, i]})
                        + 2
                        * sp.Add(
                            *[
                                aa[i][j] * at(ss_A, Q[i, i], Q[j, j], Q[i, j])
                                for j in range(k)
                                if j != i
                            ]
                        )
                        - 2 * S_diag_cross[i]
                    )
                )
        grad_a = [
            2
            * c
            * (
                ai[i] * self_val.xreplace({A: Q[i, i]})
                + sum(
                    (ai[j] * at(ss_val, Q[i, i], Q[j, j], Q[i, j]) for j in range(k) if j != i),
                    sp.zeros(1, model.outputs),
                )
                - sum(
                    (br[r] * at(st_val, Q[i, i], T[r, r], M[i, r]) for r in range(m)),
                    sp.zeros(1, model.outputs),
                )
            )
            for i in range(k)
        ]
    else:
        loss = -c * cross
        H = c * H
        if not sph:
            for i in range(k):
                S[i, i] = -2 * c * S_diag_cross[i]
        grad_a = [
            -c
            * sum(
                (br[r] * at(st_val, Q[i, i], T[r, r], M[i, r]) for r in range(m)),
                sp.zeros(1, model.outputs),
            )
            for i in range(k)
        ]

    rhs = overlap_equations(Q, M, S, H, T, sph)
    if model.student.second_layer == "trainable":
        for i in range(k):
            for col in range(model.outputs):
                rhs[a[i, col]] = -grad_a[i][0, col]
    variables = tuple(st["variables"])
    return OrderParameterFlow(
        variables=variables,
        equations=tuple(rhs[v] for v in variables),
        loss=loss,
        parameters=tuple(params[n] for n in model.free),
        latex_names=tuple(sorted(st["latex"].items())),
        model=model,
    )
