"""Process-parallel maps for batches whose items are independent (the transition graph's flows:
with per-run step control a start's path does not depend on the starts beside it).

:func:`map_forked` runs ``func`` on every item in forked worker processes (POSIX ``fork``): the
workers inherit the parent's state, so compiled kernels, landscapes and closures need no
pickling; only the items and the results cross process boundaries. Each worker runs with one
BLAS thread (``threadpoolctl``), so ``workers`` processes use ``workers`` cores instead of
competing for them, and ignores Ctrl-C (the parent stops the pool). Where ``fork`` is not
available, inside a daemonic process (a worker of a pool or of a Dask cluster: a sweep's grid
point), or for one worker or one item, the map runs in the calling process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys

__all__ = ["map_forked", "usable_cpus"]

_TASK = None  # the function of the running map, inherited by the forked workers


def usable_cpus() -> int:
    """The number of CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - no affinity on this OS
        return max(1, os.cpu_count() or 1)


def _fork_available() -> bool:
    """POSIX fork on Linux, and not inside a daemonic process (a pool or Dask worker, e.g. a sweep
    point: those may not have children, and their siblings already use the cores)."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a base dependency
        return
    threadpool_limits(1)


def _call(job):
    i, item = job
    return i, _TASK(item)


def map_forked(func, items, workers: int, progress=None) -> list:
    """``[func(item) for item in items]``, computed by ``workers`` forked processes.

    Parameters
    ----------
    func : callable
        Any callable (closures included); its results must be picklable.
    items : sequence
        Picklable items.
    workers : int
        Processes (1: in this process).
    progress : callable, optional
        ``progress(done, total)`` after each finished item.

    Returns
    -------
    list
        The results in the order of ``items``.
    """
    global _TASK
    items = list(items)
    n = len(items)
    if workers <= 1 or n <= 1 or not _fork_available():
        out = []
        for i, item in enumerate(items):
            out.append(func(item))
            if progress is not None:
                progress(i + 1, n)
        return out
    out = [None] * n
    _TASK = func
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(workers, n), initializer=_start_worker) as pool:
            for done, (i, result) in enumerate(pool.imap_unordered(_call, enumerate(items)), 1):
                out[i] = result
                if progress is not None:
                    progress(done, n)
    finally:
        _TASK = None
    return out
