r"""Two-parameter continuation: curves of folds and of branch points in a parameter plane.

A fold or a branch point of a one-parameter branch is a codimension-one singularity; with a
second parameter it moves along a curve. Around the current point :math:`c` we use the chart
:math:`x=R(c+B_cu)` of :mod:`fixedpoints.numeric.continuation` and continue
:math:`y=(u,p_1,p_2)` on the **minimally extended system**

.. math::

    F(u,p)=B_c^\top g(R(c+B_cu);p)=0,\qquad
    G(u,p)=\frac1m\sum_{j\in\mathcal C}\lambda_j\big(\operatorname{Hess}L(x;p)\big)=0,

:math:`n+1` equations in :math:`n+2` unknowns, where :math:`\mathcal C` is the critical cluster:
the :math:`m` eigenvalues (``multiplicity``) whose eigenvectors overlap most with those of the
previous point. For a fold (:math:`m=1`) the cluster is a simple eigenvalue, smooth along the
curve, and the Jacobian :math:`[F_u\ F_p;\,G_u\ G_p]` has full rank (the fold is regular).

A **branch point of a symmetric branch** is generic only inside the fixed-point subspace of the
branch's isotropy: the critical eigenvalue belongs to a non-trivial isotypic component and has
its multiplicity :math:`m` there (2 for the standard component of :math:`S_3`); :math:`F_u` and
:math:`G_u` (the cluster mean is invariant) both vanish on the cluster's eigenvectors
:math:`Z`. The corrector therefore adds the rows :math:`Z^\top\delta u=0`: Newton moves inside
the complement of the symmetry-breaking directions, where the system is regular, and the point
keeps its symmetry to round-off. Tangent vectors of continuous symmetries (rotations of the
complement of the teacher span, :func:`~fixedpoints.numeric.symmetry.symmetry_generators`) are
removed the same way.

Each step predicts along the unit tangent (the null vector of the Jacobian with those rows)
and corrects with Newton plus the arclength condition :math:`t^\top(y-y_0)=s` (least squares,
Jacobian by central differences); step halving on failure, growth by 1.5 after fast
convergence. Events along a curve:

* ``turn``: the curve turns back in :math:`p_2` (:math:`\dot p_2` changes sign);
* ``cusp`` (folds): the normal-form coefficient :math:`a=v^\top D^2F[v,v]` (the third derivative
  of the loss along the null vector :math:`v`) changes sign: two fold curves meet there;
* ``end``: no step of at least ``min_step`` converged (the curve meets another singularity, e.g.
  a fold curve ending on a branch-point curve where a pitchfork turns from sub- to
  supercritical).

Turns and cusps are located by linear interpolation between the two points that bracket them;
every point of a curve is itself a solution of the extended system to ``tol``.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import FixedPointsError
from fixedpoints.numeric.arclength import arclength_steps, bordered_newton
from fixedpoints.results.curves import Curve, CurveEvent, CurvePoint
from fixedpoints.results.status import Status

__all__ = ["continue_curve", "critical_cluster"]


def critical_cluster(lam, V, count: int, exclude=None):
    """Indices of the ``count`` eigenvalues nearest zero whose eigenvectors (columns of ``V``)
    are orthogonal to the orthonormal columns of ``exclude`` (continuous-symmetry directions:
    an overlap above 1/2 excludes)."""
    order = np.argsort(np.abs(lam))
    if exclude is not None and exclude.shape[1]:
        keep = np.sum((exclude.T @ V) ** 2, axis=0) < 0.5
        order = [j for j in order if keep[j]]
    return np.sort(np.asarray(order[:count], dtype=int))


class _System:
    """The extended system of one curve in a chart; ``plane(p1, p2)`` gives the landscape."""

    def __init__(self, plane, kind: str, multiplicity: int, generators=None):
        self.plane = plane
        self.kind = kind
        self.m = int(multiplicity)
        self.generators = generators  # callable (space, x) -> orthonormal columns, or None
        self._cache: dict = {}

    def space(self, p1: float, p2: float):
        key = (float(p1), float(p2))
        sp = self._cache.get(key)
        if sp is None:
            if len(self._cache) > 256:
                self._cache.clear()
            sp = self._cache[key] = self.plane(*key)
        return sp

    def symmetric_nulls(self, sp, x):
        if self.generators is None:
            return np.zeros((x.size, 0))
        return self.generators(sp, x)

    def evaluate(self, c, B, y, ref):
        """``(R, x, lam, Vc, sp)``: the residual ``[F; G]`` at ``y``, the point, the Hessian
        eigenvalues, the critical cluster's eigenvectors (weight coordinates) and the space."""
        F, x, sp = self.field(c, B, y)
        T = sp.tangent_basis(x)
        lam, U = np.linalg.eigh(sp.hessian(x, T))
        V = T @ U
        score = np.sum((ref.T @ V) ** 2, axis=0)
        sel = np.sort(np.argsort(-score)[: self.m])
        G = float(np.mean(lam[sel]))
        return np.append(F, G), x, lam, V[:, sel], sp

    def field(self, c, B, y):
        """``(F, x, sp)``: the chart gradient :math:`F=B^\top g(R(c+Bu);p)` alone (no Hessian)."""
        sp = self.space(y[-2], y[-1])
        x = sp.retract(c + B @ y[:-2])
        return B.T @ sp.gradient(x), x, sp

    def residual(self, c, B, y, ref):
        return self.evaluate(c, B, y, ref)[0]

    def jacobian(self, c, B, y, ref, step: float = 1e-6):
        """Central differences of the residual in every unknown."""
        cols = []
        for j in range(y.size):
            h = step * max(1.0, abs(y[j]))
            e = np.zeros(y.size)
            e[j] = h
            cols.append(
                (self.residual(c, B, y + e, ref) - self.residual(c, B, y - e, ref)) / (2 * h)
            )
        return np.column_stack(cols)

    def constraint_rows(self, B, Zc, nulls):
        """Rows ``[Bᵀz; 0, 0]`` for the directions the corrector must not move along: the
        cluster's eigenvectors (branch points) and the continuous-symmetry directions."""
        dirs = [nulls] if nulls.shape[1] else []
        if self.kind == "branch-point":
            dirs.append(Zc)
        if not dirs:
            return np.zeros((0, B.shape[1] + 2))
        Z = B.T @ np.concatenate(dirs, axis=1)
        return np.column_stack([Z.T, np.zeros((Z.shape[1], 2))])

    def cusp_coefficient(self, c, B, y, v, h: float = 1e-3) -> float:
        r""":math:`a=v^\top D^2F[v,v]` in the chart (``v`` the fold's null vector in weight
        coordinates), by a central second difference of :math:`v^\top F(u+tv)`."""
        v = np.asarray(v, dtype=float).reshape(-1)
        vc = B.T @ v
        vc = vc / np.linalg.norm(vc)
        e = np.concatenate([vc, [0.0, 0.0]])
        f = [vc @ self.field(c, B, y + t * h * e)[0] for t in (-1, 0, 1)]
        return float((f[0] - 2 * f[1] + f[2]) / h**2)


