"""``fixedpoints`` command line: argv in, stdout/stderr/files out, exit codes.

Exit codes: 0 success, 1 a check failed (e.g. a study claim), 2 bad input (one line on stderr naming
the parameter and the allowed range), 3 an unexpected internal error.
"""

from __future__ import annotations

import argparse
import json
import sys

from fixedpoints.errors import FixedPointsError

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message):  # noqa: D401 - argparse API
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _common(p: argparse.ArgumentParser, model: bool = True) -> None:
    if model:
        p.add_argument(
            "model",
            metavar="PRESET_OR_MODEL_FILE",
            help="a preset name (see `fixedpoints presets`) or a .toml model file",
        )
        p.add_argument(
            "--set",
            dest="sets",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="set a model parameter (repeatable; lists comma-separated)",
        )
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress output on stderr")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (verbs as sub-commands)."""
    parser = _Parser(
        prog="fixedpoints",
        description="Derive, find and classify fixed points of two-layer network dynamics.",
    )
    parser.add_argument("--version", action="version", version="fixedpoints 0.1.0")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("presets", help="list presets and their parameters")
    _common(p, model=False)
    p.add_argument("name", nargs="?", help="show one preset in full")

    p = sub.add_parser("derive", help="population loss and closed order-parameter ODEs")
    _common(p)
    p.add_argument(
        "--format",
        choices=["text", "latex", "json"],
        default="text",
        help="output format (default text; --json is --format json)",
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

    p = sub.add_parser("fixed-points", help="find and classify fixed points")
    _common(p)
    p.add_argument(
        "--isotropy",
        metavar="P1,P2,...",
        help="search Fix(Δ(S_p1×…×S_pr)) of the k = d ReLU teacher–student problem "
        "(block sizes summing to d), e.g. 9,1",
    )
    p.add_argument("--ansatz", metavar="NAME", help="search an ansatz subspace of the overlap flow")
    p.add_argument("--starts", type=int, default=200, help="Newton starts (default 200)")
    p.add_argument(
        "--precision", type=int, metavar="N", help="polish each point with mpmath to N digits"
    )
    p.add_argument("--no-deflation", action="store_true", help="plain multistart Newton")
    p.add_argument(
        "--format", choices=["text", "latex", "json"], default="text", help="output format"
    )

    p = sub.add_parser("threshold", help="where a fixed point changes stability in a parameter")
    _common(p)
    p.add_argument(
        "--param", required=True, metavar="NAME[=A:B]", help="free parameter (and range)"
    )
    p.add_argument("--point", default="averaged", help="named fixed point (default averaged)")
    p.add_argument(
        "--symbolic",
        metavar="NAMES",
        help="also solve with these sizes symbolic (e.g. k: beta_c as a function of k)",
    )

    p = sub.add_parser("continue", help="pseudo-arclength continuation in a parameter")
    _common(p)
    p.add_argument("--param", required=True, metavar="NAME=A:B", help="free parameter and range")
    p.add_argument("--point", help="continue only this named point (default: all found)")
    p.add_argument("--starts", type=int, default=100, help="Newton starts at A (default 100)")
    p.add_argument("--no-switch", action="store_true", help="no branch switching")
    p.add_argument("--plot", metavar="FILE", help="bifurcation diagram (png/pdf/svg)")

    from fixedpoints.cli.graph import add_graph_parser
    from fixedpoints.cli.saddle import add_saddle_parser
    from fixedpoints.cli.simulate import add_simulate_parser
    from fixedpoints.cli.sweep import add_sweep_parser

    add_graph_parser(sub, _common)
    add_saddle_parser(sub, _common)
    add_simulate_parser(sub, _common)
    add_sweep_parser(sub, _common)

    p = sub.add_parser("study", help="derivation studies: `study run DIR`")
    p.add_argument("action", choices=["run"])
    p.add_argument("directory", metavar="DIR", help="a folder with expected.json and study.py")
    p.add_argument("--out", metavar="DIR", help="report folder (default DIR/report)")
    _common(p, model=False)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``fixedpoints`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as e:
        print(str(e), file=sys.stderr)
        return 2
    except SystemExit as e:  # --help / --version
        return int(e.code or 0)
    from fixedpoints.cli import commands

    try:
        return getattr(commands, "cmd_" + args.verb.replace("-", "_"))(args)
    except FixedPointsError as e:
        print(f"fixedpoints {args.verb}: error: {e}", file=sys.stderr)
        return e.exit_code
    except BrokenPipeError:
        return 0
    except (OSError, ValueError, OverflowError) as e:
        print(f"fixedpoints {args.verb}: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fixedpoints: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - an internal error still gets one line, exit code 3
        print(f"fixedpoints {args.verb}: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 3


def info(args, msg: str) -> None:
    """One line of progress/information on stderr (silent with ``--quiet``)."""
    if not getattr(args, "quiet", False):
        print(msg, file=sys.stderr)


def load_cli_model_file(args):
    """``(model_file, model)`` from ``args.model`` and ``args.sets``."""
    from fixedpoints.models import load_model_file

    mf = load_model_file(args.model)
    return mf, mf.instantiate(args.sets)


PLOT_SUFFIXES = ("png", "pdf", "svg")


def check_plot_path(path) -> None:
    """Refuse a ``--plot`` file name matplotlib would not write as we expect."""
    from pathlib import Path

    from fixedpoints.errors import ParameterError

    if Path(path).suffix.lower().lstrip(".") not in PLOT_SUFFIXES:
        raise ParameterError(f"`--plot` must end in .png, .pdf or .svg; got {str(path)!r}.")


def save_figure(fig, path) -> str:
    """Save ``fig`` to ``path`` (folders created); returns the path as text."""
    from pathlib import Path

    check_plot_path(path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return str(path)


def emit_json(doc) -> None:
    """Write one JSON document (byte-stable: fixed key order, no NaN) to stdout."""
    sys.stdout.write(json.dumps(_finite(doc), indent=2, allow_nan=False) + "\n")


def _finite(x):
    """NaN and infinities become the strings 'nan', 'inf', '-inf' (JSON has no such numbers)."""
    if isinstance(x, float) and (x != x or abs(x) == float("inf")):
        return str(x)
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
