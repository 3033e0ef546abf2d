"""Activation functions as SymPy expressions in the pre-activation variable ``z``.

The symbols ``A, B, P`` (variances and covariance of a Gaussian pair) and ``z`` live here too,
so that every kernel module shares one set of symbols.  :func:`parse_activation` turns the short
activation texts of model files (``"relu"``, ``"He3+0.5*He4"``, ``"leaky_relu(0.1)"``, ...) into
expressions in ``z``.
"""

from __future__ import annotations

import ast
import re

import sympy

from fixedpoints.errors import ParameterError
from fixedpoints.models.activation_names import activation_parameters as activation_names

__all__ = [
    "A",
    "ALLOWED_ACTIVATIONS",
    "B",
    "P",
    "activation_parameters",
    "activation_parity",
    "parameter_symbol",
    "parse_activation",
    "relu",
    "step",
    "z",
]

A = sympy.Symbol("A", positive=True)
B = sympy.Symbol("B", positive=True)
P = sympy.Symbol("P", real=True)
z = sympy.Symbol("z", real=True)


def _arg(printer, fn) -> str:
    """The printed argument of a one-argument function (any SymPy printer)."""
    render = printer._print
    return render(fn.args[0])


class relu(sympy.Function):  # noqa: N801 - the mathematical name
    r"""Rectified linear unit :math:`\mathrm{relu}(x)=\max(0,x)`; derivative :func:`step`."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return x if x.is_nonnegative else sympy.S.Zero
        if x.is_nonnegative:
            return x
        if x.is_nonpositive:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        return step(self.args[0])

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return sympy.Max(0, x)

    def _eval_rewrite_as_Heaviside(self, x, **kwargs):
        return x * step(x)

    def _numpycode(self, printer):
        return f"{printer._module_format('numpy.maximum')}(0, {_arg(printer, self)})"

    def _latex(self, printer):
        return rf"\operatorname{{relu}}\left({_arg(printer, self)}\right)"


class step(sympy.Function):  # noqa: N801 - the mathematical name
    r"""Step function :math:`\mathbf 1\{x>0\}` (value 0 at 0); derivative ``DiracDelta``."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return sympy.S.One if x.is_positive else sympy.S.Zero
        if x.is_positive:
            return sympy.S.One
        if x.is_nonpositive:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sympy.DiracDelta(self.args[0])

    def _eval_rewrite_as_Heaviside(self, x, **kwargs):
        return sympy.Heaviside(x, 0)

    def _numpycode(self, printer):
        return f"{printer._module_format('numpy.heaviside')}({_arg(printer, self)}, 0.0)"

    def _latex(self, printer):
        return rf"\mathbf{{1}}\left\{{{_arg(printer, self)} > 0\right\}}"


ALLOWED_ACTIVATIONS = (
    "He<p> with integer p >= 0, relu, step, erf, linear, quadratic, leaky_relu(a), tanh, sigmoid, "
    "exp, functions relu(.), step(.), erf(.), tanh(.), exp(.), sigmoid(.), sqrt(.), "
    "polynomials in z and named parameters (He3+c*He4)"
)
_HERMITE = re.compile(r"He(\d+)")
_HERMITE_LIKE = re.compile(r"\bHe[\w.]*")
_DEFAULT_LEAK = sympy.Rational(1, 100)


def _leaky(a: sympy.Expr) -> sympy.Expr:
    return a * z + (1 - a) * relu(z)


def _sigmoid(x: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-x))


_NAMES = {
    "z": lambda: z,
    "relu": lambda: relu(z),
    "step": lambda: step(z),
    "linear": lambda: z,
    "quadratic": lambda: z**2,
    "erf": lambda: sympy.erf(z / sympy.sqrt(2)),
    "tanh": lambda: sympy.tanh(z),
    "sigmoid": lambda: _sigmoid(z),
    "exp": lambda: sympy.exp(z),
    "leaky_relu": lambda: _leaky(_DEFAULT_LEAK),
    "pi": lambda: sympy.pi,
}
_CALLS = {
    "relu": relu,
    "step": step,
    "erf": sympy.erf,
    "tanh": sympy.tanh,
    "exp": sympy.exp,
    "sigmoid": _sigmoid,
    "sqrt": sympy.sqrt,
}
_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
    ast.BitXor: lambda a, b: a**b,
}