class _Point:
    """An accepted point: ``x``, ``p`` (2,), unit tangent ``(dx, dp)`` in weight coordinates,
    cluster eigenvectors ``Zc``, eigenvalues and residual."""

    def __init__(self, x, p, lam, Zc, residual, sp, nulls):
        self.x, self.p, self.lam, self.Zc = x, np.asarray(p, dtype=float), lam, Zc
        self.residual, self.sp, self.nulls = residual, sp, nulls
        self.t = None
        self.a = None


def _solve(sys, c, B, y, ref, rows, extra, tol, max_iter=12):
    """:func:`~fixedpoints.numeric.arclength.bordered_newton` on ``[F; G]`` with the
    condition ``extra`` (the arclength, or a parameter held at a value) and the constraint
    ``rows``. Returns ``(y, its)`` or None."""
    return bordered_newton(
        lambda z: sys.residual(c, B, z, ref),
        lambda z: sys.jacobian(c, B, z, ref),
        y,
        extra,
        tol=tol,
        max_iter=max_iter,
        rows=rows,
    )


def _accept(sys, y, c, B, ref):
    R, x, lam, Vc, sp = sys.evaluate(c, B, y, ref)
    nulls = sys.symmetric_nulls(sp, x)
    return _Point(x, y[-2:], lam, Vc, float(np.max(np.abs(R))), sp, nulls)


