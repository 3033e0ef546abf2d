"""``fixedpoints fixed-points``: find and classify the fixed points of a model."""

from __future__ import annotations

from fixedpoints.cli import io
from fixedpoints.errors import ParameterError

NAME = "fixed-points"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="find and classify fixed points")
    io.add_common(p)
    p.add_argument(
        "--isotropy",
        metavar="P1,P2,...",
        help="search the fixed space of the Young subgroup Δ(S_p1×…×S_pr) (block sizes summing "
        "to the student width; the teachers move with the students when k = m), e.g. 9,1; "
        "a suffix :sgn twists by the sign character (3,1:sgn); isotypic spectra per point",
    )
    p.add_argument(
        "--ansatz",
        metavar="NAME",
        help="search the fixed space of an ansatz: symmetric, block:p1,..., diagonal",
    )
    p.add_argument("--starts", type=int, default=200, help="Newton starts (default 200)")
    p.add_argument(
        "--precision",
        type=int,
        metavar="N",
        help="with --isotropy: polish each point with mpmath at N digits and recompute loss, "
        "coordinates and isotypic spectrum there (JSON adds loss_digits, ...); needed above "
        "d = 1e5",
    )
    p.add_argument(
        "--certify",
        action="store_true",
        help="with --isotropy: prove each point with Arb ball arithmetic (python-flint): a "
        "Krawczyk box with exactly one critical point and rigorous isotypic eigenvalue bounds "
        "(JSON certificate: verdict, radius, eigenvalue_lower_bound, index)",
    )
    io.add_max_weights(p)
    p.add_argument("--no-deflation", action="store_true", help="plain multistart Newton")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes for the Newton runs of a weight-space search (default: the usable CPUs; "
        "the result does not depend on it up to round-off)",
    )
    p.add_argument(
        "--no-lattice",
        action="store_true",
        help="random starts only: skip the fixed spaces of the symmetry lattice (faster for wide "
        "models, but points fixed by a subgroup may be missed)",
    )
    p.add_argument(
        "--format", choices=["text", "latex", "json"], default="text", help="output format"
    )


def check(args):
    """The arguments, checked before any work (also by ``sweep`` at every grid point); returns
    ``(model, dimension)`` (:func:`~fixedpoints.cli.io.load_reduced_model`)."""
    if (args.precision is not None or args.certify) and not args.isotropy:
        raise ParameterError(
            "`--precision` and `--certify` work in the fixed space of a Young subgroup: give "
            "`--isotropy` (e.g. --isotropy d-1,1)."
        )
    if args.isotropy and args.ansatz:
        raise ParameterError("give either `--isotropy` or `--ansatz`, not both.")
    io.check_count("--starts", args.starts, 100_000)
    io.check_count("--workers", args.workers, 1024)
    io.max_weights(args)
    _, model, dimension = io.load_reduced_model(args)
    return model, dimension


def run(args) -> int:
    from fixedpoints.api import find_fixed_points
    from fixedpoints.export import fixed_points_table_latex, fixed_points_table_text

    model, dimension = check(args)
    if not (args.isotropy or args.ansatz):
        io.note_weight_space(args, model, NAME)
    with io.Progress(args, total=args.starts, desc="fixed-points", unit="starts") as bar:
        res = find_fixed_points(
            model,
            {},
            starts=args.starts,
            seed=args.seed,
            isotropy=args.isotropy,
            ansatz=args.ansatz,
            progress=bar,
            deflation=not args.no_deflation,
            lattice=not args.no_lattice,
            precision=args.precision,
            certify=args.certify,
            dimension=dimension,
            max_weights=io.max_weights(args),
            workers=args.workers,
        )
    doc = res.to_dict(timing=args.timing)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        io.emit_json(doc)
    elif fmt == "latex":
        caption = f"Fixed points of {model.name} ({res.space})."
        print(fixed_points_table_latex(doc["fixed_points"], caption=caption))
    else:
        print(
            f"# {model.name}: {len(res.points)} fixed-point orbits in {res.space} "
            f"({res.starts} starts, {res.stats['seconds']:.2f} s); symmetry: {res.symmetry}"
        )
        if res.group:
            gens = "; ".join(res.group["generators"]) or "none"
            exact = "" if res.group["exact"] else " (a lower bound)"
            print(f"# group: order {res.group['order']}{exact}; generators: {gens}")
        print(fixed_points_table_text(doc["fixed_points"]))
        for i, p in enumerate(doc["fixed_points"], 1):
            if "loss_digits" in p:
                print(f"# point {i}: loss = {p['loss_digits']}")
            if "certificate" in p:
                c = p["certificate"]
                print(
                    f"# point {i}: certificate {c['verdict']} (radius {c['radius']:.3g}, "
                    f"smallest eigenvalue >= {c['eigenvalue_lower_bound']:.6g}, index "
                    f"{c['index']}){' - ' + c['reason'] if c.get('reason') else ''}"
                )
        for n in doc["notes"]:
            print(f"# note: {n}")
    return 0
