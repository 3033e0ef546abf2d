r"""Result values: one :class:`Status` vocabulary and frozen result dataclasses.

Every computation of the library returns a value defined here: frozen, with read-only fields
(tuples, read-only mappings, read-only array views), a ``status`` from :class:`Status`, and
``to_dict``/``from_dict`` methods that own the JSON schema of the command line (the CLI only
serializes; :mod:`fixedpoints.export` reads the same dictionaries). Wall-clock times live in
``stats`` and reach JSON only when asked for (``to_dict(timing=True)``), so the same inputs give
the same bytes.

This module is the ground floor: standard library only (arrays are handled through their
``tolist``/``setflags`` methods), so every layer may use it.

>>> Status.MAX_TIME.message
'the time limit was reached'
>>> Status("converged") == "converged"
True
"""

from __future__ import annotations

import enum
import math
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType

__all__ = [
    "Branch",
    "BranchPoint",
    "Classification",
    "Continuation",
    "Event",
    "FixedPoint",
    "FixedPointSearch",
    "KKTPoint",
    "NewtonResult",
    "Outcome",
    "Outcomes",
    "Plateau",
    "SaddleSequence",
    "Simulation",
    "Solution",
    "Status",
    "Threshold",
    "Trajectory",
    "TransitionGraph",
    "frozen_array",
    "frozen_mapping",
]


class Status(enum.StrEnum):
    """How a computation ended: one vocabulary for every result.

    A member equals its value as a string (``Status.CONVERGED == "converged"``), so JSON and
    comparisons with text work unchanged; ``message`` says it in words.
    """

    CONVERGED = "converged"
    MAX_ITERATIONS = "max-iterations"
    STALLED = "stalled"
    DIVERGED = "diverged"
    EVENT = "event"
    STOPPED = "stopped"
    PLATEAU = "plateau"
    MAX_TIME = "max-time"
    MAX_STEPS = "max-steps"
    STEP_TOO_SMALL = "step-too-small"
    REACHED_END = "reached-end"
    LEFT_RANGE = "left-range"
    MAX_POINTS = "max-points"
    FOUND = "found"
    NOT_FOUND = "not-found"

    @property
    def message(self) -> str:
        """One sentence saying what the status means."""
        return _MESSAGES[self]

    @property
    def success(self) -> bool:
        """Whether the computation reached what it was asked for."""
        return self in _SUCCESS


_MESSAGES = {
    Status.CONVERGED: "converged: the residual fell below the tolerance",
    Status.MAX_ITERATIONS: "the iteration limit was reached before convergence",
    Status.STALLED: "no step decreased the residual any more",
    Status.DIVERGED: "the iterate became non-finite or left every bound",
    Status.EVENT: "the event function reached its level",
    Status.STOPPED: "the stop rule held",
    Status.PLATEAU: "the loss stopped changing (plateau rule)",
    Status.MAX_TIME: "the time limit was reached",
    Status.MAX_STEPS: "the step budget was spent",
    Status.STEP_TOO_SMALL: "the step size fell below its smallest allowed value",
    Status.REACHED_END: "the branch reached the end of the parameter range",
    Status.LEFT_RANGE: "the branch turned back and left the parameter range",
    Status.MAX_POINTS: "the branch used its budget of points",
    Status.FOUND: "found",
    Status.NOT_FOUND: "nothing was found in the range searched",
}
_SUCCESS = frozenset(
    {Status.CONVERGED, Status.EVENT, Status.STOPPED, Status.REACHED_END, Status.FOUND}
)


# ---------------------------------------------------------------------------------------------
# read-only containers


def frozen_array(x):
    """A read-only view of the array ``x`` (None stays None; non-arrays are returned as given)."""
    if x is None or not hasattr(x, "setflags"):
        return x
    view = x.view()
    view.setflags(write=False)
    return view


def frozen_mapping(m) -> Mapping:
    """A read-only copy of the mapping ``m`` (None: an empty one)."""
    return MappingProxyType(dict(m or {}))


def _plain(x):
    """JSON-ready copy: arrays to lists, mappings to dicts, tuples to lists, statuses to text."""
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, Status):
        return str(x)
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def _spectrum(pairs) -> tuple:
    return tuple((float(v), int(m)) for v, m, *_ in pairs)


