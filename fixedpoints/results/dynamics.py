"""Dynamics: trajectories and batches of the ODE engine, escapes from small initializations, simulations and their outcomes."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from fixedpoints.results.status import (
    Status,
    array_field,
    freeze_arrays,
    frozen_array,
    frozen_mapping,
    plain,
)
from fixedpoints.results.text import counts, short_repr

__all__ = ["EscapeResult", "Outcome", "Outcomes", "Simulation", "Solution", "Trajectory"]


@dataclass(frozen=True)
class Trajectory:
    """One trajectory (:func:`fixedpoints.integrate`): ``times`` (n_t,), ``states``
    (n_vars, n_t), ``losses`` (n_t,), variable ``names``, ``status`` (``reached-end`` at the end
    of the window, else ``step-too-small``) and the solver's ``message``."""

    times: object = array_field()
    states: object = array_field()
    losses: object = array_field()
    names: tuple = ()
    status: Status = Status.REACHED_END
    message: str = ""

    def __post_init__(self):
        freeze_arrays(self)
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "status", Status(self.status))

    def __repr__(self) -> str:
        return short_repr(
            "Trajectory",
            variables=len(self.names),
            points=len(self.times),
            t_end=float(self.times[-1]) if len(self.times) else None,
            final_loss=float(self.losses[-1]) if len(self.losses) else None,
            status=str(self.status),
        )


@dataclass(frozen=True)
class Solution:
    """A batch of trajectories (:func:`fixedpoints.numeric.ode.solve`), one entry per trajectory.

    ``states``: final states (an array ``(N, ...)``, or a tuple of them for a tuple state), at
    the event, at the stop, at ``t_max`` or where the integration ended; ``times``: final times;
    ``event_times``: first time the event reached its level (``inf`` if never); ``status``:
    ``event``, ``stopped`` (or the status the stop rule gave), ``max-time``, ``max-steps``,
    ``step-too-small`` or ``diverged`` per trajectory; ``steps``/``rejected``: accepted and
    rejected steps; ``methods``: the method of each trajectory's last step (``dopri5``,
    ``ros34pw2``, ...: with stiffness switching, whether it ended stiff).
    """

    states: object = array_field()
    times: object = array_field()
    event_times: object = array_field()
    status: tuple = ()
    steps: object = array_field(default=None)
    rejected: object = array_field(default=None)
    methods: tuple = ()

    def __post_init__(self):
        freeze_arrays(self)
        object.__setattr__(self, "status", tuple(Status(s) for s in self.status))
        object.__setattr__(self, "methods", tuple(self.methods))


@dataclass(frozen=True)
class EscapeResult:
    r"""Escape from a small initialization (:func:`fixedpoints.numeric.dataset.simulate_escape`),
    one entry per δ.

    ``times``: escape times (NaN if not reached by ``t_max``); ``mid_times``: times at which
    :math:`\|\theta\|=\sqrt{\delta\cdot\text{threshold}}`; ``directions`` / ``mid_directions``
    ``(runs, 1 + d)``: the unit vector :math:`(a_j,w_j)/\|(a_j,w_j)\|` of the largest neuron then;
    ``neurons``: its index at the escape; ``W``, ``a``: final weights; ``history_times``,
    ``history_norms`` ``(runs, records)``: :math:`\|\theta\|` along the run.
    """

    deltas: object = array_field()
    times: object = array_field()
    mid_times: object = array_field()
    directions: object = array_field()
    mid_directions: object = array_field()
    neurons: object = array_field()
    W: object = array_field()
    a: object = array_field()
    history_times: object = array_field()
    history_norms: object = array_field()
    threshold: float = 0.5

    def __post_init__(self):
        freeze_arrays(self)

    @property
    def status(self) -> Status:
        """``found`` when every run escaped."""
        times = self.times.tolist()
        return Status.FOUND if all(math.isfinite(t) for t in times) else Status.NOT_FOUND

    def cosines(self, u, *, mid: bool = True):
        """Cosine of the (mid-plateau or escape) direction with the vector ``u``."""
        D = self.mid_directions if mid else self.directions
        u = [float(v) for v in u]
        return (D @ u) / math.sqrt(sum(v * v for v in u))


# ---------------------------------------------------------------------------------------------
# simulation


@dataclass(frozen=True)
class Outcome:
    """One group of runs of a simulation: final ``loss`` (median), ``count``, ``fraction``,
    ``label`` and the ``runs`` (indices)."""

    loss: float
    count: int
    fraction: float
    label: str
    runs: tuple = ()

    def to_dict(self) -> dict:
        return {
            "loss": self.loss,
            "count": self.count,
            "fraction": self.fraction,
            "label": self.label,
        }


@dataclass(frozen=True)
class Outcomes:
    """The final points of a simulation grouped and labelled
    (:func:`fixedpoints.numeric.outcomes.outcomes`): ``groups`` sorted by loss and ``labels``
    per run."""

    groups: tuple
    labels: tuple

    def __post_init__(self):
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "labels", tuple(self.labels))

    def fractions(self) -> dict:
        """Label -> fraction of runs."""
        out: dict = {}
        for g in self.groups:
            out[g.label] = out.get(g.label, 0.0) + g.fraction
        return out


_OVERLAP_LIMIT = 64  # per-run overlap matrices are serialized when k*m is at most this


