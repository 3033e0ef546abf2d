r"""Transition graphs: fixed points as nodes, gradient-flow connections from saddles as edges.

From every node of Morse index :math:`\ge1` the flow :math:`\dot x=-\nabla\mathcal L(x)` is started
at

.. math::

    x_0=R\big(x^*+\varepsilon\,u\big),\qquad u\in E_\lambda=\ker\big(\operatorname{Hess}
    \mathcal L(x^*)-\lambda\big),\quad\lambda<-\tau\max(1,\max_i|\lambda_i|),

along every unstable eigenspace of the (Riemannian) Hessian in weight space (:math:`R` the
retraction onto the spheres for spherical neurons, the identity otherwise). With
``directions="symmetric"`` (default) the directions u of an eigenspace are its **projected
coordinate axes** :math:`\pm P_Ee_c/\|P_Ee_c\|`, and of each orbit of the saddle's stabiliser
:math:`G_x` only one is integrated (:func:`~fixedpoints.numeric.symmetry.symmetric_directions`):
the flow from :math:`x^*+\varepsilon R_gu` is :math:`R_g` of the flow from :math:`x^*+\varepsilon u`,
so it reaches the same node after the same time, and the edge counts every start of the orbit.
The projected axes span E, do not depend on the basis LAPACK returns, and each lies in a
fixed-point subspace of a large subgroup (the axial directions of the equivariant branching
lemma), so its flow stays in that subspace and can end at a saddle of lower symmetry rather
than pass it. Where they would give more orbits than 2 dim E (a small stabiliser) the
eigenvectors are used. ``directions="eigenvectors"`` follows every eigenvector of the dense
Hessian with both signs (``numpy.linalg.eigh``'s basis of a degenerate eigenspace).

All starts of all saddles are integrated together in one batched run
(:func:`~fixedpoints.numeric.simulate.simulate`, ``method="flow"``, ``step="per-run"``) until
:math:`\|\nabla\mathcal L\|<` ``gradient_tol`` or :math:`t=` ``t_max``: every start has its own
adaptive step and clock, so its path (and the node it reaches) is the one it has alone, whatever
other starts share the batch, and a start near a stiff minimum does not slow the others down;
for the same reason the batch can be split into interleaved chunks on ``workers`` forked
processes (:func:`~fixedpoints.numeric.parallel.map_forked`): the same end points up to
round-off (the workers' BLAS runs one thread, the calling process's may run several).
The end point is identified with a known node, else polished by Newton, classified
(:func:`~fixedpoints.numeric.fixed_points.classify_point`) and added; new saddles are followed in
the next round, until no new saddle appears. The workers that integrated a share also match its
ends with the nodes known before the round and polish the others
(:mod:`~fixedpoints.graphs.ends`); the calling process finishes in order with the nodes added
since, so the graph is that of identifying the ends one by one.

Nodes are **symmetry orbits**: two points are the same node when their losses agree to
``loss_tol``:math:`\cdot(1+|\mathcal L|)` and their overlap signatures
(:func:`~fixedpoints.numeric.symmetry.overlap_signature`, invariant under the detected symmetry
group) agree to ``match_tol``. A signature is a necessary condition for being on the same orbit,
not a proof; it may also merge orbits related by a symmetry outside the detected group (e.g. the reflection
:math:`v_2\mapsto-v_2` of an even multi-index target).

Orbit reduction. Each node orbit is followed from one representative, so the symmetric copies
of a saddle are never followed twice; the starts out of it are reduced modulo its stabiliser
(above; exact in exact arithmetic). A start on a fixed-point subspace that passes close to a
saddle unstable across that subspace leaves it only by amplified round-off: then its transit
time, and for degenerate eigenspaces possibly the node it reaches, is decided by round-off,
for the representative as for any of its copies.

References
----------
.. [1] Arjevani, Y. (2024). Hidden minima in two-layer ReLU networks.
.. [2] Şimşek, B., Bendjeddou, A., Hsu, D. (2025). Learning Gaussian multi-index models with
   gradient flow: time complexity and directional convergence.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.graphs.ends import identify, node_record, settle_end
from fixedpoints.graphs.starts import escape_radius, saddle_starts, unstable_directions
from fixedpoints.numeric.parallel import map_forked, report
from fixedpoints.numeric.simulate import StopRule, simulate
from fixedpoints.numeric.symmetry import (
    detect_symmetry,
    orbit_key,
    overlap_signature,
    project_classes,
)

__all__ = ["DIRECTIONS", "check_flow_options", "transition_graph", "unstable_directions"]

#: the direction sets a saddle is left along (``transition_graph(directions=...)``)
DIRECTIONS = ("symmetric", "eigenvectors")


def check_flow_options(directions: str, confine: bool, rtol: float) -> None:
    """Raise a :class:`~fixedpoints.errors.ParameterError` naming ``rtol`` (outside (0, 1)),
    ``directions`` (not one of :data:`DIRECTIONS`) or ``confine`` (True without
    ``directions="symmetric"``)."""
    if not 0 < rtol < 1:
        raise out_of_range("rtol", rtol, "in (0, 1)")
    if directions not in DIRECTIONS:
        raise out_of_range("directions", directions, " or ".join(DIRECTIONS))
    if confine and directions != "symmetric":
        raise out_of_range("confine", confine, "False with directions='eigenvectors'")


def transition_graph(
    space,
    points,
    *,
    embed=None,
    displacement: float = 1e-3,
    t_max: float = 1e4,
    gradient_tol: float = 1e-6,
    loss_tol: float = 1e-6,
    match_tol: float = 1e-3,
    null_tol: float = 1e-7,
    max_rounds: int = 10,
    seed: int = 0,
    progress=None,
    workers: int = 1,
    directions: str = "symmetric",
    confine: bool = False,
    rtol: float = 1e-4,
) -> nx.DiGraph:
    r"""The transition graph of ``space`` seeded with the classified fixed ``points``.

    Parameters
    ----------
    space : Landscape
    points : sequence of FixedPoint
        Classified fixed points (one per orbit), e.g. ``find_fixed_points(...).points``.
    embed : callable, optional
        Maps ``point.x`` to weight coordinates of ``space`` (needed when the points were found in a
        subspace, e.g. ``lambda xi: iso.weights(xi).ravel()`` for an isotropy search).
    displacement : float
        :math:`\varepsilon`, the length of the initial step along each unstable eigenvector, or
        :func:`~fixedpoints.graphs.starts.escape_radius` where that is longer (a weakly unstable
        direction: the start's gradient at least twice ``gradient_tol``, its linearised escape
        within half of ``t_max``; relu-teacher d = 10: the 29 starts from the saddles with
        :math:`|\lambda|<2\cdot10^{-3}` that ended unresolved now reach minima).
    t_max, gradient_tol : float
        Stop rule of the flow (per start).
    loss_tol, match_tol : float
        Identification tolerances (relative loss, absolute overlap signature).
    null_tol : float
        Relative tolerance of a negative eigenvalue (see :func:`unstable_directions`).
    max_rounds : int
        Rounds of following newly found saddles.
    progress : callable, optional
        ``progress(done, total)`` with the finished starts of the current round.
    workers : int
        Processes integrating the starts (:func:`~fixedpoints.numeric.parallel.map_forked`); the
        graph does not depend on it up to round-off (every start has its own step control).
    directions : {"symmetric", "eigenvectors"}
        ``"symmetric"``: in each unstable eigenspace the projected coordinate axes, both signs,
        one flow per orbit of the saddle's stabiliser
        (:func:`~fixedpoints.numeric.symmetry.symmetric_directions`);
        ``"eigenvectors"``: LAPACK's eigenvectors, both signs, every one integrated.
    confine : bool
        With ``directions="symmetric"``: keep each flow on the fixed space of its start's
        stabiliser (:func:`~fixedpoints.numeric.symmetry.fixed_space_classes`, projected after
        every step), so that round-off cannot carry it off: the exact connections inside
        fixed-point subspaces, ending at the saddles of lower symmetry that unconfined flows
        pass close by (more nodes, more rounds). Where the stabiliser does not act by signed
        permutations of the weights the flow is not confined.
    rtol : float
        Relative tolerance of the flows' step control (absolute tolerance
        :math:`\min(10^{-9},10^{-3}\,\mathrm{rtol})`: the stop test
        :math:`\|\nabla\mathcal L\|<` ``gradient_tol`` needs the state resolved below it, else
        the transit times come out wrong). A start is an arbitrary point at distance
        ``displacement`` along its direction, and the integration error keeps the start's
        symmetry (the step is equivariant), so a flow needs to reach the right basin, not a
        precise path: the default :math:`10^{-4}` gives the sinks of :math:`10^{-7}` in far
        fewer steps; the saddles reached only by flows that pass within round-off of another
        saddle vary with it (Notes).

    Returns
    -------
    networkx.DiGraph
        Nodes ``0..n-1`` sorted by (loss, index) with attributes ``loss``, ``index``, ``nullity``,
        ``kind``, ``count``, ``isotropy``, ``coordinates``, ``source`` (``'search'`` or
        ``'flow'``), ``unstable_directions``, ``followed`` (starts integrated from it),
        ``unresolved`` (starts whose end was not identified), ``unresolved_at_t_max`` (those of
        them still moving at ``t_max``: a longer one may resolve them), ``flows`` (flows
        integrated: one per stabiliser orbit of starts), ``weights`` (the representative).
        Edges carry ``loss_drop``, ``directions`` (the integrated starts, e.g.
        ``['+v1 (λ=-0.0123)', '+v2:4[w3,1] ×6 (λ=-0.01)', ...]``: eigenvector 1, or the axis of
        weight :math:`W_{31}` projected onto the span of eigenvectors 2–4, standing for an orbit
        of 6 starts), ``eigenvalue`` (the most unstable λ among them), ``transit_time`` (median
        over the starts) and ``count`` (starts, symmetric copies included). Since the flow
        decreases the loss, the graph is acyclic.

    Raises
    ------
    ParameterError
        For a non-positive ``displacement``, ``t_max`` or ``gradient_tol``, or ``rtol`` outside
        (0, 1).

    Notes
    -----
    A start's end point is identified with a node when the flow stopped with
    :math:`\|\nabla\mathcal L\|<` ``gradient_tol`` and the loss and overlap signature match; otherwise it is
    polished by Newton (tolerance :math:`10^{-11}`) and matched or added. The polish may move the
    end by :math:`10^{-2}\max(1,\|x\|)`, or farther where the loss is convex at the end and the
    polished point is a minimum below it: the minimum a flow still sliding down a flat basin at
    ``t_max`` goes to (soft committee k = m = 6: 0.28 from its minimum, whose smallest Hessian
    eigenvalue is :math:`10^{-5}`). A start whose end has the loss of its own saddle (it stayed on
    the saddle's level) or whose polish fails is counted in ``unresolved`` and gives no edge.

    Tolerance. relu-teacher d = 10 (weight-space search): ``rtol`` :math:`10^{-3}`,
    :math:`10^{-4}`, :math:`10^{-5}`, :math:`10^{-6}`, :math:`10^{-7}` give the same nine sinks
    and 71, 69, 74, 73, 77 nodes (no start unresolved), each node set inside that of
    :math:`10^{-7}`: the saddles that differ (losses 0.054–0.093) are reached by flows passing
    close to saddles unstable across their fixed-point subspace, where round-off and tolerance
    decide. Transit times at
    :math:`10^{-4}` agree with :math:`10^{-8}` to 0.5% on the He4 landscape.
    """
    if not displacement > 0:
        raise out_of_range("displacement", displacement, "> 0")
    if not gradient_tol > 0:
        raise out_of_range("gradient_tol", gradient_tol, "> 0")
    if not 1 <= int(workers) <= 1024:
        raise out_of_range("workers", workers, "an integer in [1, 1024]")
    check_flow_options(directions, confine, rtol)
    stop = StopRule(gradient_tol=gradient_tol, t_max=t_max)
    sym = detect_symmetry(space, seed=seed)
    nodes: list[dict] = []

    def match(x, loss, start=0):
        """The first node from ``start`` on whose orbit holds ``x`` (None: none)."""
        f = overlap_signature(space, x, sym)
        key = None
        for i, n in enumerate(nodes[start:], start):
            if abs(n["loss"] - loss) <= loss_tol * (1 + abs(loss)) and (
                n["fp"].shape == f.shape and np.max(np.abs(n["fp"] - f)) <= match_tol
            ):
                # the signature is necessary; one orbit of the full group decides
                key = orbit_key(space, x, sym, tol=match_tol) if key is None else key
                if "orbit" not in n:  # each node's orbit, once
                    n["orbit"] = orbit_key(space, n["x"], sym, tol=match_tol)
                if n["orbit"].same(key):
                    return i
        return None

    for p in points:
        x = np.asarray(embed(p.x) if embed is not None else p.x, dtype=float).ravel()
        if match(x, p.loss) is not None:
            continue
        nodes.append(_node(space, sym, x, p, null_tol, directions, confine))
    queue = [i for i, n in enumerate(nodes) if n["starts"]]  # saddles, falling degenerate

    def settle(x, st, fixed_i):  # in the worker: against the nodes known when it was forked
        return settle_end(space, match, x, st, fixed_i)

    edges: dict = {}
    for _ in range(max_rounds):
        if not queue:
            break
        starts, origin = [], []
        for i in queue:
            n = nodes[i]
            for st in n["starts"]:
                r = max(displacement, st.radius, escape_radius(st.eigenvalue, gradient_tol, t_max))
                x0 = space.retract(n["x"] + r * st.vector)
                if st.fixed is not None:
                    x0 = project_classes(x0[None, :], *(c[None, :] for c in st.fixed))[0]
                starts.append(x0)
                origin.append((i, st))
                n["followed"] += st.weight
                n["flows"] += 1
        queue = []
        if not starts:
            break
        fixed = [st.fixed for _, st in origin]
        old = len(nodes)  # the nodes the workers know: the settled ends are matched with them
        ends, times, status, settled = _integrate(
            space, np.array(starts), stop, progress, int(workers), fixed, rtol, settle
        )
        for t_end, st, done, (i, start) in zip(times, status, settled, origin, strict=True):
            j = identify(space, sym, nodes, match, done, old, null_tol, queue, directions, start)
            src = nodes[i]
            if j is None or j == i or nodes[j]["loss"] >= src["loss"]:
                src["unresolved"] += start.weight
                if st == "max-time":  # still moving: a longer t_max may resolve it
                    src["unresolved_at_t_max"] += start.weight
                continue
            lam = start.eigenvalue
            e = edges.setdefault((i, j), {"directions": [], "times": [], "eigenvalue": lam})
            copies = f" ×{start.weight}" if start.weight > 1 else ""
            e["directions"].append(f"{start.label}{copies} (λ={lam:.6g})")
            e["times"] += [float(t_end)] * start.weight
            e["eigenvalue"] = min(e["eigenvalue"], lam)
    return _assemble(nodes, edges, directions, confine)


def _node(space, sym, x, p, null_tol, mode, confine) -> dict:
    lam, starts = saddle_starts(space, sym, x, null_tol, p.kind, int(p.index), mode, confine)
    return node_record(
        space, sym, x, p.loss, p.index, p.nullity, p.kind, p.count, p.isotropy, p.coordinates,
        "search", lam, starts,
    )  # fmt: skip


def _integrate(space, X0, stop, progress, workers=1, fixed=None, rtol=1e-4, settle=None):
    """End points, stop times, statuses and ``settle(end, status, fixed[i])`` (None without
    ``settle``) of the flows from the rows of ``X0``: one batched run, or one interleaved share
    of it per process on ``workers`` processes, each settling its own ends (the same ends:
    per-run steps; one share each rather than more, smaller ones: a batched step costs little
    more for more runs, so measured on the d = 10 ReLU rounds two shares on two workers beat
    eight by 1.3–2.2 times); a row with ``fixed[i]`` (signed coordinate classes) is kept on that
    fixed space."""
    n = X0.shape[0]
    fixed = [None] * n if fixed is None else list(fixed)
    if workers > 1 and n >= 2:
        C = min(n, workers)  # interleaved shares: each a sample of every saddle's starts
        chunks = [np.arange(i, n, C) for i in range(C)]

        def run(idx):
            done = [0]

            def finished(k, total):  # this share's finished runs, to the parent's bar
                report(k - done[0])
                done[0] = k

            share = [fixed[i] for i in idx]
            return _integrate(space, X0[idx], stop, finished, 1, share, rtol, settle)

        if progress is not None:
            progress(0, n)  # the flows start now
        parts = map_forked(run, chunks, workers, progress=progress, units=n)
        ends, times = np.empty_like(X0), np.empty(n)
        status, settled = np.empty(n, dtype=object), [None] * n
        for idx, (e, t, st, se) in zip(chunks, parts, strict=True):
            ends[idx], times[idx] = e, t
            status[idx] = list(st)
            for i, v in zip(idx, se, strict=True):
                settled[i] = v
        return ends, times, list(status), settled
    W0, a0 = space.unpack(X0)
    total = X0.shape[0]
    hook = None
    if progress is not None:

        def hook(t, active):
            progress(total - active, total)

    project = None
    if any(f is not None for f in fixed):
        dim = X0.shape[1]
        L = np.array([np.arange(dim) if f is None else f[0] for f in fixed])
        S = np.array([np.ones(dim) if f is None else f[1] for f in fixed])

        def project(X, ids):
            return project_classes(X, L[ids], S[ids])

    sim = simulate(
        space.population,
        np.ascontiguousarray(W0),
        None if a0 is None else np.ascontiguousarray(a0),
        method="flow",
        stop=stop,
        records=2,
        step="per-run",
        progress=hook,
        project=project,
        rtol=rtol,
        atol=min(1e-9, 1e-3 * rtol),
    )
    ends = space.pack(sim.W, sim.a)
    settled = [None] * n
    if settle is not None:
        settled = [settle(x, st, f) for x, st, f in zip(ends, sim.status, fixed, strict=True)]
    return ends, sim.stop_times, sim.status, settled


def _assemble(nodes, edges, mode, confine) -> nx.DiGraph:
    order = sorted(range(len(nodes)), key=lambda i: (nodes[i]["loss"], nodes[i]["index"], i))
    new = {old: pos for pos, old in enumerate(order)}
    G = nx.DiGraph()
    for old in order:
        n = nodes[old]
        G.add_node(
            new[old],
            loss=n["loss"],
            index=n["index"],
            nullity=n["nullity"],
            kind=n["kind"],
            count=n["count"],
            isotropy=n["isotropy"],
            coordinates=n["coordinates"],
            source=n["source"],
            unstable_directions=len(n["lam"]),
            eigenvalues=[float(v) for v in n["lam"]],
            followed=n["followed"],
            flows=n["flows"],
            unresolved=n["unresolved"],
            unresolved_at_t_max=n["unresolved_at_t_max"],
            weights=[float(v) for v in n["x"]],
        )
    for (i, j), e in sorted(edges.items(), key=lambda kv: (new[kv[0][0]], new[kv[0][1]])):
        G.add_edge(
            new[i],
            new[j],
            loss_drop=nodes[i]["loss"] - nodes[j]["loss"],
            directions=e["directions"],
            eigenvalue=e["eigenvalue"],
            transit_time=float(np.median(e["times"])),
            count=len(e["times"]),
        )
    G.graph["orbit_reduction"] = (
        "one representative per node orbit; "
        + (
            "in each unstable eigenspace the projected coordinate axes, both signs, one flow per "
            "orbit of the saddle's stabiliser; "
            if mode == "symmetric"
            else "every Hessian eigenvector, both signs; "
        )
        + "end points identified modulo symmetry"
    )
    G.graph["directions"] = mode
    G.graph["confined"] = bool(confine)
    return G
