r"""Phase boundaries as curves: every fold and branch point found on the one-parameter branches,
continued in a second parameter (:func:`fixedpoints.numeric.curves.continue_curve`), with the
closed form of a named point's branch-point curve where SymPy finds one.

Composes :func:`fixedpoints.api.continuation.continue_fixed_points` (the branches at the start
value of the second parameter), :class:`fixedpoints.api.landscapes.LandscapePlane`,
:func:`fixedpoints.numeric.curves.continue_curve`,
:func:`fixedpoints.numeric.symmetry.symmetry_generators` (continuous-symmetry directions) and
:func:`fixedpoints.symbolic.symbolic_threshold` (closed forms).
"""

from __future__ import annotations

import math
import time

import numpy as np

from fixedpoints.errors import FixedPointsError, ParameterError
from fixedpoints.results import Continuation
from fixedpoints.results.curves import Curve, CurveEvent

__all__ = ["continue_curves", "curve_closed_form", "curve_marks", "threshold_curve"]

#: a closed form of a curve is accepted when it meets every computed point to this
CLOSED_FORM_AGREEMENT = 1e-8

#: events closer than this in the first parameter (and of one kind) start one curve
SAME_EVENT = 1e-7


def curve_marks(lo: float, hi: float, count: int = 10) -> np.ndarray:
    """A round grid of at least ``count`` steps over ``[lo, hi]`` (the largest step 1, 2, 2.5 or
    5 × 10^j that fits; ``[0.25, 0.5, ..., 3]`` for ``(0.25, 3)``), with both ends: the values
    where curves get points of their own."""
    span = abs(hi - lo)
    if span == 0:
        return np.array([lo])
    raw = span / count
    mag = 10 ** math.floor(math.log10(raw))
    step = max(m * mag for m in (1, 2, 2.5, 5) if m * mag <= raw * (1 + 1e-12))
    a, b = sorted((lo, hi))
    first = math.ceil(a / step - 1e-9) * step
    vals = np.arange(first, b + step * 1e-9, step)
    return np.unique(np.round(np.concatenate([[a], vals, [b]]), 12))


def _generators(sym):
    """``generators(space, x)``: orthonormal tangent directions of the continuous symmetries at
    ``x`` (None when the group has none)."""
    from fixedpoints.numeric.symmetry import symmetry_generators

    if sym.complement <= 1 and not sym.eigenspace_bases and not sym.student_rotations:
        return None

    def generators(space, x):
        G = symmetry_generators(space, x, sym)
        if not len(G):
            return np.zeros((x.size, 0))
        T = space.tangent_basis(x)
        G = T @ (T.T @ G.T)
        u, s, _ = np.linalg.svd(G, full_matrices=False)
        rank = int(np.sum(s > 1e-8 * max(1.0, s[0] if s.size else 1.0)))
        return u[:, :rank]

    return generators


