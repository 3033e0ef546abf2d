"""Model descriptions (standard library only): frozen dataclasses, parameters, presets, TOML I/O."""

from fixedpoints.spec.model import Loss, Model, Student, Teacher
from fixedpoints.spec.modelfile import (
    ModelFile,
    load_model,
    load_model_file,
    parse_model_text,
    preset_names,
)
from fixedpoints.spec.parameters import Parameter

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
]
