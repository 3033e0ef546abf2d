r"""Transition graphs: fixed points as nodes, gradient-flow connections from saddles as edges.

From every node of Morse index :math:`\ge1` the flow :math:`\dot x=-\nabla\mathcal L(x)` is started
at

.. math::

    x_0=R\big(x^*\pm\varepsilon\,v_j\big),\qquad \operatorname{Hess}\mathcal L(x^*)\,v_j=\lambda_jv_j,
    \quad\lambda_j<-\tau\max(1,\max_i|\lambda_i|),

for every unstable eigenvector :math:`v_j` of the (Riemannian) Hessian in weight space and both
signs (:math:`R` the retraction onto the spheres for spherical neurons, the identity otherwise). All
starts of all saddles are integrated together in one batched run
(:func:`~fixedpoints.numeric.simulate.simulate`, ``method="flow"``, ``step="per-run"``) until
:math:`\|\nabla\mathcal L\|<` ``gradient_tol`` or :math:`t=` ``t_max``: every start has its own
adaptive step and clock, so its path (and the node it reaches) is the one it has alone, whatever
other starts share the batch, and a start near a stiff minimum does not slow the others down;
for the same reason the batch can be split into interleaved chunks on ``workers`` forked
processes (:func:`~fixedpoints.numeric.parallel.map_forked`): the same end points up to
round-off (the workers' BLAS runs one thread, the calling process's may run several).
The end point is identified with a known node, else polished by Newton, classified
(:func:`~fixedpoints.numeric.fixed_points.classify_point`) and added; new saddles are followed in
the next round, until no new saddle appears.

Nodes are **symmetry orbits**: two points are the same node when their losses agree to
``loss_tol``:math:`\cdot(1+|\mathcal L|)` and their overlap signatures
(:func:`~fixedpoints.numeric.symmetry.overlap_signature`, invariant under the detected symmetry
group) agree to ``match_tol``. A signature is a necessary condition for being on the same orbit,
not a proof; it may also merge orbits related by a symmetry outside the detected group (e.g. the reflection
:math:`v_2\mapsto-v_2` of an even multi-index target).

Orbit reduction of the directions. Each orbit is followed from one representative, so the
symmetric copies of a saddle are never followed twice; at that representative every eigenvector
of the dense Hessian is followed with both signs (directions in a degenerate eigenspace are
``numpy.linalg.eigh``'s basis of it), and the end points are reduced modulo symmetry. Directions
related by the stabiliser of the saddle are *not* merged beforehand: they reach the same node and
their edges are merged (``count`` says how many starts gave the edge).

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
from fixedpoints.numeric.degenerate import null_character
from fixedpoints.numeric.fixed_points import classify_point, overlap_coordinates
from fixedpoints.numeric.newton import newton
from fixedpoints.numeric.parallel import map_forked
from fixedpoints.numeric.simulate import StopRule, simulate
from fixedpoints.numeric.symmetry import detect_symmetry, orbit, orbit_key, overlap_signature

__all__ = ["transition_graph", "unstable_directions"]


def unstable_directions(space, x, *, null_tol: float = 1e-7):
    r"""Unstable eigenpairs of the (Riemannian) Hessian at ``x``.

    Parameters
    ----------
    space : Landscape
    x : array (dimension,)
        A critical point in weight coordinates.
    null_tol : float
        An eigenvalue counts as negative when :math:`\lambda<-` ``null_tol``
        :math:`\cdot\max(1,\max|\lambda|)`.

    Returns
    -------
    eigenvalues : ndarray (n_u,)
        Ascending (most unstable first).
    vectors : ndarray (n_u, dimension)
        Unit vectors in weight coordinates (tangent to the spheres for spherical neurons).
    """
    B = space.tangent_basis(x)
    H = space.hessian(x, B)
    lam, U = np.linalg.eigh((H + H.T) / 2)
    if not np.all(np.isfinite(lam)):
        return np.zeros(0), np.zeros((0, space.dimension))
    neg = lam < -null_tol * max(1.0, float(np.abs(lam).max()))
    V = (B @ U[:, neg]).T
    return lam[neg], V / np.linalg.norm(V, axis=1, keepdims=True)


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
        :math:`\varepsilon`, the length of the initial step along each unstable eigenvector.
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

    Returns
    -------
    networkx.DiGraph
        Nodes ``0..n-1`` sorted by (loss, index) with attributes ``loss``, ``index``, ``nullity``,
        ``kind``, ``count``, ``isotropy``, ``coordinates``, ``source`` (``'search'`` or
        ``'flow'``), ``unstable_directions``, ``followed`` (starts integrated from it),
        ``unresolved`` (starts whose end was not identified), ``weights`` (the representative).
        Edges carry ``loss_drop``, ``directions`` (e.g. ``['+v1 (λ=-0.0123)', ...]``),
        ``eigenvalue`` (the most unstable λ among them), ``transit_time`` (median over the
        starts) and ``count``. Since the flow decreases the loss, the graph is acyclic.

    Raises
    ------
    ParameterError
        For a non-positive ``displacement``, ``t_max`` or ``gradient_tol``.

    Notes
    -----
    A start's end point is identified with a node when the flow stopped with
    :math:`\|\nabla\mathcal L\|<` ``gradient_tol`` and the loss and overlap signature match; otherwise it is
    polished by Newton (tolerance :math:`10^{-11}`) and matched or added. A start whose end has
    the loss of its own saddle (it stayed on the saddle's level) or whose polish fails is counted
    in ``unresolved`` and gives no edge.
    """
    if not displacement > 0:
        raise out_of_range("displacement", displacement, "> 0")
    if not gradient_tol > 0:
        raise out_of_range("gradient_tol", gradient_tol, "> 0")
    if not 1 <= int(workers) <= 1024:
        raise out_of_range("workers", workers, "an integer in [1, 1024]")
    stop = StopRule(gradient_tol=gradient_tol, t_max=t_max)
    sym = detect_symmetry(space, seed=seed)
    nodes: list[dict] = []

    def match(x, loss):
        f = overlap_signature(space, x, sym)
        key = None
        for i, n in enumerate(nodes):
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
        nodes.append(_node(space, sym, x, p, null_tol))
    queue = [i for i, n in enumerate(nodes) if len(n["lam"])]  # saddles, falling degenerate
    edges: dict = {}
    for _ in range(max_rounds):
        if not queue:
            break
        starts, origin = [], []
        for i in queue:
            n = nodes[i]
            for j, (lam, v, r) in enumerate(zip(n["lam"], n["vec"], n["radii"], strict=True)):
                for sign in (1.0, -1.0):
                    starts.append(space.retract(n["x"] + sign * max(displacement, r) * v))
                    origin.append((i, f"{'+' if sign > 0 else '-'}v{j + 1}", float(lam)))
            n["followed"] += 2 * len(n["lam"])
        queue = []
        if not starts:
            break
        ends, times, status = _integrate(space, np.array(starts), stop, progress, int(workers))
        for x_end, t_end, st, (i, label, lam) in zip(ends, times, status, origin, strict=True):
            j = _identify(space, sym, nodes, match, x_end, st, null_tol, queue)
            src = nodes[i]
            if j is None or j == i or nodes[j]["loss"] >= src["loss"]:
                src["unresolved"] += 1
                continue
            e = edges.setdefault((i, j), {"directions": [], "times": [], "eigenvalue": lam})
            e["directions"].append(f"{label} (λ={lam:.6g})")
            e["times"].append(float(t_end))
            e["eigenvalue"] = min(e["eigenvalue"], lam)
    return _assemble(nodes, edges)


