r"""Queries on a transition graph (:func:`~fixedpoints.graphs.transition.transition_graph`).

The graph is a DAG: every edge lowers the loss (``loss_drop`` > 0). Sinks (out-degree 0) are the
minima and the points whose unstable directions were not followed (index 0, degenerate or not).
"""

from __future__ import annotations

import networkx as nx

__all__ = ["reachable_minima", "plateau_sequence", "minima_gatekeepers", "summary"]

_TOP = "__top__"


def reachable_minima(G: nx.DiGraph, node) -> list:
    """The sinks reachable from ``node`` by monotone (loss-decreasing) flow lines, sorted by loss
    (``node`` itself when it is a sink).

    >>> G = nx.DiGraph([("s", "a"), ("s", "b")])
    >>> nx.set_node_attributes(G, {"s": 1.0, "a": 0.5, "b": 0.0}, "loss")
    >>> reachable_minima(G, "s")
    ['b', 'a']
    """
    reach = nx.descendants(G, node) | {node}
    return sorted((n for n in reach if G.out_degree(n) == 0), key=lambda n: _key(G, n))


def plateau_sequence(G: nx.DiGraph, start) -> list:
    r"""The monotone loss path from ``start``: at each node follow the out-edge whose escape
    direction is the most unstable one (smallest Hessian eigenvalue :math:`\lambda`, the
    direction a small generic perturbation of the saddle grows along fastest, since its
    component grows as :math:`e^{-\lambda t}`); ties go to the larger ``loss_drop``. Ends at a sink.

    Returns
    -------
    list
        Nodes visited, ``start`` first; losses strictly decrease along it.
    """
    path = [start]
    node = start
    while G.out_degree(node):
        node = min(
            G.successors(node),
            key=lambda s: (
                G.edges[node, s].get("eigenvalue", 0.0),
                -G.edges[node, s].get("loss_drop", 0.0),
                _key(G, s),
            ),
        )
        path.append(node)
    return path


def minima_gatekeepers(G: nx.DiGraph) -> dict:
    """For each sink, the nodes every monotone path to it passes through, starting anywhere at
    the top (a node of in-degree 0): its dominators in the graph with a virtual root above all
    top nodes (:func:`networkx.immediate_dominators`). An empty list means the sink is reached
    along at least two disjoint routes (or is itself a top node); ``[s]`` means the sink is
    reached *only* through the saddle ``s``. Listed nearest first."""
    H = nx.DiGraph(G.edges)
    H.add_nodes_from(G)
    H.add_node(_TOP)  # an empty graph has no top node: the root stands alone
    tops = [n for n in G if G.in_degree(n) == 0]
    H.add_edges_from((_TOP, n) for n in tops)
    idom = nx.immediate_dominators(H, _TOP)
    out = {}
    for sink in _sinks(G):
        chain = []
        n = idom.get(sink, _TOP)
        while n != _TOP:
            chain.append(n)
            n = idom[n]
        out[sink] = chain
    return out


def summary(G: nx.DiGraph) -> dict:
    """A JSON-able summary of the graph.

    Returns
    -------
    dict
        ``nodes``, ``edges`` (counts); ``sinks``: per sink ``node``, ``loss``, ``index``, ``kind``,
        ``basin`` (the nodes with a monotone path to it), ``gatekeepers``
        (:func:`minima_gatekeepers`) — a sink is a minimum without out-edges; ``dead_ends``:
        other nodes without out-edges (``node``, ``loss``, ``kind``: flows not resolved);
        ``longest_monotone_path``: the path with the most edges
        (:func:`networkx.dag_longest_path`, every edge weight 1; ties to the first found in
        topological order) with its ``nodes``, ``losses`` and ``edges``;
        ``saddles_followed``, ``directions_followed`` (starts, symmetric copies included),
        ``flows`` (flows integrated: one per stabiliser orbit of starts), ``unresolved`` (starts
        with no identified end), ``unresolved_at_t_max`` (those of them still moving at the flows'
        time limit).
    """
    gate = minima_gatekeepers(G)
    sinks = [
        {
            "node": n,
            "loss": G.nodes[n].get("loss"),
            "index": G.nodes[n].get("index"),
            "kind": G.nodes[n].get("kind"),
            "basin": sorted(nx.ancestors(G, n), key=lambda m: _key(G, m)),
            "gatekeepers": gate[n],
        }
        for n in _sinks(G)
    ]
    longest = nx.dag_longest_path(nx.DiGraph(G.edges), weight="__unit__", default_weight=1)
    if not longest and len(G):
        longest = [min(G, key=lambda n: _key(G, n))]
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "sinks": sinks,
        "dead_ends": [
            {"node": n, "loss": G.nodes[n].get("loss"), "kind": G.nodes[n].get("kind")}
            for n in _dead_ends(G)
        ],
        "longest_monotone_path": {
            "nodes": longest,
            "losses": [G.nodes[n].get("loss") for n in longest],
            "edges": max(0, len(longest) - 1),
        },
        "saddles_followed": sum(1 for n in G if G.nodes[n].get("followed", 0) > 0),
        "directions_followed": sum(G.nodes[n].get("followed", 0) for n in G),
        "flows": sum(G.nodes[n].get("flows", G.nodes[n].get("followed", 0)) for n in G),
        "unresolved": sum(G.nodes[n].get("unresolved", 0) for n in G),
        "unresolved_at_t_max": sum(G.nodes[n].get("unresolved_at_t_max", 0) for n in G),
    }


def _sinks(G):
    """Minima without out-edges (a sink must be a minimum)."""
    return sorted(
        (n for n in G if G.out_degree(n) == 0 and G.nodes[n].get("kind", "minimum") == "minimum"),
        key=lambda n: _key(G, n),
    )


def _dead_ends(G):
    """Nodes other than minima whose flows all stayed unresolved (no out-edge)."""
    return sorted(
        (n for n in G if G.out_degree(n) == 0 and G.nodes[n].get("kind", "minimum") != "minimum"),
        key=lambda n: _key(G, n),
    )


def _key(G, n):
    return (G.nodes[n].get("loss", 0.0), G.nodes[n].get("index", 0), str(n))
