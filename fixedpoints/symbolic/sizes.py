r"""Thresholds with a symbolic size: the averaged pattern's equations, eigenvalues and trivial
block are polynomials in the size k, interpolated from concrete sizes and checked at others, then
solved with k symbolic (:func:`symbolic_threshold_in_size`). Multi-index He_p:
:math:`\beta_c=(p-2)/(k+p-2)`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from fixedpoints.errors import DerivationError, ParameterError
from fixedpoints.models import Model, load_model_file, with_settings
from fixedpoints.symbolic.algebra import number
from fixedpoints.symbolic.ansatz import is_zero
from fixedpoints.symbolic.flow import derive
from fixedpoints.symbolic.named_points import (
    AveragedPattern,
    averaged_pattern,
    check_point,
    intervals_of,
    parameter_samples,
    parameter_symbol,
    point_candidates,
    select_point,
)
from fixedpoints.symbolic.threshold import (
    SymbolicThreshold,
    at_point,
    solve_threshold,
    trivial_eigenvalues,
)

__all__ = ["size_factory", "symbolic_threshold_in_size"]

_EXTRA_SIZES = (10, 20, 50, 100)


def size_factory(model: Model | None, size: str) -> Callable[[int], Model]:
    """``factory(n)``: ``model`` rebuilt with the integer size ``size`` set to ``n`` (the
    parameters given to it kept, defaults following the size; :func:`~fixedpoints.models.with_settings`).

    Raises
    ------
    ParameterError
        Naming ``symbolic``, when the model was not loaded from a preset or model file or has no
        integer parameter ``size``.
    """
    if model is None or not model.origin:
        raise ParameterError(
            f"`symbolic` = ({size!r},) needs `model_factory` for a model that was not loaded from a "
            "preset or a model file.",
            parameter="symbolic",
        )
    mf = load_model_file(model.origin)
    if size not in mf.parameters or mf.parameters[size].kind != "int":
        sizes = [n for n, p in mf.parameters.items() if p.kind == "int"]
        raise ParameterError(
            f"`symbolic` must name an integer size of {model.name!r} (one of {', '.join(sizes)}); "
            f"got {size!r}.",
            parameter="symbolic",
        )

    def factory(n: int) -> Model:
        return with_settings(model, **{size: str(n)})

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
        check_point(f, point)
    b = parameter_symbol(flows[0], parameter)
    locals_ = [averaged_pattern(f) for f in flows]
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

    def quantities(loc: AveragedPattern) -> list:
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
    ivs_per = [intervals_of(f, intervals) for f in flows]
    samples_per = [parameter_samples(f, iv) for f, iv in zip(flows, ivs_per, strict=True)]
    concrete = [select_point(loc, sm) for loc, sm in zip(locals_, samples_per, strict=True)]
    chosen = None
    for sol, fac in point_candidates(ref.reduced.variables, red_eqs):
        ok = True
        for s, csol, sm in zip(sizes, concrete, samples_per, strict=True):
            for smp in sm:
                for u in sol:
                    a = number(sol[u], {**smp, ksym: s})
                    c = number(csol[u], smp)
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
    eig, mult = trivial_eigenvalues(
        trivial, [c for c, _ in ref.classes], lambda e: at_point(e, sol, fac)
    )
    eig = {"standard": at_point(lam, sol, fac), **eig}
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
    expr, reason = solve_threshold(lam, sol, fac, b, ivs[b], contexts, max_ops)
    return SymbolicThreshold(parameter, point, expr, eig, mult, coords, size, reason)
