"""The one naming rule: one scheme per model, the same names in the flow, in fixed-point
coordinates and in the weights -> overlaps map, at every size (below and above 10)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fixedpoints.errors import ParameterError
from fixedpoints.models import load_model
from fixedpoints.models.naming import OrderParameterNames, indexed_name
from fixedpoints.numeric import overlap_coordinates, state_from_weights
from fixedpoints.symbolic import derive

COMPACT = re.compile(r"^(Q|M)_\d\d$|^a_\d$")
WIDE = re.compile(r"^(Q|M)_\d+_\d+$|^a_\d+$")


@pytest.mark.parametrize("k,m,o", [(2, 3, 1), (9, 9, 1), (1, 11, 1), (12, 2, 1), (3, 2, 2)])
def test_names_round_trip_through_parse(k, m, o):
    names = OrderParameterNames(k, m, o)
    for i in range(k):
        for j in range(k):
            assert names.parse(names.Q(i, j)) == ("Q", tuple(sorted((i, j))))
        for r in range(m):
            assert names.parse(names.M(i, r)) == ("M", (i, r))
        for c in range(o):
            kind, idx = names.parse(names.a(i, c))
            assert kind == "a" and idx[0] == i and (o == 1 or idx[1] == c)


@pytest.mark.parametrize("k", [3, 9, 10, 11, 14])
def test_a_flow_uses_one_scheme_at_every_size(k):
    flow = derive(load_model("multi-index", {"k": k, "n": 1, "target": "He3"}))
    pattern = COMPACT if k < 10 else WIDE
    assert all(pattern.match(n) for n in flow.names), flow.names
    # the scheme is the model's: names are exactly those of OrderParameterNames
    names = OrderParameterNames(1, k)
    assert flow.names == tuple(names.M(0, r) for r in range(k))


def test_wide_models_separate_every_index():
    flow = derive(load_model("soft-committee", {"k": 10, "m": 2}))
    assert "Q_1_2" in flow.names and "M_10_2" in flow.names and "Q_12" not in flow.names


@pytest.mark.parametrize("k,m", [(2, 2), (11, 3)])
def test_weights_to_overlaps_follow_the_flow_names(k, m):
    model = load_model("soft-committee", {"k": k, "m": m})
    flow = derive(model)
    rng = np.random.default_rng(0)
    W, V = rng.standard_normal((k, 5)), rng.standard_normal((m, 5))
    x = state_from_weights(flow.names, W, V)
    coords = overlap_coordinates(W @ W.T, W @ V.T)
    assert set(coords) == set(flow.names)
    assert np.allclose(x, [coords[n] for n in flow.names])


def test_parse_refuses_a_name_of_another_scheme():
    with pytest.raises(ParameterError):
        OrderParameterNames(2, 2).parse("Z_1")
    with pytest.raises(ParameterError):
        OrderParameterNames(12, 2).parse("M_12")  # wide scheme: M_1_2
    assert indexed_name("D", (), compact=True) == ("D", "D")


def test_fixed_point_coordinates_use_the_flow_names_beyond_ten_teachers(capsys):
    """The acceptance case: the coordinates of ``fixed-points`` are exactly the variables of
    ``derive`` for k = 11 index vectors (wide scheme), and both are one scheme."""
    from tests.cli.helpers import run_json

    sets = ["--set", "k=11", "--set", "n=1", "--set", "target=He4", "--set", "beta=0"]
    flow = run_json(capsys, "derive", "multi-index", *sets, "--format", "json")
    res = run_json(capsys, "fixed-points", "multi-index", *sets, "--set", "d=13", "--starts", "4")
    assert all(WIDE.match(n) for n in flow["variables"])
    for point in res["fixed_points"]:
        assert set(point["coordinates"]) == set(flow["variables"])
