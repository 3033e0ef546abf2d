"""The verbs fixed-points, threshold and continue: the JSON contract of DESIGN.md §4 and the
acceptance examples of the fixed-point issue."""

from __future__ import annotations

import pytest

from tests.cli.helpers import run, run_json


def test_threshold_he3_closed_form(capsys):
    doc = run_json(
        capsys, "threshold", "multi-index", "--set", "k=3", "--set", "target=He3", "--param", "beta"
    )
    for key in ("parameter", "value", "expression", "point", "index_below", "index_above"):
        assert key in doc
    assert doc["value"] == pytest.approx(0.25, abs=1e-12)
    assert doc["expression"] == "1/4"
    assert (doc["index_below"], doc["index_above"]) == (2, 0)
    assert doc["numeric_value"] == pytest.approx(0.25, abs=1e-10)


def _symbolic_threshold(capsys, k: int, target: str) -> dict:
    argv = ["threshold", "multi-index", "--set", f"k={k}", "--set", f"target={target}"]
    return run_json(capsys, *argv, "--param", "beta", "--symbolic", "k")


@pytest.mark.parametrize("p", [4, 5, 6])
def test_threshold_symbolic_in_k(capsys, p):
    # (p-2)/(k+p-2) with k symbolic, its value at the given k, and the numeric root agrees (He6:
    # the eigenvalue's scale is 720 x that of phi = t^6, so the numeric root is good to ~1e-8)
    import sympy as sp

    K = 5 if p == 4 else 4
    doc = _symbolic_threshold(capsys, K, f"He{p}")
    k = sp.Symbol("k")
    assert sp.simplify(sp.sympify(doc["expression"]) - (p - 2) / (k + p - 2)) == 0
    assert doc["latex"] == rf"\frac{{{p - 2}}}{{k + {p - 2}}}"
    assert doc["symbolic_status"] == "solved"
    assert doc["value"] == pytest.approx((p - 2) / (K + p - 2), abs=1e-12)
    assert doc["numeric_value"] == pytest.approx((p - 2) / (K + p - 2), abs=1e-6)
    assert (doc["index_below"], doc["index_above"]) == (K - 1, 0)


def test_threshold_mixture_is_numeric(capsys):
    doc = run_json(
        capsys,
        "threshold",
        "multi-index",
        "--set",
        "k=4",
        "--set",
        "target=He3+0.5*He4",
        "--param",
        "beta",
    )
    assert doc["expression"] is None and "latex" not in doc
    assert 0.25 < doc["value"] < 0.3


def test_threshold_range_without_solution_says_so(capsys):
    doc = run_json(
        capsys,
        "threshold",
        "multi-index",
        "--set",
        "k=3",
        "--set",
        "target=He3",
        "--param",
        "beta=0.3:0.9",
    )
    assert doc["value"] is None and doc["status"] == "not-found"
    assert "no threshold" in doc["message"]
    assert doc["index_below"] == doc["index_above"] == 0


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--param", "gamma"], "gamma"),
        (["--param", "beta", "--point", "middle"], "middle"),
        (["--param", "beta=1:x"], "A:B"),
        (["--param", "beta", "--set", "beta=0.2"], "beta"),
    ],
)
def test_threshold_bad_input(capsys, argv, needle):
    code, out, err = run(capsys, "threshold", "multi-index", *argv)
    assert code == 2 and needle in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_fixed_points_multi_index_acceptance(capsys):
    doc = run_json(
        capsys,
        "fixed-points",
        "multi-index",
        "--set",
        "k=3",
        "--set",
        "beta=0",
        "--set",
        "target=He4",
        "--set",
        "d=5",
    )
    fps = doc["fixed_points"]
    for p in fps:
        for key in (
            "loss",
            "index",
            "nullity",
            "count",
            "spectrum",
            "isotropy",
            "coordinates",
            "residual",
        ):
            assert key in p
    neg = [p for p in fps if p["loss"] < 0]
    assert sum(p["count"] for p in neg) == 26
    assert {i: sum(p["count"] for p in neg if p["index"] == i) for i in (0, 1, 2)} == {
        0: 6,
        1: 12,
        2: 8,
    }
    assert [p["loss"] for p in fps] == sorted(p["loss"] for p in fps)
    (eq,) = [p for p in fps if p["degenerate"]]
    assert eq["nullity"] == 4 and eq["loss"] == 0.0


