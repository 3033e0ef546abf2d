r"""One Runge–Kutta step over any array namespace: explicit (:func:`rk_step`) or linearly
implicit (:func:`rosenbrock_step`).

The state is a tuple of arrays (entries may be None, e.g. a fixed second layer) whose leading axis
indexes trajectories; the step size ``h`` is a Python float (one step for all trajectories) or an
array of shape ``(N,)`` (one step per trajectory). The explicit step uses only ``+``, ``*`` and
reshapes; the Rosenbrock step works on the rows ``(N, n)`` of the state
(:class:`~fixedpoints.numeric.ode.jacobian.Layout`) with the namespace's ``matmul`` and
``linalg.inv`` (one batched inverse of :math:`I-h\gamma J` per step, shared by all stages), so the
same code runs on NumPy, PyTorch, CuPy or any array-API namespace with the linalg extension.
"""

from __future__ import annotations

from typing import NamedTuple

from array_api_compat import device as _device

from fixedpoints.numeric.ode.jacobian import SymmetricJacobian

__all__ = ["Step", "combine", "rk_step", "rosenbrock_step", "scale_rows"]


class Step(NamedTuple):
    """One attempted step: the new state, :math:`F` there when the method provides it (FSAL),
    the embedded error estimate (or None) and the stages :math:`k_i`."""

    y: tuple
    f: tuple | None
    error: tuple | None
    stages: list


def scale_rows(h, x, xp):
    """``h * x`` with ``h`` a float or one value per leading row of ``x``."""
    if isinstance(h, float):
        return h * x
    return xp.reshape(h, (-1,) + (1,) * (x.ndim - 1)) * x


def combine(y, h, ks, weights, xp):
    r""":math:`y+h\sum_jw_jk_j` per component (terms with :math:`w_j=0` skipped, no product
    for :math:`w_j=1`: an Euler step is :math:`y+hk_1`, two array operations)."""
    terms = [(w, k) for w, k in zip(weights, ks, strict=False) if w]
    out = []
    for c, yc in enumerate(y):
        if yc is None:
            out.append(None)
            continue
        acc = None
        for w, k in terms:
            wk = k[c] if w == 1 else w * k[c]
            acc = wk if acc is None else acc + wk
        out.append(yc if acc is None else yc + scale_rows(h, acc, xp))
    return tuple(out)


def rk_step(field, tableau, y, k1, h, xp, *, error: bool = True):
    r"""One step of ``tableau`` from ``y`` with :math:`k_1=F(y)` given.

    Parameters
    ----------
    field : callable
        :math:`F`: a state tuple to a tuple of the same shapes.
    tableau : Tableau
    y, k1 : tuple of arrays
        State and :math:`F(y)`.
    h : float or array (N,)
    xp : array namespace
    error : bool
        Compute the embedded error estimate (adaptive methods).

    Returns
    -------
    Step
        ``y``: :math:`y+h\sum_jb_jk_j`; ``f``: :math:`F(y_{\rm new})` for an FSAL method (its
        last stage), else None; ``error``: :math:`h\sum_j\hat e_jk_j` when ``error`` and the
        method is adaptive, else None; ``stages``: the :math:`k_j` (state tuples).
    """
    ks = [k1]
    yi = y
    for row in tableau.a:
        yi = combine(y, h, ks, row, xp)
        ks.append(field(yi))
    if tableau.fsal:
        y_new, f_new = yi, ks[-1]
    else:
        y_new, f_new = combine(y, h, ks, tableau.b, xp), None
    err = None
    if error and tableau.error is not None:
        err = tuple(
            None
            if yc is None
            else scale_rows(
                h, sum(e * k[c] for e, k in zip(tableau.error, ks, strict=True) if e), xp
            )
            for c, yc in enumerate(y)
        )
    return Step(y_new, f_new, err, ks)


def _sum(base, ks, weights):
    """``base + sum_j w_j k_j`` over the nonzero weights (None when there are none)."""
    acc = base
    for w, k in zip(weights, ks, strict=False):
        if w:
            acc = w * k if acc is None else acc + w * k
    return acc


def _inverse(M, xp):
    """Batched inverse; a row whose matrix is exactly singular becomes NaN (its step fails and is
    retried with a smaller step) instead of failing the whole batch."""
    try:
        return xp.linalg.inv(M)
    except (
        ValueError,
        RuntimeError,
    ):  # numpy's LinAlgError is a ValueError, torch's a RuntimeError
        rows = []
        for i in range(int(M.shape[0])):
            try:
                rows.append(xp.linalg.inv(M[i : i + 1, ...]))
            except (ValueError, RuntimeError):
                rows.append(M[i : i + 1, ...] * float("nan"))
        return xp.concat(rows, axis=0)


