"""Spectra along branches: every continuation point carries its Hessian spectrum (weight space)
or its isotypic spectrum with component labels (Young fixed spaces in d), consistent with its
index and smallest eigenvalue, and equal to the dense Hessian's eigenvalues computed directly."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.api.landscapes import LandscapeFamily
from fixedpoints.numeric.symmetry import merge_spectrum


@pytest.fixture(scope="module")
def multi_index():
    return fp.load_model("multi-index", {"k": 3, "target": "He3"})


@pytest.fixture(scope="module")
def averaged(multi_index):
    res = fp.continue_fixed_points(multi_index, "beta", 0.0, 0.6, point="averaged")
    (b,) = [b for b in res.branches if b.label == "averaged"]
    return b


def _null(p):
    return 1e-7 * max(1.0, max(abs(v) for v, _ in p.spectrum))


def test_branch_point_spectrum_is_consistent_with_index_and_smallest_eigenvalue(
    multi_index, averaged
):
    family = LandscapeFamily(multi_index, "beta", {})
    for p in averaged.points:
        dim = family.at(p.parameter).tangent_basis(p.x).shape[1]
        assert sum(m for _, m in p.spectrum) == dim
        assert p.index == sum(m for v, m in p.spectrum if v < 0)
        assert [v for v, _ in p.spectrum] == sorted(v for v, _ in p.spectrum)
        assert p.min_eigenvalue == pytest.approx(p.spectrum[0][0], abs=_null(p))
        assert p.components is None
        assert len(p.eigenvalues()) == dim


def test_branch_point_spectrum_matches_the_dense_hessian(multi_index, averaged):
    """Independent check: the eigenvalues of ``family.at(p).hessian(x, B)`` at the first, a
    middle and the last point."""
    family = LandscapeFamily(multi_index, "beta", {})
    pts = averaged.points
    for p in (pts[0], pts[len(pts) // 2], pts[-1]):
        space = family.at(p.parameter)
        H = space.hessian(p.x, space.tangent_basis(p.x))
        lam = np.linalg.eigvalsh((H + H.T) / 2)
        np.testing.assert_allclose(p.eigenvalues(), lam, rtol=1e-6, atol=1e-6)


def test_branch_spectra_follow_the_smallest_eigenvalue_through_the_branch_point(averaged):
    beta = np.asarray(averaged.parameters())
    lam = np.asarray(averaged.spectra())
    assert lam.shape == (len(averaged.points), len(averaged.points[0].eigenvalues()))
    (event,) = [e for e in averaged.events if e.kind == "branch_point"]
    assert event.value == pytest.approx(0.25, abs=1e-8)
    assert np.all(lam[beta < 0.24, 0] < 0) and np.all(lam[beta > 0.26, 0] > 0)
    paths = averaged.eigenvalue_paths()
    assert np.array_equal(np.asarray(paths[0]), lam[:, 0])
    assert len(paths) == lam.shape[1]


def test_continue_json_points_carry_spectrum(averaged):
    doc = json.loads(json.dumps(averaged.to_dict()))
    for point, p in zip(doc["points"], averaged.points, strict=True):
        assert {"parameter", "loss", "index", "min_eigenvalue", "spectrum"} <= set(point)
        assert "components" not in point
        assert point["spectrum"] == [[v, m] for v, m in p.spectrum]


@pytest.fixture(scope="module")
def relu_in_d():
    model = fp.load_model("relu-teacher", {"d": 6})
    return fp.continue_fixed_points(model, "d", 6, 8, isotropy="d-1,1", starts=8)


def test_isotypic_branch_points_carry_labelled_components(relu_in_d):
    """Each point's spectrum is its components merged (null band 1e-7 set to 0); the
    multiplicities sum to d² (a polynomial in d, also at real d); the index is the rounded sum
    over the negative eigenvalues; the events' components are among the points' labels."""
    assert relu_in_d.branches
    for b in relu_in_d.branches:
        labels = {lab for p in b.points for _, _, lab in p.components}
        assert {e.component for e in b.events} <= labels
        for p in b.points:
            assert p.components and all(lab for *_, lab in p.components)
            merged = merge_spectrum(
                ((v if abs(v) > 1e-7 else 0.0, m) for v, m, _ in p.components), 1e-7
            )
            assert [v for v, _ in p.spectrum] == pytest.approx([v for v, _ in merged])
            assert sum(m for _, m in p.spectrum) == pytest.approx(p.parameter**2)
            assert p.index == round(sum(m for v, m in p.spectrum if v < 0))
            assert p.min_eigenvalue == pytest.approx(min(v for v, *_ in p.components))
        assert isinstance(b.points[0].spectrum[0][1], int)  # at integer d: whole multiplicities
        point = b.to_dict()["points"][0]
        assert {"spectrum", "components"} <= set(point)
        assert all(len(c) == 3 and isinstance(c[2], str) for c in point["components"])


def test_isotypic_eigenvalue_paths_are_keyed_by_component(relu_in_d):
    b = max(relu_in_d.branches, key=lambda b: len(b.events))
    paths = b.eigenvalue_paths()
    assert all(isinstance(k, tuple) and len(k) == 2 for k in paths)
    for e in b.events:  # the component's path changes sign across its event
        crossed = [
            y
            for (lab, _), y in paths.items()
            if lab == e.component
            and any(
                (y[i] < 0) != (y[i + 1] < 0)
                and min(b.points[i].parameter, b.points[i + 1].parameter)
                <= e.value
                <= max(b.points[i].parameter, b.points[i + 1].parameter)
                for i in range(len(y) - 1)
            )
        ]
        assert crossed, e
