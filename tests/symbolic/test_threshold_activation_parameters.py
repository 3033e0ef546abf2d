"""The closed-form threshold with a free parameter of the activation (issue 20): a value where
one exists, a reason where none does, never a crash."""

from __future__ import annotations

import sympy as sp

import fixedpoints as fp
from fixedpoints.symbolic.threshold import symbolic_threshold


def test_threshold_in_beta_of_c_he3_is_one_quarter_for_every_c():
    # c*He3: the loss scales by c^2, the averaged point's beta_c = (p-2)/(k+p-2) = 1/4 stays
    flow = fp.derive(fp.load_model("multi-index", {"target": "c*He3"}))
    assert [str(p) for p in flow.parameters] == ["beta", "c"]
    assert sp.nsimplify(symbolic_threshold(flow, "beta").expression) == sp.Rational(1, 4)


def test_threshold_without_closed_form_says_why():
    flow = fp.derive(fp.load_model("multi-index", {"target": "He3+c*He4"}))
    for parameter in ("beta", "c"):
        result = symbolic_threshold(flow, parameter)
        assert result.expression is None and result.reason
