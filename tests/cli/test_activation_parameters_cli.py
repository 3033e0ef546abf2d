"""Parameters inside activations on the command line (issue 20): ``--set target="He3+c*He4"``
makes ``c`` a parameter that ``derive`` prints, ``continue``/``threshold`` follow and ``sweep``
grids, with the numbers of the activation with the value written in."""

from __future__ import annotations

import json
import math

import pytest
import sympy as sp

import fixedpoints as fp
from fixedpoints.api.continuation import continue_fixed_points
from tests.cli.helpers import run, run_json

TARGET = "target=He3+c*He4"
FOLD = 0.348100259418  # the fold of multi-index k = 3, He3+0.5*He4, in beta
BRANCH = 0.333097973518  # the averaged point's index change there


def test_derive_lists_c_as_a_parameter_in_json_and_latex(capsys):
    doc = run_json(capsys, "derive", "multi-index", "--set", TARGET, "--set", "k=2")
    assert doc["parameters"] == ["beta", "c"]
    assert sp.Symbol("c") in sp.sympify(doc["loss"]).free_symbols
    for expr in doc["equations"].values():
        sp.sympify(expr)
    code, tex, err = run(capsys, "derive", "multi-index", "--set", TARGET, "--format", "latex")
    assert code == 0, err
    assert r"c \left(z^{4} - 6 z^{2} + 3\right)" in tex  # sigma(z) with c symbolic
    assert r"c_{\mathcal L} = 1" in tex  # the loss scale is not called c


def test_derive_refuses_x_naming_the_parameter_with_exit_2(capsys):
    code, out, err = run(capsys, "derive", "multi-index", "--set", "target=He3+x*He4")
    assert code == 2 and out == ""
    assert "`target`" in err and "'He3+x*He4'" in err and "pre-activation variable is z" in err


def test_continuation_with_c_free_gives_the_events_of_the_number_written_in():
    model = fp.load_model("multi-index", {"target": "He3+c*He4"})
    result = continue_fixed_points(model, "beta", 0.3, 0.4, params={"c": 0.5}, seed=0, starts=30)
    events = [e for b in result.branches for e in b.events]
    folds = [e.value for e in events if e.kind == "fold" and abs(e.value - FOLD) < 1e-3]
    assert folds and all(abs(v - FOLD) < 1e-10 for v in folds)
    assert any(e.kind == "branch_point" and abs(e.value - BRANCH) < 1e-9 for e in events)


def test_threshold_in_c_is_the_zero_of_the_closed_form_eigenvalue(capsys):
    doc = run_json(
        capsys,
        "threshold",
        "multi-index",
        "--set",
        TARGET,
        "--set",
        "beta=0.3",
        "--param",
        "c=0:1",
    )
    # the averaged point's eigenvalue at beta = 3/10 is -(128 c^2/5 - 12 sqrt(30)/25)
    assert doc["parameter"] == "c" and sp.Symbol("c") in sp.sympify(doc["eigenvalue"]).free_symbols
    assert doc["value"] == pytest.approx(math.sqrt(3 * math.sqrt(30) / 160), abs=1e-8)


def test_threshold_with_c_set_is_the_threshold_of_the_number(capsys):
    doc = run_json(
        capsys,
        "threshold",
        "multi-index",
        "--set",
        TARGET,
        "--set",
        "c=0.5",
        "--param",
        "beta=0:0.99",
    )
    assert doc["value"] == pytest.approx(BRANCH, abs=1e-10)
    assert (doc["index_below"], doc["index_above"]) == (2, 0)


def test_sweep_grids_an_activation_parameter(capsys, tmp_path):
    out = tmp_path / "sweep"
    doc = run_json(
        capsys,
        "sweep",
        "derive",
        "multi-index",
        "--set",
        TARGET,
        "--set",
        "k=2",
        "--grid",
        "c=0.25,0.5",
        "--out",
        out,
        "--workers",
        "1",
        "--no-plot",
    )
    assert [(r["c"], r["status"]) for r in doc["table"]] == [(0.25, "ok"), (0.5, "ok")]
    for f in sorted((out / "points").glob("*.json")):
        rec = json.loads(f.read_text())
        assert rec["result"]["parameters"] == ["beta"]  # c is set at every point
        assert rec["result"]["settings"]["c"] == str(rec["point"]["c"])