class _Reject(Exception):
    """Internal: carries the one-line reason a text was rejected."""


def _convert(node: ast.AST, text: str) -> sympy.Expr:
    if isinstance(node, ast.Expression):
        return _convert(node.body, text)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _Reject(f"has a non-numeric constant {node.value!r}")
        return sympy.nsimplify(node.value, rational=True)
    if isinstance(node, ast.Name):
        match = _HERMITE.fullmatch(node.id)
        if match:
            return sympy.expand(sympy.hermite_prob(int(match.group(1)), z))
        if node.id in _NAMES:
            return _NAMES[node.id]()
        return parameter_symbol(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _convert(node.operand, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_convert(node.left, text), _convert(node.right, text))
    if isinstance(node, ast.Call):
        return _convert_call(node, text)
    snippet = ast.get_source_segment(text, node) or type(node).__name__
    raise _Reject(f"has an unsupported construct {snippet!r}")


def _convert_call(node: ast.Call, text: str) -> sympy.Expr:
    if not isinstance(node.func, ast.Name):
        raise _Reject(f"has an unsupported call {ast.get_source_segment(text, node)!r}")
    fname = node.func.id
    if node.keywords or len(node.args) != 1:
        raise _Reject(f"calls {fname!r} with other than one positional argument")
    arg = _convert(node.args[0], text)
    if fname == "leaky_relu":
        if arg.has(z) or arg.is_extended_real is not True:
            raise _Reject(f"has leaky_relu slope {arg} that is not a real number or parameter")
        return _leaky(arg)
    if fname in _CALLS:
        return _CALLS[fname](arg)
    raise _Reject(f"has an unknown function {fname!r}")


def parameter_symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol of a model parameter named ``name`` (real, as the symbolic layer makes
    every free parameter): the ``c`` of ``He3+c*He4`` is the model's parameter ``c``."""
    return sympy.Symbol(name, real=True)


def activation_parameters(expr: sympy.Expr) -> tuple[sympy.Symbol, ...]:
    """The parameters of an activation (its free symbols other than ``z``), sorted by name.

    >>> activation_parameters(parse_activation("He3+c*He4+b*z"))
    (b, c)
    """
    return tuple(sorted(sympy.sympify(expr).free_symbols - {z}, key=str))


def parse_activation(text: str, *, name: str = "activation") -> sympy.Expr:
    r"""Parse an activation text into a SymPy expression in ``z``.

    Accepted forms (combinable with ``+ - * / **`` (or ``^``) and numbers):

    ======================  ===========================================================
    ``relu``, ``step``      :math:`\max(0,z)`, :math:`\mathbf 1\{z>0\}`
    ``linear``, ``quadratic``  :math:`z`, :math:`z^2`
    ``erf``                 :math:`\operatorname{erf}(z/\sqrt2)` (Saad & Solla convention)
    ``leaky_relu(a)``       :math:`a z + (1-a)\,\mathrm{relu}(z)`; bare ``leaky_relu``: a = 1/100
    ``tanh``, ``sigmoid``   :math:`\tanh z`, :math:`1/(1+e^{-z})` (no closed kernel: quadrature)
    ``He<p>``               probabilists' Hermite polynomial :math:`\mathrm{He}_p(z)`
    ``f(expr)``             ``relu, step, erf, tanh, exp, sigmoid, sqrt`` of an expression;
                            ``erf(.)`` called explicitly is the standard erf (unscaled)
    any other name ``c``    a real parameter (:func:`parameter_symbol`), e.g. ``He3+c*He4``,
                            ``erf(c*z)``; not ``x``, ``A``, ``B``, ``P``
                            (:mod:`fixedpoints.models.activation_names`)
    ======================  ===========================================================

    Floats become exact rationals (``0.5 -> 1/2``, via ``sympy.nsimplify(rational=True)``).

    Parameters
    ----------
    text : str
        The activation, e.g. ``"He3+0.5*He4"`` or ``"relu(z) + 0.5*z"``.
    name : str, keyword-only
        Parameter name used in error messages (e.g. ``"target"``).

    Returns
    -------
    sympy.Expr
        Expression in :data:`z` and the parameters (:func:`activation_parameters`).

    Raises
    ------
    ParameterError
        One-line message naming ``name``, the offending term and what is allowed.

    Examples
    --------
    >>> parse_activation("He3+0.5*He4")
    z**4/2 + z**3 - 3*z**2 - 3*z + 3/2
    >>> parse_activation("leaky_relu(0.1)")
    z/10 + 9*relu(z)/10
    >>> parse_activation("He3+c*He4")
    c*(z**4 - 6*z**2 + 3) + z**3 - 3*z
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError(f"`{name}` must be a non-empty activation text; got {text!r}.")
    for word in _HERMITE_LIKE.findall(text):
        if not _HERMITE.fullmatch(word):
            raise ParameterError(
                f"`{name}` has Hermite term {word!r} with a non-integer degree in {text!r}; "
                "allowed: He<p> with integer p >= 0."
            )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        tree = None
    if tree is not None:
        activation_names(tree, name=name, text=text)  # calls and parameter names, checked
    try:
        if tree is None:
            raise SyntaxError(text)
        expr = _convert(tree, text.strip())
    except SyntaxError:
        raise ParameterError(
            f"`{name}` is malformed: {text!r} is not a valid expression; "
            f"allowed: {ALLOWED_ACTIVATIONS}."
        ) from None
    except _Reject as reason:
        raise ParameterError(
            f"`{name}` {reason} in {text!r}; allowed: {ALLOWED_ACTIVATIONS}."
        ) from None
    except (TypeError, ValueError, ZeroDivisionError, RecursionError) as exc:
        raise ParameterError(f"`{name}` cannot be built from {text!r} ({exc}).") from None
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ParameterError(f"`{name}` is not finite: {text!r} gives {expr}.")
    _check_gaussian_moments(expr, name, text)
    return expr


def _check_gaussian_moments(expr: sympy.Expr, name: str, text: str) -> None:
    """Reject activations without finite Gaussian second moments or not defined on all of R:
    powers of z-dependent bases must be non-negative integers (or have a provably positive base,
    as in the sigmoid), exponentials of at most linear or concave-quadratic
    polynomials in z."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and node.base.has(z):
            e = node.exp
            if not (e.is_Integer and e >= 0) and node.base.is_positive is not True:
                raise ParameterError(
                    f"`{name}` = {text!r} contains {node}: allowed powers of expressions in z are "
                    "non-negative integers, or any power of a positive base."
                )
        if isinstance(node, sympy.exp) and node.args[0].has(z):
            arg = node.args[0]
            poly_ok = arg.is_polynomial(z) and (
                sympy.degree(arg, z) <= 1
                or (sympy.degree(arg, z) == 2 and sympy.Poly(arg, z).LC().is_negative)
            )
            if not poly_ok:
                raise ParameterError(
                    f"`{name}` = {text!r} contains {node}: E[sigma(u)^2] diverges or is not defined."
                )


def activation_parity(expr: sympy.Expr) -> str:
    r"""``'even'`` when :math:`\sigma(-z)=\sigma(z)`, ``'odd'`` when :math:`\sigma(-z)=-\sigma(z)`,
    else ``'none'``: decided symbolically (:func:`sympy.simplify` of the difference), with a
    numeric check at 7 points where SymPy cannot decide (e.g. a Hermite mixture He2+He4 is
    even, relu is neither)."""
    e = sympy.sympify(expr)
    if z not in e.free_symbols:
        return "even"
    flipped = e.subs(z, -z)
    pts = [0.37, 1.3, 2.1, 0.05, 3.7, 0.81, 1.9]

    def value(expr, t):
        try:
            return complex(expr.subs(z, t).evalf())
        except (TypeError, ValueError):  # a function SymPy cannot evaluate: undecided
            return complex("nan")

    scale = 1 + max(abs(value(e, t)) for t in pts)

    def zero(diff):
        if sympy.simplify(diff) == 0:
            return True
        return all(abs(value(diff, t)) <= 1e-12 * scale for t in pts)

    if zero(flipped - e):
        return "even"
    if zero(flipped + e):
        return "odd"
    return "none"
