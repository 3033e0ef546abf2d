"""LaTeX / JSON / report rendering."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from fixedpoints.export import claims_table_latex, compare_claims, flow_to_json, flow_to_latex
from fixedpoints.models import load_model
from fixedpoints.symbolic import derive, reduce_flow


def test_flow_to_json_expressions_parse_back_to_the_same_equations():
    flow = derive(load_model("relu-two-layer", {"width": 2}))
    doc = json.loads(json.dumps(flow_to_json(flow)))
    assert doc["variables"] == list(flow.names)
    for v, e in zip(flow.variables, flow.equations, strict=True):
        parsed = sp.sympify(doc["equations"][str(v)])
        pt = {s: 0.3 + 0.1 * i for i, s in enumerate(sorted(parsed.free_symbols, key=str))}
        pt.update({s: 1.2 for s in parsed.free_symbols if str(s) in ("Q_11", "Q_22")})
        ref = e.subs({sym: pt[sp.Symbol(str(sym))] for sym in e.free_symbols})
        assert abs(float(parsed.subs(pt)) - float(ref)) < 1e-12


def test_flow_to_latex_names_reduced_variables():
    flow = reduce_flow(derive(load_model("relu-teacher", {"d": 4})), "block:3,1")
    tex = flow_to_latex(flow)
    assert r"\dot{D}_{1} &=" in tex and r"\dot{X}_{12} &=" in tex
    assert tex.count(r"\\") == flow.dimension  # one line break per row before the loss


def test_repr_latex_renders_in_notebooks():
    flow = derive(load_model("multi-index", {"k": 2, "n": 1}))
    html = flow._repr_latex_()
    assert html.startswith("$$") and r"\beta" in html and r"\dot{M}_{11}" in html


def test_compare_claims_and_table():
    expected = {
        "claims": [
            {"id": "a", "value": [1, 2], "tol": 0.1},
            {"id": "b", "value": "1/4", "tol": 0},
            {"id": "c", "value": 3.0, "tol": 0.5},
        ]
    }
    rows = compare_claims(expected, {"a": [1.05, 2.0], "b": "1/4"})
    assert [r["pass"] for r in rows] == [True, True, False]
    assert "NO" in claims_table_latex(rows)


def test_export_names_load_lazily_from_their_modules():
    import importlib

    import fixedpoints.export as ex

    for name, module in ex._EXPORTS.items():
        assert getattr(ex, name) is getattr(importlib.import_module(module), name)
    assert set(ex.__all__) <= set(dir(ex))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ex.nope  # noqa: B018
