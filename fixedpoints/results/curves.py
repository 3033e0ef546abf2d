"""Two-parameter continuation: fold and branch-point curves in a parameter plane, their points
and the events along them (standard library only)."""

from __future__ import annotations

from dataclasses import dataclass

from fixedpoints.results.status import Status, array_field, freeze_arrays
from fixedpoints.results.text import raw, short_repr

__all__ = ["Curve", "CurveEvent", "CurvePoint"]


@dataclass(frozen=True)
class CurvePoint:
    r"""A point of a codimension-one curve: the two parameter values ``(p1, p2)``, the ``loss``
    and the Morse ``index`` of the critical point there (the critical eigenvalue, zero on the
    curve, not counted), the critical eigenvalue's ``multiplicity``, the solved system's
    ``residual`` (:math:`\max(\lVert F\rVert_\infty, |\lambda_c|)`) and the weights ``x``."""

    p1: float
    p2: float
    loss: float
    index: int
    multiplicity: int = 1
    residual: float = 0.0
    x: object = array_field(default=None)

    def __post_init__(self):
        freeze_arrays(self)

    def to_dict(self) -> dict:
        return {
            "parameters": [self.p1, self.p2],
            "loss": self.loss,
            "index": self.index,
            "multiplicity": self.multiplicity,
            "residual": self.residual,
        }


@dataclass(frozen=True)
class CurveEvent:
    """An event along a curve at ``parameters`` ``(p1, p2)``.

    ``kind``: ``'cusp'`` (on a fold curve, the normal-form coefficient
    :math:`a=\\partial^3_vL` changes sign: two fold curves meet), ``'turn'`` (the curve turns
    back in the second parameter), ``'meets-branch-point'`` / ``'meets-fold'`` (the curve meets
    a curve of the other kind: where a fold of the bifurcating branches ends on a branch-point
    curve, a sub- and a supercritical pitchfork part), ``'end'`` (the curve could not be
    continued further inside the box; ``detail`` says why)."""

    kind: str
    p1: float
    p2: float
    detail: str = ""

    def to_dict(self) -> dict:
        doc = {"kind": self.kind, "parameters": [self.p1, self.p2]}
        if self.detail:
            doc["detail"] = self.detail
        return doc


@dataclass(frozen=True)
class Curve:
    """A fold or branch-point curve in the plane of ``parameters`` ``(p1, p2)``.

    ``kind``: ``'fold'`` or ``'branch-point'``; ``points``: :class:`CurvePoint` in arclength
    order; ``events``: :class:`CurveEvent`; ``status`` (``reached-end``, ``left-range``,
    ``step-too-small``, ``max-points``); ``label`` (the branch and event it was started from);
    ``expression``/``latex``: a closed form of the curve where SymPy finds one (``p1`` as a
    function of ``p2``, or the other way round, as ``solved_for`` says); ``component``: the
    isotypic component whose eigenvalue vanishes (branch points of a named point)."""

    kind: str
    parameters: tuple
    points: tuple
    events: tuple = ()
    status: Status = Status.REACHED_END
    label: str = ""
    expression: str | None = None
    latex: str | None = None
    solved_for: str | None = None
    component: str = ""

    def __post_init__(self):
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "points", tuple(self.points))
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "status", Status(self.status))

    def values(self) -> list:
        """``[[p1, p2], ...]``: the curve as a list of parameter pairs."""
        return [[p.p1, p.p2] for p in self.points]

    def __repr__(self) -> str:
        ends = ""
        if self.points:
            a, b = self.points[0], self.points[-1]
            ends = f"({a.p1:.6g}, {a.p2:.6g}) → ({b.p1:.6g}, {b.p2:.6g})"
        return short_repr(
            "Curve",
            self.kind,
            parameters=raw(",".join(self.parameters)),
            points=len(self.points),
            ends=raw(ends),
            status=str(self.status),
        )

    def to_dict(self) -> dict:
        """``{"kind", "parameters", "points", "events", ...}`` of ``continue --json``
        (``curves``)."""
        doc = {
            "kind": self.kind,
            "parameters": list(self.parameters),
            "points": self.values(),
            "events": [e.to_dict() for e in self.events],
            "status": str(self.status),
            "label": self.label,
            "loss": [p.loss for p in self.points],
            "index": [p.index for p in self.points],
            "multiplicity": self.points[0].multiplicity if self.points else 1,
        }
        if self.component:
            doc["component"] = self.component
        if self.expression is not None:
            doc["expression"] = self.expression
            doc["latex"] = self.latex
            doc["solved_for"] = self.solved_for
        return doc
