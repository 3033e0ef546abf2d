"""Two-parameter continuation (fixedpoints.numeric.curves) on landscapes whose fold and
branch-point curves are known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from fixedpoints.errors import FixedPointsError
from fixedpoints.numeric.curves import continue_curve


class _Flat:
    """A landscape on R^n given by loss, gradient and Hessian callables of (x, a, b)."""

    def __init__(self, f, g, h, a, b):
        self.f, self.g, self.h, self.a, self.b = f, g, h, a, b

    def retract(self, x):
        return np.asarray(x, dtype=float)

    def tangent_basis(self, x):
        return np.eye(np.size(x))

    def loss(self, x):
        return self.f(x, self.a, self.b)

    def gradient(self, x):
        return self.g(x, self.a, self.b)

    def hessian(self, x, basis=None):
        B = np.eye(np.size(x)) if basis is None else basis
        return B.T @ self.h(x, self.a, self.b) @ B


def _cusp(b, a):
    """L = x^4/4 - a x^2/2 - b x (plus a stiff y^2): folds where b = ±2 (a/3)^(3/2), meeting in
    the cusp at a = b = 0."""
    return _Flat(
        lambda x, a, b: x[0] ** 4 / 4 - a * x[0] ** 2 / 2 - b * x[0] + x[1] ** 2,
        lambda x, a, b: np.array([x[0] ** 3 - a * x[0] - b, 2 * x[1]]),
        lambda x, a, b: np.diag([3 * x[0] ** 2 - a, 2.0]),
        a,
        b,
    )


def _pitchfork(a, b):
    """L = x^2/2 - a x + (x - b)|y|^2/2 + (y1^4 + y2^4)/4 on R^3: the symmetric branch y = 0,
    x = a has the eigenvalue a - b of multiplicity 2 (branch point curve a = b)."""

    def f(z, a, b):
        x, y = z[0], z[1:]
        return x**2 / 2 - a * x + (x - b) * (y @ y) / 2 + np.sum(y**4) / 4

    def g(z, a, b):
        x, y = z[0], z[1:]
        return np.concatenate([[x - a + (y @ y) / 2], (x - b) * y + y**3])

    def h(z, a, b):
        x, y = z[0], z[1:]
        H = np.zeros((3, 3))
        H[0, 0] = 1.0
        H[0, 1:] = H[1:, 0] = y
        H[1:, 1:] = np.diag((x - b) + 3 * y**2)
        return H

    return _Flat(f, g, h, a, b)


def test_fold_curve_of_the_cusp_matches_the_closed_form_and_finds_the_cusp():
    a0 = 1.0
    x0 = np.sqrt(a0 / 3)
    b0 = x0**3 - a0 * x0
    cur = continue_curve(
        _cusp, [x0, 0.0], (b0, a0), "fold", ((-1, 1), (-0.5, 1.0)), direction=-1.0, max_points=300
    )
    pts = np.array(cur.values())
    assert len(pts) > 10
    # every point solves the fold: b = ±2 (a/3)^(3/2)
    np.testing.assert_allclose(np.abs(pts[:, 0]), 2 * (pts[:, 1] / 3) ** 1.5, atol=1e-10)
    assert max(p.residual for p in cur.points) < 1e-10
    kinds = [e.kind for e in cur.events]
    assert "cusp" in kinds and "turn" in kinds
    cusp = next(e for e in cur.events if e.kind == "cusp")
    assert abs(cusp.p1) < 1e-3 and abs(cusp.p2) < 1e-2
    # through the cusp the fold moves to the other side (b changes sign) and ends at a = 1
    assert pts[0, 0] * pts[-1, 0] < 0
    assert abs(pts[-1, 1] - 1.0) < 1e-12 and str(cur.status) == "reached-end"


def test_marks_give_exact_points_at_round_values():
    a0 = 2.0
    x0 = -np.sqrt(a0 / 3)
    b0 = x0**3 - a0 * x0
    marks = [1.25, 1.5, 1.75]
    cur = continue_curve(_cusp, [x0, 0.0], (b0, a0), "fold", ((-3, 3), (1.0, 3.0)), marks=marks)
    for m in marks:
        hit = [p for p in cur.points if abs(p.p2 - m) < 1e-14]
        assert len(hit) == 1
        assert abs(hit[0].p1 - 2 * (m / 3) ** 1.5) < 1e-11


def test_branch_point_curve_of_multiplicity_two_stays_symmetric():
    # branch point of the symmetric branch at a = b = 0.5 (eigenvalue a - b, multiplicity 2)
    cur = continue_curve(
        _pitchfork,
        [0.5, 0.0, 0.0],
        (0.5, 0.5),
        "branch-point",
        ((-2, 2), (0.0, 1.5)),
        multiplicity=2,
    )
    pts = np.array(cur.values())
    assert pts[0, 1] == 0.0 and pts[-1, 1] == 1.5  # both directions, landing on the edges
    np.testing.assert_allclose(pts[:, 0], pts[:, 1], atol=1e-10)  # a = b
    for p in cur.points:
        assert np.max(np.abs(p.x[1:])) < 1e-10  # y = 0: the point keeps its symmetry
        assert p.multiplicity == 2


def test_a_regular_point_is_not_polished_onto_a_fold():
    with pytest.raises(FixedPointsError, match="could not be polished"):
        continue_curve(_cusp, [2.0, 0.0], (6.0, 1.0), "fold", ((-10, 10), (0, 2)))


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        continue_curve(_cusp, [0.0, 0.0], (0.0, 0.0), "hopf", ((-1, 1), (-1, 1)))


def test_fold_and_branch_point_curves_that_meet_get_events():
    from fixedpoints.api.curves import _distinct, _with_meetings
    from fixedpoints.results.curves import Curve, CurvePoint

    def curve(kind, pts, label):
        return Curve(
            kind,
            ("a", "b"),
            tuple(CurvePoint(x, y, 0.0, 0) for x, y in pts),
            (),
            "reached-end",
            label,
        )

    fold = curve("fold", [(0.0, 0.0), (1.0, 1.0)], "f")
    bp = curve("branch-point", [(0.0, 1.0), (1.0, 0.0)], "b")
    apart = curve("branch-point", [(5.0, 5.0), (6.0, 6.0)], "far")
    copy = curve("fold", [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)], "f again")
    out = _with_meetings(_distinct([fold, bp, apart, copy]))
    assert [c.label for c in out] == ["f", "b", "far"]  # the copy of a fold curve goes
    (ev,) = out[0].events
    assert ev.kind == "meets-branch-point" and (ev.p1, ev.p2) == (0.5, 0.5) and ev.detail == "b"
    assert [e.kind for e in out[1].events] == ["meets-fold"] and not out[2].events
