"""The small interface the numeric layer works on.

Any object with these attributes is a :class:`System`: the compiled flows of
:mod:`fixedpoints.codegen`, or a hand-written test system that needs no SymPy.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["System"]


@runtime_checkable
class System(Protocol):
    r"""An autonomous ODE :math:`\dot x=F(x;\theta)` with a loss :math:`\mathcal L(x;\theta)`."""

    names: tuple[str, ...]
    parameters: tuple[str, ...]

    @property
    def dimension(self) -> int: ...

    def vector_field(self, x, params=None): ...

    def loss(self, x, params=None): ...
