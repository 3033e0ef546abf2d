r"""SymPy → any array-API namespace (NumPy, PyTorch, CuPy, ``array_api_strict``).

:func:`compile_array_api` is the array-API twin of
:func:`~fixedpoints.codegen.compile.compile_expressions`: the same ``lambdify(..., cse=True)``
hand-off, printed against a namespace ``xp`` instead of ``numpy``, so the generated kernels run on
whatever device the arrays live on (a GPU for CuPy/PyTorch tensors). The guards of the NumPy path are
kept: :math:`\sqrt{x}` of round-off negatives (Gram determinants :math:`AB-P^2` of collinear
neurons) is 0, and :math:`\arccos`, :math:`\arcsin` clip their argument to :math:`[-1,1]`.

Quadrature kernels (activations without a closed-form pair kernel, e.g. ``tanh``) are NumPy-only:
they are refused here with a message naming the activation.
"""

from __future__ import annotations

import math

import sympy as sp
from array_api_compat import device
from sympy.printing.numpy import NumPyPrinter, _numpy_known_constants, _numpy_known_functions
from sympy.printing.precedence import PRECEDENCE

from fixedpoints.errors import DerivationError
from fixedpoints.kernels import parse_activation, quadrature_functions, z

__all__ = ["activation_functions", "array_namespace_shim", "compile_array_api"]

# NumPy spellings used by the printer -> array-API spellings
_RENAMES = {
    "arccos": "acos",
    "arcsin": "asin",
    "arctan": "atan",
    "arctan2": "atan2",
    "arccosh": "acosh",
    "arcsinh": "asinh",
    "arctanh": "atanh",
}


class gram_floor(sp.Function):  # noqa: N801 - printed as the namespace function
    r""":math:`\max(x, 10^{-16}|r|)` of a Gram determinant ``x`` and its scale ``r``, printed as
    ``xp.gram_floor(x, r)`` (second derivatives of kernels singular at collinear pairs)."""

    nargs = 2


class _ArrayAPIPrinter(NumPyPrinter):
    """NumPy printer with the module name ``xp`` (resolved in the lambdify namespace)."""

    _module = "xp"
    printmethod = "_arrayapicode"  # ignore the activations' NumPy-specific ``_numpycode``
    _kf = {k: "xp." + v.split(".", 1)[1] for k, v in _numpy_known_functions.items()}
    _kc = {k: "xp." + v.split(".", 1)[1] for k, v in _numpy_known_constants.items()}

    def _print_Pow(self, expr, rational=False):
        """Small integer powers as products (``P*P*P``): ``x**3`` is a slow ``pow`` call in
        NumPy (only squares have a fast path)."""
        n = expr.exp
        if n.is_Integer and 3 <= int(n) <= 8:
            base = self.parenthesize(expr.base, PRECEDENCE["Pow"])
            return "(" + "*".join([base] * int(n)) + ")"
        return super()._print_Pow(expr, rational=rational)

    def _print_relu(self, expr):
        return f"xp.relu({self.parenthesize(expr.args[0], 0)})"

    def _print_step(self, expr):
        return f"xp.step({self.parenthesize(expr.args[0], 0)})"

    def _print_erf(self, expr):
        return f"xp.erf({self.parenthesize(expr.args[0], 0)})"

    def _print_gram_floor(self, expr):
        x, ref = (self._print(t) for t in expr.args)
        return f"xp.gram_floor({x}, {ref})"


