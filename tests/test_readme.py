"""The README's examples run as written."""

from __future__ import annotations

import pathlib
import re

import pytest

from fixedpoints.cli import main

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()


def _block(lang: str) -> str:
    return re.search(rf"```{lang}\n(.*?)```", README, re.S).group(1)


def test_readme_python_example_runs(capsys):
    namespace: dict = {}
    exec(compile(_block("python"), "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["traj"].status == "reached-end"
    assert namespace["flow"].names == ("M_11", "M_12")
    assert abs(namespace["best"].loss) < 1e-12 and namespace["best"].index == 0
    sinks = [s["loss"] for s in namespace["graph"].summary["sinks"]]
    assert len(sinks) == 1 and abs(sinks[0]) < 1e-12  # d = 3: every saddle drains to W = V


def test_readme_model_file_derives(tmp_path, capsys):
    path = tmp_path / "two-erf-experts.toml"
    path.write_text(_block("toml"))
    assert main(["derive", str(path), "--set", "k=2", "--set", "beta=0.5", "--json"]) == 0
    assert main(["derive", str(path), "--set", "k=2", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert r"\beta" in out


#: README commands of 15-35 s each, run in the slow suite (``-m slow``); the fast suite computes
#: the same elsewhere: the 50-digit d = 1e8 family in the Arjevani study's asymptotic claims, the
#: precision continuation in tests/numeric/symmetry/test_continue_precision.py, the multi-index
#: simulation's outcomes in tests/cli/test_simulate_cli.py
SLOW = ("--precision 50", "--precision 30", "--set d=2000")
COMMANDS = [
    line.split("#")[0].split()[1:]
    for line in README.splitlines()
    if line.startswith("fixedpoints ") and "study" not in line
]


def test_readme_has_command_examples():
    assert len(COMMANDS) >= 4


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(
            argv,
            id=f"{i:02d}-{argv[0]}",
            marks=[pytest.mark.slow] if any(s in " ".join(argv) for s in SLOW) else [],
        )
        for i, argv in enumerate(COMMANDS)
    ],
)
def test_readme_command_example_runs(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # plots written by the examples land here
    assert main(argv) == 0, argv
