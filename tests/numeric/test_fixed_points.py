"""Fixed points, Hessians, continuation and thresholds, each checked against an independent route
(closed forms of the papers, second differences of the loss, the overlap-ODE Jacobian)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import brentq

import fixedpoints as fp
from fixedpoints.api import LandscapeFamily, landscape, threshold
from fixedpoints.numeric.continuation import continue_branch
from fixedpoints.numeric.derivatives import dense_hessian
from fixedpoints.numeric.fixed_points import find_fixed_points
from fixedpoints.numeric.named import named_point_weights
from fixedpoints.numeric.newton import newton
from fixedpoints.numeric.symmetry import detect_symmetry


@pytest.fixture(scope="module")
def multi_index_he4():
    model = fp.load_model("multi-index", {"k": 3, "beta": 0, "target": "He4", "d": 5})
    space = landscape(model)
    return space, find_fixed_points(space, starts=100, seed=0)


def test_multi_index_he4_fixed_points_match_simsek_table(multi_index_he4):
    # papers/simsek_2025_multi_index.md §4: 6 minima, 12 index-1, 8 index-2, L = -1, -1/2, -1/3
    space, res = multi_index_he4
    assert res.decoupled and space.k == 1
    iso = [p for p in res.points if not p.degenerate]
    by_index = {i: sum(p.count for p in iso if p.index == i) for i in range(4)}
    assert by_index == {0: 6, 1: 12, 2: 8, 3: 0}
    assert all(p.loss < 0 for p in iso)
    losses = {p.index: p.loss for p in iso}
    assert losses[1] / losses[0] == pytest.approx(0.5, abs=1e-10)
    assert losses[2] / losses[0] == pytest.approx(1 / 3, abs=1e-10)
    assert losses[0] == pytest.approx(-24.0, abs=1e-9)  # phi(1) = 4! for He4
    assert max(p.residual for p in iso) < 1e-9
    (equator,) = [p for p in res.points if p.degenerate]
    # d = 5, k = 3: tangent space of S^4 has dimension 4, all flat (phi'' = 0 at 0); one flat
    # direction is the O(2) rotation of the complement of span V
    assert equator.loss == 0.0 and equator.nullity == 4 and equator.symmetry_zero_modes == 1
    assert equator.index == 0


def test_higher_order_critical_point_reports_its_nullity():
    # papers/simsek_2025_multi_index.md §4: phi = (t^3 + t^4)/2, k = 3, d = 5 has a degenerate
    # family at m = -0.75 v_j (index 1, nullity 3, L = +0.052734). Two null directions are cubic
    # (phi''(0) = 0), so Newton converges only linearly there; the classification must not read
    # the position error as curvature. Independent route: the loss restricted to the great circle
    # through the point and the cubic directions, by hand.
    model = fp.load_model(
        "multi-index",
        {"k": 3, "n": 1, "beta": 0, "d": 5, "target": "sqrt(1/12)*He3+sqrt(1/48)*He4"},
    )
    space = landscape(model)
    res = find_fixed_points(space, starts=60, seed=0)
    (fam,) = [p for p in res.points if abs(p.loss - 27 / 512) < 1e-6]
    m = space.overlaps(fam.x)[1].ravel()
    assert sorted(np.abs(m)) == pytest.approx([0, 0, 0.75], abs=1e-5)
    assert (fam.index, fam.nullity, fam.degenerate) == (1, 3, True)
    # the one negative direction: along the great circle through the point in span{v_j, w_perp},
    # L = -phi(m_j) with phi'(-3/4) = 0 and phi''(-3/4) > 0, a local maximum of L
    phi = np.polynomial.Polynomial([0, 0, 0, 0.5, 0.5])
    assert phi.deriv()(-0.75) == pytest.approx(0, abs=1e-12) and phi.deriv(2)(-0.75) > 0
    # a non-degenerate point next to it keeps its exact spectrum
    (mini,) = [p for p in res.points if p.loss == pytest.approx(-1.0, abs=1e-9)]
    assert (mini.index, mini.nullity) == (0, 0)


def test_quadratic_critical_values_match_martin_section_3():
    # L(Z_S) = 1/2 sum_{k not in S} mu_k^2 + (sum_{k not in S} mu_k)^2 / (2(2+|S|)), |S| <= m
    model = fp.load_model("quadratic", {"d": 4, "m": 2, "teacher_eigenvalues": "3,2,1"})
    res = find_fixed_points(landscape(model), starts=120, seed=1)
    mu = [3.0, 2.0, 1.0, 0.0]
    expected = set()
    for size in range(3):
        for S in itertools.combinations(range(4), size):
            rest = [mu[k] for k in range(4) if k not in S]
            expected.add(
                round(0.5 * sum(x * x for x in rest) + sum(rest) ** 2 / (2 * (2 + size)), 9)
            )
    found = {round(p.loss, 9) for p in res.points}
    assert found == expected
    minima = [p for p in res.points if p.index == 0]
    assert len(minima) == 1 and minima[0].loss == pytest.approx(0.625, abs=1e-10)
    # O(2) student rotations: one zero mode at every point with W != 0, none at W = 0
    for p in res.points:
        assert p.nullity == p.symmetry_zero_modes == (0 if p.loss == pytest.approx(16) else 1)


def test_relu_global_minimum_hessian_matches_closed_form():
    # papers/arjevani_2024_hidden_minima.md §4 (exact spectrum at W = V = I_d)
    d = 6
    space = landscape(fp.load_model("relu-teacher", {"d": d}))
    lam = np.linalg.eigvalsh(space.hessian(np.eye(d).ravel()))
    pi = np.pi
    sq = np.sqrt(pi**2 * d**2 - 16 * pi + 16)
    s2 = np.sqrt((pi - 2) ** 2 * d**2 + 16 * (pi - 1) * d - 16 * (pi - 1))
    ref = np.sort(
        [0.25 - 1 / (2 * pi)] * (d * (d - 1) // 2)
        + [0.25 + 1 / (2 * pi)] * (d * (d - 3) // 2)
        + [(pi * (d + 2) - sq) / (8 * pi)] * (d - 1)
        + [(pi * (d + 2) + sq) / (8 * pi)] * (d - 1)
        + [((pi + 2) * d + 2 * pi - s2) / (8 * pi), ((pi + 2) * d + 2 * pi + s2) / (8 * pi)]
    )
    assert np.max(np.abs(lam - ref)) < 1e-8


@pytest.mark.parametrize(
    "preset,sets",
    [
        ("multi-index", {"k": 2, "beta": 0.3, "loss": "square", "n": 2}),
        ("soft-committee", {"k": 2, "m": 2}),
        ("linear-two-layer", {}),
    ],
)
def test_riemannian_hessian_matches_second_differences_of_the_loss(preset, sets):
    space = landscape(fp.load_model(preset, sets))
    rng = np.random.default_rng(3)
    # away from critical points the second derivative along a retraction curve differs from the
    # Riemannian Hessian by a gradient term: compare at the critical points found
    res = find_fixed_points(space, starts=16, seed=3)
    assert res.points
    x = res.points[-1].x
    B = space.tangent_basis(x)
    H = space.hessian(x, B)
    for _ in range(3):
        v = B @ rng.standard_normal(B.shape[1])
        v /= np.linalg.norm(v)
        h = 1e-4
        f = [float(space.loss(space.retract(x + t * v))) for t in (-h, 0.0, h)]
        second = (f[0] - 2 * f[1] + f[2]) / h**2
        coef = B.T @ v
        assert second == pytest.approx(coef @ H @ coef, rel=1e-4, abs=1e-6)
    assert H.shape[0] == B.shape[1]


def test_overlap_jacobian_spectrum_agrees_with_hessian_on_directions_overlaps_see():
    # multi-index, n = 1, orthonormal teacher: m = Vw is an isometry of span V, so on tangent
    # directions inside span V the Hessian equals minus the Jacobian of the overlap ODE
    model = fp.load_model("multi-index", {"k": 3, "n": 1, "beta": 0, "target": "He3+0.5*He4"})
    space = landscape(model)
    system = fp.compile_flow(fp.derive(model))
    res = find_fixed_points(space, starts=40, seed=2)
    checked = 0
    for p in res.points:
        if p.degenerate:
            continue
        m = np.array([p.coordinates[n] for n in system.names])
        J = dense_jacobian(lambda y: np.asarray(system.vector_field(y)), m)
        t = np.linalg.svd(np.eye(3) - np.outer(m, m))[0][:, :2]  # tangent of the m-sphere
        jac = np.sort(np.linalg.eigvals(-(t.T @ J @ t)).real)
        w = p.x
        Bs = space.V.T @ t  # tangent directions of S^4 inside span V
        Bs = Bs - np.outer(w, w @ Bs)
        Q = np.linalg.qr(Bs)[0]
        hes = np.sort(np.linalg.eigvalsh(dense_hessian(space.gradient, w, Q)))
        assert jac == pytest.approx(hes, rel=1e-6, abs=1e-7)
        checked += 1
    assert checked >= 5


def dense_jacobian(F, y, h=1e-6):
    cols = [(F(y + h * e) - F(y - h * e)) / (2 * h) for e in np.eye(y.size)]
    return np.array(cols).T


def test_continuation_finds_the_branch_point_of_the_averaged_point():
    model = fp.load_model("multi-index", {"k": 3, "target": "He4"})
    family = LandscapeFamily(model, "beta")
    x0 = named_point_weights(family.at(0.0), "averaged")
    br = continue_branch(family.at, x0, 0.0, 0.6)
    (ev,) = [e for e in br.events if e.kind == "branch_point"]
    # beta_c = (p-2)/(k+p-2) = 2/5, the split eigenvalue has multiplicity k-1 = 2
    assert ev.value == pytest.approx(0.4, abs=1e-9)
    assert (ev.index_below, ev.index_above, ev.multiplicity) == (2, 0, 2)
    assert br.status == "reached-end" and br.points[-1].parameter == pytest.approx(0.6)


def test_near_index_minimum_disappears_in_a_fold():
    # simsek §5: above beta_c the near-index branches are absorbed (26 -> 14 fixed points)
    model = fp.load_model("multi-index", {"k": 3, "target": "He4"})
    family = LandscapeFamily(model, "beta")
    space = family.at(0.0)
    x0 = space.pack(space.V[:1] / np.linalg.norm(space.V[0]))
    br = continue_branch(family.at, x0, 0.0, 0.6)
    folds = [e for e in br.events if e.kind == "fold"]
    assert folds and 0.4 < folds[0].value < 0.45
    assert br.points[0].index == 0


def test_numeric_threshold_of_a_mixture_solves_the_paper_equation():
    # (k-1) mu phi'(mu) = (1-mu^2) phi''(mu), mu^2 = (1+(k-1)beta)/k, phi = 6t^3 + 6t^4
    k = 4
    model = fp.load_model("multi-index", {"k": k, "target": "He3+0.5*He4"})
    res = threshold(model, "beta", 0.0, 0.99)

    def eq(beta):
        mu = np.sqrt((1 + (k - 1) * beta) / k)
        return (k - 1) * mu * (18 * mu**2 + 24 * mu**3) - (1 - mu**2) * (36 * mu + 72 * mu**2)

    ref = brentq(eq, 0.0, 0.99, xtol=1e-14)
    assert res.numeric_value == pytest.approx(ref, abs=1e-10)
    assert (res.index_below, res.index_above) == (k - 1, 0)


def test_symmetry_detection():
    s = detect_symmetry(landscape(fp.load_model("relu-teacher", {"d": 4})))
    assert s.student_permutations and s.teacher_order == 24 and not s.teacher_reflections
    assert s.sign_flips == "none" and not s.student_rotations and s.order == 24 * 24
    s = detect_symmetry(landscape(fp.load_model("quadratic", {"d": 4, "m": 2})))
    assert s.student_rotations and s.sign_flips == "even"
    s = detect_symmetry(landscape(fp.load_model("relu-two-layer", {})))
    assert s.sign_flips == "none" and s.student_permutations


def test_relu_full_space_orbit_of_global_minimum_has_d_factorial_members():
    space = landscape(fp.load_model("relu-teacher", {"d": 4}))
    res = find_fixed_points(space, starts=30, seed=0)
    glob = res.points[0]
    assert glob.loss == 0.0 and glob.index == 0 and glob.count == 24


def test_failed_starts_are_counted_not_raised():
    class Bad:
        k = d = 1
        dimension = 1

        def retract(self, x):
            return x

        def gradient(self, x):
            return np.full_like(np.asarray(x, float), np.nan)

    r = newton(Bad(), np.zeros(1))
    assert r.status == "diverged"


def test_classification_kind_of_a_point_and_of_its_fixed_point_value():
    """Both result values answer ``kind`` (the transition graph labels flow-found nodes by the
    classification's)."""
    from fixedpoints.numeric.fixed_points import classify_point

    space = landscape(fp.load_model("relu-teacher", {"d": 3}))
    c = classify_point(space, space.pack(np.eye(3)))
    assert c.kind == "minimum" and c.index == 0
    res = find_fixed_points(space, starts=4, seed=0)
    assert res.points[0].kind == "minimum"
