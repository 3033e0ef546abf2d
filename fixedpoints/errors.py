"""Exceptions of fixedpoints.

Every error raised on purpose derives from :class:`FixedPointsError` and from the matching built-in
exception, so ``except ValueError`` keeps working for callers that do not know this package.
Messages name the parameter, show the value and state the allowed range, e.g.
``"`beta` must be in [0, 1); got 1.5."``.
"""

from __future__ import annotations

__all__ = [
    "FixedPointsError",
    "ParameterError",
    "ModelError",
    "AnsatzError",
    "DerivationError",
    "StudyError",
]


class FixedPointsError(Exception):
    """Base class of all fixedpoints errors (``exit_code``: what the command line returns)."""

    exit_code = 2


class ParameterError(FixedPointsError, ValueError):
    """A parameter is unknown, malformed or out of range.

    ``parameter`` names the library parameter at fault (e.g. ``'isotropy'``) when there is one;
    the command line uses it to name the matching flag (``--isotropy``) instead.
    """

    def __init__(self, message: str = "", *, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class ModelError(FixedPointsError, ValueError):
    """A model description is inconsistent (sizes, activations, matrices)."""


class AnsatzError(FixedPointsError, ValueError):
    """An ansatz does not define an invariant subspace of the flow."""


class DerivationError(FixedPointsError, RuntimeError):
    """A symbolic derivation could not be carried out."""


class StudyError(FixedPointsError, RuntimeError):
    """A study script failed to run (its claims count as failed)."""

    exit_code = 1


def out_of_range(name: str, value: object, allowed: str, hint: str = "") -> ParameterError:
    """Build the standard one-line error ``"`name` must be ALLOWED; got VALUE."``."""
    msg = f"`{name}` must be {allowed}; got {value!r}."
    if hint:
        msg += f" {hint}"
    return ParameterError(msg, parameter=name)
