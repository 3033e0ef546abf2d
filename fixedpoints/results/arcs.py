"""Tangency arcs: the critical points an arc meets and the arc itself."""

from __future__ import annotations

from dataclasses import dataclass

from fixedpoints.results.status import Status, array_field, freeze_arrays

__all__ = ["ArcCrossing", "TangencyArc"]


@dataclass(frozen=True)
class ArcCrossing:
    """A critical point met by a tangency arc (where its multiplier μ changes sign): Frobenius
    ``distance`` from the arc's center, the arc ``radius`` where μ crossed zero, ``loss``,
    ``barrier`` (loss minus the center's loss), Morse ``index`` and smallest eigenvalue in the
    full space, ``isotropy`` label and reduced coordinates ``x``."""

    distance: float
    radius: float
    loss: float
    barrier: float
    index: int
    min_eigenvalue: float
    isotropy: str
    x: object = array_field(default=None)

    def __post_init__(self):
        freeze_arrays(self)

    def to_dict(self) -> dict:
        return {
            "distance": self.distance,
            "radius": self.radius,
            "loss": self.loss,
            "barrier": self.barrier,
            "index": self.index,
            "min_eigenvalue": self.min_eigenvalue,
            "isotropy": self.isotropy,
            "coordinates": None if self.x is None else [float(v) for v in self.x],
        }


@dataclass(frozen=True)
class TangencyArc:
    r"""A tangency arc of a critical point (:func:`fixedpoints.tangency_arcs`): it leaves the
    ``center`` along eigendirection ``direction`` (0 = smallest, ``eigenvalue``) with ``sign``
    inside Fix(``isotropy``); per point the ``radius`` :math:`\|W-c\|_F`, the ``loss`` and the
    multiplier ``mu`` (:math:`\nabla\mathcal L=\mu(W-c)`); the ``crossings`` (critical points
    met); ``status`` ``reached-end``, ``step-too-small``, ``max-points`` or ``not-found``."""

    direction: int
    sign: int
    eigenvalue: float
    isotropy: str
    status: Status
    radius: tuple = ()
    loss: tuple = ()
    mu: tuple = ()
    crossings: tuple = ()
    center: object = array_field(default=None)
    points: object = array_field(default=None)

    def __post_init__(self):
        for name in ("radius", "loss", "mu", "crossings"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "status", Status(self.status))
        freeze_arrays(self)

    def to_dict(self) -> dict:
        return {
            "direction": self.direction,
            "sign": self.sign,
            "eigenvalue": self.eigenvalue,
            "isotropy": self.isotropy,
            "status": str(self.status),
            "radius": list(self.radius),
            "loss": list(self.loss),
            "mu": list(self.mu),
            "crossings": [c.to_dict() for c in self.crossings],
        }
