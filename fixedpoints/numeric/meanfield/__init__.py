"""Wide two-layer ReLU networks in the mean-field scaling (Hajjar & Chizat 2022): the scaling of
any loss (:mod:`.scaling`), the exact target :math:`\\|P_Hx\\|` (:mod:`.target`) and the exact
reduction by the rotations of :math:`H^\\perp` (:mod:`.reduced`). Symmetric (orbit-closed)
initializations and the symmetry defect of a predictor live with the rest of symmetry, in
:mod:`fixedpoints.numeric.symmetry.particles`. Names load on first use (the target and the
reduction import :mod:`scipy.special`, 0.2 s, which a simulation without them does not need)."""

from __future__ import annotations

from fixedpoints.lazy import lazy_names

_EXPORTS = {
    "MeanFieldScaling": "fixedpoints.numeric.meanfield.scaling",
    "OrbitRule": "fixedpoints.numeric.meanfield.reduced",
    "ReducedLoss": "fixedpoints.numeric.meanfield.reduced",
    "SubspaceNormTarget": "fixedpoints.numeric.meanfield.target",
    "orbit_rule": "fixedpoints.numeric.meanfield.reduced",
    "subspace_norm_alpha": "fixedpoints.numeric.meanfield.target",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
