"""Command-line layer: the only place that prints, writes files or exits."""

from fixedpoints.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
