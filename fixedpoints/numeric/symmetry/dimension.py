r"""Families of Young-symmetric critical points in a real dimension d.

In Fix(Δ(S_{p_1}×…×S_{p_r})) with sizes written in d (``"d-1,1"``) the reduced loss and the
isotypic Hessian blocks depend on d only through the counts :math:`p_a(d)`
(:class:`~fixedpoints.numeric.symmetry.young.YoungIsotropy` with real ``counts``), so d can be
continued as a real number. :class:`DimensionFamily` gives, for each d, the reduced problem in
the form the one continuation (:func:`fixedpoints.numeric.continuation.continue_branch`)
follows, plus the isotypic spectrum with multiplicities as polynomials in d: an isotypic
eigenvalue that crosses zero is reported with its component and multiplicity formula; the
crossing value of d is a "fractional critical dimension" (Arjevani–Field).
"""

from __future__ import annotations

import numpy as np

from fixedpoints.numeric.symmetry.blocks import parse_sizes, polynomial_text
from fixedpoints.numeric.symmetry.isotypic import (
    component_multiplicity,
    isotypic_components,
    reduced_isotypic_spectrum,
)
from fixedpoints.numeric.symmetry.young import YoungIsotropy

__all__ = ["DimensionFamily"]


class _Reduced:
    """The reduced problem at one d, with the interface of a landscape for continuation."""

    def __init__(self, iso: YoungIsotropy, names, formulas):
        self.iso = iso
        self._names = names
        self._formulas = formulas

    def gradient(self, x):
        return self.iso.reduced_gradient(x)

    def loss(self, x):
        return float(self.iso.reduced_loss(x))

    def tangent_basis(self, x):
        return np.eye(self.iso.dimension)

    def hessian(self, x, basis=None):
        return self.iso.reduced_hessian(x)

    def retract(self, x):
        return np.asarray(x, dtype=float)

    def residual_norm(self, x, g=None):
        return self.iso.residual_norm(x, g)

    batched_hessian = False

    def spectrum(self, x):
        """``[(eigenvalue, multiplicity at d, label, multiplicity formula in d), ...]``."""
        items = reduced_isotypic_spectrum(self.iso, x, names=self._names)
        return [(float(v), float(m), lab, self._formulas.get(lab, "")) for v, m, lab in items]


class DimensionFamily:
    """``family(d)``: the reduced problem of ``spec`` (sizes written in d) at real d.

    Parameters
    ----------
    kernels : PairKernels
        Of a k = d, V = I model (built at any d).
    spec : str
        Block sizes written in d, e.g. ``"d-1,1"``.
    """

    def __init__(self, kernels, spec):
        self.sizes = parse_sizes(spec)
        if not self.sizes.in_d:
            from fixedpoints.errors import ParameterError

            raise ParameterError(
                f"`isotropy` must be written in d to continue in d (e.g. d-1,1); got {spec!r}.",
                parameter="isotropy",
            )
        self.kernels = kernels
        self.template = self.sizes.template(0.5, real=True)
        _, comps = isotypic_components(self.template, names=self.sizes.linear)
        polys = [self.sizes.polynomial(a) for a in range(len(self.template))]
        self.formulas = {
            c.label: polynomial_text(
                np.polynomial.Polynomial([1.0])
                * component_multiplicity(c.kind, [polys[a] for a in c.blocks])
            )
            for c in comps
        }

    def __call__(self, d) -> _Reduced:
        iso = YoungIsotropy(self.template, self.kernels, counts=self.sizes.counts(float(d)))
        return _Reduced(iso, self.sizes.linear, self.formulas)
