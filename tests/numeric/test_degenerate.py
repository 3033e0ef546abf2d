"""Degenerate critical points are classified by the loss along their null directions (issue 19,
item 3): the He4 equator (zero Hessian) is the global maximum of -24 Σ m⁴, not a sink."""

from __future__ import annotations

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.numeric.degenerate import null_character
from fixedpoints.results.points import _kind


class _Toy:
    """A landscape with a given batched loss and no constraint."""

    def __init__(self, f):
        self.f = f

    def loss(self, x):
        return self.f(np.asarray(x, dtype=float))

    def retract(self, x):
        return np.asarray(x, dtype=float)


@pytest.mark.parametrize(
    ("f", "kind"),
    [
        (lambda x: np.sum(x**4, axis=-1), "rising"),
        (lambda x: -np.sum(x**4, axis=-1) + 0 * x[..., 0], "falling"),
        (lambda x: x[..., 0] ** 3 + x[..., 1] ** 4, "mixed"),  # odd term: both signs
        (lambda x: x[..., 0] ** 2 * x[..., 1] ** 2, "rising"),  # flat along the axes only
        (lambda x: 0.0 * x[..., 0], "flat"),
    ],
)
def test_null_character_of_polynomials(f, kind):
    x = np.zeros(3)
    ch = null_character(_Toy(f), x, np.eye(3)[:, :2])
    assert ch.kind == kind
    if kind in ("falling", "mixed"):
        assert len(ch.descent) and all(
            f(x + r * v) < 0 for v, r in zip(ch.descent, ch.radii, strict=True)
        )
        assert np.allclose(np.linalg.norm(ch.descent, axis=1), 1.0)
    else:
        assert len(ch.descent) == 0


def test_kind_of_degenerate_points():
    spec = ((0.0, 2), (1.0, 3))
    assert _kind(True, 0, 2, spec, "rising") == "minimum"
    assert _kind(True, 0, 2, spec, "falling") == "saddle"  # three rising eigen-directions
    assert _kind(True, 3, 2, ((0.0, 2), (-1.0, 3)), "falling") == "maximum"
    assert _kind(True, 1, 2, spec, "rising") == "saddle"
    assert _kind(True, 0, 2, spec, "mixed") == "saddle"
    assert _kind(True, 0, 2, spec, "flat") == "degenerate"


def test_he4_equator_is_a_maximum_and_flows_to_the_minimum():
    model = fp.load_model("multi-index", {"k": 2, "beta": 0, "target": "He4"})
    search = fp.find_fixed_points(model, starts=40)
    equator = [p for p in search.points if abs(p.loss) < 1e-12]
    assert len(equator) == 1 and equator[0].degenerate and equator[0].index == 0
    assert equator[0].null_directions == "falling" and equator[0].kind == "maximum"
    assert equator[0].to_dict()["kind"] == "maximum"
    graph = fp.transition_graph(model, starts=40)
    G = graph.graph
    top = next(n for n in G if abs(G.nodes[n]["loss"]) < 1e-12)
    assert G.out_degree(top) >= 1  # followed along its falling null directions
    assert all(G.nodes[s["node"]]["kind"] == "minimum" for s in graph.summary["sinks"])
    assert [s["loss"] for s in graph.summary["sinks"]] == [-24.0]


def test_he3_equator_is_a_saddle():
    model = fp.load_model("multi-index", {"k": 2, "beta": 0, "target": "He3"})
    equator = [p for p in fp.find_fixed_points(model, starts=40).points if abs(p.loss) < 1e-12]
    assert equator and all(p.kind == "saddle" and p.null_directions == "mixed" for p in equator)
