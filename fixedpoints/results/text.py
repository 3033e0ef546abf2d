"""Short text of result values: a ``repr`` that names the model, the sizes and the status (not
every array and equation), and HTML tables for notebooks (``_repr_html_``). Standard library only,
like the rest of :mod:`fixedpoints.results`.

>>> short_repr("Threshold", "beta", value=0.25, status="found")
"Threshold('beta', value=0.25, status='found')"
>>> numbers([0.0, 0.021508037171520833, 0.0618, 0.0677, 1.12, 1.79, 2.0], limit=3)
'[0, 0.021508, 0.0618, … 4 more]'
"""

from __future__ import annotations

import html
from collections import Counter

__all__ = ["counts", "html_table", "numbers", "short_repr"]


def _value(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, str) and not isinstance(v, _Raw):
        return repr(v)
    return str(v)


class _Raw(str):
    """Text shown as is (no quotes) inside :func:`short_repr`."""


def short_repr(name: str, *positional, **named) -> str:
    """``name(p1, k1=v1, …)`` with floats to 6 significant digits; None values are left out."""
    parts = [_value(p) for p in positional if p is not None]
    parts += [f"{k}={_value(v)}" for k, v in named.items() if v is not None]
    return f"{name}({', '.join(parts)})"


def numbers(values, limit: int = 6) -> _Raw:
    """``[v1, v2, …, n more]``: at most ``limit`` values to 6 significant digits."""
    values = list(values)
    shown = ", ".join(f"{float(v):.6g}" for v in values[:limit])
    more = f", … {len(values) - limit} more" if len(values) > limit else ""
    return _Raw(f"[{shown}{more}]")


def counts(statuses) -> _Raw:
    """``{converged: 98, max-time: 2}`` of a sequence of statuses (most common first)."""
    c = Counter(str(s) for s in statuses)
    return _Raw("{" + ", ".join(f"{k}: {n}" for k, n in c.most_common()) + "}")


def raw(text: str) -> _Raw:
    """``text`` shown without quotes by :func:`short_repr`."""
    return _Raw(text)


def html_table(header, rows, caption: str = "") -> str:
    """An HTML table (escaped cells; floats to 10 significant digits) for ``_repr_html_``."""

    def cell(v):
        return html.escape(f"{v:.10g}" if isinstance(v, float) else str(v))

    head = "".join(f"<th>{cell(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    cap = f"<caption>{cell(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
