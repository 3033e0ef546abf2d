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
from fixedpoints.numeric.fixed_points import find_subspace_fixed_points
from fixedpoints.numeric.parallel import usable_cpus
from fixedpoints.numeric.symmetry import (
    ansatz_subspace,
    arb_kernels,
    certify_search,
    detect_symmetry,
    find_isotropic_fixed_points,
    young_subspace,
)
from fixedpoints.results import FixedPointSearch

__all__ = ["MAX_STARTS", "MAX_WEIGHTS", "check_weight_space", "dense_bytes", "find_fixed_points"]

MAX_STARTS = 100_000
#: the largest weight space searched by default: every Newton step forms and factorises a dense
#: Hessian, and the starts and the symmetry lattice multiply that (measured on 2 cores, relu-teacher
#: with 10 starts: 100 weights 24-48 s, 196 weights 80 s, 400 weights over 2 min)
MAX_WEIGHTS = 1024


def check_weight_space(space, max_weights: int | None = MAX_WEIGHTS, name: str = "") -> None:
    """Refuse a weight-space search of more than ``max_weights`` weights (None: no limit), with
    the size of the dense Hessian and the way out (``isotropy``).

    Raises
    ------
    ParameterError
        Naming ``max_weights``.
    """
    n = int(space.dimension)
    if max_weights is None or n <= max_weights:
        return
    raise ParameterError(
        f"a weight-space search{' of ' + name if name else ''} has {n} weights: every Newton step "
        f"forms and factorises a dense {n}×{n} Hessian ({dense_bytes(n)}), for every start and "
        f"fixed space of the symmetry lattice (100 weights take up to a minute, 400 several minutes); "
        f"`max_weights` is {max_weights}. Search a symmetric fixed space with `isotropy` "
        "(e.g. d-1,1: a few unknowns at any d), or raise `max_weights`.",
        parameter="max_weights",
    )


def dense_bytes(n: int) -> str:
    """The memory of a dense n×n float64 matrix, as text.

    >>> dense_bytes(40_000)
    '12.8 GB'
    """
    size = 8.0 * n * n
    for unit in ("B", "kB", "MB"):
        if size < 1000:
            return f"{size:.3g} {unit}"
        size /= 1000
    return f"{size:.3g} GB"


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
    reduced: bool | None = None,
    lattice: bool = True,
    precision: int | None = None,
    certify: bool = False,
    dimension: float | None = None,
    max_weights: int | None = MAX_WEIGHTS,
    workers: int | None = 1,
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
        Block sizes of a Young subgroup (e.g. ``"9,1"``, summing to the student width): search
        its fixed-point subspace, for every model. The blocks permute the students, and the
        teachers with the same indices when k = m and the teacher group allows it. A suffix
        ``":sgn"`` (``"3,1:sgn"``) searches the sign-twisted subgroup π ↦ sgn(π)·π instead
        (models with sign flips).
    ansatz : str, optional
        ``'symmetric'``, ``'block:p1,...'`` or ``'diagonal'`` (the ansätze of
        :func:`~fixedpoints.derive`): search the fixed space they describe, verified invariant
        (:func:`~fixedpoints.numeric.symmetry.ansatz_subspace`).
    progress : callable, optional
        ``progress(done, total)`` after each start (batch).
    deflation : bool
        Restart converged starts with their solutions deflated.
    lattice : bool
        Also search the fixed spaces of the symmetry lattice (weight-space search only).
    reduced : bool, optional
        With ``isotropy``: use the exact reduced loss of the k = d ReLU problem
        (:class:`~fixedpoints.numeric.symmetry.young.YoungIsotropy`; cost independent of d)
        rather than the generic weight-space fixed space. Default: where the model allows it.
    precision : int, optional
        Digits (15 to 1000): polish every point of the reduced route with mpmath and recompute
        its loss, coordinates and isotypic spectrum there (``FixedPoint.digits``). Needed above
        d = 10⁵, where float64 cancels; there the search runs at d = 1000 and each point is
        followed to d (block sizes written in d, e.g. ``"d-1,1"``).
    certify : bool
        Prove each point of the reduced route with Arb ball arithmetic (python-flint): a
        Krawczyk box with exactly one critical point, and rigorous bounds on the isotypic
        Hessian blocks over it (``FixedPoint.certificate``).
    dimension : float, optional
        The input dimension d of the reduced route when ``model`` was built at a smaller d (the
        reduced loss depends on d only through counts; the command line does this above
        d = 64).
    max_weights : int or None
        The largest weight space searched without ``isotropy``/``ansatz`` (default
        :data:`MAX_WEIGHTS`; None: no limit): above it the search is refused up front
        (:func:`check_weight_space`).
    workers : int or None
        Processes for the Newton runs of a weight-space search (None: the usable CPUs; the result
        does not depend on it up to round-off).

    Returns
    -------
    FixedPointSearch
        Sorted by loss; failed starts are counted in ``statuses``, never raised.

    Raises
    ------
    ParameterError
        Naming ``starts``, ``isotropy``, ``ansatz``, ``max_weights`` or ``workers``.

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
    workers = usable_cpus() if workers is None else workers
    if not (isinstance(workers, int) and 1 <= workers <= 1024):
        raise out_of_range("workers", workers, "an integer in [1, 1024]")
    if (precision is not None or certify or dimension is not None) and (
        isotropy is None or reduced is False
    ):
        raise ParameterError(
            "`precision`, `certify` and `dimension` work on the reduced route of `isotropy` "
            "(k = d ReLU-type models); give `isotropy`.",
            parameter="precision" if precision is not None else "certify",
        )
    if isotropy is not None and ansatz is not None:
        raise ParameterError("give either `isotropy` or `ansatz`, not both.", parameter="isotropy")
    t0 = time.perf_counter()
    if ansatz is not None:
        space = landscape(model, params, decoupled=False)
        sym = detect_symmetry(space, seed=seed)
        sub = ansatz_subspace(space, sym, str(ansatz), seed=seed)
        res = find_subspace_fixed_points(
            space, sub, starts=starts, seed=seed, progress=progress, sym=sym
        )
    elif isotropy is not None:
        res = _isotropic(
            model, params, isotropy, starts, seed, progress, reduced, precision, certify, dimension
        )
    else:
        space = landscape(model, params)
        check_weight_space(space, max_weights, model.name)
        res = _search(
            space,
            starts=starts,
            seed=seed,
            progress=progress,
            deflation=deflation,
            lattice=lattice,
            workers=workers,
        )
    settings = dict(model.settings)
    if dimension is not None:  # the model was built at a template d: report the real one
        template = str(settings.get("d"))
        settings = {k: (dimension if str(v) == template else v) for k, v in settings.items()}
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
        settings=settings,
        stats={"seconds": time.perf_counter() - t0},
    )


