"""Extreme inputs (issue 19, item 5): each ends quickly with a result or one clear line on stderr
naming the parameter, its value and the allowed range, exit code 2."""

from __future__ import annotations

import time

from tests.cli.helpers import run, run_json


def _one_line_error(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_hermite_degree_above_the_limit_is_refused_up_front(capsys):
    t0 = time.perf_counter()
    err = _one_line_error(capsys, "derive", "multi-index", "--set", "target=He200")
    assert time.perf_counter() - t0 < 5
    assert "`target`" in err and "He200" in err and "at most 20" in err
    err = _one_line_error(capsys, "derive", "multi-index", "--set", "activation=z**30")
    assert "`activation`" in err and "degree 30" in err


def test_range_errors_fill_their_templates(capsys):
    err = _one_line_error(
        capsys, "derive", "soft-committee", "--set", "m=2", "--set", "d=1", "--quiet"
    )
    assert "{" not in err and "`d` must be an integer >= 2" in err and "got 1" in err
    err = _one_line_error(capsys, "derive", "quadratic", "--set", "d=1", "--quiet")
    assert "{" not in err and ">= 3" in err


def test_a_parameter_set_twice_is_refused(capsys):
    err = _one_line_error(capsys, "derive", "soft-committee", "--set", "k=3", "--set", "k=4")
    assert "`k`" in err and "k=3" in err and "k=4" in err


def test_a_huge_weight_space_search_is_refused_with_its_cost_and_the_way_out(capsys):
    t0 = time.perf_counter()
    err = _one_line_error(capsys, "fixed-points", "relu-teacher", "--set", "d=200")
    assert time.perf_counter() - t0 < 10
    assert "40000 weights" in err and "12.8 GB" in err
    assert "`--max-weights` is 1024" in err and "`--isotropy`" in err
    err = _one_line_error(capsys, "graph", "relu-teacher", "--set", "d=3", "--max-weights", "-1")
    assert "`--max-weights`" in err and "got -1" in err


def test_derive_refuses_what_the_numeric_verbs_refuse(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\n[student]\nwidth = "2"\nactivation = "erf"\n'
        '[teacher]\nwidth = "2"\nactivation = "erf"\noverlap = "[[1, 2], [2, 1]]"\n'
    )
    for verb in ("derive", "fixed-points"):
        err = _one_line_error(capsys, verb, bad, "--quiet")
        assert "`teacher.overlap` must be positive semi-definite" in err
    kinked = ("multi-index", "--set", "target=tanh", "--set", "activation=step")
    err = _one_line_error(capsys, "derive", *kinked)  # beta free: the kernels do not need it
    assert "step" in err and "kinked" in err
    err = _one_line_error(capsys, "simulate", *kinked, "--set", "beta=0.5", "--runs", "1")
    assert "step" in err and "kinked" in err


def test_a_param_range_outside_the_declared_range_names_it(capsys):
    for verb in ("continue", "threshold"):
        err = _one_line_error(capsys, verb, "multi-index", "--param", "beta=0:1")
        assert "`--param beta` range must lie in [0, 1)" in err and "'0:1'" in err


def test_a_negative_seed_names_the_flag(capsys):
    err = _one_line_error(capsys, "derive", "soft-committee", "--seed", "-1")
    assert "--seed" in err and "-1" in err and "[0, 2**63 - 1]" in err


def test_an_unwritable_plot_is_refused_before_the_work(capsys, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    t0 = time.perf_counter()
    for verb in (("derive", "soft-committee"), ("simulate", "soft-committee", "--runs", "1")):
        err = _one_line_error(capsys, *verb, "--plot", blocker / "x.png")
        assert "`--plot` must be a writable file path" in err and "x.png" in err
    err = _one_line_error(capsys, "derive", "soft-committee", "--plot", tmp_path)
    assert "`--plot` must end in .png" in err
    assert time.perf_counter() - t0 < 10


def test_threshold_without_an_index_change_reports_none(capsys):
    argv = ("threshold", "multi-index", "--set", "target=He2", "--param", "beta")
    doc = run_json(capsys, *argv)
    assert doc["value"] is None and doc["expression"] is None and doc["status"] == "not-found"
    assert doc["index_below"] == doc["index_above"] and "no threshold" in doc["message"]
    assert "not a threshold" in doc["symbolic_status"]


def test_gradient_descent_with_a_huge_step_diverges(capsys):
    argv = ("simulate", "relu-teacher", "--set", "d=3", "--method", "gd", "--lr", "1e6")
    doc = run_json(capsys, *argv, "--runs", "3")
    assert doc["summary"]["status_counts"] == {"diverged": 3}


def test_an_explicit_step_with_gradient_flow_is_refused(capsys):
    argv = ("simulate", "relu-teacher", "--set", "d=3", "--method", "flow", "--lr", "0.1")
    err = _one_line_error(capsys, *argv)
    assert "`--lr`" in err and "'flow'" in err and "0.1" in err
    doc = run_json(capsys, "simulate", "relu-teacher", "--set", "d=2", "--method", "flow")
    assert doc["protocol"]["lr"] is None  # the preset's gd step is not echoed


def test_sweep_checks_the_verb_arguments_before_it_starts(capsys, tmp_path):
    out = tmp_path / "sweep"
    argv = ("sweep", "threshold", "multi-index", "--grid", "k=3,4", "--out", out)
    err = _one_line_error(capsys, *argv, "--", "--param", "gamma")
    assert "grid point k=3" in err and "'gamma'" in err and "--param" in err
    assert not out.exists()


def test_long_work_reports_on_stderr_when_it_is_not_a_terminal(capsys, monkeypatch):
    from fixedpoints.cli import io

    monkeypatch.setattr(io, "LOG_AFTER", 0.0)
    code, out, err = run(capsys, "simulate", "soft-committee", "--runs", "3", "--json")
    assert code == 0 and out.lstrip().startswith("{")  # stdout: the JSON document only
    lines = err.strip().splitlines()
    assert lines[0].startswith("fixedpoints simulate: 3 runs of 2×4 weights, flow")
    assert "ETA" in err and lines[-1].startswith("fixedpoints simulate: done in")
    assert lines[-1].endswith(": 3 of 3 runs finished")
    code, out, err = run(capsys, "simulate", "soft-committee", "--runs", "3", "--quiet")
    assert code == 0 and err == ""


def test_a_bar_opened_ahead_of_its_work_times_the_work(capsys, monkeypatch):
    """The graph opens its flow bar before the search: a first report of nothing done starts the
    clock, so the ETA is the flows' own (50 of 100 done 10 s after they started: ETA 10 s, not
    the 110 s since the bar was opened)."""
    import argparse

    from fixedpoints.cli import io

    now = [0.0]
    monkeypatch.setattr(io.time, "monotonic", lambda: now[0])
    bar = io.Progress(argparse.Namespace(quiet=False), desc="graph", unit="flows")
    now[0] = 100.0
    bar(0, 100)
    now[0] = 110.0
    bar(50, 100)
    bar.close()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "fixedpoints graph: 50 of 100 flows after 10 s, ETA 10 s"
    assert lines[-1] == "fixedpoints graph: done in 10 s: 50 of 100 flows"
