"""Every claim of every derivations/*/expected.json, checked by running the study (one test
class per study: ``TestStudy_<study>::test_claim_holds[<claim>]``)."""

from __future__ import annotations

import functools
import json
import pathlib

import pytest

from fixedpoints.api.study import REQUIRED, run_study

STUDIES = sorted(pathlib.Path(__file__).resolve().parents[1].glob("derivations/*/expected.json"))


@functools.cache
def _result(directory: pathlib.Path, slow: bool) -> dict:
    return {row["id"]: row for row in run_study(directory, slow=slow).claims}


def test_derivations_exist_and_are_complete():
    assert STUDIES, "no derivations/*/expected.json found"
    for path in STUDIES:
        for claim in json.loads(path.read_text())["claims"]:
            assert all(k in claim for k in REQUIRED), (path, claim.get("id"))
            assert claim["source"] and claim["provenance"]


def _study_class(path: pathlib.Path):
    """``(name, class)``: the claims of one study as the parametrized method of its own test
    class, so that ``pytest-xdist --dist loadscope`` (``make test``) keeps a study's claims on one
    worker (the study runs once) and spreads the studies over the workers."""
    directory = path.parent
    claims = [
        pytest.param(
            c["id"],
            bool(c.get("slow")),
            id=c["id"],
            marks=[pytest.mark.slow] if c.get("slow") else [],
        )
        for c in json.loads(path.read_text())["claims"]
    ]

    @pytest.mark.parametrize("claim,slow", claims)
    def test_claim_holds(self, claim, slow):
        """Fast claims from one fast run of the study; slow claims (marker ``slow``) from a full
        run."""
        row = _result(directory, slow)[claim]
        assert not row.get("skipped"), f"{claim} was skipped"
        assert row["pass"], (
            f"{claim}: computed {row['value']!r}, expected {row['expected']!r} ± {row['tol']}"
        )

    name = "TestStudy_" + directory.name
    return name, type(
        name, (), {"__doc__": f"Claims of {directory.name}.", "test_claim_holds": test_claim_holds}
    )


for _path in STUDIES:
    _name, _cls = _study_class(_path)
    globals()[_name] = _cls
