"""The verb ``graph``: the transition graph of a model's fixed points."""

from __future__ import annotations

import time

from fixedpoints.cli.main import check_plot_path, emit_json, info, load_cli_model_file, save_figure
from fixedpoints.errors import out_of_range

__all__ = ["add_graph_parser", "cmd_graph"]


def add_graph_parser(sub, common) -> None:
    """Register the verb."""
    p = sub.add_parser(
        "graph",
        help="transition graph: fixed points as nodes, saddle → flow end points as edges",
    )
    common(p)
    p.add_argument(
        "--isotropy",
        metavar="P1,P2,...",
        help="seed the graph with the fixed points of Fix(Δ(S_p1×…×S_pr)) (k = d ReLU "
        "teacher–student), e.g. 5,1; the flow itself runs in full weight space",
    )
    p.add_argument("--starts", type=int, default=200, help="Newton starts (default 200)")
    p.add_argument(
        "--displacement",
        type=float,
        default=1e-3,
        help="initial step along each unstable eigenvector (default 1e-3)",
    )
    p.add_argument(
        "--t-max", type=float, default=1e4, help="flow time limit per start (default 1e4)"
    )
    p.add_argument("--plot", metavar="FILE", help="draw the graph to FILE (png/pdf/svg)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")


def cmd_graph(args) -> int:
    """Find the fixed points, build the transition graph, emit it."""
    import networkx as nx

    from fixedpoints.analysis import find_fixed_points, landscape
    from fixedpoints.cli.analysis import _check_positive, _Progress
    from fixedpoints.graphs import summary, transition_graph

    _check_positive("--starts", args.starts, 100000)
    if not (0 < args.displacement < 1):
        raise out_of_range("--displacement", args.displacement, "in (0, 1)")
    if not args.t_max > 0:
        raise out_of_range("--t-max", args.t_max, "> 0")
    if args.plot:
        check_plot_path(args.plot)
    _, model = load_cli_model_file(args)
    t0 = time.perf_counter()
    bar = _Progress(args, total=args.starts, desc="fixed points")
    try:
        res = find_fixed_points(
            model, {}, starts=args.starts, seed=args.seed, isotropy=args.isotropy, progress=bar
        )
    finally:
        bar.close()
    space = landscape(model, {})
    embed = None
    if args.isotropy is not None:
        from fixedpoints.numeric.symmetry import young_isotropy

        iso = young_isotropy(args.isotropy, space.d)

        def embed(xi):
            return iso.weights(xi).ravel()

    bar = _Progress(args, total=None, desc="transition flows")
    try:
        G = transition_graph(
            space,
            res.points,
            embed=embed,
            displacement=args.displacement,
            t_max=args.t_max,
            seed=args.seed,
            progress=bar,
        )
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0
    doc = nx.node_link_data(G, edges="edges")
    doc["summary"] = summary(G)
    doc["model"] = model.name
    doc["settings"] = dict(model.settings)
    doc["space"] = res.space
    doc["seconds"] = round(elapsed, 3)
    if args.plot:
        from fixedpoints.export.graph import transition_graph_figure

        fig = transition_graph_figure(doc, title=f"transition graph of {model.name}")
        info(args, f"fixedpoints graph: wrote {save_figure(fig, args.plot)}")
    if args.json or args.format == "json":
        emit_json(doc)
        return 0
    s = doc["summary"]
    print(
        f"# {model.name}: transition graph with {s['nodes']} nodes, {s['edges']} edges "
        f"({s['directions_followed']} starts from {s['saddles_followed']} saddles, "
        f"{s['unresolved']} unresolved; {elapsed:.2f} s)"
    )
    print(
        f"{'node':>5} {'loss':>16} {'index':>5} {'kind':<11} {'count':>8} {'followed':>8}  source"
    )
    for n in doc["nodes"]:
        print(
            f"{n['id']:>5} {n['loss']:>16.10g} {n['index']:>5} {n['kind']:<11} {n['count']:>8} "
            f"{n['followed']:>8}  {n['source']}"
        )
    print(f"{'edge':>9} {'loss drop':>14} {'starts':>6} {'time':>10}  most unstable direction")
    for e in doc["edges"]:
        print(
            f"{e['source']:>4}→{e['target']:<4} {e['loss_drop']:>14.8g} {e['count']:>6} "
            f"{e['transit_time']:>10.4g}  λ={e['eigenvalue']:.6g}"
        )
    for sk in s["sinks"]:
        print(
            f"# sink {sk['node']} (loss {sk['loss']:.10g}, {sk['kind']}): basin {sk['basin']}, "
            f"reached only through {sk['gatekeepers'] or 'no single node'}"
        )
    path = s["longest_monotone_path"]
    print(f"# longest monotone path: {' → '.join(str(n) for n in path['nodes'])}")
    return 0