@dataclass(frozen=True)
class Simulation:
    """Batched finite-width training (:func:`fixedpoints.simulate`), host arrays, read-only.

    Attributes
    ----------
    times : array (n_records,)
        Record times (log-spaced, from 0).
    losses : array (runs, n_records)
        Population loss; after a run stopped, its final loss.
    loss_quantiles : array (3, n_records)
        10 %, 50 % and 90 % quantiles of ``losses`` over runs.
    W : array (runs, k, d); a : array (runs, k, o) or None
        Final weights.
    final_losses, gradient_norms, stop_times, steps : arrays (runs,)
    status : tuple of Status
        Per run: ``converged``, ``plateau``, ``max-time``, ``max-steps`` or ``diverged``.
    method : str
    protocol : Mapping
        The resolved protocol (``method``, ``lr``, ``init``, ``scale``, ``gradient_tol``,
        ``t_max``, ``records``), ``backend``, ``runs``, ``neurons_per_run``, ``d`` and
        ``decoupled`` (a decoupled model simulates every neuron as its own run).
    V, W0, a0 : arrays
        Teacher vectors and the initial weights.
    overlaps : array (runs, k, m) or None
        Final student–teacher overlaps :math:`M=WV^\\top`.
    outcomes : Outcomes or None
        Final points grouped and labelled.
    square : bool
        Square loss (a zero final loss is the global minimum).
    model, settings
        The model's name and parameter values.
    stats : Mapping
        ``seconds`` (wall time).
    observables : Mapping
        Per record, name -> array (runs, n_records) of further order parameters where the method
        gives them (``exact``: ``phi``, ``trace``, ``teacher_overlap``, ``frobenius``,
        ``overlap``, ``gradient_norm``, ``log_det_K``; see :mod:`fixedpoints.numeric.riccati`).
    """

    times: object = array_field()
    losses: object = array_field()
    W: object = array_field()
    a: object = array_field()
    final_losses: object = array_field()
    gradient_norms: object = array_field()
    stop_times: object = array_field()
    steps: object = array_field()
    status: tuple = ()
    method: str = ""
    loss_quantiles: object = array_field(default=None)
    protocol: Mapping = field(default_factory=dict)
    V: object = array_field(default=None)
    W0: object = array_field(default=None)
    a0: object = array_field(default=None)
    overlaps: object = array_field(default=None)
    outcomes: Outcomes | None = None
    square: bool = False
    model: str = ""
    settings: Mapping = field(default_factory=dict)
    stats: Mapping = field(default_factory=dict, compare=False)
    observables: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        freeze_arrays(self)
        object.__setattr__(self, "status", tuple(Status(s) for s in self.status))
        object.__setattr__(
            self,
            "observables",
            frozen_mapping({k: frozen_array(v) for k, v in (self.observables or {}).items()}),
        )
        for name in ("protocol", "settings", "stats"):
            object.__setattr__(self, name, frozen_mapping(getattr(self, name)))

    @property
    def runs(self) -> int:
        return len(self.status)

    def with_(self, **changes) -> Simulation:
        """A copy with ``changes`` (e.g. the setup fields the façade adds)."""
        return replace(self, **changes)

    def summary(self, *, timing: bool = False) -> dict:
        """Stop-status counts, converged fraction, loss min/median/max, outcome fractions,
        ``nonzero_loss_fraction`` (square loss), ``seconds`` with ``timing``."""
        L = [float(v) for v in self.final_losses.tolist()]
        finite = sorted(v for v in L if math.isfinite(v))
        counts = Counter(str(s) for s in self.status)
        out = {
            "runs": len(L),
            "status_counts": {s: counts[s] for s in sorted(counts)},
            "converged_fraction": counts[str(Status.CONVERGED)] / len(L) if L else 0.0,
            "loss_min": finite[0] if finite else None,
            "loss_median": statistics.median(finite) if finite else None,
            "loss_max": finite[-1] if finite else None,
            "outcome_fractions": self.outcomes.fractions() if self.outcomes else {},
        }
        if self.square:
            out["nonzero_loss_fraction"] = sum(not abs(v) <= 1e-6 for v in L) / len(L)
        if timing:
            out["seconds"] = round(float(self.stats.get("seconds", 0.0)), 3)
        return out

    def to_dict(self, *, timing: bool = False) -> dict:
        """The document of ``simulate --json``."""
        proto = dict(self.protocol)
        labels = self.outcomes.labels if self.outcomes else ("",) * self.runs
        runs = []
        M = self.overlaps.tolist() if self.overlaps is not None else None
        for i in range(self.runs):
            row = {
                "final_loss": float(self.final_losses[i]),
                "gradient_norm": float(self.gradient_norms[i]),
                "status": str(self.status[i]),
                "stop_time": float(self.stop_times[i]),
                "steps": int(self.steps[i]),
                "outcome": labels[i],
            }
            if M is not None and sum(len(r) for r in M[i]) <= _OVERLAP_LIMIT:
                row["overlaps"] = [[round(v, 12) for v in r] for r in M[i]]
            runs.append(row)
        q = self.loss_quantiles
        return {
            "model": self.model,
            "settings": dict(self.settings),
            "title": f"{proto.get('method')}, {self.runs} runs, {proto.get('backend')}",
            "protocol": plain(proto),
            "final_losses": [float(v) for v in self.final_losses.tolist()],
            "summary": self.summary(timing=timing),
            "outcomes": [g.to_dict() for g in self.outcomes.groups] if self.outcomes else [],
            "trajectory": {
                "times": self.times.tolist(),
                "median": q[1].tolist() if q is not None else [],
                "q10": q[0].tolist() if q is not None else [],
                "q90": q[2].tolist() if q is not None else [],
            },
            "runs": runs,
            **(
                {"observables": {k: v.tolist() for k, v in self.observables.items()}}
                if self.observables
                else {}
            ),
        }

    def __repr__(self) -> str:
        runs = len(self.final_losses)
        finals = sorted(float(v) for v in self.final_losses)
        return short_repr(
            "Simulation",
            self.model or None,
            method=self.method,
            runs=runs,
            median_final_loss=finals[runs // 2] if runs else None,
            status=counts(self.status),
        )
