"""Model files (TOML) and the preset catalogue.

A model file declares parameters and describes student, teacher and loss with ``{param}`` templates::

    name = "my-committee"
    description = "two erf students, two erf teachers"
    d = "{k} + {m}"                  # input dimension (optional)
    outputs = "1"                    # optional

    [parameters.k]
    type = "int"
    default = 2
    min = 1

    [student]
    width = "{k}"
    activation = "erf"
    second_layer = "fixed"           # or "trainable"
    a = "1"                          # scalar, list or matrix expression (fixed second layer)
    spherical = false

    [teacher]
    width = "2"
    activation = "erf"
    b = "1"
    overlap = "identity"             # identity | equiangular(x) | diag([...]) | [[...],[...]] | x*identity

    [loss]
    kind = "square"                  # or "correlation"
    scale = "1/2"                    # L = scale * E[(f - f*)^2]

A section may contain ``switch = "{choice}"`` and ``[section.cases.<value>]`` tables merged over it.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from fixedpoints.errors import ModelError, ParameterError
from fixedpoints.models.expressions import (
    evaluate_int,
    evaluate_matrix,
    evaluate_number,
    evaluate_weights,
)
from fixedpoints.models.model import Loss, Model, Student, Teacher
from fixedpoints.models.parameters import (
    Parameter,
    parse_assignments,
    resolve_parameters,
    substitute,
)

__all__ = [
    "ModelFile",
    "preset_names",
    "load_model_file",
    "load_model",
    "parse_model_text",
    "with_settings",
]


class ModelFile:
    """A parsed (not yet instantiated) model file: parameters plus templated sections."""

    def __init__(self, data: dict, source: str, origin: str = ""):
        self.source = source
        self.origin = origin
        unknown = set(data) - _TOP
        if unknown:
            raise ModelError(
                f"{source}: unknown top-level keys {sorted(unknown)}; allowed: "
                f"{', '.join(sorted(_TOP))}."
            )
        self.data = data
        self.name = str(data.get("name", Path(source).stem))
        self.description = str(data.get("description", ""))
        self.reference = str(data.get("reference", ""))
        params = data.get("parameters", {})
        if not isinstance(params, dict):
            raise ModelError(f"{source}: [parameters] must be a table.")
        bad = [n for n, t in params.items() if not isinstance(t, dict)]
        if bad:
            raise ModelError(
                f"{source}: [parameters.{bad[0]}] must be a table (type, default, ...)."
            )
        self.parameters: dict[str, Parameter] = {
            n: Parameter.from_table(n, t) for n, t in params.items()
        }
        for sec in ("student", "teacher"):
            if sec not in data:
                raise ModelError(f"{source}: missing section [{sec}].")

    def describe(self) -> dict:
        """JSON-ready summary used by ``fixedpoints presets``."""
        return {
            "name": self.name,
            "description": self.description,
            "reference": self.reference,
            "parameters": [p.describe() for p in self.parameters.values()],
        }

    def instantiate(self, assignments=None) -> Model:
        """Resolve parameters (``{name: text}`` or ``["name=value", ...]``) and build the Model."""
        if assignments is None:
            assigned = {}
        elif isinstance(assignments, dict):
            assigned = parse_assignments(
                [f"{k}={v}" for k, v in assignments.items()], self.parameters
            )
        else:
            assigned = parse_assignments(assignments, self.parameters)
        values, free = resolve_parameters(self.parameters, assigned)
        return _build(self, values, free, assigned)


def _section(data: dict, key: str, values: dict[str, str]) -> dict:
    sec = data.get(key, {})
    if not isinstance(sec, dict):
        raise ModelError(f"[{key}] must be a table; got {sec!r}.")
    sec = dict(sec)
    if "switch" in sec:
        choice = substitute(sec.pop("switch"), values)
        cases = sec.pop("cases", {})
        if choice not in cases:
            raise ModelError(f"[{key}] has no case {choice!r}; cases: {sorted(cases)}.")
        sec.update(cases[choice])
    unknown = set(sec) - _KEYS[key]
    if unknown:
        raise ModelError(
            f"[{key}] has unknown keys {sorted(unknown)}; allowed: {', '.join(sorted(_KEYS[key]))}."
        )
    return {k: (substitute(v, values) if isinstance(v, str) else v) for k, v in sec.items()}


_KEYS = {
    "student": {"width", "activation", "second_layer", "a", "spherical"},
    "teacher": {"width", "activation", "b", "overlap"},
    "loss": {"kind", "scale"},
    "simulate": {
        "method",
        "lr",
        "init",
        "scale",
        "gradient_tol",
        "t_max",
        "records",
        "scaling",
        "target",
        "subspace",
    },
}
_SIMULATE_WORDS = {"method", "init", "scaling", "target"}
_TOP = {
    "name",
    "description",
    "reference",
    "d",
    "outputs",
    "parameters",
    "student",
    "teacher",
    "loss",
    "simulate",
}
_NAME = re.compile(r"(?<![0-9.])[A-Za-z_][A-Za-z0-9_]*")  # names, not the 'e' of 1.5e-3
_FUNCTIONS = {"sqrt", "gamma", "exp", "log", "cos", "sin", "pi", "Rational", "E"}


def _bool(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ParameterError(f"`{name}` must be true or false; got {value!r}.")


def _ranges(mf: ModelFile, values: dict[str, str], free) -> tuple:
    """The declared ranges of the free parameters, templates resolved (unresolvable bounds are
    left out)."""
    out = []
    for name in free:
        p = mf.parameters[name]
        bounds = []
        for b in (p.minimum, p.maximum):
            try:
                bounds.append(None if b is None else substitute(b, values))
            except ParameterError:
                bounds.append(None)
        out.append((name, bounds[0], bounds[1], bool(p.min_open), bool(p.max_open)))
    return tuple(out)


def _build(mf: ModelFile, values: dict[str, str], free: tuple[str, ...], assigned=None) -> Model:
    data = mf.data
    top = {
        k: (substitute(v, values) if isinstance(v, str) else v)
        for k, v in data.items()
        if k in ("outputs", "d")
    }
    outputs = evaluate_int(top.get("outputs", 1), name="outputs")
    d = evaluate_int(top["d"], name="d") if "d" in top else None
    st = _section(data, "student", values)
    te = _section(data, "teacher", values)
    lo = _section(data, "loss", values)
    k = evaluate_int(st.get("width", 1), name="student.width")
    if k < 1:
        raise ParameterError(f"`student.width` must be an integer >= 1; got {k}.")
    second = st.get("second_layer", "fixed")
    a = (
        evaluate_weights(str(st.get("a", "1")), name="student.a", rows=k, cols=outputs)
        if second == "fixed"
        else ()
    )
    student = Student(
        width=k,
        activation=str(st.get("activation", "relu")),
        second_layer=second,
        a=a,
        spherical=_bool(st.get("spherical", False), "student.spherical"),
    )
    overlap_text = str(te.get("overlap", "identity"))
    if "width" in te:
        m = evaluate_int(te["width"], name="teacher.width")
        T = evaluate_matrix(overlap_text, name="teacher.overlap", size=m)
    else:
        T = evaluate_matrix(overlap_text, name="teacher.overlap")
        m = len(T)
    if m < 1:
        raise ParameterError(f"`teacher.width` must be >= 1; got {m} (no teacher neuron).")
    b = evaluate_weights(str(te.get("b", "1")), name="teacher.b", rows=m, cols=outputs)
    teacher = Teacher(width=m, activation=str(te.get("activation", "relu")), b=b, overlap=T)
    loss = Loss(kind=str(lo.get("kind", "square")), scale=str(lo.get("scale", "")))
    numeric = " ".join([loss.scale] + [e for mat in (T, b, a) for row in mat for e in row])
    names = set(_NAME.findall(numeric))
    stray = names - _FUNCTIONS - set(free)
    if stray:
        raise ModelError(
            f"{mf.source}: the names {sorted(stray)} in a, b, overlap or scale are not declared "
            "parameters; declare them under [parameters] (a real parameter without default stays "
            "symbolic)."
        )
    names |= set(_NAME.findall(f"{student.activation} {teacher.activation}"))
    free_used = tuple(f for f in free if f in names)
    sim = _section(data, "simulate", values) if "simulate" in data else {}
    simulation = tuple(
        (k, str(v) if k in _SIMULATE_WORDS else evaluate_number(str(v), name=f"simulate.{k}"))
        for k, v in sorted(sim.items())
    )
    return Model(
        name=mf.name,
        student=student,
        teacher=teacher,
        loss=loss,
        outputs=outputs,
        input_dimension=d,
        free=free_used,
        settings=tuple(values.items()),
        description=mf.description,
        simulation=simulation,
        ranges=_ranges(mf, values, free_used),
        origin=mf.origin,
        assignments=tuple((k, str(v)) for k, v in (assigned or {}).items()),
    )


def _preset_dir():
    return resources.files("fixedpoints.models") / "presets"


def preset_names() -> list[str]:
    """Names of the shipped presets (sorted)."""
    return sorted(p.name[:-5] for p in _preset_dir().iterdir() if p.name.endswith(".toml"))


def parse_model_text(text: str, source: str = "<string>", origin: str = "") -> ModelFile:
    """Parse TOML text into a :class:`ModelFile` (``origin``: the preset name or path it can be
    loaded again from)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ModelError(f"{source} is not valid TOML: {e}.") from None
    return ModelFile(data, source, origin)


