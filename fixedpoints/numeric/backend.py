r"""Array backends for simulation: NumPy (default), PyTorch and CuPy through the array API.

A :class:`Backend` names an array-API namespace ``xp`` (``array_api_compat`` wraps PyTorch and
CuPy so that they speak the standard) and a device. The simulation code is written once against
``xp``; moving between backends only changes where the arrays live. ``array-api-strict`` is the
standard's reference implementation: the tests run the simulation on it to prove the code uses only
standard functions.
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import os
import sys
from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import ParameterError

__all__ = [
    "BACKENDS",
    "Backend",
    "array_backend",
    "array_device",
    "keep_freed_memory",
    "normal_sampler",
    "to_numpy",
]

BACKENDS = ("numpy", "torch", "cupy", "array-api-strict")
_INSTALL = {
    "torch": "pip install 'fixedpoints[torch]' (PyTorch)",
    "cupy": "pip install 'fixedpoints[cupy]' (CuPy, needs an NVIDIA GPU)",
    "array-api-strict": "pip install array-api-strict",
}


@dataclass(frozen=True)
class Backend:
    """An array namespace and the device arrays are created on.

    Attributes
    ----------
    name : str
        One of :data:`BACKENDS`.
    xp : module
        Array-API namespace.
    device : object or None
        Device for new arrays (None: the namespace default, e.g. ``"cuda"`` for torch with a GPU).
    """

    name: str
    xp: object
    device: object = None

    def asarray(self, x, dtype=None):
        """``x`` (NumPy or nested lists) as a float64 array of this backend on its device."""
        xp = self.xp
        x = np.array(x, dtype=float)  # a writable copy (torch warns on read-only views)
        kw = {} if self.device is None else {"device": self.device}
        return xp.asarray(x, dtype=xp.float64 if dtype is None else dtype, **kw)

    def describe(self) -> str:
        """``"torch (cuda:0)"``-style text."""
        return self.name if self.device is None else f"{self.name} ({self.device})"


def array_backend(name: str = "numpy", device=None) -> Backend:
    """The :class:`Backend` called ``name``.

    Parameters
    ----------
    name : {'numpy', 'torch', 'cupy', 'array-api-strict'}
    device : optional
        torch: ``"cpu"``, ``"cuda"``, ``"cuda:1"``… (default ``"cuda"`` when available, else CPU).

    Raises
    ------
    ParameterError
        Unknown name, or the library is not installed (with the install command).
    """
    if name not in BACKENDS:
        raise ParameterError(
            f"`backend` must be one of {', '.join(BACKENDS)}; got {name!r}.", parameter="backend"
        )
    if name == "numpy":
        return Backend("numpy", np, None)
    module = {"torch": "torch", "cupy": "cupy", "array-api-strict": "array_api_strict"}[name]
    try:
        lib = importlib.import_module(module)
    except ImportError as e:
        raise ParameterError(
            f"`backend` {name!r} needs {module}, which is not installed: {_INSTALL[name]}.",
            parameter="backend",
        ) from e
    if name == "array-api-strict":
        return Backend(name, lib, None)
    compat = importlib.import_module(f"array_api_compat.{module}")
    if name == "torch":
        device = device or ("cuda" if lib.cuda.is_available() else "cpu")
        return Backend(name, compat, lib.device(device))
    return Backend(name, compat, None)


def to_numpy(x) -> np.ndarray:
    """A host NumPy copy of an array of any backend (torch tensors, CuPy arrays, strict arrays)."""
    if isinstance(x, np.ndarray):
        return x
    mod = type(x).__module__.split(".")[0]
    if mod == "torch":
        return x.detach().cpu().numpy()
    if mod == "cupy":
        return x.get()
    return np.asarray(x)


def array_device(x):
    """The device an array of any backend lives on (``array_api_compat.device``)."""
    from array_api_compat import device

    return device(x)


def normal_sampler(xp, device, seed: int):
    """``draw(shape)`` of standard normal float64 arrays generated *on the device* of the backend
    (a seeded ``torch.Generator`` or CuPy generator; NumPy's ``default_rng`` otherwise), so sampled
    data never crosses the host–device bus."""
    name = getattr(xp, "__name__", "")
    if name.endswith("torch"):
        import torch

        gen = torch.Generator(device=device).manual_seed(int(seed))
        return lambda shape: torch.randn(shape, generator=gen, device=device, dtype=torch.float64)
    if name.endswith("cupy"):
        import cupy

        rng = cupy.random.default_rng(int(seed))
        return lambda shape: rng.standard_normal(shape, dtype=cupy.float64)
    rng = np.random.default_rng(int(seed))
    if xp is np:
        return rng.standard_normal
    return lambda shape: xp.asarray(rng.standard_normal(shape), device=device)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc reuse freed array memory instead of returning it to the system (once per process).

    A step of a batched integration allocates and frees many temporaries of a few MB. By default
    glibc serves each from fresh pages (``mmap`` above its threshold, and the top of the heap is
    trimmed), so every step pays page faults: measured on the relu-teacher gradient, d = 20,
    200 runs, 3.3 ms against 1.0 ms for the kernel jet. This sets the mmap threshold to 64 MiB
    and the trim threshold to 128 MiB (``mallopt``); the ODE engine calls it before integrating,
    Newton before iterating (measured: a batch of 50 weight-space Hessians, relu-teacher d = 10,
    9.6 ms against 6.3 ms with it).
    No effect off glibc (macOS, musl) or with ``FIXEDPOINTS_MALLOPT=0``.

    Returns
    -------
    bool
        Whether the allocator was tuned.
    """
    if os.environ.get("FIXEDPOINTS_MALLOPT", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, 64 << 20)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 128 << 20)
    )
