"""--precision (mpmath), real d (counts, multiplicity polynomials) and --certify (Arb) on the
reduced Young route of the k = d ReLU problem: each checked a second way."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError
from fixedpoints.numeric.symmetry import YoungIsotropy, reduced_isotypic_spectrum
from fixedpoints.numeric.symmetry.blocks import parse_sizes, polynomial_text
from fixedpoints.numeric.symmetry.certify import certify_point
from fixedpoints.numeric.symmetry.precision import polish, precise_isotropy, working_precision

F_A7 = np.array([0.99692280, -0.63270390, -0.03508016, 0.26169108, 0.18599105])


@pytest.fixture(scope="module")
def model():
    return fp.load_model("relu-teacher", {"d": 8})


def test_sizes_in_d_and_polynomials():
    s = parse_sizes("d-2,2", 10.5)
    assert s.in_d and s.counts(10.5) == (8.5, 2) and s.template(10.5) == (6, 2)
    assert polynomial_text((s.polynomial(0) - 1) * (s.polynomial(0) - 2) / 2) == "(d^2 - 7d + 12)/2"
    for bad in ("d,1", "d*d,1", "x-1,1", "2d,1"):
        with pytest.raises(ParameterError, match="`isotropy`"):
            parse_sizes(bad)


def test_jet_hessian_matches_finite_differences(model):
    kt = compile_pair_kernels(model)
    iso = YoungIsotropy((6, 1), kt)
    with working_precision(30):
        i2 = YoungIsotropy((6, 1), compile_pair_kernels(model, backend="mpmath"))
        H = i2.reduced_hessian(i2.numbers(F_A7))
    H = np.array(H.tolist(), dtype=float)
    assert np.max(np.abs(H - iso.reduced_hessian(F_A7))) < 1e-8


def test_real_counts_reproduce_integer_blocks_at_integer_d(model):
    """The template structure with counts equals the true blocks (loss and spectrum)."""
    kt = compile_pair_kernels(model)
    x = YoungIsotropy((6, 1), kt).solve(F_A7[None]).x[0]
    a = reduced_isotypic_spectrum(YoungIsotropy((6, 1), kt), x)
    b = reduced_isotypic_spectrum(YoungIsotropy((6, 1), kt, counts=(6.0, 1.0)), x)
    c = reduced_isotypic_spectrum(YoungIsotropy((11, 1), kt, counts=(6.0, 1.0)), x)
    assert [m for _, m, _ in a] == [m for _, m, _ in c]
    assert np.allclose([v for v, *_ in a], [v for v, *_ in b], atol=1e-9)
    assert np.allclose([v for v, *_ in a], [v for v, *_ in c], atol=1e-9)


def test_precision_polish_and_cancellation(model):
    """50 digits agree with float64 at d = 7; at d = 1e6 the float loss has lost the digits that
    the mpmath one keeps (d·L_A → 1/2 - 2/π²)."""
    with working_precision(50):
        kt = compile_pair_kernels(model, backend="mpmath")
        iso = precise_isotropy("d-1,1", 7, kt)
        x, res = polish(iso, F_A7)
        assert res < mpmath.mpf(10) ** -45
        assert abs(float(iso.reduced_loss(x)) - 0.0232027149135660758) < 1e-15
    res = fp.find_fixed_points(model, isotropy="d-1,1", starts=100, precision=30, dimension=10**6)
    fa = min(
        (p for p in res.points if p.coordinates["D1"] > 0 > p.coordinates["D2"]),
        key=lambda p: p.loss,
    )
    assert fa.index == 0 and abs(fa.loss * 1e6 - 0.29735763) < 2e-4
    assert fa.digits["loss"].startswith("0.000000297")
    doc = fa.to_dict()
    assert set(doc) >= {"loss_digits", "coordinates_digits", "components_digits"}
    with pytest.raises(ParameterError, match="precision"):
        fp.find_fixed_points(model, isotropy="d-1,1", starts=10, dimension=10**6)


def test_certificates_never_call_a_saddle_a_minimum(model):
    res = fp.find_fixed_points(model, isotropy="d-1,1", starts=200, certify=True, dimension=6)
    for p in res.points:
        c = p.certificate
        if c.verdict == "minimum":
            assert p.index == 0 and c.eigenvalue_lower_bound > 0 and p.spectrum[0][0] > 0
            # the bound is below the float smallest eigenvalue, and close to it
            assert c.eigenvalue_lower_bound <= p.spectrum[0][0] + 1e-12
        if c.verdict == "saddle":
            assert c.index == p.index > 0
    verdicts = {round(p.loss, 8): p.certificate.verdict for p in res.points}
    assert verdicts[0.02508058] == "minimum"  # F_A (Safran-Shamir Example 1)
    assert verdicts[0.04739578] == "saddle"  # F_{d-1}: index 6 at d = 6
    assert verdicts[0.0] == "failed"  # W = I: rows collinear with teachers, not C^2 there
    # a point that is not critical (moved by 1e-3) cannot be certified
    from fixedpoints.numeric.symmetry.certify import arb_kernels

    iso = YoungIsotropy(
        (6, 1), arb_kernels(lambda backend: compile_pair_kernels(model, backend=backend))
    )
    x = YoungIsotropy((6, 1), compile_pair_kernels(model)).solve(F_A7[None]).x[0]
    assert certify_point(iso, x).verdict == "minimum"  # F_A at d = 7
    assert certify_point(iso, x + 1e-3).verdict == "failed"


def test_cli_certify_precision_and_real_dimension(tmp_path):
    import json
    import subprocess
    import sys

    def run(*args):
        out = subprocess.run(
            [sys.executable, "-m", "fixedpoints", *args], capture_output=True, text=True
        )
        return out

    out = run(
        "fixed-points",
        "relu-teacher",
        "--set",
        "d=7",
        "--isotropy",
        "d-1,1",
        "--certify",
        "--starts",
        "80",
        "--json",
    )
    doc = json.loads(out.stdout)
    cert = [p["certificate"]["verdict"] for p in doc["fixed_points"]]
    assert "minimum" in cert and all(
        set(p["certificate"]) >= {"verdict", "radius", "eigenvalue_lower_bound", "index"}
        for p in doc["fixed_points"]
    )
    bad = run("fixed-points", "relu-teacher", "--precision", "30")
    assert bad.returncode == 2 and "--isotropy" in bad.stderr
    out = run(
        "continue",
        "relu-teacher",
        "--set",
        "d=12",
        "--isotropy",
        "d-1,1",
        "--param",
        "d=12:5.2",
        "--starts",
        "60",
        "--json",
    )
    doc = json.loads(out.stdout)
    events = [e for b in doc["branches"] for e in b["events"] if "component" in e]
    values = {round(e["value"], 7): e["component"] for e in events}
    assert values.get(6.7448307) == "(d-3,1,1)" and values.get(5.4842436) == "(d-2,1)"


def test_precision_keeps_points_newton_cannot_polish(model):
    """At d = 1e4 (float search at d itself) W = I has collinear rows: the closed-form kernel's
    derivatives are singular there, mpmath Newton fails, and the point stays, in float64, with a
    note; the families get their digits (the digest's 80-digit values at d = 1e4)."""
    res = fp.find_fixed_points(model, isotropy="d-1,1", starts=200, precision=30, dimension=10**4)
    glob = [p for p in res.points if p.loss == 0.0]
    assert glob and glob[0].digits is None and glob[0].index == 0
    assert any("could not be polished" in n for n in res.notes)
    digits = sorted(float(p.digits["loss"]) for p in res.points if p.digits and p.index == 0)
    # the digest's printed digits: half a unit of the last one
    for ref, tol in ((2.96125834e-5, 5e-14), (0.177465237774, 5e-13), (0.177471618324, 5e-13)):
        assert min(abs(v - ref) for v in digits) <= tol


def test_continuation_in_d_reports_no_events_where_the_spectrum_is_undefined(model):
    """W = I (the global minimum) has collinear rows, where the closed-form kernel's derivatives
    are singular and the isotypic spectrum is nan: no spurious crossings on its branch, while F_A
    still crosses at its critical dimension (down to d = 4, below the sizes where every component
    exists)."""
    res = fp.continue_fixed_points(model, "d", 20, 4, isotropy="d-1,1", starts=40)
    glob = [b for b in res.branches if abs(b.points[0].loss) < 1e-12]
    assert glob and all(not b.events for b in glob)
    fa = [b for b in res.branches if 0.011 < b.points[0].loss < 0.0113 and b.points[0].index == 0]
    assert fa and min(abs(e.value - 5.4842435917) for e in fa[0].events) < 1e-8
