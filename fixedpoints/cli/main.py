"""``fixedpoints`` command line: argv in, stdout/stderr/files out, exit codes.

This module only registers the verbs (:mod:`fixedpoints.cli.verbs`) and maps exceptions to exit
codes: 0 success, 1 a check failed (e.g. a study claim), 2 bad input (one line on stderr naming the
flag and the allowed range), 3 an unexpected internal error, 130 interrupted.
"""

from __future__ import annotations

import sys

from fixedpoints.cli.io import Parser, UsageError, cli_message
from fixedpoints.cli.verbs import (
    arcs,
    continuation,
    derive,
    fixed_points,
    graph,
    presets,
    saddle_to_saddle,
    simulate,
    study,
    sweep,
    threshold,
)
from fixedpoints.errors import FixedPointsError

__all__ = ["VERBS", "build_parser", "main"]

#: the verbs, in the order of ``fixedpoints --help`` (sweep and study last: sweep reads the verbs
#: registered before it)
VERBS = (
    presets,
    derive,
    fixed_points,
    threshold,
    continuation,
    arcs,
    graph,
    saddle_to_saddle,
    simulate,
)


def build_parser() -> Parser:
    """The argument parser (verbs as sub-commands, each with ``run`` as its default)."""
    parser = Parser(
        prog="fixedpoints",
        description="Derive, find and classify fixed points of two-layer network dynamics.",
    )
    parser.add_argument("--version", action="version", version="fixedpoints 0.1.0")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=Parser)
    sub.required = True
    for verb in VERBS:
        verb.add_parser(sub)
        sub.choices[verb.NAME].set_defaults(run=verb.run, check=getattr(verb, "check", None))
    sweep.add_parser(sub, entry=main, parser_factory=build_parser)
    sub.choices[sweep.NAME].set_defaults(run=sweep.run)
    study.add_parser(sub)
    sub.choices[study.NAME].set_defaults(run=study.run)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``fixedpoints`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        print(str(e), file=sys.stderr)
        return 2
    except SystemExit as e:  # --help / --version
        return int(e.code or 0)
    try:
        return args.run(args)
    except FixedPointsError as e:
        print(f"fixedpoints {args.verb}: error: {cli_message(e)}", file=sys.stderr)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
