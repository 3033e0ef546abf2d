r"""Runge–Kutta methods as data: explicit (Butcher tableaus) and linearly implicit (Rosenbrock–Wanner).

A tableau with stages :math:`s` defines one step of :math:`\dot y=F(y)` from :math:`(t,y)` with
:math:`k_1=F(y)`:

.. math::

    k_i=F\Big(y+h\sum_{j<i}a_{ij}k_j\Big),\quad i=2,\dots,s,\qquad
    y_{\rm new}=y+h\sum_jb_jk_j,\qquad e=h\sum_j\hat e_jk_j ,

with :math:`\hat e=b-\hat b` the weights of the embedded error estimate (adaptive methods only).
A method is *FSAL* (first same as last) when its last stage is evaluated at :math:`y_{\rm new}`
(:math:`a_{s\cdot}=b`), so :math:`k_s=F(y_{\rm new})` is the next step's :math:`k_1`. Two
stages :math:`i<j` at the same abscissa :math:`c_i=c_j` (``stiffness``) give Hairer's estimate of
the dominant eigenvalue of :math:`\partial F/\partial y`,
:math:`\rho=\|k_j-k_i\|/\|Y_j-Y_i\|` (:mod:`~fixedpoints.numeric.ode.stiffness`).

A Rosenbrock–Wanner method (:class:`Rosenbrock`, standard form) with an approximation
:math:`J\approx\partial F/\partial y(y)` solves one linear system per stage,

.. math::

    (I-h\gamma J)\,k_i=hF\Big(y+\sum_{j<i}a_{ij}k_j\Big)+hJ\sum_{j<i}g_{ij}k_j,\qquad
    y_{\rm new}=y+\sum_ib_ik_i,\qquad e=\sum_i(b_i-\hat b_i)k_i ;

a *W-method* keeps its order for any :math:`J`, so a Jacobian may be kept over several steps.

References
----------
E. Hairer, S. P. Nørsett, G. Wanner, *Solving Ordinary Differential Equations I*, 2nd ed.,
Springer 1993: Table 5.2 (Dormand–Prince 5(4)), §II.1 (Euler, Heun, classical RK4).
E. Hairer, G. Wanner, *Solving Ordinary Differential Equations II*, 2nd ed., Springer 1996:
§IV.7 (Rosenbrock and W-methods).
J. Rang, L. Angermann, New Rosenbrock W-methods of order 3 for partial differential algebraic
equations of index 1, *BIT Numer. Math.* 45 (2005) 761–787: ROS34PW2 (coefficients to 17 digits
as in PETSc's ``TSROSWRA34PW2``; :math:`\gamma` the root of :math:`6\gamma^3-18\gamma^2+9\gamma-1`
in :math:`(0.4,0.5)`, which makes the method L-stable).
"""

from __future__ import annotations

from dataclasses import dataclass

from fixedpoints.errors import out_of_range

