"""The command-line contract (DESIGN.md §4): verbs, flags, JSON keys, one-line errors, exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from fixedpoints.cli import main
from tests.helpers import PRESETS


def run(argv, capsys):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_presets_json_lists_the_seven_presets_with_parameters(capsys):
    rc, out, _ = run(["presets", "--json"], capsys)
    assert rc == 0
    doc = json.loads(out)
    names = {p["name"] for p in doc["presets"]}
    assert names == PRESETS
    required = {
        "multi-index": {"k", "beta", "target", "n", "loss", "activation"},
        "quadratic": {"d", "m", "teacher_eigenvalues"},
        "relu-teacher": {"d", "k"},
        "linear-two-layer": {"singular_values", "width"},
        "relu-two-layer": {"d", "teacher_coefficients", "width"},
        "soft-committee": {"k", "m", "activation", "T"},
        "mean-field-relu": {"d", "target", "d_H", "particles"},
    }
    for p in doc["presets"]:
        assert required[p["name"]] <= {q["name"] for q in p["parameters"]}
        for q in p["parameters"]:
            assert {"name", "type", "default", "range", "doc"} <= set(q)


def test_presets_text_shows_ranges(capsys):
    rc, out, _ = run(["presets"], capsys)
    assert rc == 0 and "beta" in out and "[0, 1)" in out


def test_derive_multi_index_json_equals_closed_form_at_random_points(capsys):
    rc, out, _ = run(
        [
            "derive",
            "multi-index",
            "--set",
            "k=2",
            "--set",
            "beta=0.3",
            "--set",
            "target=He3",
            "--set",
            "n=1",
            "--format",
            "json",
        ],
        capsys,
    )
    assert rc == 0
    doc = json.loads(out)
    assert {"variables", "parameters", "equations", "loss"} <= set(doc)
    assert doc["variables"] == ["M_11", "M_12"] and len(doc["equations"]) == 2
    m = [sp.Symbol("M_11"), sp.Symbol("M_12")]
    G = [[1, 0.3], [0.3, 1]]
    rng = np.random.default_rng(0)
    for _ in range(5):
        pt = dict(zip(m, rng.uniform(-1, 1, 2), strict=True))
        for j, name in enumerate(doc["variables"]):
            got = float(sp.sympify(doc["equations"][name]).subs(pt))
            ref = sum((G[j][l] - pt[m[j]] * pt[m[l]]) * 18 * pt[m[l]] ** 2 for l in range(2))
            assert abs(got - ref) < 1e-12


def test_derive_soft_committee_latex_is_an_align_environment(capsys):
    argv = ["derive", "soft-committee", "--set", "k=2", "--set", "m=2", "--format", "latex"]
    rc, out, _ = run([*argv, "--expand"], capsys)
    assert rc == 0
    lines = out.strip().splitlines()
    assert lines[0] == r"\begin{align}" and lines[-1] == r"\end{align}"
    assert any(line.startswith(r"\dot{Q}_{12} &=") for line in lines)
    assert any(line.startswith(r"\dot{M}_{21} &=") for line in lines)
    assert any(line.startswith(r"\mathcal{L} &=") for line in lines)
    rc, out, _ = run(argv, capsys)  # the default: the matrix form, the kernel defined once
    assert rc == 0 and r"\dot Q &= -(X + X^\top)" in out and out.count(r"\operatorname{asin}") == 2


def test_derive_leaves_unset_beta_symbolic(capsys):
    rc, out, _ = run(["derive", "multi-index", "--set", "k=2", "--set", "n=1", "--json"], capsys)
    doc = json.loads(out)
    assert rc == 0 and doc["parameters"] == ["beta"]
    assert "beta" in doc["equations"]["M_11"]


def test_derive_json_flag_prints_only_json(capsys):
    rc, out, err = run(["derive", "quadratic", "--json"], capsys)
    assert rc == 0
    json.loads(out)
    assert "derived" in err


def test_derive_reads_a_user_toml_model(tmp_path, capsys):
    f = tmp_path / "mine.toml"
    f.write_text(
        'name = "mine"\nd = "3"\n[parameters.s]\ntype = "real"\ndefault = 2\nmin = 0\n'
        '[student]\nwidth = "1"\nactivation = "linear"\nsecond_layer = "trainable"\n'
        '[teacher]\nwidth = "1"\nactivation = "linear"\nb = "{s}"\noverlap = "identity"\n'
    )
    rc, out, _ = run(["derive", str(f), "--set", "s=3", "--json"], capsys)
    assert rc == 0
    doc = json.loads(out)
    # L = (a w - 3 v)^2 / 2 -> L = a^2 Q/2 - 3 a M + 9/2
    a, Q, M = sp.symbols("a_1 Q_11 M_11")
    assert (
        sp.simplify(sp.sympify(doc["loss"]) - (a**2 * Q / 2 - 3 * a * M + sp.Rational(9, 2))) == 0
    )


def test_derive_ansatz_reduces_the_flow(capsys):
    rc, out, _ = run(
        [
            "derive",
            "soft-committee",
            "--set",
            "k=3",
            "--set",
            "m=3",
            "--ansatz",
            "symmetric",
            "--json",
        ],
        capsys,
    )
    assert rc == 0
    assert json.loads(out)["variables"] == ["D", "O", "R", "S"]


def test_derive_plot_writes_a_figure(tmp_path, capsys):
    png = tmp_path / "fig.png"
    rc, out, _ = run(
        ["derive", "soft-committee", "--plot", str(png), "--time", "2", "--json"], capsys
    )
    assert rc == 0 and png.stat().st_size > 1000
    assert json.loads(out)["plot"]["status"] == "reached-end"


def test_derive_plot_without_cache_derives_once(tmp_path, capsys, monkeypatch):
    """``--plot`` needs the flow itself and ``--no-cache`` keeps nothing: one derivation serves
    the printed equations and the plot."""
    import fixedpoints.symbolic as symbolic

    calls = []
    derive = symbolic.derive
    monkeypatch.setattr(symbolic, "derive", lambda *a, **k: calls.append(1) or derive(*a, **k))
    png = tmp_path / "fig.png"
    argv = ["derive", "soft-committee", "--plot", str(png), "--time", "1", "--no-cache"]
    rc, out, _ = run(argv, capsys)
    assert rc == 0 and out.startswith("# soft-committee: ") and png.is_file()
    assert len(calls) == 1


BAD = [
    (["derive", "no-such-model"], "no-such-model"),
    (["derive", "multi-index", "--set", "zzz=1"], "zzz"),
    (["derive", "multi-index", "--set", "k3"], "NAME=VALUE"),
    (["derive", "soft-committee", "--set", "k=-2"], "`k`"),
    (["derive", "relu-two-layer", "--set", "width=0"], "`width`"),
    (["derive", "multi-index", "--set", "beta=1.5"], "[0, 1)"),
    (["derive", "multi-index", "--set", "beta=-0.1"], "`beta`"),
    (["derive", "multi-index", "--set", "target=He3+Hx4"], "Hx4"),
    (["derive", "multi-index", "--set", "k=4", "--set", "d=2"], "`d`"),
    (["derive", "multi-index", "--set", "loss=hinge"], "`loss`"),
    (["derive", "relu-two-layer", "--set", "width=2", "--ansatz", "symmetric"], "not invariant"),
    (["derive", "soft-committee", "--ansatz", "nonsense"], "ansatz"),
    (["derive", "multi-index", "--plot", "x.png"], "`beta`"),
    (["derive", "soft-committee", "--format", "xml"], "--format"),
]


@pytest.mark.parametrize("argv,needle", BAD, ids=[" ".join(a[1:]) for a, _ in BAD])
def test_bad_input_is_one_line_naming_the_parameter_exit_2(argv, needle, capsys):
    rc, out, err = run(argv, capsys)
    assert rc == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err
    assert "Traceback" not in err


def test_module_entry_point_reports_errors_without_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "fixedpoints", "derive", "multi-index", "--set", "beta=2"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "`beta`" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "fixedpoints", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "fixedpoints" in proc.stdout


def test_study_run_writes_report_and_fails_on_a_wrong_claim(tmp_path, capsys):
    d = tmp_path / "toy"
    d.mkdir()
    (d / "study.py").write_text(
        "import fixedpoints as fp\n"
        "def run():\n"
        "    flow = fp.derive(fp.load_model('quadratic', {'teacher_eigenvalues': '3,2,1'}))\n"
        "    return {'n_vars': flow.dimension, 'wrong': 1.0}\n"
    )
    claims = [
        {
            "id": "n_vars",
            "claim": "Q (3) + M (6)",
            "value": 9,
            "tol": 0,
            "source": "count",
            "provenance": "m=2, m*=3",
        },
        {
            "id": "wrong",
            "claim": "deliberately wrong",
            "value": 2.0,
            "tol": 0.1,
            "source": "-",
            "provenance": "-",
        },
    ]
    (d / "expected.json").write_text(json.dumps({"study": "toy", "claims": claims}))
    rc, out, _ = run(["study", "run", str(d), "--json"], capsys)
    assert rc == 1
    doc = json.loads(out)
    assert [c["pass"] for c in doc["claims"]] == [True, False]
    assert (d / "report" / "report.json").is_file()
    assert r"\begin{tabular}" in (d / "report" / "claims.tex").read_text()


def test_study_run_reports_a_crashing_script_in_one_line(tmp_path, capsys):
    d = tmp_path / "broken"
    d.mkdir()
    (d / "study.py").write_text("def run():\n    return 1 / 0\n")
    (d / "expected.json").write_text('{"claims": []}')
    rc, out, err = run(["study", "run", str(d)], capsys)
    assert rc == 1 and "ZeroDivisionError" in err and len(err.strip().splitlines()) == 1
    rc, _, err = run(["study", "run", str(tmp_path / "missing")], capsys)
    assert rc == 2 and "expected.json" in err


def test_study_run_with_out_leaves_the_study_folder_untouched(tmp_path, capsys, monkeypatch):
    """`study run DIR --out X`: the report, the claims table and the study's figures (a study
    part imported with fp.study_part included) go to X; DIR keeps exactly its files (no report/,
    no __pycache__, even where Python writes bytecode)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    d = tmp_path / "toy"
    d.mkdir()
    (d / "part.py").write_text("VALUE = 3\n")
    (d / "study.py").write_text(
        "from pathlib import Path\n"
        "import fixedpoints as fp\n"
        "def run(report=None):\n"
        "    part = fp.study_part(Path(__file__).parent, 'part')\n"
        "    if report is not None:\n"
        "        report.mkdir(parents=True, exist_ok=True)\n"
        "        (report / 'figure.txt').write_text('figure')\n"
        "    return {'three': part.VALUE}\n"
    )
    claim = {"id": "three", "claim": "", "value": 3, "tol": 0, "source": "-", "provenance": "-"}
    (d / "expected.json").write_text(json.dumps({"study": "toy", "claims": [claim]}))
    before = sorted(p.relative_to(d) for p in d.rglob("*"))
    out = tmp_path / "elsewhere"
    rc, _, _ = run(["study", "run", str(d), "--out", str(out)], capsys)
    assert rc == 0
    assert sorted(p.relative_to(d) for p in d.rglob("*")) == before
    assert sorted(p.name for p in out.iterdir()) == ["claims.tex", "figure.txt", "report.json"]
