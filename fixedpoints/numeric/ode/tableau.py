r"""Explicit Runge–Kutta methods as data (Butcher tableaus).

A tableau with stages :math:`s` defines one step of :math:`\dot y=F(y)` from :math:`(t,y)` with
:math:`k_1=F(y)`:

.. math::

    k_i=F\Big(y+h\sum_{j<i}a_{ij}k_j\Big),\quad i=2,\dots,s,\qquad
    y_{\rm new}=y+h\sum_jb_jk_j,\qquad e=h\sum_j\hat e_jk_j ,

with :math:`\hat e=b-\hat b` the weights of the embedded error estimate (adaptive methods only).
A method is *FSAL* (first same as last) when its last stage is evaluated at :math:`y_{\rm new}`
(:math:`a_{s\cdot}=b`), so :math:`k_s=F(y_{\rm new})` is the next step's :math:`k_1`.

References
----------
E. Hairer, S. P. Nørsett, G. Wanner, *Solving Ordinary Differential Equations I*, 2nd ed.,
Springer 1993: Table 5.2 (Dormand–Prince 5(4)), §II.1 (Euler, Heun, classical RK4).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DOPRI5", "EULER", "HEUN", "RK4", "TABLEAUS", "Tableau"]


@dataclass(frozen=True)
class Tableau:
    """An explicit Runge–Kutta method.

    Attributes
    ----------
    name : str
    a : tuple of tuples
        Row ``i`` holds :math:`a_{i+2,j}` of stage ``i + 2`` (stage 1 has none).
    b : tuple of float
        Weights of the solution.
    error : tuple of float or None
        :math:`b-\\hat b` (one weight per stage), or None for a method without error estimate.
    error_order : int
        Order :math:`q` of the lower-order solution: the step controller's exponent is
        :math:`1/(q+1)`.
    fsal : bool
        The last stage is evaluated at the new solution.
    """

    name: str
    a: tuple
    b: tuple
    error: tuple | None = None
    error_order: int = 1
    fsal: bool = False

    def __post_init__(self):
        stages = len(self.a) + 1
        if len(self.b) != stages or (self.error is not None and len(self.error) != stages):
            raise ValueError(f"tableau {self.name!r}: {stages} stages need {stages} weights")
        if any(len(row) != i + 1 for i, row in enumerate(self.a)):
            raise ValueError(f"tableau {self.name!r}: row i of `a` needs i + 1 entries")
        if self.fsal and tuple(self.a[-1]) != tuple(self.b[:-1]):
            raise ValueError(f"tableau {self.name!r}: FSAL needs the last row of `a` equal to b")

    @property
    def stages(self) -> int:
        return len(self.a) + 1

    @property
    def adaptive(self) -> bool:
        """Whether the method carries an error estimate."""
        return self.error is not None


EULER = Tableau("euler", a=(), b=(1.0,))
HEUN = Tableau("heun", a=((1.0,),), b=(0.5, 0.5), error=(-0.5, 0.5), error_order=1)
RK4 = Tableau(
    "rk4",
    a=((0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
    b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
)
DOPRI5 = Tableau(
    "dopri5",
    a=(
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
        (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
    ),
    b=(35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
    error=(71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40),
    error_order=4,
    fsal=True,
)
TABLEAUS = {t.name: t for t in (EULER, HEUN, RK4, DOPRI5)}
