"""Every claim of every derivations/*/expected.json, checked by running the study."""

from __future__ import annotations

import functools
import json
import pathlib

import pytest

from fixedpoints.api.study import REQUIRED, run_study

STUDIES = sorted(pathlib.Path(__file__).resolve().parents[1].glob("derivations/*/expected.json"))
CLAIMS = [
    pytest.param(
        p.parent,
        c["id"],
        bool(c.get("slow")),
        id=f"{p.parent.name}:{c['id']}",
        marks=[pytest.mark.slow] if c.get("slow") else [],
    )
    for p in STUDIES
    for c in json.loads(p.read_text())["claims"]
]


@functools.cache
def _result(directory: pathlib.Path, slow: bool) -> dict:
    return {row["id"]: row for row in run_study(directory, slow=slow).claims}


def test_derivations_exist_and_are_complete():
    assert STUDIES, "no derivations/*/expected.json found"
    for path in STUDIES:
        for claim in json.loads(path.read_text())["claims"]:
            assert all(k in claim for k in REQUIRED), (path, claim.get("id"))
            assert claim["source"] and claim["provenance"]


@pytest.mark.parametrize("study,claim,slow", CLAIMS)
def test_derivation_claim_holds(study, claim, slow):
    """Fast claims from one fast run per study; slow claims (marker ``slow``) from a full run."""
    row = _result(study, slow)[claim]
    assert not row.get("skipped"), f"{claim} was skipped"
    assert row["pass"], (
        f"{claim}: computed {row['value']!r}, expected {row['expected']!r} ± {row['tol']}"
    )