class array_namespace_shim:  # noqa: N801 - a namespace, used like a module
    """The printer's ``xp``: NumPy names mapped onto an array-API namespace, with the guards.

    Parameters
    ----------
    xp : module
        An array-API namespace (``array_api_compat.array_namespace(x)``).
    """

    pi = math.pi
    e = math.e

    def __init__(self, xp):
        self._xp = xp

    def sqrt(self, x):
        """:math:`\\sqrt{x}`, with round-off negatives (> -1e-12 relative) set to 0."""
        xp = self._xp
        x = xp.asarray(x)
        tiny = (x < 0) & (x > -1e-12 * (1 + xp.abs(x)))
        return xp.sqrt(xp.where(tiny, xp.zeros_like(x), x))

    def arccos(self, x):
        """:math:`\\arccos` of the argument clipped to [-1, 1]."""
        return self._xp.acos(self._xp.clip(self._xp.asarray(x), -1.0, 1.0))

    def arcsin(self, x):
        """:math:`\\arcsin` of the argument clipped to [-1, 1]."""
        return self._xp.asin(self._xp.clip(self._xp.asarray(x), -1.0, 1.0))

    def gram_floor(self, x, ref):
        """:math:`\\max(x, 10^{-16}|r|)` (second derivatives at collinear pairs)."""
        xp = self._xp
        t = 1e-16 * xp.abs(xp.asarray(ref))
        return xp.where(x > t, x, t)

    def relu(self, x):
        """:math:`\\max(0, x)`."""
        return self._xp.where(x > 0, x, self._xp.zeros_like(x))

    def step(self, x):
        """:math:`\\mathbf 1\\{x>0\\}` (0 at 0)."""
        return self._xp.where(x > 0, self._xp.ones_like(x), self._xp.zeros_like(x))

    def erf(self, x):
        """The error function (not in the array-API standard: the backend's own)."""
        mod = type(x).__module__.split(".")[0]
        if mod == "torch":
            import torch

            return torch.special.erf(x)
        if mod == "cupy":
            import cupyx.scipy.special

            return cupyx.scipy.special.erf(x)
        if mod == "numpy":
            from scipy.special import erf

            return erf(x)
        raise DerivationError(f"erf is not available for arrays of type {type(x).__name__}.")

    def __getattr__(self, name):
        return getattr(self._xp, _RENAMES.get(name, name))


def compile_array_api(args, exprs, xp):
    """``lambdify(args, list(exprs), cse=True)`` printed against the array namespace ``xp``.

    Parameters
    ----------
    args : sequence of sympy.Symbol
    exprs : sequence of sympy.Expr
        Closed-form expressions (no quadrature kernels).
    xp : module
        Array-API namespace the callable computes with.

    Returns
    -------
    callable
        ``f(*args) -> list`` of arrays (constants stay Python numbers; broadcast them yourself).

    Raises
    ------
    DerivationError
        If an expression needs a quadrature kernel (NumPy only).
    """
    exprs = [sp.sympify(e) for e in exprs]
    for e in exprs:
        quad = quadrature_functions(e)
        if quad:
            raise DerivationError(
                f"kernel {', '.join(sorted(quad))} has no closed form (quadrature); array backends "
                "other than numpy need closed-form kernels (relu, step, erf, polynomials). Use "
                "--backend numpy."
            )
    shim = array_namespace_shim(xp)
    names = {"xp": shim}
    for v in list(_ArrayAPIPrinter._kf.values()) + list(_ArrayAPIPrinter._kc.values()):
        names[v.split(".", 1)[1]] = getattr(shim, v.split(".", 1)[1], None)
    names.update(sqrt=shim.sqrt, relu=shim.relu, step=shim.step, erf=shim.erf)
    return sp.lambdify(args, exprs, modules=[names], printer=_ArrayAPIPrinter, cse=True)


def activation_functions(model, xp):
    r"""Element-wise callables :math:`(\sigma, \sigma', \sigma_*)` of the student activation, its
    derivative and the teacher activation of ``model``, in the namespace ``xp`` (a constant
    activation returns an array of the input's shape, on its device): the forward pass of
    sampled-data training (:class:`~fixedpoints.numeric.sampled.SampledLoss`)."""
    sigma = parse_activation(model.student.activation, name="student.activation")
    tau = parse_activation(model.teacher.activation, name="teacher.activation")
    compiled = [compile_array_api([z], [e], xp) for e in (sigma, sigma.diff(z), tau)]

    def wrap(f):
        def g(x):
            r = f(x)[0]
            if hasattr(r, "shape"):
                return r
            return xp.full(x.shape, float(r), dtype=x.dtype, device=device(x))

        return g

    return tuple(wrap(f) for f in compiled)
