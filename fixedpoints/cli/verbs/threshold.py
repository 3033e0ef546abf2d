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
        "--curve",
        metavar="NAME=C0:C1",
        help="the threshold as a curve in a second free parameter: found at NAME = C0 and "
        "continued to C1, with its closed form where SymPy finds one (JSON curve)",
    )
    p.add_argument(
        "--symbolic",
        metavar="NAMES",
        help="also solve with these sizes symbolic (e.g. k: beta_c as a function of k)",
    )


def parse_param(text: str, model, flag: str = "--param") -> tuple[str, float, float]:
    """``NAME`` or ``NAME=A:B`` -> (name, lo, hi); the default range is the parameter's declared
    range (open ends moved inwards by 1e-6). Errors name ``flag``."""
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
            f"`{flag}` must name a free real parameter (free: {free}); got {name!r}. {hint}"
        )
    if rng:
        a, sep, b = rng.partition(":")
        try:
            lo, hi = float(a), float(b)
        except ValueError:
            raise ParameterError(f"`{flag}` range must be A:B with numbers; got {rng!r}.") from None
        if not sep or not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
            raise ParameterError(f"`{flag}` range must be A:B with finite A != B; got {rng!r}.")
        _check_declared(model, name, lo, hi, rng, flag)
        return name, lo, hi
    lo_t, hi_t, lo_open, hi_open = model.range_of(name)
    if lo_t is None or hi_t is None:
        raise ParameterError(
            f"`{flag} {name}` has no declared range; give one, e.g. {flag} {name}=0:1."
        )
    try:
        lo, hi = float(lo_t), float(hi_t)
    except ValueError:
        raise ParameterError(
            f"`{flag} {name}` has a symbolic range [{lo_t}, {hi_t}]; give one, e.g. "
            f"{flag} {name}=0:1."
        ) from None
    eps = 1e-6 * max(1.0, hi - lo)
    return name, lo + (eps if lo_open else 0.0), hi - (eps if hi_open else 0.0)


def _check_declared(model, name: str, lo: float, hi: float, text: str, flag: str) -> None:
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
            f"`{flag} {name}` range must lie in {declared} (the declared range of `{name}`); "
            f"got {text!r}."
        )


def check(args) -> None:
    """The arguments, checked before any work (also by ``sweep`` at every grid point)."""
    _checked(args)


def _checked(args):
    """``(model, name, lo, hi, curve)`` from the arguments, checked."""
    _, model = io.load_model_from_args(args)
    name, lo, hi = parse_param(args.param, model)
    curve = None
    if getattr(args, "curve", None):
        if "=" not in args.curve:
            raise ParameterError(
                f"`--curve` must be NAME=C0:C1 (a second free parameter and its range); got "
                f"{args.curve!r}.",
                parameter="curve",
            )
        curve = parse_param(args.curve, model, "--curve")
        if curve[0] == name:
            raise ParameterError(
                f"`--curve` must name a parameter other than the one of `--param` ({name!r}).",
                parameter="curve",
            )
    return model, name, lo, hi, curve


def run(args) -> int:
    from fixedpoints.api import threshold

    model, name, lo, hi, curve = _checked(args)
    symbolic = tuple(s.strip() for s in (args.symbolic or "").split(",") if s.strip())
    res = threshold(model, name, lo, hi, point=args.point, symbolic=symbolic, curve=curve)
    if args.json:
        io.emit_json(res.to_dict())
    elif res.value is None:
        print(f"{res.point}: {res.message}")
    else:
        at = f" at {curve[0]} = {curve[1]:g}" if curve else ""
        print(f"{name}_c = {res.value:.12g}{at}   {res.expression or '(no closed form)'}")
        print(f"index {res.index_below} below, {res.index_above} above (point: {res.point})")
    if res.curve is not None and not args.json:
        c = res.curve
        print(
            f"# {name}_c along {curve[0]} in [{curve[1]:g}, {curve[2]:g}]: {len(c.points)} points"
        )
        if c.expression:
            print(f"#   closed form: {c.solved_for} = {c.expression}")
        for p in c.points:
            print(f"{p.p2:.10g}\t{p.p1:.12g}")
    if res.value is None:
        io.info(args, f"fixedpoints threshold: {res.message}")
    return 0
