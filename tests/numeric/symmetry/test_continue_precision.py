"""``continue_fixed_points(..., isotropy=..., precision=N)``: Young families followed in real d at N
digits, each checked a second way (an independent N-digit search at the end point, the
asymptotics of F_A, the float64 continuation's critical dimension)."""

from __future__ import annotations

import json

import mpmath
import pytest

import fixedpoints as fp
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError
from fixedpoints.numeric.continuation import continue_branch
from fixedpoints.numeric.symmetry import DimensionFamily, find_isotropic_fixed_points
from fixedpoints.numeric.symmetry.precision import follow_precise_branch
from tests.cli.helpers import run, run_json


@pytest.fixture(scope="module")
def model():
    return fp.load_model("relu-teacher", {"d": 8})  # a template: d is the continued parameter


def _f_a(branches):
    """The branch of F_A (D1 > 0 > D2, index 0, positive loss) among ``branches``."""
    (b,) = [
        b
        for b in branches
        if b.points
        and b.points[0].index == 0
        and b.points[0].loss > 1e-9
        and b.points[0].x[0] > 0 > b.points[0].x[1]
    ]
    return b


@pytest.fixture(scope="module")
def to_1e4(model):
    return fp.continue_fixed_points(
        model, "d", 100, 1e4, isotropy="d-1,1", precision=30, starts=8, per_decade=2
    )


def test_continue_precision_matches_a_search_at_the_end(model, to_1e4):
    """The loss digits of F_A followed from d = 100 to 10⁴ equal those of an independent
    30-digit search at d = 10⁴."""
    end = _f_a(to_1e4.branches).points[-1]
    assert end.parameter == 1e4 and end.index == 0
    res = fp.find_fixed_points(model, isotropy="d-1,1", starts=40, precision=30, dimension=10**4)
    fa = min(
        (p for p in res.points if p.coordinates["D1"] > 0 > p.coordinates["D2"] and p.loss > 0),
        key=lambda p: p.loss,
    )
    a, b = mpmath.mpf(end.digits["loss"]), mpmath.mpf(fa.digits["loss"])
    assert abs(a - b) <= mpmath.mpf("1e-20") * abs(b)
    for name, text in fa.digits["coordinates"].items():
        assert abs(mpmath.mpf(end.digits["coordinates"][name]) - mpmath.mpf(text)) < 1e-20


def test_continue_precision_reaches_the_asymptotics_of_f_a(model):
    """d·L(F_A) → 1/2 - 2/π² (- 32/(3π⁴) d^{-1/2} + ...): within 1e-4 at d = 10⁸, index 0."""
    res = fp.continue_fixed_points(
        model, "d", 100, 1e8, isotropy="d-1,1", precision=30, starts=8, per_decade=1
    )
    assert all(b.status == "reached-end" for b in res.branches)
    end = _f_a(res.branches).points[-1]
    assert end.parameter == 1e8 and end.index == 0 and end.min_eigenvalue > 0
    dl = mpmath.mpf(end.digits["loss"]) * mpmath.mpf(10) ** 8
    assert abs(dl - (mpmath.mpf(1) / 2 - 2 / mpmath.pi**2)) < 1e-4
    assert res.settings["precision"] == 30


def test_continue_precision_json_keeps_keys_and_adds_digits(to_1e4):
    doc = json.loads(json.dumps(to_1e4.to_dict()))
    point = doc["branches"][0]["points"][-1]
    assert {"parameter", "loss", "index", "min_eigenvalue"} <= set(point)
    assert {"loss_digits", "coordinates_digits", "components_digits"} <= set(point)
    # the spectrum too, as floats: merged pairs, and the labelled components of the digits
    assert {"spectrum", "components"} <= set(point)
    labels = sorted(c[2] for c in point["components"])
    assert labels == sorted(c[2] for c in point["components_digits"])
    assert sum(m for _, m in point["spectrum"]) == pytest.approx(point["parameter"] ** 2)
    assert point["index"] == round(sum(m for v, m in point["spectrum"] if v < 0))
    assert len(point["loss_digits"].lstrip("-0.").replace(".", "")) >= 25 or point["loss"] == 0
    assert set(doc["branches"][0]) == {"label", "status", "points", "events"}


def test_continue_precision_event_matches_the_float_critical_dimension(model):
    """F_A loses stability (component (d-2,1)) at the same real d at 20 digits as in float64."""
    kt = compile_pair_kernels(model)
    found = find_isotropic_fixed_points(kt, "d-1,1", 20, starts=30)
    fa = min(
        (p for p in found.points if p.coordinates["D1"] > 0 > p.coordinates["D2"] and p.loss > 0),
        key=lambda p: p.loss,
    )
    b = follow_precise_branch(
        "d-1,1",
        compile_pair_kernels(model, backend="mpmath"),
        fa.x,
        20.0,
        5.2,
        20,
        float_kernels=kt,
    )
    f = continue_branch(DimensionFamily(kt, "d-1,1"), fa.x, 20.0, 5.2, step=0.1, max_step=0.5)
    (e,) = b.events
    (ef,) = [x for x in f.events if x.component == e.component]
    assert b.status == "reached-end" and e.component == "(d-2,1)"
    assert (e.index_below, e.index_above) == (3, 0) and e.multiplicity_formula == "d - 2"
    assert abs(e.value - ef.value) < 1e-8


def test_continue_precision_rejects_bad_settings(model):
    with pytest.raises(ParameterError, match="precision"):
        fp.continue_fixed_points(model, "d", 100, 1e4, isotropy="d-1,1", precision=5)
    with pytest.raises(ParameterError, match="precision"):
        fp.continue_fixed_points(model, "d", 100, 1e4, precision=30)
    with pytest.raises(ParameterError, match="per_decade"):
        fp.continue_fixed_points(model, "d", 100, 1e4, isotropy="d-1,1", precision=30, per_decade=0)


def test_continue_cli_precision(capsys):
    doc = run_json(
        capsys,
        "continue",
        "relu-teacher",
        "--param",
        "d=100:1000",
        "--isotropy",
        "d",
        "--precision",
        "20",
        "--per-decade",
        "2",
        "--starts",
        "8",
    )
    assert doc["settings"]["precision"] == 20
    assert all("loss_digits" in p for b in doc["branches"] for p in b["points"])
    code, _, err = run(
        capsys, "continue", "relu-teacher", "--param", "d=100:1000", "--precision", "20"
    )
    assert code == 2 and "precision" in err
