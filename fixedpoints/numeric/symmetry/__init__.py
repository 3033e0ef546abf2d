"""Symmetry, in one home: the landscape's group (:mod:`.group`; generators and exact orders from
coloured-graph automorphisms, :mod:`.automorphisms`; rotations of degenerate teacher eigenspaces,
:mod:`.eigenspaces`), exact orbits (:mod:`.orbits`), fixed-point
subspaces of any subgroup in weight space and the lattice the search visits (:mod:`.subspace`),
the reduced loss on diagonal Young subgroups of the k = d ReLU problem (:mod:`.young`), Hessian
spectra by isotypic components (:mod:`.isotypic`, :mod:`.spectra`) and the search inside a
Young fixed space (:mod:`.search`)."""

from fixedpoints.numeric.symmetry.automorphisms import (
    AutomorphismGroup,
    ColouredGraph,
    automorphism_group,
    find_isomorphism,
)
from fixedpoints.numeric.symmetry.certify import arb_kernels, certify_point, certify_search
from fixedpoints.numeric.symmetry.dimension import DimensionFamily
from fixedpoints.numeric.symmetry.directions import (
    DirectionOrbits,
    classes_basis,
    classes_projector,
    fixed_space_classes,
    project_classes,
    stabiliser_maps,
    symmetric_directions,
)
from fixedpoints.numeric.symmetry.group import Symmetry, detect_symmetry, symmetry_generators
from fixedpoints.numeric.symmetry.isotypic import (
    isotypic_components,
    isotypic_spectrum,
    reduced_isotypic_spectrum,
    weight_space_hvp,
)
from fixedpoints.numeric.symmetry.orbits import (
    Orbit,
    orbit,
    orbit_key,
    overlap_signature,
    same_orbit,
)
from fixedpoints.numeric.symmetry.search import find_isotropic_fixed_points, isotropic_starts
from fixedpoints.numeric.symmetry.spectra import dense_spectrum, merge_spectrum
from fixedpoints.numeric.symmetry.subspace import (
    FixedSubspace,
    ansatz_subspace,
    input_subspaces,
    search_lattice,
    weight_map,
    young_subspace,
    young_subspaces,
)
from fixedpoints.numeric.symmetry.young import (
    IsotropyType,
    YoungIsotropy,
    isotropy_label,
    orbit_size,
    parse_blocks,
    young_isotropy,
)

__all__ = [
    "DimensionFamily",
    "DirectionOrbits",
    "classes_basis",
    "classes_projector",
    "fixed_space_classes",
    "project_classes",
    "arb_kernels",
    "certify_point",
    "certify_search",
    "AutomorphismGroup",
    "ColouredGraph",
    "FixedSubspace",
    "IsotropyType",
    "Orbit",
    "ansatz_subspace",
    "Symmetry",
    "YoungIsotropy",
    "automorphism_group",
    "dense_spectrum",
    "detect_symmetry",
    "find_isomorphism",
    "find_isotropic_fixed_points",
    "input_subspaces",
    "isotropic_starts",
    "isotropy_label",
    "isotypic_components",
    "isotypic_spectrum",
    "merge_spectrum",
    "orbit",
    "orbit_key",
    "orbit_size",
    "overlap_signature",
    "parse_blocks",
    "reduced_isotypic_spectrum",
    "same_orbit",
    "search_lattice",
    "symmetry_generators",
    "stabiliser_maps",
    "symmetric_directions",
    "weight_map",
    "weight_space_hvp",
    "young_isotropy",
    "young_subspace",
    "young_subspaces",
]