def continue_curves(
    model,
    parameter: str,
    lo: float,
    hi: float,
    curve_parameter: str,
    c0: float,
    c1: float,
    params=None,
    *,
    at: float | None = None,
    starts: int = 100,
    seed: int = 0,
    point: str | None = None,
    switch: bool = True,
    max_branches: int = 24,
    max_points: int = 400,
    marks=None,
    progress=None,
    max_weights=None,
) -> Continuation:
    r"""The branches in ``parameter`` at ``curve_parameter = at`` (default ``c0``), and every
    fold and branch point on them continued as a curve in the plane
    (``parameter``, ``curve_parameter``) over ``[lo, hi] × [c0, c1]``.

    Folds of multiplicity one are continued on the minimally extended system; branch points
    (and folds where several eigenvalues vanish at once, which are branch points of a symmetric
    branch) inside the fixed-point subspace of the branch, where they are generic
    (:mod:`fixedpoints.numeric.curves`). Events closer than :data:`SAME_EVENT` (symmetric copies
    of one point, a fold reached from two branches) start one curve. Where a fold curve and a
    branch-point curve meet (within the curves' step), both get an event. The branch-point
    curve of the averaged point carries its closed form where SymPy finds one
    (:func:`curve_closed_form`).

    Parameters
    ----------
    model : Model
        With both ``parameter`` and ``curve_parameter`` free.
    parameter, curve_parameter : str
    lo, hi, c0, c1 : float
        The box; the curves stop at its edges (a point exactly on the edge of the
        ``curve_parameter`` range).
    params : dict, optional
        Values of the other free parameters.
    at : float, optional
        Where the one-parameter branches are computed (inside ``[c0, c1]``; default ``c0``).
    marks : sequence of float, optional
        Values of ``curve_parameter`` where every curve gets a point of its own (default: a
        round grid of about ten values, :func:`curve_marks`).
    starts, seed, point, switch, max_branches, max_weights
        As in :func:`~fixedpoints.api.continuation.continue_fixed_points`.

    Returns
    -------
    Continuation
        ``branches`` at ``at`` and ``curves`` (:class:`~fixedpoints.results.curves.Curve`).

    Raises
    ------
    ParameterError
        Naming ``curve_parameter`` (not free, the same as ``parameter``, a range that is not
        finite) or ``at`` (outside the range).

    Examples
    --------
    The He3 fold of the multi-index model as a curve in (β, c) for the target He3 + c He4::

        model = fp.load_model("multi-index", {"target": "He3+c*He4"})
        res = fp.continue_curves(model, "beta", 0, 0.6, "c", 0.25, 3, point=None)
        [c.kind for c in res.curves]
    """
    from fixedpoints.api.continuation import continue_fixed_points
    from fixedpoints.api.landscapes import check_free

    params = dict(params or {})
    check_free(model, curve_parameter, "curve_parameter", other=parameter)
    if not (math.isfinite(c0) and math.isfinite(c1)) or c0 == c1:
        raise ParameterError(
            f"`curve_parameter` range must be C0:C1 with finite C0 != C1; got {c0}:{c1}.",
            parameter="curve_parameter",
        )
    at = float(c0 if at is None else at)
    if not min(c0, c1) <= at <= max(c0, c1):
        raise ParameterError(
            f"`at` must lie in the range [{min(c0, c1):g}, {max(c0, c1):g}] of "
            f"`{curve_parameter}`; got {at}.",
            parameter="at",
        )
    t0 = time.perf_counter()
    base = continue_fixed_points(
        model,
        parameter,
        lo,
        hi,
        {**params, curve_parameter: at},
        starts=starts,
        seed=seed,
        point=point,
        switch=switch,
        max_branches=max_branches,
        max_weights=max_weights,
    )
    follow = _Follower(model, parameter, curve_parameter, params, (lo, hi), (c0, c1), at, seed)
    curves, seen = [], []
    for br in base.branches:
        for ev in br.events:
            kind = _curve_kind(ev)
            if ev.x is None or any(k == kind and abs(v - ev.value) < SAME_EVENT for k, v in seen):
                continue
            seen.append((kind, ev.value))
            label = f"{ev.kind} at {parameter} = {ev.value:.10g} on {br.label or 'a branch'}"
            comp = ev.component or (
                "standard" if br.label == "averaged" and ev.multiplicity > 1 else ""
            )
            curves.append(
                follow(ev, label, comp, marks=marks, max_points=max_points, progress=progress)
            )
    curves = _with_meetings(_distinct(curves))
    closed = _averaged_closed_form(model, parameter, curve_parameter, follow.box, curves)
    curves = [closed.get(id(c), c) for c in curves]
    settings = dict(base.settings)
    settings[curve_parameter] = at
    return Continuation(
        parameter=parameter,
        range=(lo, hi),
        branches=base.branches,
        model=model.name,
        settings=settings,
        stats={"seconds": time.perf_counter() - t0},
        curves=tuple(curves),
        curve_parameter=curve_parameter,
        curve_range=(c0, c1),
    )


def _curve_kind(event) -> str:
    """A fold of multiplicity one is continued as a fold; a branch point, or a fold where
    several eigenvalues vanish at once (a branch point of a symmetric branch), as a
    branch-point curve."""
    return "fold" if event.kind == "fold" and event.multiplicity == 1 else "branch-point"


class _Follower:
    """Continues events as curves in one plane (the landscapes, the continuous-symmetry
    directions, the box and the marks set up once)."""

    def __init__(self, model, parameter, curve_parameter, params, prange, crange, at, seed=0):
        from fixedpoints.api.landscapes import LandscapePlane
        from fixedpoints.numeric.symmetry import detect_symmetry

        (lo, hi), (c0, c1) = prange, crange
        self.names = (parameter, curve_parameter)
        self.plane = LandscapePlane(model, parameter, curve_parameter, params)
        sym = detect_symmetry(self.plane.at(lo + 0.3819660113 * (hi - lo), at), seed=seed)
        self.generators = _generators(sym)
        self.box = ((min(lo, hi), max(lo, hi)), (min(c0, c1), max(c0, c1)))
        self.at = at
        self.direction = 1.0 if c1 >= c0 else -1.0
        self.marks = curve_marks(c0, c1)

    def __call__(self, ev, label, component="", *, marks=None, **kw) -> Curve:
        """The curve through the event ``ev`` (found at the second parameter ``at``); an empty
        curve with status ``not-found`` (its label says why) when it cannot be started."""
        from dataclasses import replace

        from fixedpoints.numeric.curves import continue_curve

        kind = _curve_kind(ev)
        try:
            cur = continue_curve(
                self.plane.at,
                ev.x,
                (ev.value, self.at),
                kind,
                self.box,
                multiplicity=ev.multiplicity,
                generators=self.generators,
                direction=self.direction,
                marks=self.marks if marks is None else np.asarray(marks, dtype=float),
                label=label,
                **kw,
            )
        except FixedPointsError as e:
            return Curve(kind, self.names, (), (), "not-found", f"{label}: {e}")
        return replace(
            cur, parameters=self.names, component=component if cur.kind == "branch-point" else ""
        )


