r"""A model's kernels as element-wise array functions, for computations at any width.

:func:`compile_pair_kernels` gives the kernel and its first partial derivatives *once* per pair
type, as vectorised functions of arrays ``(A, B, P)`` (:class:`PairKernel`, from the generated
module of :mod:`~fixedpoints.codegen.kernelcode`, compiled once per activation pair); the numeric
layer assembles the loss, the weight-space gradient and the order-parameter flow over all index
pairs with array operations (:class:`fixedpoints.numeric.PopulationLoss`,
:class:`fixedpoints.numeric.OverlapFlow`), so the cost is independent of the symbolic size.
Only the model's arrays (:math:`T`, :math:`b`, fixed :math:`a`, the scale) are evaluated per
parameter value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from array_api_compat import device

from fixedpoints.codegen.arrays import model_arrays
from fixedpoints.codegen.kernelcode import GRAD, JET, ORDERS, PAIRS, kernel_module
from fixedpoints.errors import ParameterError
from fixedpoints.protocols import parameter_values

__all__ = ["PairKernel", "PairKernels", "compile_pair_kernels"]


class PairKernel:
    r"""One pair kernel :math:`K(A,B,P)` as array functions: ``K(order, A, B, P)`` evaluates one
    of :math:`K,\partial_AK,\partial_BK,\partial_PK` (order 0…3); ``K.jet(A, B, P)`` gives
    :math:`(K,\partial_AK,\partial_PK)` and ``K.grad(A, B, P)`` :math:`(\partial_AK,\partial_PK)`
    at once (shared subexpressions), and ``K.hess(A, B, P)`` the second derivatives
    :math:`(\partial_A^2K,\partial_A\partial_BK,\partial_A\partial_PK,\partial_B^2K,
    \partial_B\partial_PK,\partial_P^2K)` (None when the kernel has none compiled: quadrature
    and scalar backends). A self kernel takes ``(order, A)`` (order 0, 1), ``jet(A)``
    :math:`(K_{\rm self},K_{\rm self}')` and ``hess(A)`` :math:`K_{\rm self}''`. Results have
    the shape of the broadcast arguments (constants are broadcast)."""

    __slots__ = ("_f", "_jet", "_grad", "_xp", "_self", "_hess")

    def __init__(self, functions, jet=None, grad=None, xp=np, hess=None):
        self._f, self._jet, self._grad, self._xp = functions, jet, grad, xp
        self._self = len(functions) == 2
        self._hess = hess

    @property
    def has_hess(self) -> bool:
        """Whether :meth:`hess` is available (generated closed-form kernels)."""
        return self._hess is not None

    def _shaped(self, r, args):
        last = args[-1]
        if type(r) is np.ndarray and type(last) is np.ndarray and r.shape == last.shape:
            return r  # the common case: no broadcasting needed
        xp = self._xp
        if xp is np:
            shape = np.broadcast_shapes(*(np.shape(t) for t in args))
            if type(r) is np.ndarray and r.shape == shape:
                return r
            return np.broadcast_to(np.asarray(r, dtype=float), shape)
        like = args[-1]
        shape = tuple(like.shape) if len(args) == 1 else _xp_shape(xp, args)
        if not hasattr(r, "shape"):  # a constant: the printer returns a Python number
            return xp.full(shape, float(r), dtype=like.dtype, device=device(like))
        return r if tuple(r.shape) == shape else xp.broadcast_to(r, shape)

    def __call__(self, order: int, *args):
        return self._shaped(self._f[order](*args)[0], args)

    def jet(self, *args):
        """:math:`(K,\\partial_AK,\\partial_PK)`, or :math:`(K_{\rm self},K_{\rm self}')`."""
        if self._jet is None:
            orders = (0, 1) if self._self else JET
            return tuple(self(o, *args) for o in orders)
        return tuple(self._shaped(r, args) for r in self._jet(*args))

    def grad(self, *args):
        r""":math:`(\partial_AK,\partial_PK)`."""
        if self._grad is None:
            return tuple(self(o, *args) for o in GRAD)
        dA, dP = self._grad(*args)
        return self._shaped(dA, args), self._shaped(dP, args)

    def bound(self, values) -> PairKernel:
        """This kernel with the parameters of the activations fixed: ``values`` are passed as the
        leading arguments of every function (:mod:`~fixedpoints.codegen.kernelcode`'s
        ``PARAMETERS``); no recompilation."""
        if not values:
            return self
        new = object.__new__(type(self))
        new._f = [functools.partial(f, *values) for f in self._f]
        for slot in ("_jet", "_grad", "_hess"):
            f = getattr(self, slot)
            setattr(new, slot, None if f is None else functools.partial(f, *values))
        new._xp, new._self = self._xp, self._self
        return new

    def hess(self, *args):
        r"""The six second derivatives (class docstring), or :math:`K_{\rm self}''` of a self
        kernel; None when not compiled."""
        if self._hess is None:
            return None
        r = tuple(self._shaped(t, args) for t in self._hess(*args))
        return r[0] if self._self else r


def _xp_shape(xp, args):
    return tuple(xp.broadcast_arrays(*[t for t in args if hasattr(t, "shape")])[0].shape)


def _generated(module, pair: str, xp):
    """The pair (and self) kernel of ``pair`` ('ss', 'st', 'tt') from a generated module."""
    xp = np if xp is None else xp
    f = [module[f"{pair}_d{i}"] for i in range(4)]
    k = PairKernel(f, module[f"{pair}_jet"], module[f"{pair}_grad"], xp, module[f"{pair}_hess"])
    if pair == "st":
        return k, None
    f = [module[f"{pair}_self_d{i}"] for i in range(2)]
    return k, PairKernel(f, module[f"{pair}_self_jet"], None, xp, module[f"{pair}_self_d2"])


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


def _pair_scalar(kernel, backend: str, params=()):
    """The pair and self kernel element by element on object arrays of mpmath numbers, Arb balls
    or jets over them (``numpy.frompyfunc``); ``params`` (symbols) lead the arguments."""
    import sympy as sp

    from fixedpoints.kernels import A, B, P

    ns = _scalar_namespace(backend)

    def comp(args, e):
        f = sp.lambdify(args, [e], modules=[ns, "mpmath"], cse=True)
        g = np.frompyfunc(lambda *a: f(*a)[0], len(args), 1)
        return lambda *a: [np.asarray(g(*a), dtype=object)]

    f = [comp([*params, A, B, P], kernel.derivative(*o)) for o in ORDERS]
    s = [comp([*params, A], e) for e in (kernel.self_value(), kernel.self_derivative(1))]
    return _ObjectKernel(f), _ObjectKernel(s)


class _ObjectKernel(PairKernel):
    """A :class:`PairKernel` on object arrays (no broadcasting of constants needed)."""

    def __init__(self, functions):
        super().__init__(functions, xp=None)

    def _shaped(self, r, args):
        return r


def _pair_quadrature(kernel, params=()):
    """NumPy kernels with quadrature (no closed form): one lambdified callable per order;
    ``params`` (symbols) lead the arguments."""
    from fixedpoints.codegen.compile import compile_expressions
    from fixedpoints.kernels import A, B, P

    f = [compile_expressions([*params, A, B, P], [kernel.derivative(*o)]) for o in ORDERS]
    own = (kernel.self_value(), kernel.self_derivative(1))
    s = [compile_expressions([*params, A], [e]) for e in own]
    return PairKernel(f), PairKernel(s)


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
    #: the student and teacher activations are the same (then ``ss`` and ``st`` are one kernel,
    #: evaluated once on the block ``[Q, M]``)
    same: bool = False
    #: ``ss`` and its jet extend to the diagonal :math:`P=A=B` with the self kernel's values
    #: (:func:`~fixedpoints.codegen.kernelcode._smooth_diagonal`): a student block may be
    #: evaluated with its diagonal, without the self kernel
    smooth: bool = False
    #: the parameters of the activations, bound in the kernels (``('c',)`` for ``He3+c*He4``):
    #: another value needs other kernels, not just other arrays
    parameters: tuple = ()


def compile_pair_kernels(
    model, params=None, *, xp=None, backend: str = "numpy", arrays=None
) -> PairKernels:
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
    arrays : callable, optional
        ``arrays(params) -> model_arrays(model, params)``, e.g. :func:`array_function` (compiled
        once in the free parameters: repeated calls skip SymPy).

    Notes
    -----
    The kernel functions are compiled once per activation pair and process (generated source,
    cached on disk: :mod:`~fixedpoints.codegen.kernelcode`); a call evaluates only the arrays.
    """
    if backend not in ("numpy", "mpmath", "arb"):
        raise ParameterError(f"`backend` must be 'numpy', 'mpmath' or 'arb'; got {backend!r}.")
    arr = model_arrays(model, params) if arrays is None else arrays(params)
    sigma, tau = model.student.activation.strip(), model.teacher.activation.strip()
    module = kernel_module(sigma, tau, xp) if backend == "numpy" else None
    if module is not None:
        (ss, ss_self), (st, _), (tt, tt_self) = (_generated(module, p, xp) for p in PAIRS)
        parity, smooth = module["PARITY"], module["SMOOTH"]
        names = module.get("PARAMETERS", ())
    else:
        smooth = False
        if xp is not None and xp is not np and backend == "numpy":
            kernel_module(sigma, tau, np)  # names the quadrature kernel in a DerivationError
        (ss, ss_self), (st, _), (tt, tt_self), parity, names = _slow_kernels(sigma, tau, backend)
    if names:  # the activations' parameters: arguments of the compiled kernels
        values = _numbers(parameter_values(names, params), xp, backend)
        ss, ss_self, st, tt, tt_self = (k.bound(values) for k in (ss, ss_self, st, tt, tt_self))
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
        parity=tuple(parity),
        backend=backend,
        same=sigma == tau,
        smooth=smooth,
        parameters=tuple(names),
    )


