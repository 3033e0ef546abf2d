r"""Study reports: compare computed claims with ``expected.json`` and render a LaTeX table."""

from __future__ import annotations

import math

__all__ = ["compare_claims", "claims_table_latex"]


def _close(value, expected, tol) -> bool:
    if isinstance(expected, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(expected):
            return False
        tols = tol if isinstance(tol, (list, tuple)) else [tol] * len(expected)
        if len(tols) != len(expected):
            return False
        return all(_close(v, e, t) for v, e, t in zip(value, expected, tols, strict=True))
    if isinstance(expected, str) or isinstance(value, str):
        return str(value) == str(expected)
    if isinstance(expected, bool) or isinstance(value, bool):
        return bool(value) == bool(expected)
    try:
        v, e = float(value), float(expected)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and abs(v - e) <= float(tol)


def compare_claims(expected: dict, computed: dict, *, skip=()) -> list[dict]:
    """One row per claim of ``expected["claims"]``: id, claim, value, expected, tol, source, pass
    (and ``skipped: True`` for the ids in ``skip``).

    A claim passes iff ``|value - expected| <= tol`` (element-wise for lists, with one ``tol`` per
    element when ``tol`` is a list; equality for strings and booleans). A claim the study did not compute fails with ``value: None``; a skipped claim
    (a ``slow`` claim not run) has ``pass: None``.
    """
    rows = []
    skip = set(skip)
    for c in expected.get("claims", []):
        if c["id"] in skip:
            rows.append(
                {
                    "id": c["id"],
                    "claim": c.get("claim", ""),
                    "value": None,
                    "expected": c["value"],
                    "tol": c.get("tol", 0),
                    "source": c.get("source", ""),
                    "pass": None,
                    "skipped": True,
                }
            )
            continue
        value = computed.get(c["id"])
        rows.append(
            {
                "id": c["id"],
                "claim": c.get("claim", ""),
                "value": value,
                "expected": c["value"],
                "tol": c.get("tol", 0),
                "source": c.get("source", ""),
                "pass": value is not None and _close(value, c["value"], c.get("tol", 0)),
            }
        )
    return rows


def _tex(x) -> str:
    if isinstance(x, float):
        return f"{x:.10g}"
    if isinstance(x, (list, tuple)):
        return "(" + ", ".join(_tex(v) for v in x) + ")"
    return str(x).replace("_", r"\_").replace("%", r"\%").replace("&", r"\&")


def claims_table_latex(rows: list[dict], *, caption: str = "") -> str:
    """A ``tabular`` of claims: id, value, expected, tolerance, pass."""
    body = [
        f"{_tex(r['id'])} & {_tex(r['value'])} & {_tex(r['expected'])} & {_tex(r['tol'])} & "
        f"{'skipped' if r.get('skipped') else ('yes' if r['pass'] else 'NO')} \\\\"
        for r in rows
    ]
    return latex_table(
        "lllll", r"claim & value & expected & tol & pass \\", body, _tex(caption) if caption else ""
    )


def latex_table(columns: str, header: str, rows: list[str], caption: str = "") -> str:
    """A ``table`` environment around a ruled ``tabular`` with column spec ``columns``, the
    ``header`` row and the body ``rows`` (LaTeX lines ending in ``\\\\``); ``caption`` is used
    as given."""
    lines = [
        r"\begin{table}[h]",
        r"\centering",
        rf"\begin{{tabular}}{{{columns}}}",
        r"\hline",
        header,
        r"\hline",
        *rows,
        r"\hline",
        r"\end{tabular}",
    ]
    if caption:
        lines.append(rf"\caption{{{caption}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines)
