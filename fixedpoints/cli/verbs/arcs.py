"""The verb ``arcs``: tangency arcs of the minima of a Young fixed space (k = d ReLU models)."""

from __future__ import annotations

from fixedpoints.cli import io

NAME = "arcs"


def add_parser(sub) -> None:
    p = sub.add_parser(
        NAME,
        help="tangency arcs: from each minimum of Fix(--from) along its smallest eigendirections "
        "inside Fix(--isotropy), with the saddles (barriers) and minima they cross",
    )
    io.add_common(p)
    p.add_argument(
        "--from",
        dest="point_isotropy",
        required=True,
        metavar="P1,P2,...",
        help="the fixed space whose minima are the arcs' centers, e.g. d-1,1",
    )
    p.add_argument(
        "--isotropy",
        required=True,
        metavar="P1,P2,...",
        help="the arcs' fixed space: a refinement of --from with the same block order, e.g. d-2,1,1",
    )
    p.add_argument("--starts", type=int, default=200, help="Newton starts of the search")
    p.add_argument(
        "--point", type=int, help="only the minimum with this number in the search's list"
    )
    p.add_argument("--directions", type=int, default=1, help="eigendirections (default 1)")
    p.add_argument("--r-max", type=float, default=2.5, help="last radius (default 2.5)")
    p.add_argument("--plot", metavar="FILE", help="loss profiles along the arcs (png/pdf/svg)")


def run(args) -> int:
    """Find the minima of Fix(--from), trace their arcs, print the crossings."""
    from fixedpoints.api import find_fixed_points, tangency_arcs
    from fixedpoints.errors import out_of_range

    io.check_count("--starts", args.starts)
    io.check_count("--directions", args.directions)
    if args.plot:
        io.check_plot_path(args.plot)
    _, model = io.load_model_from_args(args)
    search = find_fixed_points(
        model, {}, starts=args.starts, seed=args.seed, isotropy=args.point_isotropy
    )
    minima = [
        (i, p)
        for i, p in enumerate(search.points)
        if p.index == 0 and not p.degenerate and p.status == "converged"
    ]
    if args.point is not None:
        if not any(i == args.point for i, _ in minima):
            allowed = ", ".join(str(i) for i, _ in minima) or "none"
            raise out_of_range("--point", args.point, f"the number of a minimum ({allowed})")
        minima = [(i, p) for i, p in minima if i == args.point]
    out = []
    for i, p in minima:
        arcs = tangency_arcs(
            model,
            p,
            args.isotropy,
            point_isotropy=args.point_isotropy,
            directions=args.directions,
            r_max=args.r_max,
        )
        out.append((i, p, arcs))
    if args.plot:
        fig = _figure(out, io.figure_title(model, "tangency arcs (x: saddle, o: minimum)"))
        io.info(args, f"fixedpoints arcs: wrote {io.save_figure(fig, args.plot)}")
    if args.json:
        io.emit_json(
            {
                "model": model.name,
                "settings": dict(model.settings),
                "from": args.point_isotropy,
                "isotropy": args.isotropy,
                "centers": [
                    {"point": i, "loss": p.loss, "arcs": [a.to_dict() for a in arcs]}
                    for i, p, arcs in out
                ],
            }
        )
        return 0
    print(
        f"# {model.name}: tangency arcs in Fix({args.isotropy}) of the minima of Fix({args.point_isotropy})"
    )
    for i, p, arcs in out:
        print(f"minimum {i}: loss {p.loss:.10g}")
        for a in arcs:
            print(
                f"  arc {a.direction}{'+' if a.sign > 0 else '-'} (λ = {a.eigenvalue:.6g}, "
                f"μ(r0) = {a.mu[0] if a.mu else float('nan'):.6g}, {a.status})"
            )
            for c in a.crossings:
                print(
                    f"    r = {c.distance:.4f}: loss {c.loss:.10g}, index {c.index}, "
                    f"barrier {c.barrier:+.7g}, {c.isotropy}"
                )
    return 0


def _figure(out, title):
    from fixedpoints.export.plots import figure

    fig = figure((6.4, 4.2))
    ax = fig.subplots()
    for i, p, arcs in out:
        for a in arcs:
            sign = "+" if a.sign > 0 else "-"
            ax.plot(
                a.radius, [v - p.loss for v in a.loss], label=f"min {i}, arc {a.direction}{sign}"
            )
            for c in a.crossings:
                ax.plot(c.distance, c.barrier, "kx" if c.index else "ko", ms=5)
    ax.axhline(0, color="gray", lw=0.6)
    ax.set_xlabel("r = ‖W − W_c‖_F")
    ax.set_ylabel("L − L(center)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    return fig
