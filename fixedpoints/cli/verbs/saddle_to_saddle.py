"""The verb ``saddle-to-saddle``: small-initialization plateau sequence (loss, rescaled time)."""

from __future__ import annotations

import math

from fixedpoints.cli import io
from fixedpoints.errors import out_of_range

NAME = "saddle-to-saddle"


def add_parser(sub) -> None:
    p = sub.add_parser(
        NAME,
        help="small-initialization plateau sequence (two-homogeneous networks)",
        description="Predict the plateaus (loss, time t/ln(1/δ), active neurons) that gradient flow "
        "visits from a small initialization δ: KKT points of the residual neural correlation "
        "function, dormant gains carried across saddles, cost minimization over the active set.",
    )
    io.add_common(p)
    p.add_argument(
        "--delta", type=float, help="also report predicted absolute times t at this δ (0 < δ < 1)"
    )
    p.add_argument(
        "--format", choices=["text", "json"], default="text", help="output (--json = json)"
    )
    p.add_argument("--starts", type=int, default=24, help="KKT search starts per saddle")
    p.add_argument("--max-plateaus", type=int, default=20, help="stop after this many plateaus")
    p.add_argument("--plot", metavar="FILE", help="staircase figure of loss vs t/ln(1/δ)")


def run(args) -> int:
    from fixedpoints.api import saddle_to_saddle
    from fixedpoints.export import staircase_figure

    if args.delta is not None and not (0 < args.delta < 1):
        raise out_of_range("--delta", args.delta, "in (0, 1)")
    if args.plot:
        io.check_plot_path(args.plot)
    _, model = io.load_model_from_args(args)
    seq = saddle_to_saddle(
        model,
        seed=args.seed,
        starts=args.starts,
        max_plateaus=args.max_plateaus,
        progress=lambda k: io.info(args, f"plateau {k} found"),
    )
    doc = seq.to_dict()
    doc["time_unit"] = "t / ln(1/delta)"
    if args.delta is not None:
        doc["delta"] = args.delta
        for p in doc["plateaus"]:
            p["t"] = round(p["time"] * math.log(1 / args.delta), 10)
    if args.plot:
        fig = staircase_figure(
            [p["time"] for p in doc["plateaus"]],
            [p["loss"] for p in doc["plateaus"]],
            title=io.figure_title(model, "saddle-to-saddle"),
        )
        doc["plot"] = io.save_figure(fig, args.plot)
    if args.json or args.format == "json":
        io.emit_json(doc)
    else:
        _print(doc)
    return 0


def _print(doc) -> None:
    print(f"# {doc['model']}: {doc['method']}; time = t / ln(1/δ)")
    t_col = "delta" in doc
    head = f"{'plateau':>7}  {'time':>12}  {'loss':>14}  {'active':>6}  {'max NCF':>12}"
    print(head + (f"  {'t at δ=' + format(doc['delta'], 'g'):>14}" if t_col else ""))
    for i, p in enumerate(doc["plateaus"]):
        ncf = "" if p["ncf_max"] is None else f"{p['ncf_max']:.6g}"
        line = f"{i:7d}  {p['time']:12.6g}  {p['loss']:14.8g}  {len(p['active']):6d}  {ncf:>12}"
        print(line + (f"  {p['t']:14.6g}" if t_col else ""))
    for n in doc["notes"]:
        print(f"# {n}")
    if "plot" in doc:
        print(f"# plot written to {doc['plot']}")
