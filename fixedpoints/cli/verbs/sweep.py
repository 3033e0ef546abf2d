"""The verb ``sweep``: run a verb over a parameter grid with Dask, one result file per grid point.

::

    fixedpoints sweep threshold multi-index --grid k=3,4,5 --grid target=He3,He4 --out runs/ \\
        -- --param beta

Layout of the output folder ``DIR``:

- ``sweep.json``: the sweep's definition (verb, model, fixed ``--set`` values, grid, verb
  arguments, seed). A rerun with a different definition is refused, so points of different
  sweeps never mix.
- ``points/<key>.json``: one record per finished grid point (``point``, ``status``, ``exit_code``,
  ``result``, ``error``, ``seconds``), written atomically (temporary file + :func:`os.replace`). A
  rerun skips every point with a record (failed ones too, unless ``--retry-failed``), so an
  interrupted sweep resumes where it stopped.
- ``results.jsonl``, ``results.csv``: the combined table (grid values + scalar results), and
  ``phase_diagram.png`` (2-D grids) or ``plot.png`` (1-D grids).

Grid points run in Dask worker processes (a local cluster on loopback by default, or an existing
cluster with ``--scheduler``), each by calling the ``fixedpoints`` command line in-process with
``--json --quiet``; workers need ``fixedpoints`` installed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from fixedpoints.cli import io
from fixedpoints.cli.sweep.grid import (
    MAX_POINTS,
    describe_point,
    grid_points,
    parse_grid,
    point_key,
    value_text,
)
from fixedpoints.cli.sweep.runner import run_grid, terminate_as_interrupt
from fixedpoints.cli.sweep.store import (
    combined_table,
    default_colour,
    load_finished,
    read_definition,
    remove_temporaries,
    write_json_atomic,
    write_table,
)
from fixedpoints.errors import FixedPointsError, ParameterError, out_of_range
from fixedpoints.models import load_model_file

NAME = "sweep"

NOT_SWEEPABLE = frozenset({"presets", "study", "sweep"})
_ADDRESS = re.compile(r"(?:[a-z]+://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::\d{1,5})?/?")


class _ModelVerbs:
    """The verbs registered beside ``sweep`` that take a model (read when parsing, so verbs added
    after ``sweep`` count too); used as argparse ``choices``."""

    def __init__(self, registry):
        self.registry = registry

    def __iter__(self):
        return (v for v in self.registry if v not in NOT_SWEEPABLE)

    def __contains__(self, verb):
        return verb in self.registry and verb not in NOT_SWEEPABLE


def _split_at_separator(parser_class):
    """A parser class that hands everything after the first ``--`` to the swept verb."""

    class _SweepParser(parser_class):
        def parse_known_args(self, args=None, namespace=None):
            args = list(args or ())
            tail = []
            if "--" in args:
                i = args.index("--")
                args, tail = args[:i], args[i + 1 :]
            namespace, extras = super().parse_known_args(args, namespace)
            namespace.verb_args = tail
            return namespace, extras

    return _SweepParser


def add_parser(sub, *, entry, parser_factory) -> None:
    """Register ``sweep``; ``entry`` (``main(argv)``) runs a grid point, ``parser_factory``
    (``build_parser()``) checks the swept verb's arguments."""
    p = sub.add_parser(
        NAME,
        usage="fixedpoints sweep VERB PRESET_OR_MODEL_FILE --grid NAME=SPEC [--grid ...] "
        "--out DIR [options] [-- VERB_ARGS ...]",
        help="run a verb over a parameter grid (Dask; resumable output folder)",
        description="Run VERB on every point of a parameter grid with Dask (local worker processes "
        "on loopback, or an existing cluster with --scheduler). Arguments after `--` go to VERB. "
        "Each finished point is written to DIR/points/ as it completes; rerunning the same "
        "command skips finished points (resume after a crash or Ctrl-C). The combined table goes "
        "to DIR/results.jsonl and DIR/results.csv, with a phase diagram for 2-D grids.",
        epilog="example: fixedpoints sweep threshold multi-index --grid k=3,4,5 "
        "--grid target=He3,He4 --out runs/ -- --param beta. Exit code 1 when some points failed "
        "(their errors are in DIR/points/ and the table).",
    )
    p.__class__ = _split_at_separator(type(p))
    p.add_argument(
        "target_verb",
        metavar="VERB",
        choices=_ModelVerbs(sub.choices),
        help="the verb to run at every grid point (e.g. threshold, fixed-points, derive)",
    )
    io.add_common(p)
    p.set_defaults(entry=entry, parser_factory=parser_factory)
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        required=True,
        metavar="NAME=SPEC",
        help="a grid axis (repeatable; the grid is the product): NAME=A:B:N (N points from A to B "
        "inclusive) or NAME=V1,V2,... (use `;` to separate list-valued entries)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (resumable)")
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="address of a running Dask scheduler (tcp://...)"
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        default=min(4, os.cpu_count() or 1),
        help="worker processes of the local cluster (default min(4, CPUs); ignored with "
        "--scheduler)",
    )
    p.add_argument("--retry-failed", action="store_true", help="rerun points that failed before")
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="phase diagram (2-D grid) or line plot (1-D grid), png/pdf/svg (default "
        "DIR/phase_diagram.png or DIR/plot.png)",
    )
    p.add_argument("--no-plot", action="store_true", help="no figure")
    p.add_argument("--color", metavar="KEY", help="table column to plot (default: chosen)")


