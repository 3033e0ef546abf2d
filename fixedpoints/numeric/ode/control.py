r"""Step-size controllers of the batched Runge–Kutta driver (:func:`~fixedpoints.numeric.ode.solve`).

Each controller gives the first step, decides which attempted steps are accepted and proposes the
next step, per trajectory or *shared* by the whole batch (one step for all trajectories, as a
batched simulation of one network needs).

:class:`ErrorControl` (adaptive methods). With the embedded error :math:`e` of a step from
:math:`y` to :math:`y_{\rm new}`, the error of trajectory :math:`i` is

.. math::

    \mathrm{err}_i=\sqrt{\frac1n\sum_j\Big(\frac{e_{ij}}
    {\mathrm{atol}+\mathrm{rtol}\max(|y_{ij}|,|y_{{\rm new},ij}|)}\Big)^2}

(RMS over its n components). A step is accepted when :math:`\mathrm{err}_i\le1` and the next step
(or the retry, capped at :math:`h`) is :math:`h\min(5,\max(0.2,\,0.9\,\mathrm{err}^{-1/(q+1)}))`
(:math:`q` the order of the embedded solution; a non-finite error retries with :math:`h/10`). A
trajectory whose step falls to :math:`10^{-15}\max(1,|t|)` has failed: ``diverged`` when its error
is non-finite, else ``step-too-small``. Shared: the step is accepted when every trajectory that
has not failed accepts it, and the next step is the smallest proposal. The first step is
:math:`h_0=0.01\,\|y\|/\|F(y)\|` (Hairer–Nørsett–Wanner's rule), :math:`10^{-3}` when
:math:`F(y)=0`: per trajectory with RMS norms (:math:`\|y\|` read as 1 when :math:`y=0`); shared,
with the batch's largest Frobenius norms, :math:`\|y\|` at least :math:`10^{-3}` and
:math:`h_0\in[10^{-6},1]`.

:class:`FixedStep` and :class:`StepRule` accept every step: a constant :math:`h` (gradient descent,
the classical RK4 with a fixed step), or :math:`h_i=` ``rule(t, y, f)`` (e.g. a stability bound).
Only :class:`ErrorControl` shortens the last step to land on ``t_max``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.backend import to_numpy

__all__ = ["ErrorControl", "FixedStep", "StepRule"]

FAIL_FLOOR = 1e-15  # smallest step, relative to max(1, |t|)


def _rows_rms(parts, xp) -> np.ndarray:
    """RMS over all components of each trajectory (leading axis), as a host array."""
    total, count = None, 0
    for z in parts:
        if z is None:
            continue
        axes = tuple(range(1, z.ndim))
        s = xp.sum(z * z, axis=axes) if axes else z * z
        total = s if total is None else total + s
        count += int(np.prod(z.shape[1:]))
    return np.sqrt(to_numpy(total) / count)


@dataclass(frozen=True)
class FixedStep:
    """Constant step ``h`` for every trajectory; every step is accepted."""

    h: float
    shared: bool = True
    caps: bool = False

    def __post_init__(self):
        if not (self.h > 0 and np.isfinite(self.h)):
            raise out_of_range("h", self.h, "a finite step > 0")

    def initial(self, y, f, t, t_max, xp) -> np.ndarray:
        return np.full(t.size, float(self.h))

    def propose(self, t, y, f, h, xp) -> np.ndarray:
        return h


@dataclass(frozen=True)
class StepRule:
    """Step ``rule(t, y, f)`` (one value per trajectory, host or device array); every step is
    accepted."""

    rule: object
    shared: bool = False
    caps: bool = False

    def initial(self, y, f, t, t_max, xp) -> np.ndarray:
        return self.propose(t, y, f, None, xp)

    def propose(self, t, y, f, h, xp) -> np.ndarray:
        return np.asarray(to_numpy(self.rule(t, y, f)), dtype=float).reshape(t.size)


@dataclass(frozen=True)
class ErrorControl:
    """Adaptive steps from the embedded error estimate (module docstring)."""

    rtol: float = 1e-8
    atol: float = 1e-10
    shared: bool = False
    safety: float = 0.9
    min_factor: float = 0.2
    max_factor: float = 5.0
    caps: bool = True

    def __post_init__(self):
        if not self.rtol > 0:
            raise out_of_range("rtol", self.rtol, "> 0")
        if not self.atol >= 0:
            raise out_of_range("atol", self.atol, ">= 0")

    def initial(self, y, f, t, t_max, xp) -> np.ndarray:
        """The first step (module docstring), capped at the remaining time."""
        ny, nf = _rows_rms(y, xp), _rows_rms(f, xp)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.shared:
                n = sum(int(np.prod(c.shape[1:])) for c in y if c is not None)
                NY, NF = float(ny.max()) * np.sqrt(n), float(nf.max()) * np.sqrt(n)
                h0 = 1e-3 if NF == 0 else min(1.0, max(1e-6, 0.01 * max(NY, 1e-3) / NF))
                h = np.full(t.size, h0)
            else:
                safe = np.where(nf > 0, nf, 1.0)
                h = np.where(nf > 0, 0.01 * np.where(ny > 0, ny, 1.0) / safe, 1e-3)
        return np.minimum(h, t_max - t) if np.isfinite(t_max) else h

    def error(self, y, y_new, err, xp) -> np.ndarray:
        """:math:`\\mathrm{err}_i` of the module docstring (host array)."""
        scaled = []
        for yc, nc, ec in zip(y, y_new, err, strict=True):
            if yc is None:
                scaled.append(None)
                continue
            scaled.append(ec / (self.atol + self.rtol * xp.maximum(xp.abs(yc), xp.abs(nc))))
        with np.errstate(invalid="ignore", over="ignore"):
            return _rows_rms(scaled, xp)

    def decide(self, err, h, t, order):
        """``(accept, h_next, failed)`` per trajectory for the errors ``err`` of steps ``h``;
        ``order`` is :math:`q`, one for all or one per trajectory (stiffness switching)."""
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            finite = np.isfinite(err)
            ok = finite & (err <= 1.0)
            grow = self.safety * np.where(err > 0, err, 1.0) ** (-1.0 / (order + 1))
            factor = np.where(
                err == 0, self.max_factor, np.clip(grow, self.min_factor, self.max_factor)
            )
        factor = np.where(finite, factor, 0.1)
        h_next = np.where(ok, h * factor, h * np.minimum(factor, 1.0))
        failed = ~ok & (h_next <= FAIL_FLOOR * np.maximum(np.abs(t), 1.0))
        if not self.shared:
            return ok, h_next, failed
        live = ~failed
        accept = np.full(err.size, bool(np.all(ok[live])) if live.any() else False)
        h_shared = h_next[live].min() if live.any() else h_next.min()
        return accept & live, np.full(err.size, h_shared), failed
