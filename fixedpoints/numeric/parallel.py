"""Process-parallel maps for batches whose items are independent (the transition graph's flows:
with per-run step control a start's path does not depend on the starts beside it).

:func:`map_forked` runs ``func`` on every item in forked worker processes (POSIX ``fork``): the
workers inherit the parent's state, so compiled kernels, landscapes and closures need no
pickling; only the items and the results cross process boundaries. Each worker runs with one
BLAS thread (``threadpoolctl``), so ``workers`` processes use ``workers`` cores instead of
competing for them, and ignores Ctrl-C (the parent stops the pool). Where ``fork`` is not
available, inside a daemonic process (a worker of a pool or of a Dask cluster: a sweep's grid
point), or for one worker or one item, the map runs in the calling process.

:func:`map_threads` is the in-process counterpart for NumPy work that releases the GIL (the
population gradient's chunks of runs): one thread per usable core, or one thread inside a forked
worker or a daemonic process, whose siblings already use the cores.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["map_forked", "map_threads", "report", "thread_count", "usable_cpus"]

_TASK = None  # the function of the running map, inherited by the forked workers
_REPORT = None  # where report() adds finished units of work (see map_forked's ``units``)
POLL = 0.25  # seconds between the parent's progress reports of units
_WORKER = False  # this process is a worker of map_forked (its siblings use the other cores)
_POOL = None  # (pid, threads, ThreadPoolExecutor) of map_threads: threads do not survive a fork
_BLAS = None  # threadpoolctl's controller of the loaded BLAS libraries (map_threads)


def report(units: int) -> None:
    """Add ``units`` finished units of work to the progress of the running
    :func:`map_forked` call with ``units`` (from its ``func``, in a worker or in the calling
    process); a no-op outside such a call."""
    if _REPORT is not None and units:
        _REPORT(int(units))


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
    global _WORKER
    _WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a base dependency
        return
    threadpool_limits(1)


def _call(job):
    i, item = job
    return i, _TASK(item)


def map_forked(func, items, workers: int, progress=None, units: int | None = None) -> list:
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
        ``progress(done, total)`` after each finished item, or with ``units``: the units of work
        that ``func`` reported done (:func:`report`, summed over the workers through shared
        memory) out of ``units``, every :data:`POLL` seconds while they change.
    units : int, optional
        Total units of work that the calls of ``func`` report with :func:`report` (e.g. the
        runs of a batch, as each finishes).

    Returns
    -------
    list
        The results in the order of ``items``.
    """
    global _TASK, _REPORT
    items = list(items)
    n = len(items)
    fine = progress is not None and units is not None
    outer = _REPORT  # restored afterwards: a map inside a map's func keeps the outer reports
    if workers <= 1 or n <= 1 or not _fork_available():
        count = [0]

        def add(k):
            count[0] += k
            progress(count[0], units)

        _REPORT = add if fine else outer
        out = []
        try:
            for i, item in enumerate(items):
                out.append(func(item))
                if progress is not None and not fine:
                    progress(i + 1, n)
        finally:
            _REPORT = outer
        return out
    out = [None] * n
    ctx = multiprocessing.get_context("fork")
    shared = ctx.Value("q", 0) if fine else None

    def add_shared(k):
        with shared.get_lock():
            shared.value += k

    _TASK, _REPORT = func, (add_shared if fine else outer)
    try:
        with ctx.Pool(min(workers, n), initializer=_start_worker) as pool:
            results = pool.imap_unordered(_call, enumerate(items))
            done, last = 0, -1
            while done < n:
                try:
                    i, result = results.next(timeout=POLL if fine else None)
                except multiprocessing.TimeoutError:
                    pass
                else:
                    out[i], done = result, done + 1
                    if progress is not None and not fine:
                        progress(done, n)
                if fine and shared.value != last:
                    last = shared.value
                    progress(min(last, units), units)
    finally:
        _TASK, _REPORT = None, outer
    return out


def thread_count() -> int:
    """Threads for :func:`map_threads`: the usable cores, or 1 inside a worker of
    :func:`map_forked` or a daemonic process (a pool or Dask worker: a sweep's grid point)."""
    if _WORKER or multiprocessing.current_process().daemon:
        return 1
    return usable_cpus()


def map_threads(func, items, threads: int | None = None) -> list:
    """``[func(item) for item in items]`` on ``threads`` threads (default :func:`thread_count`);
    in the calling thread for one thread or one item.

    For NumPy work that releases the GIL (ufunc loops, BLAS). While the threads run, BLAS uses
    one thread (measured: BLAS threads inside each of two threads made the d = 100 population
    gradient 1.4x slower than no threads at all). NumPy's floating-point error state
    (:func:`numpy.errstate`, per thread) of the caller holds in the threads too. The first
    exception of a call is raised in the caller.
    """
    global _POOL, _BLAS
    items = list(items)
    threads = thread_count() if threads is None else threads
    if threads <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    pid = os.getpid()
    if _POOL is None or _POOL[0] != pid or _POOL[1] < threads:
        if _POOL is not None and _POOL[0] == pid:
            _POOL[2].shutdown(wait=False)
        _POOL = (pid, threads, ThreadPoolExecutor(threads, thread_name_prefix="fixedpoints"))
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()  # after NumPy's BLAS is loaded
    state = np.geterr()

    def call(item):
        with np.errstate(**state):
            return func(item)

    with _BLAS.limit(limits=1, user_api="blas"):
        return list(_POOL[2].map(call, items))
