"""``fixedpoints derive``: the loss and the order-parameter ODEs of a model."""

from __future__ import annotations

import time

from fixedpoints.cli import io

NAME = "derive"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="population loss and closed order-parameter ODEs")
    io.add_common(p)
    p.add_argument(
        "--format",
        choices=["text", "latex", "json"],
        default="text",
        help="output format (default text; --json is --format json)",
    )
    p.add_argument(
        "--expand",
        action="store_true",
        help="LaTeX: one line per variable (default: the matrix form, kernels defined once)",
    )
    p.add_argument(
        "--ansatz",
        metavar="NAME",
        help="reduce by an ansatz (symmetric, diagonal, block:p1,p2,...) after "
        "verifying it is invariant",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="integrate the ODEs from a random initialization (seeded) and plot the "
        "loss and order parameters to FILE (png/pdf/svg)",
    )
    p.add_argument(
        "--time", type=float, default=20.0, help="integration window for --plot (default 20)"
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="derivation cache folder (default $FIXEDPOINTS_CACHE_DIR or ~/.cache/fixedpoints)",
    )
    p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")


def _plot(args, model, flow) -> dict:
    from fixedpoints.api import flow_trajectory
    from fixedpoints.export import trajectory_figure

    io.check_plot_path(args.plot)
    traj = flow_trajectory(model, flow, args.time, seed=args.seed)
    fig = trajectory_figure(
        traj.times,
        traj.states,
        traj.names,
        traj.losses,
        title=io.figure_title(model, f"order-parameter flow (seed {args.seed})"),
    )
    return {
        "plot": io.save_figure(fig, args.plot),
        "final_loss": float(traj.losses[-1]),
        "status": str(traj.status),
    }


def run(args) -> int:
    """Derive and print (:func:`fixedpoints.api.printed_flow`: a flow printed before in the same
    format is printed from the cache, without SymPy); with ``--plot`` also integrate and draw."""
    from fixedpoints.api import printed_flow

    if args.plot:
        io.check_plot_path(args.plot)
    _, model = io.load_model_from_args(args)
    t0 = time.perf_counter()
    cache = False if args.no_cache else args.cache_dir
    fmt = "json" if args.json else args.format
    flow = None
    if args.plot:  # the flow itself, to integrate
        from fixedpoints.api import derive

        flow = derive(model, ansatz=args.ansatz, cache_dir=cache)
    out, cached = printed_flow(
        model, fmt, ansatz=args.ansatz, expand=args.expand, cache_dir=cache, flow=flow
    )
    elapsed = time.perf_counter() - t0
    plot = _plot(args, model, flow) if args.plot else None
    if fmt == "json":
        doc = dict(out["body"])
        doc["settings"] = dict(model.settings)
        if plot:
            doc["plot"] = plot
        if args.timing:
            doc["seconds"] = round(elapsed, 3)
        io.emit_json(doc)
    elif fmt == "latex":
        print(out["body"])
    else:
        free = ", ".join(out["parameters"])
        print(
            f"# {model.name}: {out['dimension']} variables"
            + (f", free parameters {free}" if free else "")
        )
        print(out["body"])
    how = "read from the cache" if cached else "derived"
    io.info(args, f"{how} {out['dimension']} equations in {elapsed:.2f} s")
    if plot:
        io.info(args, f"wrote {plot['plot']} (final loss {plot['final_loss']:.6g})")
    return 0
