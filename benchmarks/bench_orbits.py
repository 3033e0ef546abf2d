"""Orbit counting with the model's group: automorphism search (exact, any number of teachers)
against listing the group (the baseline the symmetry issue names: teacher permutations enumerated,
feasible to 8 teachers only).

Run: ``python benchmarks/bench_orbits.py``. For the multi-index model (He4, β = 0: the group is
S_n students × sign flips × the hyperoctahedral group B_m of the teachers) it times
:func:`fixedpoints.numeric.symmetry.detect_symmetry` and the exact orbit of a point with
``s`` active teachers (:func:`~fixedpoints.numeric.symmetry.orbit`), and checks the count
C(m, s)·2^s. The enumeration baseline (all m!·2^m signed permutations acting on M) is run where
it takes under a minute (m ≤ 7), in the same process, and the ratio printed.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np

import fixedpoints as fp
from fixedpoints.numeric.symmetry import detect_symmetry, orbit


def _point(space, s):
    W = np.zeros((space.k, space.d))
    W[0] = space.V[:s].sum(axis=0)
    W[0] /= np.linalg.norm(W[0])
    return space.overlaps(space.pack(W))


def _enumerate(M):
    """Distinct images of M (k × m) under student flips and all signed teacher permutations."""
    k, m = M.shape
    images = set()
    for p in itertools.permutations(range(m)):
        for eps in itertools.product((1.0, -1.0), repeat=m):
            Mp = M[:, list(p)] * np.array(eps)
            for s in itertools.product((1.0, -1.0), repeat=k):
                images.add(tuple(np.round((Mp * np.array(s)[:, None]).ravel(), 9)))
    return len(images)


def main() -> None:
    print(
        f"{'m':>3} {'group order':>26} {'detect':>9} {'orbit':>9} {'count':>12} {'enumerate':>10}"
    )
    for m in (5, 7, 9, 12, 16, 20):
        model = fp.load_model("multi-index", {"k": m, "n": 1, "beta": 0, "target": "He4"})
        space = fp.landscape(model)
        t0 = time.perf_counter()
        sym = detect_symmetry(space)
        t1 = time.perf_counter()
        s = m // 2
        Q, M, _ = _point(space, s)
        o = orbit(Q, M, None, sym)
        size = o.size  # the stabiliser search runs here
        t2 = time.perf_counter()
        assert size == math.comb(m, s) * 2**s, (size, m, s)
        base = ""
        if m <= 7:
            t3 = time.perf_counter()
            n = _enumerate(M)
            t4 = time.perf_counter()
            assert n == o.size
            base = f"{t4 - t3:8.3f} s ({(t4 - t3) / (t2 - t1):.0f}x)"
        print(f"{m:>3} {sym.order:>26} {t1 - t0:>7.3f} s {t2 - t1:>7.3f} s {o.size:>12} {base:>10}")
    # 20 students and 20 teachers: the global minimum W = V, stabiliser ΔS20, orbit 20!
    space = fp.landscape(fp.load_model("soft-committee", {"k": 20, "m": 20}))
    t0 = time.perf_counter()
    sym = detect_symmetry(space)
    t1 = time.perf_counter()
    Q, M, _ = space.overlaps(space.pack(space.V.copy()))
    o = orbit(Q, M, None, sym)
    size = o.size
    t2 = time.perf_counter()
    assert size == math.factorial(20)
    print(
        f"soft-committee k = m = 20, W = V: order {sym.order}, detect {t1 - t0:.3f} s, orbit "
        f"{t2 - t1:.3f} s, count {o.size} = 20!"
    )


if __name__ == "__main__":
    main()
