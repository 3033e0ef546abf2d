"""Graphs and saddle-to-saddle dynamics: transition graphs, KKT points of neural correlation functions, plateaus and plateau sequences; and study reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fixedpoints.results.status import Status, array_field, frozen_mapping, plain
from fixedpoints.results.text import html_table, numbers, short_repr

__all__ = ["KKTPoint", "Plateau", "SaddleSequence", "StudyReport", "TransitionGraph"]


@dataclass(frozen=True)
class TransitionGraph:
    """A transition graph (:func:`fixedpoints.transition_graph`): the frozen
    :class:`networkx.DiGraph` ``graph``, its node-link ``data`` (nodes and edges with their
    attributes), the ``summary`` of its queries, and the search it was seeded with."""

    graph: object = array_field()
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
        doc = plain(self.data)
        doc["summary"] = plain(self.summary)
        doc["model"] = self.model
        doc["settings"] = dict(self.settings)
        doc["space"] = self.space
        if timing:
            doc["seconds"] = self.stats.get("seconds")
        return doc

    def __repr__(self) -> str:
        return short_repr(
            "TransitionGraph",
            self.model or None,
            nodes=self.graph.number_of_nodes(),
            edges=self.graph.number_of_edges(),
            sinks=numbers(s["loss"] for s in self.summary.get("sinks", ())),
        )


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
            "active": plain(self.active),
            "ncf_max": self.ncf_max,
            "kkt_points": plain(self.kkt_points),
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

    def __repr__(self) -> str:
        return short_repr(
            "SaddleSequence",
            self.model or None,
            method=self.method,
            losses=numbers(p.loss for p in self.plateaus),
            times=numbers(p.time for p in self.plateaus),
        )


@dataclass(frozen=True)
class StudyReport:
    """A derivation study run against its ``expected.json``
    (:func:`fixedpoints.run_study`): one row per claim (``id``, ``claim``, ``value``,
    ``expected``, ``tol``, ``source``, ``pass``) and the study's ``extras``."""

    study: str
    paper: str
    claims: tuple
    extras: Mapping = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "claims", tuple(frozen_mapping(c) for c in self.claims))
        object.__setattr__(self, "extras", frozen_mapping(self.extras))

    @property
    def passed(self) -> int:
        """Number of claims that hold."""
        return sum(bool(c["pass"]) for c in self.claims)

    @property
    def skipped(self) -> int:
        """Number of slow claims not run (``run_study(..., slow=False)``)."""
        return sum(bool(c.get("skipped")) for c in self.claims)

    @property
    def failed(self) -> int:
        """Number of claims run that do not hold."""
        return len(self.claims) - self.passed - self.skipped

    @property
    def status(self) -> Status:
        """``found`` when every claim that was run holds, else ``not-found``."""
        return Status.FOUND if self.failed == 0 else Status.NOT_FOUND

    def to_dict(self) -> dict:
        """The document of ``study run --json`` (``report.json``)."""
        return {
            "study": self.study,
            "paper": self.paper,
            "claims": [dict(c) for c in self.claims],
            "extras": dict(self.extras),
        }

    def __repr__(self) -> str:
        return short_repr(
            "StudyReport",
            self.study,
            claims=len(self.claims),
            passed=self.passed,
            failed=self.failed,
            skipped=self.skipped,
        )

    def _repr_html_(self) -> str:
        rows = [
            (
                "skip" if c.get("skipped") else ("pass" if c["pass"] else "FAIL"),
                c["id"],
                c["value"],
                c["expected"],
                c["tol"],
            )
            for c in self.claims
        ]
        return html_table(("", "claim", "value", "expected", "tol"), rows, str(self.study))