def rosenbrock_step(field, method, y, k1, h, J, xp, *, layout, error: bool = True):
    r"""One step of the Rosenbrock method ``method`` from ``y`` with :math:`k_1=F(y)` given:

    .. math::

        W=I-h\gamma J,\qquad
        k_i=W^{-1}\Big(hF\big(y+\textstyle\sum_{j<i}a_{ij}k_j\big)
        +hJ\textstyle\sum_{j<i}g_{ij}k_j\Big),

    :math:`y_{\rm new}=y+\sum_ib_ik_i`, :math:`e=\sum_i(b_i-\hat b_i)k_i` (the :math:`k_i`
    already carry the factor :math:`h`).

    Parameters
    ----------
    field : callable
        :math:`F`: a state tuple to a tuple of the same shapes.
    method : Rosenbrock
    y, k1 : tuple of arrays
        State and :math:`F(y)`.
    h : float or array (N,)
    J : array (N, n, n)
        Jacobians (or approximations of them, a W-method keeps its order) in ``layout``'s order.
    xp : array namespace
    layout : Layout
        Rows of the state.
    error : bool
        Compute the embedded error estimate.

    Returns
    -------
    Step
        ``f`` is None (the method is not FSAL); ``stages`` are the :math:`k_i` as rows ``(N, n)``
        (for a :class:`~fixedpoints.numeric.ode.jacobian.SymmetricJacobian` their coordinates
        :math:`z_i=U^\top k_i` in its eigenbasis).

    Notes
    -----
    With :math:`J=U\Lambda U^\top` the stages in the eigenbasis are

    .. math::

        z_i=\big(I-h\gamma\Lambda\big)^{-1}\Big(hU^\top F\big(y+U\textstyle\sum_{j<i}a_{ij}
        z_j\big)+h\Lambda\textstyle\sum_{j<i}g_{ij}z_j\Big),

    :math:`y_{\rm new}=y+U\sum_ib_iz_i`, :math:`e=U\sum_i(b_i-\hat b_i)z_i`: per stage two
    matrix-vector products and a diagonal scaling instead of an :math:`O(n^3)` inverse per step.
    """
    if isinstance(J, SymmetricJacobian):
        return _rosenbrock_eigen(field, method, y, k1, h, J, xp, layout=layout, error=error)
    Y = layout.flat(y, xp)
    hJ = scale_rows(h, J, xp)
    eye = xp.eye(layout.n, dtype=Y.dtype, device=_device(Y))
    Winv = _inverse(eye - method.gamma * hJ, xp)

    def apply(M, v):
        return xp.matmul(M, v[..., None])[..., 0]

    ks = [apply(Winv, scale_rows(h, layout.flat(k1, xp), xp))]
    for a_row, g_row in zip(method.a, method.g, strict=True):
        Fi = layout.flat(field(layout.unflat(_sum(Y, ks, a_row), xp)), xp)
        r = scale_rows(h, Fi, xp)
        coupled = _sum(None, ks, g_row)
        if coupled is not None:
            r = r + apply(hJ, coupled)
        ks.append(apply(Winv, r))
    y_new = layout.unflat(_sum(Y, ks, method.b), xp)
    err = layout.unflat(_sum(None, ks, method.error), xp) if error else None
    return Step(y_new, None, err, ks)


def _rosenbrock_eigen(field, method, y, k1, h, J, xp, *, layout, error):
    """:func:`rosenbrock_step` in the eigenbasis of a symmetric Jacobian (its Notes)."""
    Y = layout.flat(y, xp)
    U = J.U
    hl = scale_rows(h, J.lam, xp)
    d = 1.0 / (1.0 - method.gamma * hl)

    def to_eigen(v):  # U^T v per row, as (v^T U)^T
        return xp.matmul(v[:, None, :], U)[:, 0, :]

    def from_eigen(z):
        return xp.matmul(U, z[..., None])[..., 0]

    zs = [d * to_eigen(scale_rows(h, layout.flat(k1, xp), xp))]
    for a_row, g_row in zip(method.a, method.g, strict=True):
        inc = _sum(None, zs, a_row)
        Yi = Y if inc is None else Y + from_eigen(inc)
        r = to_eigen(scale_rows(h, layout.flat(field(layout.unflat(Yi, xp)), xp), xp))
        coupled = _sum(None, zs, g_row)
        if coupled is not None:
            r = r + hl * coupled
        zs.append(d * r)
    step = _sum(None, zs, method.b)
    if not error:
        return Step(layout.unflat(Y + from_eigen(step), xp), None, None, zs)
    both = xp.matmul(U, xp.stack([step, _sum(None, zs, method.error)], axis=-1))  # one pass
    return Step(layout.unflat(Y + both[..., 0], xp), None, layout.unflat(both[..., 1], xp), zs)
