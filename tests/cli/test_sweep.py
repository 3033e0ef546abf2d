"""The verb ``sweep``: grid parsing, up-front validation, real Dask runs on loopback (a local
cluster started by the command and an existing one given by ``--scheduler``), atomic per-point
files, resume after Ctrl-C and after a crash, and the combined table and phase diagram."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from fixedpoints.cli.main import main
from fixedpoints.cli.sweep.grid import parse_grid, point_key
from fixedpoints.cli.sweep.store import flatten_result, write_json_atomic
from fixedpoints.errors import ParameterError
from fixedpoints.models import load_model_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"
# beta_c = (p - 2)/(k + p - 2) of the averaged point of the He_p multi-index model
THRESHOLDS = {(3, "He3"): 1 / 4, (3, "He4"): 2 / 5, (4, "He3"): 1 / 5, (4, "He4"): 1 / 3}
THRESHOLD_SWEEP = ["threshold", "multi-index", "--grid", "k=3,4", "--grid", "target=He3,He4"]
# 15 derivations (about 3 s on one worker): slow enough to be stopped midway
DERIVE_SWEEP = ["derive", "soft-committee", "--grid", "k=1,2,3,4,5", "--grid", "m=1,2,3"]


def run(argv):
    """Run the command line in-process; ``(exit code, stdout, stderr)``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def point_files(out: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in (out / "points").glob("*.json") if not p.name.startswith("."))


def temporaries(out: pathlib.Path) -> list[pathlib.Path]:
    return [p for p in out.rglob(".tmp-*")]


# --- grids ----------------------------------------------------------------------------------------


def test_parse_grid_linspace_is_inclusive_with_clean_floats():
    grid = parse_grid(["beta=0:0.5:11"], load_model_file("multi-index").parameters)
    assert grid == {"beta": [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]}


def test_parse_grid_keeps_integers_for_int_parameters_and_text_otherwise():
    params = load_model_file("multi-index").parameters
    grid = parse_grid(["k=3:5:3", "target=He3,He3+0.5*He4", "beta=0.1,1/3"], params)
    assert grid["k"] == [3, 4, 5] and all(type(v) is int for v in grid["k"])
    assert grid["target"] == ["He3", "He3+0.5*He4"]
    assert grid["beta"] == [0.1, "1/3"]  # numbers where they parse; the model file decides
    assert parse_grid(["k=3,4"], params) == {"k": [3, 4]}
    quad = load_model_file("quadratic").parameters
    assert parse_grid(["teacher_eigenvalues=1,1;1,2"], quad) == {
        "teacher_eigenvalues": ["1,1", "1,2"]
    }


@pytest.mark.parametrize(
    "spec", ["beta", "beta=", "beta=0:1", "beta=0:1:x", "beta=0:1:0", "beta=0.1,0.1", "beta=0.1,"]
)
def test_parse_grid_rejects_malformed_specs_naming_grid(spec):
    with pytest.raises(ParameterError, match="--grid"):
        parse_grid([spec], load_model_file("multi-index").parameters)


def test_parse_grid_rejects_unknown_and_repeated_names():
    params = load_model_file("multi-index").parameters
    with pytest.raises(ParameterError, match=r"unknown parameter `kk`; allowed: k, beta"):
        parse_grid(["kk=1,2"], params)
    with pytest.raises(ParameterError, match="given twice"):
        parse_grid(["k=1,2", "k=3"], params)


def test_point_key_is_stable_safe_and_unique():
    assert point_key({"beta": 0.25, "k": 3}) == "beta=0.25__k=3"
    a = point_key({"target": "He3+0.5*He4"})
    b = point_key({"target": "He3+0.5/He4"})
    assert a != b and a == point_key({"target": "He3+0.5*He4"})
    assert all(c.isalnum() or c in "._+=-" for c in a + b)
    assert len(point_key({"x": "y" * 500})) < 100


# --- validation before anything runs ------------------------------------------------------------


