"""Forked process maps: results in order, closures without pickling, progress, errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fixedpoints.numeric.parallel import map_forked, usable_cpus


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


def test_an_error_in_a_worker_reaches_the_caller():
    def f(i):
        if i == 3:
            raise ValueError("item 3")
        return i

    with pytest.raises(ValueError, match="item 3"):
        map_forked(f, range(6), 2)


def test_usable_cpus_is_positive():
    assert 1 <= usable_cpus() <= (os.cpu_count() or 1)
