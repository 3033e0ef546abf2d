"""The ``saddle-to-saddle`` verb: both acceptance examples, options and bad input."""

from __future__ import annotations

import pytest

from tests.cli.helpers import run, run_json


def test_saddle_to_saddle_linear_acceptance(capsys):
    doc = run_json(
        capsys, "saddle-to-saddle", "linear-two-layer", "--set", "singular_values=3,2,1,0.5"
    )
    assert [p["loss"] for p in doc["plateaus"]] == [7.125, 2.625, 0.625, 0.125, 0.0]
    assert [p["time"] for p in doc["plateaus"]] == [
        0.0,
        pytest.approx(1 / 3, abs=1e-9),
        0.5,
        1.0,
        2.0,
    ]
    assert all("active" in p for p in doc["plateaus"])


def test_saddle_to_saddle_relu_acceptance(capsys):
    doc = run_json(
        capsys,
        "saddle-to-saddle",
        "relu-two-layer",
        "--set",
        "d=5",
        "--set",
        "teacher_coefficients=1,-0.5",
        "--delta",
        "1e-6",
    )
    ps = doc["plateaus"]
    assert [round(p["loss"], 5) for p in ps] == [0.23292, 0.04429, 0.0]
    assert [round(p["time"], 4) for p in ps[:2]] == [0.0, 2.3024]
    # exact 5.45925 (the 5.4600 rounds N0-, N1- to 3 digits; see tests/graphs)
    assert ps[2]["time"] == pytest.approx(5.4600, abs=1e-3)
    assert ps[1]["t"] == pytest.approx(ps[1]["time"] * 13.815510558, rel=1e-9)
    assert doc["method"].startswith("population")


def test_saddle_to_saddle_text_and_plot(capsys, tmp_path):
    code, out, err = run(
        capsys, "saddle-to-saddle", "linear-two-layer", "--plot", tmp_path / "s.png", "--quiet"
    )
    assert code == 0, err
    assert "7.125" in out and (tmp_path / "s.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["linear-two-layer", "--delta", "2"], "--delta"),
        (["linear-two-layer", "--starts", "0"], "--starts"),
        (["linear-two-layer", "--set", "singular_values=a"], "singular_values"),
        (["soft-committee"], "second layer"),
    ],
)
def test_saddle_to_saddle_bad_input_is_one_line_exit_2(capsys, argv, name):
    code, out, err = run(capsys, "saddle-to-saddle", *argv, "--quiet")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and name in err