# ---------------------------------------------------------------------------------------------
# fixed points


@dataclass(frozen=True)
class Classification:
    """The Hessian classification of one critical point (see
    :func:`fixedpoints.numeric.fixed_points.classify_point`).

    ``eigenvalues``: the (Riemannian) Hessian eigenvalues, ascending; ``spectrum``: merged
    ``(eigenvalue, multiplicity)`` pairs with eigenvalues inside the null band set to 0;
    ``residual``: gradient norm; ``error``: estimated distance to the exact critical point;
    ``tolerance``: the null band used.
    """

    loss: float
    eigenvalues: object = field(repr=False, compare=False)
    index: int = 0
    nullity: int = 0
    symmetry_zero_modes: int = 0
    degenerate: bool = False
    spectrum: tuple = ()
    residual: float = 0.0
    error: float = 0.0
    tolerance: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "eigenvalues", frozen_array(self.eigenvalues))
        object.__setattr__(self, "spectrum", _spectrum(self.spectrum))

    @property
    def kind(self) -> str:
        """``'minimum'``, ``'saddle'``, ``'maximum'`` or ``'degenerate'``."""
        return _kind(self.degenerate, self.index, self.nullity, self.spectrum)


def _kind(degenerate, index, nullity, spectrum) -> str:
    if degenerate:
        return "degenerate"
    if index == 0:
        return "minimum"
    n = sum(m for _, m in spectrum) - nullity
    return "maximum" if index == n else "saddle"


@dataclass(frozen=True)
class FixedPoint:
    """A classified critical point: one representative of a symmetry orbit.

    Attributes
    ----------
    loss, index, nullity, symmetry_zero_modes, degenerate
        Loss value, Morse index, number of zero eigenvalues, how many of them continuous
        symmetries generate, and whether there are more (a non-isolated or higher-order point).
    spectrum : tuple of (eigenvalue, multiplicity)
    count : int
        Size of the orbit under the discrete symmetry group.
    isotropy : str
        Description of the stabiliser (its order, and for subspace searches its type).
    stabilizer_order : int
    coordinates : Mapping
        Overlap coordinates (``Q_ij``, ``M_ir``, ``a_i``) or subspace coordinates.
    x : array, read-only
        The point in the search coordinates (not serialized).
    residual, reduced_residual : float
        Gradient norm of the full loss, and in the reduced space (subspace searches).
    hits : int
        How many converged Newton runs landed on this orbit.
    components : tuple of (eigenvalue, multiplicity, label), optional
        Isotypic spectrum (subspace searches).
    error : float, optional
        Estimated distance to the exact critical point (weight-space searches).
    null_tolerance : float, optional
        The eigenvalue band counted as zero at this point.
    status : Status
    """

    loss: float
    index: int
    nullity: int
    symmetry_zero_modes: int
    degenerate: bool
    spectrum: tuple
    count: int
    isotropy: str
    stabilizer_order: int
    coordinates: Mapping
    x: object = field(default=None, repr=False, compare=False)
    residual: float = 0.0
    reduced_residual: float | None = None
    hits: int = 1
    components: tuple | None = None
    error: float | None = None
    null_tolerance: float | None = None
    status: Status = Status.CONVERGED

    def __post_init__(self):
        object.__setattr__(self, "spectrum", _spectrum(self.spectrum))
        object.__setattr__(self, "coordinates", frozen_mapping(self.coordinates))
        object.__setattr__(self, "x", frozen_array(self.x))
        if self.components is not None:
            comps = tuple((float(v), int(m), str(lab)) for v, m, lab in self.components)
            object.__setattr__(self, "components", comps)

    @property
    def kind(self) -> str:
        """``'minimum'``, ``'saddle'``, ``'maximum'`` or ``'degenerate'``."""
        return _kind(self.degenerate, self.index, self.nullity, self.spectrum)

    def to_dict(self) -> dict:
        """The ``fixed_points`` entry of ``fixed-points --json``."""
        doc = {
            "loss": self.loss,
            "index": self.index,
            "nullity": self.nullity,
            "symmetry_zero_modes": self.symmetry_zero_modes,
            "degenerate": self.degenerate,
            "kind": self.kind,
            "count": self.count,
            "spectrum": [[v, m] for v, m in self.spectrum],
            "isotropy": self.isotropy,
            "stabilizer_order": self.stabilizer_order,
            "coordinates": dict(self.coordinates),
            "residual": self.residual,
            "reduced_residual": self.reduced_residual,
            "hits": self.hits,
        }
        if self.components is not None:
            doc["components"] = [list(c) for c in self.components]
        if self.error is not None:
            doc["error"] = self.error
        if self.null_tolerance is not None:
            doc["null_tolerance"] = self.null_tolerance
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping) -> FixedPoint:
        """Inverse of :meth:`to_dict` (``x`` is not serialized: None)."""
        names = {f.name for f in fields(cls)} - {"x", "status"}
        kw = {k: doc[k] for k in names if k in doc}
        kw.setdefault("symmetry_zero_modes", 0)
        kw.setdefault("stabilizer_order", 1)
        return cls(**kw)


