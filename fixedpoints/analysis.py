"""The analysis façade: builds numeric landscapes from models (the bridge between the symbolic/
codegen layers and the SymPy-free numeric layer) and runs searches, thresholds and continuation.

Everything here is also reachable from the command line (``fixed-points``, ``threshold``,
``continue``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fixedpoints.codegen import array_function, compile_pair_kernels
from fixedpoints.errors import ParameterError
from fixedpoints.models.naming import OrderParameterNames
from fixedpoints.numeric.landscape import Landscape
from fixedpoints.numeric.overlaps import teacher_vectors

__all__ = ["landscape", "LandscapeFamily", "smooth_teacher_vectors"]


def smooth_teacher_vectors(T, d: int) -> np.ndarray:
    r"""Teacher vectors :math:`V=[T^{1/2}\ 0]` (m×d, the symmetric square root padded with zeros)
    with :math:`VV^\top=T`. Smooth in the model parameters where :math:`T` is positive definite,
    and equivariant: a teacher permutation with :math:`PTP^\top=T` commutes with :math:`T^{1/2}`,
    so it acts on weights as the same coordinate permutation for every parameter value (symmetric
    branches stay symmetric under continuation). Falls back to
    :func:`~fixedpoints.numeric.overlaps.teacher_vectors` when m > d."""
    T = np.asarray(T, dtype=float)
    m = T.shape[0]
    if m > d:
        return teacher_vectors(T, d)
    lam, U = np.linalg.eigh((T + T.T) / 2)
    if lam.min() < -1e-10 * max(1.0, abs(lam).max()):
        return teacher_vectors(T, d)  # raises the standard error
    V = np.zeros((m, d))
    V[:, :m] = (U * np.sqrt(np.clip(lam, 0, None))) @ U.T
    return V


def _dimension(model, T, k) -> int:
    return model.input_dimension or (int(np.linalg.matrix_rank(T)) + k)


def landscape(model, params=None, *, kernels=None) -> Landscape:
    """The weight-space :class:`~fixedpoints.numeric.landscape.Landscape` of ``model`` at the
    values ``params`` of its free parameters. A decoupled model (correlation loss, fixed second
    layer: no student–student terms) is reduced to one neuron."""
    kernels = kernels if kernels is not None else compile_pair_kernels(model, params)
    V = model_teacher_vectors(model, kernels)
    kernels, k, decoupled = decouple(kernels, model.student.width)
    return Landscape(
        kernels, V, k, model.outputs, decoupled, OrderParameterNames.for_model(model)
    )


def model_teacher_vectors(model, kernels) -> np.ndarray:
    """The teacher vectors of ``model`` in its input dimension (:func:`smooth_teacher_vectors`)."""
    return smooth_teacher_vectors(kernels.T, _dimension(model, kernels.T, model.student.width))


def decouple(kernels, k: int):
    """``(kernels, k, decoupled)``: a loss without student–student terms (correlation loss, fixed
    second layer) is a sum over neurons, so one neuron stands for all (k becomes 1)."""
    decoupled = (not kernels.square) and kernels.a is not None and k > 1
    if decoupled:
        return dataclasses.replace(kernels, a=kernels.a[:1]), 1, True
    return kernels, k, False


class LandscapeFamily:
    """The landscapes of ``model`` along one free parameter (kernels compiled once).

    Parameters
    ----------
    model : Model
    parameter : str
        A free parameter of the model (declared ``real`` and left unset).
    params : dict
        Values of the other free parameters.
    """

    def __init__(self, model, parameter: str, params=None):
        if parameter not in model.free:
            free = ", ".join(model.free) or "none"
            raise ParameterError(
                f"`--param` must name a free real parameter of {model.name!r} (free: {free}); "
                f"got {parameter!r}. Leave it unset (do not --set it)."
            )
        self.model = model
        self.parameter = parameter
        self.params = dict(params or {})
        self._arrays = array_function(model)
        self._base = None

    def at(self, value: float) -> Landscape:
        """The landscape at ``parameter = value``."""
        params = {**self.params, self.parameter: float(value)}
        if self._base is None:
            self._base = landscape(self.model, params)
            return self._base
        arrays = self._arrays(params)
        V = smooth_teacher_vectors(
            arrays["T"], _dimension(self.model, arrays["T"], self.model.student.width)
        )
        return self._base.with_arrays(arrays, V)


# ---------------------------------------------------------------------------------------------
# fixed points


def find_fixed_points(
    model,
    params=None,
    *,
    starts: int = 200,
    seed: int = 0,
    isotropy=None,
    ansatz=None,
    progress=None,
    deflation: bool = True,
):
    """Find and classify the fixed points of ``model`` (see
    :func:`fixedpoints.numeric.fixed_points.find_fixed_points`): in weight space, inside the
    fixed-point subspace of a diagonal Young subgroup (``isotropy``, e.g. ``"9,1"``; ReLU
    teacher–student with k = d, V = I), or in an ansatz subspace of the overlap flow
    (``ansatz``)."""
    from fixedpoints.numeric.fixed_points import find_fixed_points as _find

    if isotropy is not None and ansatz is not None:
        raise ParameterError("give either `--isotropy` or `--ansatz`, not both.")
    if isotropy is not None:
        from fixedpoints.numeric.symmetry import find_isotropic_fixed_points

        kernels = compile_pair_kernels(model, params)
        d = model.input_dimension or model.student.width
        if model.student.width != d:
            raise ParameterError(
                f"`--isotropy` needs k = d (student width {model.student.width}, d = {d})."
            )
        return find_isotropic_fixed_points(
            kernels, isotropy, d, starts=starts, seed=seed, progress=progress
        )
    space = landscape(model, params)
    if ansatz is not None:
        return _ansatz_fixed_points(model, params, space, ansatz, starts, seed, progress)
    return _find(space, starts=starts, seed=seed, progress=progress, deflation=deflation)


def _ansatz_fixed_points(model, params, space, ansatz, starts, seed, progress):
    raise ParameterError(
        f"`--ansatz {ansatz}` is not supported by fixed-points yet (the ansatz reduction exists "
        "for `derive`); use the weight-space search or --isotropy."
    )


# ---------------------------------------------------------------------------------------------
# continuation


def continue_fixed_points(
    model,
    parameter: str,
    start: float,
    end: float,
    params=None,
    *,
    starts: int = 100,
    seed: int = 0,
    point: str | None = None,
    switch: bool = True,
    max_branches: int = 24,
    progress=None,
):
    """Continue the fixed points found at ``parameter = start`` up to ``end`` (pseudo-arclength),
    with fold and branch-point events and branch switching at branch points.

    Returns
    -------
    list of Branch
        One per symmetry orbit at the start (degenerate points skipped), plus switched branches.
        The branch starting at the named ``point`` (e.g. ``'averaged'``) carries that label.
    """
    from fixedpoints.numeric.continuation import continue_branch, switch_branches
    from fixedpoints.numeric.fixed_points import find_fixed_points as _find
    from fixedpoints.numeric.symmetry import canonical_form, detect_symmetry

    if not (np.isfinite(start) and np.isfinite(end)) or start == end:
        raise ParameterError(f"`--param` range must be A:B with finite A != B; got {start}:{end}.")
    family = LandscapeFamily(model, parameter, params)
    space = family.at(start)
    named = named_point(model, space, point) if point else None
    if named is not None:
        seeds = [(named, point)]
    else:
        search = _find(space, starts=starts, seed=seed)
        seeds = [
            (fp.x, f"loss {fp.loss:.6g}, index {fp.index}")
            for fp in search.points
            if not fp.degenerate
        ]
        avg = _try_named(model, space, "averaged")
        if avg is not None:
            # the search returns one representative per symmetry orbit: compare orbits
            sym0 = detect_symmetry(space, seed=seed)

            def key(x):
                Q, M, a = space.overlaps(x)
                return canonical_form(Q, M, a if space.trainable else None, sym0)[0]

            target = key(avg)
            for i, (x, _lab) in enumerate(seeds):
                k_x = key(x)
                if k_x.shape == target.shape and np.allclose(k_x, target, atol=1e-6):
                    seeds[i] = (x, "averaged")
                    x_avg = seeds[i]
                    seeds.pop(i)
                    seeds.insert(0, x_avg)
                    break

    branches = []
    switched: list = []
    queue = list(seeds)
    while queue and len(branches) < max_branches:
        x, label = queue.pop(0)
        p0 = start if not isinstance(label, tuple) else label[1]
        lab = label if not isinstance(label, tuple) else label[0]
        br = continue_branch(family.at, x, p0, end, label=lab, progress=progress)
        branches.append(br)
        if switch:
            for ev in br.events:
                if ev.kind == "branch_point":
                    for xs, ps in switch_branches(family.at, ev, end):
                        sp = family.at(ps)
                        Q, M, a = sp.overlaps(xs)
                        sym = detect_symmetry(sp, seed=seed)
                        key = canonical_form(Q, M, a if sp.trainable else None, sym)[0]
                        if any(np.allclose(key, other, atol=1e-6) for other in switched):
                            continue
                        switched.append(key)
                        queue.append((xs, (f"switched at {ev.value:.10g} from {lab}", ps)))
    return branches


def _try_named(model, space, name):
    try:
        return named_point(model, space, name)
    except ParameterError:
        return None


NAMED_POINTS = ("averaged",)
# the closed form is checked against the numeric root; that root is limited by the accuracy of the
# finite-difference Hessian eigenvalue (~1e-9 relative to the curvature), i.e. ~1e-8 in beta for
# high-degree targets (He6: 1.6e-8)
NUMERIC_AGREEMENT = 1e-6


def named_point(model, space, name: str):
    r"""A named fixed point in weight space. ``'averaged'``: every student is
    :math:`w=c\sum_rv_r` (all student–teacher overlaps equal and positive), :math:`c` fixed by the
    sphere (spherical neurons) or by Newton inside the symmetric subspace (free neurons).

    Raises
    ------
    ParameterError
        Unknown name, or the point does not exist for this model.
    """
    from fixedpoints.numeric.newton import newton

    if name not in NAMED_POINTS:
        raise ParameterError(f"`--point` must be one of {', '.join(NAMED_POINTS)}; got {name!r}.")
    if space.m == 0:
        raise ParameterError(f"`--point {name}` needs a teacher; {model.name!r} has none.")
    direction = space.V.sum(axis=0)
    norm = float(np.linalg.norm(direction))
    if norm == 0:
        raise ParameterError(f"`--point {name}`: the teacher vectors sum to zero.")
    direction /= norm
    a = np.ones((space.k, space.outputs)) if space.trainable else None
    for c in [1.0] if space.spherical else [1.0, 0.5, 2.0, 0.25, 4.0]:
        W = np.tile(direction * c, (space.k, 1))
        r = newton(space, space.pack(W, a), tol=1e-12)
        if r.status == "converged":
            Q, M, _ = space.overlaps(r.x)
            if np.all(M > 0) and np.allclose(M, M[0, 0], rtol=1e-8, atol=1e-10):
                return r.x
    raise ParameterError(f"`--point {name}`: no such fixed point found for {model.name!r}.")


# ---------------------------------------------------------------------------------------------
# thresholds


def numeric_threshold(
    model,
    parameter: str,
    lo: float,
    hi: float,
    params=None,
    *,
    point: str = "averaged",
    tol: float = 1e-10,
):
    """Where the named fixed point changes its Morse index for ``parameter`` in ``[lo, hi]``:
    continuation of the point with branch-point/fold localisation to ``tol``.

    Returns
    -------
    dict
        ``value`` (None if the index never changes), ``index_below``, ``index_above``, ``kind``
        and ``events`` (all index changes found), ``status``.
    """
    from fixedpoints.numeric.continuation import continue_branch

    family = LandscapeFamily(model, parameter, params)
    space = family.at(lo)
    x0 = named_point(model, space, point)
    br = continue_branch(family.at, x0, lo, hi, event_tol=tol, label=point)
    first = br.points[0].index
    last = br.points[-1].index
    ev = [e for e in br.events if e.index_below != e.index_above]
    out = {
        "events": [
            {
                "kind": e.kind,
                "value": e.value,
                "index_below": e.index_below,
                "index_above": e.index_above,
                "multiplicity": e.multiplicity,
            }
            for e in ev
        ],
        "status": br.status,
        "index_start": first,
        "index_end": last,
        "branch": br,
    }
    if ev:
        e = ev[0]
        out.update(value=e.value, index_below=e.index_below, index_above=e.index_above, kind=e.kind)
    else:
        out.update(value=None, index_below=first, index_above=last, kind=None)
    return out


def threshold(
    model,
    parameter: str,
    lo: float,
    hi: float,
    *,
    point: str = "averaged",
    symbolic=(),
    model_file=None,
    sets=(),
) -> dict:
    """Where the named fixed point changes stability in ``parameter`` ∈ [lo, hi].

    First the closed form (:func:`fixedpoints.symbolic.threshold.symbolic_threshold`: the point
    substituted into the Jacobian of the overlap ODE, the eigenvalue of its standard isotypic block
    solved with SymPy); then, always, the numeric route (continuation of the point in weight
    space, index change localised to 1e-10), which gives ``index_below``/``index_above`` and
    checks the closed form. With ``symbolic=('k',)`` the closed form is also derived with the
    size k symbolic (``model_file``/``sets`` rebuild the model at other sizes).

    Returns
    -------
    dict
        ``parameter``, ``value``, ``expression`` (string or None), ``point``, ``index_below``,
        ``index_above``, ``numeric_value``, ``status``, ``latex`` (the closed form as LaTeX, when
        there is one) and ``eigenvalue`` (the Hessian eigenvalue on the critical component, as a
        string, when known).
    """
    from fixedpoints.codegen import cached_derive
    from fixedpoints.errors import DerivationError
    from fixedpoints.symbolic.threshold import symbolic_threshold, symbolic_threshold_in_size

    if point not in NAMED_POINTS:
        raise ParameterError(f"`--point` must be one of {', '.join(NAMED_POINTS)}; got {point!r}.")
    if lo >= hi:
        lo, hi = hi, lo
    for s in symbolic:
        if s != "k" or "k" not in getattr(model_file, "parameters", {}):
            raise ParameterError(
                f"`--symbolic` supports the size `k` of models that declare it; got {s!r}."
            )
    num = numeric_threshold(model, parameter, lo, hi, point=point)
    out = {
        "parameter": parameter,
        "value": num["value"],
        "expression": None,
        "point": point,
        "index_below": num["index_below"],
        "index_above": num["index_above"],
        "numeric_value": num["value"],
        "kind": num["kind"],
        "range": [lo, hi],
        "method": "numeric (continuation, bisection/Brent to 1e-10)",
    }
    sym = None
    try:
        if symbolic:

            def factory(k):
                rest = [s for s in sets if not s.replace(" ", "").startswith("k=")]
                return model_file.instantiate([*rest, f"k={k}"])

            sym = symbolic_threshold_in_size(factory, parameter, point)
        else:
            sym = symbolic_threshold(cached_derive(model), parameter, point)
    except (DerivationError, ParameterError) as e:
        out["symbolic_status"] = str(e)
    if sym is not None:
        out["symbolic_status"] = sym.reason or "solved"
        std = sym.eigenvalues.get("standard") if sym.eigenvalues else None
        if std is not None:
            out["eigenvalue"] = f"-({std})"  # Hessian eigenvalue = -(Jacobian eigenvalue)
        if sym.expression is not None:
            expr = sym.expression
            value = expr
            if symbolic:
                ksym = [f for f in expr.free_symbols if f.name == "k"]
                if ksym:
                    value = expr.subs(ksym[0], _size_k(model))
            try:
                v = float(value)
            except TypeError:
                v = None
            if v is not None and lo - 1e-9 <= v <= hi + 1e-9:
                out["expression"] = str(expr)
                out["latex"] = _latex(expr)
                out["value"] = v
                out["method"] = "sympy closed form (checked numerically)"
                if num["value"] is not None and abs(num["value"] - v) > NUMERIC_AGREEMENT:
                    out["symbolic_status"] = (
                        f"closed form {v!r} disagrees with the numeric root {num['value']!r}"
                    )
    if out["value"] is None:
        out["status"] = (
            f"the {point} point keeps index {num['index_start']} for {parameter} in "
            f"[{lo:g}, {hi:g}] (no threshold in this range)"
        )
    else:
        out["status"] = "found"
    return out


def _latex(expr) -> str:
    import sympy as sp

    return sp.latex(expr)


def _size_k(model) -> int:
    for name, value in model.settings:
        if name == "k":
            return int(value)
    return model.teacher.width
