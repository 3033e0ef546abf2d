"""The bridge SymPy -> NumPy/mpmath: lambdified callables (with CSE) and the on-disk cache."""

from fixedpoints.codegen.arrays import array_function, model_arrays
from fixedpoints.codegen.cache import cache_directory, cache_key, cached_derive
from fixedpoints.codegen.compile import (
    QUADRATURE_NODES,
    CompiledFlow,
    compile_expressions,
    compile_flow,
)
from fixedpoints.codegen.pairwise import PairKernels, compile_pair_kernels

__all__ = [
    "QUADRATURE_NODES",
    "CompiledFlow",
    "PairKernels",
    "compile_pair_kernels",
    "cache_directory",
    "cache_key",
    "cached_derive",
    "compile_expressions",
    "compile_flow",
    "model_arrays",
    "array_function",
]
