"""Placeholder for the verb; being implemented."""

from __future__ import annotations

__all__ = ["add_graph_parser", "cmd_graph"]


def add_graph_parser(sub, common) -> None:
    """Register the verb."""


def cmd_graph(args) -> int:
    raise NotImplementedError
