"""The one status vocabulary and the read-only containers of result values (standard library
only).

>>> Status.MAX_TIME.message
'the time limit was reached'
>>> Status("converged") == "converged"
True
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field, fields
from types import MappingProxyType

__all__ = [
    "Status",
    "array_field",
    "freeze_arrays",
    "frozen_array",
    "frozen_mapping",
    "multiplicity",
    "plain",
    "spectrum_pairs",
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
    NONDIFFERENTIABLE = "nondifferentiable"

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
    Status.NONDIFFERENTIABLE: (
        "a neuron has zero norm: the loss is not differentiable there (e.g. the ReLU kink), so "
        "index and spectrum come from one-sided differences and are not defined"
    ),
}
_SUCCESS = frozenset(
    {Status.CONVERGED, Status.EVENT, Status.STOPPED, Status.REACHED_END, Status.FOUND}
)


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


def plain(x):
    """JSON-ready copy: arrays to lists, mappings to dicts, tuples to lists, statuses to text."""
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, Status):
        return str(x)
    if isinstance(x, Mapping):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


def multiplicity(m) -> int | float:
    """An eigenvalue's multiplicity: an int where ``m`` is whole (to :math:`10^{-9}`), else the
    float (a multiplicity formula evaluated at real d, along a continuation in the dimension).

    >>> multiplicity(3.0), multiplicity(2.9999999999), multiplicity(4.5)
    (3, 3, 4.5)
    """
    r = round(float(m))
    return int(r) if abs(float(m) - r) <= 1e-9 * max(1.0, abs(r)) else float(m)


def spectrum_pairs(pairs) -> tuple:
    """``((eigenvalue, multiplicity), ...)`` as floats and :func:`multiplicity` values."""
    return tuple((float(v), multiplicity(m)) for v, m, *_ in pairs)


def array_field(**kw):
    """A dataclass field holding an array: left out of ``repr`` and of comparisons."""
    return field(repr=False, compare=False, **kw)


def freeze_arrays(value) -> None:
    """Replace every array field of the frozen dataclass ``value`` by a read-only view (in
    ``__post_init__``)."""
    for f in fields(value):
        item = getattr(value, f.name)
        if isinstance(item, tuple) and any(hasattr(x, "setflags") for x in item):
            object.__setattr__(value, f.name, tuple(frozen_array(x) for x in item))
        elif hasattr(item, "setflags"):
            object.__setattr__(value, f.name, frozen_array(item))
