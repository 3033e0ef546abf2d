r"""One explicit Runge–Kutta step over any array namespace.

The state is a tuple of arrays (entries may be None, e.g. a fixed second layer) whose leading axis
indexes trajectories; the step size ``h`` is a Python float (one step for all trajectories) or an
array of shape ``(N,)`` (one step per trajectory). Only ``+``, ``*`` and reshapes are used, so the
same code runs on NumPy, PyTorch, CuPy or any array-API namespace.
"""

from __future__ import annotations

__all__ = ["combine", "rk_step", "scale_rows"]


def scale_rows(h, x, xp):
    """``h * x`` with ``h`` a float or one value per leading row of ``x``."""
    if isinstance(h, float):
        return h * x
    return xp.reshape(h, (-1,) + (1,) * (x.ndim - 1)) * x


def combine(y, h, ks, weights, xp):
    r""":math:`y+h\sum_jw_jk_j` per component (terms with :math:`w_j=0` skipped)."""
    out = []
    for c, yc in enumerate(y):
        if yc is None:
            out.append(None)
            continue
        acc = sum(w * k[c] for w, k in zip(weights, ks, strict=False) if w)
        out.append(yc + scale_rows(h, acc, xp))
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
    y_new : tuple
        :math:`y+h\sum_jb_jk_j`.
    f_new : tuple or None
        :math:`F(y_{\rm new})` for an FSAL method (its last stage), else None.
    err : tuple or None
        :math:`h\sum_j\hat e_jk_j` when ``error`` and the method is adaptive, else None.
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
    return y_new, f_new, err
