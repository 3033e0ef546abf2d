"""``fixedpoints threshold``: where a named fixed point changes stability in a parameter."""

from __future__ import annotations

import math

from fixedpoints.cli import io
from fixedpoints.errors import ParameterError

NAME = "threshold"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="where a fixed point changes stability in a parameter")
    io.add_common(p)
    p.add_argument(
        "--param", required=True, metavar="NAME[=A:B]", help="free parameter (and range)"
    )
    p.add_argument("--point", default="averaged", help="named fixed point (default averaged)")
    p.add_argument(
        "--symbolic",
        metavar="NAMES",
        help="also solve with these sizes symbolic (e.g. k: beta_c as a function of k)",
    )


def parse_param(text: str, model) -> tuple[str, float, float]:
    """``NAME`` or ``NAME=A:B`` -> (name, lo, hi); the default range is the parameter's declared
    range (open ends moved inwards by 1e-6)."""
    name, _, rng = text.partition("=")
    name = name.strip()
    if name not in model.free:
        declared = {n for n, _ in model.settings}
        hint = (
            f"`{name}` is set; do not --set it."
            if name in declared
            else f"`{name}` is not a parameter of {model.name!r}."
        )
        free = ", ".join(model.free) or "none"
        raise ParameterError(
            f"`--param` must name a free real parameter (free: {free}); got {name!r}. {hint}"
        )
    if rng:
        a, sep, b = rng.partition(":")
        try:
            lo, hi = float(a), float(b)
        except ValueError:
            raise ParameterError(
                f"`--param` range must be A:B with numbers; got {rng!r}."
            ) from None
        if not sep or not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
            raise ParameterError(f"`--param` range must be A:B with finite A != B; got {rng!r}.")
        _check_declared(model, name, lo, hi, rng)
        return name, lo, hi
    lo_t, hi_t, lo_open, hi_open = model.range_of(name)
    if lo_t is None or hi_t is None:
        raise ParameterError(
            f"`--param {name}` has no declared range; give one, e.g. --param {name}=0:1."
        )
    try:
        lo, hi = float(lo_t), float(hi_t)
    except ValueError:
        raise ParameterError(
            f"`--param {name}` has a symbolic range [{lo_t}, {hi_t}]; give one, e.g. "
            f"--param {name}=0:1."
        ) from None
    eps = 1e-6 * max(1.0, hi - lo)
    return name, lo + (eps if lo_open else 0.0), hi - (eps if hi_open else 0.0)


def _check_declared(model, name: str, lo: float, hi: float, text: str) -> None:
    """Refuse a range A:B that leaves the declared range of ``name`` (numeric bounds only)."""
    lo_t, hi_t, lo_open, hi_open = model.range_of(name)
    bounds = []
    for b in (lo_t, hi_t):
        try:
            bounds.append(None if b is None else float(b))
        except ValueError:
            bounds.append(None)
    low, high = bounds
    outside = any(
        (low is not None and (x < low or (lo_open and x == low)))
        or (high is not None and (x > high or (hi_open and x == high)))
        for x in (lo, hi)
    )
    if outside:
        declared = (
            f"{'(' if lo_open else '['}{lo_t if low is not None else '-inf'}, "
            f"{hi_t if high is not None else 'inf'}{')' if hi_open else ']'}"
        )
        raise ParameterError(
            f"`--param {name}` range must lie in {declared} (the declared range of `{name}`); "
            f"got {text!r}."
        )


def check(args) -> None:
    """The arguments, checked before any work (also by ``sweep`` at every grid point)."""
    _, model = io.load_model_from_args(args)
    parse_param(args.param, model)


def run(args) -> int:
    from fixedpoints.api import threshold

    _, model = io.load_model_from_args(args)
    name, lo, hi = parse_param(args.param, model)
    symbolic = tuple(s.strip() for s in (args.symbolic or "").split(",") if s.strip())
    res = threshold(model, name, lo, hi, point=args.point, symbolic=symbolic)
    if args.json:
        io.emit_json(res.to_dict())
    elif res.value is None:
        print(f"{res.point}: {res.message}")
    else:
        print(f"{name}_c = {res.value:.12g}   {res.expression or '(no closed form)'}")
        print(f"index {res.index_below} below, {res.index_above} above (point: {res.point})")
    if res.value is None:
        io.info(args, f"fixedpoints threshold: {res.message}")
    return 0
