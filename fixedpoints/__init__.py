"""fixedpoints: order-parameter ODEs, fixed points and thresholds of two-layer networks on Gaussian
data, derived symbolically and checked numerically.

>>> import fixedpoints as fp
>>> model = fp.load_model("multi-index", {"k": 2, "n": 1, "target": "He3"})
>>> flow = fp.derive(model)
>>> flow.names
('M_11', 'M_12')

The names of ``__all__`` are the public API, loaded on first use (``import fixedpoints`` itself
loads nothing heavy); ``fp.ode`` is the ODE engine (tableaus, controllers, the batched driver)
and ``fp.export`` the LaTeX, table and figure writers.
"""

from __future__ import annotations

from fixedpoints.lazy import lazy_names

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    # models
    "Model": "fixedpoints.models",
    "OrderParameterNames": "fixedpoints.models",
    "load_model": "fixedpoints.models",
    "preset_names": "fixedpoints.models",
    "with_settings": "fixedpoints.models",
    # derivation
    "compile_flow": "fixedpoints.api",
    "derive": "fixedpoints.api",
    "flow_to_json": "fixedpoints.export",
    "flow_to_latex": "fixedpoints.export",
    "integrate": "fixedpoints.numeric.ode",
    "integrate_batch": "fixedpoints.numeric.ode",
    "reduce_flow": "fixedpoints.symbolic",
    "check_equivariance": "fixedpoints.symbolic",
    "fixed_point_ansatz": "fixedpoints.symbolic",
    # fixed points, thresholds, continuation
    "LandscapeFamily": "fixedpoints.api",
    "LandscapePlane": "fixedpoints.api",
    "continue_curves": "fixedpoints.api",
    "continue_fixed_points": "fixedpoints.api",
    "find_fixed_points": "fixedpoints.api",
    "landscape": "fixedpoints.api",
    "threshold": "fixedpoints.api",
    # dynamics
    "diagonal_saddle_to_saddle": "fixedpoints.numeric.saddle_to_saddle",
    "ncf_kkt_points": "fixedpoints.api",
    "outcomes": "fixedpoints.numeric.outcomes",
    "saddle_to_saddle": "fixedpoints.api",
    "simulate": "fixedpoints.api",
    "training_loss": "fixedpoints.api",
    "sphere_overlaps": "fixedpoints.numeric.initialize",
    "particle_group": "fixedpoints.numeric.symmetry.particles",
    "orbit_closed": "fixedpoints.numeric.symmetry.particles",
    "symmetry_defect": "fixedpoints.numeric.symmetry.particles",
    "equivariance_defect": "fixedpoints.numeric.symmetry.particles",
    "subspace_norm_alpha": "fixedpoints.numeric.meanfield",
    "transition_graph": "fixedpoints.api",
    "tangency_arcs": "fixedpoints.api",
    # studies
    "run_study": "fixedpoints.api",
    "study_part": "fixedpoints.api",
    # results
    "Branch": "fixedpoints.results",
    "Continuation": "fixedpoints.results",
    "Curve": "fixedpoints.results",
    "FixedPoint": "fixedpoints.results",
    "FixedPointSearch": "fixedpoints.results",
    "SaddleSequence": "fixedpoints.results",
    "Simulation": "fixedpoints.results",
    "Status": "fixedpoints.results",
    "TangencyArc": "fixedpoints.results",
    "Threshold": "fixedpoints.results",
    "TransitionGraph": "fixedpoints.results",
    # errors
    "AnsatzError": "fixedpoints.errors",
    "DerivationError": "fixedpoints.errors",
    "FixedPointsError": "fixedpoints.errors",
    "ModelError": "fixedpoints.errors",
    "ParameterError": "fixedpoints.errors",
}
#: sub-packages reachable as attributes
_MODULES = {"export": "fixedpoints.export", "ode": "fixedpoints.numeric.ode"}

__all__ = [*_EXPORTS, *_MODULES]


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals(), _MODULES)
