"""The `graph` verb: the acceptance example (relu-teacher d = 6 in Fix(Δ(S5×S1))), text output,
the plot, and parameter errors."""

from __future__ import annotations

import networkx as nx
import pytest

from tests.cli.helpers import run, run_json

HE4 = ("multi-index", "--set", "k=2", "--set", "beta=0", "--set", "target=He4", "--starts", "40")


def test_graph_relu_teacher_acceptance(capsys):
    doc = run_json(capsys, "graph", "relu-teacher", "--set", "d=6", "--isotropy", "5,1")
    G = nx.node_link_graph(doc, edges="edges")
    sink_losses = [sk["loss"] for sk in doc["summary"]["sinks"]]
    assert any(abs(v) < 1e-8 for v in sink_losses)
    assert any(abs(v - 0.0250805810) < 1e-8 for v in sink_losses)
    for n, a in G.nodes(data=True):
        if a["index"] >= 1:  # every saddle: its unstable eigenspaces followed, both signs
            assert a["unstable_directions"] == a["index"]
            # one flow per stabiliser orbit of starts: never more than the 2·index eigenvectors
            assert 1 <= a["flows"] <= 2 * a["index"] and a["followed"] >= a["flows"]
            assert (
                sum(G.edges[n, t]["count"] for t in G.successors(n)) + a["unresolved"]
                == (a["followed"])
            )
            assert a["unresolved"] == 0
        else:
            assert G.out_degree(n) == 0
    for u, v, e in G.edges(data=True):
        assert G.nodes[v]["loss"] < G.nodes[u]["loss"] and e["loss_drop"] > 0
    assert doc["summary"]["longest_monotone_path"]["edges"] >= 2
    assert "seconds" not in doc  # wall clock only with --timing (byte-stable JSON)


def test_graph_eigenvector_directions_follow_every_eigenvector(capsys):
    doc = run_json(
        capsys,
        "graph",
        "relu-teacher",
        "--set",
        "d=4",
        "--isotropy",
        "3,1",
        "--starts",
        "20",
        "--directions",
        "eigenvectors",
    )
    assert doc["graph"]["directions"] == "eigenvectors"
    for a in doc["nodes"]:
        if a["index"] >= 1:
            assert a["followed"] == a["flows"] == 2 * a["unstable_directions"]
    code, out, err = run(capsys, "graph", *HE4, "--directions", "random", "--quiet")
    assert code == 2 and out == "" and "--directions" in err


def test_graph_text_output_lists_nodes_edges_and_sinks(capsys):
    code, out, _ = run(capsys, "graph", *HE4, "--quiet")
    assert code == 0
    assert "transition graph with" in out and "# sink" in out and "loss drop" in out


def test_graph_plot_is_written(capsys, tmp_path):
    path = tmp_path / "graph.png"
    doc = run_json(capsys, "graph", *HE4, "--plot", path)
    assert path.stat().st_size > 1000
    assert doc["summary"]["edges"] >= 1


@pytest.mark.parametrize(
    ("option", "value", "name"),
    [
        ("--displacement", "0", "--displacement"),
        ("--starts", "0", "--starts"),
        ("--rtol", "2", "--rtol"),
    ],
)
def test_graph_rejects_bad_options(capsys, option, value, name):
    code, out, err = run(capsys, "graph", *HE4, option, value, "--quiet")
    assert code == 2 and out == "" and name in err


def test_graph_rejects_bad_plot_suffix(capsys, tmp_path):
    code, _, err = run(capsys, "graph", *HE4, "--plot", tmp_path / "g.txt", "--quiet")
    assert code == 2 and "--plot" in err
