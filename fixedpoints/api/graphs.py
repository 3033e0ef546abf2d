"""Transition graphs and saddle-to-saddle dynamics of a model.

:func:`transition_graph` composes the fixed-point search (:mod:`fixedpoints.api.search`), the
landscape and :func:`fixedpoints.graphs.transition_graph` (flows from every saddle along its
unstable directions); :func:`saddle_to_saddle` the model's kernels and teacher with the plateau
predictors of :mod:`fixedpoints.numeric.saddle_to_saddle`; :func:`ncf_kkt_points` the residual
NCF (:mod:`fixedpoints.numeric.ncf`).
"""

from __future__ import annotations

import time

import networkx as nx

from fixedpoints.api.landscapes import landscape, model_teacher_vectors
from fixedpoints.api.search import MAX_WEIGHTS, find_fixed_points
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ModelError, out_of_range
from fixedpoints.graphs import summary
from fixedpoints.graphs import transition_graph as _graph
from fixedpoints.graphs.transition import check_flow_options
from fixedpoints.numeric.ncf import ResidualNCF, kkt_points
from fixedpoints.numeric.parallel import usable_cpus
from fixedpoints.numeric.saddle_to_saddle import linear_saddle_to_saddle
from fixedpoints.numeric.saddle_to_saddle import saddle_to_saddle as _plateaus
from fixedpoints.numeric.symmetry import young_isotropy
from fixedpoints.results import SaddleSequence, TransitionGraph

__all__ = ["ncf_kkt_points", "saddle_to_saddle", "transition_graph"]


def transition_graph(
    model,
    params=None,
    *,
    isotropy=None,
    starts: int = 200,
    seed: int = 0,
    displacement: float = 1e-3,
    t_max: float = 1e4,
    search_progress=None,
    progress=None,
    max_weights: int | None = MAX_WEIGHTS,
    workers: int | None = 1,
    directions: str = "symmetric",
    confine: bool = False,
    rtol: float = 1e-4,
) -> TransitionGraph:
    """The transition graph of ``model``: its fixed points (weight-space search, or seeded from
    the fixed-point subspace ``isotropy``) as nodes, gradient flows from every saddle along its
    unstable eigenspaces (both signs, from ``displacement``, up to ``t_max``) as edges; the flows
    on ``workers`` processes (None: the usable CPUs; the graph does not depend on their
    number up to round-off). ``directions="symmetric"`` leaves each eigenspace along its
    projected coordinate axes, one flow per orbit of the saddle's stabiliser,
    ``"eigenvectors"`` along LAPACK's eigenvectors; ``confine`` keeps each symmetric start's
    flow on the fixed space of its stabiliser; ``rtol`` is the flows' relative tolerance
    (:func:`fixedpoints.graphs.transition_graph`).

    Returns
    -------
    TransitionGraph
        The frozen graph, its node-link data and summary (sinks, basins, gatekeepers, the longest
        monotone path).

    Raises
    ------
    ParameterError
        Naming ``displacement``, ``t_max``, ``starts``, ``isotropy``, ``workers``,
        ``directions``, ``confine``, ``rtol`` or ``max_weights`` (the search's limit,
        :func:`~fixedpoints.api.search.check_weight_space`).
    """
    if not 0 < displacement < 1:
        raise out_of_range("displacement", displacement, "in (0, 1)")
    if not t_max > 0:
        raise out_of_range("t_max", t_max, "> 0")
    check_flow_options(directions, confine, rtol)  # before the search
    workers = usable_cpus() if workers is None else workers
    if not 1 <= workers <= 1024:
        raise out_of_range("workers", workers, "an integer in [1, 1024]")
    t0 = time.perf_counter()
    search = find_fixed_points(
        model,
        params,
        starts=starts,
        seed=seed,
        isotropy=isotropy,
        progress=search_progress,
        max_weights=max_weights,
        workers=workers,
    )
    space = landscape(model, params)
    embed = None
    if isotropy is not None:
        iso = young_isotropy(isotropy, space.d)

        def embed(xi):
            return iso.weights(xi).ravel()

    G = _graph(
        space,
        search.points,
        embed=embed,
        displacement=displacement,
        t_max=t_max,
        seed=seed,
        progress=progress,
        workers=workers,
        directions=directions,
        confine=confine,
        rtol=rtol,
    )
    G = nx.freeze(G)
    return TransitionGraph(
        graph=G,
        data=nx.node_link_data(G, edges="edges"),
        summary=summary(G),
        space=search.space,
        model=model.name,
        settings=dict(model.settings),
        stats={"seconds": time.perf_counter() - t0},
    )


def saddle_to_saddle(
    model, *, seed: int = 0, starts: int = 24, max_plateaus: int = 20, progress=None
) -> SaddleSequence:
    """The small-initialization (δ → 0) plateau sequence of ``model``, times in units of
    ln(1/δ): the SVD closed form for linear networks, the population-NCF predictor with carried
    gains otherwise.

    Raises
    ------
    ModelError
        A fixed second layer (the network must be two-homogeneous).
    ParameterError
        Naming ``starts`` or ``max_plateaus``.

    Examples
    --------
    >>> import fixedpoints as fp
    >>> seq = fp.saddle_to_saddle(fp.load_model("linear-two-layer", {"singular_values": "3,1"}))
    >>> [p.loss for p in seq.plateaus], [round(p.time, 6) for p in seq.plateaus]
    ([5.0, 0.5, 0.0], [0.0, 0.333333, 1.0])
    """
    if not 1 <= starts <= 10_000:
        raise out_of_range("starts", starts, "an integer in [1, 10000]")
    if not 1 <= max_plateaus <= 1000:
        raise out_of_range("max_plateaus", max_plateaus, "an integer in [1, 1000]")
    kernels = compile_pair_kernels(model)
    if kernels.a is not None:
        raise ModelError(
            "saddle-to-saddle needs a trainable second layer (`student.second_layer = trainable`)"
        )
    V = model_teacher_vectors(model, kernels.T)
    width = model.student.width
    linear = all(
        act.strip() == "linear" for act in (model.student.activation, model.teacher.activation)
    )
    if linear:
        seq = linear_saddle_to_saddle(kernels, V, width=width)
    else:
        seq = _plateaus(
            kernels,
            V,
            width=width,
            seed=seed,
            starts=starts,
            max_plateaus=max_plateaus,
            progress=progress,
        )
    return SaddleSequence(
        plateaus=seq.plateaus,
        method=seq.method,
        notes=seq.notes,
        model=model.name,
        settings=dict(model.settings),
    )


def ncf_kkt_points(model, W=None, a=None, *, starts: int = 24, roots: int = 24, seed: int = 0):
    """The KKT points of the residual neural correlation function of ``model`` at the network
    with active neurons ``(W, a)`` (default: the origin) on the unit sphere, sorted by decreasing
    value (:func:`fixedpoints.numeric.ncf.kkt_points`); in the coordinates of the teacher vectors
    that :func:`~fixedpoints.simulate` uses.

    Returns
    -------
    list of KKTPoint
    """
    kernels = compile_pair_kernels(model)
    ncf = ResidualNCF(kernels, model_teacher_vectors(model, kernels.T), W, a)
    return kkt_points(ncf, starts=starts, roots=roots, seed=seed)