def _isotropic(
    model, params, isotropy, starts, seed, progress, reduced, precision, certify, dimension
):
    """The reduced ReLU route where it applies (or is asked for), else the generic one; a
    suffix ``:sgn`` (``"3,1:sgn"``) asks for the sign-twisted subgroup (generic route)."""
    twisted = isinstance(isotropy, str) and isotropy.strip().endswith(":sgn")
    if twisted:
        isotropy = isotropy.strip().removesuffix(":sgn")
        if reduced:
            raise ParameterError(
                "`isotropy` with ':sgn' has no reduced route; leave `reduced` unset.",
                parameter="isotropy",
            )
        reduced = False
    d = model.input_dimension or model.student.width
    exact = precision is not None or certify or dimension is not None
    if reduced is not False and model.student.width == d:
        kernels = compile_pair_kernels(model, params)
        try:
            res = find_isotropic_fixed_points(
                kernels,
                isotropy,
                d if dimension is None else dimension,
                starts=starts,
                seed=seed,
                progress=progress,
                precision=precision,
                precise_kernels=(
                    compile_pair_kernels(model, params, backend="mpmath")
                    if precision is not None
                    else None
                ),
            )
        except ParameterError:
            if reduced or exact:
                raise
        else:
            if certify:
                kt = arb_kernels(
                    lambda backend: compile_pair_kernels(model, params, backend=backend)
                )
                res = certify_search(kt, isotropy, d if dimension is None else dimension, res)
            return res
    elif reduced:
        raise ParameterError(
            f"`reduced` needs k = d (student width {model.student.width}, d = {d}).",
            parameter="isotropy",
        )
    space = landscape(model, params, decoupled=False)  # blocks act on all k neurons
    sym = detect_symmetry(space, seed=seed)
    sub = young_subspace(space, sym, isotropy, twisted)
    return find_subspace_fixed_points(
        space, sub, starts=starts, seed=seed, progress=progress, sym=sym
    )
