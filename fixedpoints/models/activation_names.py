"""The names an activation text may use: activations, functions, ``He<p>`` terms, and free
parameters.

An activation text such as ``"He3+c*He4"`` or ``"erf(c*z)"`` is an expression in the
pre-activation variable ``z``. Every name that is neither ``z``, a named activation (``relu``,
``erf``, ...) nor a Hermite term ``He<p>`` is a *parameter* of the activation: it becomes a real
parameter of the model (free and symbolic unless set with ``--set c=VALUE``), like ``beta``.

A few names cannot be parameters (:data:`RESERVED`): ``x``, which reads as the pre-activation
variable but is not it, the arguments ``A, B, P`` of the Gaussian kernels, and the names of the
order parameters (``Q_12``, ``M_11``, ``a_1``).
"""

from __future__ import annotations

import ast
import difflib
import re

from fixedpoints.errors import ParameterError

__all__ = [
    "ACTIVATION_NAMES",
    "CALLABLE_NAMES",
    "HERMITE",
    "RESERVED",
    "activation_parameters",
    "check_parameter_name",
]

#: bare names with a meaning in an activation text
ACTIVATION_NAMES = frozenset(
    {
        "z",
        "relu",
        "sqrt",
        "step",
        "erf",
        "tanh",
        "sigmoid",
        "exp",
        "linear",
        "quadratic",
        "leaky_relu",
        "pi",
    }
)
#: names that may be called, ``f(expr)``
CALLABLE_NAMES = frozenset({"relu", "step", "erf", "tanh", "exp", "sigmoid", "sqrt", "leaky_relu"})
#: names that cannot be parameters, with the reason
RESERVED = {
    "x": "the pre-activation variable is z (write e.g. erf(c*z) or tanh(z)+c*z)",
    "A": "A, B and P are the arguments of the Gaussian kernels K(A, B, P)",
    "B": "A, B and P are the arguments of the Gaussian kernels K(A, B, P)",
    "P": "A, B and P are the arguments of the Gaussian kernels K(A, B, P)",
}
#: a probabilists' Hermite polynomial term ``He<p>``
HERMITE = re.compile(r"^He\d+$")
_STATE = re.compile(r"^(Q|M|a|q|m)_\d[\d_]*$")
_HERMITE_TYPO = re.compile(r"^[Hh][A-Za-z]?(\d+)$")  # Hx4, he4, H4
_MISSPELT = sorted(n for n in ACTIVATION_NAMES if len(n) >= 4)
_ALLOWED = (
    "a parameter name (letters, digits, _; not x, A, B, P, an order parameter Q_ij/M_ir/a_i, "
    "or a misspelt activation)"
)


def check_parameter_name(parameter: str, *, name: str, text: str) -> str:
    """Refuse a name that cannot be a parameter of the activation ``name`` = ``text``.

    Parameters
    ----------
    parameter : str
        The candidate parameter name (a Python identifier).
    name, text : str, keyword-only
        The activation parameter and its text, for the message.

    Returns
    -------
    str
        ``parameter``.

    Raises
    ------
    ParameterError
        Naming ``name``, the value ``text``, the offending name and what is allowed: a reserved
        name (:data:`RESERVED`), an order-parameter name, a Hermite-like name that is not
        ``He<p>``, or a near miss of an activation name (``rleu``) or of ``He<p>`` (``Hx4``).

    Examples
    --------
    >>> check_parameter_name("c", name="target", text="He3+c*He4")
    'c'
    """
    if parameter in RESERVED:
        raise ParameterError(
            f"`{name}` = {text!r} uses {parameter!r}, which cannot be a parameter: "
            f"{RESERVED[parameter]}."
        )
    if _STATE.match(parameter):
        raise ParameterError(
            f"`{name}` = {text!r} uses {parameter!r}, the name of an order parameter; "
            f"allowed: {_ALLOWED}."
        )
    if parameter.startswith("He"):
        raise ParameterError(
            f"`{name}` = {text!r} has Hermite term {parameter!r} with a non-integer degree; "
            "allowed: He<p> with integer p >= 0."
        )
    typo = _HERMITE_TYPO.match(parameter)
    if typo:
        raise ParameterError(
            f"`{name}` = {text!r} has an unknown term {parameter!r}: did you mean "
            f"He{typo.group(1)}? (as a parameter, choose a name that does not read as He<p>)"
        )
    near = difflib.get_close_matches(parameter, _MISSPELT, n=1, cutoff=0.7)
    if near and len(parameter) >= 4:
        raise ParameterError(
            f"`{name}` = {text!r} has an unknown term {parameter!r}: did you mean {near[0]}? "
            "(as a parameter, choose a name that is not a near miss of an activation)"
        )
    return parameter


def activation_parameters(tree: ast.AST, *, name: str, text: str) -> tuple[str, ...]:
    """The parameters of a parsed activation text, in order of first appearance.

    Parameters
    ----------
    tree : ast.AST
        The parsed text (``ast.parse(text, mode="eval")``).
    name, text : str, keyword-only
        The activation parameter and its text, for messages.

    Returns
    -------
    tuple of str
        Bare names that are not ``z``, named activations or ``He<p>`` terms, each checked by
        :func:`check_parameter_name`.

    Raises
    ------
    ParameterError
        A call of anything but :data:`CALLABLE_NAMES`, or a name that cannot be a parameter.

    Examples
    --------
    >>> activation_parameters(ast.parse("He3+c*He4+c**2*z", mode="eval"), name="t", text="")
    ('c',)
    """
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called.add(id(node.func))
            if node.func.id not in CALLABLE_NAMES:
                raise ParameterError(
                    f"`{name}` = {text!r} calls the unknown function {node.func.id!r}; allowed: "
                    f"{', '.join(sorted(CALLABLE_NAMES))}."
                )
    names: list[str] = []
    for node in _in_order(tree):
        if isinstance(node, ast.Name) and id(node) not in called:
            n = node.id
            if n in ACTIVATION_NAMES or HERMITE.match(n) or n in names:
                continue
            names.append(check_parameter_name(n, name=name, text=text))
    return tuple(names)


def _in_order(node: ast.AST):
    """The nodes of ``node`` depth-first, left to right (the reading order of the text)."""
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _in_order(child)
