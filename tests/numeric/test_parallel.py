"""Forked process maps: results in order, closures without pickling, progress, errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fixedpoints.numeric.parallel import map_forked, report, usable_cpus


def test_forked_map_is_the_serial_map_in_order():
    """A closure over an array (not picklable as such a lambda) on three workers: the results of
    the serial map, in the items' order, computed in other processes, with one progress call per
    item ending at (n, n)."""
    A = np.arange(12.0).reshape(3, 4)
    calls = []

    def f(i):
        return os.getpid(), A[i % 3] * i

    items = list(range(10))
    out = map_forked(f, items, 3, progress=lambda d, n: calls.append((d, n)))
    serial = [f(i)[1] for i in items]
    assert all(np.array_equal(o[1], s) for o, s in zip(out, serial, strict=True))
    assert any(pid != os.getpid() for pid, _ in out)
    assert calls[-1] == (10, 10) and len(calls) == 10
    assert [r[0] for r in map_forked(f, items, 1)] == [os.getpid()] * 10


@pytest.mark.parametrize("workers", [1, 2])
def test_units_reported_inside_the_items_reach_the_progress(workers):
    """Two items of five units each, reported one by one from inside ``func`` (the graph's
    flows: runs finishing within a worker's batch): the bar sees finer steps than the items,
    never more than ``units``, ending at (10, 10), on two workers as in this process; outside a
    map, ``report`` does nothing."""
    import time

    calls = []

    def f(i):
        for _ in range(5):
            time.sleep(0.15)
            report(1)
        return i

    assert map_forked(f, [0, 1], workers, progress=lambda d, n: calls.append((d, n)), units=10) == [
        0,
        1,
    ]
    done = [d for d, n in calls]
    assert all(n == 10 for _, n in calls) and done == sorted(done) and max(done) <= 10
    assert calls[-1] == (10, 10)
    assert len(set(done)) > 2  # more than the item boundaries 0, 5, 10
    report(3)  # no map running: ignored


def test_a_map_inside_a_maps_func_keeps_the_outer_reports():
    """An inner map (here serial, without units) restores the outer map's reporting when it
    returns, so the units its caller reports afterwards still reach the outer bar."""
    calls = []

    def f(i):
        map_forked(lambda j: j, range(3), 1)
        report(1)
        return i

    assert map_forked(f, [0, 1, 2], 1, progress=lambda d, n: calls.append((d, n)), units=3) == [
        0,
        1,
        2,
    ]
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_an_error_in_a_worker_reaches_the_caller():
    def f(i):
        if i == 3:
            raise ValueError("item 3")
        return i

    with pytest.raises(ValueError, match="item 3"):
        map_forked(f, range(6), 2)


def test_usable_cpus_is_positive():
    assert 1 <= usable_cpus() <= (os.cpu_count() or 1)


def _pids_in_a_daemon(_):
    return [pid for (pid,) in map_forked(lambda i: (os.getpid(),), range(4), 2)], os.getpid()


def test_inside_a_daemonic_worker_the_map_stays_in_that_process():
    """A pool's (or a Dask cluster's: a sweep point's) worker may not have children: there the
    map runs serially instead of failing."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        pids, worker = pool.map(_pids_in_a_daemon, [0])[0]
    assert pids == [worker] * 4


def test_the_search_does_not_depend_on_the_number_of_workers():
    """A weight-space search (soft committee k = m = 2, 120 starts: three Newton batches) on 1 and
    on 2 processes: the same points, statuses and document."""
    import fixedpoints as fp

    model = fp.load_model("soft-committee", {"k": 2, "m": 2})
    one, two = (fp.find_fixed_points(model, starts=120, seed=1, workers=w) for w in (1, 2))
    assert one.to_dict() == two.to_dict() and one.points


def test_thread_map_keeps_order_errstate_and_errors_and_limits_blas_meanwhile():
    """Three threads: the serial map in order; the caller's ``np.errstate`` holds in the threads
    (a division by zero raises there as here); an exception reaches the caller; while the map
    runs BLAS has one thread, afterwards its own count again."""
    from threadpoolctl import threadpool_info

    from fixedpoints.numeric.parallel import map_threads

    def blas():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    out = map_threads(lambda i: (i * i, blas()), range(8), 3)
    assert [o[0] for o in out] == [i * i for i in range(8)]
    assert all(set(o[1]) == {1} for o in out)
    assert blas() == before
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        map_threads(lambda x: np.float64(1.0) / x, [np.float64(1.0), np.float64(0.0)], 2)
    with np.errstate(divide="ignore"):
        assert np.isinf(map_threads(lambda x: np.float64(1.0) / x, [np.float64(0.0)] * 2, 2)).all()
    with pytest.raises(KeyError):
        map_threads(lambda i: {}[i], range(3), 2)


def test_one_thread_inside_a_forked_worker():
    """Inside a worker of ``map_forked`` its siblings use the cores: one thread there."""
    from fixedpoints.numeric.parallel import thread_count

    assert map_forked(lambda _: thread_count(), range(2), 2) == [1, 1]