def test_sweep_unknown_parameter_is_exit_2_naming_it(tmp_path):
    code, out, err = run(["sweep", *THRESHOLD_SWEEP, "--grid", "kk=1,2", "--out", tmp_path / "o"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "`kk`" in err and "allowed: k, beta" in err
    assert not (tmp_path / "o").exists()


def test_sweep_out_of_range_value_is_exit_2_with_point_and_range(tmp_path):
    code, _, err = run(
        ["sweep", "threshold", "multi-index", "--grid", "beta=0:1:3", "--out", tmp_path / "o"]
    )
    assert code == 2 and err.count("\n") == 1
    assert "grid point beta=1.0" in err and "`beta`" in err and "[0, 1)" in err
    code, _, err = run(["sweep", *THRESHOLD_SWEEP[:3], "k=0,3", "--out", tmp_path / "o"])
    assert code == 2 and "`k`" in err and "got 0" in err and ">= 1" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "required: --param"),  # the verb's own arguments are checked up front
        (["--", "--param", "beta", "--bogus"], "unrecognized arguments: --bogus"),
        (["--", "--param", "beta", "--seed", "3"], "`--seed` goes before `--`"),
        (["--set", "k=3", "--", "--param", "beta"], "both set (--set) and swept (--grid)"),
        (["--plot", "x.gif", "--", "--param", "beta"], "`--plot` must end in"),
        (["--workers", "0", "--", "--param", "beta"], "`--workers`"),
        (["--scheduler", "foo:bar", "--", "--param", "beta"], "`--scheduler`"),
    ],
)
def test_sweep_rejects_bad_arguments_before_running(tmp_path, extra, message):
    code, _, err = run(["sweep", *THRESHOLD_SWEEP, "--out", tmp_path / "o", *extra])
    assert code == 2 and message in err, err
    assert not (tmp_path / "o").exists()


def test_sweep_refuses_verbs_without_a_model(tmp_path):
    code, _, err = run(["sweep", "presets", "multi-index", "--grid", "k=3", "--out", tmp_path])
    assert code == 2 and "invalid choice: 'presets'" in err and "'threshold'" in err


# --- files ----------------------------------------------------------------------------------------


def test_write_json_atomic_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    write_json_atomic(path, {"v": 1})

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 1}
    assert os.listdir(tmp_path) == ["p.json"]


def test_flatten_result_keeps_scalars_counts_lists_and_summary_numbers():
    row = flatten_result(
        {
            "value": 0.25,
            "expression": "1/4",
            "found": True,
            "missing": None,
            "fixed_points": [{}, {}, {}],
            "summary": {
                "nodes": 4,
                "name": "x",
                "edges": 2.0,
                "outcome_fractions": {"averaged": 0.75, "label": "y", "deep": {"z": 1}},
            },
            "settings": {"k": "3"},
        }
    )
    assert row == {
        "value": 0.25,
        "expression": "1/4",
        "found": True,
        "missing": None,
        "fixed_points.count": 3,
        "summary.nodes": 4,
        "summary.edges": 2.0,
        "summary.outcome_fractions.averaged": 0.75,
    }


def test_phase_diagram_figure_draws_categories_and_marks_failed_points():
    from fixedpoints.export.sweep import phase_diagram_figure, sweep_line_figure

    rows = [
        {"k": 3, "target": "He3", "status": "ok", "kind": "fold"},
        {"k": 4, "target": "He3", "status": "ok", "kind": "branch_point"},
        {"k": 3, "target": "He4", "status": "ok", "kind": "fold"},
        {"k": 4, "target": "He4", "status": "error"},
    ]
    fig = phase_diagram_figure(rows, "k", "target", "kind")
    ax, bar = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["He3", "He4"]
    assert [t.get_text() for t in bar.get_yticklabels()] == ["fold", "branch_point"]
    cells = ax.collections[0].get_array()
    assert list(cells.mask.ravel()) == [False, False, False, True]  # the failed cell is blank
    assert list(cells.data.ravel()[:3]) == [0, 1, 0]
    assert len(ax.lines) == 1  # one cross for the failed point
    line = sweep_line_figure(rows, "k", "k").axes[0].lines[0]
    assert list(line.get_xdata()) == [3.0, 3.0, 4.0]


def test_phase_diagram_figure_overlays_curves_inside_the_grid():
    from fixedpoints.export.sweep import phase_diagram_figure

    rows = [
        {"beta": b, "k": k, "status": "ok", "fraction": float(b > 1 / (k + 1))}
        for b in (0.1, 0.3, 0.5)
        for k in (2, 3)
    ]
    ks = [1.5, 2.0, 3.0, 3.5]
    beta_c = [1 / (k + 1) for k in ks]
    fig = phase_diagram_figure(
        rows,
        "beta",
        "k",
        "fraction",
        curves=[(beta_c, ks, "beta_c"), ([0.2, 0.2], [2, 3], "", "k:")],
    )
    ax = fig.axes[0]
    assert len(ax.lines) == 2  # no crosses: every point succeeded
    assert list(ax.lines[0].get_xdata()) == beta_c and list(ax.lines[0].get_ydata()) == ks
    assert ax.lines[0].get_linestyle() == "-" and ax.lines[1].get_linestyle() == ":"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["beta_c"]
    assert ax.get_xlim() == (0.0, 0.6) and ax.get_ylim() == (1.5, 3.5)  # the grid's cell edges
    plain = phase_diagram_figure(rows, "beta", "k", "fraction").axes[0]
    assert not plain.lines and plain.get_legend() is None  # no curves: unchanged
    with pytest.raises(ValueError, match="a curve is"):
        phase_diagram_figure(rows, "beta", "k", "fraction", curves=[([0.1], [2])])


