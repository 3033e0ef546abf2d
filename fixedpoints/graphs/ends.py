r"""Identification of a transition flow's end point with a node of the graph
(:func:`fixedpoints.graphs.transition_graph`), in two steps so that the first runs where the
flow ran (a worker process): :func:`settle_end` decides what the nodes known before the round
decide (a known node, or the end polished by Newton), :func:`identify` finishes in the order of
a one-by-one identification with the nodes added since (a node already added, or a new one).
The result is that of identifying the ends one by one: the first node, in order, whose orbit
holds the end."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fixedpoints.graphs.starts import saddle_starts
from fixedpoints.numeric.fixed_points import classify_point, overlap_coordinates
from fixedpoints.numeric.newton import newton
from fixedpoints.numeric.symmetry import FixedSubspace, classes_basis, orbit, overlap_signature

__all__ = ["Settled", "identify", "node_record", "settle_end"]


class Settled(NamedTuple):
    """A flow end as far as the nodes known before its round decide it (:func:`settle_end`):
    ``node`` the index they give (final), or the end ``x`` (``loss`` where it ``converged``) and
    its polished point ``polished`` (None: the polish failed) with ``polished_loss`` and the
    known node it matches, ``polished_node`` (None: none)."""

    node: int | None
    final: bool
    x: np.ndarray | None = None
    loss: float | None = None
    converged: bool = False
    polished: np.ndarray | None = None
    polished_loss: float | None = None
    polished_node: int | None = None


def settle_end(space, match, x, status, fixed) -> Settled:
    """The first steps of :func:`identify` that only need the nodes known before the round
    (``match``'s): run where the flow ran, on the workers. A non-finite end is unresolved, a
    converged one that a known node matches is that node; the others are polished (a confined
    flow's end inside its fixed space ``fixed``, where symmetric criticality makes a critical
    point of the restriction one of the landscape) and matched with the known nodes."""
    if not np.all(np.isfinite(x)):
        return Settled(None, True)
    converged, loss = status == "converged", None
    if converged:
        loss = float(space.loss(x))
        j = match(x, loss)
        if j is not None:
            return Settled(j, True)
    if fixed is not None:
        sub = FixedSubspace(space, classes_basis(*fixed))
        r = newton(sub, sub.coordinates(x), tol=1e-11)
        polished = sub.embed(r.x)
    else:
        r = newton(space, x, tol=1e-11)
        polished = r.x
    if r.status != "converged":
        return Settled(None, False, x, loss, converged)
    p_loss = float(space.loss(polished))
    near = np.linalg.norm(polished - x) <= 1e-2 * max(1.0, np.linalg.norm(x))
    if not near and (fixed is not None or not _basin_minimum(space, x, polished, p_loss)):
        return Settled(None, False, x, loss, converged)
    return Settled(None, False, x, loss, converged, polished, p_loss, match(polished, p_loss))


def _basin_minimum(space, x, polished, p_loss, tol: float = 1e-7) -> bool:
    """Whether a Newton point ``polished`` far from the flow end ``x`` is the minimum the flow
    was still sliding to: the loss is convex at ``x`` (positive definite Hessian), ``polished``
    lies below it and is a minimum (no Hessian eigenvalue below ``-tol`` times the largest).
    A flow in a flat basin (soft committee k = m = 6: smallest eigenvalue 1e-5 at the minimum)
    ends at ``t_max`` farther from its minimum than the polish may move otherwise."""
    loss = float(space.loss(x))
    if not p_loss <= loss + 1e-12 * (1.0 + abs(loss)):
        return False
    at_end, at_min = (
        np.linalg.eigvalsh(space.hessian(p, space.tangent_basis(p))) for p in (x, polished)
    )
    if not (np.all(np.isfinite(at_end)) and np.all(np.isfinite(at_min))):
        return False
    return at_end.min() > 0 and at_min.min() >= -tol * max(1.0, float(np.abs(at_min).max()))


def identify(space, sym, nodes, match, done, old, null_tol, queue, mode, start):
    """Index of the node a flow ended at, in the order of a one-by-one identification: the
    settled end ``done`` (:func:`settle_end`, against the first ``old`` nodes), then the nodes added
    since (``match`` from ``old`` on); an unmatched polished end is a new node (queued if a
    saddle)."""
    if done.final:
        return done.node
    if done.converged:
        j = match(done.x, done.loss, old)
        if j is not None:
            return j
    if done.polished is None:
        return None
    if done.polished_node is not None:
        return done.polished_node
    x, loss = done.polished, done.polished_loss
    j = match(x, loss, old)
    if j is not None:
        return j
    c = classify_point(space, x, sym, null_tol=null_tol)
    Q, M, a = space.overlaps(x)
    o = orbit(Q, M, a if space.trainable else None, sym)
    confine = start.fixed is not None
    lam, starts = saddle_starts(space, sym, x, null_tol, c.kind, c.index, mode, confine, o)
    count, iso, coords = int(o.size), o.isotropy, overlap_coordinates(space, x)
    nodes.append(
        node_record(
            space, sym, x, loss, c.index, c.nullity, c.kind, count, iso, coords, "flow", lam, starts
        )
    )
    if starts:
        queue.append(len(nodes) - 1)
    return len(nodes) - 1


def node_record(
    space, sym, x, loss, index, nullity, kind, count, isotropy, coordinates, source, lam, starts
) -> dict:
    """A node of the graph under construction: its point ``x`` and overlap signature, its
    classification, where it was found (``source``: ``"search"`` or ``"flow"``), its unstable
    eigenvalues ``lam`` and ``starts`` (:func:`~fixedpoints.graphs.starts.saddle_starts`), and
    the counters of the flows followed from it."""
    return {
        "x": x,
        "fp": overlap_signature(space, x, sym),
        "loss": float(loss),
        "index": int(index),
        "nullity": int(nullity),
        "kind": kind,
        "count": int(count),
        "isotropy": str(isotropy),
        "coordinates": {k: float(v) for k, v in coordinates.items()},
        "source": source,
        "lam": lam,
        "starts": starts,
        "followed": 0,
        "flows": 0,
        "unresolved": 0,
        "unresolved_at_t_max": 0,
    }
