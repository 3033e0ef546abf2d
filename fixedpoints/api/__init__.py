"""The façade users call (``fp.*``): one module per verb family (:mod:`.derivation`,
:mod:`.landscapes`, :mod:`.search`, :mod:`.thresholds`, :mod:`.continuation`, :mod:`.curves`, :mod:`.simulation`,
:mod:`.graphs`, :mod:`.arcs`, :mod:`.study`), composing the layers; it owns no algorithm. Names load on first
use."""

from __future__ import annotations

from fixedpoints.lazy import lazy_names

_EXPORTS = {
    "DEFAULT_PROTOCOL": "simulation",
    "LandscapeFamily": "landscapes",
    "LandscapePlane": "landscapes",
    "compile_flow": "derivation",
    "continue_curves": "curves",
    "continue_fixed_points": "continuation",
    "derive": "derivation",
    "find_fixed_points": "search",
    "flow_trajectory": "derivation",
    "printed_flow": "derivation",
    "landscape": "landscapes",
    "load_expected": "study",
    "model_teacher_vectors": "landscapes",
    "ncf_kkt_points": "graphs",
    "run_study": "study",
    "study_part": "study",
    "saddle_to_saddle": "graphs",
    "simulate": "simulation",
    "simulation_protocol": "simulation",
    "training_loss": "simulation",
    "tangency_arcs": "arcs",
    "threshold": "thresholds",
    "transition_graph": "graphs",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_names(
    __name__, {name: f"fixedpoints.api.{module}" for name, module in _EXPORTS.items()}, globals()
)