def _directions(space, x, null_tol, kind: str, index: int):
    """The directions followed from a node: its unstable eigenvectors, and for a degenerate
    point with none whose loss falls along null directions (a maximum or saddle by higher-order
    terms, :func:`~fixedpoints.numeric.degenerate.null_character`) those falling directions
    (eigenvalue 0)."""
    lam, vec = unstable_directions(space, x, null_tol=null_tol)
    radii = np.zeros(len(lam))  # 0: the graph's displacement
    if index == 0 and kind in ("maximum", "saddle"):
        B = space.tangent_basis(x)
        mu, U = np.linalg.eigh(space.hessian(x, B))
        null = np.abs(mu) <= null_tol * max(1.0, float(np.abs(mu).max()))
        ch = null_character(space, x, B @ U[:, null])
        if len(ch.descent):
            lam = np.concatenate([lam, np.zeros(len(ch.descent))])
            vec = np.concatenate([vec.reshape(-1, space.dimension), ch.descent])
            radii = np.concatenate([radii, ch.radii])
    return lam, vec, radii


def _node(space, sym, x, p, null_tol) -> dict:
    lam, vec, radii = _directions(space, x, null_tol, p.kind, int(p.index))
    return {
        "x": x,
        "fp": overlap_signature(space, x, sym),
        "loss": float(p.loss),
        "index": int(p.index),
        "nullity": int(p.nullity),
        "kind": p.kind,
        "count": int(p.count),
        "isotropy": str(p.isotropy),
        "coordinates": {k: float(v) for k, v in p.coordinates.items()},
        "source": "search",
        "lam": lam,
        "vec": vec,
        "radii": radii,
        "followed": 0,
        "unresolved": 0,
    }


