"""Fixed points of a model: in weight space (multistart deflated Newton, symmetry orbits), or in
the fixed-point subspace of a diagonal Young subgroup (``isotropy``, isotypic spectra).

Composes :func:`fixedpoints.api.landscapes.landscape`,
:func:`fixedpoints.numeric.fixed_points.find_fixed_points` and
:func:`fixedpoints.numeric.symmetry.find_isotropic_fixed_points`; adds the model's name and
settings, a note for decoupled models, and the wall time (``stats``).
"""

from __future__ import annotations

import dataclasses
import time

from fixedpoints.api.landscapes import landscape
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError, out_of_range
from fixedpoints.numeric.fixed_points import find_fixed_points as _search
from fixedpoints.numeric.symmetry import find_isotropic_fixed_points
from fixedpoints.results import FixedPointSearch

__all__ = ["MAX_STARTS", "find_fixed_points"]

MAX_STARTS = 100_000


def find_fixed_points(
    model,
    params=None,
    *,
    starts: int = 200,
    seed: int = 0,
    isotropy=None,
    ansatz=None,
    progress=None,
    deflation: bool = True,
) -> FixedPointSearch:
    """Find and classify the fixed points of ``model``.

    Parameters
    ----------
    model : Model
    params : dict, optional
        Values of free parameters.
    starts : int
        Newton starts.
    seed : int
    isotropy : str or sequence of int, optional
        Block sizes of a diagonal Young subgroup (e.g. ``"9,1"``): search its fixed-point
        subspace (ReLU teacher–student problem with k = d, V = I).
    ansatz : str, optional
        Not supported by the search yet (the reduction exists for :func:`~fixedpoints.derive`).
    progress : callable, optional
        ``progress(done, total)`` after each start (batch).
    deflation : bool
        Restart converged starts with their solutions deflated.

    Returns
    -------
    FixedPointSearch
        Sorted by loss; failed starts are counted in ``statuses``, never raised.

    Raises
    ------
    ParameterError
        Naming ``starts``, ``isotropy`` or ``ansatz``.

    Examples
    --------
    >>> import fixedpoints as fp
    >>> model = fp.load_model("relu-teacher", {"d": 4})
    >>> res = fp.find_fixed_points(model, isotropy="4", starts=20)
    >>> res.points[0].loss, res.points[0].index
    (0.0, 0)
    """
    if not (isinstance(starts, int) and 1 <= starts <= MAX_STARTS):
        raise out_of_range("starts", starts, f"an integer in [1, {MAX_STARTS}]")
    if isotropy is not None and ansatz is not None:
        raise ParameterError("give either `isotropy` or `ansatz`, not both.", parameter="isotropy")
    if ansatz is not None:
        raise ParameterError(
            f"`ansatz` {ansatz!r} is not supported by the fixed-point search yet (the ansatz "
            "reduction exists for derive); use the weight-space search or `isotropy`.",
            parameter="ansatz",
        )
    t0 = time.perf_counter()
    if isotropy is not None:
        d = model.input_dimension or model.student.width
        if model.student.width != d:
            raise ParameterError(
                f"`isotropy` needs k = d (student width {model.student.width}, d = {d}).",
                parameter="isotropy",
            )
        kernels = compile_pair_kernels(model, params)
        res = find_isotropic_fixed_points(
            kernels, isotropy, d, starts=starts, seed=seed, progress=progress
        )
    else:
        space = landscape(model, params)
        res = _search(space, starts=starts, seed=seed, progress=progress, deflation=deflation)
    notes = list(res.notes)
    if not res.points:
        counts = ", ".join(f"{k}: {v}" for k, v in res.statuses.items())
        notes.append(f"no start converged ({counts}); try more starts")
    if res.decoupled:
        notes.append(
            f"the loss decouples over the {model.student.width} neurons: each entry is a fixed "
            "point of one neuron; fixed points of the full model are all tuples of them"
        )
    return dataclasses.replace(
        res,
        notes=tuple(notes),
        model=model.name,
        settings=dict(model.settings),
        stats={"seconds": time.perf_counter() - t0},
    )