def _numbers(values, xp, backend: str) -> list:
    """Parameter values as the kernels' number type: floats (NumPy), ``mpf``, Arb balls, or
    double-precision 0-d arrays of another array namespace (a Python float would be single
    precision in PyTorch)."""
    if backend == "mpmath":
        import mpmath

        return [mpmath.mpf(float(v)) for v in values]
    if backend == "arb":
        from flint import arb

        return [arb(float(v)) for v in values]
    if xp is None or xp is np:
        return [float(v) for v in values]
    return [xp.asarray(float(v), dtype=xp.float64) for v in values]


@functools.cache
def _slow_kernels(sigma_text: str, tau_text: str, backend: str):
    """Quadrature (NumPy) or element-wise (mpmath, Arb) kernels of the pair, compiled once per
    process: ``((ss, ss_self), (st, None), (tt, tt_self), parity, parameter names)``; the
    activations' parameters are the leading arguments (:meth:`PairKernel.bound`)."""
    from fixedpoints.kernels import (
        activation_parameters,
        activation_parity,
        pair_kernel,
        parse_activation,
    )

    sigma = parse_activation(sigma_text, name="student.activation")
    tau = parse_activation(tau_text, name="teacher.activation")
    params = activation_parameters(sigma + tau)
    if backend == "numpy":

        def make(k):
            return _pair_quadrature(k, params)
    else:

        def make(k):
            return _pair_scalar(k, backend, params)

    ss = make(pair_kernel(sigma, sigma))
    st = (make(pair_kernel(sigma, tau))[0], None) if tau != sigma else (ss[0], None)
    tt = make(pair_kernel(tau, tau)) if tau != sigma else ss
    parity = (activation_parity(sigma), activation_parity(tau))
    return ss, st, tt, parity, tuple(str(p) for p in params)
