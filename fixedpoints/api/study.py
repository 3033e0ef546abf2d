"""Derivation studies: ``derivations/<study>/{expected.json, study.py}``.

``study.py`` defines ``run(report=None) -> dict`` (or ``run() -> dict``) mapping claim ids to
computed values with the public API (with a ``report`` folder it may also write figures there,
listed in its ``EXTRAS``);
``expected.json`` holds ``{"study", "paper", "claims": [{"id", "claim", "value", "tol",
"source", "provenance"}]}``; a claim with ``"slow": true`` runs only with ``slow=True`` (the study's
``run`` then takes a keyword ``slow``; without it the slow claims are reported as skipped). :func:`run_study` runs one and compares
(:func:`fixedpoints.export.compare_claims`). A study behaves the same wherever it runs: only the
``report`` argument decides whether it writes anything.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import traceback
from pathlib import Path

from fixedpoints.errors import ParameterError, StudyError
from fixedpoints.export import compare_claims
from fixedpoints.results import StudyReport

__all__ = ["REQUIRED", "load_expected", "run_study", "study_part"]

REQUIRED = ("id", "claim", "value", "tol", "source", "provenance")


def load_expected(directory) -> dict:
    """Read and validate ``expected.json`` (every claim has id, claim, value, tol, source,
    provenance).

    Raises
    ------
    ParameterError
        Naming ``directory``, for a missing or malformed file.
    """
    path = Path(directory) / "expected.json"
    if not path.is_file():
        raise ParameterError(
            f"`directory` must contain expected.json; got {str(directory)!r}.",
            parameter="directory",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ParameterError(f"{path} is not valid JSON: {e}.", parameter="directory") from None
    if not isinstance(data, dict) or not isinstance(data.get("claims", []), list):
        raise ParameterError(
            f"{path} must be an object with a list `claims`.", parameter="directory"
        )
    for c in data.get("claims", []):
        if not isinstance(c, dict):
            raise ParameterError(
                f"{path}: every claim must be an object; got {c!r}.", parameter="directory"
            )
        missing = [k for k in REQUIRED if k not in c]
        if missing:
            raise ParameterError(
                f"{path}: claim {c.get('id', '?')!r} lacks {missing}.", parameter="directory"
            )
    return data


def _import(path: Path, name: str, *, fresh: bool = False):
    """Execute ``path`` as the module ``name`` (again when ``fresh``, else once per process),
    writing no bytecode next to it: running a study leaves its folder as it was."""
    if not fresh and name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in the study
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
    return module


def study_part(directory, name: str):
    """The sibling module ``name.py`` of a study split into parts (``study.py`` next to
    ``landscape.py``, ...), imported once per process.

    Parameters
    ----------
    directory : path
        The study folder (a part passes ``Path(__file__).parent``).
    name : str
        The part's file name without ``.py``.

    Raises
    ------
    ParameterError
        Naming ``name`` when the file does not exist.
    """
    directory = Path(directory).resolve()
    path = directory / f"{name}.py"
    if not path.is_file():
        raise ParameterError(
            f"`name` must be a part of the study {directory.name}; got {name!r}.", parameter="name"
        )
    return _import(path, f"fixedpoints_study_{directory.name.replace('-', '_')}_{name}")


def run_study(directory, *, report=None, slow: bool = False) -> StudyReport:
    """Run ``study.py`` of a study folder and compare with its ``expected.json``.

    Parameters
    ----------
    directory : path
    report : path, optional
        Folder the study may write its figures (and resumable caches) into; None: nothing is
        written.
    slow : bool
        Also run the claims marked ``"slow": true`` (passed to ``run(report, slow=...)`` when the
        study's ``run`` takes it); otherwise they are reported with ``skipped: True``.

    Returns
    -------
    StudyReport

    Raises
    ------
    ParameterError
        A folder without ``expected.json`` or ``study.py``.
    StudyError
        The study script raised, or ``run`` did not return a dict.
    """
    directory = Path(directory)
    expected = load_expected(directory)
    script = directory / "study.py"
    if not script.is_file():
        raise ParameterError(
            f"`directory` must contain study.py; got {str(directory)!r}.", parameter="directory"
        )
    name = f"fixedpoints_study_{directory.resolve().name.replace('-', '_')}"
    try:
        module = _import(script, name, fresh=True)
        signature = inspect.signature(module.run).parameters
        if "slow" in signature:
            computed = module.run(None if report is None else Path(report), slow=bool(slow))
        elif signature:
            computed = module.run(None if report is None else Path(report))
        else:  # a study that writes no figures may define run() without arguments
            computed = module.run()
    except Exception as e:  # noqa: BLE001 - any failure of the study script is reported
        where = traceback.extract_tb(e.__traceback__)[-1]
        raise StudyError(
            f"{script} raised {type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno})"
        ) from e
    skip = () if slow else [c["id"] for c in expected["claims"] if c.get("slow")]
    if not isinstance(computed, dict):
        raise StudyError(
            f"{script}: run() must return a dict of claim values; got {type(computed).__name__}."
        )
    return StudyReport(
        study=expected.get("study", directory.name),
        paper=expected.get("paper", ""),
        claims=tuple(compare_claims(expected, computed, skip=skip)),
        extras=getattr(module, "EXTRAS", {}),
    )
