"""Grids of ``fixedpoints sweep``: ``--grid NAME=SPEC`` parsing, grid points and their file keys."""

from __future__ import annotations

import hashlib
import itertools
import json
import re

from fixedpoints.errors import ParameterError, out_of_range

__all__ = ["MAX_POINTS", "describe_point", "grid_points", "parse_grid", "point_key", "value_text"]

MAX_POINTS = 100_000
_SAFE = re.compile(r"^[A-Za-z0-9._+=-]+$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]")


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        return float(text)


def _grid_values(name: str, spec: str, par) -> list:
    """Values of one ``--grid NAME=SPEC`` axis (validated against the model file later)."""
    if ":" in spec and not any(sep in spec for sep in ",;"):
        parts = spec.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError:
            raise ParameterError(
                f"`--grid {name}` must be A:B:N (N points from A to B inclusive) or V1,V2,...; "
                f"got {spec!r}."
            ) from None
        if not 1 <= n <= MAX_POINTS:
            raise out_of_range(f"--grid {name}", spec, f"A:B:N with N in [1, {MAX_POINTS}]")
        if n == 1 and a != b:
            raise ParameterError(f"`--grid {name}` has N = 1 point but A != B; got {spec!r}.")
        values = [float(f"{a + (b - a) * i / max(n - 1, 1):.12g}") for i in range(n)]
        if par.kind == "int" and all(v.is_integer() for v in values):
            values = [int(v) for v in values]
    else:
        texts = [t.strip() for t in spec.split(";" if ";" in spec else ",")]
        if any(t == "" for t in texts):
            raise ParameterError(f"`--grid {name}` has an empty entry; got {spec!r}.")
        values = []
        for t in texts:
            try:
                values.append(_number(t) if par.kind in ("int", "real") else t)
            except ValueError:
                values.append(t)  # e.g. 1/3; the model file decides
    repeated = [v for i, v in enumerate(values) if v in values[:i]]
    if repeated:
        raise ParameterError(f"`--grid {name}` repeats the value {repeated[0]!r}; got {spec!r}.")
    return values


def parse_grid(specs, parameters: dict) -> dict[str, list]:
    """``--grid NAME=SPEC`` items -> ``{name: values}`` in the order given.

    Parameters
    ----------
    specs : sequence of str
        ``NAME=A:B:N`` (``N`` values ``A + (B - A) i/(N - 1)``, integers for integer parameters
        when all are whole) or ``NAME=V1,V2,...`` (numbers for int/real parameters, text
        otherwise; ``;`` separates entries that contain commas, e.g. list-valued parameters).
    parameters : dict
        The model file's declared parameters (``ModelFile.parameters``).

    Raises
    ------
    ParameterError
        Malformed spec, unknown parameter (the message lists the allowed ones), an axis given
        twice, or a repeated value.
    """
    grid: dict[str, list] = {}
    for spec in specs:
        name, sep, text = str(spec).partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise ParameterError(
                f"`--grid` expects NAME=A:B:N or NAME=V1,V2,...; got {str(spec)!r}."
            )
        if name not in parameters:
            raise ParameterError(
                f"`--grid` names unknown parameter `{name}`; allowed: {', '.join(parameters)}."
            )
        if name in grid:
            raise ParameterError(f"`--grid {name}` is given twice; give each parameter once.")
        grid[name] = _grid_values(name, text, parameters[name])
    return grid


def grid_points(grid: dict[str, list]) -> list[dict]:
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def describe_point(point: dict) -> str:
    return ", ".join(f"{n}={value_text(v)}" for n, v in point.items())


def value_text(value) -> str:
    """The text passed to ``--set`` for a grid value (``repr`` of floats round-trips)."""
    return repr(value) if isinstance(value, float) else str(value)


def point_key(point: dict) -> str:
    """A stable, filesystem-safe file name stem for a grid point.

    ``{"beta": 0.25, "k": 3}`` -> ``'beta=0.25__k=3'``; a point with other characters (``*``,
    ``/``, spaces, ...) or a long one is shortened and made unique with a hash of the point.

    >>> point_key({"beta": 0.25, "k": 3})
    'beta=0.25__k=3'
    >>> point_key({"target": "He3+0.5*He4"})[:18]
    'target=He3+0.5_He4'
    """
    raw = "__".join(f"{n}={value_text(v)}" for n, v in point.items())
    if _SAFE.match(raw) and len(raw) <= 100:
        return raw
    digest = hashlib.sha256(json.dumps(list(point.items())).encode()).hexdigest()[:12]
    return f"{_UNSAFE.sub('_', raw)[:80]}-{digest}"
