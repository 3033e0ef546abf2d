"""The matrix form of the flow (issue 19, item 1): the equations it prints, rebuilt from its
pieces, are the derived flow; its LaTeX does not grow with k."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import fixedpoints as fp
from fixedpoints.export import flow_to_latex
from fixedpoints.symbolic import derive
from fixedpoints.symbolic.matrix_form import matrix_form

CASES = [
    ("soft-committee", {"k": 3, "m": 2}),
    ("soft-committee", {"k": 2, "m": 1, "activation": "tanh"}),
    ("multi-index", {"k": 3, "n": 2, "target": "He3+0.5*He4"}),  # spherical, correlation, β free
    ("multi-index", {"k": 2, "n": 2, "target": "He2", "activation": "He3", "loss": "square"}),
    ("relu-teacher", {"d": 3}),
    ("relu-two-layer", {}),  # trainable second layer, teacher coefficients 1, -0.5
    ("linear-two-layer", {}),  # several outputs
    ("quadratic", {}),
]


def _point(flow, seed=0):
    """Random values of the variables (diagonal of Q near 1) and parameters."""
    rng = np.random.default_rng(seed)
    pt = {}
    for v in flow.variables:
        name = str(v)
        diag = name.startswith("Q_") and len(set(name[2:].split("_")[0])) == 1
        pt[v] = sp.Float(0.8 + 0.4 * rng.random()) if diag else sp.Float(0.3 * rng.normal())
    pt.update({p: sp.Float(0.3) for p in flow.parameters})
    return pt


@pytest.mark.parametrize(("name", "sets"), CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_matrix_form_rebuilds_the_derived_flow(name, sets):
    model = fp.load_model(name, sets)
    flow, form = derive(model), matrix_form(model)
    rhs = form.assemble()
    assert set(rhs) == set(flow.variables)
    pt = _point(flow)
    for v, e in zip(flow.variables, flow.equations, strict=True):
        diff = sp.expand((rhs[v] - e).xreplace(pt))
        if form.quadrature:  # undefined quadrature kernels: the terms must cancel exactly
            assert diff == 0 or abs(complex(diff.evalf())) < 1e-12, (v, diff)
        else:
            assert abs(complex(diff.evalf(30))) < 1e-20, (v, diff)
    tex = flow_to_latex(flow)
    assert tex.startswith("\\begin{align}") and tex.endswith("\\end{align}")
    if not form.quadrature:
        assert sp.latex(form.cross[2]) in tex  # ∂_P K_* is printed once, in closed form


def test_matrix_form_latex_does_not_grow_with_k():
    sizes = {}
    for k in (3, 8, 12):
        tex = flow_to_latex(derive(fp.load_model("soft-committee", {"k": k, "m": k})))
        sizes[k] = len(tex)
        assert len(tex) <= 4000
        assert tex.count(r"\operatorname{asin}") == 2  # K and K_self, each once
    assert max(sizes.values()) - min(sizes.values()) <= 4  # only the digits of k and m
    expanded = flow_to_latex(derive(fp.load_model("soft-committee", {"k": 3, "m": 3})), expand=True)
    assert len(expanded) > 3 * sizes[3] and r"\dot{Q}_{12} &=" in expanded


def test_matrix_form_prints_parameters_and_constants():
    flow = derive(fp.load_model("multi-index", {"k": 3, "target": "He3"}))
    tex = flow_to_latex(flow)
    assert r"T_{rs} = \beta" in tex and r"\Lambda = \operatorname{diag}(X_{ii})" in tex
    tex = flow_to_latex(derive(fp.load_model("relu-two-layer", {})))
    assert r"\dot a_i &=" in tex and r"b = \left[" in tex
