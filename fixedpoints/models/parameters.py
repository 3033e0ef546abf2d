"""Model-file parameters: declaration, ``--set NAME=VALUE`` parsing, defaults and range checks.

A parameter is declared in a model file as a TOML table, e.g. ::

    [parameters.beta]
    type = "real"        # int | real | list | choice | activation
    min = 0
    max = 1
    max_open = true      # beta in [0, 1)
    doc = "equiangular overlap of the index vectors"
    # no default: beta stays a free SymPy symbol until it is set

Defaults and bounds may refer to other parameters with ``{name}`` templates (``default = "{k}"``,
``min = "{k}"``); parameters are resolved in the order they are declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fixedpoints.errors import ParameterError, out_of_range
from fixedpoints.models.activation_names import ACTIVATION_NAMES, activation_parameters
from fixedpoints.models.activation_names import HERMITE as _HERMITE
from fixedpoints.models.expressions import check_expression, evaluate_int, evaluate_list

__all__ = [
    "Parameter",
    "parse_assignments",
    "resolve_parameters",
    "substitute",
    "check_activation_text",
    "polynomial_degree",
    "MAX_DEGREE",
]

KINDS = ("int", "real", "list", "choice", "activation")
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
FREE = "free"
MAX_INT = 10**6  # sizes beyond this are typos, not models
#: the highest polynomial degree of an activation (He<p>, z**p): the closed-form kernels of
#: degree p are generated symbolically, at a cost growing fast with p (measured on 2 cores:
#: derive He20 5 s, He40 28 s; fixed-points, which also generates the kernel code, He20 22 s,
#: He28 96 s, He40 over 150 s)
MAX_DEGREE = 20


@dataclass(frozen=True)
class Parameter:
    """A declared model parameter.

    Attributes
    ----------
    name : str
        Name used in ``--set NAME=VALUE`` and in ``{NAME}`` templates.
    kind : {'int', 'real', 'list', 'choice', 'activation'}
        Value type. A ``real`` parameter without default is a free symbol.
    default : str or None
        Default value (text, may contain templates). ``None`` means free symbolic (``real`` only).
    doc : str
        One-line description.
    minimum, maximum : str or None
        Bounds (text, may contain templates); ``min_open``/``max_open`` make them strict.
    choices : tuple of str
        Allowed values of a ``choice`` parameter.
    """

    name: str
    kind: str
    default: str | None = None
    doc: str = ""
    minimum: str | None = None
    maximum: str | None = None
    min_open: bool = False
    max_open: bool = False
    choices: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ParameterError(
                f"parameter `{self.name}` has type {self.kind!r}; allowed: {', '.join(KINDS)}."
            )
        if self.kind == "choice" and not self.choices:
            raise ParameterError(f"parameter `{self.name}` of type choice needs `choices = [...]`.")
        if self.default is None and self.kind != "real":
            raise ParameterError(f"parameter `{self.name}` of type {self.kind} needs a default.")

    @classmethod
    def from_table(cls, name: str, table: dict) -> Parameter:
        """Build from a TOML table (keys ``type, default, doc, min, max, min_open, max_open,
        choices``)."""
        unknown = set(table) - {
            "type",
            "default",
            "doc",
            "min",
            "max",
            "min_open",
            "max_open",
            "choices",
        }
        if unknown:
            raise ParameterError(
                f"parameter `{name}` has unknown keys {sorted(unknown)}; allowed: type, default, "
                "doc, min, max, min_open, max_open, choices."
            )

        def txt(v):
            if v is None:
                return None
            if isinstance(v, list):
                return ",".join(str(x) for x in v)
            return str(v)

        return cls(
            name=name,
            kind=str(table.get("type", "real")),
            default=txt(table.get("default")),
            doc=str(table.get("doc", "")),
            minimum=txt(table.get("min")),
            maximum=txt(table.get("max")),
            min_open=bool(table.get("min_open", False)),
            max_open=bool(table.get("max_open", False)),
            choices=tuple(str(c) for c in table.get("choices", ())),
        )

    def range_text(self, values: dict[str, str] | None = None) -> str:
        """Human-readable allowed range, e.g. ``'in [0, 1)'`` or ``'an integer >= 1'``; with the
        resolved ``values`` of the other parameters, bounds written as templates are filled in
        (``'an integer >= {m}'`` -> ``'an integer >= 2'``)."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "activation":
            return (
                "an activation (relu, erf, step, linear, quadratic, tanh, leaky_relu(a), "
                "He-mixture; other names are parameters, e.g. He3+c*He4)"
            )
        if self.kind == "list":
            base = "a comma-separated list of numbers"
        elif self.kind == "int":
            base = "an integer"
        else:
            base = "a number" + (" (or 'free')" if self.default is None else "")
        lo, hi = (_bound_text(self, b, values) for b in (self.minimum, self.maximum))
        if lo is not None and hi is not None:
            return f"{base} in {'(' if self.min_open else '['}{lo}, {hi}{')' if self.max_open else ']'}"
        if lo is not None:
            return f"{base} {'>' if self.min_open else '>='} {lo}"
        if hi is not None:
            return f"{base} {'<' if self.max_open else '<='} {hi}"
        return base

    def describe(self) -> dict:
        """JSON-ready description (name, type, default, range, doc)."""
        out = {"name": self.name, "type": self.kind, "default": self.default, "doc": self.doc}
        out["range"] = self.range_text()
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` templates by the (text) values of resolved parameters."""

    def repl(m):
        key = m.group(1)
        if key not in values:
            raise ParameterError(f"template {{{key}}} names no parameter; known: {sorted(values)}.")
        return values[key]

    return _TEMPLATE.sub(repl, str(text))


def parse_assignments(
    items, known: dict[str, Parameter], *, where: str = "params"
) -> dict[str, str]:
    """Parse ``NAME=VALUE`` strings.

    Raises
    ------
    ParameterError
        On a malformed item (no ``=``), an unknown name (the message lists the known ones) or a
        name given twice.
    """
    out: dict[str, str] = {}
    for item in items or ():
        if "=" not in str(item):
            raise ParameterError(f"`{where}` expects NAME=VALUE; got {item!r}.", parameter=where)
        name, value = str(item).split("=", 1)
        name, value = name.strip(), value.strip()
        if not name:
            raise ParameterError(f"`{where}` expects NAME=VALUE; got {item!r}.", parameter=where)
        if name not in known:
            raise ParameterError(
                f"unknown parameter `{name}`; allowed: {', '.join(known) or '(none)'}."
            )
        if value == "":
            raise ParameterError(f"`{name}` needs a value ({known[name].range_text()}); got ''.")
        if name in out:
            raise ParameterError(
                f"`{name}` is set twice ({name}={out[name]}, {name}={value}); set it once."
            )
        out[name] = value
    return out


def check_activation_text(text: str, *, name: str) -> str:
    """Light syntactic check of an activation text: known names, ``He<p>`` terms and parameter
    names (:func:`~fixedpoints.models.activation_names.activation_parameters`), and a polynomial
    degree of at most :data:`MAX_DEGREE` (:func:`polynomial_degree`)."""
    tree = check_expression(text, name=name)
    activation_parameters(tree, name=name, text=text)
    degree = polynomial_degree(tree.body)
    if degree > MAX_DEGREE:
        raise ParameterError(
            f"`{name}` must have polynomial degree at most {MAX_DEGREE} (He<p> with p <= "
            f"{MAX_DEGREE}); got {text!r} of degree {degree}: the symbolic kernels of degree p take "
            "ever longer to generate (He20: ~20 s, He28: ~100 s, He40: minutes)."
        )
    return text


def polynomial_degree(node) -> int:
    """An upper bound on the degree in ``z`` of an activation expression (its :mod:`ast` body):
    ``He<p>`` has degree p, ``quadratic`` 2, the other named activations and calls of them the
    degree of their argument (at least 1), parameters 0, ``a**n`` (integer n >= 0) n times that
    of ``a``.

    >>> import ast
    >>> polynomial_degree(ast.parse("He3 + 0.5*He4*z", mode="eval").body)
    5
    """
    import ast

    def deg(n) -> int:
        if isinstance(n, ast.Constant):
            return 0
        if isinstance(n, ast.Name):
            match = _HERMITE.match(n.id)
            if match:
                return int(n.id[2:])
            if n.id in ACTIVATION_NAMES:
                return {"pi": 0, "quadratic": 2}.get(n.id, 1)
            return 0  # a parameter
        if isinstance(n, ast.UnaryOp):
            return deg(n.operand)
        if isinstance(n, ast.Call):
            return max([1, *(deg(a) for a in n.args)])
        if isinstance(n, ast.BinOp):
            left, right = deg(n.left), deg(n.right)
            if isinstance(n.op, ast.Mult):
                return left + right
            if isinstance(n.op, (ast.Pow, ast.BitXor)):
                e = n.right.value if isinstance(n.right, ast.Constant) else None
                if isinstance(e, int) and not isinstance(e, bool) and e >= 0:
                    return left * e
                return max(left, right)
            return max(left, right)
        return 0

    return deg(node)


def _bound_text(p: Parameter, text: str | None, values: dict[str, str] | None) -> str | None:
    """A bound as text, its templates filled from ``values`` and evaluated where possible
    (``'len([{teacher_eigenvalues}])'`` -> ``'3'``); unchanged without ``values``."""
    if text is None or values is None:
        return text
    try:
        x = _bound(p, text, values)
    except ParameterError:
        try:
            return substitute(text, values)
        except ParameterError:
            return text
    return str(int(x)) if x is not None and float(x).is_integer() else f"{x:g}"


def _bound(p: Parameter, text: str | None, values: dict[str, str]) -> float | None:
    if text is None:
        return None
    s = substitute(text, values)
    try:
        return float(evaluate_int(s, name=p.name)) if p.kind == "int" else float(eval_number(s, p))
    except ParameterError:
        return float(eval_number(s, p))


def eval_number(s: str, p: Parameter) -> float:
    """Evaluate a numeric text (number or simple arithmetic)."""
    from fixedpoints.models.expressions import _num

    tree = check_expression(s, name=p.name)
    v = _num(tree.body, p.name)
    if not isinstance(v, (int, float)):
        raise ParameterError(f"`{p.name}` must be {p.range_text()}; got {s!r}.")
    return float(v)


def _check_value(p: Parameter, raw: str, values: dict[str, str]) -> str:
    """Validate one value; return its canonical text."""
    if p.kind == "choice":
        if raw not in p.choices:
            raise out_of_range(p.name, raw, p.range_text(values))
        return raw
    if p.kind == "activation":
        return check_activation_text(raw, name=p.name)
    if p.kind == "real" and raw == FREE:
        if p.default is not None:
            raise ParameterError(
                f"`{p.name}` cannot be left free; it must be {p.range_text(values)}."
            )
        return p.name
    lo, hi = _bound(p, p.minimum, values), _bound(p, p.maximum, values)

    def inside(x: float) -> bool:
        if lo is not None and (x < lo or (p.min_open and x == lo)):
            return False
        if hi is not None and (x > hi or (p.max_open and x == hi)):
            return False
        return True

    if p.kind == "int":
        try:
            v = evaluate_int(raw, name=p.name)
        except ParameterError:
            raise out_of_range(p.name, raw, p.range_text(values)) from None
        if not inside(v) or abs(v) > MAX_INT:
            cap = "" if hi is not None and hi <= MAX_INT else f" (and at most {MAX_INT})"
            raise out_of_range(p.name, v, p.range_text(values) + cap)
        return str(v)
    if p.kind == "list":
        try:
            vals = evaluate_list(raw, name=p.name)
        except ParameterError:
            raise out_of_range(p.name, raw, p.range_text(values)) from None
        if not vals:
            raise out_of_range(p.name, raw, p.range_text(values))
        for v in vals:
            if not inside(float(v)):
                raise out_of_range(p.name, raw, p.range_text(values) + " (each entry)")
        return ",".join(_canon_number(str(v)) for v in vals)
    # real
    try:
        x = eval_number(raw, p)
    except ParameterError:
        raise out_of_range(p.name, raw, p.range_text(values)) from None
    if x != x or x in (float("inf"), float("-inf")) or not inside(x):
        raise out_of_range(p.name, raw, p.range_text(values))
    return _canon_number(raw)


def _canon_number(s: str) -> str:
    """Canonical text of a number; negatives get parentheses so that templates such as
    ``{c}**2`` keep their meaning."""
    s = s.strip()
    try:
        f = float(s)
    except (ValueError, OverflowError):
        return f"({s})"
    if f.is_integer() and "e" not in s.lower() and abs(f) < 1e15:
        s = str(int(f))
    return f"({s})" if f < 0 else s


def resolve_parameters(
    declared: dict[str, Parameter], assigned: dict[str, str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Resolve every declared parameter from ``assigned`` values or defaults, in declaration order.

    Returns
    -------
    values : dict
        name -> canonical text value (a free real parameter maps to its own name).
    free : tuple of str
        Names of real parameters left free (symbolic).
    """
    values: dict[str, str] = {}
    free: list[str] = []
    for name, p in declared.items():
        if name in assigned:
            raw = assigned[name]
        elif p.default is None:
            values[name] = name
            free.append(name)
            continue
        else:
            raw = substitute(p.default, values)
        v = _check_value(p, raw, values)
        if p.kind == "real" and v == name:
            free.append(name)
        values[name] = v
    return values, tuple(free)
