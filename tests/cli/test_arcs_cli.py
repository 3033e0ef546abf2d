"""The `arcs` verb: relu-teacher d = 6 (the Safran–Shamir minimum and its index-1 saddle), text,
plot and JSON output, parameter errors; and `study run --slow` for slow claims."""

from __future__ import annotations

import json

from tests.cli.helpers import run, run_json

ARGS = ("relu-teacher", "--set", "d=6", "--from", "5,1", "--isotropy", "4,1,1", "--starts", "60")


def test_arcs_json_crossings_are_saddles_then_minima(capsys):
    doc = run_json(capsys, "arcs", *ARGS, "--r-max", "2.0")
    centers = {round(c["loss"], 10): c for c in doc["centers"]}
    fa = centers[0.025080581]  # F_A at d = 6 (digest §3.2)
    crossings = [c for a in fa["arcs"] for c in a["crossings"]]
    assert [(c["index"], round(c["barrier"], 6)) for c in crossings[:2]] == [
        (1, 1.2e-05),
        (0, -0.025081),
    ]
    assert all(a["status"] == "reached-end" and a["mu"][0] > 0 for a in fa["arcs"])


def test_arcs_text_and_plot(tmp_path, capsys):
    png = tmp_path / "arcs.png"
    code, out, _ = run(capsys, "arcs", *ARGS, "--point", "1", "--r-max", "0.5", "--plot", str(png))
    assert code == 0 and png.stat().st_size > 0
    assert "tangency arcs in Fix(4,1,1)" in out and "arc 0+" in out


def test_arcs_bad_input_names_the_flag(capsys):
    code, out, err = run(capsys, "arcs", *ARGS, "--point", "99")
    assert code == 2 and "`--point`" in err and out == ""
    code, _, err = run(capsys, "arcs", *ARGS, "--directions", "0")
    assert code == 2 and "`--directions`" in err
    code, _, err = run(
        capsys,
        "arcs",
        "relu-teacher",
        "--set",
        "d=6",
        "--from",
        "5,1",
        "--isotropy",
        "3,3",
        "--starts",
        "20",
    )
    assert code == 2 and "`--isotropy`" in err


def test_study_slow_claims_are_skipped_unless_asked(tmp_path, capsys):
    d = tmp_path / "s"
    d.mkdir()
    (d / "study.py").write_text(
        "def run(report=None, slow=False):\n"
        "    out = {'fast': 1.0}\n"
        "    if slow:\n"
        "        out['long'] = 2.0\n"
        "    return out\n"
    )
    claims = [
        {"id": "fast", "claim": "c", "value": 1.0, "tol": 0, "source": "s", "provenance": "p"},
        {
            "id": "long",
            "claim": "c",
            "value": 2.0,
            "tol": 0,
            "source": "s",
            "provenance": "p",
            "slow": True,
        },
    ]
    (d / "expected.json").write_text(json.dumps({"claims": claims}))
    code, out, _ = run(capsys, "study", "run", str(d), "--out", str(tmp_path / "r"))
    assert code == 0 and "[skip] long" in out and "1 slow skipped" in out
    code, out, _ = run(capsys, "study", "run", str(d), "--slow", "--out", str(tmp_path / "r"))
    assert code == 0 and "[pass] long" in out and "2 passed, 0 failed" in out
    (d / "study.py").write_text("def run(report=None, slow=False):\n    return {'fast': 1.0}\n")
    code, out, _ = run(capsys, "study", "run", str(d), "--slow", "--out", str(tmp_path / "r"))
    assert code == 1 and "[FAIL] long" in out
