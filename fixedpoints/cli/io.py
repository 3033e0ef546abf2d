"""What every verb shares: the argument parser class, the common options, reading the model,
writing JSON and figures, progress bars, and naming command-line flags in library errors.

Only ``cli`` talks to the terminal and the disk (STYLE.md 6).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
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
    "check_writable",
    "cli_message",
    "emit_json",
    "info",
    "load_model_from_args",
    "save_figure",
    "seed",
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
    "max_weights": "--max-weights",
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
    p.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress output on stderr")
    p.add_argument(
        "--timing",
        action="store_true",
        help="add wall-clock seconds to the JSON (off by default: same seed, same bytes)",
    )


def seed(text: str) -> int:
    """The ``--seed`` value: an integer in [0, 2**63 - 1] (argparse names the flag)."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**63 - 1]; got {text!r}")
    return value


def cli_message(error: Exception) -> str:
    """The message of a library error with the library parameter it names written as the flag
    that sets it (``isotropy`` -> ``--isotropy``)."""
    msg = str(error)
    name = getattr(error, "parameter", None)
    if isinstance(error, FixedPointsError) and name in FLAGS:
        msg = msg.replace(f"`{name}`", f"`{FLAGS[name]}`")
        for other in ("isotropy", "ansatz"):  # the way out such errors point to
            msg = msg.replace(f"`{other}`", f"`{FLAGS[other]}`")
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


#: a weight-space search above this many weights says up front what it costs
NOTE_WEIGHTS = 100


def add_max_weights(p: argparse.ArgumentParser) -> None:
    """``--max-weights N``: the largest weight space searched (0: no limit)."""
    p.add_argument(
        "--max-weights",
        type=int,
        metavar="N",
        help="refuse a weight-space search of more than N weights (default "
        "fixedpoints.api.search.MAX_WEIGHTS, 1024; 0: no limit): each Newton step factorises a "
        "dense Hessian; --isotropy searches a symmetric fixed space instead",
    )


def max_weights(args) -> int | None:
    """The ``--max-weights`` value for the library (None: no limit), checked."""
    from fixedpoints.api.search import MAX_WEIGHTS

    if args.max_weights is None:
        return MAX_WEIGHTS
    if args.max_weights < 0:
        raise ParameterError(
            f"`--max-weights` must be an integer >= 0 (0: no limit); got {args.max_weights}."
        )
    return args.max_weights or None


def note_weight_space(args, model, desc: str) -> None:
    """Say up front (stderr) what a weight-space search of ``model`` costs when it is large:
    weights, the dense Hessian's memory, and the alternative (``--isotropy``)."""
    from fixedpoints.api import landscape
    from fixedpoints.api.search import dense_bytes

    try:
        n = landscape(model).dimension
    except FixedPointsError:  # e.g. a free parameter: the verb's own error follows
        return
    limit = max_weights(args)
    if n <= NOTE_WEIGHTS or (limit is not None and n > limit):
        return
    info(
        args,
        f"fixedpoints {desc}: a weight-space search of {n} weights: a dense {n}×{n} Hessian "
        f"({dense_bytes(n)}) at every Newton step of {args.starts} starts; expect minutes. "
        "--isotropy (e.g. d-1,1) searches a symmetric fixed space with a few unknowns.",
    )


def check_plot_path(path, flag: str = "--plot") -> None:
    """Refuse a ``--plot`` file name matplotlib would not write as we expect, or could not write
    at all (checked before the work: :func:`check_writable`)."""
    if Path(path).suffix.lower().lstrip(".") not in PLOT_SUFFIXES:
        raise ParameterError(f"`{flag}` must end in .png, .pdf or .svg; got {str(path)!r}.")
    check_writable(path, flag)


