r"""Kernels compiled as element-wise NumPy functions, for weight-space computations at any width.

Where :func:`~fixedpoints.codegen.compile_flow` compiles one expression per overlap variable
(fine up to k ≈ 10), :func:`compile_pair_kernels` compiles the kernel and its first partial
derivatives *once*, as vectorised functions of arrays ``(A, B, P)``; the numeric layer assembles the
loss and gradient over all index pairs with array operations (see
:class:`fixedpoints.numeric.PopulationLoss`), so the cost is independent of the symbolic size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from array_api_compat import device

from fixedpoints.codegen.arrayapi import compile_array_api
from fixedpoints.codegen.arrays import model_arrays
from fixedpoints.codegen.compile import compile_expressions
from fixedpoints.errors import ParameterError
from fixedpoints.kernels import A, B, P, activation_parity, pair_kernel, parse_activation

__all__ = ["PairKernels", "compile_pair_kernels"]

_ORDERS = ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1))


def _pair_xp(kernel, xp):
    """Like :func:`_pair`, computing in the array namespace ``xp`` (any device)."""
    f = [compile_array_api([A, B, P], [kernel.derivative(*o)], xp) for o in _ORDERS]
    s = [compile_array_api([A], [e], xp) for e in (kernel.self_value(), kernel.self_derivative(1))]

    def _shaped(r, like):
        if not hasattr(r, "shape"):  # a constant: the printer returns a Python number
            return xp.full(like.shape, float(r), dtype=like.dtype, device=device(like))
        return xp.broadcast_to(r, like.shape)

    def value(order: int, a, b, p):
        return _shaped(f[order](a, b, p)[0], p)

    def self_value(order: int, a):
        return _shaped(s[order](a)[0], a)

    return value, self_value


def _scalar_namespace(backend: str) -> dict:
    """Names for ``lambdify``'s mpmath printer that compute in ``backend`` ('mpmath' or 'arb')
    and on jets (objects with ``sqrt``/``acos`` methods): integers are coerced first, so an Arb
    computation never meets a non-rigorous mpf."""
    import mpmath

    if backend == "arb":
        from flint import arb as make

        pi = make.pi()
    else:
        make, pi = mpmath.mpf, mpmath.mp.pi

    def sqrt(x):
        f = getattr(x, "sqrt", None)
        return f() if f is not None else (make(x).sqrt() if backend == "arb" else mpmath.sqrt(x))

    def acos(x):
        f = getattr(x, "acos", None)
        return f() if f is not None else (make(x).acos() if backend == "arb" else mpmath.acos(x))

    return {"sqrt": sqrt, "acos": acos, "pi": pi, "mpf": make}


def _pair_scalar(kernel, backend: str):
    """Like :func:`_pair`, element by element on object arrays of mpmath numbers, Arb balls or
    jets over them (``numpy.frompyfunc``)."""
    ns = _scalar_namespace(backend)

    def comp(args, e):
        f = sp.lambdify(args, [e], modules=[ns, "mpmath"], cse=True)
        return np.frompyfunc(lambda *a: f(*a)[0], len(args), 1)

    f = [comp([A, B, P], kernel.derivative(*o)) for o in _ORDERS]
    s = [comp([A], e) for e in (kernel.self_value(), kernel.self_derivative(1))]

    def value(order: int, a, b, p):
        return np.asarray(f[order](a, b, p), dtype=object)

    def self_value(order: int, a):
        return np.asarray(s[order](a), dtype=object)

    return value, self_value


def _pair(kernel, xp=None, backend: str = "numpy"):
    # one compiled callable per derivative order: a call evaluates only the order it needs
    if backend != "numpy":
        return _pair_scalar(kernel, backend)
    if xp is not None and xp is not np:
        return _pair_xp(kernel, xp)
    f = [compile_expressions([A, B, P], [kernel.derivative(*o)]) for o in _ORDERS]
    s = [compile_expressions([A], [e]) for e in (kernel.self_value(), kernel.self_derivative(1))]

    def value(order: int, a, b, p):
        return np.broadcast_to(np.asarray(f[order](a, b, p)[0], dtype=float), np.shape(p))

    def self_value(order: int, a):
        return np.broadcast_to(np.asarray(s[order](a)[0], dtype=float), np.shape(a))

    return value, self_value


@dataclass(frozen=True)
class PairKernels:
    """Numeric model data: kernels ``ss`` (student-student), ``st`` (student-teacher), ``tt``,
    each ``f(order, A, B, P)`` with order 0 = K, 1 = ∂_A K, 2 = ∂_B K, 3 = ∂_P K, and self kernels
    ``f(order, A)`` (0 = K_self, 1 = K_self'); arrays ``T``, ``b``, ``a`` (None if trainable);
    ``scale``, ``square`` (False: correlation loss), ``spherical``."""

    ss: object
    ss_self: object
    st: object
    tt: object
    tt_self: object
    T: np.ndarray
    b: np.ndarray
    a: np.ndarray | None
    scale: float
    square: bool
    spherical: bool
    xp: object = np
    #: parities of the student and teacher activations (``'even'``, ``'odd'`` or ``'none'``,
    #: :func:`fixedpoints.kernels.activation_parity`): the sign symmetries of the model
    parity: tuple = ("none", "none")
    #: number type: ``'numpy'`` (float arrays), ``'mpmath'`` or ``'arb'`` (object arrays)
    backend: str = "numpy"


def compile_pair_kernels(model, params=None, *, xp=None, backend: str = "numpy") -> PairKernels:
    """Compile the kernels of ``model`` (free parameters set by ``params``).

    Parameters
    ----------
    model : Model
    params : dict, optional
        Values of free parameters.
    xp : module, optional
        Array-API namespace the kernels compute with (default NumPy; e.g.
        ``array_api_compat.torch`` for PyTorch tensors on a GPU). Non-NumPy namespaces need
        closed-form kernels.
    backend : {'numpy', 'mpmath', 'arb'}
        ``'mpmath'``: the kernels compute element by element on object arrays of ``mpf`` at the
        working precision (``mpmath.mp.dps``); ``'arb'``: on ``flint.arb`` balls (rigorous
        enclosures; π at ``flint.ctx.prec``). Both accept first-order jets
        (:class:`fixedpoints.numeric.jets.Jet`).
    """
    if backend not in ("numpy", "mpmath", "arb"):
        raise ParameterError(f"`backend` must be 'numpy', 'mpmath' or 'arb'; got {backend!r}.")
    arr = model_arrays(model, params)
    sigma = parse_activation(model.student.activation, name="student.activation")
    tau = parse_activation(model.teacher.activation, name="teacher.activation")
    ss, ss_self = _pair(pair_kernel(sigma, sigma), xp, backend)
    st, _ = _pair(pair_kernel(sigma, tau), xp, backend) if tau != sigma else (ss, None)
    tt, tt_self = _pair(pair_kernel(tau, tau), xp, backend) if tau != sigma else (ss, ss_self)
    return PairKernels(
        ss=ss,
        ss_self=ss_self,
        st=st,
        tt=tt,
        tt_self=tt_self,
        T=arr["T"],
        b=arr["b"],
        a=arr["a"],
        scale=float(arr["scale"]),
        square=model.loss.kind == "square",
        spherical=model.student.spherical,
        xp=np if xp is None else xp,
        parity=(activation_parity(sigma), activation_parity(tau)),
        backend=backend,
    )
