"""On-disk cache of derivations, keyed by the model's value.

The key is the SHA-256 of the model's canonical JSON (:meth:`Model.digest`) together with the
package and SymPy versions and a hash of the derivation's source code; the value is the pickled :class:`OrderParameterFlow`. The cache folder is
``$FIXEDPOINTS_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/fixedpoints`` (``~/.cache/fixedpoints``),
or the ``cache_dir`` argument; ``cache_dir=False`` disables it. A corrupt or unreadable entry is
ignored and rewritten; write errors are ignored (a cache never breaks a derivation). Writes are
atomic (temporary file + :func:`os.replace`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

__all__ = ["cache_directory", "cached_derive", "cache_key"]

_VERSION = "0.1.0"


@functools.cache
def code_hash() -> str:
    """Hash of the sources a derivation and the generated kernels depend on (kernels, symbolic,
    codegen), so that an edited package never reads a stale entry."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for sub in ("kernels", "symbolic", "codegen"):
        for p in sorted((root / sub).rglob("*.py")):
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _sympy_version() -> str:
    from importlib.metadata import version

    return version("sympy")


def cache_directory(cache_dir=None) -> Path | None:
    """The cache folder in use (``None`` if disabled)."""
    if cache_dir is False:
        return None
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("FIXEDPOINTS_CACHE_DIR")
    if env:
        return None if env.lower() in ("off", "none", "0") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fixedpoints"


def cache_key(model, kind: str = "derive") -> str:
    """Hex key of a model's cache entry."""
    blob = f"{kind}|{_VERSION}|{code_hash()}|{_sympy_version()}|{model.digest()}"
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def cached_derive(model, *, cache_dir=None):
    """:func:`fixedpoints.symbolic.derive` with an on-disk cache.

    Parameters
    ----------
    model : Model
    cache_dir : path, None or False
        Folder (default: see module docstring); ``False`` disables caching.

    Returns
    -------
    OrderParameterFlow
        Equal to ``derive(model)``; the attached ``model`` is the one passed in.
    """
    from fixedpoints.symbolic import OrderParameterFlow, derive

    folder = cache_directory(cache_dir)
    path = folder / f"{cache_key(model)}.pickle" if folder is not None else None
    if path is not None and path.is_file():
        try:
            with open(path, "rb") as fh:
                data = pickle.load(fh)
            return OrderParameterFlow(**data, model=model)
        except Exception:  # noqa: BLE001 - a broken entry is rebuilt below
            pass
    flow = derive(model)
    if path is not None:
        data = {
            "variables": flow.variables,
            "equations": flow.equations,
            "loss": flow.loss,
            "parameters": flow.parameters,
            "latex_names": flow.latex_names,
            "ansatz": flow.ansatz,
        }
        try:
            write_entry(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, TypeError, AttributeError):
            pass
    return flow


def write_entry(path: Path, data: bytes) -> bool:
    """Write a cache entry atomically (temporary file + :func:`os.replace`); False on an
    :class:`OSError` (a cache never breaks a computation)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        return False
    return True