# --- real runs on a local Dask cluster (loopback) -------------------------------------------------


@pytest.fixture(scope="module")
def threshold_sweep(tmp_path_factory):
    """``sweep threshold`` over k x target on a LocalCluster of 2 worker processes."""
    out = tmp_path_factory.mktemp("sweep") / "runs"
    argv = ["sweep", *THRESHOLD_SWEEP, "--out", out, "--workers", "2", "--json", "--quiet"]
    code, stdout, err = run([*argv, "--", "--param", "beta"])
    assert code == 0, err
    return out, json.loads(stdout), argv


def test_sweep_threshold_grid_gives_closed_form_thresholds(threshold_sweep):
    out, doc, _ = threshold_sweep
    assert (doc["total"], doc["done"], doc["skipped"], doc["failed"]) == (4, 4, 0, 0)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert rows == doc["table"]
    assert [(r["k"], r["target"]) for r in rows] == list(THRESHOLDS)  # grid order
    for r in rows:
        assert r["status"] == "ok" and r["value"] == pytest.approx(THRESHOLDS[r["k"], r["target"]])
        assert r["parameter"] == "beta" and r["range.count"] == 2
    with open(out / "results.csv", newline="") as f:
        table = list(csv.DictReader(f))
    got = {(int(r["k"]), r["target"]): float(r["value"]) for r in table}
    assert got == pytest.approx(THRESHOLDS)
    assert {r["expression"] for r in table} == {"1/4", "2/5", "1/5", "1/3"}


def test_sweep_writes_one_parseable_file_per_point_and_no_temporaries(threshold_sweep):
    out, _, _ = threshold_sweep
    files = point_files(out)
    assert [f.stem for f in files] == sorted(f"k={k}__target={t}" for k, t in THRESHOLDS)
    for f in files:
        rec = json.loads(f.read_text())
        assert rec["status"] == "ok" and rec["exit_code"] == 0
        assert rec["result"]["value"] == pytest.approx(THRESHOLDS[tuple(rec["point"].values())])
    assert temporaries(out) == []
    definition = json.loads((out / "sweep.json").read_text())["sweep"]
    assert definition["verb_args"] == ["--param", "beta"]
    assert definition["grid"] == [["k", [3, 4]], ["target", ["He3", "He4"]]]


def test_sweep_2d_grid_writes_a_phase_diagram(threshold_sweep):
    out, doc, _ = threshold_sweep
    assert doc["plot"] == str(out / "phase_diagram.png") and doc["color"] == "value"
    data = (out / "phase_diagram.png").read_bytes()
    assert data.startswith(PNG) and len(data) > 5000


def test_sweep_rerun_skips_finished_points(threshold_sweep):
    out, _, argv = threshold_sweep
    before = {f.name: f.stat().st_mtime_ns for f in point_files(out)}
    t0 = time.perf_counter()
    code, stdout, err = run([*argv, "--no-plot", "--", "--param", "beta"])
    assert code == 0, err
    doc = json.loads(stdout)
    assert (doc["done"], doc["skipped"], doc["failed"]) == (4, 4, 0)
    assert {f.name: f.stat().st_mtime_ns for f in point_files(out)} == before
    assert time.perf_counter() - t0 < 5  # nothing to run: no cluster is started


def test_sweep_refuses_a_different_sweep_in_the_same_folder(threshold_sweep):
    out, _, _ = threshold_sweep
    before = {f: f.read_bytes() for f in out.rglob("*") if f.is_file()}
    code, _, err = run(
        ["sweep", "threshold", "multi-index", "--grid", "k=3,5", "--grid", "target=He3,He4"]
        + ["--out", out, "--", "--param", "beta"]
    )
    assert code == 2 and "holds a different sweep" in err and "grid" in err
    assert {f: f.read_bytes() for f in out.rglob("*") if f.is_file()} == before


