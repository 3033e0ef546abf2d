"""``fixedpoints continue``: pseudo-arclength continuation of fixed points in a parameter."""

from __future__ import annotations

from fixedpoints.cli import io
from fixedpoints.cli.verbs.threshold import parse_param
from fixedpoints.errors import ParameterError

NAME = "continue"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="pseudo-arclength continuation in a parameter")
    io.add_common(p)
    p.add_argument("--param", required=True, metavar="NAME=A:B", help="free parameter and range")
    p.add_argument("--point", help="continue only this named point (default: all found)")
    p.add_argument("--starts", type=int, default=100, help="Newton starts at A (default 100)")
    p.add_argument(
        "--start",
        metavar="FILE",
        help="continue only the point in FILE (JSON): a fixed-points --json document (its "
        "point number --start-index), one of its points ({'coordinates': {'M_11': ...}}), or "
        "{'weights': [...]}; polished by Newton at A",
    )
    p.add_argument(
        "--start-index",
        type=int,
        default=0,
        metavar="N",
        help="with --start and a fixed-points document: which point (default 0, the first)",
    )
    p.add_argument("--no-switch", action="store_true", help="no branch switching")
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="bifurcation diagram (png/pdf/svg): loss per branch, stable (index 0) solid, "
        "unstable dashed",
    )
    p.add_argument(
        "--plot-spectrum",
        metavar="FILE",
        help="every Hessian eigenvalue of each branch against the parameter (png/pdf/svg), "
        "with the zero line and the events",
    )
    p.add_argument(
        "--curve",
        metavar="NAME=C0:C1",
        help="two-parameter continuation: every fold and branch point found on the branches "
        "(computed at NAME = C0, or --curve-at) continued as a curve in (--param, NAME) over "
        "C0..C1; JSON adds curves [{kind, parameters, points, events, ...}], --plot draws the "
        "phase diagram",
    )
    p.add_argument(
        "--curve-at",
        type=float,
        metavar="V",
        help="with --curve: the value of NAME where the one-parameter branches are computed "
        "(default C0)",
    )
    io.add_max_weights(p)
    p.add_argument(
        "--isotropy",
        metavar="SIZES",
        help="with --param d=A:B: follow the points of this Young fixed space (sizes written in "
        "d, e.g. d-1,1) in real d; events name the isotypic component whose eigenvalue crosses "
        "zero and its multiplicity in d",
    )
    p.add_argument(
        "--precision",
        type=int,
        metavar="N",
        help="with --isotropy: follow each family in d at N digits (mpmath; geometric steps, no "
        "float64 cancellation at large d); index from the isotypic spectrum at N digits, JSON "
        "points add loss_digits, coordinates_digits, ...",
    )
    p.add_argument(
        "--per-decade",
        type=int,
        default=8,
        metavar="K",
        help="with --precision: geometric steps per decade of d (default 8)",
    )


def _dimension_range(text):
    """``d=A:B`` → ("d", A, B) for the continuation in the dimension."""
    name, _, rng = text.partition("=")
    a, sep, b = rng.partition(":")
    try:
        lo, hi = float(a), float(b)
    except ValueError:
        lo = hi = None
    if name.strip() != "d" or not sep or lo is None or lo == hi:
        raise ParameterError(f"with `--isotropy`, `--param` must be d=A:B; got {text!r}.")
    return "d", lo, hi


def check(args) -> None:
    """The arguments, checked before any work (also by ``sweep`` at every grid point)."""
    _model_and_range(args)


def start_point(args):
    """The point of ``--start FILE`` (overlaps as a dict, or weights as a list), None without
    it; checked (readable JSON of one of the accepted forms, ``--start-index`` in range)."""
    import json
    from pathlib import Path

    path = getattr(args, "start", None)
    if not path:
        return None
    if args.point:
        raise ParameterError("give `--start` or `--point`, not both.", parameter="start")
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise ParameterError(
            f"`--start` must be a readable JSON file; {e}.", parameter="start"
        ) from None
    if isinstance(doc, dict) and "fixed_points" in doc:
        pts = doc["fixed_points"]
        n = args.start_index
        if not 0 <= n < len(pts):
            raise ParameterError(
                f"`--start-index` must lie in [0, {len(pts) - 1}] (points in {path}); got {n}.",
                parameter="start_index",
            )
        doc = pts[n]
    if isinstance(doc, dict) and "coordinates" in doc:
        return {k: float(v) for k, v in doc["coordinates"].items()}
    if isinstance(doc, dict) and "weights" in doc:
        return [float(v) for v in _flat(doc["weights"])]
    raise ParameterError(
        f"`--start` file {path} must hold a fixed-points --json document, a point with "
        "'coordinates', or 'weights'.",
        parameter="start",
    )


def _flat(value):
    if isinstance(value, list):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def curve_range(args, model, name):
    """``(curve_name, c0, c1, at)`` from ``--curve`` and ``--curve-at`` (None without
    ``--curve``), checked: a free parameter other than ``name``, a finite range, ``at`` inside."""
    if getattr(args, "curve_at", None) is not None and not args.curve:
        raise ParameterError("`--curve-at` needs `--curve NAME=C0:C1`.", parameter="curve_at")
    if not args.curve:
        return None
    if "=" not in args.curve:
        raise ParameterError(
            f"`--curve` must be NAME=C0:C1 (a second free parameter and its range); got "
            f"{args.curve!r}.",
            parameter="curve",
        )
    cname, c0, c1 = parse_param(args.curve, model, "--curve")
    if cname == name:
        raise ParameterError(
            f"`--curve` must name a parameter other than the one of `--param` ({name!r}).",
            parameter="curve",
        )
    at = getattr(args, "curve_at", None)
    if at is not None and not min(c0, c1) <= at <= max(c0, c1):
        raise ParameterError(
            f"`--curve-at` must lie in [{min(c0, c1):g}, {max(c0, c1):g}]; got {at}.",
            parameter="curve_at",
        )
    return cname, c0, c1, (c0 if at is None else at)


