"""The small interface the numeric layer works on.

Any object with these attributes is a :class:`System`: the compiled flows of
:mod:`fixedpoints.codegen`, or a hand-written test system that needs no SymPy.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from fixedpoints.errors import ParameterError

__all__ = ["System", "parameter_values"]


def parameter_values(parameters, params) -> list:
    """The values of a system's free ``parameters`` from ``params``: a mapping by name, a
    sequence in their order, or None (no parameters); a missing name or a wrong count is a
    :class:`~fixedpoints.errors.ParameterError` naming ``params``."""
    if params is None:
        params = {}
    if isinstance(params, dict):
        missing = [p for p in parameters if p not in params]
        if missing:
            raise ParameterError(
                f"free parameter(s) {missing} need values (`params`).", parameter="params"
            )
        return [params[p] for p in parameters]
    values = list(params)
    if len(values) != len(parameters):
        raise ParameterError(
            f"`params` must have {len(parameters)} values {tuple(parameters)}; got {len(values)}.",
            parameter="params",
        )
    return values


@runtime_checkable
class System(Protocol):
    r"""An autonomous ODE :math:`\dot x=F(x;\theta)` with a loss :math:`\mathcal L(x;\theta)`."""

    names: tuple[str, ...]
    parameters: tuple[str, ...]

    @property
    def dimension(self) -> int: ...

    def vector_field(self, x, params=None): ...

    def loss(self, x, params=None): ...
