"""Model descriptions (standard library only): frozen dataclasses, parameters, presets, TOML I/O."""

from fixedpoints.models.model import Loss, Model, Student, Teacher
from fixedpoints.models.modelfile import (
    ModelFile,
    load_model,
    load_model_file,
    parse_model_text,
    preset_names,
    with_settings,
)
from fixedpoints.models.naming import OrderParameterNames
from fixedpoints.models.parameters import Parameter

__all__ = [
    "Loss",
    "Model",
    "ModelFile",
    "Parameter",
    "Student",
    "Teacher",
    "load_model",
    "load_model_file",
    "parse_model_text",
    "preset_names",
    "with_settings",
    "OrderParameterNames",
]