def test_sweep_on_an_existing_scheduler_records_a_failing_point(tmp_path):
    from dask.distributed import LocalCluster

    out = tmp_path / "runs"
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as cluster:
        # block:2,1 is an ansatz of the d = 3 problem only: d = 2 fails, d = 3 succeeds
        argv = ["sweep", "derive", "relu-teacher", "--grid", "d=2,3", "--out", out, "--json"]
        argv += ["--scheduler", cluster.scheduler_address, "--quiet", "--", "--ansatz", "block:2,1"]
        code, stdout, err = run(argv)
        assert code == 1, err  # some points failed
        doc = json.loads(stdout)
        assert (doc["total"], doc["done"], doc["skipped"], doc["failed"]) == (2, 2, 0, 1)
        bad, good = doc["table"]
        assert (bad["d"], bad["status"], bad["exit_code"]) == (2, "error", 2)
        assert "sum to the student width 2" in bad["error"]
        assert (good["d"], good["status"], good["ansatz"]) == (3, "ok", "block:2,1")
        rec = json.loads((out / "points" / "d=2.json").read_text())
        assert rec["status"] == "error" and "`ansatz`" in rec["error"] and rec["result"] is None
        assert (out / "plot.png").read_bytes().startswith(PNG)  # 1-D grid: a line plot

        code, stdout, _ = run(argv)  # failed points stay failed unless asked
        assert code == 1 and json.loads(stdout)["skipped"] == 2
        code, stdout, _ = run([*argv[:-3], "--retry-failed", *argv[-3:]])
        doc = json.loads(stdout)
        assert code == 1 and (doc["skipped"], doc["failed"]) == (1, 1)
    with open(out / "results.csv", newline="") as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["error", "ok"]


# --- stopping midway and resuming ---------------------------------------------------------------


def _start_and_stop(out: pathlib.Path, sig: int) -> tuple[int, str]:
    """Start ``sweep derive`` in its own process group, send ``sig`` to the group (like Ctrl-C in
    a terminal, or a crash of everything) once a point file exists; ``(exit code, stderr)``."""
    argv = [sys.executable, "-m", "fixedpoints", "sweep", *DERIVE_SWEEP, "--out", str(out)]
    argv += ["--workers", "1", "--", "--no-cache"]
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # Ctrl-C as in a terminal, even when the tests themselves run as a background job of a
        # non-interactive shell (which starts them with SIGINT ignored, inherited through exec)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while not point_files(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the sweep ended before it could be stopped"
        os.killpg(proc.pid, sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, err.decode()


def _resume(out: pathlib.Path) -> None:
    """Rerun after a stop: finished points are skipped (files untouched), all end up done."""
    before = {f.name: f.stat().st_mtime_ns for f in point_files(out)}
    assert 1 <= len(before) < 15
    code, stdout, err = run(
        ["sweep", *DERIVE_SWEEP, "--out", out, "--workers", "2", "--json", "--quiet", "--no-plot"]
        + ["--", "--no-cache"]
    )
    assert code == 0, err
    doc = json.loads(stdout)
    assert (doc["total"], doc["done"], doc["skipped"], doc["failed"]) == (15, 15, len(before), 0)
    after = {f.name: f.stat().st_mtime_ns for f in point_files(out)}
    assert len(after) == 15 and {n: after[n] for n in before} == before
    assert temporaries(out) == []
    rows = {(r["k"], r["m"]): r for r in doc["table"]}
    for f in point_files(out):
        rec = json.loads(f.read_text())
        k, m = rec["point"]["k"], rec["point"]["m"]
        n_vars = k * (k - 1) // 2 + k + k * m  # Q (upper triangle) and M
        assert rec["status"] == "ok" and len(rec["result"]["variables"]) == n_vars
        assert rows[k, m]["variables.count"] == n_vars


def test_sweep_stopped_by_ctrl_c_exits_130_and_resumes(tmp_path):
    out = tmp_path / "runs"
    code, err = _start_and_stop(out, signal.SIGINT)
    assert code == 130, err
    assert "interrupted;" in err and "of 15 points done" in err and "rerun" in err
    assert "Traceback" not in err  # workers ignore Ctrl-C; the client closes the cluster
    assert temporaries(out) == []
    _resume(out)


def test_sweep_killed_outright_resumes_from_its_files(tmp_path):
    out = tmp_path / "runs"
    code, _ = _start_and_stop(out, signal.SIGKILL)
    assert code == -signal.SIGKILL
    for f in point_files(out):  # atomic writes: every file there is complete
        assert json.loads(f.read_text())["status"] == "ok"
    _resume(out)


def test_local_cluster_starts_while_port_8787_is_taken(tmp_path):
    """Another Dask cluster (or anything) on the default dashboard port must not stop a sweep:
    LocalCluster(dashboard_address=None) still binds :8787 and fails under -W error."""
    import socket

    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 8787))
        taken.listen()
    except OSError:
        pass  # already taken by something else: the condition under test holds anyway
    try:
        argv = ["sweep", "derive", "relu-teacher", "--grid", "d=3", "--out", tmp_path / "s"]
        code, _, err = run(argv + ["--workers", "1", "--quiet", "--no-plot"])
        assert code == 0, err
    finally:
        taken.close()
