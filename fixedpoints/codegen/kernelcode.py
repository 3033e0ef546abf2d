r"""Generated source of a model's pair kernels: printed once per activation pair, cached on disk,
loaded without SymPy.

For student and teacher activations :math:`(\sigma,\sigma_*)` the generated module defines, for
each pair type ``ss`` (:math:`K_{\sigma\sigma}`), ``st`` (:math:`K_{\sigma\sigma_*}`) and ``tt``
(:math:`K_{\sigma_*\sigma_*}`), array functions of :math:`(A,B,P)`:

* ``<pair>_d0`` … ``<pair>_d3``: :math:`K,\ \partial_AK,\ \partial_BK,\ \partial_PK`, one each;
* ``<pair>_jet``: :math:`(K,\partial_AK,\partial_PK)` at once, with common subexpressions
  shared (one :math:`\arccos`, one :math:`\sqrt{AB-P^2}` per pair for ReLU), and ``<pair>_grad``:
  :math:`(\partial_AK,\partial_PK)` (what a gradient with a fixed second layer needs);
* ``<pair>_hess``: the second derivatives :math:`(\partial_A^2K,\partial_A\partial_BK,
  \partial_A\partial_PK,\partial_B^2K,\partial_B\partial_PK,\partial_P^2K)` (the exact
  weight-space Hessian, :mod:`fixedpoints.numeric.hessian`); a negative power of the Gram
  determinant :math:`AB-P^2` (ReLU: :math:`\partial_P^2K=1/(2\pi\sqrt{AB-P^2})`) is printed with
  its base floored at :math:`10^{-16}AB` (``xp.gram_floor``): at collinear pairs these terms are
  multiplied by weight combinations that vanish like :math:`AB-P^2`, and the floor keeps them
  finite with an error :math:`O(10^{-8})` relative, the round-off level of :math:`\sin\theta`;
* ``<pair>_self_d0``, ``<pair>_self_d1``, ``<pair>_self_jet``, ``<pair>_self_d2`` (``ss`` and
  ``tt``): the self kernel :math:`K_{\rm self}(A)=\mathbb E[\sigma(u)^2]`,
  :math:`u\sim\mathcal N(0,A)`, and its first and second derivatives;

``PARITY = (parity of σ, parity of σ_*)`` and ``SMOOTH`` (:func:`_smooth_diagonal` of
:math:`K_{\sigma\sigma}`: the student block may then be evaluated with its diagonal).
``PARAMETERS`` names the parameters of the activations (``('c',)`` for ``He3+c*He4``, sorted):
every function takes their values as its leading arguments, ``ss_d0(c, A, B, P)``, so one module
serves every value (:func:`fixedpoints.codegen.pairwise.compile_pair_kernels` binds them).

Polynomial kernels (Hermite targets) are printed in :math:`A-1` and :math:`B-1`: at unit
variances the expanded form would cancel terms of order one and lose, e.g., :math:`18P^2` of :math:`\partial_PK_{\rm He_3}` below :math:`|P|\approx10^{-8}`. The code is printed by SymPy against a namespace
``xp`` (:class:`~fixedpoints.codegen.arrayapi.array_namespace_shim`: NumPy, PyTorch, CuPy, …) with
common subexpression elimination, and stored as text in the cache folder
(:func:`~fixedpoints.codegen.cache.cache_directory`), keyed by the two activation strings, the
package version and a hash of the kernel sources. A cached module is read and ``exec``-ed into
the namespace of the arrays: neither SymPy nor the kernel registry is imported. Quadrature kernels
(no closed form, e.g. ``tanh``) have no generated module (``None``): they are NumPy-only and
compiled with :func:`~fixedpoints.codegen.compile.compile_expressions`.
"""

from __future__ import annotations

import cmath
import functools
import hashlib
import math

import numpy as np

from fixedpoints.codegen.cache import (
    _VERSION,
    _sympy_version,
    cache_directory,
    code_hash,
    write_entry,
)

