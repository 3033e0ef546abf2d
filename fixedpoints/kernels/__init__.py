r"""Gaussian pair kernels :math:`K_{\sigma\tau}(A,B,P)=\mathbb E[\sigma(u)\tau(v)]`, closed form.

Imports SymPy and the standard library only.
"""

from fixedpoints.kernels.activation import (
    ALLOWED_ACTIVATIONS,
    A,
    B,
    P,
    activation_parameters,
    activation_parity,
    parameter_symbol,
    parse_activation,
    relu,
    step,
    z,
)
from fixedpoints.kernels.closed_forms import Atom, decompose
from fixedpoints.kernels.quadrature import (
    QuadratureKernel,
    quadrature_functions,
    quadrature_kernel,
)
from fixedpoints.kernels.registry import Kernel, pair_kernel, self_kernel
from fixedpoints.kernels.subspace_norm import (
    N,
    subspace_norm_alpha,
    subspace_norm_derivatives,
    subspace_norm_energy,
    subspace_norm_kernel,
    subspace_norm_latex,
)

__all__ = [
    "A",
    "B",
    "P",
    "z",
    "relu",
    "step",
    "ALLOWED_ACTIVATIONS",
    "activation_parameters",
    "activation_parity",
    "parameter_symbol",
    "parse_activation",
    "Atom",
    "decompose",
    "Kernel",
    "pair_kernel",
    "self_kernel",
    "QuadratureKernel",
    "quadrature_kernel",
    "quadrature_functions",
    "N",
    "subspace_norm_alpha",
    "subspace_norm_kernel",
    "subspace_norm_derivatives",
    "subspace_norm_energy",
    "subspace_norm_latex",
]
