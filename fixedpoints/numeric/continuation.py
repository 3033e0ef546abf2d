r"""Pseudo-arclength continuation of critical points in one parameter, with fold and branch-point
detection, event localisation and branch switching.

A branch is a curve :math:`(x(s), p(s))` with :math:`g(x;p)=0` (the Riemannian gradient). Around the
current point :math:`c` we use the chart :math:`x=R(c+B_cu)` (:math:`B_c` an orthonormal tangent
basis, :math:`R` the retraction), so :math:`F(u,p)=B_c^\top g(R(c+B_cu);p)` is a square system.
Each step predicts along the unit tangent :math:`t=(t_u,t_p)` (the null vector of
:math:`[\partial_uF\ \ \partial_pF]`) and corrects with Newton on

.. math::

    F(u,p)=0,\qquad t_u^\top u+t_p(p-p_0)=s,

with step control (halve on failure, grow by 1.5 after fast convergence). Along the branch the
Hessian spectrum is monitored:

* a **fold** is where :math:`t_p` changes sign (the parameter turns back);
* a **branch point** is where a Hessian eigenvalue crosses zero while :math:`t_p` keeps its sign
  (on a symmetric branch: a symmetry-breaking bifurcation).

Events are localised by bisection in the arclength to ``event_tol`` in the parameter. At a branch
point the new branches are started by Newton from :math:`x_*\pm\varepsilon v` (:math:`v` a null
eigenvector) at parameters slightly beyond the event.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import FixedPointsError
from fixedpoints.numeric.arclength import arclength_steps, bordered_newton
from fixedpoints.numeric.derivatives import hessian_vector_products
from fixedpoints.numeric.newton import newton
from fixedpoints.results import Branch, BranchPoint, Event, Status

__all__ = ["continue_branch", "keyed_spectrum", "switch_branches"]


def _hessian_eigen(space, x):
    B = space.tangent_basis(x)
    H = space.hessian(x, B)
    lam, U = np.linalg.eigh(H)
    return lam, U, B


class _Tracker:
    def __init__(self, family, null_tol, param_step=1e-6):
        self.family = family
        self.null_tol = null_tol
        self.h = param_step
        self._cache = {}
        self._jac = {}  # (p, x bytes) -> [B, H, Jp or None] at accepted points
        self._last_gradient = None

    def _memo(self, x, p):
        """``[B, H, Jp]`` at ``(x, p)`` (``Jp`` None until asked for), memoised for the last
        few points: the tangent basis and the Hessian in it (the exact one of the landscape
        where it has one)."""
        key = (float(p), np.asarray(x, dtype=float).tobytes())
        hit = self._jac.get(key)
        if hit is None:
            sp = self.space(p)
            B = sp.tangent_basis(x)
            if len(self._jac) > 8:
                self._jac.clear()
            hit = self._jac[key] = [B, sp.hessian(x, B), None]
        return hit

    def point_jacobian(self, x, p):
        r"""``(B, H, Jp)`` at a critical point: the tangent basis, the Hessian in it (at a
        critical point the chart Jacobian :math:`\partial F/\partial u` at u = 0) and
        :math:`\partial F/\partial p` by a forward difference (:meth:`_memo`; the tangent, the
        classification and the corrector's chord all use it, only the first two ask for Jp)."""
        memo = self._memo(x, p)
        if memo[2] is None:
            B, h = memo[0], self.h * max(1.0, abs(p))
            # a forward difference (one landscape more, not two): its O(h) error moves the
            # tangent, not the branch, and a fold stays where the critical eigenvalue vanishes
            memo[2] = B.T @ (self.space(p + h).gradient(x) - self.gradient_at(x, p)) / h
        return tuple(memo)

    def space(self, p):
        key = float(p)
        if key not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = self.family(key)
        return self._cache[key]

    def residual(self, c, B, u, p):
        sp = self.space(p)
        x = sp.retract(c + B @ u)
        g = sp.gradient(x)
        self._last_gradient = (float(p), x.tobytes(), g)
        return B.T @ g

    def gradient_at(self, x, p):
        """The (Riemannian) gradient at ``(x, p)``: the last one :meth:`residual` computed when
        it was there (the corrector's final evaluation is the accepted point)."""
        last = self._last_gradient
        if last is not None and last[0] == float(p) and last[1] == x.tobytes():
            return last[2]
        return self.space(p).gradient(x)

    def jacobian(self, c, B, u, p):
        """``[∂F/∂u, ∂F/∂p]`` at ``(u, p)`` in the chart of ``c``."""
        sp = self.space(p)

        def F(U):
            X = sp.retract(c + U @ B.T)
            return sp.gradient(X) @ B

        Ju = hessian_vector_products(F, u, np.eye(u.size)).T
        h = self.h * max(1.0, abs(p))
        Jp = (self.residual(c, B, u, p + h) - self.residual(c, B, u, p - h)) / (2 * h)
        return Ju, Jp

    def tangent(self, x, p, prev=None):
        """Unit tangent (ambient ``dx``, ``dp``) at the point, oriented like ``prev``."""
        sp = self.space(p)
        if hasattr(sp, "spectrum"):  # isotypic spaces: the chart Jacobian by differences
            B = sp.tangent_basis(x)
            Ju, Jp = self.jacobian(x, B, np.zeros(B.shape[1]), p)
        else:
            B, Ju, Jp = self.point_jacobian(x, p)
        A = np.column_stack([Ju, Jp])
        _, _, vt = np.linalg.svd(A)
        t = vt[-1]
        dx, dp = B @ t[:-1], t[-1]
        if prev is not None and (prev[0] @ dx + prev[1] * dp) < 0:
            dx, dp = -dx, -dp
        return dx, dp

    def correct(self, c, p0, t, s, max_iter=10, tol=1e-10):
        """Newton corrector from the prediction at arclength ``s``; returns (x, p, iterations)
        or None (also when the parameter leaves the model's domain)."""
        try:
            return self._correct(c, p0, t, s, max_iter, tol)
        except FixedPointsError:
            return None

    def _correct(self, c, p0, t, s, max_iter, tol):
        hit = self._jac.get((float(p0), np.asarray(c, dtype=float).tobytes()))
        B = hit[0] if hit is not None else self.space(p0).tangent_basis(c)
        tu = B.T @ t[0]
        tp = t[1]
        nrm = np.hypot(np.linalg.norm(tu), tp)
        tu, tp = tu / nrm, tp / nrm
        u = s * tu
        p = p0 + s * tp
        chord = self._chord(c, p0, B, tu, tp, u, p, s, tol)
        if chord is not None:
            return chord
        t_y = np.append(tu, tp)
        out = bordered_newton(
            lambda y: self.residual(c, B, y[:-1], y[-1]),
            lambda y: np.column_stack(self.jacobian(c, B, y[:-1], y[-1])),
            np.append(u, p),
            (lambda y: t_y @ y - tp * p0 - s, t_y),
            tol=tol,
            accept=1e-8,
            max_iter=max_iter,
            norm=np.linalg.norm,
            rcond=1e-12,
        )
        if out is None:
            return None
        y, it = out
        return self.space(y[-1]).retract(c + B @ y[:-1]), y[-1], it

    def _chord(self, c, p0, B, tu, tp, u, p, s, tol, max_iter=8):
        """The corrector with the Jacobian of the accepted point ``c`` (:meth:`point_jacobian`),
        its bordered matrix inverted once per step: residual evaluations only. None when the
        space has no such Jacobian (isotypic), or when it does not converge (the full Newton
        takes over)."""
        if hasattr(self.space(p0), "spectrum"):
            return None
        Bc, H, Jp = self.point_jacobian(c, p0)
        n = H.shape[0]
        if Bc.shape != B.shape:
            return None
        M = np.empty((n + 1, n + 1))
        M[:n, :n], M[:n, n], M[n, :n], M[n, n] = H, Jp, tu, tp
        try:
            Minv = np.linalg.inv(M)
        except np.linalg.LinAlgError:
            return None
        # near a branch point the bordered matrix is near-singular: round-off in symmetric
        # residuals would then be blown up along symmetry-breaking directions; the
        # least-squares Newton (cut-off 1e-12) keeps the branch's symmetry there
        if not np.all(np.isfinite(Minv)) or np.abs(M).max() * np.abs(Minv).max() > 1e10:
            return None
        last = np.inf
        for it in range(1, max_iter + 1):
            F = self.residual(c, B, u, p)
            r = np.append(F, tu @ u + tp * (p - p0) - s)
            if not np.all(np.isfinite(r)):
                return None
            nrm = np.linalg.norm(F)
            if nrm < tol and abs(r[-1]) < 1e-12:
                return self.space(p).retract(c + B @ u), p, it
            if nrm > 0.5 * last and it > 2:  # too slow: leave it to Newton
                return None
            last = nrm
            delta = -(Minv @ r)
            u = u + delta[:-1]
            p = p + delta[-1]
        return None

    def classify(self, x, p):
        """``(lam, U, B, index)``: the Hessian eigenvalues ascending (isotypic: the distinct
        ones), eigenvectors and tangent basis (None for isotypic spaces), Morse index."""
        return self._classify(x, p)[:4]

    def point(self, x, p):
        """The :class:`BranchPoint` at ``(x, p)`` with its spectrum (null band ``null_tol`` set
        to 0; isotypic spaces add ``components``), and the eigenvalues ``lam`` of
        :meth:`classify` (one classification)."""
        # imported here: the symmetry package imports this module (precision.keyed_spectrum)
        from fixedpoints.numeric.fixed_points import MERGE_TOL
        from fixedpoints.numeric.symmetry.spectra import merge_spectrum

        lam, _, _, idx, items = self._classify(x, p)
        eps = self.null_tol
        spectrum = merge_spectrum(
            ((v if abs(v) > eps else 0.0, m) for v, m, *_ in items), MERGE_TOL
        )
        comps = [(v, m, lab) for v, m, lab, *_ in items] if items and len(items[0]) > 2 else None
        loss = float(self.space(p).loss(x))
        return BranchPoint(p, loss, idx, float(lam[0]), x, spectrum=spectrum, components=comps), lam

    def _classify(self, x, p):
        sp = self.space(p)
        if hasattr(sp, "spectrum"):  # isotypic: distinct eigenvalues, index with multiplicities
            items = sp.spectrum(x)
            lam = np.array([v for v, *_ in items])
            idx = sum(m for v, m, *_ in items if v < -self.null_tol)
            return lam, None, None, int(round(idx)), items
        B, H, _ = self._memo(x, p)
        lam, U = np.linalg.eigh(H)
        eps = self.null_tol
        return lam, U, B, int(np.sum(lam < -eps)), [(v, 1) for v in lam]


def continue_branch(
    family,
    x0,
    p0: float,
    p_end: float,
    *,
    step: float = 0.02,
    max_step: float = 0.1,
    min_step: float = 1e-7,
    max_points: int = 2000,
    event_tol: float = 1e-10,
    null_tol: float = 1e-7,
    label: str = "",
    progress=None,
) -> Branch:
    """Continue the critical point ``x0`` at ``p0`` towards ``p_end``.

    Parameters
    ----------
    family : callable
        ``family(p)`` returns the landscape at parameter ``p``.
    x0 : array
        A critical point at ``p0`` (polished first with Newton).
    step, max_step, min_step : float
        Initial, largest and smallest arclength steps.
    event_tol : float
        Localisation tolerance of events in the parameter.
    null_tol : float
        Absolute eigenvalue tolerance for the index.

    Returns
    -------
    Branch
        ``status``: ``reached-end``, ``left-range``, ``step-too-small`` or ``max-points``. Never
        raises for a failed step.
    """
    tr = _Tracker(family, null_tol)
    direction = 1.0 if p_end >= p0 else -1.0
    lo, hi = min(p0, p_end), max(p0, p_end)
    r = newton(tr.space(p0), x0, tol=1e-12)
    x, p = r.x, float(p0)
    points = [tr.point(x, p)[0]]
    events = []
    t = tr.tangent(x, p)
    if t[1] * direction < 0:
        t = (-t[0], -t[1])
    state = {"x": x, "p": p, "t": t}

    def correct(s):
        out = tr.correct(state["x"], state["p"], state["t"], s)
        return None if out is None else ((out[0], out[1]), out[2])

    def leaves(new):
        pn = new[1]
        return (pn - hi) > 1e-14 or (lo - pn) > 1e-14

    def land(new):
        # land exactly on the end of the range with a natural-parameter solve
        (xn, pn), x, p, t = new, state["x"], state["p"], state["t"]
        pe = hi if pn > hi else lo
        if abs(pe - p) > 1e-12:
            r = newton(tr.space(pe), x + (xn - x) * (pe - p) / (pn - p), tol=1e-12)
            if r.status == "converged":
                pt, lam_e = tr.point(r.x, pe)
                _detect(tr, points[-1], (r.x, pe, lam_e, pt.index), t, t, events, event_tol)
                points.append(pt)
        return Status.REACHED_END if (pn - p) * direction > 0 else Status.LEFT_RANGE

    def accept(new):
        (xn, pn), t = new, state["t"]
        tn = tr.tangent(xn, pn, prev=t)
        pt, lam_n = tr.point(xn, pn)
        _detect(tr, points[-1], (xn, pn, lam_n, pt.index), t, tn, events, event_tol)
        points.append(pt)
        state.update(x=xn, p=pn, t=tn)
        if progress is not None:
            progress(pn)

    status = arclength_steps(
        correct,
        accept,
        leaves,
        land,
        step=step,
        max_step=max_step,
        min_step=min_step,
        max_points=max_points - len(points),
    )
    return Branch(tuple(points), tuple(events), status, label)


def _detect(tr, prev: BranchPoint, new, t_old, t_new, events, tol):
    """Append fold / branch-point events between ``prev`` and ``new`` (localised by bisection)."""
    xn, pn, lam_n, idx_n = new
    fold = t_old[1] * t_new[1] < 0
    if not fold and hasattr(tr.space(pn), "spectrum"):
        _detect_components(tr, prev, new, t_old, events, tol)
        return
    if idx_n == prev.index and not fold:
        return
    kind = "fold" if fold else "branch_point"

    if kind == "fold":
        best = _locate_fold(tr, prev, xn, pn, t_old, tol)
    else:
        best = _locate_crossing(tr, prev, pn, idx_n, t_old, tol)
    xe, pe = best
    lam, _, _, _ = tr.classify(xe, pe)
    mult = int(np.sum(np.abs(lam) < max(1e-6, 1e3 * tol)))
    below, above = (prev.index, idx_n) if pn >= prev.parameter else (idx_n, prev.index)
    events.append(
        Event(
            kind,
            float(pe),
            int(below),
            int(above),
            float(tr.space(pe).loss(xe)),
            max(1, mult),
            xe,
        )
    )


def _resolve(tr, prev, t_old, p):
    """The branch's point at parameter ``p``, by Newton at fixed p from the prediction along the
    tangent at the last regular point ``prev``: both keep the branch's symmetry to round-off, so
    Newton cannot slide onto a bifurcating branch."""
    tx, tp = t_old
    guess = prev.x + tx * ((p - prev.parameter) / tp) if abs(tp) > 1e-3 else prev.x
    return newton(tr.space(p), guess, tol=1e-13, max_iter=30).x


def keyed_spectrum(items):
    """Isotypic spectrum → {(label, rank within label): (eigenvalue, multiplicity, formula)}."""
    out, seen = {}, {}
    for v, m, lab, *rest in items:
        r = seen.get(lab, 0)
        seen[lab] = r + 1
        out[(lab, r)] = (v, m, rest[0] if rest else "")
    return out


def _detect_components(tr, prev, new, t_old, events, tol):
    """Events where an isotypic eigenvalue changes sign between ``prev`` and ``new``, each
    localised by Brent's method on that eigenvalue (the point re-solved at fixed parameter),
    with its component label and multiplicity (at the event, and as a formula)."""
    from scipy.optimize import brentq

    xn, pn, _, idx_n = new
    a = keyed_spectrum(tr.space(prev.parameter).spectrum(prev.x))
    b = keyed_spectrum(tr.space(pn).spectrum(xn))
    a_p = prev.parameter

    def point(p):
        return _resolve(tr, prev, t_old, p)

    for key in a.keys() & b.keys():
        if not a[key][0] * b[key][0] < 0:  # same sign, or undefined (nan) on either side
            continue

        def f(p, key=key):
            return keyed_spectrum(tr.space(p).spectrum(point(p))).get(key, (np.nan,))[0]

        try:
            pe = brentq(f, a_p, pn, xtol=tol, rtol=4 * np.finfo(float).eps, maxiter=200)
        except (ValueError, RuntimeError):
            pe = pn
        xe = point(pe)
        m = keyed_spectrum(tr.space(pe).spectrum(xe)).get(key, b[key])[1]
        below, above = (prev.index, idx_n) if pn >= a_p else (idx_n, prev.index)
        events.append(
            Event(
                "branch_point",
                float(pe),
                int(below),
                int(above),
                float(tr.space(pe).loss(xe)),
                max(1, int(round(m))),
                xe,
                component=key[0],
                multiplicity_formula=b[key][2],
            )
        )


def _locate_fold(tr, prev, xn, pn, t_old, tol):
    """Bisection in arclength on the sign of dp/ds (the extended system is regular at a fold)."""
    a_x, a_p = prev.x, prev.parameter
    s_lo, s_hi = 0.0, float(np.hypot(np.linalg.norm(xn - a_x), pn - a_p))
    f_lo = t_old[1]
    best = (xn, pn)
    for _ in range(80):
        s_mid = 0.5 * (s_lo + s_hi)
        out = tr.correct(a_x, a_p, t_old, s_mid, tol=1e-12)
        if out is None:
            break
        xm, pm, _ = out
        best = (xm, pm)
        if np.sign(tr.tangent(xm, pm, prev=t_old)[1]) == np.sign(f_lo):
            s_lo = s_mid
        else:
            s_hi = s_mid
        if s_hi - s_lo < tol:
            break
    return best


def _locate_crossing(tr, prev, pn, idx_n, t_old, tol):
    r"""Root in the parameter of the mean of the :math:`m=|\Delta\text{index}|` eigenvalues
    :math:`\lambda_j..\lambda_{j+m-1}`, :math:`j=\min(\text{indices})`, that change sign (a
    small symmetry-breaking error of the point splits the cluster at first order, its mean moves
    at second), the point re-solved at each fixed parameter by pseudo-inverse Newton (ignoring
    near-null directions: a symmetric branch stays symmetric); Brent's method to ``tol``."""
    from scipy.optimize import brentq

    j, m, a_p = min(prev.index, idx_n), max(1, abs(prev.index - idx_n)), prev.parameter

    def point(p):
        return _resolve(tr, prev, t_old, p)

    def f(p):
        lam = tr.classify(point(p), p)[0]
        return float(lam[-1]) if j >= lam.size else float(np.mean(lam[j : j + m]))

    try:
        fa, fb = f(a_p), f(pn)
        if fa * fb > 0:
            return point(pn), pn
        pe = brentq(f, a_p, pn, xtol=tol, rtol=4 * np.finfo(float).eps, maxiter=200)
    except (ValueError, RuntimeError):
        return point(pn), pn
    return point(pe), pe


def switch_branches(family, event: Event, p_end: float, *, offset: float = 1e-3, eps=1e-2):
    r"""Starting points of the branches bifurcating at a branch point: for each null eigenvector
    :math:`v` of the Hessian at the event, Newton at :math:`p_*\pm\delta` from
    :math:`x_*\pm\varepsilon v`; returns ``[(x, p), ...]`` of converged points that are not on
    the original branch (distance > ε/10), without duplicates."""
    lam, U, B = _hessian_eigen(family(event.value), event.x)
    null = np.argsort(np.abs(lam))[: max(1, event.multiplicity)]
    out = []
    span = abs(p_end - event.value)
    for side in (1.0, -1.0):
        p = event.value + side * min(offset, 0.5 * span if span > 0 else offset)
        sp = family(p)
        base = newton(sp, event.x, tol=1e-12).x
        for j in null:
            for sign in (1.0, -1.0):
                r = newton(sp, sp.retract(event.x + sign * eps * (B @ U[:, j])), tol=1e-12)
                if r.status != "converged" or np.linalg.norm(r.x - base) < eps / 10:
                    continue
                if any(np.linalg.norm(r.x - x) < eps / 10 and q == p for x, q in out):
                    continue
                out.append((r.x, p))
    return out
