"""``fixedpoints study run DIR``: run a derivation study and write its report (``report.json``,
``claims.tex`` and the study's own figures) into ``DIR/report`` (or ``--out``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from fixedpoints.cli import io

NAME = "study"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="derivation studies: `study run DIR`")
    p.add_argument("action", choices=["run"])
    p.add_argument("directory", metavar="DIR", help="a folder with expected.json and study.py")
    p.add_argument("--out", metavar="DIR", help="report folder (default DIR/report)")
    p.add_argument(
        "--slow", action="store_true", help='also run the claims marked "slow" in expected.json'
    )
    io.add_common(p, model=False)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_report(report, out) -> None:
    """Write ``report.json`` and ``claims.tex`` (LaTeX table) into ``out``."""
    from fixedpoints.export import claims_table_latex

    out = Path(out)
    doc = report.to_dict()
    _atomic_write(out / "report.json", json.dumps(doc, indent=2, default=str) + "\n")
    _atomic_write(
        out / "claims.tex", claims_table_latex(doc["claims"], caption=str(report.study)) + "\n"
    )


def run(args) -> int:
    from fixedpoints.api import run_study

    out = Path(args.out) if args.out else Path(args.directory) / "report"
    io.check_writable(out, "--out" if args.out else "DIR", folder=True)
    report = run_study(args.directory, report=out, slow=args.slow)
    write_report(report, out)
    doc = report.to_dict()
    if args.json:
        io.emit_json(json.loads(json.dumps(doc, default=str)))
    else:
        for row in doc["claims"]:
            mark = "skip" if row.get("skipped") else ("pass" if row["pass"] else "FAIL")
            print(
                f"[{mark}] {row['id']}: value {row['value']} expected {row['expected']} "
                f"(tol {row['tol']})"
            )
        skipped = f", {report.skipped} slow skipped (--slow)" if report.skipped else ""
        print(f"{report.passed} passed, {report.failed} failed{skipped}")
        io.info(args, f"report written to {out}")
    return 0 if report.failed == 0 else 1
