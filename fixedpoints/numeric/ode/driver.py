r"""The batched Runge–Kutta driver: many trajectories of :math:`\dot y=F(y)` as one array program.

:func:`solve` advances ``N`` trajectories at once with any :class:`~fixedpoints.numeric.ode.Tableau`
(explicit), :class:`~fixedpoints.numeric.ode.Rosenbrock` method (linearly implicit, for stiff
problems), :class:`~fixedpoints.numeric.ode.Chebyshev` method (explicit, stabilised, for stiff
problems with a real spectrum) or :class:`~fixedpoints.numeric.ode.Auto` (explicit, switching
each trajectory to the Rosenbrock method where it is stiff:
:mod:`~fixedpoints.numeric.ode.stiffness`) and step
controller (:mod:`~fixedpoints.numeric.ode.control`): per-trajectory or shared steps,
an optional retraction after every step (e.g. onto spheres), an event located inside the step,
and a stop rule; finished trajectories leave the batch, so the cost follows the trajectories still
moving. The state is an array ``(N, ...)`` or a tuple of them (entries may be None) in any
array-API namespace; results come back as host NumPy arrays.

**Event.** With ``event`` :math:`g` and ``level`` :math:`c`, a trajectory stops at the first time
:math:`g(y(t))` reaches :math:`c`: ``direction = -1``: :math:`g\le c`, ``+1``: :math:`g\ge c`,
``0``: :math:`g-c` changes sign from its sign at :math:`t=0` (or vanishes); if that holds at
:math:`t=0` the event time is 0. In the accepted step :math:`[t,t+h]` where it first holds, the
crossing :math:`\theta\in[0,1]` is found by ``bisections`` bisections on the cubic Hermite
interpolant

.. math::

    p(\theta)=(2\theta^3-3\theta^2+1)\,y_0+(\theta^3-2\theta^2+\theta)\,hF_0
    +(3\theta^2-2\theta^3)\,y_1+(\theta^3-\theta^2)\,hF_1

(error :math:`O(h^4)`); the event time is :math:`t+\theta h` and the final state
:math:`p(\theta)`.

**Stop.** ``stop(t, y, f, ids)`` is called at :math:`t=0` and after every accepted step (after the
event) with the times ``(n,)``, states and :math:`F` of the ``n`` active trajectories and their
indices ``ids`` in the batch; it returns one bool per trajectory (True: status ``stopped``), one
:class:`~fixedpoints.results.Status` (or None to go on) per trajectory, or None (all go on).
With per-trajectory steps the times differ. A trajectory still moving
at :math:`t\ge t_{\max}(1-10^{-12})` ends with ``max-time``; one whose steps run out with
``max-steps`` (attempts, accepted or rejected); one whose step size underflows with
``step-too-small`` (``diverged`` when its error is non-finite).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from array_api_compat import array_namespace
from array_api_compat import device as _device

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.backend import keep_freed_memory, to_numpy
from fixedpoints.numeric.ode.control import ErrorControl, StepRule
from fixedpoints.numeric.ode.step import scale_rows
from fixedpoints.numeric.ode.stiffness import Auto, Methods
from fixedpoints.numeric.ode.tableau import DOPRI5, Chebyshev, Rosenbrock, Tableau
from fixedpoints.results import Solution, Status

__all__ = ["solve"]


def _first(y):
    return next(c for c in y if c is not None)


class _Rows:
    """Row selection on a state tuple in its namespace (``take``) and the host copies of the final
    states of retired trajectories."""

    def __init__(self, xp, like, N):
        self.xp, self.dev, self.N = xp, _device(like), N
        self.final = None

    def index(self, rows):
        return self.xp.asarray(np.asarray(rows, dtype=np.int64), device=self.dev)

    def take(self, state, rows):
        r = self.index(rows)
        return tuple(None if c is None else self.xp.take(c, r, axis=0) for c in state)

    def where(self, mask, new, old):
        m = self.xp.asarray(np.asarray(mask), device=self.dev)
        out = []
        for n, o in zip(new, old, strict=True):
            if n is None:
                out.append(None)
                continue
            out.append(self.xp.where(self.xp.reshape(m, (-1,) + (1,) * (n.ndim - 1)), n, o))
        return tuple(out)

    def store(self, state, rows, ids):
        """Host copies of ``state[rows]`` as the final states of trajectories ``ids``."""
        if self.final is None:
            self.final = [
                None if c is None else np.zeros((self.N,) + tuple(c.shape[1:])) for c in state
            ]
        part = state if rows is None else self.take(state, rows)
        for c, host in zip(part, self.final, strict=True):
            if c is not None:
                host[ids] = to_numpy(c)


def _statuses(out, n) -> np.ndarray | None:
    """A stop rule's answer as an object array of Status or None; None when it is None (every
    trajectory goes on)."""
    if out is None:
        return None
    if isinstance(out, np.ndarray) and out.dtype == object and out.shape == (n,):
        return out
    arr = np.asarray(out)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise out_of_range("stop", f"output shape {arr.shape}", f"shape (n,) = ({n},)")
        return np.where(arr, Status.STOPPED, None)
    res = np.empty(n, dtype=object)
    vals = list(out)
    if len(vals) != n:
        raise out_of_range("stop", f"{len(vals)} values", f"{n} (one per active trajectory)")
    for i, v in enumerate(vals):
        res[i] = Status(v) if v else None
    return res


def solve(
    field,
    y0,
    t_max: float,
    *,
    tableau=DOPRI5,
    control=None,
    xp=None,
    jacobian=None,
    symmetric_jacobian: bool = False,
    retract=None,
    project=None,
    event=None,
    level: float | None = None,
    direction: int = 0,
    bisections: int = 48,
    stop=None,
    max_steps: int = 1_000_000,
    progress=None,
) -> Solution:
    """Integrate :math:`\\dot y=F(y)` for a batch of trajectories (module docstring).

    Parameters
    ----------
    field : callable
        :math:`F`, mapping a state (array ``(n, ...)`` or tuple) to one of the same shapes.
    y0 : array (N, ...) or tuple of arrays
        Initial states, one row per trajectory.
    t_max : float
        End time, > 0 (``inf``: an event, the stop rule or ``max_steps`` ends each trajectory).
    tableau : Tableau, Rosenbrock, Auto or Chebyshev
        The method (default Dormand–Prince 5(4)); ``AUTO``: Dormand–Prince 5(4) switching to
        ROS34PW2 per stiff trajectory; ``RKC``: the Runge–Kutta–Chebyshev method, explicit with
        as many stages per step as the stiffness needs (:mod:`~fixedpoints.numeric.ode.chebyshev`).
    control : ErrorControl, FixedStep or StepRule
        Step controller (default: per-trajectory :class:`ErrorControl` for an adaptive tableau).
    xp : array namespace, optional
        Default: the namespace of ``y0``.
    jacobian : callable, optional
        ``jacobian(y) -> (n, m, m)``: :math:`\\partial F/\\partial y` of each trajectory over its
        ``m`` numbers (the non-None components flattened row-major, side by side) for the
        Rosenbrock method; default forward differences (one batched field call). Unused by an
        explicit tableau.
    symmetric_jacobian : bool
        :math:`\\partial F/\\partial y` is symmetric (a gradient flow, :math:`F=-\\nabla\\mathcal L`):
        the Rosenbrock method keeps each Jacobian in eigen form and needs no matrix inverse per
        step (:mod:`~fixedpoints.numeric.ode.stiffness`).
    retract : callable, optional
        Applied to the state after every accepted step (e.g. row normalisation).
    project : callable, optional
        ``project(y, ids) -> y``: a linear projection of the states of trajectories ``ids`` onto
        subspaces that the flow leaves invariant (e.g. fixed-point subspaces of a symmetry),
        applied after every accepted step (after ``retract``) and to :math:`F` there, so that
        round-off cannot grow out of them.
    event, level, direction, bisections
        Event function ``event(y) -> (n,)``, its level, direction and location accuracy.
    stop : callable, optional
        ``stop(t, y, f, ids)`` (module docstring).
    max_steps : int
        Step attempts per trajectory.
    progress : callable, optional
        ``progress(t, active)`` after every iteration with an accepted step.

    Returns
    -------
    Solution
        Host arrays; never raises for a failing trajectory (its status says why).

    Raises
    ------
    ParameterError
        Non-positive ``t_max`` or ``max_steps``, bad ``direction``, ``event`` without ``level``,
        an unknown ``tableau``, a fixed-step method without a step, or
        ``field``/``event``/``stop``/``jacobian`` returning wrong shapes.
    """
    keep_freed_memory()
    if not t_max > 0:
        raise out_of_range("t_max", t_max, "> 0")
    if int(max_steps) < 1:
        raise out_of_range("max_steps", max_steps, ">= 1")
    if direction not in (-1, 0, 1):
        raise out_of_range("direction", direction, "one of -1, 0, 1")
    if event is not None and level is None:
        raise out_of_range("level", level, "a number when `event` is given")
    if not isinstance(tableau, Tableau | Rosenbrock | Auto | Chebyshev):
        raise out_of_range(
            "tableau", tableau, "a Tableau, Rosenbrock, Auto or Chebyshev (e.g. DOPRI5, AUTO, RKC)"
        )
    if control is None:
        if not tableau.adaptive:
            raise out_of_range("control", None, f"a step controller for method {tableau.name!r}")
        control = ErrorControl()
    if isinstance(control, ErrorControl) and not tableau.adaptive:
        raise out_of_range("control", "ErrorControl", f"FixedStep or StepRule for {tableau.name!r}")
    single = not isinstance(y0, tuple)
    y = (y0,) if single else tuple(y0)
    if single:

        def F(s):
            return (field(s[0]),)

        R = None if retract is None else (lambda s: (retract(s[0]),))
        P = None if project is None else (lambda s, ids: (project(s[0], ids),))
        G = None if event is None else (lambda s: event(s[0]))
        S = None if stop is None else (lambda t, s, fs, ids: stop(t, s[0], fs[0], ids))
        Jac = None if jacobian is None else (lambda s: jacobian(s[0]))
        if isinstance(control, StepRule):
            rule = control.rule
            control = replace(control, rule=lambda t, s, fs: rule(t, s[0], fs[0]))
    else:
        F, R, G, S, Jac, P = field, retract, event, stop, jacobian, project
    xp = xp or array_namespace(_first(y))
    N = int(_first(y).shape[0])
    rows = _Rows(xp, _first(y), N)
    methods = Methods(tableau, F, Jac, y, xp, rows, symmetric=symmetric_jacobian)
    f = F(y)
    for c, fc in zip(y, f, strict=True):
        if c is not None and tuple(fc.shape) != tuple(c.shape):
            raise out_of_range(
                "field", f"output shape {tuple(fc.shape)}", f"the state's shape {tuple(c.shape)}"
            )

    def g_of(state, n):
        g = np.asarray(to_numpy(G(state)), dtype=float)
        if g.shape != (n,):
            raise out_of_range("event", f"output shape {g.shape}", f"shape (n,) = ({n},)")
        return g - level

    t = np.zeros(N)
    status = np.full(N, None, dtype=object)
    steps, rejected = np.zeros(N, dtype=int), np.zeros(N, dtype=int)
    event_times = np.full(N, np.inf)
    sign0 = np.zeros(N)
    ids = np.arange(N)
    done = np.zeros(N, dtype=bool)
    if G is not None:
        g0 = g_of(y, N)
        if direction == 0:
            sign0 = np.sign(g0)
            hit = sign0 == 0
        else:
            hit = direction * g0 >= 0
        event_times[hit], status[hit], done[hit] = 0.0, Status.EVENT, True
    s0 = None if S is None else _statuses(S(t, y, f, ids), N)
    if s0 is not None:
        s0[done] = None
        status[s0 != None] = s0[s0 != None]  # noqa: E711 - object array of Status or None
        done |= s0 != None  # noqa: E711

    def reached(g, idx):
        if direction == 0:
            return (np.sign(g) != sign0[idx]) | (g == 0)
        return direction * g >= 0

    def retire(mask_rows, stored=None):
        """Store the final states of the active rows in ``mask_rows`` (but those already
        ``stored``) and drop them from the batch."""
        nonlocal y, f, ids, h
        todo = mask_rows if stored is None else mask_rows & ~stored
        r = np.flatnonzero(todo)
        if r.size:
            rows.store(y, None if r.size == ids.size else r, ids[r])
        keep = np.flatnonzero(~mask_rows)
        if keep.size and keep.size < ids.size:
            y, f = rows.take(y, keep), rows.take(f, keep)
        ids, h = ids[keep], h[keep]

    h = np.zeros(N)
    if done.any():
        retire(done)
    if ids.size:
        h = control.initial(y, f, t[ids], t_max, xp)
    adaptive = isinstance(control, ErrorControl)
    for _ in range(int(max_steps)):
        if ids.size == 0:
            break
        ta = t[ids]
        ha = np.minimum(h, t_max - ta) if control.caps and np.isfinite(t_max) else h
        ha = methods.limit(y, f, ha, ids, control.shared)
        hb = float(ha[0]) if control.shared else xp.asarray(ha, device=rows.dev)
        y_new, f_new, err, _ = methods.step(y, f, ha, hb, ids, adaptive)
        n = ids.size
        if adaptive:
            e = control.error(y, y_new, err, xp)
            accept, h_next, failed = control.decide(e, ha, ta, methods.orders(ids))
            all_in = bool(accept.all())
            if not all_in:
                rejected[ids[~accept & ~failed]] += 1
        else:
            accept, h_next, failed, all_in = None, h, None, True
        methods.accepted(accept, ids)
        y_old, f_old = y, f
        if all_in or accept.any():
            y = y_new if all_in else rows.where(accept, y_new, y)
            if R is not None:
                y = R(y)
            if P is not None:
                y = P(y, ids)
            if f_new is not None and R is None:
                f = f_new if all_in else rows.where(accept, f_new, f)
                f = f if P is None else P(f, ids)
            else:
                f = F(y)
            if all_in:
                t[ids] = ta + ha
                steps[ids] += 1
            else:
                t[ids[accept]] = ta[accept] + ha[accept]
                steps[ids[accept]] += 1
            acc = np.arange(n) if all_in else np.flatnonzero(accept)
        else:
            acc = np.zeros(0, dtype=np.int64)
        fin = np.zeros(n, dtype=bool)
        stored = np.zeros(n, dtype=bool)  # rows whose final state is already stored
        if failed is not None and failed.any():
            bad = failed & ~np.isfinite(e)
            status[ids[bad]] = Status.DIVERGED
            status[ids[failed & ~bad]] = Status.STEP_TOO_SMALL
            fin |= failed
        if acc.size and G is not None:
            g = g_of(y, n)
            crossed = np.zeros(n, dtype=bool)
            crossed[acc] = reached(g[acc], ids[acc])
            if crossed.any():
                c = np.flatnonzero(crossed)
                theta, p = _hermite_crossing(
                    lambda x, idx=ids[c]: reached(g_of(x, idx.size), idx),
                    rows.take(y_old, c),
                    rows.take(f_old, c),
                    rows.take(y, c),
                    rows.take(f, c),
                    ha[c],
                    bisections,
                    xp,
                    rows.dev,
                )
                te = ta[c] + theta * ha[c]
                event_times[ids[c]] = te
                t[ids[c]] = te
                status[ids[c]] = Status.EVENT
                rows.store(p, None, ids[c])
                fin |= crossed
                stored |= crossed
        if acc.size and S is not None:
            rest = acc[~fin[acc]]
            if rest.size:
                whole = rest.size == n
                ys = y if whole else rows.take(y, rest)
                fs = f if whole else rows.take(f, rest)
                s = _statuses(S(t[ids[rest]], ys, fs, ids[rest]), rest.size)
                hit = None if s is None else s != None  # noqa: E711
                if hit is not None and hit.any():
                    status[ids[rest[hit]]] = s[hit]
                    fin[rest[hit]] = True
        if acc.size and np.isfinite(t_max):
            late = np.zeros(n, dtype=bool)
            late[acc] = t[ids[acc]] >= t_max * (1 - 1e-12)
            late &= ~fin
            if late.any():
                status[ids[late]] = Status.MAX_TIME
                fin |= late
        h = h_next
        if fin.any():
            retire(fin, stored)
        if acc.size and not adaptive and ids.size:
            h = control.propose(t[ids], y, f, h, xp)
        if progress is not None and acc.size:
            progress(float(np.max(t[ids])) if ids.size else float(np.max(ta + ha)), int(ids.size))
    if ids.size:
        status[ids] = Status.MAX_STEPS
        rows.store(y, None, ids)
    final = rows.final if rows.final is not None else [None] * len(y)
    states = final[0] if single else tuple(final)
    return Solution(
        states=states,
        times=t,
        event_times=event_times,
        status=tuple(status),
        steps=steps,
        rejected=rejected,
        methods=methods.names(),
    )


def _hermite_crossing(reached, y0, f0, y1, f1, h, iterations, xp, dev):
    r"""First :math:`\theta\in[0,1]` per row with ``reached(p(theta))`` by bisection on the cubic
    Hermite interpolant :math:`p(\theta)=h_{00}y_0+h_{10}hf_0+h_{01}y_1+h_{11}hf_1`; returns
    :math:`\theta` (host) and :math:`p(\theta)` (state tuple)."""

    def p(th):
        t2, t3 = th * th, th * th * th
        w = [
            xp.asarray(v, device=dev)
            for v in (2 * t3 - 3 * t2 + 1, (t3 - 2 * t2 + th) * h, 3 * t2 - 2 * t3, (t3 - t2) * h)
        ]
        out = []
        for a, b, c, d in zip(y0, f0, y1, f1, strict=True):
            if a is None:
                out.append(None)
                continue
            out.append(
                scale_rows(w[0], a, xp)
                + scale_rows(w[1], b, xp)
                + scale_rows(w[2], c, xp)
                + scale_rows(w[3], d, xp)
            )
        return tuple(out)

    lo, hi = np.zeros(h.size), np.ones(h.size)
    for _ in range(iterations):
        th = 0.5 * (lo + hi)
        below = reached(p(th))
        hi, lo = np.where(below, th, hi), np.where(below, lo, th)
    return hi, p(hi)
