"""A tiny, safe expression language for model files (standard library only).

Model files (TOML) describe sizes, second-layer weights and the teacher overlap matrix :math:`T=VV^\\top`
with short expressions such as ``"k"``, ``"len([3,2,1])"``, ``"equiangular(beta)"``,
``"diag(nonzero([3,2,1,0]))"`` or ``"T*identity"``. This module parses them with :mod:`ast` (never
``eval``), and produces

* integers for sizes (:func:`evaluate_int`), and
* matrices whose entries are *expression strings* (:func:`evaluate_matrix`), which the symbolic layer
  turns into SymPy expressions. Free parameters stay names inside those strings, so a matrix built
  from ``equiangular(beta)`` with ``beta`` unset has entries ``"1"`` and ``"(beta)"``.

Matrix language
---------------
``identity`` / ``ones`` (size from context), ``equiangular(x)`` (1 on the diagonal, x elsewhere),
``diag(list)``, ``circulant_cos(N)`` (Gram matrix of N equally spaced unit vectors in the plane),
``[[...], [...]]`` literals, scalar ``*``, matrix ``+``/``-``.
"""

from __future__ import annotations

import ast
import math

from fixedpoints.errors import ParameterError

__all__ = [
    "check_expression",
    "evaluate_int",
    "evaluate_list",
    "evaluate_number",
    "evaluate_matrix",
    "evaluate_weights",
    "Matrix",
]

Matrix = tuple[tuple[str, ...], ...]

_SCALAR_FUNCTIONS = frozenset({"sqrt", "gamma", "exp", "log", "cos", "sin", "Rational"})
_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd, ast.FloorDiv, ast.Mod)


def check_expression(
    text: str, *, name: str, allowed_names: frozenset[str] | None = None
) -> ast.AST:
    """Parse ``text`` as an arithmetic expression and reject anything but numbers, names, calls and
    arithmetic.

    Parameters
    ----------
    text : str
        The expression.
    name : str
        The parameter the expression belongs to (for the error message).
    allowed_names : frozenset of str, optional
        If given, every bare name must be in this set.

    Raises
    ------
    ParameterError
        If the text does not parse or uses a forbidden construct.
    """
    try:
        tree = ast.parse(str(text).strip(), mode="eval")
    except SyntaxError:
        raise ParameterError(f"`{name}` is not a valid expression; got {text!r}.") from None
    for node in ast.walk(tree):
        ok = isinstance(
            node,
            (
                ast.Expression,
                ast.BinOp,
                ast.UnaryOp,
                ast.Constant,
                ast.Name,
                ast.Load,
                ast.Call,
                ast.List,
                ast.Tuple,
                *_ARITH,
            ),
        )
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            ok = False
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
            ok = False
        if not ok:
            raise ParameterError(
                f"`{name}` may only contain numbers, names, calls and + - * / **; got {text!r}."
            )
        if allowed_names is not None and isinstance(node, ast.Name):
            if node.id not in allowed_names:
                raise ParameterError(
                    f"`{name}` uses the unknown name {node.id!r}; allowed: "
                    f"{', '.join(sorted(allowed_names))}; got {text!r}."
                )
    return tree


# --------------------------------------------------------------------------------------------
# numeric evaluation (ints and lists of numbers)


def _num(node: ast.AST, name: str):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        v = _num(node.operand, name)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _num(node.left, name), _num(node.right, name)
        try:
            return _binop(node.op, a, b)
        except (ZeroDivisionError, OverflowError, TypeError, ValueError):
            raise ParameterError(
                f"`{name}`: cannot evaluate {ast.unparse(node)!r} (overflow, division by zero or "
                "wrong types)."
            ) from None
    return _num_rest(node, name)


_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}


def _binop(op, a, b):
    if isinstance(op, ast.Pow) and isinstance(b, (int, float)) and abs(b) > 64 and abs(a) > 1:
        raise OverflowError  # 9**9**9 would hang
    return _BINOPS[type(op)](a, b)


def _num_rest(node: ast.AST, name: str):
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_num(e, name) for e in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_num(a, name) for a in node.args]
        fn = node.func.id
        if fn == "len" and len(args) == 1 and isinstance(args[0], list):
            return len(args[0])
        if fn == "nonzero" and len(args) == 1 and isinstance(args[0], list):
            return [x for x in args[0] if x != 0]
        if fn in ("max", "min") and args:
            return (max if fn == "max" else min)(*args)
        if fn == "sphere_points" and len(args) == 2:
            return unit_vectors_quasi_uniform(int(args[0]), int(args[1]))
    raise ParameterError(f"`{name}` must be a number expression; got {ast.unparse(node)!r}.")


