"""Derivation studies: ``derivations/<study>/{expected.json, study.py}``.

``study.py`` defines ``run() -> dict`` mapping claim ids to computed values, using only the public
API; ``expected.json`` holds ``{"study", "paper", "claims": [{"id", "claim", "value", "tol",
"source", "provenance"}]}``. :func:`run_study` runs one and compares; :func:`write_report` writes
``report.json`` and ``claims.tex``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

from fixedpoints.errors import ParameterError, StudyError
from fixedpoints.export import claims_table_latex, compare_claims

__all__ = ["load_expected", "run_study", "write_report"]

REQUIRED = ("id", "claim", "value", "tol", "source", "provenance")


def load_expected(directory) -> dict:
    """Read and validate ``expected.json`` (every claim has id, claim, value, tol, source,
    provenance)."""
    path = Path(directory) / "expected.json"
    if not path.is_file():
        raise ParameterError(f"`DIR` must contain expected.json; got {str(directory)!r}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ParameterError(f"{path} is not valid JSON: {e}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("claims", []), list):
        raise ParameterError(f"{path} must be an object with a list `claims`.")
    for c in data.get("claims", []):
        if not isinstance(c, dict):
            raise ParameterError(f"{path}: every claim must be an object; got {c!r}.")
        missing = [k for k in REQUIRED if k not in c]
        if missing:
            raise ParameterError(f"{path}: claim {c.get('id', '?')!r} lacks {missing}.")
    return data


def run_study(directory) -> dict:
    """Run ``study.py`` of a study folder and compare with its ``expected.json``.

    Returns
    -------
    dict
        ``{"study", "paper", "claims": [{id, claim, value, expected, tol, source, pass}]}``.
    """
    directory = Path(directory)
    expected = load_expected(directory)
    script = directory / "study.py"
    if not script.is_file():
        raise ParameterError(f"`DIR` must contain study.py; got {str(directory)!r}.")
    name = f"fixedpoints_study_{directory.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        computed = module.run()
    except Exception as e:  # noqa: BLE001 - any failure of the study script is reported
        where = traceback.extract_tb(e.__traceback__)[-1]
        raise StudyError(
            f"{script} raised {type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno})"
        ) from e
    if not isinstance(computed, dict):
        raise StudyError(
            f"{script}: run() must return a dict of claim values; got {type(computed).__name__}."
        )
    return {
        "study": expected.get("study", directory.name),
        "paper": expected.get("paper", ""),
        "claims": compare_claims(expected, computed),
        "extras": getattr(module, "EXTRAS", {}),
    }


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_report(result: dict, out) -> None:
    """Write ``report.json`` and ``claims.tex`` (LaTeX table) into ``out``."""
    out = Path(out)
    _atomic_write(out / "report.json", json.dumps(result, indent=2, default=str) + "\n")
    _atomic_write(
        out / "claims.tex",
        claims_table_latex(result["claims"], caption=str(result.get("study", ""))) + "\n",
    )
