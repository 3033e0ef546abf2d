"""The façade users call (``fp.*``): one module per verb family (:mod:`.derivation`,
:mod:`.landscapes`, :mod:`.search`, :mod:`.thresholds`, :mod:`.continuation`, :mod:`.curves`, :mod:`.simulation`,
:mod:`.graphs`, :mod:`.arcs`, :mod:`.study`), composing the layers; it owns no algorithm. Names load on first
use."""

from __future__ import annotations

import importlib

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


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'fixedpoints.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"fixedpoints.api.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
