"""Symmetry, in one home: the landscape's group (:mod:`.group`), orbits and their keys
(:mod:`.orbits`), fixed-point subspaces of diagonal Young subgroups (:mod:`.young`), Hessian
spectra by isotypic components (:mod:`.isotypic`, :mod:`.spectra`) and the fixed-point search
inside a fixed-point subspace (:mod:`.search`)."""

from fixedpoints.numeric.symmetry.group import Symmetry, detect_symmetry, symmetry_generators
from fixedpoints.numeric.symmetry.isotypic import (
    isotypic_components,
    isotypic_spectrum,
    reduced_isotypic_spectrum,
    weight_space_hvp,
)
from fixedpoints.numeric.symmetry.orbits import canonical_form, orbit_key, overlap_signature
from fixedpoints.numeric.symmetry.search import find_isotropic_fixed_points, isotropic_starts
from fixedpoints.numeric.symmetry.spectra import dense_spectrum, merge_spectrum
from fixedpoints.numeric.symmetry.young import (
    IsotropyType,
    YoungIsotropy,
    isotropy_label,
    orbit_size,
    parse_blocks,
    young_isotropy,
)

__all__ = [
    "IsotropyType",
    "Symmetry",
    "YoungIsotropy",
    "canonical_form",
    "dense_spectrum",
    "detect_symmetry",
    "find_isotropic_fixed_points",
    "isotropic_starts",
    "isotropy_label",
    "isotypic_components",
    "isotypic_spectrum",
    "merge_spectrum",
    "orbit_key",
    "orbit_size",
    "overlap_signature",
    "parse_blocks",
    "reduced_isotypic_spectrum",
    "symmetry_generators",
    "weight_space_hvp",
    "young_isotropy",
]
