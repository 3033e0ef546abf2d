"""Short, informative reprs of models, flows and results (issue 19, item 8): the model, the sizes
and the status in one line, never every equation or array; HTML tables for notebooks."""

from __future__ import annotations

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.results import StudyReport, Threshold
from fixedpoints.results.text import html_table, numbers, short_repr


@pytest.fixture(scope="module")
def committee():
    return fp.load_model("soft-committee", {"k": 3, "m": 3})


def _short(obj, *needles, limit=300):
    text = repr(obj)
    assert "\n" not in text and len(text) <= limit, text
    for needle in needles:
        assert needle in text, (needle, text)
    return text


def test_model_flow_and_compiled_flow(committee):
    _short(committee, "soft-committee", "3×erf", "square")
    flow = fp.derive(committee)
    assert len(str(flow.equations)) > 2000  # what the default dataclass repr used to print
    _short(flow, "soft-committee", "15 variables", "Q_11", "more")
    _short(fp.compile_flow(committee), "k=3", "m=3", "15 variables")
    beta = fp.derive(fp.load_model("multi-index", {"k": 2, "n": 1, "target": "He3"}))
    _short(beta, "parameters=['beta']", "2 variables (M_11, M_12)")


def test_fixed_points_search_and_point(committee):
    search = fp.find_fixed_points(committee, starts=6)
    text = _short(search, "soft-committee", f"points={len(search.points)}", "status=")
    assert "spectrum" not in text and "coordinates" not in text
    _short(search.points[0], "loss=", "index=0", "isotropy=")
    page = search._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == len(search.points) + 1


def test_simulation_and_graph():
    model = fp.load_model("soft-committee", {"k": 2, "m": 2})
    sim = fp.simulate(model, runs=3, method="gd", lr=0.5, t_max=5.0)
    _short(sim, "soft-committee", "runs=3", "method='gd'", "status={")
    graph = fp.transition_graph(model, starts=6)
    _short(graph, "soft-committee", f"nodes={graph.graph.number_of_nodes()}", "sinks=[")


def test_threshold_and_study_report():
    t = Threshold(
        parameter="beta",
        value=0.25,
        expression="1/4",
        point="averaged",
        index_below=2,
        index_above=0,
    )
    _short(t, "'beta'", "value=0.25", "expression='1/4'", "index=2 -> 0")
    claims = [
        {
            "id": "a",
            "claim": "",
            "value": 1.0,
            "expected": 1.0,
            "tol": 0,
            "source": "",
            "pass": True,
        },
        {
            "id": "b",
            "claim": "",
            "value": 2.0,
            "expected": 1.0,
            "tol": 0,
            "source": "",
            "pass": False,
        },
    ]
    report = StudyReport(study="demo", paper="", claims=claims)
    _short(report, "'demo'", "claims=2", "passed=1", "failed=1")
    assert report._repr_html_().count("FAIL") == 1


def test_landscape_repr():
    text = _short(fp.landscape(fp.load_model("multi-index", {"k": 3, "beta": 0.1})), "k=1", "m=3")
    assert "spherical" in text and "decoupled" in text and "object at" not in text


def test_text_helpers():
    assert short_repr("X", None, a=None, b=1.0 / 3) == "X(b=0.333333)"
    assert numbers(np.arange(10.0), limit=2) == "[0, 1, … 8 more]"
    assert "&lt;b&gt;" in html_table(["<b>"], [[1]])
