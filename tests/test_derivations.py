"""Every claim of every derivations/*/expected.json, checked by running the study."""

from __future__ import annotations

import functools
import json
import pathlib

import pytest

from fixedpoints.api.study import REQUIRED, run_study

STUDIES = sorted(pathlib.Path(__file__).resolve().parents[1].glob("derivations/*/expected.json"))
CLAIMS = [(p.parent, c["id"]) for p in STUDIES for c in json.loads(p.read_text())["claims"]]


@functools.cache
def _result(directory: pathlib.Path) -> dict:
    return {row["id"]: row for row in run_study(directory).claims}


def test_derivations_exist_and_are_complete():
    assert STUDIES, "no derivations/*/expected.json found"
    for path in STUDIES:
        for claim in json.loads(path.read_text())["claims"]:
            assert all(k in claim for k in REQUIRED), (path, claim.get("id"))
            assert claim["source"] and claim["provenance"]


@pytest.mark.parametrize("study,claim", CLAIMS, ids=[f"{s.name}:{c}" for s, c in CLAIMS])
def test_derivation_claim_holds(study, claim):
    row = _result(study)[claim]
    assert row["pass"], (
        f"{claim}: computed {row['value']!r}, expected {row['expected']!r} ± {row['tol']}"
    )
