r"""Bifurcation diagrams: every branch of fixed points of a one-parameter family, with branch
switching at branch points, and the index changes along a branch.

:func:`seed_branches` turns the fixed points found at the start of the range into branch seeds,
one per symmetry orbit (degenerate points skipped), the named point first and labelled;
:func:`follow_branches` continues each seed (:func:`~fixedpoints.numeric.continuation.continue_branch`)
and, at every branch point, the branches that bifurcate there
(:func:`~fixedpoints.numeric.continuation.switch_branches`), each new one once modulo symmetry
(orbit keys, :func:`~fixedpoints.numeric.symmetry.orbit_key`); :func:`index_changes` lists the
events where the Morse index changes.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.numeric.continuation import continue_branch, switch_branches
from fixedpoints.numeric.symmetry import detect_symmetry, orbit_key

__all__ = ["follow_branches", "index_changes", "seed_branches"]


def seed_branches(space, points, *, named=None, seed: int = 0, sym=None) -> list:
    """``[(x, label), ...]``: the non-degenerate ``points`` (e.g. a search's), labelled by loss
    and index; ``named`` = ``(label, x)`` replaces the point on the orbit of ``x`` (under
    ``sym``, default the symmetry of ``space``) by ``x`` itself, first, with that label (the
    search returns one representative per orbit, which need not be the named copy; along a
    family the copies can part when the parameter breaks a symmetry of the start)."""
    seeds = [(p.x, f"loss {p.loss:.6g}, index {p.index}") for p in points if not p.degenerate]
    if named is None:
        return seeds
    label, x_named = named
    sym = detect_symmetry(space, seed=seed) if sym is None else sym
    target = orbit_key(space, x_named, sym)
    for i, (x, _) in enumerate(seeds):
        key = orbit_key(space, x, sym)
        if key.same(target):
            seeds.pop(i)
            seeds.insert(0, (np.asarray(x_named, dtype=float), label))
            break
    return seeds


def follow_branches(
    family,
    seeds,
    start: float,
    end: float,
    *,
    switch: bool = True,
    max_branches: int = 24,
    seed: int = 0,
    progress=None,
) -> list:
    """Continue every seed ``(x, label)`` from ``start`` to ``end`` and, with ``switch``, the
    branches bifurcating at each branch point (at most ``max_branches`` branches in all).

    Parameters
    ----------
    family : callable
        ``family(p)``: the landscape at parameter ``p``.

    Returns
    -------
    list of Branch
        Switched branches are labelled ``"switched at P from LABEL"``.
    """
    branches = []
    switched: list = []
    queue = [(x, label, start) for x, label in seeds]
    while queue and len(branches) < max_branches:
        x, label, p0 = queue.pop(0)
        br = continue_branch(family, x, p0, end, label=label, progress=progress)
        branches.append(br)
        if not switch:
            continue
        for ev in br.events:
            if ev.kind != "branch_point":
                continue
            for xs, ps in switch_branches(family, ev, end):
                sp = family(ps)
                key = orbit_key(sp, xs, detect_symmetry(sp, seed=seed))
                if any(key.same(other) for other in switched):
                    continue
                switched.append(key)
                queue.append((xs, f"switched at {ev.value:.10g} from {label}", ps))
    return branches


def index_changes(branch) -> list:
    """The events of ``branch`` where the Morse index changes (``index_below != index_above``)."""
    return [e for e in branch.events if e.index_below != e.index_above]