def _tangent(sys, pt: _Point, prev=None):
    """Unit tangent ``(dx, dp)`` at an accepted point, oriented like ``prev``."""
    B = pt.sp.tangent_basis(pt.x)
    y = np.concatenate([np.zeros(B.shape[1]), pt.p])
    J = sys.jacobian(pt.x, B, y, pt.Zc)
    A = np.vstack([J, sys.constraint_rows(B, pt.Zc, pt.nulls)])
    t = np.linalg.svd(A)[2][-1]
    dx, dp = B @ t[:-2], t[-2:]
    if prev is not None and (prev[0] @ dx + prev[1] @ dp) < 0:
        dx, dp = -dx, -dp
    return dx, dp


def _chart(pt: _Point):
    B = pt.sp.tangent_basis(pt.x)
    return B, np.concatenate([np.zeros(B.shape[1]), pt.p])


def continue_curve(
    plane,
    x0,
    p0,
    kind: str,
    box,
    *,
    multiplicity: int = 1,
    generators=None,
    direction: float = 1.0,
    step: float = 0.02,
    max_step: float = 0.1,
    min_step: float = 1e-6,
    max_points: int = 400,
    tol: float = 1e-11,
    null_tol: float = 1e-7,
    marks=None,
    label: str = "",
    progress=None,
) -> Curve:
    r"""Continue a fold or branch point ``x0`` at parameters ``p0 = (p1, p2)`` as a curve.

    Parameters
    ----------
    plane : callable
        ``plane(p1, p2)``: the landscape at those parameter values.
    x0 : array
        The critical point at the singularity (an event of a one-parameter branch), polished
        first on the extended system at fixed ``p2``.
    p0 : (float, float)
    kind : {'fold', 'branch-point'}
    box : ((float, float), (float, float))
        The ranges of ``p1`` and ``p2``; the curve stops where it leaves them (landing exactly on
        the edge of the ``p2`` range: status ``reached-end``; of the ``p1`` range:
        ``left-range``).
    multiplicity : int
        Multiplicity of the critical eigenvalue (the event's).
    generators : callable, optional
        ``generators(space, x)``: orthonormal columns spanning the continuous-symmetry
        directions at ``x`` (removed from the problem).
    direction : float
        +1 to continue towards larger ``p2`` first, -1 towards smaller.
    step, max_step, min_step : float
        Arclength steps in :math:`(u,p_1,p_2)`.
    tol : float
        Residual tolerance (max norm of :math:`F` and :math:`G`), relative to the largest
        Hessian eigenvalue at the start (when above 1).
    marks : sequence of float, optional
        Values of ``p2`` where the curve gets a point of its own (solved at that value), e.g.
        a round grid, so values can be read off at given ``p2``.

    Returns
    -------
    Curve
        ``points`` each solving the extended system to ``tol``; never raises for a failed step.

    Raises
    ------
    FixedPointsError
        When the start cannot be polished onto the curve (the event is not a regular singularity
        of the given kind).
    """
    if kind not in ("fold", "branch-point"):
        raise ValueError(f"kind must be 'fold' or 'branch-point'; got {kind!r}")
    sys = _System(plane, kind, multiplicity, generators)
    (lo1, hi1), (lo2, hi2) = box
    sp0 = sys.space(*p0)
    x0 = sp0.retract(np.asarray(x0, dtype=float))
    T0 = sp0.tangent_basis(x0)
    lam0, U0 = np.linalg.eigh(sp0.hessian(x0, T0))
    nulls0 = sys.symmetric_nulls(sp0, x0)
    scale = max(1.0, float(np.max(np.abs(lam0))))
    # the critical cluster at the event: every eigenvalue within 1e-5 of the scale (an event
    # located on a multiple eigenvalue can report fewer); more than one makes a branch point
    near = critical_cluster(lam0, T0 @ U0, lam0.size, nulls0)
    found = int(np.sum(np.abs(lam0[near]) < 1e-5 * scale))
    if found > multiplicity:
        multiplicity, kind = found, "branch-point"
        sys = _System(plane, kind, multiplicity, generators)
    ref = (T0 @ U0)[:, critical_cluster(lam0, T0 @ U0, multiplicity, nulls0)]
    tol = tol * scale
    # polish at fixed p2
    B = T0
    y = np.concatenate([np.zeros(B.shape[1]), np.asarray(p0, dtype=float)])
    rows = sys.constraint_rows(B, ref, nulls0)
    fixed = (lambda z, v=float(p0[1]): z[-1] - v, np.eye(y.size)[-1])
    out = _solve(sys, x0, B, y, ref, rows, fixed, tol, max_iter=20)
    # a start that moved away from the event converged onto another singularity
    if out is not None and (
        abs(out[0][-2] - p0[0]) > 1e-6 * max(1.0, abs(p0[0])) or np.linalg.norm(out[0][:-2]) > 1e-3
    ):
        out = None
    if out is None:
        raise FixedPointsError(
            f"the {kind} at {tuple(float(v) for v in p0)} could not be polished onto the "
            "extended system (not a regular singularity of that kind)"
        )
    start = _accept(sys, out[0], x0, B, ref)
    start.t = _tangent(sys, start)
    if start.t[1][1] * direction < 0:
        start.t = (-start.t[0], -start.t[1])
    halves = []
    for sgn in (1.0, -1.0):
        if sgn < 0 and not (lo2 < start.p[1] < hi2):
            break
        first = _Point(start.x, start.p, start.lam, start.Zc, start.residual, start.sp, start.nulls)
        first.t = (sgn * start.t[0], sgn * start.t[1])
        halves.append(
            _march(
                sys,
                first,
                box,
                step,
                max_step,
                min_step,
                max_points,
                tol,
                null_tol,
                progress,
                marks,
            )
        )
    (pts_a, ev_a, st_a) = halves[0]
    if len(halves) > 1:
        pts_b, ev_b, st_b = halves[1]
        pts = pts_b[::-1][:-1] + pts_a
        events = ev_b[::-1] + ev_a
        status = st_a if st_a != Status.REACHED_END else st_b
    else:
        pts, events, status = pts_a, ev_a, st_a
    return Curve(
        kind,
        ("", ""),
        tuple(_curve_point(p, null_tol, multiplicity) for p in pts),
        tuple(events),
        status,
        label,
    )


