"""Transition graphs: an exactly understood case (Şimşek et al. 2025, He4, β = 0), an independent
check of an edge by SciPy integration, the queries on a hand-made graph, and the JSON round trip."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import fixedpoints as fp
from fixedpoints.api import find_fixed_points, landscape
from fixedpoints.errors import ParameterError
from fixedpoints.graphs import (
    minima_gatekeepers,
    plateau_sequence,
    reachable_minima,
    summary,
    transition_graph,
    unstable_directions,
)
from fixedpoints.graphs.starts import escape_radius, saddle_starts
from fixedpoints.graphs.transition import _integrate
from fixedpoints.models import load_model_file
from fixedpoints.numeric.simulate import StopRule
from fixedpoints.numeric.symmetry import detect_symmetry, orbit_key


@pytest.fixture(scope="module")
def he4():
    """One spherical neuron, correlation loss with target He4 and k = 2 orthogonal index vectors
    (d = 4). Fixed points (papers/simsek_2025_multi_index.md §4, scaled by E[He4²] = 4! = 24):
    minima w = ±v_j (L = -24), index-1 saddles w = (±v_1 ± v_2)/√2 (L = -12), and the degenerate
    equator w ⊥ v_1, v_2 (L = 0)."""
    model = load_model_file("multi-index").instantiate(["k=2", "beta=0", "target=He4"])
    space = landscape(model, {})
    res = find_fixed_points(model, {}, starts=40, seed=0)
    return space, transition_graph(space, res.points)


def test_transition_graph_he4_saddles_flow_to_the_minima(he4):
    _, G = he4
    losses = sorted(G.nodes[n]["loss"] for n in G)
    assert losses[0] == pytest.approx(-24, abs=1e-8)
    saddles = [n for n in G if G.nodes[n]["index"] == 1]
    # (v_1 + v_2)/√2 and (v_1 - v_2)/√2 are one node: the overlap_signature (|M| under sign flips) sees
    # the reflection v_2 -> -v_2, a symmetry of the even target outside the detected group
    assert len(saddles) == 1 and G.nodes[saddles[0]]["loss"] == pytest.approx(-12)
    for s in saddles:
        # one unstable direction, both signs followed, both reach the minima orbit (L = -24)
        assert G.nodes[s]["unstable_directions"] == 1 and G.nodes[s]["followed"] == 2
        (t,) = G.successors(s)
        assert G.nodes[t]["loss"] == pytest.approx(-24, abs=1e-8)
        assert G.edges[s, t]["count"] == 2
        assert G.edges[s, t]["loss_drop"] == pytest.approx(12, abs=1e-8)
    sinks = {sk["node"]: sk for sk in summary(G)["sinks"]}
    minimum = min(G, key=lambda n: G.nodes[n]["loss"])
    # the equator (L = 0, zero Hessian) is the maximum of -24 Σ m⁴: followed along its falling
    # null directions, it drains into the minimum too
    (top,) = [n for n in G if G.nodes[n]["kind"] == "maximum"]
    assert G.nodes[top]["loss"] == pytest.approx(0, abs=1e-12)
    assert sorted(sinks[minimum]["basin"]) == sorted([*saddles, top])


def test_transition_graph_edges_go_down_and_graph_is_acyclic(he4):
    _, G = he4
    assert nx.is_directed_acyclic_graph(G)
    for u, v, e in G.edges(data=True):
        assert G.nodes[u]["loss"] - G.nodes[v]["loss"] == pytest.approx(e["loss_drop"])
        assert e["loss_drop"] > 0 and e["transit_time"] > 0


def test_transition_graph_edge_agrees_with_scipy_solve_ivp(he4):
    space, G = he4
    s = next(n for n in G if G.nodes[n]["index"] == 1)
    x = np.array(G.nodes[s]["weights"])
    lam, V = unstable_directions(space, x)
    assert lam.size == 1 and lam[0] < 0
    x0 = space.retract(x + 1e-3 * V[0])
    (t,) = G.successors(s)
    sol = solve_ivp(
        lambda _, y: -space.gradient(space.retract(y)),
        (0, 10 * G.edges[s, t]["transit_time"]),
        x0,
        method="LSODA",
        rtol=1e-10,
        atol=1e-12,
    )
    end = space.retract(sol.y[:, -1])
    assert float(space.loss(end)) == pytest.approx(G.nodes[t]["loss"], abs=1e-7)
    assert np.linalg.norm(space.gradient(end)) < 1e-5


def test_transition_graph_rejects_bad_displacement(he4):
    space, _ = he4
    with pytest.raises(ParameterError, match="displacement"):
        transition_graph(space, [], displacement=0.0)


@pytest.mark.parametrize("rtol", [0.0, 1.0, -1e-4])
def test_transition_graph_rejects_a_tolerance_outside_the_unit_interval(he4, rtol):
    space, _ = he4
    with pytest.raises(ParameterError, match="rtol"):
        transition_graph(space, [], rtol=rtol)


def test_the_flow_tolerance_reaches_the_flows_and_keeps_the_graph(he4):
    """The default rtol 1e-4 against 1e-8 on the He4 landscape: the same nodes, edges and counts
    (every flow reaches the basin it reaches at 1e-8), the transit times within 1% of each other
    (0.5% measured; with the absolute tolerance 1e-7 the fast escape from the index-1 saddle
    took 1.02 instead of 0.255: the stop test |grad| < 1e-6 needs the state resolved below it)
    but not equal (the tolerance is the flows' own)."""
    space, G = he4
    points = find_fixed_points(
        load_model_file("multi-index").instantiate(["k=2", "beta=0", "target=He4"]),
        {},
        starts=40,
        seed=0,
    ).points
    tight = transition_graph(space, points, rtol=1e-8)

    def shape(H):
        return sorted(
            (round(H.nodes[u]["loss"], 8), round(H.nodes[v]["loss"], 8), e["count"])
            for u, v, e in H.edges(data=True)
        )

    assert shape(tight) == shape(G) and tight.number_of_nodes() == G.number_of_nodes()
    t_default = sorted(e["transit_time"] for *_, e in G.edges(data=True))
    t_tight = sorted(e["transit_time"] for *_, e in tight.edges(data=True))
    np.testing.assert_allclose(t_default, t_tight, rtol=1e-2)
    assert t_default != t_tight


def _hand_made():
    G = nx.DiGraph()
    for n, loss, index in [("top", 3.0, 2), ("s1", 2.0, 1), ("s2", 1.5, 1), ("a", 0.0, 0)]:
        G.add_node(n, loss=loss, index=index, kind="minimum" if index == 0 else "saddle")
    G.add_node("b", loss=0.5, index=0, kind="minimum")
    G.add_edge("top", "s1", loss_drop=1.0, eigenvalue=-2.0)
    G.add_edge("top", "s2", loss_drop=1.5, eigenvalue=-0.5)
    G.add_edge("s1", "a", loss_drop=2.0, eigenvalue=-1.0)
    G.add_edge("s2", "a", loss_drop=1.5, eigenvalue=-0.1)
    G.add_edge("s2", "b", loss_drop=1.0, eigenvalue=-0.1)
    return G


def test_queries_on_a_hand_made_graph():
    G = _hand_made()
    assert reachable_minima(G, "top") == ["a", "b"]
    assert reachable_minima(G, "s1") == ["a"]
    assert reachable_minima(G, "b") == ["b"]
    # the most unstable escape first: top -> s1 (λ = -2), then s1 -> a
    assert plateau_sequence(G, "top") == ["top", "s1", "a"]
    # equal eigenvalues: the larger loss drop wins
    assert plateau_sequence(G, "s2") == ["s2", "a"]
    gate = minima_gatekeepers(G)
    assert gate["b"] == ["s2", "top"]  # b is reached only through s2
    assert gate["a"] == ["top"]  # a along two routes below the top
    s = summary(G)
    assert [sk["node"] for sk in s["sinks"]] == ["a", "b"]
    assert s["sinks"][1]["basin"] == ["s2", "top"]
    assert s["longest_monotone_path"]["edges"] == 2
    assert s["longest_monotone_path"]["nodes"][0] == "top"


def test_transition_graph_node_link_json_round_trip(he4):
    _, G = he4
    doc = json.loads(json.dumps(nx.node_link_data(G, edges="edges")))
    H = nx.node_link_graph(doc, edges="edges")
    assert sorted(H.nodes) == sorted(G.nodes) and sorted(H.edges) == sorted(G.edges)
    for n in G:
        assert H.nodes[n] == G.nodes[n]
    for u, v in G.edges:
        assert H.edges[u, v] == G.edges[u, v]


def test_nodes_found_by_the_flow_are_classified_and_counted():
    """With one search start most nodes come from the flow: each is classified (kind) and
    counted as an orbit of S4×S4 (count divides (4!)^2)."""
    g = fp.transition_graph(
        fp.load_model("relu-teacher", {"d": 4}), isotropy="3,1", starts=1, seed=0
    )
    flow = [n for n in g.data["nodes"] if n["source"] == "flow"]
    assert flow
    for n in flow:
        assert n["kind"] in ("minimum", "saddle", "maximum", "degenerate")
        assert 576 % n["count"] == 0 and n["isotropy"]


@pytest.mark.parametrize("workers", [1, 2])
def test_flow_ends_found_twice_in_a_round_are_one_node(workers):
    """The ends are settled against the nodes known before their round (in the workers) and
    finished in order against the nodes added since: a node first found by a flow and reached by
    other flows of the same round is one node, so no two nodes share an orbit, and every flow
    found node is reached by an edge."""
    model = fp.load_model("relu-teacher", {"d": 5})  # 3 nodes found by flows, 2 ends reach them
    g = fp.transition_graph(model, isotropy="3,2", starts=1, seed=0, workers=workers)
    space = landscape(model, {})
    sym = detect_symmetry(space, seed=0)
    nodes = g.data["nodes"]
    keys = [orbit_key(space, np.array(n["weights"]), sym, tol=1e-3) for n in nodes]
    for i in range(len(nodes)):
        for j in range(i):
            if abs(nodes[i]["loss"] - nodes[j]["loss"]) <= 1e-6 * (1 + abs(nodes[i]["loss"])):
                assert not keys[i].same(keys[j]), (i, j)
    reached = {e["target"] for e in g.data["edges"]}
    flow = [n["id"] for n in nodes if n["source"] == "flow"]
    assert flow and set(flow) <= reached
    counts = {}
    for e in g.data["edges"]:
        counts[e["target"]] = counts.get(e["target"], 0) + len(e["directions"])
    assert max(counts[n] for n in flow) >= 2  # some flow found node is reached more than once


def test_weakly_unstable_directions_start_far_enough_to_be_followed():
    """A start's gradient must exceed the stop test and its escape fit in t_max: along
    eigenvalue -1e-4 with gradient_tol 1e-6 and t_max 1e4 the radius is 0.02 (2e-6/1e-4; the
    reach 0.1 e^(-0.5) = 0.061 is larger, so 0.061), along -0.1 it is 2e-5 (below the
    displacement), along -1e-6 at most the reach 0.1; relu-teacher d = 5 from Fix(Δ(S3×S2)): every start is resolved (6 stopped
    where they started at the displacement 1e-3 alone)."""
    assert escape_radius(-1e-4, 1e-6, 1e4) == pytest.approx(0.1 * np.exp(-0.5))
    assert escape_radius(-1e-4, 1e-6, 1e6) == pytest.approx(0.02)
    assert escape_radius(-0.1, 1e-6, 1e4) == pytest.approx(2e-5)
    assert escape_radius(0.0, 1e-6, 1e4) == 0.0 and escape_radius(0.3, 1e-6, 1e4) == 0.0
    assert escape_radius(-1e-6, 1e-6, 1e4) == 0.1  # 2 by the gradient: capped at the reach
    g = fp.transition_graph(fp.load_model("relu-teacher", {"d": 5}), isotropy="3,2", starts=1)
    assert all(n["unresolved"] == 0 for n in g.data["nodes"]) and g.data["edges"]
    weak = [n for n in g.data["nodes"] if any(-2e-3 < v < 0 for v in n["eigenvalues"])]
    assert weak and all(n["followed"] > 0 for n in weak)


def test_a_flow_still_sliding_down_a_flat_basin_reaches_its_minimum():
    """soft-committee k = m = 6: flows from the index-9 saddle at loss 0.0832 are at t_max in the
    flat basin of a minimum at 0.0794256 (smallest Hessian eigenvalue 1e-5), 0.07-0.47 from it;
    their polish is accepted (convex at the end, a minimum below it), and that minimum is a sink
    reached by an edge (before: the starts were unresolved and it was no node)."""
    g = fp.transition_graph(fp.load_model("soft-committee", {"k": 6, "m": 6}), seed=0, workers=2)
    nodes = g.data["nodes"]
    flat = [n for n in nodes if abs(n["loss"] - 0.07942557469) < 1e-9]
    assert len(flat) == 1 and flat[0]["index"] == 0 and flat[0]["source"] == "flow"
    assert any(e["target"] == flat[0]["id"] for e in g.data["edges"])
    assert all(abs(n["loss"] - 0.07942557469) > 1e-6 or n is flat[0] for n in nodes)
    # the starts left unresolved are flows still passing the index-1 saddle at 0.0794544 at t_max
    s = g.summary
    assert 0 < s["unresolved_at_t_max"] <= s["unresolved"]
    assert s["unresolved_at_t_max"] == sum(n["unresolved_at_t_max"] for n in nodes)


def test_a_starts_flow_does_not_depend_on_the_starts_beside_it(he4):
    """Per-run steps: each start's end point and transit time are the ones it has alone, whatever
    other starts share the batch (with one shared step the stiffest start set everyone's steps)."""
    space, G = he4
    s = next(n for n in G if G.nodes[n]["index"] == 1)
    x = np.array(G.nodes[s]["weights"])
    _, V = unstable_directions(space, x)
    rng = np.random.default_rng(0)
    starts = [space.retract(x + sign * 1e-3 * V[0]) for sign in (1.0, -1.0)]
    starts += [space.random_start(rng) for _ in range(4)]
    stop = StopRule(gradient_tol=1e-6, t_max=1e4)
    ends, times, status, _ = _integrate(space, np.array(starts), stop, None)
    for i in (0, 1, 3):
        e1, t1, s1, _ = _integrate(space, np.array(starts[i : i + 1]), stop, None)
        np.testing.assert_allclose(e1[0], ends[i], rtol=0, atol=1e-12)
        assert t1[0] == pytest.approx(times[i], rel=1e-12) and s1[0] == status[i]


def test_the_graph_does_not_depend_on_the_number_of_workers():
    """The flows of relu-teacher d = 4 (seeded from Fix(Δ(S3×S1))) on 1 and on 3 forked
    processes: the same nodes, edges, counts and transit times (every start has its own step
    control; the chunks are interleaved samples of the batch)."""
    model = fp.load_model("relu-teacher", {"d": 4})
    one, three = (
        fp.transition_graph(model, isotropy="3,1", starts=20, seed=0, workers=w) for w in (1, 3)
    )
    assert one.summary["directions_followed"] >= 6  # enough starts for three workers
    assert one.data == three.data
    with pytest.raises(ParameterError, match="workers"):
        fp.transition_graph(model, isotropy="3,1", starts=2, workers=0)


def test_starts_of_one_stabiliser_orbit_reach_one_node():
    """What lets the graph integrate one start per orbit: from saddles of relu-teacher d = 5
    (Fix(Δ(S4×S1)), degenerate unstable eigenspaces), every projected axis of one orbit is
    integrated and all reach the same node (loss, orbit). Free flows agree in their transit
    times only up to round-off amplified near the saddles they pass (2% apart here); flows
    confined to their fixed spaces agree in the time too."""
    from fixedpoints.numeric.symmetry import (
        detect_symmetry,
        orbit_key,
        stabiliser_maps,
        symmetric_directions,
        young_isotropy,
    )

    model = fp.load_model("relu-teacher", {"d": 5})
    space = landscape(model, {})
    res = find_fixed_points(model, {}, isotropy="4,1", starts=20, seed=0)
    sym = detect_symmetry(space)
    stop = StopRule(gradient_tol=1e-6, t_max=1e4)
    checked = 0
    iso = young_isotropy("4,1", space.d)
    for p in sorted(res.points, key=lambda p: p.loss):
        x = iso.weights(p.x).ravel()
        lam, V = unstable_directions(space, x)
        if lam.size < 2:
            continue
        maps = stabiliser_maps(space, x, orbit_key(space, x, sym))
        run = np.flatnonzero(np.abs(lam - lam[0]) < 1e-8 * max(1, abs(lam[0])))
        D = symmetric_directions(V[run], maps)
        big = int(np.argmax(D.sizes))
        if run.size < 2 or D.sizes[big] < 2:
            continue
        members = np.flatnonzero(D.orbit == big)
        X0 = np.array([space.retract(x + 1e-3 * D.vectors[i]) for i in members])
        for confined in (False, True):
            fixed = [D.fixed_classes(i, maps) for i in members] if confined else None
            ends, times, status, _ = _integrate(space, X0, stop, None, 1, fixed)
            # unpolished ends (|grad| < 1e-6) compared as the graph matches them: match_tol
            keys = [orbit_key(space, e, sym, tol=1e-3) for e in ends]
            losses = [float(space.loss(e)) for e in ends]
            assert all(s == "converged" for s in status)
            assert all(keys[0].same(k) for k in keys[1:])
            np.testing.assert_allclose(losses, losses[0], rtol=1e-9, atol=1e-8)
            if confined:  # on its fixed space no round-off grows: the same time as well
                np.testing.assert_allclose(times, times[0], rtol=1e-6)
        checked += 1
        if checked == 2:
            break
    assert checked >= 1


def test_symmetric_and_eigenvector_directions_agree_where_the_eigenspaces_are_simple(he4):
    """He4 (one unstable eigenvector per saddle): both direction sets follow ±v, one flow for
    the pair where a reflection maps v to -v, and give the same graph; an unknown set is
    refused naming the parameter."""
    space, G = he4
    model = load_model_file("multi-index").instantiate(["k=2", "beta=0", "target=He4"])
    points = find_fixed_points(model, {}, starts=40, seed=0).points
    E = transition_graph(space, points, directions="eigenvectors")
    assert sorted(E.edges) == sorted(G.edges)
    for u, v in G.edges:
        assert E.edges[u, v]["count"] == G.edges[u, v]["count"]
    assert sum(E.nodes[n]["flows"] for n in E) >= sum(G.nodes[n]["flows"] for n in G)
    with pytest.raises(ParameterError, match="directions"):
        transition_graph(space, points, directions="random")


def test_a_confined_flow_is_the_flow_inside_its_fixed_space():
    """``confine``: from the ΔS4 index-3 saddle of relu-teacher d = 4 the free flow slides past
    the Δ(S3×S1) index-1 saddle (to the global minimum, once round-off has grown); confined to
    the fixed space of its start it ends on that saddle — as SciPy's LSODA finds integrating the
    restricted gradient
    :math:`\\dot\\xi=-B^\\top\\nabla\\mathcal L(B\\xi)` in the coordinates ξ of the fixed space."""
    from fixedpoints.numeric.symmetry import classes_basis

    model = fp.load_model("relu-teacher", {"d": 4})
    free, confined = (
        fp.transition_graph(model, isotropy="3,1", starts=20, seed=0, confine=c)
        for c in (False, True)
    )
    with pytest.raises(ParameterError, match="confine"):
        fp.transition_graph(model, isotropy="3,1", directions="eigenvectors", confine=True)

    def targets(g, loss):
        G = g.graph
        (s,) = [n for n in G if abs(G.nodes[n]["loss"] - loss) < 1e-5]
        return sorted(round(G.nodes[t]["loss"], 6) for t in G.successors(s)), G.nodes[s]

    top = 0.037653  # ΔS4, index 3 (one three-dimensional unstable eigenspace)
    (end,), node = targets(confined, top)
    assert end == pytest.approx(0.023958, abs=1e-6) and node["index"] == 3
    assert confined.graph.graph["confined"] and confined.summary["nodes"] > free.summary["nodes"]
    # the same flow by LSODA inside the fixed space of the start
    space = landscape(model, {})
    sym = detect_symmetry(space)
    x = np.array(node["weights"])
    lam, starts = saddle_starts(space, sym, x, 1e-7, "saddle", 3, "symmetric", True)
    (st,) = starts
    B = classes_basis(*st.fixed)
    xi0 = B.T @ space.retract(x + 1e-3 * st.vector)
    sol = solve_ivp(
        lambda _, xi: -B.T @ space.gradient(B @ xi),
        (0, 1e4),
        xi0,
        method="LSODA",
        rtol=1e-10,
        atol=1e-12,
    )
    assert float(space.loss(B @ sol.y[:, -1])) == pytest.approx(end, abs=1e-6)
