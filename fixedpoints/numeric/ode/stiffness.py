r"""Stiffness switching: an explicit method where it is accurate, a Rosenbrock method where the
explicit step is stability-limited, chosen per trajectory (as LSODA does between Adams and BDF).

:class:`Auto` (``solve(..., tableau=AUTO)``) starts every trajectory on the explicit method
(Dormand–Prince 5(4)) and watches it with **Hairer's stiffness test**: the explicit tableau names
two stages :math:`p<q` at the same abscissa (DOPRI5: 6 and 7, both at :math:`c=1`), and

.. math::

    h\rho=\frac{\|k_q-k_p\|}{\|\sum_j(a_{qj}-a_{pj})k_j\|}
    =h\,\frac{\|F(Y_q)-F(Y_p)\|}{\|Y_q-Y_p\|}

estimates :math:`h|\lambda|` for the dominant eigenvalue :math:`\lambda` of
:math:`\partial F/\partial y` (norms over the trajectory's components). DOPRI5's stability region
reaches :math:`-3.3` on the real axis, so an accepted step with :math:`h\rho>` ``threshold``
(3.25) is *stiff*: after ``window`` (15) stiff accepted steps the trajectory switches to the
Rosenbrock method (ROS34PW2, L-stable); ``forgive`` (6) non-stiff accepted steps in a row reset
the count (Hairer's ``dopri5``). Only a state of at most ``max_dense`` (256) numbers switches to
the Rosenbrock method: every Rosenbrock step inverts a dense :math:`n\times n` matrix per
trajectory and a Jacobian costs :math:`n` field evaluations per trajectory. A larger state
switches to ``wide`` instead (RKC, :mod:`~fixedpoints.numeric.ode.chebyshev`: explicit, as many
stages per step as :math:`h\rho` needs, :math:`\rho` re-estimated every ``rho_every`` accepted
steps and after a rejection by a power iteration of a few field calls; measured on
relu-teacher d = 20, 400 weights, 20 gradient-flow runs at rtol 1e-6: 5.0 s and all converged,
against 24.8 s and one run at ``t_max`` on Dormand–Prince alone), or stays explicit with
``wide=None``.

**Back.** On the Rosenbrock method, an accepted step with :math:`h\|J\|_F\le` ``back`` (1; the
Frobenius norm bounds the spectral radius; on RKC :math:`h\rho`) is well inside the explicit
method's stability region; ``window`` such steps in a row switch the trajectory back
(``back=None``: never).

**Jacobian.** :math:`J` is the ``jacobian`` given to :func:`~fixedpoints.numeric.ode.solve` or
forward differences (:func:`~fixedpoints.numeric.ode.jacobian.forward_jacobian`, one batched
field call). It is computed when a trajectory switches, after a rejected step (unless it was
computed at the state of that step, which a rejection keeps) and after ``jacobian_every``
accepted steps, by default :math:`\lceil n/4\rceil` (forward differences cost
:math:`n` field evaluations, a step 4, so a Jacobian is bought about as often as it costs one
step); in between it is kept (ROS34PW2 is a W-method: its order holds for any :math:`J`, an old
one only costs accuracy and stability margin, which the error control sees). Measured: keeping it
is 2–3 times faster on a stiff Allen–Cahn system with :math:`n=50,100`, neutral on gradient flow
with :math:`n=10`, and 4 times slower on Van der Pol (:math:`n=3`, :math:`J` changes within a
step), hence the rule.

**Symmetric Jacobians.** For a gradient flow (``solve(..., symmetric_jacobian=True)``) the
kept Jacobian is stored in eigen form :math:`J=U\Lambda U^\top` (one ``eigh`` per evaluation);
every step then solves its stages in that basis for whatever step size
(:func:`~fixedpoints.numeric.ode.step.rosenbrock_step`), with no inverse per step, and a rejected
step keeps the Jacobian (its retry with a smaller step costs no new decomposition; measured on the
d = 10 ReLU transition flows: 53717 → 14312 trajectory Jacobians for 317k → 364k Rosenbrock steps).

``Auto(explicit=None)`` runs the Rosenbrock method throughout (as ``tableau=ROS34PW2`` does with
the default Jacobian policy).

References
----------
E. Hairer, G. Wanner, *Solving Ordinary Differential Equations II*, 2nd ed., Springer 1996,
§IV.2 (automatic stiffness detection).
L. Petzold, Automatic selection of methods for solving stiff and nonstiff systems of ordinary
differential equations, *SIAM J. Sci. Stat. Comput.* 4 (1983) 136–148 (LSODA).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.backend import to_numpy
from fixedpoints.numeric.ode.chebyshev import (
    chebyshev_coefficients,
    chebyshev_step,
    spectral_radius,
    stage_counts,
)
from fixedpoints.numeric.ode.control import _rows_rms
from fixedpoints.numeric.ode.jacobian import (
    Layout,
    SymmetricJacobian,
    eigen_jacobian,
    forward_jacobian,
)
from fixedpoints.numeric.ode.step import Step, rk_step, rosenbrock_step
from fixedpoints.numeric.ode.tableau import DOPRI5, RKC, ROS34PW2, Chebyshev, Rosenbrock, Tableau

__all__ = ["AUTO", "Auto", "stiffness_ratio"]


@dataclass(frozen=True)
class Auto:
    """Explicit method with a switch to a Rosenbrock method (a wide state: RKC) where stiff (module
    docstring)."""

    explicit: Tableau | None = DOPRI5
    implicit: Rosenbrock = ROS34PW2
    wide: Chebyshev | None = RKC
    threshold: float = 3.25
    window: int = 15
    forgive: int = 6
    back: float | None = 1.0
    max_dense: int = 256
    jacobian_every: int | None = None

    def __post_init__(self):
        if self.explicit is not None and self.explicit.stiffness is None:
            raise out_of_range(
                "explicit", self.explicit.name, "a tableau with `stiffness` stages (e.g. DOPRI5)"
            )
        if not isinstance(self.implicit, Rosenbrock):
            raise out_of_range("implicit", self.implicit, "a Rosenbrock method (e.g. ROS34PW2)")
        if self.wide is not None and not isinstance(self.wide, Chebyshev):
            raise out_of_range("wide", self.wide, "a Chebyshev method (e.g. RKC) or None")
        if not self.threshold > 0:
            raise out_of_range("threshold", self.threshold, "> 0")
        for name in ("window", "forgive", "max_dense", "jacobian_every"):
            value = getattr(self, name)
            if value is not None and int(value) < 1:
                raise out_of_range(name, value, "an integer >= 1")

    @property
    def name(self) -> str:
        return "auto" if self.explicit is not None else self.implicit.name

    @property
    def adaptive(self) -> bool:
        return self.explicit is None or self.explicit.adaptive


AUTO = Auto()


def stiffness_ratio(tableau, stages, xp) -> np.ndarray:
    r""":math:`h\rho` of Hairer's test (module docstring), per trajectory, from the stages of one
    step of ``tableau`` (state tuples); 0 where :math:`Y_q=Y_p`."""
    p, q = tableau.stiffness
    rows = ((), *tableau.a)
    weights = [rows[q - 1][j] - (rows[p - 1][j] if j < p - 1 else 0.0) for j in range(q - 1)]
    dk, dy = [], []
    for c, kq in enumerate(stages[q - 1]):
        if kq is None:
            dk.append(None)
            dy.append(None)
            continue
        dk.append(kq - stages[p - 1][c])
        dy.append(sum(w * k[c] for w, k in zip(weights, stages, strict=False) if w))
    with np.errstate(all="ignore"):  # a diverging trajectory is reported by the error control
        num, den = _rows_rms(dk, xp), _rows_rms(dy, xp)
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


class Methods:
    """The method of every trajectory of one :func:`~fixedpoints.numeric.ode.solve` call: the
    stiffness counters, the kept Jacobians and the switches (module docstring).

    Trajectories are addressed by their index in the batch (``ids``, ascending); ``rows`` is the
    driver's row selection (``take``, ``index``); ``symmetric`` keeps the Jacobians in eigen form
    (module docstring).
    """

    def __init__(self, method, field, jacobian, y0, xp, rows, symmetric: bool = False):
        if isinstance(method, Rosenbrock):
            method = Auto(explicit=None, implicit=method)
        self.tableau = method if isinstance(method, Tableau) else None
        self.auto = method if isinstance(method, Auto) else None
        self.field, self.jacobian, self.xp, self.rows = field, jacobian, xp, rows
        self.symmetric = bool(symmetric)
        self.layout = Layout(y0)
        N = rows.N
        wide = self.auto is not None and self.layout.n > self.auto.max_dense
        # the stiff method (code 1): the Rosenbrock method, or RKC (given, or for a wide state)
        self.rkc = method if isinstance(method, Chebyshev) else None
        if wide and self.auto.explicit is not None and self.auto.wide is not None:
            self.rkc = self.auto.wide
        self.stiff = self.rkc if self.rkc is not None else getattr(self.auto, "implicit", None)
        implicit = isinstance(method, Chebyshev) or (
            self.auto is not None and self.auto.explicit is None
        )
        self.code = np.full(N, 1 if implicit else 0, dtype=np.int8)  # 0 explicit, 1 stiff
        self.switching = (
            self.auto is not None and not implicit and (not wide or self.rkc is not None)
        )
        self.count = np.zeros(N, dtype=int)  # stiff steps (explicit) or calm steps (Rosenbrock)
        self.relaxed = np.zeros(N, dtype=int)  # non-stiff explicit steps in a row
        self.hrho = np.zeros(N)  # h rho of the last explicit step, h |J|_F of the last implicit
        self.age = np.zeros(N, dtype=int)  # accepted steps since the Jacobian
        self.stale = np.ones(N, dtype=bool)  # the Jacobian must be recomputed
        self.J, self.J_ids = None, np.zeros(0, dtype=np.int64)
        every = None if self.auto is None else self.auto.jacobian_every
        self.every = int(every) if every is not None else -(-self.layout.n // 4)
        self.switches = np.zeros(N, dtype=int)
        self.jacobians = 0  # trajectory Jacobians evaluated
        self.rho = np.zeros(N)  # RKC: spectral radius estimate (with the safety factor)
        self.directions = None  # RKC: the power iterations' last directions (host, N x n)
        if self.rkc is not None:
            self.every = int(self.rkc.rho_every)

    @property
    def explicit(self):
        if self.auto is None:
            return self.tableau
        return self.auto.explicit

    def orders(self, ids) -> np.ndarray:
        """Order of the embedded solution of each trajectory's method."""
        q_exp = self.explicit.error_order if self.explicit is not None else 0
        q_imp = self.stiff.error_order if self.stiff is not None else 0
        return np.where(self.code[ids] == 1, q_imp, q_exp)

    def names(self) -> tuple:
        """The method of each trajectory's last step."""
        exp = self.explicit.name if self.explicit is not None else ""
        imp = self.stiff.name if self.stiff is not None else ""
        return tuple(imp if c else exp for c in self.code)

    def limit(self, y, f, ha, ids, shared: bool) -> np.ndarray:
        """The steps ``ha`` capped where the method needs it: for RKC at the stability bound
        :math:`\\beta_{\\max}/\\rho` of its most stages, after estimating :math:`\\rho` for the
        trajectories whose estimate is due (``rho_every`` accepted steps old, or rejected since);
        one step for all when ``shared``."""
        if self.rkc is None:
            return ha
        on = self.code[ids] == 1
        due = np.flatnonzero(on & (self.stale[ids] | (self.age[ids] >= self.every)))
        if due.size:
            if self.directions is None:
                self.directions = np.zeros((self.rows.N, self.layout.n))
            whole = due.size == ids.size
            rho, v = spectral_radius(
                self.field,
                y if whole else self.rows.take(y, due),
                f if whole else self.rows.take(f, due),
                self.directions[ids[due]],
                self.layout,
                self.xp,
            )
            self.rho[ids[due]] = self.rkc.safety * rho
            self.directions[ids[due]] = v
            self.age[ids[due]], self.stale[ids[due]] = 0, False
        beta = chebyshev_coefficients(self.rkc.max_stages, self.rkc.damping)[0][-1]
        rho = np.where(on, self.rho[ids], 0.0)
        with np.errstate(divide="ignore"):
            ha = np.minimum(ha, np.where(rho > 0, beta / np.where(rho > 0, rho, 1.0), np.inf))
        return np.full(ha.size, ha.min()) if shared and ha.size else ha

    def step(self, y, f, ha, hb, ids, error: bool) -> Step:
        """One attempted step of every active trajectory with its method (``ha`` host steps,
        ``hb`` the float or device array given to the step)."""
        code = self.code[ids]
        if not code.any():
            return self._explicit(y, f, ha, hb, ids, error)
        if code.all():
            return self._stiff(y, f, ha, hb, ids, error)
        rows, xp = self.rows, self.xp
        on_exp, on_imp = np.flatnonzero(code == 0), np.flatnonzero(code == 1)

        def part(sel):
            hs = hb if isinstance(hb, float) else xp.take(hb, rows.index(sel), axis=0)
            return rows.take(y, sel), rows.take(f, sel), ha[sel], hs, ids[sel], error

        a, b = self._explicit(*part(on_exp)), self._stiff(*part(on_imp))  # no FSAL value
        back = rows.index(np.argsort(np.concatenate([on_exp, on_imp])))

        def merge(u, v):
            if u is None:
                return None
            return tuple(
                None if p is None else xp.take(xp.concat([p, q], axis=0), back, axis=0)
                for p, q in zip(u, v, strict=True)
            )

        return Step(merge(a.y, b.y), None, merge(a.error, b.error), [])

    def _explicit(self, y, f, ha, hb, ids, error):
        st = rk_step(self.field, self.explicit, y, f, hb, self.xp, error=error)
        if self.switching:
            self.hrho[ids] = stiffness_ratio(self.explicit, st.stages, self.xp)
        return st

    def _stiff(self, y, f, ha, hb, ids, error):
        """One step of the stiff method (RKC or the Rosenbrock method) for trajectories ``ids``."""
        if self.rkc is not None:
            hrho = ha * self.rho[ids]
            self.hrho[ids] = hrho
            return chebyshev_step(
                self.field, self.rkc, y, f, hb, stage_counts(hrho, self.rkc), self.xp
            )
        J = self._jacobians(y, f, ids)
        if self.switching and self.auto.back is not None:
            M, axes = (J.lam, 1) if isinstance(J, SymmetricJacobian) else (J, (1, 2))
            with np.errstate(all="ignore"):  # |J|_F from the eigenvalues in eigen form
                self.hrho[ids] = ha * np.sqrt(to_numpy(self.xp.sum(M * M, axis=axes)))
        return rosenbrock_step(
            self.field, self.auto.implicit, y, f, hb, J, self.xp, layout=self.layout, error=error
        )

    def _jacobians(self, y, f, ids):
        """The Jacobians ``(n_ids, n, n)`` of trajectories ``ids``: kept ones reused, stale, old
        or new ones evaluated. The kept batch is copied only when the set of trajectories changes
        (a retirement, a switch); re-evaluated rows are written into it in place where the
        namespace allows it."""
        kept = np.isin(ids, self.J_ids)
        due = self.stale[ids] | (self.age[ids] >= self.every) | ~kept
        if not due.any() and ids.size == self.J_ids.size:
            return self.J
        rows, xp = self.rows, self.xp
        if kept.all() and ids.size < self.J_ids.size:  # fewer trajectories: keep their rows
            pos = rows.index(np.searchsorted(self.J_ids, ids))
            self.J, self.J_ids = _rows(self.J, lambda A: xp.take(A, pos, axis=0)), ids.copy()
        keep, new = np.flatnonzero(~due), np.flatnonzero(due)
        if new.size == 0:  # only fewer trajectories
            return self.J
        whole = new.size == ids.size
        ys = y if whole else rows.take(y, new)
        fs = f if whole else rows.take(f, new)
        fresh = self._evaluate(ys, fs)
        self.jacobians += int(new.size)
        self.age[ids[new]], self.stale[ids[new]] = 0, False
        if whole:
            J = fresh
        elif kept.all() and _assign(self.J, rows.index(new), fresh):
            J = self.J
        else:
            pos = rows.index(np.searchsorted(self.J_ids, ids[keep]))
            old = _rows(self.J, lambda A: xp.take(A, pos, axis=0))
            back = rows.index(np.argsort(np.concatenate([keep, new])))
            J = _rows(old, lambda A, B: xp.take(xp.concat([A, B], axis=0), back, axis=0), fresh)
        self.J, self.J_ids = J, ids.copy()
        return J

    def _evaluate(self, y, f):
        n, m = self.layout.n, int(next(c for c in y if c is not None).shape[0])
        if self.jacobian is None:
            J = forward_jacobian(self.field, y, f, self.layout, self.xp)
        else:
            J = self.jacobian(y)
            if tuple(J.shape) != (m, n, n):
                raise out_of_range("jacobian", f"output shape {tuple(J.shape)}", f"({m}, {n}, {n})")
        return eigen_jacobian(J, self.xp) if self.symmetric else J

    def accepted(self, accept, ids) -> None:
        """Count the outcome of the step just attempted (``accept`` per active trajectory, None:
        all accepted) and switch the trajectories whose counts say so."""
        acc = np.ones(ids.size, dtype=bool) if accept is None else accept
        code = self.code[ids]
        imp = code == 1
        self.age[ids[imp & acc]] += 1
        rejected = ids[imp & ~acc]  # the state stays: a Jacobian (rho) of this state is kept
        if self.rkc is not None or not self.symmetric:
            self.stale[rejected[self.age[rejected] > 0]] = True
        if not self.switching:
            return
        auto = self.auto
        g = ids[(code == 0) & acc]
        stiff = self.hrho[g] > auto.threshold
        self.count[g[stiff]] += 1
        self.relaxed[g[stiff]] = 0
        self.relaxed[g[~stiff]] += 1
        self.count[g[self.relaxed[g] >= auto.forgive]] = 0
        go = g[self.count[g] >= auto.window]
        b = ids[imp & acc]
        if auto.back is not None:
            calm = self.hrho[b] <= auto.back
            self.count[b[calm]] += 1
            self.count[b[~calm]] = 0
            b = b[self.count[b] >= auto.window]
        else:
            b = b[:0]
        for moved, to in ((go, 1), (b, 0)):
            self.code[moved], self.count[moved], self.relaxed[moved] = to, 0, 0
            self.stale[moved] = True
            self.switches[moved] += 1


def _rows(J, op, other=None):
    """``op`` applied to a batch of Jacobians, component-wise for the eigen form (with the
    matching components of ``other`` as second argument when given)."""
    if isinstance(J, SymmetricJacobian):
        if other is None:
            return SymmetricJacobian(*(op(c) for c in J))
        return SymmetricJacobian(*(op(c, o) for c, o in zip(J, other, strict=True)))
    return op(J) if other is None else op(J, other)


def _assign(J, index, new) -> bool:
    """Write the rows ``new`` into the batch ``J`` at ``index`` in place; False where the
    namespace's arrays are immutable (e.g. JAX)."""
    try:
        if isinstance(J, SymmetricJacobian):
            for c, v in zip(J, new, strict=True):
                c[index] = v
        else:
            J[index] = new
    except (TypeError, ValueError):
        return False
    return True
