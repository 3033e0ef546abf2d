"""The verb simulate: JSON contract, acceptance examples, plots, errors, and sweeping it."""

from __future__ import annotations

import json
import math

import pytest

from tests.cli.helpers import run, run_json


def test_simulate_relu_teacher_d8_acceptance(capsys):
    doc = run_json(capsys, "simulate", "relu-teacher", "--set", "d=8", "--runs", "200")
    assert len(doc["final_losses"]) == 200 and len(doc["runs"]) == 200
    assert doc["protocol"]["lr"] == pytest.approx(0.625) and doc["protocol"]["init"] == "gaussian"
    frac = doc["summary"]["nonzero_loss_fraction"]
    p = 57 / 500
    assert abs(frac - p) <= 3 * math.sqrt(p * (1 - p) / 200)
    spurious = [x for x in doc["final_losses"] if x > 1e-6]
    assert spurious and all(abs(x - 0.0215080372) < 1e-9 for x in spurious)
    assert doc["summary"]["status_counts"] == {"converged": 200}
    assert all(r["gradient_norm"] < 1e-9 for r in doc["runs"])
    t = doc["trajectory"]
    assert len(t["times"]) == len(t["median"]) and t["times"][0] == 0


def test_simulate_multi_index_outcome_fractions(capsys):
    argv = ["simulate", "multi-index", "--set", "k=3", "--set", "target=He3", "--set", "d=300"]
    hi = run_json(capsys, *argv, "--set", "beta=0.28", "--runs", "60")
    lo = run_json(capsys, *argv, "--set", "beta=0.1", "--runs", "60")
    assert hi["summary"]["outcome_fractions"]["averaged"] >= 0.95
    assert "averaged" not in lo["summary"]["outcome_fractions"]
    assert hi["protocol"]["decoupled"] is True


def test_simulate_labels_final_points_by_a_fixed_point_list(capsys, tmp_path):
    sets = ["--set", "k=3", "--set", "beta=0.1", "--set", "d=5", "--set", "target=He3"]
    fps = run_json(capsys, "fixed-points", "multi-index", *sets)
    path = tmp_path / "fp.json"
    path.write_text(json.dumps(fps))
    doc = run_json(
        capsys, "simulate", "multi-index", *sets, "--runs", "30", "--fixed-points", str(path)
    )
    labels = {o["label"] for o in doc["outcomes"]}
    minima = [i for i, p in enumerate(fps["fixed_points"]) if p["index"] == 0]
    assert any(f"fixed point {i}" in labels for i in minima)


def test_simulate_text_output_and_plot(capsys, tmp_path):
    plot = tmp_path / "sim.png"
    code, out, err = run(
        capsys, "simulate", "relu-teacher", "--set", "d=4", "--runs", "10", "--plot", str(plot)
    )
    assert code == 0, err
    assert "global minimum" in out and plot.stat().st_size > 1000


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--runs", "0"], "--runs"),
        (["--lr", "-1"], "--lr"),
        (["--plot", "out.txt"], "--plot"),
        (["--backend", "cupy"], "pip install"),
        (["--fixed-points", "missing.json"], "--fixed-points"),
        (["--set", "d=0"], "d"),
    ],
)
def test_simulate_bad_input_is_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, "simulate", "relu-teacher", "--runs", "2", *argv)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_sweep_over_simulate_tabulates_the_summary(capsys, tmp_path):
    out = str(tmp_path / "sw")
    argv = ["sweep", "simulate", "relu-teacher", "--grid", "d=4,5", "--out", out, "--workers", "1"]
    code, stdout, err = run(
        capsys, *argv, "--no-plot", "--json", "--quiet", "--", "--runs", "5", "--t-max", "200"
    )
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["done"] == 2
    rows = {row["d"]: row for row in doc["table"]}
    assert set(rows) == {4, 5}
    assert all("summary.nonzero_loss_fraction" in r for r in rows.values())


def test_simulate_quadratic_acceptance_every_run_ends_at_the_top_two_minimum(capsys):
    sets = ["--set", "teacher_eigenvalues=5,3,2", "--set", "d=5", "--set", "m=2"]
    for method in ([], ["--method", "exact"]):
        doc = run_json(capsys, "simulate", "quadratic", *sets, "--runs", "100", *method)
        assert doc["summary"]["status_counts"] == {"converged": 100}
        assert max(abs(v - 2.5) for v in doc["final_losses"]) < 1e-10


def test_simulate_exact_records_at_the_requested_times(capsys):
    doc = run_json(
        capsys, "simulate", "quadratic", "--method", "exact", "--runs", "2", "--times", "0,0.5,2"
    )
    assert doc["trajectory"]["times"] == [0.0, 0.5, 2.0]
    assert set(doc["observables"]) >= {"phi", "overlap", "trace", "log_det_K"}
    assert len(doc["observables"]["phi"]) == 2 and len(doc["observables"]["phi"][0]) == 3
    assert doc["protocol"]["method"] == "exact"


def test_simulate_exact_and_times_errors(capsys):
    code, _, err = run(capsys, "simulate", "soft-committee", "--method", "exact", "--runs", "1")
    assert code == 2 and "method`" in err and "quadratic" in err
    code, _, err = run(capsys, "simulate", "quadratic", "--times", "1,0.5", "--method", "exact")
    assert code == 2 and "times`" in err
    code, _, err = run(capsys, "simulate", "quadratic", "--times", "1,x")
    assert code == 2 and "--times" in err


def test_simulate_mean_field_reduced_and_symmetric(capsys):
    """The mean-field preset with the exact ||P_H x|| target: the reduced model from the same
    draw (d_H + 1 coordinates per neuron) ends near the full one; orbit-closed inits."""
    common = [
        "mean-field-relu",
        "--set",
        "target=norm-subspace",
        "--set",
        "d=8",
        "--set",
        "d_H=2",
        "--set",
        "particles=32",
        "--runs",
        "2",
        "--method",
        "gd",
        "--lr",
        "0.05",
        "--times",
        "0,5",
        "--init",
        "symmetric:reflect:8",
    ]
    full = run_json(capsys, "simulate", *common)
    reduced = run_json(capsys, "simulate", *common, "--reduced")
    assert full["protocol"]["scaling"] == "mean-field" and reduced["protocol"]["reduced"] is True
    assert full["protocol"]["init"] == "symmetric:reflect:8"
    f, r = full["final_losses"], reduced["final_losses"]
    assert all(abs(a - b) < 0.05 * a + 0.01 for a, b in zip(f, r, strict=True))


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--init", "symmetric:mirror"], "--init"),
        (["--init", "symmetric:reflect:9"], "--init"),
        (["--reduced"], "--reduced"),
        (["--set", "particles=6", "--init", "symmetric:flip+reflect:5"], "particles"),
        (["--scaling", "wide"], "--scaling"),
    ],
)
def test_simulate_mean_field_bad_input(capsys, argv, needle):
    code, _, err = run(capsys, "simulate", "mean-field-relu", "--runs", "1", *argv)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
