"""Public names loaded on first use (PEP 562): the one home of the lazy ``__getattr__`` that
``fixedpoints``, ``fixedpoints.api``, ``codegen``, ``numeric`` and ``export`` share, so that an
import of a package loads nothing heavy (SymPy, SciPy, matplotlib) until a name is used."""

from __future__ import annotations

import importlib

__all__ = ["lazy_names"]


def lazy_names(package: str, exports: dict, namespace: dict, modules: dict | None = None):
    """``(__getattr__, __dir__)`` for the package ``package`` whose public names ``exports`` map
    to the modules defining them (and ``modules`` names to sub-modules reachable as attributes):
    a name is imported on first access and stored in ``namespace`` (the package's ``globals()``),
    so later accesses are plain lookups; an unknown name raises ``AttributeError``."""
    modules = dict(modules or {})

    def __getattr__(name: str):  # noqa: N807 - the module hook's name
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in modules:
            value = importlib.import_module(modules[name])
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__():  # noqa: N807
        return sorted(set(namespace) | set(exports) | set(modules))

    return __getattr__, __dir__
