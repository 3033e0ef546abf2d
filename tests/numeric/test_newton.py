"""The one Newton: its step by a plain inverse where that is exact, per-start deflation in a
batch, and the batched multistart against a start-by-start search."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from fixedpoints.api import landscape
from fixedpoints.models import load_model_file
from fixedpoints.numeric.newton import LU_FROM, _pseudo_inverse_steps, multistart, newton


def _eigen_steps(H, g, rcond, floor):
    """The truncated pseudo-inverse step by eigenvalues only (the definition)."""
    lam, U = np.linalg.eigh(H)
    out = []
    for lam_i, U_i, g_i in zip(lam, U, g, strict=True):
        cut = rcond * max(floor, np.abs(lam_i).max())
        keep = np.abs(lam_i) > cut
        out.append(-(U_i[:, keep] / lam_i[keep]) @ (U_i[:, keep].T @ g_i))
    return np.array(out)


@pytest.mark.parametrize("n", [6, LU_FROM, 100], ids=["inverse", "lu-smallest", "lu"])
def test_inverse_step_is_the_truncated_pseudo_inverse_step(n):
    """Regular, near-singular (an eigenvalue 1e-12, cut), exactly singular, slightly asymmetric
    and ill-conditioned (1e-7 relative: kept, but beyond the factorization's limit) Hessians in
    one batch, below and above the dimension of the LU path: every step is the definition's, to
    round-off."""
    rng = np.random.default_rng(n)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    base = rng.uniform(0.5, 3.0, n) * rng.choice([-1.0, 1.0], n)
    spectra = []
    for head in ([3.0, -2.0, 1.0, 0.5, -0.1, 7.0], [3.0, -2.0, 1.0, 0.5, 1e-12, 7.0],
                 [3.0, -2.0, 1.0, 0.0, 0.0, 7.0], [1e3, 1.0, 1e-3, -1.0, 2.0, 5.0],
                 [3.0, -2.0, 1.0, 0.5, 7e-7, 7.0]):  # fmt: skip
        spectra.append(np.concatenate([head, base[6:]]))
    H = np.array([(Q * s) @ Q.T for s in spectra])
    H[3] += np.triu(1e-9 * rng.standard_normal((n, n)), 1)  # eigh reads the lower triangle
    g = rng.standard_normal((len(H), n, 1))
    got = _pseudo_inverse_steps(H, g, 1e-9, 1.0)[:, :, 0]
    want = _eigen_steps(np.tril(H) + np.swapaxes(np.tril(H, -1), 1, 2), g[:, :, 0], 1e-9, 1.0)
    for row, (a, b, sp) in enumerate(zip(got, want, spectra, strict=True)):
        mag = np.abs(sp)
        cond = mag.max() / mag[mag > 1e-9 * mag.max()].min()
        tol = max(1e-12, 1e-14 * cond)  # round-off grows with the condition (1e7 in row 4)
        assert np.abs(a - b).max() < tol * np.abs(b).max(), row
    assert np.abs(got[1]).max() < 100  # the 1e-12 direction was cut, not divided by
    assert np.abs(got[4]).max() > 1e4  # the 7e-7 direction was kept (not cut at 1e-9 · 7)


class _Quartic:
    """grad of L(x) = sum (x_i^2 - 1)^2 / 4: critical points at x_i in {-1, 0, 1}."""

    def gradient(self, x):
        return x**3 - x

    def retract(self, x):
        return x

    def tangent_basis(self, x):
        return None

    def hessian(self, x, B=None):
        return np.diag(3 * x**2 - 1)


def test_per_start_deflation_in_a_batch_is_each_start_alone():
    """A batch whose starts deflate different known points iterates each start as it would
    alone with its own known points."""
    p = _Quartic()
    x0 = np.array([[0.9, 0.8], [0.7, -0.6], [-0.2, 0.9]])
    known = [[np.array([1.0, 1.0])], [np.array([1.0, -1.0]), np.array([0.0, -1.0])], []]
    batch = newton(p, x0, tol=1e-12, known=known)
    for i in range(3):
        alone = newton(p, x0[i], tol=1e-12, known=known[i])
        assert batch.status[i] == alone.status
        assert np.abs(batch.x[i] - alone.x).max() < 1e-12
    assert not np.allclose(batch.x[0], [1.0, 1.0])  # deflated away from the known point


@pytest.mark.parametrize(
    ("preset", "sets"), [("relu-teacher", ["d=3"]), ("soft-committee", ["k=2", "m=2"])]
)
def test_batched_multistart_is_the_start_by_start_search(preset, sets):
    """The batched multistart adds the same points in the same order, with the same statuses,
    as one start after the other with deflated restarts (the search it replaces)."""
    space = landscape(load_model_file(preset).instantiate(sets), {})
    rng = np.random.default_rng(1)
    x0s = [
        space.structured_start(rng) if s % 2 == 0 else space.random_start(rng) for s in range(12)
    ]
    got, got_st = [], Counter()
    multistart(
        space,
        x0s,
        retries=2,
        statuses=got_st,
        add=lambda x: _new(got, x),
        escaped=lambda x: False,
        tol=1e-11,
        max_iter=60,
    )
    want, want_st = [], Counter()
    for x0 in x0s:
        local = []
        for attempt in range(3):
            r = newton(space, x0, tol=1e-11, max_iter=60 if attempt == 0 else 30, known=local)
            want_st[str(r.status) if attempt == 0 else f"deflated-{r.status}"] += 1
            if r.status != "converged":
                break
            local.append(r.x)
            if not _new(want, r.x) and attempt > 0:
                break
    assert got_st == want_st and sum(got_st.values()) > len(x0s)
    assert len(got) == len(want) > 0
    assert max(np.abs(a - b).max() for a, b in zip(got, want, strict=True)) < 1e-8


def _new(found, x) -> bool:
    if any(np.abs(x - y).max() < 1e-6 for y in found):
        return False
    found.append(x)
    return True