def _model_and_range(args):
    """``(model, name, lo, hi)`` from the arguments, checked (with ``--plot``)."""
    if args.precision is not None and not args.isotropy:
        raise ParameterError(
            "`--precision` follows the families of a Young fixed space in d: give `--isotropy` "
            "(e.g. --isotropy d-1,1) and --param d=A:B.",
            parameter="precision",
        )
    if args.isotropy:
        name, lo, hi = _dimension_range(args.param)
        args.sets = [s for s in (args.sets or []) if s.partition("=")[0].strip() != "d"]
        args.sets.append(f"d={int(lo) if lo <= io.TEMPLATE_LIMIT else io.TEMPLATE_D}")
        _, model = io.load_model_from_args(args)
    else:
        _, model = io.load_model_from_args(args)
        name, lo, hi = parse_param(args.param, model)
    if args.curve and args.isotropy:
        raise ParameterError(
            "`--curve` continues folds and branch points in weight space; it does not combine "
            "with `--isotropy`.",
            parameter="curve",
        )
    curve_range(args, model, name)
    start_point(args)
    for path in (args.plot, args.plot_spectrum):
        if path:
            io.check_plot_path(path)
    io.max_weights(args)
    return model, name, lo, hi


def run(args) -> int:
    from fixedpoints.api import continue_fixed_points
    from fixedpoints.export import bifurcation_figure, spectrum_figure

    model, name, lo, hi = _model_and_range(args)
    if args.curve:
        return _run_curves(args, model, name, lo, hi)
    with io.Progress(args, desc="continue", unit=f"steps in {name}") as bar:
        res = continue_fixed_points(
            model,
            name,
            lo,
            hi,
            {},
            starts=args.starts,
            seed=args.seed,
            point=args.point,
            switch=not args.no_switch,
            progress=lambda p: bar(0),
            start_point=start_point(args),
            isotropy=args.isotropy,
            precision=args.precision,
            per_decade=args.per_decade,
            max_weights=io.max_weights(args),
        )
    doc = res.to_dict(timing=args.timing)
    if args.plot:
        fig = bifurcation_figure(
            doc["branches"], name, title=io.figure_title(model, f"continuation in {name}")
        )
        doc["plot"] = io.save_figure(fig, args.plot)
    if args.plot_spectrum:
        fig = spectrum_figure(
            doc["branches"],
            name,
            title=io.figure_title(model, f"spectrum along the branches in {name}"),
        )
        doc["plot_spectrum"] = io.save_figure(fig, args.plot_spectrum)
    if args.json:
        io.emit_json(doc)
        return 0
    print(f"# {model.name}: {len(doc['branches'])} branches in {name} ∈ [{lo:g}, {hi:g}]")
    for b in doc["branches"]:
        ev = (
            "; ".join(
                f"{e['kind']} at {e['value']:.10g} (index {e['index_below']}→{e['index_above']})"
                for e in b["events"]
            )
            or "no events"
        )
        print(f"{b['label'] or 'branch'}: {len(b['points'])} points, {b['status']}; {ev}")
        if b["points"] and "loss_digits" in b["points"][-1]:
            last = b["points"][-1]
            print(f"#   at d = {last['parameter']:g}: loss = {last['loss_digits']}")
        for e in b["events"]:
            if "component" in e:
                print(
                    f"#   d = {e['value']:.10f}: component {e['component']} (multiplicity "
                    f"{e['multiplicity_formula']}) crosses zero"
                )
    return 0


def _run_curves(args, model, name, lo, hi) -> int:
    """``continue --curve``: the branches at the start value and their fold and branch-point
    curves."""
    from fixedpoints.api import continue_curves
    from fixedpoints.export.curves import curves_figure

    cname, c0, c1, at = curve_range(args, model, name)
    with io.Progress(args, desc="continue --curve", unit=f"steps in {cname}") as bar:
        res = continue_curves(
            model,
            name,
            lo,
            hi,
            cname,
            c0,
            c1,
            {},
            at=at,
            starts=args.starts,
            seed=args.seed,
            point=args.point,
            switch=not args.no_switch,
            progress=lambda p: bar(0),
            max_weights=io.max_weights(args),
        )
    doc = res.to_dict(timing=args.timing)
    if args.plot:
        fig = curves_figure(
            doc["curves"],
            (name, cname),
            title=io.figure_title(model, f"phase diagram in ({name}, {cname})"),
        )
        doc["plot"] = io.save_figure(fig, args.plot)
    if args.json:
        io.emit_json(doc)
        return 0
    print(
        f"# {model.name}: {len(doc['curves'])} curves in ({name}, {cname}) over "
        f"[{lo:g}, {hi:g}] x [{c0:g}, {c1:g}] (branches at {cname} = {at:g})"
    )
    for c in doc["curves"]:
        pts = c["points"]
        ends = (
            f"({pts[0][0]:.10g}, {pts[0][1]:.6g}) -> ({pts[-1][0]:.10g}, {pts[-1][1]:.6g})"
            if pts
            else ""
        )
        print(
            f"{c['kind']}: {c['label']}: {len(pts)} points {ends}, {c['status']}"
            if pts
            else f"{c['kind']}: {c['label']}: no points"
        )
        if c.get("expression"):
            print(f"#   closed form: {c['solved_for']} = {c['expression']}")
        for e in c["events"]:
            print(f"#   {e['kind']} at ({e['parameters'][0]:.8g}, {e['parameters'][1]:.8g})")
    return 0
