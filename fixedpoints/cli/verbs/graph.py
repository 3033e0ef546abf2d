"""The verb ``graph``: the transition graph of a model's fixed points."""

from __future__ import annotations

from fixedpoints.cli import io
from fixedpoints.errors import ParameterError

NAME = "graph"


def add_parser(sub) -> None:
    p = sub.add_parser(
        NAME,
        help="transition graph: fixed points as nodes, saddle → flow end points as edges",
    )
    io.add_common(p)
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
        help="initial step along each unstable eigenvector (default 1e-3; more along a weakly "
        "unstable one, so that its flow leaves within the time limit)",
    )
    p.add_argument(
        "--t-max", type=float, default=1e4, help="flow time limit per start (default 1e4)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes integrating the flows (default: the usable CPUs; the graph does not "
        "depend on it)",
    )
    p.add_argument(
        "--directions",
        choices=["symmetric", "eigenvectors"],
        default="symmetric",
        help="the starts out of each saddle: 'symmetric' (default) the coordinate axes projected "
        "onto each unstable eigenspace, both signs, one flow per orbit of the saddle's "
        "stabiliser; 'eigenvectors' LAPACK's eigenvectors, both signs, every one integrated",
    )
    p.add_argument(
        "--confine",
        action="store_true",
        help="keep each symmetric start's flow on the fixed space of its stabiliser: the exact "
        "connections inside fixed-point subspaces, ending at the lower-symmetry saddles that "
        "free flows pass close by (more nodes, slower)",
    )
    p.add_argument(
        "--rtol",
        type=float,
        default=1e-4,
        help="relative tolerance of the flows (default 1e-4: the same sinks as 1e-7, 2.1 times "
        "fewer steps than 1e-6; saddles reached only through near-misses of other saddles vary)",
    )
    p.add_argument("--plot", metavar="FILE", help="draw the graph to FILE (png/pdf/svg)")
    io.add_max_weights(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")


def run(args) -> int:
    """Find the fixed points, build the transition graph, emit it."""
    from fixedpoints.api import transition_graph
    from fixedpoints.export import transition_graph_figure

    if args.plot:
        io.check_plot_path(args.plot)
    io.check_count("--workers", args.workers, 1024)
    if args.confine and args.directions != "symmetric":
        raise ParameterError(
            "`--confine` needs `--directions symmetric`; got eigenvectors.", parameter="confine"
        )
    _, model = io.load_model_from_args(args)
    limit = io.max_weights(args)
    if not args.isotropy:
        io.note_weight_space(args, model, NAME)
    with (
        io.Progress(args, total=args.starts, desc="graph", unit="starts") as search_bar,
        io.Progress(args, total=None, desc="graph", unit="transition flows") as bar,
    ):
        res = transition_graph(
            model,
            {},
            isotropy=args.isotropy,
            starts=args.starts,
            seed=args.seed,
            displacement=args.displacement,
            t_max=args.t_max,
            search_progress=search_bar,
            progress=bar,
            max_weights=limit,
            workers=args.workers,
            directions=args.directions,
            confine=args.confine,
            rtol=args.rtol,
        )
    doc = res.to_dict(timing=args.timing)
    elapsed = res.stats["seconds"]
    if args.plot:
        fig = transition_graph_figure(doc, title=io.figure_title(model, "transition graph"))
        io.info(args, f"fixedpoints graph: wrote {io.save_figure(fig, args.plot)}")
    s = doc["summary"]
    if s.get("unresolved_at_t_max"):
        io.info(
            args,
            f"fixedpoints graph: {s['unresolved_at_t_max']} of the {s['unresolved']} unresolved "
            f"starts were still moving at --t-max {args.t_max:g}; a longer time limit may "
            "resolve them",
        )
    if args.json or args.format == "json":
        io.emit_json(doc)
        return 0
    print(
        f"# {model.name}: transition graph with {s['nodes']} nodes, {s['edges']} edges "
        f"({s['directions_followed']} starts from {s['saddles_followed']} saddles in "
        f"{s['flows']} flows, "
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
