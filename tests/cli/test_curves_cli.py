"""Two-parameter continuation: fold and branch-point curves in (beta, c) for the multi-index
target He3 + c He4 (issue 20), each point checked against an independent route."""

from __future__ import annotations

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.api.curves import continue_curves, curve_marks
from fixedpoints.errors import ParameterError
from tests.cli.helpers import run, run_json

#: AUTO-07p's fold of the He3 near-index minima (k = 3) continued in (beta, c): c = 0.5 and 1
#: as quoted in issue 20; the other values from an AUTO-07p 0.9.2 run of the 3-D overlap flow
#: (two-parameter LP continuation, user output points at each c, full-precision output; checked
#: against an mpmath solve of F = 0, det J = 0 to 7e-16), 12 significant digits
AUTO_FOLD = {
    0.25: 0.297954198873,
    0.5: 0.348100259418,
    0.75: 0.376542467783,
    1.0: 0.391183122651,
    1.25: 0.399213094645,
    1.5: 0.403977012034,
    1.75: 0.407000769633,
    2.0: 0.409027961387,
    2.25: 0.410448358754,
    2.5: 0.411480016313,
    2.75: 0.412251888444,
    3.0: 0.412843903463,
}


@pytest.fixture(scope="module")
def curves():
    model = fp.load_model("multi-index", {"k": 3, "target": "He3+c*He4"})
    return continue_curves(model, "beta", 0.0, 0.6, "c", 0.25, 3.0, switch=False)


def _by_kind(res, kind, label):
    return next(c for c in res.curves if c.kind == kind and label in c.label)


def _one_parameter_events(c, kind):
    """The events of ``kind`` of the one-parameter continuation in beta with c written in."""
    model = fp.load_model("multi-index", {"k": 3, "target": f"He3+{c!r}*He4"})
    res = fp.continue_fixed_points(model, "beta", 0.0, 0.6, switch=False)
    return sorted({e.value for b in res.branches for e in b.events if e.kind == kind})


def test_fold_curve_matches_auto_and_the_fold_at_each_fixed_c(curves):
    fold = _by_kind(curves, "fold", "index 0")
    pts = {round(p.p2, 12): p for p in fold.points}
    for c, beta in AUTO_FOLD.items():
        assert abs(pts[c].p1 - beta) < 1e-11, (c, pts[c].p1)  # 12 digits: AUTO's last one
    # other values of c: the fold of the one-parameter branch with c written in as a number
    for c in (0.75, 3.0):
        folds = _one_parameter_events(c, "fold")
        assert min(abs(f - pts[c].p1) for f in folds) < 1e-9, (c, pts[c].p1, folds)
    assert fold.status == "reached-end"
    assert max(p.residual for p in fold.points) < 1e-9
    assert all(p.index == 0 for p in fold.points)  # the minimum meets the saddle


def test_averaged_branch_point_curve_has_its_closed_form(curves):
    bp = _by_kind(curves, "branch-point", "averaged")
    assert bp.solved_for == "c" and bp.expression is not None
    assert bp.component == "standard" and bp.points[0].multiplicity == 2
    # the closed form c(beta) at every computed point (independent: SymPy's solution of the
    # eigenvalue at the averaged point, evaluated at 30 digits)
    import sympy as sp

    beta = sp.Symbol("beta")
    expr = sp.sympify(bp.expression, locals={"beta": beta})
    assert expr.free_symbols == {beta}
    for p in bp.points:
        assert abs(complex(expr.subs(beta, p.p1).evalf(30)) - p.p2) < 1e-9
    # and the branch point of the one-parameter continuation at c = 1.5, 2.5
    pts = {round(p.p2, 12): p for p in bp.points}
    for c in (2.5,):
        bps = _one_parameter_events(c, "branch_point")
        assert min(abs(b - pts[c].p1) for b in bps) < 1e-8


