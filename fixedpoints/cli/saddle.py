"""Placeholder for the verb; being implemented."""

from __future__ import annotations

__all__ = ["add_saddle_parser", "cmd_saddle_to_saddle"]


def add_saddle_parser(sub, common) -> None:
    """Register the verb."""


def cmd_saddle_to_saddle(args) -> int:
    raise NotImplementedError