__all__ = ["kernel_module", "numpy_namespace"]

ORDERS = ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1))
JET = (0, 1, 3)  # K, ∂_A K, ∂_P K (∂_B K follows by symmetry and is never assembled)
GRAD = (1, 3)  # ∂_A K, ∂_P K
#: second-derivative orders of ``<pair>_hess``: AA, AB, AP, BB, BP, PP
SECOND = ((2, 0, 0), (1, 1, 0), (1, 0, 1), (0, 2, 0), (0, 1, 1), (0, 0, 2))
GRAM_FLOOR = 1e-16  # relative floor of AB - P^2 in negative powers (second derivatives)
PAIRS = ("ss", "st", "tt")


_smallest = np.minimum.reduce  # the ufunc method: no Python wrapper


def _safe_sqrt(x):
    r""":math:`\sqrt{x}` with round-off negatives (> -1e-12 relative) set to 0: Gram determinants
    :math:`AB-P^2` of collinear neurons; a genuinely negative argument gives nan silently."""
    if isinstance(x, float):  # scalar fast path (np.float64 is a float)
        if x >= 0:
            return np.float64(math.sqrt(x))
        return np.float64(0.0) if x > -1e-12 * (1 + abs(x)) else np.float64("nan")
    x = np.asarray(x, dtype=float)
    if _smallest(x, axis=None, initial=0.0) >= 0:  # the common case: one reduction, no copy
        return np.sqrt(x)
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.where((x < 0) & (x > -1e-12 * (1 + np.abs(x))), 0.0, x))


def _clip_unit(f):
    """``f`` (arccos, arcsin) with the argument clipped to [-1, 1] (cosines of collinear pairs)."""

    def clipped(x):
        if isinstance(x, float):
            return f(np.float64(min(1.0, max(-1.0, x))))
        c = np.clip(x, -1.0, 1.0)  # a fresh array: f in place on it (no second buffer)
        return f(c, out=c) if type(c) is np.ndarray and c.dtype == np.float64 else f(c)

    return clipped


class _NumpyNamespace:
    """The generated code's ``xp`` for NumPy: NumPy's names with the guards (safe square root,
    clipped arccos/arcsin), ``relu``, ``step`` (0 at 0) and SciPy's ``erf``."""

    pi = math.pi
    e = math.e
    sqrt = staticmethod(_safe_sqrt)
    arccos = acos = staticmethod(_clip_unit(np.arccos))
    arcsin = asin = staticmethod(_clip_unit(np.arcsin))

    @staticmethod
    def relu(x):
        """:math:`\\max(0,x)`."""
        return np.maximum(x, 0.0)

    @staticmethod
    def step(x):
        """:math:`\\mathbf 1\\{x>0\\}`."""
        return np.heaviside(x, 0.0)

    @staticmethod
    def erf(x):
        """The error function (SciPy)."""
        from scipy.special import erf

        return erf(x)

    @staticmethod
    def gram_floor(x, ref):
        r""":math:`\max(x, 10^{-16}|r|)`: a Gram determinant floored at its round-off level."""
        return np.maximum(x, GRAM_FLOOR * np.abs(ref))

    def __getattr__(self, name):
        return getattr(np, name)


numpy_namespace = _NumpyNamespace()


