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

from fixedpoints.results.arcs import ArcCrossing, TangencyArc
from fixedpoints.results.branches import Branch, BranchPoint, Continuation, Event, Threshold
from fixedpoints.results.curves import Curve, CurveEvent, CurvePoint
from fixedpoints.results.dynamics import (
    EscapeResult,
    Outcome,
    Outcomes,
    Simulation,
    Solution,
    Trajectory,
)
from fixedpoints.results.graphs import (
    KKTPoint,
    Plateau,
    SaddleSequence,
    StudyReport,
    TransitionGraph,
)
from fixedpoints.results.points import (
    Certificate,
    Classification,
    FixedPoint,
    FixedPointSearch,
    NewtonResult,
)
from fixedpoints.results.status import Status, frozen_array, frozen_mapping

__all__ = [
    "ArcCrossing",
    "Branch",
    "BranchPoint",
    "Certificate",
    "Curve",
    "CurveEvent",
    "CurvePoint",
    "Classification",
    "Continuation",
    "EscapeResult",
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
    "StudyReport",
    "TangencyArc",
    "Threshold",
    "Trajectory",
    "TransitionGraph",
    "frozen_array",
    "frozen_mapping",
]
