"""The model's symmetry group, exact orbits and the fixed-point-subspace lattice, each checked a
second way: Schreier–Sims (SymPy) for group orders, brute-force enumeration of the group for
orbit sizes, closed forms from the papers for the critical values found."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.numeric.symmetry import (
    ColouredGraph,
    automorphism_group,
    detect_symmetry,
    find_isomorphism,
    orbit,
    orbit_key,
    young_subspace,
)
from fixedpoints.numeric.symmetry.automorphisms import row_ranks
from fixedpoints.numeric.symmetry.group import orthogonal_map, teacher_graph
from fixedpoints.symbolic.groups import permutation_group


def _random_graph(rng, n, colours=2, labels=3):
    E = rng.integers(0, labels, size=(n, n))
    E = np.triu(E, 1)
    E = E + E.T
    return ColouredGraph(rng.integers(0, colours, size=n), E)


@pytest.mark.parametrize("seed", range(6))
def test_automorphism_order_matches_schreier_sims(seed):
    rng = np.random.default_rng(seed)
    # a graph with symmetry: a random graph on 4 vertices blown up by a wreath product
    base = _random_graph(rng, 4, colours=2, labels=2)
    n = 12
    C = np.repeat(base.colours, 3)
    E = np.repeat(np.repeat(base.edges, 3, axis=0), 3, axis=1)
    E[np.arange(n), np.arange(n)] = 0
    g = ColouredGraph(C, E)
    aut = automorphism_group(g)
    assert aut.exact and all(g.is_automorphism(p) for p in aut.generators)
    assert permutation_group(aut.generators, n).order() == aut.order


def test_known_automorphism_groups():
    P = nx.to_numpy_array(nx.petersen_graph()).astype(int)
    assert automorphism_group(ColouredGraph(np.zeros(10, int), P)).order == 120
    cube = nx.to_numpy_array(nx.hypercube_graph(4)).astype(int)  # 2^4 4! = 384
    assert automorphism_group(ColouredGraph(np.zeros(16, int), cube)).order == 384
    for m in (3, 9, 13):  # hyperoctahedral B_m from the identity teacher with reflections
        g = teacher_graph(np.eye(m), np.ones(m), "even")
        assert automorphism_group(g).order == math.factorial(m) * 2**m


@pytest.mark.parametrize("shape, low, high", [((3200, 3), 0, 5), ((50, 4), -7, 40), ((9, 2), 0, 1)])
def test_row_ranks_equal_numpy_unique_rows(shape, low, high):
    rng = np.random.default_rng(shape[0])
    cols = rng.integers(low, high + 1, size=shape)
    expected = np.unique(cols, axis=0, return_inverse=True)[1].ravel()
    assert np.array_equal(row_ranks(cols), expected)
    wide = cols.astype(np.int64) * (2**40)  # radices beyond 63 bits: the unique fallback
    assert np.array_equal(row_ranks(wide), expected)
    assert row_ranks(np.zeros((0, 3), dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize("values", [[5, 0, 5, 3, 0], [70, 2, 70], [-1, 4, -1], [2**40, 3, 2**40]])
def test_rank_is_the_inverse_of_unique(values):
    """The presence-table ranks (small non-negative values) and the unique fallback (negative
    or large values) agree with ``np.unique``."""
    from fixedpoints.numeric.symmetry.automorphisms import _rank

    c = np.array(values, dtype=np.int64)
    assert np.array_equal(_rank(c), np.unique(c, return_inverse=True)[1].ravel())


def test_isomorphism_of_relabelled_graph_and_not_of_a_changed_one():
    rng = np.random.default_rng(3)
    g = _random_graph(rng, 7)
    p = rng.permutation(7)
    inv = np.argsort(p)
    h = ColouredGraph(g.colours[inv], g.edges[np.ix_(inv, inv)])
    gamma = find_isomorphism(g, h)
    assert gamma is not None
    assert np.array_equal(h.colours[gamma], g.colours)
    assert np.array_equal(h.edges[np.ix_(gamma, gamma)], g.edges)
    E2 = h.edges.copy()
    j = 1 + int(np.argmax(E2[0, 1:] != E2[0, 1]))
    E2[0, 1], E2[0, j] = E2[0, j], E2[0, 1]
    E2[1, 0], E2[j, 0] = E2[0, 1], E2[0, j]
    other = ColouredGraph(h.colours, E2)
    found = find_isomorphism(g, other)
    assert (found is not None) == _brute_isomorphic(g, other)


def _brute_isomorphic(g, h):
    for p in itertools.permutations(range(g.n)):
        p = np.array(p)
        if np.array_equal(h.colours[p], g.colours) and np.array_equal(
            h.edges[np.ix_(p, p)], g.edges
        ):
            return True
    return False


def _group_elements(space, sym):
    """All elements of the discrete group, listed (small cases only): student permutations within
    classes × sign flips × teacher signed permutations preserving the teacher graph."""
    k, m = space.k, space.m
    g = sym.teacher_colouring
    teacher = []
    for rho in itertools.permutations(range(m)):
        for eps in itertools.product((1, -1), repeat=m):
            gamma = np.empty(2 * m, dtype=int)
            for r in range(m):
                plus, minus = 2 * rho[r], 2 * rho[r] + 1
                gamma[2 * r], gamma[2 * r + 1] = (plus, minus) if eps[r] > 0 else (minus, plus)
            if g.is_automorphism(gamma):
                teacher.append((np.array(rho), np.array(eps, dtype=float)))
    cls = np.array(sym.student_classes)
    students = [p for p in itertools.permutations(range(k)) if np.all(cls[list(p)] == cls)]
    flips = list(itertools.product((1, -1), repeat=k)) if sym.sign_flips != "none" else [(1,) * k]
    return students, flips, teacher


def _orbit_by_enumeration(space, sym, x):
    students, flips, teacher = _group_elements(space, sym)
    assert len(students) * len(flips) * len(teacher) == sym.order
    W, a = space.unpack(x)
    images = set()
    for rho, eps in teacher:
        O = orthogonal_map(space.V, rho, eps)
        for p in students:
            for s in flips:
                s = np.array(s, dtype=float)
                W2 = np.empty_like(W)
                W2[list(p)] = s[:, None] * (W @ O.T)
                a2 = None
                if a is not None:
                    a2 = np.empty_like(a)
                    a2[list(p)] = (s[:, None] if sym.sign_flips == "odd" else 1.0) * a
                Q, M, aa = space.overlaps(space.pack(W2, a2))
                vec = np.concatenate([Q.ravel(), M.ravel(), [] if a2 is None else aa.ravel()])
                images.add(tuple(np.round(vec, 8)))
    return len(images)


CASES = [
    ("soft-committee", {"k": 2, "m": 3, "activation": "He4", "d": 5}),
    ("relu-two-layer", {}),
    ("multi-index", {"k": 3, "n": 2, "beta": 0, "target": "He4", "loss": "square"}),
    ("multi-index", {"k": 3, "n": 2, "beta": 0.2, "target": "He3", "loss": "square"}),
]


@pytest.mark.parametrize("name,settings", CASES)
def test_orbit_sizes_equal_enumeration_of_the_group(name, settings):
    space = fp.landscape(fp.load_model(name, settings))
    sym = detect_symmetry(space)
    assert not sym.failed
    rng = np.random.default_rng(1)
    x = space.random_start(rng)
    W, a = space.unpack(x)
    # a symmetric point too: student 2 a copy (or flipped copy) of student 1, teachers mixed
    Ws = W.copy()
    if space.k >= 2:
        Ws[1] = -W[0] if sym.sign_flips != "none" else W[0]
    if space.m >= 2:
        Ws[:, :] = Ws @ orthogonal_map(space.V, [1, 0, *range(2, space.m)], np.ones(space.m)).T
        Ws = (Ws + W) / 2
    for point in (x, space.retract(space.pack(Ws, a))):
        Q, M, aa = space.overlaps(point)
        o = orbit(Q, M, aa if space.trainable else None, sym)
        assert o.exact
        assert o.size == _orbit_by_enumeration(space, sym, point)
        assert o.size * o.stabilizer_order == sym.order


def test_group_generators_leave_the_loss_invariant_beyond_eight_teachers():
    model = fp.load_model("multi-index", {"k": 12, "n": 2, "beta": 0, "target": "He4"})
    space = fp.landscape(model)
    sym = detect_symmetry(space)
    assert sym.exact and not sym.failed and sym.teacher_reflections
    assert sym.teacher_order == math.factorial(12) * 2**12
    rng = np.random.default_rng(0)
    x = space.random_start(rng)
    W, a = space.unpack(x)
    for rho, eps in sym.teacher_generators():
        O = orthogonal_map(space.V, rho, eps)
        assert space.loss(space.pack(W @ O.T, a)) == pytest.approx(space.loss(x), rel=1e-10)
    # an odd target has no reflections (He3 changes sign)
    odd = detect_symmetry(fp.landscape(fp.load_model("multi-index", {"k": 12, "beta": 0})))
    assert not odd.teacher_reflections and odd.teacher_order == math.factorial(12)


def test_points_on_one_orbit_are_identified_and_others_are_not():
    space = fp.landscape(fp.load_model("soft-committee", {"k": 3, "m": 3}))
    sym = detect_symmetry(space)
    rng = np.random.default_rng(4)
    x = space.random_start(rng)
    W, _ = space.unpack(x)
    O = orthogonal_map(space.V, [2, 0, 1], np.ones(3))
    y = space.pack((W @ O.T)[[1, 2, 0]])
    z = space.pack(W + 1e-3 * rng.standard_normal(W.shape))
    kx = orbit_key(space, x, sym)
    assert kx.same(orbit_key(space, y, sym))
    assert not kx.same(orbit_key(space, z, sym))


def test_multi_index_he4_nine_teachers_one_orbit_per_level():
    """Issue acceptance: k = 9, β = 0, He4, one neuron — nine orbits ±v_S/√s of size
    C(9, s) 2^s, at loss −24/s with index s − 1 (the full group S_9 × reflections)."""
    model = fp.load_model("multi-index", {"k": 9, "n": 1, "beta": 0, "target": "He4", "d": 11})
    res = fp.find_fixed_points(model, starts=60, seed=0)
    assert res.group["order"] == 2 * math.factorial(9) * 2**9 and res.group["exact"]
    levels = {}
    for p in res.points:
        if p.loss < 0:
            s = round(-24 / p.loss)
            assert p.loss == pytest.approx(-24 / s, rel=1e-9)
            levels.setdefault(s, []).append(p)
    assert sorted(levels) == list(range(1, 10))
    for s, pts in levels.items():
        (p,) = pts
        assert p.count == math.comb(9, s) * 2**s and p.index == s - 1


def _quadratic_values(mu, m):
    mu = list(mu)
    out = set()
    for size in range(m + 1):
        for S in itertools.combinations(range(len(mu)), size):
            rest = [mu[i] for i in range(len(mu)) if i not in S]
            val = 0.5 * sum(v * v for v in rest) + sum(rest) ** 2 / (2 * (2 + size))
            out.add(round(val, 9))
    return sorted(out)


@pytest.mark.parametrize(
    "eigenvalues,d,m,minimum",
    [("5,3,2", 5, 2, 2.5), ("2,1", 4, 3, 0.0)],
)
def test_quadratic_all_critical_values_including_null_directions(eigenvalues, d, m, minimum):
    """Martin et al. §3: L_S over subsets S of at most m eigen-directions (null ones included);
    the lattice search finds points in the null space of Z* that random starts miss."""
    model = fp.load_model("quadratic", {"d": d, "m": m, "teacher_eigenvalues": eigenvalues})
    res = fp.find_fixed_points(model, starts=40, seed=0)
    mu = [float(v) for v in eigenvalues.split(",")] + [0.0] * (d - len(eigenvalues.split(",")))
    assert sorted(round(p.loss, 9) for p in res.points) == _quadratic_values(mu, m)
    assert [p.loss for p in res.points if p.index == 0] == [pytest.approx(minimum)]


def test_relu_spurious_minima_found_without_isotropy():
    """Safran–Shamir minima at d = 6 (L = 0.0250806, 0.0556686) come from the Young lattice."""
    res = fp.find_fixed_points(fp.load_model("relu-teacher", {"d": 6}), starts=8, seed=0)
    minima = sorted(round(p.loss, 7) for p in res.points if p.index == 0 and not p.degenerate)
    assert minima == [0.0, 0.0250806, 0.0556686]


def test_young_subspace_is_fixed_and_invariant_under_the_gradient():
    space = fp.landscape(fp.load_model("soft-committee", {"k": 4, "m": 4}))
    sym = detect_symmetry(space)
    sub = young_subspace(space, sym, (2, 2))
    rng = np.random.default_rng(0)
    xi = rng.standard_normal(sub.dimension)
    x = sub.embed(xi)
    for R in sub.maps:
        assert np.allclose(R @ x, x)
    assert sub.contains(space.gradient(x), tol=1e-8)
    assert not sub.contains(space.random_start(rng))


def test_stabilisers_are_named_young_subgroups_in_weight_space():
    res = fp.find_fixed_points(fp.load_model("relu-teacher", {"d": 5}), starts=10, seed=0)
    glob = res.points[0]
    assert glob.isotropy == "ΔS5" and glob.count == math.factorial(5)
    for p in res.points:
        if p.isotropy.startswith("Δ"):
            blocks = [int(b) for b in p.isotropy.strip("Δ()").replace("S", "").split("×")]
            assert p.stabilizer_order == math.prod(math.factorial(b) for b in blocks)


def test_transition_graph_nodes_are_orbits_of_the_full_group():
    """Multi-index He4, β = 0: the minima ±v_j are one orbit (4 points) under teacher
    permutations and reflections, and so are the saddles ±v_1 ± v_2."""
    model = fp.load_model("multi-index", {"k": 2, "beta": 0, "target": "He4"})
    g = fp.transition_graph(model, starts=20, seed=0)
    data = g.data["nodes"]
    nodes = {round(n["loss"], 9): n for n in data}
    assert nodes[-24.0]["count"] == 4 and nodes[-12.0]["count"] == 4
    assert len([n for n in data if round(n["loss"], 9) == -24.0]) == 1


def test_a_generator_that_fails_its_loss_check_is_dropped_and_named():
    """Claim ReLU even (it is not): the flip w1 ↦ −w1 and the teacher reflections fail the
    numeric invariance check, are named in ``failed``, and the group falls back to the
    permutations."""
    import dataclasses

    from fixedpoints.numeric.landscape import Landscape

    space = fp.landscape(fp.load_model("relu-teacher", {"d": 3}))
    wrong = dataclasses.replace(space.kernels, parity=("even", "even"))
    sym = detect_symmetry(Landscape(wrong, space.V, space.k))
    assert sym.sign_flips == "none" and "w1↦−w1" in sym.failed
    assert any("↦−v" in f for f in sym.failed)
    assert not sym.teacher_reflections and sym.teacher_order == 6
