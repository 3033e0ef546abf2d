"""Tangency arcs (fp.tangency_arcs): every arc point is a critical point of L on its sphere in
the FULL weight space (checked with the dense landscape gradient, independent of the reduced
one), μ is the KKT multiplier, dL/dr = μ r along the arc, the crossings are critical points of
the full problem with the index of the dense Hessian; other d and directions work."""

from __future__ import annotations

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.errors import ParameterError
from fixedpoints.numeric.symmetry import young_isotropy


def _family(model, spec, pick):
    pts = fp.find_fixed_points(model, isotropy=spec, starts=80).points
    return min((p for p in pts if pick(p)), key=lambda p: p.loss)


@pytest.fixture(scope="module")
def d7():
    model = fp.load_model("relu-teacher", {"d": 7})
    fa = _family(model, "6,1", lambda p: p.index == 0 and p.loss > 1e-9 and p.coordinates["D1"] > 0)
    arcs = fp.tangency_arcs(model, fa, "5,1,1", point_isotropy="6,1", r_max=2.1)
    return model, fa, arcs


def test_arc_points_satisfy_the_full_space_kkt_conditions(d7):
    model, fa, arcs = d7
    space = fp.landscape(model)
    Wc = np.asarray(arcs[0].center)
    fine = young_isotropy("5,1,1", 7)
    C = fine.weights(Wc)
    for arc in arcs:
        assert arc.status == "reached-end"
        for r, mu, xi in list(zip(arc.radius, arc.mu, arc.points, strict=True))[::7]:
            W = fine.weights(xi)
            g = space.gradient(space.pack(W))  # dense gradient, d² entries
            E = (W - C).ravel()
            assert np.linalg.norm(E) == pytest.approx(r, rel=1e-9)
            assert np.linalg.norm(g - mu * E) < 1e-8 * max(1.0, np.linalg.norm(g))


def test_loss_rises_with_mu_along_the_arc(d7):
    """dL/dr = μ r: the loss profile against the multiplier (trapezoid rule)."""
    _, _, arcs = d7
    for arc in arcs:
        r, L, mu = (np.asarray(v) for v in (arc.radius, arc.loss, arc.mu))
        pred = np.concatenate(
            [[0], np.cumsum(np.diff(r) * (mu[1:] * r[1:] + mu[:-1] * r[:-1]) / 2)]
        )
        # trapezoid error O(h²) with arclength steps <= 0.05; a wrong μ (sign, factor) is O(1)
        assert np.max(np.abs((L - L[0]) - pred)) < 1e-3 * max(1e-3, np.ptp(L))


def test_crossings_are_critical_points_with_the_dense_index(d7):
    model, fa, arcs = d7
    space = fp.landscape(model)
    fine = young_isotropy("5,1,1", 7)
    seen = 0
    for arc in arcs:
        for c in arc.crossings:
            x = space.pack(fine.weights(c.x))
            assert np.linalg.norm(space.gradient(x)) < 1e-8
            lam = np.linalg.eigvalsh(space.hessian(x))
            assert int(np.sum(lam < -1e-7)) == c.index
            assert c.loss == pytest.approx(float(space.loss(x)), abs=1e-12)
            assert c.barrier == pytest.approx(c.loss - fa.loss, abs=1e-12)
            seen += 1
    assert seen >= 2
    # the minimising arc of the non-hidden minimum: an index-1 saddle, then the global minimum
    best = min(arcs, key=lambda a: a.loss[0])
    assert [c.index for c in best.crossings[:2]] == [1, 0]
    assert best.crossings[1].loss < 1e-12 and best.crossings[0].barrier > 0


def test_weight_matrix_input_more_directions_and_template_dimension():
    """A weight matrix as the point, two eigendirections, and a template model with `dimension`
    (crossings then named inside the arc's space) give the same first crossing."""
    model = fp.load_model("relu-teacher", {"d": 6})
    fd = _family(model, "6", lambda p: p.index == 0 and p.coordinates["D1"] < 0)
    W = young_isotropy("6", 6).weights(fd.x)
    arcs = fp.tangency_arcs(model, W, "4,1,1", directions=2, r_max=1.2)
    assert {(a.direction, a.sign) for a in arcs} == {(0, 1), (0, -1), (1, 1), (1, -1)}
    assert arcs[0].eigenvalue <= arcs[2].eigenvalue
    tmpl = fp.tangency_arcs(
        fp.load_model("relu-teacher", {"d": 8}),
        fd,
        "d-2,1,1",
        point_isotropy="d",
        dimension=6,
        r_max=1.2,
    )
    assert tmpl[0].loss == pytest.approx(arcs[0].loss, abs=1e-10)


def test_bad_input_names_the_parameter():
    model = fp.load_model("relu-teacher", {"d": 6})
    W = np.eye(6)
    with pytest.raises(ParameterError, match="`isotropy`"):
        fp.tangency_arcs(model, W + np.eye(6)[::-1] * 0.1, "5,1")  # not in Fix(Δ(S5×S1))
    with pytest.raises(ParameterError, match="`r_max`"):
        fp.tangency_arcs(model, W, "5,1", r0=0.5, r_max=0.2)
    with pytest.raises(ParameterError, match="`directions`"):
        fp.tangency_arcs(model, W, "5,1", directions=0)
    with pytest.raises(ParameterError, match="`center`"):
        fp.tangency_arcs(model, 2 * W, "5,1")  # not a critical point
    with pytest.raises(ParameterError, match="`point`"):
        fp.tangency_arcs(model, np.eye(5), "5,1")
    fp_point = fp.find_fixed_points(model, isotropy="5,1", starts=20).points[0]
    with pytest.raises(ParameterError, match="`point_isotropy`"):
        fp.tangency_arcs(model, fp_point, "4,1,1")
    with pytest.raises(ParameterError, match="`dimension`"):
        fp.tangency_arcs(model, W, "5,1", dimension=1)