def test_curve_marks_are_round_and_cover_the_range():
    np.testing.assert_allclose(curve_marks(0.25, 3.0), np.arange(0.25, 3.01, 0.25))
    m = curve_marks(0.0, 1.0)
    assert m[0] == 0.0 and m[-1] == 1.0 and len(m) == 11


def test_continue_curve_json_keys_and_phase_diagram(capsys, tmp_path):
    out = tmp_path / "phase.png"
    doc = run_json(
        capsys,
        "continue", "multi-index", "--set", "target=He3+c*He4", "--set", "k=3",
        "--param", "beta=0.2:0.45", "--curve", "c=0.5:1", "--point", "averaged",
        "--no-switch", "--plot", out,
    )  # fmt: skip
    assert doc["curve_parameter"] == "c" and doc["curve_range"] == [0.5, 1.0]
    (cur,) = doc["curves"]
    assert {"kind", "parameters", "points", "events"} <= set(cur)
    assert cur["kind"] == "branch-point" and cur["parameters"] == ["beta", "c"]
    assert cur["points"][0] == [pytest.approx(0.333097973437, abs=1e-9), 0.5]
    assert cur["points"][-1][1] == 1.0 and "expression" in cur
    assert out.exists()


def test_threshold_curve_gives_beta_c_as_a_function_of_c(capsys):
    doc = run_json(
        capsys,
        "threshold", "multi-index", "--set", "target=He3+c*He4", "--set", "k=4",
        "--param", "beta=0:0.99", "--curve", "c=0.25:2",
    )  # fmt: skip
    cur = doc["curve"]
    assert cur["solved_for"] == "c" and cur["parameters"] == ["beta", "c"]
    # at c = 0.25 the curve starts at the one-parameter threshold
    assert abs(cur["points"][0][0] - doc["numeric_value"]) < 1e-9
    assert cur["points"][-1][1] == 2.0


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--curve", "beta=0:0.5"), "other than"),
        (("--curve", "c=a:b"), "`--curve` range"),
        (("--curve", "k=1:3"), "free"),
        (("--curve", "c"), "NAME=C0:C1"),
        (("--curve", "c=0.25:3", "--curve-at", "5"), "--curve-at"),
        (("--curve-at", "1"), "--curve NAME"),
    ],
)
def test_bad_curve_arguments_are_refused(capsys, extra, message):
    code, _, err = run(
        capsys, "continue", "multi-index", "--set", "target=He3+c*He4",
        "--param", "beta=0:0.6", *extra,
    )  # fmt: skip
    assert code == 2 and message in err


def test_api_refuses_a_curve_parameter_that_is_not_free():
    model = fp.load_model("multi-index", {"target": "He3+0.5*He4"})
    with pytest.raises(ParameterError, match="curve_parameter"):
        continue_curves(model, "beta", 0.0, 0.6, "c", 0.25, 3.0)


def test_curves_from_c_zero_other_k_square_root_end_and_a_start_that_is_not_a_fold():
    """k = 4, target He4 + c He3 from c = 0: the averaged branch-point curve has a square-root
    end at c = 0 (beta = 1/3) and still gets its closed form; the index-0 fold curve has no
    cusp; the fold of the c = 0 model that is no regular fold is reported, not followed."""
    model = fp.load_model("multi-index", {"k": 4, "target": "He4+c*He3"})
    avg = continue_curves(model, "beta", 0.0, 0.7, "c", 0.0, 1.0, point="averaged", switch=False)
    bp = _by_kind(avg, "branch-point", "averaged")
    assert bp.solved_for == "c" and bp.points[0].p1 == pytest.approx(1 / 3, abs=1e-9)
    assert bp.points[0].multiplicity == 3  # the standard component of S4
    res = continue_curves(model, "beta", 0.0, 0.7, "c", 0.0, 1.0, starts=30, switch=False)
    fold = _by_kind(res, "fold", "index 0")
    assert fold.status == "reached-end" and not [e for e in fold.events if e.kind == "cusp"]
    for c in res.curves:
        assert c.points or (str(c.status) == "not-found" and "could not be polished" in c.label)