@dataclass(frozen=True)
class FixedPointSearch:
    """The fixed points of a model (:func:`fixedpoints.find_fixed_points`).

    ``points`` sorted by (loss, index); ``starts`` Newton starts; ``statuses`` how they ended
    (counts); ``symmetry`` the group found; ``space`` where the search ran; ``notes``;
    ``stats``: ``seconds`` (wall time).
    """

    points: tuple
    starts: int
    statuses: Mapping
    symmetry: str
    space: str
    null_tolerance: float
    decoupled: bool = False
    notes: tuple = ()
    model: str = ""
    settings: Mapping = field(default_factory=dict)
    stats: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "points", tuple(self.points))
        object.__setattr__(self, "statuses", frozen_mapping(self.statuses))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "settings", frozen_mapping(self.settings))
        object.__setattr__(self, "stats", frozen_mapping(self.stats))

    @property
    def status(self) -> Status:
        """``found`` when at least one start converged, else ``not-found``."""
        return Status.FOUND if self.points else Status.NOT_FOUND

    def to_dict(self, *, timing: bool = False) -> dict:
        """The document of ``fixed-points --json`` (``seconds`` only with ``timing``)."""
        doc = {
            "model": self.model,
            "settings": dict(self.settings),
            "space": self.space,
            "symmetry": self.symmetry,
            "decoupled": self.decoupled,
            "starts": self.starts,
            "statuses": dict(self.statuses),
            "null_tolerance": self.null_tolerance,
        }
        if timing:
            doc["seconds"] = self.stats.get("seconds")
        doc["fixed_points"] = [p.to_dict() for p in self.points]
        doc["notes"] = list(self.notes)
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping) -> FixedPointSearch:
        """Inverse of :meth:`to_dict`."""
        return cls(
            points=tuple(FixedPoint.from_dict(p) for p in doc.get("fixed_points", ())),
            starts=int(doc.get("starts", 0)),
            statuses=doc.get("statuses", {}),
            symmetry=doc.get("symmetry", ""),
            space=doc.get("space", ""),
            null_tolerance=float(doc.get("null_tolerance", 0.0)),
            decoupled=bool(doc.get("decoupled", False)),
            notes=tuple(doc.get("notes", ())),
            model=doc.get("model", ""),
            settings=doc.get("settings", {}),
        )


@dataclass(frozen=True)
class NewtonResult:
    """Outcome of :func:`fixedpoints.numeric.newton.newton`: the point(s) ``x``, gradient
    ``residual``, ``iterations`` and ``status`` — scalars for one start, arrays (``status`` a
    tuple) for a batch of starts."""

    x: object = field(repr=False, compare=False)
    residual: object = None
    iterations: object = None
    status: object = Status.CONVERGED

    def __post_init__(self):
        object.__setattr__(self, "x", frozen_array(self.x))
        object.__setattr__(self, "residual", frozen_array(self.residual))
        object.__setattr__(self, "iterations", frozen_array(self.iterations))

    @property
    def converged(self):
        """Whether each start converged (a bool, or a tuple of bools for a batch)."""
        if isinstance(self.status, tuple):
            return tuple(s == Status.CONVERGED for s in self.status)
        return self.status == Status.CONVERGED


