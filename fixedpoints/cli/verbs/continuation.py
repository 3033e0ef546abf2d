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
    for path in (args.plot, args.plot_spectrum):
        if path:
            io.check_plot_path(path)
    io.max_weights(args)
    return model, name, lo, hi


def run(args) -> int:
    from fixedpoints.api import continue_fixed_points
    from fixedpoints.export import bifurcation_figure, spectrum_figure

    model, name, lo, hi = _model_and_range(args)
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