def _curve_point(pt: _Point, null_tol, m) -> CurvePoint:
    n_neg = int(np.sum(pt.lam < -null_tol))
    crit = np.sum(pt.lam[np.argsort(np.abs(pt.lam))[:m]] < -null_tol)
    return CurvePoint(
        float(pt.p[0]),
        float(pt.p[1]),
        float(pt.sp.loss(pt.x)),
        n_neg - int(crit),
        m,
        pt.residual,
        pt.x,
    )


def _inside(p, box) -> bool:
    (lo1, hi1), (lo2, hi2) = box
    eps = 1e-14
    return lo1 - eps <= p[0] <= hi1 + eps and lo2 - eps <= p[1] <= hi2 + eps


def _march(sys, pt, box, step, max_step, min_step, max_points, tol, null_tol, progress, marks):
    """Pseudo-arclength steps from ``pt`` until the curve leaves ``box``
    (:func:`~fixedpoints.numeric.arclength.arclength_steps`); returns ``(points, events,
    status)``."""
    points, events = [pt], []
    state = {"pt": pt}
    if sys.kind == "fold":
        B, _ = _chart(pt)
        pt.a = sys.cusp_coefficient(pt.x, B, np.concatenate([np.zeros(B.shape[1]), pt.p]), pt.Zc)

    def correct(s):
        pt = state["pt"]
        B, y0 = _chart(pt)
        t = np.concatenate([B.T @ pt.t[0], pt.t[1]])
        t = t / np.linalg.norm(t)
        rows = sys.constraint_rows(B, pt.Zc, pt.nulls)
        try:
            out = _solve(
                sys, pt.x, B, y0 + s * t, pt.Zc, rows, (lambda z: t @ (z - y0) - s, t), tol
            )
        except FixedPointsError:  # a parameter outside the model's domain
            return None
        return None if out is None else (_accept(sys, out[0], pt.x, B, pt.Zc), out[1])

    def leaves(new):
        return not _inside(new.p, box)

    def land(new):
        pt = state["pt"]
        end = _land(sys, pt, new, box, tol)
        if end is not None:
            points.append(end)
        return Status.REACHED_END if _edge_is_p2(pt.p, new.p, box) else Status.LEFT_RANGE

    def accept(new):
        pt = state["pt"]
        new.t = _tangent(sys, new, prev=pt.t)
        if marks is not None:
            points.extend(_marked(sys, pt, new, marks, tol))
        if pt.t[1][1] * new.t[1][1] < 0:
            events.append(_interpolated("turn", pt, new, pt.t[1][1], new.t[1][1]))
        if sys.kind == "fold":
            # the null vector's sign is arbitrary: orient it like the last one (a is odd in v)
            if float(np.sum(pt.Zc * new.Zc)) < 0:
                new.Zc = -new.Zc
            Bn, yn = _chart(new)
            new.a = sys.cusp_coefficient(new.x, Bn, yn, new.Zc)
            if pt.a * new.a < 0:
                events.append(_interpolated("cusp", pt, new, pt.a, new.a))
        points.append(new)
        state["pt"] = new
        if progress is not None:
            progress(float(new.p[1]))

    status = arclength_steps(
        correct,
        accept,
        leaves,
        land,
        step=step,
        max_step=max_step,
        min_step=min_step,
        max_points=max_points - 1,
    )
    if status == Status.STEP_TOO_SMALL:
        last = state["pt"]
        events.append(
            CurveEvent(
                "end",
                float(last.p[0]),
                float(last.p[1]),
                "no step converged: the curve meets another singularity here "
                "(or the critical eigenvalue joins another cluster)",
            )
        )
    return points, events, status


