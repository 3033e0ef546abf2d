r"""Equations out: LaTeX ``align`` environments, plain text and JSON-ready dictionaries.

Pure functions: a flow in, a string or a dictionary out.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

__all__ = ["flow_to_json", "flow_to_latex", "flow_to_text", "matrix_form_to_latex"]


def flow_to_latex(flow, *, loss: bool = True, expand: bool = False) -> str:
    r"""A ready-to-paste LaTeX ``align`` environment.

    The full flow of a model is written in matrix form (:func:`matrix_form_to_latex`: the
    kernels once in closed form, :math:`S`, :math:`H` entry-wise through them, the matrix
    equations; its length does not grow with k). ``expand=True``, and flows reduced by an ansatz,
    give one line per variable: ``\dot{Q}_{12} &= ...``, then ``\mathcal{L} &= ...``.

    Examples
    --------
    >>> from fixedpoints.models import load_model
    >>> from fixedpoints.symbolic import derive
    >>> tex = flow_to_latex(derive(load_model("multi-index", {"k": 2, "n": 1})))
    >>> tex.splitlines()[0]
    '\\begin{align}'
    """
    if not expand and not flow.ansatz and flow.model is not None:
        return matrix_form_to_latex(flow.matrix_form(), loss=loss)
    return "\\begin{align}\n" + " \\\\\n".join(flow.latex_rows(loss=loss)) + "\n\\end{align}"


def flow_to_text(flow) -> str:
    """One line per equation, ``dQ_12/dt = ...``, then ``L = ...``."""
    lines = [f"d{v}/dt = {sp.sstr(e)}" for v, e in zip(flow.variables, flow.equations, strict=True)]
    lines.append(f"L = {sp.sstr(flow.loss)}")
    return "\n".join(lines)


class _SympifySafePrinter(StrPrinter):
    """``sstr`` that writes symbols whose names clash with SymPy's namespace (``beta``, ``S``,
    ``O``, ``E``, ``gamma``...) as ``Symbol('name')``, so plain :func:`sympy.sympify` parses them
    back as symbols."""

    def _print_Symbol(self, expr):
        name = expr.name
        if name in _SYMPY_NAMES:
            return f"Symbol('{name}')"
        return name


_SYMPY_NAMES = frozenset(vars(sp))


_to_text = _SympifySafePrinter().doprint


def flow_to_json(flow) -> dict:
    """``{"variables", "parameters", "equations": {name: expr}, "loss"}``; every expression is a
    string that :func:`sympy.sympify` parses."""
    return {
        "model": flow.model.name if flow.model is not None else None,
        "ansatz": flow.ansatz or None,
        "variables": [str(v) for v in flow.variables],
        "parameters": [str(p) for p in flow.parameters],
        "equations": {
            str(v): _to_text(e) for v, e in zip(flow.variables, flow.equations, strict=True)
        },
        "loss": _to_text(flow.loss),
        **({"functions": _functions(flow)} if flow.model is not None else {}),
    }


def _functions(flow) -> dict:
    """The quadrature kernels ``gk_<hash>_<p>_<q>`` the expressions use, each with its
    definition and how it is evaluated (none for closed-form kernels)."""
    out = {}
    for e in (*flow.equations, flow.loss):
        for f in sp.sympify(e).atoms(sp.Function):
            if hasattr(f, "describe"):  # a quadrature kernel (fixedpoints.kernels.quadrature)
                out.setdefault(type(f).__name__, f.describe())
    return dict(sorted(out.items()))


_Z = sp.Symbol("z")


def _activation_latex(act) -> str:
    return sp.latex(act if isinstance(act, sp.Basic) else sp.Function(str(act))(_Z))


def _text(name: str) -> str:
    """``name`` safe inside ``\\text{}``."""
    for ch in "\\{}$&#^_%~":
        name = name.replace(ch, "\\" + ch if ch not in "\\^~" else " ")
    return name


def _args(kind: str) -> str:
    return {
        "ss": r"(Q_{ii},Q_{jj},Q_{ij})",
        "st": r"(Q_{ii},T_{rr},M_{ir})",
    }[kind]


def _constant(name: str, M: sp.Matrix, index: str) -> str:
    r"""``a_i = 1`` for a constant vector, ``T = I_3``, ``T_{rr} = 1,\ T_{rs} = \beta`` for a
    constant diagonal and off-diagonal, else the matrix."""
    vals = set(M)
    if len(vals) == 1:
        return rf"{name}_{{{index}}} = {sp.latex(next(iter(vals)))}"
    if M.is_square and M.shape[0] > 1:
        diag = {M[i, i] for i in range(M.shape[0])}
        off = {M[i, j] for i in range(M.shape[0]) for j in range(M.shape[0]) if i != j}
        if len(diag) == 1 and len(off) == 1:
            d, o = next(iter(diag)), next(iter(off))
            if d == 1 and o == 0:
                return rf"{name} = I_{{{M.shape[0]}}}"
            r = index[0]
            return (
                rf"{name}_{{{r}{r}}} = {sp.latex(d)},\ {name}_{{{r}s}} = {sp.latex(o)}\ ({r}\neq s)"
            )
    return rf"{name} = {sp.latex(M)}"


def matrix_form_to_latex(form, *, loss: bool = True) -> str:
    r"""The matrix form (:mod:`fixedpoints.symbolic.matrix_form`) as a LaTeX ``align``
    environment: activations, the kernels :math:`K`, :math:`K_*` with :math:`\partial_AK`,
    :math:`\partial_PK` (and the self kernel) in closed form, the loss, the entries of
    :math:`S` and :math:`H`, the matrix equations and the constants :math:`c, a, b, T`.

    Examples
    --------
    >>> from fixedpoints.models import load_model
    >>> from fixedpoints.symbolic import derive
    >>> tex = matrix_form_to_latex(derive(load_model("soft-committee", {"k": 8, "m": 8})).matrix_form())
    >>> len(tex) < 4000, r"\dot Q &= -(X + X^\top)" in tex
    (True, True)
    """
    model = form.model
    rows = []
    names = (
        rf"\sigma(z) = {_activation_latex(form.sigma)}"
        if form.same
        else rf"\sigma(z) = {_activation_latex(form.sigma)},\quad "
        rf"\sigma_*(z) = {_activation_latex(form.tau)}"
    )
    rows.append(
        rf"&\text{{{_text(model.name)}: $k = {model.student.width}$ students, "
        rf"$m = {model.teacher.width}$ teachers}},\quad {names}"
    )
    kernels = []
    if form.square:
        kernels.append(("K", r"\sigma", form.kernel))
    if not (form.square and form.same):
        kernels.append(("K_*", r"\sigma" if form.same else r"\sigma_*", form.cross))
    for name, other, (value, dA, dP) in kernels:
        closed = (
            r",\ \text{no closed form (two-dimensional Gauss--Hermite quadrature)}"
            if form.quadrature
            else rf" = {sp.latex(value)}"
        )
        rows.append(
            rf"{name}(A,B,P) &= \mathbb E[\sigma(u)\,{other}(v)]{closed},\quad (u,v)\sim"
            r"\mathcal N\Big(0,\begin{pmatrix}A&P\\P&B\end{pmatrix}\Big)"
        )
        if form.quadrature:
            continue
        rows.append(
            rf"\partial_A {name} &= {sp.latex(dA)},\quad \partial_P {name} = {sp.latex(dP)}"
        )
    if form.square and form.same:
        rows.append(r"K_* &= K")
    if form.square:
        sv, sd = form.self_kernel
        rows.append(
            r"K_{\rm self}(A) &= \mathbb E[\sigma(u)^2],\ u\sim\mathcal N(0,A)"
            if form.quadrature
            else rf"K_{{\rm self}}(A) &= \mathbb E[\sigma(u)^2] = {sp.latex(sv)},\quad "
            rf"K_{{\rm self}}'(A) = {sp.latex(sd)}"
        )
    kss, kst = rf"K{_args('ss')}", rf"K_*{_args('st')}"
    # the loss scale is c, unless a parameter is (He3+c*He4): then c_L
    c = r"c_{\mathcal L}" if "c" in model.free else "c"
    if loss:
        cross = rf"\sum_{{i,r}}(ab^\top)_{{ir}}\,{kst}"
        if form.square:
            rows.append(
                rf"\mathcal L &= {c}\Big[\sum_{{i,j}}(aa^\top)_{{ij}}\tilde K_{{ij}} - 2{cross}"
                r" + \sum_{r,s}(bb^\top)_{rs}\,\mathbb E[\sigma_*(v_r)\sigma_*(v_s)]\Big],\quad "
                rf"\tilde K_{{ij}} = {kss}\ (i\neq j),\ \tilde K_{{ii}} = K_{{\rm self}}(Q_{{ii}})"
            )
        else:
            rows.append(rf"\mathcal L &= -{c}{cross}")
    f = rf"2{c}" if form.square else c
    cross_A = rf"\sum_r(ab^\top)_{{ir}}\,\partial_A {kst}"
    if form.square:
        rows.append(rf"S_{{ij}} &= {f}\,(aa^\top)_{{ij}}\,\partial_P {kss}\quad (i\neq j)")
        if not form.spherical:
            rows.append(
                rf"S_{{ii}} &= {f}\Big[(aa^\top)_{{ii}}K_{{\rm self}}'(Q_{{ii}}) + 2\sum_{{j\neq i}}"
                rf"(aa^\top)_{{ij}}\,\partial_A {kss} - 2{cross_A}\Big]"
            )
    elif not form.spherical:
        rows.append(rf"S_{{ij}} &= 0\ (i\neq j),\quad S_{{ii}} = -2{f}{cross_A}")
    else:
        rows.append(r"S &= 0")
    rows.append(rf"H_{{ir}} &= -{f}\,(ab^\top)_{{ir}}\,\partial_P {kst}")
    if form.spherical:
        rows.append(
            r"\dot Q &= -(X + X^\top) + \Lambda Q + Q\Lambda,\quad X = SQ + HM^\top,\quad "
            r"\Lambda = \operatorname{diag}(X_{ii}),\quad Q_{ii} = 1"
        )
        rows.append(r"\dot M &= -(SM + HT) + \Lambda M")
    else:
        rows.append(r"\dot Q &= -(X + X^\top),\quad X = SQ + HM^\top")
        rows.append(r"\dot M &= -(SM + HT)")
    if form.trainable:
        if form.square:
            rows.append(
                rf"\dot a_i &= -{f}\Big[\sum_j \tilde K_{{ij}}\,a_j - \sum_r {kst}\,b_r\Big]"
            )
        else:
            rows.append(rf"\dot a_i &= {f}\sum_r {kst}\,b_r")
    consts = [rf"{c} = {sp.latex(form.c)}"]
    if not form.trainable:
        consts.append(_constant("a", form.a, "i"))
    consts += [_constant("b", form.b, "r"), _constant("T", form.T, "rs")]
    rows.append(r"&\text{with } " + r",\quad ".join(consts))
    return "\\begin{align}\n" + " \\\\\n".join(rows) + "\n\\end{align}"