def _distinct(curves) -> list:
    """Drop a curve whose points all lie on an earlier curve of the same kind (the same
    singularity reached from two branches at different events): within a tenth of the earlier
    curve's longest step of its polyline (the chords' sag is smaller)."""
    out = []
    for c in curves:
        pts = np.array(c.values()) if c.points else np.zeros((0, 2))
        if not len(pts) or not any(
            o.kind == c.kind and len(o.points) > 1 and _on_polyline(pts, np.array(o.values()))
            for o in out
        ):
            out.append(c)
    return out


def _on_polyline(pts, line) -> bool:
    """Whether every row of ``pts`` lies within a tenth of the longest segment of ``line``."""
    a, b = line[:-1], line[1:]
    seg = b - a
    length2 = np.maximum(np.sum(seg * seg, axis=1), 1e-300)
    tol = 0.1 * np.sqrt(length2.max())
    t = np.clip(np.einsum("psk,sk->ps", pts[:, None, :] - a[None], seg) / length2, 0.0, 1.0)
    nearest = a[None] + t[..., None] * seg[None]
    dist = np.linalg.norm(pts[:, None, :] - nearest, axis=-1).min(axis=1)
    return bool(np.all(dist <= tol))


def _segments_cross(a, b):
    """Intersection of the polylines ``a`` and ``b`` (arrays (n, 2)): the first crossing point,
    or None."""
    for i in range(len(a) - 1):
        p, r = a[i], a[i + 1] - a[i]
        for j in range(len(b) - 1):
            q, s = b[j], b[j + 1] - b[j]
            den = r[0] * s[1] - r[1] * s[0]
            if abs(den) < 1e-300:
                continue
            t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / den
            u = ((q - p)[0] * r[1] - (q - p)[1] * r[0]) / den
            if 0 <= t <= 1 and 0 <= u <= 1:
                return p + t * r
    return None


def _near_end(a, b, tol):
    """An end point of ``a`` within ``tol`` of the polyline ``b`` (its nearest point)."""
    for end in (a[0], a[-1]):
        d = np.linalg.norm(b - end, axis=1)
        if d.min() < tol:
            return end
    return None


def _with_meetings(curves) -> list:
    """Add ``meets-branch-point`` / ``meets-fold`` events where a fold curve and a branch-point
    curve cross or where one ends on the other (within 1e-3 of the box's scale)."""
    from dataclasses import replace

    extra = {id(c): [] for c in curves}
    folds = [c for c in curves if c.kind == "fold" and len(c.points) > 1]
    bps = [c for c in curves if c.kind == "branch-point" and len(c.points) > 1]
    for f in folds:
        a = np.array(f.values())
        for b in bps:
            bb = np.array(b.values())
            scale = max(np.ptp(a, axis=0).max(), np.ptp(bb, axis=0).max(), 1e-12)
            hit = _segments_cross(a, bb)
            if hit is None:
                hit = _near_end(a, bb, 1e-3 * scale)
            if hit is None:
                hit = _near_end(bb, a, 1e-3 * scale)
            if hit is None:
                continue
            p1, p2 = float(hit[0]), float(hit[1])
            extra[id(f)].append(CurveEvent("meets-branch-point", p1, p2, b.label))
            extra[id(b)].append(CurveEvent("meets-fold", p1, p2, f.label))
    return [
        replace(c, events=c.events + tuple(extra[id(c)])) if extra[id(c)] else c for c in curves
    ]