def _interpolated(kind, a: _Point, b: _Point, fa: float, fb: float) -> CurveEvent:
    f = fa / (fa - fb)
    p = a.p + f * (b.p - a.p)
    return CurveEvent(kind, float(p[0]), float(p[1]), "located by linear interpolation")


def _edge_is_p2(p, q, box) -> bool:
    (lo1, hi1), (lo2, hi2) = box
    return not (lo2 <= q[1] <= hi2) and (lo1 <= q[0] <= hi1)


def _land(sys, pt: _Point, new: _Point, box, tol):
    """The curve's point on the edge of the box it crossed between ``pt`` and ``new``, or
    None."""
    (lo1, hi1), (lo2, hi2) = box
    j = 1 if not (lo2 <= new.p[1] <= hi2) else 0
    edge = (lo2, hi2) if j == 1 else (lo1, hi1)
    v = edge[1] if new.p[j] > edge[1] else edge[0]
    return _at_value(sys, pt, new, j, v, tol)


def _at_value(sys, pt: _Point, new: _Point, j: int, v: float, tol):
    """The curve's point with parameter ``j`` equal to ``v``, between ``pt`` and ``new``
    (Newton at that parameter value from the linear interpolation), or None."""
    if abs(new.p[j] - pt.p[j]) < 1e-15:
        return None
    f = (v - pt.p[j]) / (new.p[j] - pt.p[j])
    B, y0 = _chart(pt)
    guess = y0.copy()
    guess[:-2] = f * (B.T @ (new.x - pt.x))
    guess[-2:] = pt.p + f * (new.p - pt.p)
    guess[-2 + j] = v
    rows = sys.constraint_rows(B, pt.Zc, pt.nulls)
    e = np.zeros(y0.size)
    e[-2 + j] = 1.0
    out = _solve(sys, pt.x, B, guess, pt.Zc, rows, (lambda z: z[-2 + j] - v, e), tol)
    if out is None:
        return None
    return _accept(sys, out[0], pt.x, B, pt.Zc)


def _marked(sys, pt: _Point, new: _Point, marks, tol) -> list:
    """Points of the curve at the ``marks`` (values of p2) strictly between ``pt`` and
    ``new``, in the order of the curve."""
    lo, hi = sorted((pt.p[1], new.p[1]))
    inside = [v for v in marks if lo < v < hi and abs(v - pt.p[1]) > 1e-13]
    inside.sort(reverse=bool(new.p[1] < pt.p[1]))
    out = []
    for v in inside:
        q = _at_value(sys, pt, new, 1, v, tol)
        if q is not None:
            q.t = pt.t
            out.append(q)
    return out
