"""The output folder of ``fixedpoints sweep``: atomic JSON files and the combined table.

Every file is written atomically: to a temporary file in the same folder, flushed to disk, then
renamed over the target with :func:`os.replace`, so a crash or Ctrl-C leaves either the old file or
the new one, never half of one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from pathlib import Path

__all__ = [
    "combined_table",
    "default_colour",
    "flatten_result",
    "load_finished",
    "read_definition",
    "remove_temporaries",
    "write_json_atomic",
    "write_table",
    "write_text_atomic",
]

TEMP_PREFIX = ".tmp-"
_RECORD = ("point", "status", "exit_code", "result", "error", "seconds")
_RESERVED = ("status", "seconds", "exit_code", "error")


def write_json_atomic(path: Path, doc) -> None:
    """Write ``doc`` as JSON to ``path`` atomically (temporary file + ``os.replace``)."""
    write_text_atomic(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a flushed temporary file in the same folder and
    :func:`os.replace`; the temporary file is removed if anything goes wrong (Ctrl-C included)."""
    path = Path(path)
    tmp = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_definition(out: Path) -> dict | None:
    """The definition stored in ``out/sweep.json`` (None when there is none)."""
    doc = _read_json(Path(out) / "sweep.json")
    if doc is None:
        return None
    return doc.get("sweep", {}) if isinstance(doc, dict) else {}


def remove_temporaries(folder: Path) -> None:
    """Remove the temporary files a killed run may have left in ``folder``."""
    for stale in Path(folder).glob(f"{TEMP_PREFIX}*"):
        stale.unlink(missing_ok=True)


def load_finished(points_dir: Path, keys) -> dict[str, dict]:
    """Records of finished points among ``keys`` (unreadable files count as not finished)."""
    records = {}
    for key in keys:
        rec = _read_json(Path(points_dir) / f"{key}.json")
        if isinstance(rec, dict) and all(k in rec for k in _RECORD):
            records[key] = rec
    return records


def flatten_result(result) -> dict:
    """Scalar columns of a verb's JSON document.

    Top-level numbers, booleans, strings and nulls are kept; a top-level list ``NAME`` becomes
    ``NAME.count`` (its length); the numbers of a nested ``summary`` dictionary become
    ``summary.KEY``, and those one level deeper ``summary.KEY.SUB`` (e.g.
    ``summary.outcome_fractions.averaged`` of ``simulate``). Other nested values are left out
    (they are in the point files).
    """
    row = {}
    for key, value in (result or {}).items():
        if value is None or isinstance(value, (bool, int, float, str)):
            row[key] = value
        elif isinstance(value, list):
            row[f"{key}.count"] = len(value)
        elif key == "summary" and isinstance(value, dict):
            for sub, v in value.items():
                if isinstance(v, (bool, int, float)):
                    row[f"summary.{sub}"] = v
                elif isinstance(v, dict):
                    for name, w in v.items():
                        if isinstance(w, (bool, int, float)):
                            row[f"summary.{sub}.{name}"] = w
    return row


def combined_table(grid: dict, keyed, records: dict, *, timing: bool = False) -> list[dict]:
    """One row per finished point, in grid order: grid values, ``status``, ``seconds`` (with
    ``timing``: wall clock is left out otherwise, so the table is byte-stable), the flattened
    result (a column named like a grid parameter or a reserved column gets the prefix
    ``result.``) and, for failed points, ``exit_code`` and the last line of ``error``."""
    rows = []
    for key, point in keyed:
        rec = records.get(key)
        if rec is None:
            continue
        row = {name: point[name] for name in grid}
        row["status"] = rec["status"]
        if timing:
            row["seconds"] = rec["seconds"]
        for col, value in flatten_result(rec["result"]).items():
            row[f"result.{col}" if col in grid or col in _RESERVED else col] = value
        if rec["status"] != "ok":
            row["exit_code"] = rec["exit_code"]
            lines = [line for line in str(rec["error"] or "").splitlines() if line.strip()]
            row["error"] = lines[-1] if lines else ""
        rows.append(row)
    return rows


def write_table(out: Path, rows: list[dict]) -> None:
    """``out/results.jsonl`` (one JSON object per row) and ``out/results.csv`` (the union of the
    columns in order of first appearance; empty cells for missing values), both atomically."""
    out = Path(out)
    write_text_atomic(
        out / "results.jsonl", "".join(json.dumps(r, allow_nan=False) + "\n" for r in rows)
    )
    buffer = io.StringIO()
    columns = list(dict.fromkeys(c for r in rows for c in r))
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / "results.csv", buffer.getvalue())


def default_colour(rows: list[dict], grid: dict) -> str | None:
    """The column a plot shows by default.

    In order: ``value`` (threshold), ``loss`` or ``final_loss``; else the first column that varies
    over the grid among the list counts (``fixed_points.count``, ``branches.count``, ...), then the
    ``summary.`` numbers, then any number; else the first numeric column.
    """
    skip = set(grid) | set(_RESERVED) | {"result.seconds", "notes.count", "range.count"}
    numeric = [
        c
        for c in dict.fromkeys(c for r in rows for c in r)
        if c not in skip
        and any(isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool) for r in rows)
    ]
    for preferred in ("value", "loss", "final_loss"):
        if preferred in numeric:
            return preferred
    varying = [c for c in numeric if len({json.dumps(r.get(c)) for r in rows}) > 1]
    for group in (
        [c for c in varying if c.endswith(".count")],
        [c for c in varying if c.startswith("summary.")],
        varying,
        numeric,
    ):
        if group:
            return group[0]
    return None
