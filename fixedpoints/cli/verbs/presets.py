"""``fixedpoints presets``: list the presets and their parameters."""

from __future__ import annotations

from fixedpoints.cli import io
from fixedpoints.models import load_model_file, preset_names

NAME = "presets"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="list presets and their parameters")
    io.add_common(p, model=False)
    p.add_argument("name", nargs="?", help="show one preset in full")


def run(args) -> int:
    names = [args.name] if args.name else preset_names()
    docs = [load_model_file(n).describe() for n in names]
    if args.json:
        io.emit_json({"presets": docs})
        return 0
    for d in docs:
        print(f"{d['name']}: {d['description']}")
        if d["reference"]:
            print(f"    reference: {d['reference']}")
        for p in d["parameters"]:
            default = "free (symbolic)" if p["default"] is None else p["default"]
            print(f"    {p['name']:<20} {p['range']}; default {default}. {p['doc']}")
        print()
    return 0
