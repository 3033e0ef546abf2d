"""``continue --start FILE``: a branch from a given point (issue 20, item 4), and the weights
of given overlaps (numeric.overlaps.weights_from_coordinates)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fixedpoints.errors import ParameterError
from fixedpoints.models.naming import OrderParameterNames
from fixedpoints.numeric.overlaps import overlap_coordinates, weights_from_coordinates
from tests.cli.helpers import run, run_json

MODEL = ("multi-index", "--set", "target=He3+0.5*He4", "--set", "k=3")


@pytest.mark.parametrize("k, m, d", [(2, 3, 6), (3, 2, 4), (4, 4, 9)])
def test_weights_from_coordinates_reproduce_the_overlaps(k, m, d):
    rng = np.random.default_rng(k + m + d)
    V = rng.standard_normal((m, d))
    W = rng.standard_normal((k, d))  # with components outside the teacher span
    names = OrderParameterNames(k, m, 1)
    coords = overlap_coordinates(W @ W.T, W @ V.T, None, names)
    W2, a = weights_from_coordinates(coords, V, names, k)
    assert a is None
    np.testing.assert_allclose(W2 @ W2.T, W @ W.T, atol=1e-10)
    np.testing.assert_allclose(W2 @ V.T, W @ V.T, atol=1e-10)


def test_weights_from_coordinates_refuse_impossible_overlaps():
    V = np.eye(2, 3)
    names = OrderParameterNames(1, 2, 1)
    with pytest.raises(ParameterError, match="not those of weights"):
        weights_from_coordinates({"M_11": 0.9, "M_12": 0.9, "Q_11": 1.0}, V, names, 1)
    with pytest.raises(ParameterError, match="missing M_12"):
        weights_from_coordinates({"M_11": 0.5}, V, names, 1)


def test_continue_from_a_fixed_points_document(capsys, tmp_path):
    doc = run_json(capsys, "fixed-points", *MODEL, "--set", "beta=0")
    best = min(range(len(doc["fixed_points"])), key=lambda i: doc["fixed_points"][i]["loss"])
    path = tmp_path / "points.json"
    path.write_text(json.dumps(doc))
    out = run_json(
        capsys, "continue", *MODEL, "--param", "beta=0:0.99", "--start", path,
        "--start-index", best, "--no-switch",
    )  # fmt: skip
    (branch,) = out["branches"]
    assert branch["label"] == "start"
    first = branch["points"][0]
    assert first["loss"] == pytest.approx(doc["fixed_points"][best]["loss"], abs=1e-10)
    (fold,) = [e for e in branch["events"] if e["kind"] == "fold"]
    # the fold of the near-index minimum (issue 20: AUTO 0.348100259418)
    assert fold["value"] == pytest.approx(0.348100259418, abs=1e-9)
    # one point given as weights: the same branch
    wpath = tmp_path / "weights.json"
    w = np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    wpath.write_text(json.dumps({"weights": w.tolist()}))
    again = run_json(
        capsys, "continue", *MODEL, "--param", "beta=0:0.99", "--start", wpath, "--no-switch"
    )
    assert again["branches"][0]["events"][0]["value"] == pytest.approx(fold["value"], abs=1e-10)


@pytest.mark.parametrize(
    "content, extra, message",
    [
        ("not json", (), "readable JSON"),
        ('{"fixed_points": [{"coordinates": {"M_11": 1}}]}', ("--start-index", "3"), "[0, 0]"),
        ('{"other": 1}', (), "must hold"),
        ('{"weights": [1, 0]}', (), "5 entries"),
        (
            '{"coordinates": {"M_11": 0.1, "M_12": 0.2, "M_13": 0.1}}',
            ("--point", "averaged"),
            "not both",
        ),
    ],
)
def test_bad_start_files_are_refused(capsys, tmp_path, content, extra, message):
    path = tmp_path / "start.json"
    path.write_text(content)
    code, _, err = run(capsys, "continue", *MODEL, "--param", "beta=0:0.5", "--start", path, *extra)
    assert code == 2 and message in err, err