def _key(sigma: str, tau: str) -> str:
    blob = f"kernels|{_VERSION}|{code_hash()}|{_sympy_version()}|{sigma}|{tau}"
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _generate(sigma_text: str, tau_text: str, names) -> str | None:
    """The module source for the pair (None when a kernel needs quadrature). Imports SymPy."""
    import inspect

    import sympy as sp

    from fixedpoints.codegen.arrayapi import _ArrayAPIPrinter
    from fixedpoints.kernels import (
        A,
        B,
        P,
        activation_parameters,
        activation_parity,
        pair_kernel,
        parse_activation,
        quadrature_functions,
    )

    sigma = parse_activation(sigma_text, name=names[0])
    tau = parse_activation(tau_text, name=names[1])
    kernels = {"ss": pair_kernel(sigma, sigma), "st": pair_kernel(sigma, tau)}
    kernels["tt"] = pair_kernel(tau, tau)
    params = activation_parameters(sigma + tau)
    # the parameters are the leading arguments, under names that cannot meet the printer's
    renamed = {p: sp.Symbol(f"par{i}", real=True) for i, p in enumerate(params)}
    lines = [
        f"# generated by fixedpoints: pair kernels of sigma = {sigma_text!r}, tau = {tau_text!r}",
        f"PARITY = {(activation_parity(sigma), activation_parity(tau))!r}",
        f"PARAMETERS = {tuple(str(p) for p in params)!r}",
    ]

    a1, b1 = sp.Dummy("a1"), sp.Dummy("b1")

    def centred(e):
        """A polynomial in (A, B) written in A - 1, B - 1: exact where Hermite kernels are
        evaluated (unit variances), where the expanded form cancels O(1) terms."""
        if not e.is_polynomial(A, B) or not (e.has(A) or e.has(B)):
            return e
        e = sp.expand(e.xreplace({A: a1 + 1, B: b1 + 1}))
        return e.xreplace({a1: sp.UnevaluatedExpr(A - 1), b1: sp.UnevaluatedExpr(B - 1)})

    def emit(name, args, exprs):
        exprs = [centred(sp.sympify(e).xreplace(renamed)) for e in exprs]
        if any(quadrature_functions(e) for e in exprs):
            raise LookupError(name)
        args = [*renamed.values(), *args]
        f = sp.lambdify(args, exprs, modules=[{}], printer=_ArrayAPIPrinter, cse=True)
        lines.append(inspect.getsource(f).replace("_lambdifygenerated", name, 1))

    lines.append(f"SMOOTH = {_smooth_diagonal(kernels['ss'])!r}")
    try:
        for pair, kernel in kernels.items():
            full = [kernel.derivative(*o) for o in ORDERS]
            for i, e in enumerate(full):
                emit(f"{pair}_d{i}", [A, B, P], [e])
            emit(f"{pair}_jet", [A, B, P], [full[i] for i in JET])
            emit(f"{pair}_grad", [A, B, P], [full[i] for i in GRAD])
            second = [_floor_gram(sp.sympify(kernel.derivative(*o))) for o in SECOND]
            emit(f"{pair}_hess", [A, B, P], second)
            if pair != "st":
                own = [kernel.self_value(), kernel.self_derivative(1)]
                for i, e in enumerate(own):
                    emit(f"{pair}_self_d{i}", [A], [e])
                emit(f"{pair}_self_jet", [A], own)
                emit(f"{pair}_self_d2", [A], [kernel.self_derivative(2)])
    except LookupError:
        return None
    return "\n".join(lines) + "\n"


def _floor_gram(expr):
    r"""``expr`` with every negative power of a base that vanishes at collinear pairs
    (:math:`P^2=AB`, e.g. :math:`AB-P^2`) taken of ``gram_floor(base, base at P=0)`` (module
    docstring)."""
    import sympy as sp

    from fixedpoints.codegen.arrayapi import gram_floor as floor
    from fixedpoints.kernels import A, B, P

    collinear = {P: sp.sqrt(A) * sp.sqrt(B)}

    def singular(e):
        return (
            e.is_Pow
            and e.exp.is_negative
            and e.base.has(P)
            and sp.simplify(e.base.subs(collinear)) == 0
        )

    return expr.replace(singular, lambda e: sp.Pow(floor(e.base, e.base.subs(P, 0)), e.exp))