def load_model_file(preset_or_path: str) -> ModelFile:
    """Load a preset by name, or a model file by path.

    Raises
    ------
    ParameterError
        If it is neither a preset name nor an existing ``.toml`` file.
    """
    name = str(preset_or_path)
    if name in preset_names():
        text = (_preset_dir() / f"{name}.toml").read_text(encoding="utf-8")
        return parse_model_text(text, f"preset {name}", origin=name)
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return parse_model_text(path.read_text(encoding="utf-8"), str(path), origin=str(path))
    raise ParameterError(
        f"unknown preset or model file {name!r}; allowed: a path to a .toml model file or one of "
        f"{', '.join(preset_names())}."
    )


def load_model(preset_or_path: str, assignments=None) -> Model:
    """Load and instantiate: ``load_model("multi-index", {"k": 3, "beta": 0.2})``."""
    return load_model_file(preset_or_path).instantiate(assignments)


def with_settings(model: Model, **changes) -> Model:
    """``model`` rebuilt from its preset or model file with the parameters it was given, updated
    by ``changes`` (defaults that depend on a changed parameter follow it).

    >>> m = load_model("multi-index", {"k": 3, "target": "He4"})
    >>> with_settings(m, k=5).teacher.width
    5

    Raises
    ------
    ModelError
        When the model was not built from a preset or a model file.
    """
    if not model.origin:
        raise ModelError(
            f"model {model.name!r} was not loaded from a preset or a model file; rebuild it by hand."
        )
    given = {**dict(model.assignments), **{k: str(v) for k, v in changes.items()}}
    return load_model_file(model.origin).instantiate(given)
