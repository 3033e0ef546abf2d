r"""Ansätze (reductions) and symmetry checks of a derived flow.

An *ansatz* maps every state variable to one reduced symbol or a constant, e.g. the ``symmetric``
ansatz sets all diagonal overlaps :math:`Q_{ii}=q`, all off-diagonal :math:`Q_{ij}=c`, and (for k = m)
:math:`M_{ii}=r`, :math:`M_{ir}=s`. The ansatz subspace :math:`\{x=\phi(\xi)\}` is invariant under
:math:`\dot x=F(x)` iff :math:`F(\phi(\xi))` lies in its tangent space, i.e. for this *partition*
form iff all variables sent to the same symbol get equal right-hand sides and variables sent to a
constant get zero. :func:`reduce_flow` verifies exactly that, symbolically, and refuses otherwise.

Zero tests are symbolic first (canonical SymPy forms usually collapse to ``0``); an expression that is
not structurally zero is evaluated at random points with 30 digits, and declared non-zero if any
value exceeds ``1e-20``; otherwise :func:`sympy.simplify` must confirm it, or the result records
``'numeric'`` as the method.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from fixedpoints.errors import AnsatzError, ParameterError
from fixedpoints.models.naming import OrderParameterNames, indexed_name
from fixedpoints.symbolic.flow import OrderParameterFlow

__all__ = [
    "Ansatz",
    "ansatz_names",
    "make_ansatz",
    "reduce_flow",
    "is_zero",
    "check_equivariance",
    "check_permutation_equivariance",
    "fixed_point_ansatz",
]


@dataclass(frozen=True)
class Ansatz:
    """A partition ansatz: ``assignment`` maps each variable name to a reduced symbol name or a
    constant (string); ``latex`` gives LaTeX names of the reduced symbols."""

    name: str
    assignment: tuple[tuple[str, str], ...]
    latex: tuple[tuple[str, str], ...] = ()


def ansatz_names() -> tuple[str, ...]:
    """Built-in ansatz names (``block:p1,p2,...`` takes block sizes)."""
    return ("symmetric", "block:p1,p2,...", "diagonal")


def _blocks(spec: str, k: int, name: str = "ansatz") -> list[int]:
    try:
        sizes = [int(s) for s in spec.split(",") if s.strip()]
    except ValueError:
        raise ParameterError(f"`{name}` block sizes must be integers; got {spec!r}.") from None
    if not sizes or any(s < 1 for s in sizes) or sum(sizes) != k:
        raise ParameterError(
            f"`{name}` block sizes must be positive and sum to the student width {k}; got {spec!r}."
        )
    out = []
    for b, s in enumerate(sizes):
        out += [b] * s
    return out


def make_ansatz(name: str, flow: OrderParameterFlow) -> Ansatz:
    """Build a built-in ansatz for ``flow``'s model.

    ``symmetric``: one block. ``block:p1,...,pr``: student neurons in consecutive blocks (and the
    same partition of teacher neurons when k = m): :math:`Q_{ii}=D_a`, :math:`Q_{ij}=O_a` inside block
    a, :math:`Q_{ij}=C_{ab}` across; :math:`M_{ii}=R_a`, :math:`M_{ir}=S_a` (same block),
    :math:`M_{ir}=X_{ab}` (other block; or :math:`R_a` for all r when k != m); :math:`a_i=A_a`.
    ``diagonal``: off-diagonal overlaps zero, all diagonal ones equal (k = m).
    """
    model = flow.model
    if model is None:
        raise AnsatzError("this flow has no model attached; build the ansatz by hand.")
    k, m = model.student.width, model.teacher.width
    if name == "symmetric":
        blocks = [0] * k
    elif name.startswith("block:"):
        blocks = _blocks(name[6:], k)
    elif name == "diagonal":
        blocks = None
    else:
        raise ParameterError(f"unknown ansatz {name!r}; allowed: {', '.join(ansatz_names())}.")
    same = k == m
    assign: dict[str, str] = {}
    latex: dict[str, str] = {}
    multi = blocks is not None and len(set(blocks)) > 1
    names = OrderParameterNames.for_model(model)
    # reduced symbols carry block indices; one scheme for all of them (blocks and outputs < 10)
    compact = max(len(set(blocks or [0])), model.outputs) < 10

    def red(prefix, *idx):
        n, lx = indexed_name(prefix, idx, compact=compact) if (multi and idx) else (prefix, prefix)
        latex[n] = lx
        return n

    for i in range(k):
        for j in range(i, k):
            n = names.Q(i, j)
            if blocks is None:
                assign[n] = "q" if i == j else "0"
                latex["q"] = "q"
            elif i == j:
                assign[n] = red("D", blocks[i] + 1)
            elif blocks[i] == blocks[j]:
                assign[n] = red("O", blocks[i] + 1)
            else:
                assign[n] = red("C", *sorted((blocks[i] + 1, blocks[j] + 1)))
        for r in range(m):
            n = names.M(i, r)
            if blocks is None:
                if not same:
                    raise ParameterError("the `diagonal` ansatz needs k = m.")
                assign[n] = "r" if i == r else "0"
                latex["r"] = "r"
            elif not same:
                assign[n] = red("R", blocks[i] + 1)
            elif i == r:
                assign[n] = red("R", blocks[i] + 1)
            elif blocks[i] == blocks[r]:
                assign[n] = red("S", blocks[i] + 1)
            else:
                assign[n] = red("X", blocks[i] + 1, blocks[r] + 1)
        if model.student.second_layer == "trainable":
            g = 0 if blocks is None else blocks[i]
            for col in range(model.outputs):
                extra = (col + 1,) if model.outputs > 1 else ()
                if extra:
                    target = indexed_name("A", (g + 1, *extra), compact=compact)[0]
                else:
                    target = red("A", g + 1)
                latex.setdefault(target, target)
                assign[names.a(i, col)] = target
    clash = sorted(set(assign.values()) & {str(p) for p in flow.parameters})
    if clash:
        raise AnsatzError(
            f"ansatz {name!r} would name reduced variables {clash} like free parameters of the "
            "model; rename those parameters."
        )
    assignment = tuple((v, assign[v]) for v in flow.names if v in assign)
    missing = [v for v in flow.names if v not in assign]
    if missing:
        raise AnsatzError(f"ansatz {name!r} does not cover the variables {missing}.")
    return Ansatz(name=name, assignment=assignment, latex=tuple(sorted(latex.items())))


def is_zero(expr: sp.Expr, *, seed: int = 0, probes: int = 3) -> tuple[bool, str]:
    """Decide whether ``expr`` is identically zero.

    Returns
    -------
    (bool, method)
        ``method`` is ``'structural'``, ``'simplify'`` or ``'numeric'`` (zero to 1e-20 at ``probes``
        random points with 30 digits, too large for :func:`sympy.simplify` to confirm).
    """
    if expr == 0:
        return True, "structural"
    rng = random.Random(seed)
    syms = sorted(expr.free_symbols, key=str)
    for _ in range(probes):
        pt = {s: sp.Rational(rng.randint(100, 600), 1000) for s in syms}
        val = expr.xreplace(pt).evalf(30)
        if not val.is_number or abs(complex(val)) > 1e-20:
            return False, "numeric"
    if sp.count_ops(expr) < 400:
        try:
            if sp.simplify(expr) == 0:
                return True, "simplify"
        except (TypeError, ValueError, RecursionError):  # pragma: no cover
            pass
    return True, "numeric"


def reduce_flow(flow: OrderParameterFlow, ansatz: Ansatz | str) -> OrderParameterFlow:
    """Substitute an ansatz and verify that its subspace is invariant under the flow.

    Raises
    ------
    AnsatzError
        If two variables in the same class get different right-hand sides, or a variable fixed to
        a constant has a non-zero one (the message names them).
    """
    if isinstance(ansatz, str):
        ansatz = make_ansatz(ansatz, flow)
    assign = dict(ansatz.assignment)
    targets = {v: _target(assign[str(v)]) for v in flow.variables}
    subs = {v: sign * sym for v, (sign, sym) in targets.items()}
    reduced = [flow.equations[i].xreplace(subs) for i in range(flow.dimension)]
    classes: dict = {}
    for v, e in zip(flow.variables, reduced, strict=True):
        sign, target = targets[v]
        if isinstance(target, sp.Symbol):
            classes.setdefault(target, []).append((v, sign * e))
        else:
            ok, _ = is_zero(e)
            if not ok:
                raise AnsatzError(
                    f"ansatz {ansatz.name!r} is not invariant: it fixes {v} = {target} but "
                    f"d{v}/dt != 0 on the ansatz subspace."
                )
    variables, equations = [], []
    for sym, members in classes.items():
        v0, e0 = members[0]
        for v, e in members[1:]:
            ok, _ = is_zero(e - e0)
            if not ok:
                raise AnsatzError(
                    f"ansatz {ansatz.name!r} is not invariant: {v0} and {v} are both set to {sym} "
                    f"but d{v0}/dt != d{v}/dt on the ansatz subspace."
                )
        variables.append(sym)
        equations.append(e0)
    return OrderParameterFlow(
        variables=tuple(variables),
        equations=tuple(equations),
        loss=flow.loss.xreplace(subs),
        parameters=flow.parameters,
        latex_names=tuple(sorted(dict(ansatz.latex).items())),
        model=flow.model,
        ansatz=ansatz.name,
    )


def _target(text: str):
    """(sign, reduced symbol) of an assignment ``"xi"`` or ``"-xi"``, or (1, constant)."""
    text = str(text).strip()
    body = text[1:].strip() if text.startswith("-") else text
    if body.isidentifier():
        return (-1 if body != text else 1), sp.Symbol(body, real=True)
    return 1, sp.sympify(text)


def fixed_point_ansatz(flow: OrderParameterFlow, elements, *, name: str = "fixed") -> Ansatz:
    r"""The fixed-point subspace :math:`\{x: gx=x\ \forall g\}` of a group generated by
    signed permutations of the variables, as an ansatz (:func:`reduce_flow` then proves it
    invariant: equivariance makes every fixed-point subspace invariant).

    Each element is a dict of :func:`check_equivariance` arguments (``perm``, ``signs``,
    ``teacher``, ``teacher_signs``, ``flip_a``). A variable whose orbit returns to it with sign
    −1 is fixed to 0; the others become ``±`` one reduced symbol per orbit, named after the
    orbit's first variable in lower case.

    >>> import fixedpoints as fp
    >>> flow = fp.derive(fp.load_model("mean-field-relu", {"particles": 2, "d": 2}))
    >>> flip = {"perm": [1, 0], "signs": [-1, -1], "flip_a": True}  # w_2 = -w_1, a_2 = -a_1
    >>> dict(fixed_point_ansatz(flow, [flip]).assignment)["a_2"]
    '-a_1'
    """
    edges: dict = {str(v): [] for v in flow.variables}
    for g in elements:
        for u, (img, sign) in _action(flow, **g).items():
            edges[u].append((img, sign))
            edges[img].append((u, sign))
    assign: dict[str, str] = {}
    for start in (str(v) for v in flow.variables):
        if start in assign:
            continue
        rep, signs, queue, zero = start.lower(), {start: 1}, [start], False
        while queue:
            u = queue.pop()
            for w, sg in edges[u]:
                if w not in signs:
                    signs[w] = signs[u] * sg
                    queue.append(w)
                elif signs[w] != signs[u] * sg:
                    zero = True
        for u, sg in signs.items():
            assign[u] = "0" if zero else (rep if sg > 0 else "-" + rep)
    latex = tuple(sorted({(a.lstrip("-"), a.lstrip("-")) for a in assign.values()} - {("0", "0")}))
    return Ansatz(
        name=name,
        assignment=tuple((str(v), assign[str(v)]) for v in flow.variables),
        latex=latex,
    )


def check_permutation_equivariance(flow: OrderParameterFlow, perm, *, teacher=None) -> bool:
    r"""Check :math:`F(\pi x)=\pi F(x)` for a permutation of student neurons (and optionally of
    teacher neurons): :func:`check_equivariance` without signs."""
    return check_equivariance(flow, perm, teacher=teacher)


def check_equivariance(
    flow: OrderParameterFlow,
    perm,
    *,
    signs=None,
    teacher=None,
    teacher_signs=None,
    flip_a: bool = False,
) -> bool:
    r"""Check :math:`F(gx)=gF(x)` on the derived flow, symbolically, for a group element g:
    student i ↦ ``perm[i]`` with sign :math:`s_i`, teacher :math:`v_r\mapsto\epsilon_rv_{\rho(r)}`.

    On the order parameters g acts by :math:`Q_{\pi(i)\pi(j)}\leftarrow s_is_jQ_{ij}`,
    :math:`M_{\pi(i)\rho(r)}\leftarrow s_i\epsilon_rM_{ir}`, :math:`a_{\pi(i)}\leftarrow
    s_ia_i` (``flip_a``, odd activations) or :math:`a_i` — a signed permutation
    :math:`(gx)_{g(u)}=\sigma_ux_u` of the variables, so equivariance is
    :math:`F_{g(v)}(x)=\sigma_vF_v(g^{-1}x)` with :math:`(g^{-1}x)_u=\sigma_ux_{g(u)}`, each
    difference tested by :func:`is_zero`.

    Parameters
    ----------
    flow : OrderParameterFlow
        A full (unreduced) flow.
    perm : sequence of int
        0-based image of each student neuron.
    signs : sequence of ±1, optional
        :math:`s_i` (default all +1).
    teacher : sequence of int, optional
        0-based image :math:`\rho(r)` of each teacher neuron (identity by default).
    teacher_signs : sequence of ±1, optional
        :math:`\epsilon_r` (default all +1).
    flip_a : bool
        Whether the second layer flips with the neuron (odd activation).

    Returns
    -------
    bool
    """
    by_name = {str(v): v for v in flow.variables}
    action = _action(flow, perm, signs, teacher, teacher_signs, flip_a)
    images = {by_name[v]: (by_name[img], sg) for v, (img, sg) in action.items()}
    inverse = {v: sg * img for v, (img, sg) in images.items()}  # x_u -> sigma_u x_{g(u)}
    for v, rhs in zip(flow.variables, flow.equations, strict=True):
        img, sg = images[v]
        ok, _ = is_zero(flow.equation(str(img)) - sg * rhs.xreplace(inverse))
        if not ok:
            return False
    return True


def _action(flow, perm, signs=None, teacher=None, teacher_signs=None, flip_a=False) -> dict:
    """Variable name -> (image name, sign) of a signed permutation (:func:`check_equivariance`)."""
    model = flow.model
    k, m = model.student.width, model.teacher.width
    teacher = list(range(m)) if teacher is None else list(teacher)
    s = [1] * k if signs is None else [int(v) for v in signs]
    e = [1] * m if teacher_signs is None else [int(v) for v in teacher_signs]
    if sorted(perm) != list(range(k)) or sorted(teacher) != list(range(m)):
        raise ParameterError(f"`perm` must be a permutation of 0..{k - 1}; got {list(perm)}.")
    if len(s) != k or len(e) != m or any(v not in (1, -1) for v in s + e):
        raise ParameterError(
            f"`signs` and `teacher_signs` must be ±1 of lengths {k} and {m}; got {s}, {e}.",
            parameter="signs",
        )
    names = OrderParameterNames.for_model(model)

    def image(name: str) -> tuple[str, int]:
        kind, idx = names.parse(name)
        if kind == "Q":
            i, j = idx[0], idx[1]
            return names.Q(perm[i], perm[j]), s[i] * s[j]
        if kind == "M":
            i, r = idx[0], idx[1]
            return names.M(perm[i], teacher[r]), s[i] * e[r]
        return names.a(perm[idx[0]], *idx[1:]), s[idx[0]] if flip_a else 1

    return {str(v): image(str(v)) for v in flow.variables}
