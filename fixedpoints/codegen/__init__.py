"""The bridge SymPy -> NumPy/mpmath/array API: generated kernel code (cached on disk and loaded
without SymPy), the pair-vectorised order-parameter flow, lambdified callables (with CSE) and the
on-disk derivation cache. Names are loaded on first use, so importing the kernels for a simulation
does not import SymPy."""

from __future__ import annotations

from fixedpoints.lazy import lazy_names

_EXPORTS = {
    "array_function": "fixedpoints.codegen.arrays",
    "model_arrays": "fixedpoints.codegen.arrays",
    "cache_directory": "fixedpoints.codegen.cache",
    "cache_key": "fixedpoints.codegen.cache",
    "cached_derive": "fixedpoints.codegen.cache",
    "read_cached": "fixedpoints.codegen.cache",
    "write_cached": "fixedpoints.codegen.cache",
    "QUADRATURE_TOL": "fixedpoints.codegen.compile",
    "CompiledFlow": "fixedpoints.codegen.compile",
    "compile_expressions": "fixedpoints.codegen.compile",
    "compile_flow": "fixedpoints.codegen.compile",
    "kernel_module": "fixedpoints.codegen.kernelcode",
    "PairKernel": "fixedpoints.codegen.pairwise",
    "PairKernels": "fixedpoints.codegen.pairwise",
    "compile_pair_kernels": "fixedpoints.codegen.pairwise",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