def _validate(args, mf, grid: dict, points: list[dict]) -> None:
    """Check every grid point, the verb's arguments and ``--plot`` before anything runs."""
    if args.scheduler and not _ADDRESS.fullmatch(args.scheduler):
        raise out_of_range(
            "--scheduler", args.scheduler, "a Dask scheduler address such as tcp://10.0.0.5:8786"
        )
    io.check_writable(args.out, "--out", folder=True)
    if not 1 <= args.workers <= 1024:
        raise out_of_range("--workers", args.workers, "an integer in [1, 1024]")
    if len(points) > MAX_POINTS:
        raise out_of_range("--grid", f"{len(points)} points", f"at most {MAX_POINTS} points")
    fixed = {str(s).split("=", 1)[0].strip() for s in args.sets}
    both = [n for n in grid if n in fixed]
    if both:
        raise ParameterError(f"`{both[0]}` is both set (--set) and swept (--grid); drop one.")
    if "--seed" in args.verb_args or any(a.startswith("--seed=") for a in args.verb_args):
        raise ParameterError("`--seed` goes before `--`: every point runs with sweep's --seed.")
    for point in points:
        assignments = list(args.sets) + [f"{n}={value_text(v)}" for n, v in point.items()]
        try:
            mf.instantiate(assignments)
        except FixedPointsError as e:
            raise type(e)(f"grid point {describe_point(point)}: {e}") from None
    try:
        verb = args.parser_factory().parse_args([args.target_verb, args.model, *args.verb_args])
    except io.UsageError as e:
        raise ParameterError(f"arguments after `--` for {args.target_verb}: {e}") from None
    except SystemExit:  # --help after `--`: the verb's help is printed; nothing to sweep
        raise ParameterError(f"`--help` after `--` shows {args.target_verb}'s options") from None
    _check_verb(args, verb, points)
    dims = [n for n, values in grid.items() if len(values) > 1]
    if args.plot:
        io.check_plot_path(args.plot)
        if len(dims) not in (1, 2):
            raise ParameterError(
                f"`--plot` needs a 1-D or 2-D grid; got {len(dims)} axes with more than one value."
            )


def _check_verb(args, verb, points: list[dict]) -> None:
    """The swept verb's own checks (its ``check(args)``: flags against the model, e.g.
    ``--param`` naming a free parameter), at every grid point, before anything runs."""
    check = getattr(verb, "check", None)
    if check is None:
        return
    verb.quiet, verb.json = True, True
    given = list(verb.sets or [])
    for point in points:
        verb.sets = [*args.sets, *given, *(f"{n}={value_text(v)}" for n, v in point.items())]
        try:
            check(verb)
        except FixedPointsError as e:
            where = f" at grid point {describe_point(point)}" if point else ""
            raise type(e)(
                f"arguments after `--` for {args.target_verb}{where}: {io.cli_message(e)}"
            ) from None


def _definition(args, grid) -> dict:
    import hashlib

    path = Path(args.model)
    digest = (
        hashlib.sha256(path.read_bytes()).hexdigest()
        if path.suffix == ".toml" and path.is_file()
        else None
    )
    return {
        "verb": args.target_verb,
        "model": args.model,
        "model_sha256": digest,
        "sets": list(args.sets),
        "grid": [[name, values] for name, values in grid.items()],
        "verb_args": list(args.verb_args),
        "seed": args.seed,
    }