def _nearest_folder(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists."""
    for folder in (path, *path.parents):
        if folder.exists():
            return folder
    return Path(".")


def check_writable(path, flag: str, *, folder: bool = False) -> None:
    """Refuse an output path (a file, or with ``folder`` a directory) that cannot be written:
    its nearest existing ancestor must be a directory in which a file can be created (tried with
    a temporary file, removed at once), an existing file must open for appending. Called before
    the work, so that a bad ``--plot``/``--out`` costs nothing."""
    import tempfile

    p = Path(path)
    what = "a writable folder" if folder else "a writable file path"
    try:
        if p.exists() and not folder:
            if p.is_dir():
                raise IsADirectoryError(21, "is a folder")
            with open(p, "ab"):
                pass
            return
        base = _nearest_folder(p if folder else p.parent)
        if not base.is_dir():
            raise NotADirectoryError(20, f"{str(base)!r} is not a folder")
        with tempfile.TemporaryFile(dir=base):
            pass
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise ParameterError(f"`{flag}` must be {what}; got {str(path)!r} ({reason}).") from None


def figure_title(model, what: str) -> str:
    """``"relu-teacher (d = 6): transition graph"``: a figure's title names the model and the
    settings given on the command line (``defaults`` when none)."""
    given = ", ".join(f"{k} = {v}" for k, v in model.assignments) or "defaults"
    return f"{model.name} ({given}): {what}"


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
    """Progress on stderr: a tqdm bar when stderr is a terminal; otherwise (a log, a pipe) plain
    lines: ``work`` (the work size) at the first report when given, the first line after
    :data:`LOG_AFTER` seconds with the work done and an ETA, one every :data:`LOG_EVERY` seconds,
    and a final line once any line was written. Silent with ``--quiet``.

    Call it as ``bar(done, total)``, ``bar(done)`` or with ``fraction`` (0..1: the share of the
    work done, when it is not ``done / total``, e.g. simulated time over ``t_max``). A first report
    of nothing done restarts the clock: a bar opened ahead of its work (the graph's
    flows, behind the search) times the work, not the wait.
    """

    def __init__(self, args, total=None, desc="", work="", unit=""):
        self.bar, self.log, self.called = None, False, False
        self.total, self.desc, self.done, self.fraction = total, desc, 0, None
        self.unit = f" {unit}" if unit else ""
        if getattr(args, "quiet", False):
            return
        if not sys.stderr.isatty():
            self.log, self.t0, self.next, self.said = True, time.monotonic(), LOG_AFTER, False
            self.work = work
            return
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is an optional extra
            return
        self.bar = tqdm(total=total, desc=desc or unit, file=sys.stderr, leave=False)

    def _say(self, text: str) -> None:
        print(f"fixedpoints {self.desc}: {text}", file=sys.stderr, flush=True)
        self.said = True

    def _count(self) -> str:
        count = f"{self.done} of {self.total}" if self.total else f"{self.done}"
        return count + self.unit

    def __call__(self, done, total=None, fraction=None):
        if total is not None:
            self.total = total
        if self.log and not self.called and done == 0 and not fraction:
            self.t0 = time.monotonic()  # a first report of nothing done: the work starts now
        self.called = True
        self.done = done if total is not None else self.done + 1
        self.fraction = fraction
        if self.bar is not None:
            if total is not None and total != self.bar.total:
                self.bar.total = total
            self.bar.n = self.done
            self.bar.refresh()
        elif self.log:
            if self.work:  # at the first report: the setup (and its errors) is behind us
                self._say(f"{self.work}; started")
                self.work = ""
            elapsed = time.monotonic() - self.t0
            if elapsed >= self.next:
                self.next = elapsed + LOG_EVERY
                self._say(f"{self._count()} after {_duration(elapsed)}{self._eta(elapsed)}")

    def _eta(self, elapsed: float) -> str:
        f = self.fraction
        if f is None and self.total:
            f = self.done / self.total
        if not f or f <= 0:
            return ""
        return f", ETA {_duration(elapsed * (1 - min(f, 1.0)) / f)}"

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.log and self.said:
            self._say(f"done in {_duration(time.monotonic() - self.t0)}: {self._count()}")
            self.log = False

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc):
        if kind is not None:
            self.log = False  # an error: its own line says what happened
        self.close()
        return False


#: plain progress lines (stderr not a terminal): the first after LOG_AFTER s, then every LOG_EVERY
LOG_AFTER = 5.0
LOG_EVERY = 30.0


def _duration(seconds: float) -> str:
    """``'42 s'``, ``'3.5 min'``, ``'2.1 h'``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def check_count(name: str, value, upper: int | None = None) -> None:
    """Refuse an integer flag outside ``[1, upper]`` (naming the flag)."""
    if value is None:
        return
    if value < 1 or (upper is not None and value > upper):
        raise ParameterError(
            f"`{name}` must be {f'an integer in [1, {upper}]' if upper else 'an integer >= 1'}; "
            f"got {value!r}."
        )