def _smooth_diagonal(kernel) -> bool:
    r"""Whether the pair kernel and its jet extend smoothly to the diagonal :math:`P=A=B` with
    the self kernel's values: :math:`K(A,A,A)=K_{\rm self}(A)`,
    :math:`(2\partial_AK+\partial_PK)(A,A,A)=K_{\rm self}'(A)`, and the second derivatives
    :math:`\partial_P\partial_AK`, :math:`\partial_P^2K` finite there (so that round-off in
    :math:`P` moves the jet by round-off; checked at three variances to 30 digits). True for
    erf and Hermite polynomials; False for ReLU (:math:`\partial_P^2K\propto(AB-P^2)^{-1/2}`:
    an error :math:`\varepsilon` in :math:`P` moves :math:`\partial_PK` by
    :math:`\sqrt\varepsilon`), step, and kernels that need quadrature."""
    import sympy as sp

    from fixedpoints.kernels import A, B, P, activation_parameters, quadrature_functions

    # parameters of the activations at a generic value (smoothness is structural in them)
    generic = {p: sp.Rational(7, 13) for p in activation_parameters(kernel.sigma + kernel.tau)}
    K, dA, dP = (
        sp.sympify(kernel.derivative(*o)).subs(generic) for o in (ORDERS[0], ORDERS[1], ORDERS[3])
    )
    own = [sp.sympify(e).subs(generic) for e in (kernel.self_value(), kernel.self_derivative(1))]
    if any(quadrature_functions(e) for e in (K, dA, dP, *own)):
        return False
    checks = [
        (K, own[0]),
        (2 * dA + dP, own[1]),
        (sp.diff(dA, P), None),
        (sp.diff(dP, P), None),
    ]
    for a in (sp.Rational(3, 10), sp.Integer(1), sp.Rational(27, 10)):
        for expr, want in checks:
            try:
                v = expr.subs({A: a, B: a, P: a})
                if want is not None:
                    v = v - want.subs(A, a)
                v = complex(v.evalf(30))
            except (TypeError, ValueError, ZeroDivisionError):
                return False
            if not (cmath.isfinite(v) and (want is None or abs(v) < 1e-20)):
                return False
    return True


@functools.cache
def _code(sigma: str, tau: str, names: tuple, folder) -> object:
    """The compiled code object of the pair's module (None: quadrature), read from the cache
    folder when present, else generated (and written there)."""
    path = folder / f"kernels-{_key(sigma, tau)}.py" if folder is not None else None
    source = None
    if path is not None and path.is_file():
        try:
            source = path.read_text()
        except OSError:
            source = None
    if source is None:
        source = _generate(sigma, tau, names)
        if source is None:
            return None
        if path is not None:
            write_entry(path, source.encode())
    try:
        return compile(source, str(path or "<fixedpoints-kernels>"), "exec")
    except SyntaxError:  # a corrupt cache entry: regenerate
        return compile(_generate(sigma, tau, names), "<fixedpoints-kernels>", "exec")


def kernel_module(
    sigma: str,
    tau: str,
    xp=None,
    *,
    names=("student.activation", "teacher.activation"),
    cache_dir=None,
) -> dict | None:
    """The generated kernel functions of the activation pair, bound to the namespace ``xp``.

    Parameters
    ----------
    sigma, tau : str
        Student and teacher activation strings (as in the model).
    xp : module, optional
        Array namespace (default NumPy, with :data:`numpy_namespace`'s guards).
    names : (str, str)
        Parameter names for errors about the activations.
    cache_dir : path, None or False
        Cache folder (None: the default; False: no disk cache).

    Returns
    -------
    dict or None
        ``{function name: callable, 'PARITY': (str, str)}`` (module docstring); None when a kernel
        has no closed form.
    """
    folder = cache_directory(cache_dir)
    code = _code(str(sigma).strip(), str(tau).strip(), tuple(names), folder)
    if code is None:
        return None
    if xp is None or xp is np:
        ns = {"xp": numpy_namespace}
    else:
        from fixedpoints.codegen.arrayapi import array_namespace_shim

        ns = {"xp": array_namespace_shim(xp)}
    exec(code, ns)  # noqa: S102 - our own generated (and cached) kernel source
    return ns