def run(args) -> int:

    mf = load_model_file(args.model)
    # the declared parameters and those of the activations (c in --set target="He3+c*He4")
    grid = parse_grid(args.grid, mf.parameters_for(args.sets))
    points = grid_points(grid)
    _validate(args, mf, grid, points)
    out = Path(args.out)
    definition = _definition(args, grid)
    previous = read_definition(out)
    if previous is not None and previous != definition:
        differ = [k for k in definition if previous.get(k) != definition.get(k)]
        raise ParameterError(
            f"`--out {args.out}` holds a different sweep (sweep.json differs in "
            f"{', '.join(differ) or 'its format'}); choose another --out folder, or delete it."
        )
    points_dir = out / "points"
    points_dir.mkdir(parents=True, exist_ok=True)
    if previous is None:
        write_json_atomic(out / "sweep.json", {"sweep": definition})
    remove_temporaries(out)
    remove_temporaries(points_dir)
    keyed = [(point_key(p), p) for p in points]
    records = load_finished(points_dir, [k for k, _ in keyed])
    if args.retry_failed:
        records = {k: r for k, r in records.items() if r["status"] == "ok"}
    skipped = len(records)
    todo = [(k, p) for k, p in keyed if k not in records]
    total = len(points)
    io.info(args, f"sweep: {total} points, {skipped} already done, {len(todo)} to run")
    bar = io.Progress(args, total=total, desc=f"sweep {args.target_verb}", unit="points")
    bar(skipped, total)
    try:
        if todo:
            with terminate_as_interrupt():
                run_grid(args, todo, records, points_dir, total, bar)
    except KeyboardInterrupt:
        bar.close()
        print(
            f"fixedpoints sweep: interrupted; {len(records)} of {total} points done in "
            f"{points_dir}; rerun the same command to resume.",
            file=sys.stderr,
        )
        return 130
    finally:
        bar.close()
    return _report(args, out, grid, keyed, records, skipped)


def _report(args, out: Path, grid, keyed, records, skipped) -> int:
    rows = combined_table(grid, keyed, records, timing=args.timing)
    write_table(out, rows)
    failed = sum(1 for r in records.values() if r["status"] != "ok")
    dims = [n for n, values in grid.items() if len(values) > 1]
    color = args.color or default_colour(rows, grid)
    if args.color and not any(args.color in r for r in rows):
        columns = sorted({c for r in rows for c in r} - set(grid))
        raise ParameterError(
            f"`--color` must be a column of the table ({', '.join(columns)}); got "
            f"{args.color!r}. The results are written to {out}."
        )
    plot = _plot(args, out, rows, dims, color)
    doc = {
        "out": str(out),
        "verb": args.target_verb,
        "model": args.model,
        "total": len(keyed),
        "done": len(records),
        "skipped": skipped,
        "failed": failed,
        "results": {"jsonl": str(out / "results.jsonl"), "csv": str(out / "results.csv")},
        "plot": plot,
        "color": color,
        "table": rows,
    }
    if args.json:
        io.emit_json(doc)
    else:
        _print_summary(doc, list(grid), color)
    return 1 if failed else 0


def _plot(args, out: Path, rows, dims, color) -> str | None:
    if args.no_plot or len(dims) not in (1, 2) or color is None:
        return None
    if not any(r.get("status") == "ok" and r.get(color) is not None for r in rows):
        return None
    from fixedpoints.export import phase_diagram_figure, sweep_line_figure

    title = f"{args.target_verb} {args.model}: {color}"
    if len(dims) == 2:
        path = Path(args.plot) if args.plot else out / "phase_diagram.png"
        fig = phase_diagram_figure(rows, dims[0], dims[1], color, title=title)
    else:
        path = Path(args.plot) if args.plot else out / "plot.png"
        fig = sweep_line_figure(rows, dims[0], color, title=title)
    return io.save_figure(fig, path)


def _print_summary(doc, names, color) -> None:
    print(
        f"# sweep {doc['verb']} {doc['model']}: {doc['done']} of {doc['total']} points done "
        f"({doc['skipped']} skipped as already done, {doc['failed']} failed) in {doc['out']}"
    )
    cols = [*names, "status"] + ([color] if color else [])
    width = {c: max([len(c), *(len(_cell(r.get(c))) for r in doc["table"])]) for c in cols}
    print("  ".join(f"{c:<{width[c]}}" for c in cols).rstrip())
    for r in doc["table"][:50]:
        print("  ".join(f"{_cell(r.get(c)):<{width[c]}}" for c in cols).rstrip())
    if len(doc["table"]) > 50:
        print(f"... ({len(doc['table']) - 50} more rows in the files)")
    failed = [r for r in doc["table"] if r["status"] != "ok"]
    for r in failed[:10]:
        point = ", ".join(f"{n}={_cell(r[n])}" for n in names)
        print(f"# failed: {point}: exit code {r['exit_code']}: {r['error']}")
    if len(failed) > 10:
        print(f"# ... {len(failed) - 10} more failed points (see status in the table)")
    print(f"# table: {doc['results']['jsonl']}, {doc['results']['csv']}")
    if doc["plot"]:
        print(f"# plot: {doc['plot']} (colour: {color})")


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.10g}"
    return "" if v is None else str(v)
