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
from fixedpoints.models.activation_names import activation_parameters
from fixedpoints.models.expressions import (
    check_expression,
    evaluate_int,
    evaluate_matrix,
    evaluate_number,
    evaluate_weights,
)
from fixedpoints.models.model import Loss, Model, Student, Teacher
from fixedpoints.models.parameters import (
    Parameter,
    _check_value,
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
            items = []
        elif isinstance(assignments, dict):
            items = [f"{k}={v}" for k, v in assignments.items()]
        else:
            items = [str(i) for i in assignments]
        extra = [i for i in items if "=" in i and _name(i) not in self.parameters and _name(i)]
        assigned = parse_assignments([i for i in items if i not in extra], self.parameters)
        extras = parse_assignments(extra, {_name(i): _REAL for i in extra})
        values, free = resolve_parameters(self.parameters, assigned)
        return _build(self, values, free, {**assigned, **extras}, extras)

    def parameters_for(self, assignments=()) -> dict[str, Parameter]:
        """The declared parameters and the parameters of the activations (``c`` in
        ``target="He3+c*He4"``, real and unbounded) of the model built with ``assignments``."""
        model = self.instantiate(assignments)
        implicit = [n for n, *_ in model.ranges if n not in self.parameters]
        return {**self.parameters, **{n: Parameter(n, "real", doc=_DOC) for n in implicit}}


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


def _name(item: str) -> str:
    return item.split("=", 1)[0].strip()


_REAL = Parameter("value", "real")
_DOC = "a parameter of an activation: any real number, free (symbolic) unless set"


def _bind_activations(mf: ModelFile, texts: dict, values: dict, free: list, extras: dict) -> dict:
    """The activation ``texts`` (``{where: text}``) with their parameters bound: a name that is
    not declared becomes a real parameter, free unless ``extras`` sets it (``values`` and
    ``free`` are updated); declared real or integer parameters with a value, and set new ones,
    are written in as numbers (then ``He3+c*He4`` with c = 0.5 *is* ``He3+0.5*He4``)."""
    names: dict[str, str] = {}
    for where, text in texts.items():
        tree = check_expression(text, name=where)
        for n in activation_parameters(tree, name=where, text=text):
            names.setdefault(n, where)
    unused = [n for n in extras if n not in names]
    if unused:
        implicit = [n for n in names if n not in mf.parameters]
        raise ParameterError(
            f"unknown parameter `{unused[0]}`; allowed: {', '.join(mf.parameters) or '(none)'}"
            + (f", and the activation parameters {', '.join(implicit)}" if implicit else "")
            + " (a name in an activation, e.g. --set target='He3+c*He4', is a parameter)."
        )
    numbers = {}
    for n, where in names.items():
        p = mf.parameters.get(n)
        if p is None:
            raw = extras.get(n, "free")
            values[n] = _check_value(Parameter(n, "real", doc=_DOC), raw, values)
            if values[n] == n:
                free.append(n)
        elif p.kind not in ("real", "int"):
            raise ParameterError(
                f"`{where}` = {texts[where]!r} uses the {p.kind} parameter `{n}`; an activation "
                "may use real or integer parameters, or new names (free real parameters)."
            )
        if values[n] != n:
            numbers[n] = values[n]
    if not numbers:
        return texts
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, numbers)) + r")(?!\w)")
    return {w: pattern.sub(lambda m: numbers[m.group(1)], t) for w, t in texts.items()}


def _ranges(mf: ModelFile, values: dict[str, str], free) -> tuple:
    """The declared ranges of the free parameters, templates resolved (unresolvable bounds are
    left out); parameters of activations are unbounded."""
    out = []
    for name in free:
        p = mf.parameters.get(name, _REAL)
        bounds = []
        for b in (p.minimum, p.maximum):
            try:
                bounds.append(None if b is None else substitute(b, values))
            except ParameterError:
                bounds.append(None)
        out.append((name, bounds[0], bounds[1], bool(p.min_open), bool(p.max_open)))
    return tuple(out)


def _build(mf: ModelFile, values, free, assigned=None, extras=None) -> Model:
    data = mf.data
    values, free = dict(values), list(free)
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
    texts = {
        "student.activation": str(st.get("activation", "relu")),
        "teacher.activation": str(te.get("activation", "relu")),
    }
    texts = _bind_activations(mf, texts, values, free, dict(extras or {}))
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
        activation=texts["student.activation"],
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
    teacher = Teacher(width=m, activation=texts["teacher.activation"], b=b, overlap=T)
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