def curve_closed_form(model, point: str, parameter: str, curve_parameter: str, box, curve=None):
    """The named ``point``'s branch-point curve in closed form: ``(expression, latex,
    solved_for)`` with ``parameter`` as a function of ``curve_parameter`` or, when that has no
    closed form, the other way round; ``(None, None, reason)`` when neither has one. With the
    numeric ``curve`` (a :class:`~fixedpoints.results.curves.Curve`), a closed form that misses
    one of its points by more than :data:`CLOSED_FORM_AGREEMENT` is refused (reason given)."""
    import sympy as sp

    from fixedpoints.codegen import cached_derive
    from fixedpoints.errors import DerivationError
    from fixedpoints.symbolic import symbolic_threshold

    (lo1, hi1), (lo2, hi2) = box
    if curve is not None and len(curve.points) > 1:
        # where the curve is: a closed form need only describe it there
        ps = np.array(curve.values())
        lo1, lo2 = np.maximum(ps.min(axis=0), (lo1, lo2))
        hi1, hi2 = np.minimum(ps.max(axis=0), (hi1, hi2))
    intervals = {parameter: (float(lo1), float(hi1)), curve_parameter: (float(lo2), float(hi2))}
    try:
        flow = cached_derive(model)
    except (DerivationError, ParameterError) as e:
        return None, None, str(e)
    reasons = []
    for name in (parameter, curve_parameter):
        try:
            sym = symbolic_threshold(flow, name, point, intervals=intervals)
        except (DerivationError, ParameterError) as e:
            reasons.append(f"{name}: {e}")
            continue
        if sym.expression is not None:
            miss = _misses(sym.expression, name, parameter, curve_parameter, curve)
            if miss is None:
                return str(sym.expression), sp.latex(sym.expression), name
            reasons.append(
                f"{name}: the closed form {sym.expression} misses the curve by {miss:.2e}"
            )
            continue
        reasons.append(f"{name}: {sym.reason}")
    return None, None, "; ".join(reasons)


def _misses(expr, solved, parameter, curve_parameter, curve):
    r"""The largest distance (above :data:`CLOSED_FORM_AGREEMENT`) of the numeric ``curve``'s
    points from the closed form :math:`y=f(x)`, or None when it agrees everywhere. The distance
    is the perpendicular one, :math:`|f(x)-y|/\sqrt{1+f'(x)^2}` (:math:`f'` by a central
    difference): a square-root end, where :math:`f'` diverges, is not ill-conditioned."""
    if curve is None or not curve.points:
        return None
    other = curve_parameter if solved == parameter else parameter
    symbols = [s for s in expr.free_symbols if s.name == other]

    def f(x):
        return complex(expr.subs({s: x for s in symbols}).evalf(25))

    worst = 0.0
    for p in curve.points:
        x, y = (p.p2, p.p1) if solved == parameter else (p.p1, p.p2)
        try:
            v = f(x)
            h = 1e-7 * max(1.0, abs(x))
            slope = (f(x + h) - f(x - h)) / (2 * h)
        except (TypeError, ValueError, ZeroDivisionError):
            return float("inf")
        slope = abs(slope) if np.isfinite(abs(slope)) else 1e300
        worst = max(worst, abs(v - y) / np.sqrt(1.0 + min(slope, 1e150) ** 2))
    return worst if worst > CLOSED_FORM_AGREEMENT else None


def _averaged_closed_form(model, parameter, curve_parameter, box, curves) -> dict:
    """{id(curve): curve with its closed form} for the branch-point curve started on the
    averaged branch."""
    from dataclasses import replace

    out = {}
    for c in curves:
        if c.kind != "branch-point" or "on averaged" not in c.label:
            continue
        expr, tex, solved = curve_closed_form(
            model, "averaged", parameter, curve_parameter, box, curve=c
        )
        if expr is not None:
            out[id(c)] = replace(c, expression=expr, latex=tex, solved_for=solved)
    return out


def threshold_curve(
    model,
    parameter: str,
    lo: float,
    hi: float,
    curve_parameter: str,
    c0: float,
    c1: float,
    *,
    point: str = "averaged",
    params=None,
    marks=None,
    event=None,
) -> Curve:
    """The named ``point``'s threshold in ``parameter`` as a curve over ``curve_parameter`` in
    ``[c0, c1]``: the index change ``event`` found at ``curve_parameter = c0`` (a
    :class:`~fixedpoints.results.Event` of the point's branch) continued in the plane, with
    its closed form where SymPy finds one (:func:`curve_closed_form`, checked against every
    computed point).

    Returns
    -------
    Curve
        Status ``not-found`` (no points) when ``event`` is None.
    """
    from dataclasses import replace

    if event is None:
        names = (parameter, curve_parameter)
        return Curve("branch-point", names, (), (), "not-found", f"{point}: no index change")
    follow = _Follower(model, parameter, curve_parameter, params, (lo, hi), (c0, c1), c0)
    label = f"{point}: {event.kind} at {parameter} = {event.value:.10g}"
    cur = follow(event, label, "standard", marks=marks)
    if not cur.points:
        return cur
    expr, tex, solved = curve_closed_form(
        model, point, parameter, curve_parameter, follow.box, curve=cur
    )
    if expr is None:
        return cur
    return replace(cur, expression=expr, latex=tex, solved_for=solved)