__all__ = [
    "DOPRI5",
    "EULER",
    "HEUN",
    "RK4",
    "RKC",
    "ROS34PW2",
    "TABLEAUS",
    "Chebyshev",
    "Rosenbrock",
    "Tableau",
]


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
    stiffness : tuple of two int, optional
        Stages :math:`i<j` (numbered from 1) at the same abscissa: their difference estimates the
        dominant eigenvalue of the Jacobian (Hairer's stiffness test).
    """

    name: str
    a: tuple
    b: tuple
    error: tuple | None = None
    error_order: int = 1
    fsal: bool = False
    stiffness: tuple | None = None

    def __post_init__(self):
        stages = len(self.a) + 1
        if len(self.b) != stages or (self.error is not None and len(self.error) != stages):
            raise ValueError(f"tableau {self.name!r}: {stages} stages need {stages} weights")
        if any(len(row) != i + 1 for i, row in enumerate(self.a)):
            raise ValueError(f"tableau {self.name!r}: row i of `a` needs i + 1 entries")
        if self.fsal and tuple(self.a[-1]) != tuple(self.b[:-1]):
            raise ValueError(f"tableau {self.name!r}: FSAL needs the last row of `a` equal to b")
        if self.stiffness is not None:
            i, j = self.stiffness
            c = [0.0] + [sum(row) for row in self.a]
            if not (1 <= i < j <= stages and abs(c[i - 1] - c[j - 1]) < 1e-14):
                raise ValueError(f"tableau {self.name!r}: stiffness stages need equal abscissae")

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
    stiffness=(6, 7),
)
TABLEAUS = {t.name: t for t in (EULER, HEUN, RK4, DOPRI5)}


@dataclass(frozen=True)
class Rosenbrock:
    """A Rosenbrock–Wanner method in the standard form of the module docstring.

    Attributes
    ----------
    name : str
    gamma : float
        The diagonal :math:`\\gamma`.
    a, g : tuple of tuples
        Row ``i`` holds :math:`a_{i+2,j}` and :math:`g_{i+2,j}` of stage ``i + 2``.
    b, b_hat : tuple of float
        Weights of the solution and of the embedded one.
    order, error_order : int
        Orders of the solution and of the embedded solution (step exponent :math:`1/(q+1)`).
    """

    name: str
    gamma: float
    a: tuple
    g: tuple
    b: tuple
    b_hat: tuple
    order: int
    error_order: int

    def __post_init__(self):
        s = len(self.a) + 1
        if len(self.b) != s or len(self.b_hat) != s or len(self.g) != s - 1:
            raise ValueError(f"method {self.name!r}: {s} stages need {s} weights and {s - 1} rows")
        if any(
            len(r) != i + 1 or len(q) != i + 1
            for i, (r, q) in enumerate(zip(self.a, self.g, strict=True))
        ):
            raise ValueError(f"method {self.name!r}: row i of `a` and `g` needs i + 1 entries")

    @property
    def stages(self) -> int:
        return len(self.a) + 1

    @property
    def error(self) -> tuple:
        """:math:`b-\\hat b`."""
        return tuple(x - y for x, y in zip(self.b, self.b_hat, strict=True))

    @property
    def adaptive(self) -> bool:
        return True


_G = 0.43586652150845900  # root of 6 g^3 - 18 g^2 + 9 g - 1 in (0.4, 0.5): L-stability
ROS34PW2 = Rosenbrock(
    "ros34pw2",
    gamma=_G,
    a=((2 * _G,), (0.84457060015369423, -0.11299064236484185), (0.0, 0.0, 1.0)),
    g=(
        (-2 * _G,),
        (-0.90338057013044082, 0.054180672388095326),
        (0.24212380706095346, -1.2232505839045147, 0.54526025533510214),
    ),
    b=(0.24212380706095346, -1.2232505839045147, 1.5452602553351020, _G),
    b_hat=(0.37810903145819369, -0.096042292212423178, 0.5, _G / 2),
    order=3,
    error_order=2,
)


@dataclass(frozen=True)
class Chebyshev:
    """The Runge–Kutta–Chebyshev method RKC2 (:mod:`~fixedpoints.numeric.ode.chebyshev`): explicit,
    second order, with as many stages per step as the step's :math:`h\\rho` needs.

    Attributes
    ----------
    name : str
    damping : float
        :math:`\\varepsilon` (RKC's 2/13).
    max_stages : int
        Most stages of one step; the driver caps :math:`h` at :math:`\\beta_{\\max}/\\rho`.
    safety : float
        :math:`\\rho` is the power iteration's estimate times ``safety`` (RKC's 1.2).
    rho_every : int
        Accepted steps between estimates of :math:`\\rho` per trajectory (also re-estimated after
        a rejected step; RKC's 25).
    """

    name: str = "rkc"
    damping: float = 2 / 13
    max_stages: int = 400
    safety: float = 1.2
    rho_every: int = 25
    order: int = 2
    error_order: int = 2

    def __post_init__(self):
        if not 0 < self.damping < 1:
            raise out_of_range("damping", self.damping, "in (0, 1)")
        if not 2 <= int(self.max_stages) <= 10_000:
            raise out_of_range("max_stages", self.max_stages, "an integer in [2, 10000]")
        if int(self.rho_every) < 1:
            raise out_of_range("rho_every", self.rho_every, "an integer >= 1")
        if not self.safety >= 1:
            raise out_of_range("safety", self.safety, ">= 1")

    @property
    def adaptive(self) -> bool:
        return True


RKC = Chebyshev()