def _integrate(space, X0, stop, progress, workers=1):
    """End points, stop times and statuses of the flows from the rows of ``X0``: one batched run,
    or interleaved chunks of it on ``workers`` processes (the same ends: per-run steps)."""
    n = X0.shape[0]
    if workers > 1 and n >= 2 * workers:
        C = min(n, 4 * workers)  # interleaved chunks: each a sample of every saddle's starts
        chunks = [np.arange(i, n, C) for i in range(C)]

        def run(idx):
            return _integrate(space, X0[idx], stop, None)

        def counted(done, total):  # finished chunks as (about) finished starts
            progress(min(n, round(done * n / total)), n)

        if progress is not None:
            progress(0, n)  # the flows start now
        parts = map_forked(run, chunks, workers, progress=None if progress is None else counted)
        ends, times = np.empty_like(X0), np.empty(n)
        status = np.empty(n, dtype=object)
        for idx, (e, t, st) in zip(chunks, parts, strict=True):
            ends[idx], times[idx] = e, t
            status[idx] = list(st)
        return ends, times, list(status)
    W0, a0 = space.unpack(X0)
    total = X0.shape[0]
    hook = None
    if progress is not None:

        def hook(t, active):
            progress(total - active, total)

    sim = simulate(
        space.population,
        np.ascontiguousarray(W0),
        None if a0 is None else np.ascontiguousarray(a0),
        method="flow",
        stop=stop,
        records=2,
        step="per-run",
        progress=hook,
    )
    ends = space.pack(sim.W, sim.a)
    return ends, sim.stop_times, sim.status


def _identify(space, sym, nodes, match, x, status, null_tol, queue):
    """Index of the node the flow ended at (a new node is added, and queued if a saddle)."""
    if not np.all(np.isfinite(x)):
        return None
    if status == "converged":
        j = match(x, float(space.loss(x)))
        if j is not None:
            return j
    r = newton(space, x, tol=1e-11)
    if r.status != "converged" or np.linalg.norm(r.x - x) > 1e-2 * max(1.0, np.linalg.norm(x)):
        return None
    x = r.x
    loss = float(space.loss(x))
    j = match(x, loss)
    if j is not None:
        return j
    c = classify_point(space, x, sym, null_tol=null_tol)
    Q, M, a = space.overlaps(x)
    o = orbit(Q, M, a if space.trainable else None, sym)
    lam, vec, radii = _directions(space, x, null_tol, c.kind, c.index)
    nodes.append(
        {
            "x": x,
            "fp": overlap_signature(space, x, sym),
            "loss": loss,
            "index": c.index,
            "nullity": c.nullity,
            "kind": c.kind,
            "count": int(o.size),
            "isotropy": o.isotropy,
            "coordinates": overlap_coordinates(space, x),
            "source": "flow",
            "lam": lam,
            "vec": vec,
            "radii": radii,
            "followed": 0,
            "unresolved": 0,
        }
    )
    if lam.size:
        queue.append(len(nodes) - 1)
    return len(nodes) - 1


def _assemble(nodes, edges) -> nx.DiGraph:
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
            unresolved=n["unresolved"],
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
            count=len(e["directions"]),
        )
    G.graph["orbit_reduction"] = (
        "one representative per node orbit; every Hessian eigenvector, both signs; end points "
        "identified modulo symmetry"
    )
    return G
