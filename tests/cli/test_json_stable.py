"""Same inputs, same seed -> the same bytes on stdout for every verb that computes (no wall clock in
``--json`` unless ``--timing`` asks for it)."""

from __future__ import annotations

import json

import pytest

from tests.cli.helpers import run

CASES = {
    "fixed-points": [
        "fixed-points",
        "multi-index",
        "--set",
        "k=3",
        "--set",
        "beta=0.2",
        "--set",
        "target=He3",
        "--set",
        "d=5",
        "--starts",
        "20",
    ],
    "simulate": ["simulate", "relu-teacher", "--set", "d=4", "--runs", "5", "--t-max", "20"],
    "graph": [
        "graph",
        "multi-index",
        "--set",
        "k=2",
        "--set",
        "beta=0",
        "--set",
        "target=He4",
        "--starts",
        "20",
    ],
    "continue": [
        "continue",
        "multi-index",
        "--set",
        "k=2",
        "--set",
        "target=He4",
        "--set",
        "d=2",
        "--param",
        "beta=0:0.3",
        "--starts",
        "10",
    ],
}


@pytest.mark.parametrize("verb", sorted(CASES))
def test_json_output_is_byte_stable_and_timing_is_opt_in(verb, capsys):
    argv = [*CASES[verb], "--seed", "11", "--json", "--quiet"]
    code1, out1, _ = run(capsys, *argv)
    code2, out2, _ = run(capsys, *argv)
    assert code1 == code2 == 0
    assert out1 == out2
    assert "seconds" not in out1
    code, out, _ = run(capsys, *argv, "--timing")
    doc = json.loads(out)
    seconds = doc.get("seconds", doc.get("summary", {}).get("seconds"))
    assert code == 0 and isinstance(seconds, float) and seconds >= 0