# ---------------------------------------------------------------------------------------------
# continuation and thresholds


@dataclass(frozen=True)
class BranchPoint:
    """A point on a branch: ``parameter``, ``loss``, ``index``, smallest eigenvalue, weights."""

    parameter: float
    loss: float
    index: int
    min_eigenvalue: float
    x: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "x", frozen_array(self.x))

    def to_dict(self) -> dict:
        return {
            "parameter": self.parameter,
            "loss": self.loss,
            "index": self.index,
            "min_eigenvalue": self.min_eigenvalue,
        }


@dataclass(frozen=True)
class Event:
    """``kind`` (``'fold'`` or ``'branch_point'``) at parameter ``value``; ``index_below`` /
    ``index_above`` (Morse index before/after along increasing parameter), ``loss``, the
    ``multiplicity`` of the eigenvalue that crossed zero, and the point ``x``."""

    kind: str
    value: float
    index_below: int
    index_above: int
    loss: float
    multiplicity: int = 1
    x: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "x", frozen_array(self.x))

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "value": self.value,
            "index_below": self.index_below,
            "index_above": self.index_above,
            "loss": self.loss,
            "multiplicity": self.multiplicity,
        }


@dataclass(frozen=True)
class Branch:
    """A continued branch: ``points``, ``events``, ``status`` (``reached-end``, ``left-range``,
    ``step-too-small`` or ``max-points``) and a ``label``."""

    points: tuple
    events: tuple
    status: Status
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "points", tuple(self.points))
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "status", Status(self.status))

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "status": str(self.status),
            "points": [p.to_dict() for p in self.points],
            "events": [e.to_dict() for e in self.events],
        }


@dataclass(frozen=True)
class Continuation:
    """The branches of :func:`fixedpoints.continue_fixed_points` in ``parameter`` over
    ``range``."""

    parameter: str
    range: tuple
    branches: tuple
    model: str = ""
    settings: Mapping = field(default_factory=dict)
    stats: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "range", tuple(self.range))
        object.__setattr__(self, "branches", tuple(self.branches))
        object.__setattr__(self, "settings", frozen_mapping(self.settings))
        object.__setattr__(self, "stats", frozen_mapping(self.stats))

    @property
    def status(self) -> Status:
        """``found`` when a branch was continued, else ``not-found``."""
        return Status.FOUND if self.branches else Status.NOT_FOUND

    def to_dict(self, *, timing: bool = False) -> dict:
        """The document of ``continue --json``."""
        doc = {
            "model": self.model,
            "parameter": self.parameter,
            "range": list(self.range),
            "settings": dict(self.settings),
        }
        if timing:
            doc["seconds"] = self.stats.get("seconds")
        doc["branches"] = [b.to_dict() for b in self.branches]
        return doc


@dataclass(frozen=True)
class Threshold:
    """Where a named fixed point changes stability in a parameter.

    ``value`` (the closed form's value when there is one, else the numeric root; None when the
    index does not change in ``range``), ``expression``/``latex`` (the closed form, or None),
    ``numeric_value`` (continuation root), ``index_below``/``index_above``, ``kind`` (``fold``
    or ``branch_point``), ``method``, ``symbolic_status`` (why there is or is not a closed form),
    ``eigenvalue`` (the Hessian eigenvalue on the critical component), ``events`` (every index
    change found), ``status`` (``found``/``not-found``) and ``message``.
    """

    parameter: str
    value: float | None
    expression: str | None
    point: str
    index_below: int
    index_above: int
    numeric_value: float | None = None
    kind: str | None = None
    range: tuple = ()
    method: str = ""
    symbolic_status: str | None = None
    eigenvalue: str | None = None
    latex: str | None = None
    status: Status = Status.FOUND
    message: str = ""
    events: tuple = ()
    branch: Branch | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "range", tuple(self.range))
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "status", Status(self.status))

    def to_dict(self) -> dict:
        """The document of ``threshold --json``."""
        doc = {
            "parameter": self.parameter,
            "value": self.value,
            "expression": self.expression,
            "point": self.point,
            "index_below": self.index_below,
            "index_above": self.index_above,
            "numeric_value": self.numeric_value,
            "kind": self.kind,
            "range": list(self.range),
            "method": self.method,
        }
        if self.symbolic_status is not None:
            doc["symbolic_status"] = self.symbolic_status
        if self.eigenvalue is not None:
            doc["eigenvalue"] = self.eigenvalue
        if self.latex is not None:
            doc["latex"] = self.latex
        doc["status"] = str(self.status)
        doc["message"] = self.message
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping) -> Threshold:
        """Inverse of :meth:`to_dict` (events and the branch are not serialized)."""
        names = {f.name for f in fields(cls)} - {"events", "branch"}
        return cls(**{k: doc[k] for k in names if k in doc})


