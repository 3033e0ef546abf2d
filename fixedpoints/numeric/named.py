r"""Named fixed points located in weight space.

The ``averaged`` point has every student equal and every student–teacher overlap equal and
positive (its exact pattern in overlap space: :mod:`fixedpoints.symbolic.named_points`). In weight
space every student is :math:`w=c\,\bar v`, :math:`\bar v=\sum_rv_r/\|\sum_rv_r\|`, with :math:`c`
fixed by the sphere (spherical neurons) or found by Newton inside that pattern (free neurons,
trying :math:`c\in\{1,\tfrac12,2,\tfrac14,4\}`); the point is accepted when Newton converges to
:math:`M_{ir}` all equal (to 1e-8) and positive.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.newton import newton
from fixedpoints.results import Status

__all__ = ["NAMED_POINTS", "named_point_weights"]

NAMED_POINTS = ("averaged",)


def named_point_weights(space, name: str = "averaged") -> np.ndarray:
    """The named point ``name`` of the landscape ``space``, in its weight coordinates.

    Raises
    ------
    ParameterError
        Naming ``point``: an unknown name, a model without teacher, or no such point.
    """
    if name not in NAMED_POINTS:
        raise ParameterError(
            f"`point` must be one of {', '.join(NAMED_POINTS)}; got {name!r}.", parameter="point"
        )
    if space.m == 0:
        raise ParameterError(f"`point` {name!r} needs a teacher.", parameter="point")
    direction = space.V.sum(axis=0)
    norm = float(np.linalg.norm(direction))
    if norm == 0:
        raise ParameterError(
            f"`point` {name!r}: the teacher vectors sum to zero.", parameter="point"
        )
    direction = direction / norm
    a = np.ones((space.k, space.outputs)) if space.trainable else None
    for c in [1.0] if space.spherical else [1.0, 0.5, 2.0, 0.25, 4.0]:
        W = np.tile(direction * c, (space.k, 1))
        r = newton(space, space.pack(W, a), tol=1e-12)
        if r.status == Status.CONVERGED:
            _, M, _ = space.overlaps(r.x)
            if np.all(M > 0) and np.allclose(M, M[0, 0], rtol=1e-8, atol=1e-10):
                return np.array(r.x)
    raise ParameterError(f"`point` {name!r}: no such fixed point was found.", parameter="point")