def evaluate_int(text: str | int, *, name: str) -> int:
    """Evaluate a size expression (numbers, ``len([...])``, ``+ - * //``) to an ``int``.

    >>> evaluate_int("len([3, 2, 1]) + 1", name="width")
    4
    """
    if isinstance(text, bool):
        raise ParameterError(f"`{name}` must be an integer; got {text!r}.")
    if isinstance(text, int):
        return text
    tree = check_expression(str(text), name=name)
    value = _num(tree.body, name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ParameterError(f"`{name}` must be an integer; got {text!r} = {value!r}.")
    return value


def evaluate_number(text: str | float, *, name: str) -> float:
    """Evaluate a number expression (``"5/8"``, ``"1e-9"``, ``"2**-3"``) to a ``float``.

    >>> evaluate_number("5/8", name="lr")
    0.625
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    tree = check_expression(str(text), name=name)
    value = _num(tree.body, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"`{name}` must be a number; got {text!r}.")
    return float(value)


def evaluate_list(text: str, *, name: str) -> list[float | int]:
    """Evaluate a list of numbers, e.g. ``"3,2,1"`` or ``"[3, 2, 1]"``."""
    s = str(text).strip()
    if not s.startswith("["):
        s = f"[{s}]"
    tree = check_expression(s, name=name)
    value = _num(tree.body, name)
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) for v in value):
        raise ParameterError(f"`{name}` must be a comma-separated list of numbers; got {text!r}.")
    return value


# --------------------------------------------------------------------------------------------
# matrices of expression strings


def _fmt(x) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


class _Scalar(str):
    """An expression string standing for a scalar."""


def _mat_eval(node: ast.AST, size: int | None, name: str):
    """Return either a _Scalar or a Matrix (tuple of tuples of expression strings)."""
    if isinstance(node, ast.Constant):
        return _Scalar(_fmt(node.value))
    if isinstance(node, ast.Name):
        if node.id in ("identity", "ones"):
            if size is None:
                raise ParameterError(f"`{name}`: {node.id!r} needs a known size.")
            one = node.id == "ones"
            return tuple(
                tuple("1" if (i == j or one) else "0" for j in range(size)) for i in range(size)
            )
        return _Scalar(node.id)
    if isinstance(node, ast.UnaryOp):
        v = _mat_eval(node.operand, size, name)
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(v, _Scalar):
            return _Scalar(f"(-({v}))")
        return tuple(tuple(f"(-({e}))" for e in row) for row in v)
    if isinstance(node, (ast.List, ast.Tuple)):
        rows = [_mat_eval(e, size, name) for e in node.elts]
        if all(isinstance(r, _Scalar) for r in rows):
            return tuple(tuple([r]) for r in rows)  # column vector; diag() flattens it
        if all(isinstance(r, tuple) and all(len(c) == 1 for c in r) for r in rows):
            out = tuple(tuple(c[0] for c in r) for r in rows)
            if len({len(r) for r in out}) != 1:
                raise ParameterError(f"`{name}`: rows of a matrix literal must have equal length.")
            return out
        raise ParameterError(f"`{name}`: malformed matrix literal {ast.unparse(node)!r}.")
    if isinstance(node, ast.BinOp):
        a, b = _mat_eval(node.left, size, name), _mat_eval(node.right, size, name)
        sym = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}.get(
            type(node.op)
        )
        if sym is None:
            raise ParameterError(f"`{name}`: unsupported operator in {ast.unparse(node)!r}.")
        if isinstance(a, _Scalar) and isinstance(b, _Scalar):
            return _Scalar(f"({a}){sym}({b})")
        if isinstance(a, _Scalar) and sym == "*":
            return tuple(tuple(f"({a})*({e})" for e in row) for row in b)
        if isinstance(b, _Scalar) and sym in ("*", "/"):
            return tuple(tuple(f"({e}){sym}({b})" for e in row) for row in a)
        if isinstance(a, tuple) and isinstance(b, tuple) and sym in ("+", "-"):
            if len(a) != len(b) or len(a[0]) != len(b[0]):
                raise ParameterError(f"`{name}`: matrix sizes differ in {ast.unparse(node)!r}.")
            return tuple(
                tuple(f"({x}){sym}({y})" for x, y in zip(ra, rb, strict=True))
                for ra, rb in zip(a, b, strict=True)
            )
        raise ParameterError(f"`{name}`: cannot apply {sym!r} in {ast.unparse(node)!r}.")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = node.func.id
        if fn == "equiangular" and len(node.args) == 1:
            x = _mat_eval(node.args[0], size, name)
            if size is None or not isinstance(x, _Scalar):
                raise ParameterError(f"`{name}`: equiangular(x) needs a scalar x and a known size.")
            return tuple(
                tuple("1" if i == j else f"({x})" for j in range(size)) for i in range(size)
            )
        if fn == "diag" and len(node.args) == 1:
            v = _mat_eval(node.args[0], size, name)
            if isinstance(v, _Scalar):
                raise ParameterError(f"`{name}`: diag() needs a list.")
            entries = [row[0] for row in v] if all(len(r) == 1 for r in v) else None
            if entries is None:
                raise ParameterError(f"`{name}`: diag() needs a flat list.")
            n = len(entries)
            return tuple(tuple(entries[i] if i == j else "0" for j in range(n)) for i in range(n))
        if fn == "nonzero" and len(node.args) == 1:
            vals = _num(node.args[0], name)
            return tuple((_fmt(x),) for x in vals if x != 0)
        if fn == "circulant_cos" and len(node.args) == 1:
            n = int(_num(node.args[0], name))
            return tuple(
                tuple("1" if i == j else f"cos(2*pi*({i - j})/{n})" for j in range(n))
                for i in range(n)
            )
        if fn == "gram" and len(node.args) == 1:
            vecs = _num(node.args[0], name)
            return tuple(
                tuple(_fmt(round(sum(x * y for x, y in zip(u, v, strict=True)), 15)) for v in vecs)
                for u in vecs
            )
        try:  # a numeric helper (len, nonzero, max, ...)
            v = _num(node, name)
            if isinstance(v, (int, float)):
                return _Scalar(_fmt(v))
        except ParameterError:
            pass
        args = [_mat_eval(a, size, name) for a in node.args]
        if fn in _SCALAR_FUNCTIONS and all(isinstance(a, _Scalar) for a in args):
            return _Scalar(f"{fn}({', '.join(args)})")
        raise ParameterError(f"`{name}`: unknown matrix function {fn!r}.")
    raise ParameterError(f"`{name}`: cannot evaluate {ast.unparse(node)!r}.")


def evaluate_matrix(text: str, *, name: str, size: int | None = None) -> Matrix:
    """Evaluate a matrix expression to a tuple of rows of expression strings.

    Parameters
    ----------
    text : str
        Matrix expression (see the module docstring).
    name : str
        Field name for error messages.
    size : int, optional
        Size used by ``identity``, ``ones`` and ``equiangular``.

    Returns
    -------
    tuple of tuple of str
        A scalar is broadcast to ``size x size`` times the identity.

    >>> evaluate_matrix("equiangular(beta)", name="T", size=2)
    (('1', '(beta)'), ('(beta)', '1'))
    """
    tree = check_expression(str(text), name=name)
    value = _mat_eval(tree.body, size, name)
    if isinstance(value, _Scalar):
        if size is None:
            raise ParameterError(f"`{name}`: a scalar needs a known size.")
        return tuple(tuple(str(value) if i == j else "0" for j in range(size)) for i in range(size))
    return value


def evaluate_weights(text: str, *, name: str, rows: int, cols: int) -> Matrix:
    """Output weights: a scalar (broadcast to ``rows x cols``), a list of ``rows`` entries
    (``"1, -0.5"`` or ``"[1, -0.5]"``, also ``"2*[1, 2]"``) or a ``rows x cols`` matrix."""
    tree = check_expression(str(text), name=name)
    body = tree.body
    if isinstance(body, ast.Tuple):
        body = ast.List(elts=body.elts, ctx=ast.Load())
    value = _mat_eval(body, max(rows, cols), name)
    if isinstance(value, _Scalar):
        return tuple(tuple(str(value) for _ in range(cols)) for _ in range(rows))
    if len(value) == rows and all(len(r) == cols for r in value):
        return value
    if cols == 1 and len(value) == 1 and len(value[0]) == rows:
        return tuple((e,) for e in value[0])
    raise ParameterError(
        f"`{name}` must be a scalar, a list of {rows} or a {rows}x{cols} matrix; got {text!r}."
    )


def unit_vectors_quasi_uniform(dim: int, count: int) -> list[list[float]]:
    """Deterministic unit vectors spread over the sphere S^{dim-1} (a spherical-design surrogate).

    ``dim == 1``: the two points ±1 (exact design); ``dim == 2``: ``count`` equally spaced angles
    (exact for trigonometric polynomials of degree < ``count``); otherwise normalised Gaussian vectors
    from a fixed seed (a Monte Carlo design, error O(count^{-1/2})).
    """
    if dim == 1:
        return [[1.0], [-1.0]]
    if dim == 2:
        return [
            [math.cos(2 * math.pi * r / count), math.sin(2 * math.pi * r / count)]
            for r in range(count)
        ]
    import random

    rng = random.Random(0)
    out = []
    for _ in range(count):
        v = [rng.gauss(0.0, 1.0) for _ in range(dim)]
        n = math.sqrt(sum(x * x for x in v))
        out.append([x / n for x in v])
    return out