# ---------------------------------------------------------------------------------------------
# integration


@dataclass(frozen=True)
class Trajectory:
    """One trajectory (:func:`fixedpoints.integrate`): ``times`` (n_t,), ``states``
    (n_vars, n_t), ``losses`` (n_t,), variable ``names``, ``status`` (``reached-end`` at the end
    of the window, else ``step-too-small``) and the solver's ``message``."""

    times: object = field(repr=False, compare=False)
    states: object = field(repr=False, compare=False)
    losses: object = field(repr=False, compare=False)
    names: tuple = ()
    status: Status = Status.REACHED_END
    message: str = ""

    def __post_init__(self):
        for name in ("times", "states", "losses"):
            object.__setattr__(self, name, frozen_array(getattr(self, name)))
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "status", Status(self.status))


@dataclass(frozen=True)
class Solution:
    """A batch of trajectories (:func:`fixedpoints.numeric.ode.solve`), one entry per trajectory.

    ``states``: final states (an array ``(N, ...)``, or a tuple of them for a tuple state), at
    the event, at the stop, at ``t_max`` or where the integration ended; ``times``: final times;
    ``event_times``: first time the event reached its level (``inf`` if never); ``status``:
    ``event``, ``stopped`` (or the status the stop rule gave), ``max-time``, ``max-steps``,
    ``step-too-small`` or ``diverged`` per trajectory; ``steps``/``rejected``: accepted and
    rejected steps.
    """

    states: object = field(repr=False, compare=False)
    times: object = field(repr=False, compare=False)
    event_times: object = field(repr=False, compare=False)
    status: tuple = ()
    steps: object = field(default=None, repr=False, compare=False)
    rejected: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        states = self.states
        states = tuple(map(frozen_array, states)) if isinstance(states, tuple) else states
        object.__setattr__(self, "states", frozen_array(states))
        for name in ("times", "event_times", "steps", "rejected"):
            object.__setattr__(self, name, frozen_array(getattr(self, name)))
        object.__setattr__(self, "status", tuple(Status(s) for s in self.status))


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
        return {"loss": self.loss, "count": self.count, "fraction": self.fraction, "label": self.label}


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
    """

    times: object = field(repr=False, compare=False)
    losses: object = field(repr=False, compare=False)
    W: object = field(repr=False, compare=False)
    a: object = field(repr=False, compare=False)
    final_losses: object = field(repr=False, compare=False)
    gradient_norms: object = field(repr=False, compare=False)
    stop_times: object = field(repr=False, compare=False)
    steps: object = field(repr=False, compare=False)
    status: tuple = ()
    method: str = ""
    loss_quantiles: object = field(default=None, repr=False, compare=False)
    protocol: Mapping = field(default_factory=dict)
    V: object = field(default=None, repr=False, compare=False)
    W0: object = field(default=None, repr=False, compare=False)
    a0: object = field(default=None, repr=False, compare=False)
    overlaps: object = field(default=None, repr=False, compare=False)
    outcomes: Outcomes | None = None
    square: bool = False
    model: str = ""
    settings: Mapping = field(default_factory=dict)
    stats: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if hasattr(value, "setflags"):
                object.__setattr__(self, f.name, frozen_array(value))
        object.__setattr__(self, "status", tuple(Status(s) for s in self.status))
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
            "protocol": _plain(proto),
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
        }


# ---------------------------------------------------------------------------------------------
# graphs and saddle-to-saddle


@dataclass(frozen=True)
class TransitionGraph:
    """A transition graph (:func:`fixedpoints.transition_graph`): the frozen
    :class:`networkx.DiGraph` ``graph``, its node-link ``data`` (nodes and edges with their
    attributes), the ``summary`` of its queries, and the search it was seeded with."""

    graph: object = field(repr=False, compare=False)
    data: Mapping = field(default_factory=dict)
    summary: Mapping = field(default_factory=dict)
    space: str = ""
    model: str = ""
    settings: Mapping = field(default_factory=dict)
    stats: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        for name in ("data", "summary", "settings", "stats"):
            object.__setattr__(self, name, frozen_mapping(getattr(self, name)))

    @property
    def status(self) -> Status:
        """``found`` when the graph has nodes."""
        return Status.FOUND if self.data.get("nodes") else Status.NOT_FOUND

    def to_dict(self, *, timing: bool = False) -> dict:
        """The document of ``graph --json``: node-link data plus ``summary``."""
        doc = _plain(self.data)
        doc["summary"] = _plain(self.summary)
        doc["model"] = self.model
        doc["settings"] = dict(self.settings)
        doc["space"] = self.space
        if timing:
            doc["seconds"] = self.stats.get("seconds")
        return doc


@dataclass(frozen=True)
class KKTPoint:
    """A KKT point ``direction`` of a neural correlation function on the unit sphere.

    ``value`` = N(u); ``multiplier`` = 2 N(u); ``gradient_norm`` = |Riemannian gradient|;
    ``spectrum``: Riemannian Hessian eigenvalues (ascending); ``kind``: ``local max``,
    ``saddle``, ``local min``, ``degenerate zero set`` or ``degenerate``; ``count``: how many
    starts converged to it (for a degenerate zero set: how many of its points were found).
    """

    direction: tuple
    value: float
    multiplier: float
    gradient_norm: float
    spectrum: tuple
    kind: str
    count: int = 1

    def __post_init__(self):
        object.__setattr__(self, "direction", tuple(float(v) for v in self.direction))
        object.__setattr__(self, "spectrum", tuple(float(v) for v in self.spectrum))

    def to_dict(self, digits: int = 10) -> dict:
        return {
            "value": round(self.value, digits),
            "multiplier": round(self.multiplier, digits),
            "kind": self.kind,
            "direction": [round(x, digits) for x in self.direction],
            "gradient_norm": float(self.gradient_norm),
            "spectrum": [round(x, digits) for x in self.spectrum],
            "count": self.count,
        }


@dataclass(frozen=True)
class Plateau:
    """One plateau: ``loss``, rescaled arrival ``time`` = t/ln(1/δ), the ``active`` neurons or
    modes, the largest residual-NCF value ``ncf_max`` there, and the residual NCF's
    ``kkt_points`` (dicts)."""

    loss: float
    time: float
    active: tuple
    ncf_max: float | None = None
    kkt_points: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "active", tuple(self.active))
        object.__setattr__(self, "kkt_points", tuple(self.kkt_points))

    def to_dict(self) -> dict:
        return {
            "loss": self.loss,
            "time": self.time,
            "active": _plain(self.active),
            "ncf_max": self.ncf_max,
            "kkt_points": _plain(self.kkt_points),
        }


@dataclass(frozen=True)
class SaddleSequence:
    """The predicted plateaus (first: the origin at time 0), the ``method`` used and ``notes``."""

    plateaus: tuple
    method: str
    notes: tuple = ()
    model: str = ""
    settings: Mapping = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "plateaus", tuple(self.plateaus))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "settings", frozen_mapping(self.settings))

    @property
    def status(self) -> Status:
        """``found`` when a plateau beyond the origin was predicted."""
        return Status.FOUND if len(self.plateaus) > 1 else Status.NOT_FOUND

    def to_dict(self) -> dict:
        """The document of ``saddle-to-saddle --json``."""
        return {
            "model": self.model,
            "settings": dict(self.settings),
            "method": self.method,
            "plateaus": [p.to_dict() for p in self.plateaus],
            "notes": list(self.notes),
        }