def test_fixed_points_relu_isotropy_acceptance(capsys):
    doc = run_json(capsys, "fixed-points", "relu-teacher", "--set", "d=10", "--isotropy", "9,1")
    fps = doc["fixed_points"]
    minima = [p["loss"] for p in fps if p["index"] == 0]
    assert any(abs(v - 0.0187021946) < 1e-9 for v in minima)
    assert any(abs(v - 0.0720567070) < 1e-9 for v in minima)
    assert any(abs(p["loss"] - 0.0544367460) < 1e-9 and p["index"] == 1 for p in fps)
    for p in fps:
        assert sum(m for _, m in p["spectrum"]) == 100
        assert p["residual"] < 1e-8 and p["reduced_residual"] < 1e-8
    doc = run_json(capsys, "fixed-points", "relu-teacher", "--set", "d=10", "--isotropy", "10")
    losses = [p["loss"] for p in doc["fixed_points"]]
    assert 0.0 in losses and any(abs(v - 0.0766366620) < 1e-9 for v in losses)
    glob = doc["fixed_points"][0]
    assert glob["isotropy"] == "ΔS10" and glob["count"] == 3628800
    assert [m for _, m in glob["spectrum"]] == [45, 9, 35, 1, 9, 1]


def test_fixed_points_quadratic_acceptance(capsys):
    doc = run_json(
        capsys,
        "fixed-points",
        "quadratic",
        "--set",
        "d=4",
        "--set",
        "m=2",
        "--set",
        "teacher_eigenvalues=3,2,1",
    )
    minima = [p for p in doc["fixed_points"] if p["index"] == 0]
    assert len(minima) == 1 and minima[0]["loss"] == pytest.approx(0.625)
    assert len(doc["fixed_points"]) == 11


def test_fixed_points_latex_and_text(capsys):
    argv = ["fixed-points", "multi-index", "--set", "k=2", "--set", "beta=0", "--set",
            "target=He3", "--starts", "20"]  # fmt: skip
    code, out, _ = run(capsys, *argv, "--format", "latex")
    assert code == 0 and r"\begin{tabular}" in out
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "minimum" in out


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["relu-teacher", "--isotropy", "3,1"], "isotropy"),
        (["relu-teacher", "--set", "k=4", "--isotropy", "5"], "student width k = 4"),
        (["relu-teacher", "--starts", "0"], "--starts"),
        (["multi-index", "--set", "k=2"], "beta"),
    ],
)
def test_fixed_points_bad_input(capsys, argv, needle):
    code, out, err = run(capsys, "fixed-points", *argv)
    assert code == 2 and needle in err and "Traceback" not in err


def test_continue_acceptance_and_plot(capsys, tmp_path):
    png, spectra = tmp_path / "bif.png", tmp_path / "spectra.png"
    doc = run_json(
        capsys,
        "continue",
        "multi-index",
        "--set",
        "k=3",
        "--set",
        "target=He4",
        "--param",
        "beta=0:0.6",
        "--plot",
        str(png),
        "--plot-spectrum",
        str(spectra),
    )
    assert png.stat().st_size > 1000 and spectra.stat().st_size > 1000
    assert doc["plot_spectrum"] == str(spectra)
    (avg,) = [b for b in doc["branches"] if b["label"] == "averaged"]
    bp = [e for e in avg["events"] if e["kind"] == "branch_point"]
    assert len(bp) == 1 and bp[0]["value"] == pytest.approx(0.4, abs=1e-9)
    for b in doc["branches"]:
        assert "points" in b and "events" in b
        for e in b["events"]:
            assert {"kind", "value"} <= set(e)
        for q in b["points"]:  # each point's spectrum: [[eigenvalue, multiplicity], ...]
            assert q["index"] == sum(m for v, m in q["spectrum"] if v < 0)
            assert q["spectrum"][0][0] == pytest.approx(q["min_eigenvalue"], abs=1e-6)
