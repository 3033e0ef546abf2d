"""Run the command line in-process and capture its output."""

from __future__ import annotations

import json

from fixedpoints.cli.main import main


def run(capsys, *argv):
    """``(exit code, stdout, stderr)`` of ``fixedpoints ARGV``."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    """The JSON document of ``fixedpoints ARGV --json --quiet`` (asserting exit code 0)."""
    code, out, err = run(capsys, *argv, "--json", "--quiet")
    assert code == 0, err
    return json.loads(out)
