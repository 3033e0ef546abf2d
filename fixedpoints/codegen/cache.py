"""On-disk cache of derivations, keyed by the model's value.

The key is the SHA-256 of the model's canonical JSON (:meth:`Model.digest`) together with the
entry's kind, the package and SymPy versions and a hash of the derivation's and the printers'
source code; the value is pickled: the :class:`OrderParameterFlow` (kind ``derive``), or what a
command printed from it (:func:`read_cached`, :func:`write_cached`: ``derive``'s text, LaTeX or
JSON, so that a cached ``fixedpoints derive`` loads neither SymPy nor the flow). The cache folder is
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

__all__ = ["cache_directory", "cache_key", "cached_derive", "read_cached", "write_cached"]

_VERSION = "0.1.0"


@functools.cache
def code_hash() -> str:
    """Hash of the sources a derivation, the generated kernels and the printed equations depend on
    (kernels, symbolic, codegen, export), so that an edited package never reads a stale entry."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for sub in ("kernels", "symbolic", "codegen", "export"):
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

    data = read_cached(model, "derive", cache_dir=cache_dir)
    if isinstance(data, dict):
        try:
            return OrderParameterFlow(**data, model=model)
        except Exception:  # noqa: BLE001 - an entry of another layout is rebuilt below
            pass
    flow = derive(model)
    write_cached(
        model,
        "derive",
        {
            "variables": flow.variables,
            "equations": flow.equations,
            "loss": flow.loss,
            "parameters": flow.parameters,
            "latex_names": flow.latex_names,
            "ansatz": flow.ansatz,
        },
        cache_dir=cache_dir,
    )
    return flow


def _entry(model, kind: str, cache_dir) -> Path | None:
    folder = cache_directory(cache_dir)
    return None if folder is None else folder / f"{cache_key(model, kind)}.pickle"


def read_cached(model, kind: str, *, cache_dir=None):
    """The value cached for ``(model, kind)``, or None (no entry, caching off, or an unreadable
    entry: it is rewritten by the next :func:`write_cached`)."""
    path = _entry(model, kind, cache_dir)
    if path is None or not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - a broken entry is a miss
        return None


def write_cached(model, kind: str, value, *, cache_dir=None) -> bool:
    """Cache ``value`` for ``(model, kind)`` (atomically, :func:`write_entry`); False where
    caching is off or the value does not pickle or the folder is not writable."""
    path = _entry(model, kind, cache_dir)
    if path is None:
        return False
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return write_entry(path, data)


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
