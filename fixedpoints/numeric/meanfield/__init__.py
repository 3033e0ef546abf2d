"""Wide two-layer ReLU networks in the mean-field scaling (Hajjar & Chizat 2022): the scaling of
any loss (:mod:`.scaling`), the exact target :math:`\\|P_Hx\\|` (:mod:`.target`) and the exact
reduction by the rotations of :math:`H^\\perp` (:mod:`.reduced`). Symmetric (orbit-closed)
initializations and the symmetry defect of a predictor live with the rest of symmetry, in
:mod:`fixedpoints.numeric.symmetry.particles`."""

from fixedpoints.numeric.meanfield.reduced import OrbitRule, ReducedLoss, orbit_rule
from fixedpoints.numeric.meanfield.scaling import MeanFieldScaling
from fixedpoints.numeric.meanfield.target import SubspaceNormTarget, subspace_norm_alpha

__all__ = [
    "MeanFieldScaling",
    "OrbitRule",
    "ReducedLoss",
    "SubspaceNormTarget",
    "orbit_rule",
    "subspace_norm_alpha",
]
