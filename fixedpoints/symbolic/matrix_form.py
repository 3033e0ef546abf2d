r"""The order-parameter flow in matrix form: named kernels, the entries of :math:`S` and :math:`H`
through them, and the matrix products of DESIGN §1 — what a paper writes, independent of k.

With the pair kernels :math:`K=K_{\sigma\sigma}`, :math:`K_*=K_{\sigma\sigma_*}` evaluated at
:math:`(Q_{ii},Q_{jj},Q_{ij})` and :math:`(Q_{ii},T_{rr},M_{ir})`, scale :math:`c` and
:math:`f=2c` (square loss) or :math:`c` (correlation loss):

.. math::

    S_{ij}=f\,(aa^\top)_{ij}\,\partial_PK_{ij}\ (i\ne j),\qquad
    S_{ii}=f\Big[(aa^\top)_{ii}K_{\rm self}'(Q_{ii})+2\sum_{j\ne i}(aa^\top)_{ij}\partial_AK_{ij}
    -2\sum_r(ab^\top)_{ir}\partial_AK_{*,ir}\Big],\qquad
    H_{ir}=-f\,(ab^\top)_{ir}\,\partial_PK_{*,ir},

.. math::

    \dot Q=-(X+X^\top),\quad X=SQ+HM^\top,\qquad \dot M=-(SM+HT),\qquad
    \dot a_i=-f\Big[\sum_j\tilde K_{ij}a_j-\sum_r K_{*,ir}b_r\Big]

(:math:`\tilde K_{ii}=K_{\rm self}(Q_{ii})`; the correlation loss keeps only the terms with
:math:`K_*`, with the signs of :math:`-c\sum_{ir}(ab^\top)_{ir}K_{*,ir}`; spherical neurons drop
:math:`S_{ii}` and add :math:`\Lambda Q+Q\Lambda`, :math:`\Lambda M` with
:math:`\Lambda=\operatorname{diag}X_{ii}`). :func:`matrix_form` collects the pieces of a model as
SymPy expressions; :meth:`MatrixForm.assemble` rebuilds the per-entry equations from them, which
the tests compare with :func:`~fixedpoints.symbolic.derive` (the printed form is the derived one).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from fixedpoints.kernels import A, B, P, pair_kernel, parse_activation, quadrature_functions
from fixedpoints.models import Model
from fixedpoints.symbolic.state import _expr, overlap_equations, state_symbols

__all__ = ["MatrixForm", "matrix_form"]


@dataclass(frozen=True)
class MatrixForm:
    """The pieces of a model's flow in matrix form (module docstring).

    Attributes
    ----------
    model : Model
    sigma, tau : sympy.Expr or str
        Student and teacher activations (parsed).
    same : bool
        σ = σ*: one kernel K for both pair types.
    kernel, cross : (value, ∂_A, ∂_P) of sympy.Expr in (A, B, P)
        :math:`K_{\\sigma\\sigma}` (None for the correlation loss) and :math:`K_{\\sigma\\sigma_*}`.
    self_kernel : (value, derivative) in A, or None
    quadrature : bool
        The kernels have no closed form (numeric Gauss–Hermite quadrature).
    c : sympy.Expr
        Loss scale.
    a, b, T : sympy.Matrix
        Second layers (``a`` of symbols when trainable) and teacher overlaps.
    square, spherical, trainable : bool
    """

    model: Model
    sigma: object
    tau: object
    same: bool
    kernel: tuple | None
    cross: tuple
    self_kernel: tuple | None
    quadrature: bool
    c: sp.Expr
    a: sp.Matrix
    b: sp.Matrix
    T: sp.Matrix
    square: bool
    spherical: bool
    trainable: bool

    @property
    def f(self) -> sp.Expr:
        """:math:`2c` (square loss) or :math:`c` (correlation loss)."""
        return 2 * self.c if self.square else self.c

    def assemble(self) -> dict:
        """``{variable: right-hand side}`` rebuilt from the matrix form (the check of the printed
        formulas against :func:`~fixedpoints.symbolic.derive`)."""
        st = state_symbols(self.model)
        Q, M, a = st["Q"], st["M"], st["a"]
        k, m = Q.shape[0], M.shape[1]
        aa, ab = a * a.T, a * self.b.T
        f = self.f

        def at(e, x, y, p):
            return e.xreplace({A: x, B: y, P: p})

        kv, kA, kP = self.cross
        S, H = sp.zeros(k, k), sp.zeros(k, m)
        for i in range(k):
            for r in range(m):
                H[i, r] = -f * ab[i, r] * at(kP, Q[i, i], self.T[r, r], M[i, r])
            cross_A = sum(ab[i, r] * at(kA, Q[i, i], self.T[r, r], M[i, r]) for r in range(m))
            if self.square:
                sv, sA, sP = self.kernel
                for j in range(k):
                    if j != i:
                        S[i, j] = f * aa[i, j] * at(sP, Q[i, i], Q[j, j], Q[i, j])
                own = aa[i, i] * self.self_kernel[1].xreplace({A: Q[i, i]})
                pairs = sum(
                    aa[i, j] * at(sA, Q[i, i], Q[j, j], Q[i, j]) for j in range(k) if j != i
                )
                S[i, i] = f * (own + 2 * pairs - 2 * cross_A)
            else:
                S[i, i] = -2 * f * cross_A
        if self.spherical:
            for i in range(k):
                S[i, i] = 0
        rhs = overlap_equations(Q, M, S, H, self.T, self.spherical)
        if self.trainable:
            for i in range(k):
                for col in range(a.shape[1]):
                    Kb = sum(
                        self.b[r, col] * at(kv, Q[i, i], self.T[r, r], M[i, r]) for r in range(m)
                    )
                    if self.square:
                        sv = self.kernel[0]
                        Ka = sum(
                            a[j, col]
                            * (
                                self.self_kernel[0].xreplace({A: Q[i, i]})
                                if j == i
                                else at(sv, Q[i, i], Q[j, j], Q[i, j])
                            )
                            for j in range(k)
                        )
                        rhs[a[i, col]] = -f * (Ka - Kb)
                    else:
                        rhs[a[i, col]] = f * Kb
        return rhs


def matrix_form(model: Model) -> MatrixForm:
    """The matrix form of ``model``'s flow (module docstring).

    >>> from fixedpoints.models import load_model
    >>> form = matrix_form(load_model("soft-committee", {"k": 3, "m": 3}))
    >>> form.same, form.square, str(form.c)
    (True, True, '1/2')
    """
    params = {s: sp.Symbol(s, real=True) for s in model.free}
    sigma = parse_activation(model.student.activation, name="student.activation")
    tau = parse_activation(model.teacher.activation, name="teacher.activation")
    square = model.loss.kind == "square"

    def jet(kernel):
        return (kernel.value, kernel.derivative(1, 0, 0), kernel.derivative(0, 0, 1))

    Kst = pair_kernel(sigma, tau)
    kernel = self_kernel = None
    if square:
        Kss = pair_kernel(sigma, sigma)
        kernel = jet(Kss)
        self_kernel = (Kss.self_value(), Kss.self_derivative(1))
    cross = jet(Kst)
    quad = any(quadrature_functions(sp.sympify(e)) for e in (*cross, *(kernel or ())))
    m, o = model.teacher.width, model.outputs
    trainable = model.student.second_layer == "trainable"
    a = (
        state_symbols(model)["a"]
        if trainable
        else sp.Matrix(
            model.student.width,
            o,
            lambda i, c: _expr(model.student.a[i][c], params, "student.a"),
        )
    )
    return MatrixForm(
        model=model,
        sigma=sigma,
        tau=tau,
        same=sigma == tau,
        kernel=kernel,
        cross=cross,
        self_kernel=self_kernel,
        quadrature=quad,
        c=_expr(model.loss.scale, params, "loss.scale"),
        a=a,
        b=sp.Matrix(m, o, lambda r, c: _expr(model.teacher.b[r][c], params, "teacher.b")),
        T=sp.Matrix(
            m, m, lambda r, s: _expr(model.teacher.overlap[r][s], params, "teacher.overlap")
        ),
        square=square,
        spherical=model.student.spherical,
        trainable=trainable,
    )
