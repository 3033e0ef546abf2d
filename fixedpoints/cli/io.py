"""What every verb shares: the argument parser class, the common options, reading the model,
writing JSON and figures, progress bars, and naming command-line flags in library errors.

Only ``cli`` talks to the terminal and the disk (STYLE.md 6).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fixedpoints.errors import FixedPointsError, ParameterError

__all__ = [
    "FLAGS",
    "PLOT_SUFFIXES",
    "Parser",
    "Progress",
    "UsageError",
    "add_common",
    "check_count",
    "check_plot_path",
    "cli_message",
    "emit_json",
    "info",
    "load_model_from_args",
    "save_figure",
]

PLOT_SUFFIXES = ("png", "pdf", "svg")

#: library parameter -> the flag that sets it (errors name what the user typed)
FLAGS = {
    "parameter": "--param",
    "params": "--set",
    "point": "--point",
    "symbolic": "--symbolic",
    "isotropy": "--isotropy",
    "ansatz": "--ansatz",
    "starts": "--starts",
    "runs": "--runs",
    "method": "--method",
    "lr": "--lr",
    "init": "--init",
    "scaling": "--scaling",
    "reduced": "--reduced",
    "scale": "--scale",
    "gradient_tol": "--gradient-tol",
    "t_max": "--t-max",
    "t_end": "--time",
    "records": "--records",
    "rtol": "--rtol",
    "atol": "--atol",
    "plateau_tol": "--plateau-tol",
    "batch_size": "--batch-size",
    "loss_tol": "--loss-tol",
    "backend": "--backend",
    "device": "--device",
    "displacement": "--displacement",
    "max_plateaus": "--max-plateaus",
    "directory": "DIR",
}


class UsageError(Exception):
    """A command line argparse refused (one line, exit code 2)."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message):  # noqa: D401 - argparse API
        raise UsageError(f"{self.prog}: {message}")


def add_common(p: argparse.ArgumentParser, model: bool = True) -> None:
    """``PRESET_OR_MODEL_FILE``, ``--set``, ``--json``, ``--seed``, ``--quiet``, ``--timing``."""
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
    p.add_argument(
        "--timing",
        action="store_true",
        help="add wall-clock seconds to the JSON (off by default: same seed, same bytes)",
    )


def cli_message(error: Exception) -> str:
    """The message of a library error with the library parameter it names written as the flag
    that sets it (``isotropy`` -> ``--isotropy``)."""
    msg = str(error)
    name = getattr(error, "parameter", None)
    if isinstance(error, FixedPointsError) and name in FLAGS:
        msg = msg.replace(f"`{name}`", f"`{FLAGS[name]}`")
    return msg


def info(args, msg: str) -> None:
    """One line of progress/information on stderr (silent with ``--quiet``)."""
    if not getattr(args, "quiet", False):
        print(msg, file=sys.stderr)


def load_model_from_args(args):
    """``(model_file, model)`` from ``args.model`` and ``args.sets``."""
    from fixedpoints.models import load_model_file

    mf = load_model_file(args.model)
    return mf, mf.instantiate(args.sets)


#: with ``--isotropy``, models whose d exceeds this are built at TEMPLATE_D (their reduced loss
#: depends on d only through counts) and d is passed on as ``dimension``
TEMPLATE_LIMIT = 64
TEMPLATE_D = 8


def load_reduced_model(args):
    """``(model_file, model, dimension)``: like :func:`load_model_from_args`, but with
    ``--isotropy`` and ``--set d=D``, D > 64 (or not an integer), the model is built at d = 8 and
    D is returned as ``dimension`` (building a d×d teacher at D = 10⁸ is impossible; the
    reduced route needs only its kernels). ``dimension`` is None otherwise."""
    from fixedpoints.models import load_model_file

    mf = load_model_file(args.model)
    sets = list(args.sets or [])
    value = None
    for item in sets:
        name, _, text = item.partition("=")
        if name.strip() == "d":
            try:
                value = float(text)
            except ValueError:
                value = None
    if getattr(args, "isotropy", None) and "d" in mf.parameters and value is not None:
        if value > TEMPLATE_LIMIT or not value.is_integer():
            if not (value >= 2 and value < 1e300):
                raise ParameterError(f"`--set d` must be a number >= 2; got {value!r}.")
            sets = [s for s in sets if s.partition("=")[0].strip() != "d"]
            model = mf.instantiate([*sets, f"d={TEMPLATE_D}"])
            return mf, model, (int(value) if value.is_integer() else value)
    return mf, mf.instantiate(args.sets), None


def check_plot_path(path) -> None:
    """Refuse a ``--plot`` file name matplotlib would not write as we expect."""
    if Path(path).suffix.lower().lstrip(".") not in PLOT_SUFFIXES:
        raise ParameterError(f"`--plot` must end in .png, .pdf or .svg; got {str(path)!r}.")


def save_figure(fig, path) -> str:
    """Save ``fig`` to ``path`` (folders created); returns the path as text."""
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


class Progress:
    """A tqdm bar on stderr when it is a terminal (and not ``--quiet``); otherwise silent.
    Call it as ``bar(done, total)`` or ``bar(done)``."""

    def __init__(self, args, total=None, desc=""):
        self.bar = None
        if getattr(args, "quiet", False) or not sys.stderr.isatty():
            return
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is an optional extra
            return
        self.bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False)

    def __call__(self, done, total=None):
        if self.bar is not None:
            if total is not None and total != self.bar.total:
                self.bar.total = total
            self.bar.n = done if total is not None else self.bar.n + 1
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def check_count(name: str, value, upper: int | None = None) -> None:
    """Refuse an integer flag outside ``[1, upper]`` (naming the flag)."""
    if value is None:
        return
    if value < 1 or (upper is not None and value > upper):
        raise ParameterError(
            f"`{name}` must be {f'an integer in [1, {upper}]' if upper else 'an integer >= 1'}; "
            f"got {value!r}."
        )
