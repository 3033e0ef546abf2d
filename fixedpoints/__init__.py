"""fixedpoints: order-parameter ODEs, fixed points and thresholds of two-layer networks on Gaussian
data, derived symbolically and checked numerically.

>>> import fixedpoints as fp
>>> model = fp.load_model("multi-index", {"k": 2, "n": 1, "target": "He3"})
>>> flow = fp.derive(model)
>>> flow.names
('M_11', 'M_12')
"""

from fixedpoints.analysis import (
    LandscapeFamily,
    continue_fixed_points,
    find_fixed_points,
    landscape,
    threshold,
)
from fixedpoints.codegen import cached_derive as derive
from fixedpoints.codegen import compile_flow, compile_pair_kernels, model_arrays
from fixedpoints.errors import (
    AnsatzError,
    DerivationError,
    FixedPointsError,
    ModelError,
    ParameterError,
)
from fixedpoints.export import flow_to_json, flow_to_latex
from fixedpoints.kernels import pair_kernel, parse_activation
from fixedpoints.numeric import ode
from fixedpoints.numeric import (
    PopulationLoss,
    integrate,
    integrate_batch,
    state_from_weights,
    teacher_vectors,
)
from fixedpoints.models import Loss, Model, Student, Teacher, load_model, preset_names
from fixedpoints.symbolic import (
    OrderParameterFlow,
    check_permutation_equivariance,
    make_ansatz,
    reduce_flow,
)

__version__ = "0.1.0"

__all__ = [
    "ode",
    "LandscapeFamily",
    "continue_fixed_points",
    "find_fixed_points",
    "landscape",
    "threshold",
    "AnsatzError",
    "DerivationError",
    "FixedPointsError",
    "Loss",
    "Model",
    "ModelError",
    "OrderParameterFlow",
    "PopulationLoss",
    "ParameterError",
    "Student",
    "Teacher",
    "check_permutation_equivariance",
    "compile_flow",
    "compile_pair_kernels",
    "derive",
    "flow_to_json",
    "flow_to_latex",
    "integrate",
    "integrate_batch",
    "load_model",
    "make_ansatz",
    "model_arrays",
    "pair_kernel",
    "parse_activation",
    "preset_names",
    "reduce_flow",
    "state_from_weights",
    "teacher_vectors",
]
