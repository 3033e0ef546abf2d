r"""Dense Jacobians of a batched vector field for the linearly implicit (Rosenbrock) methods.

A state tuple (arrays ``(N, ...)``, entries may be None) is read as ``N`` rows of ``n`` numbers:
its non-None components, each flattened row-major, side by side (:class:`Layout`). The Jacobian
of trajectory :math:`i` is the :math:`n\times n` matrix
:math:`J_i=\partial F(y_i)/\partial y_i` in that order, and a batch of them is an array
``(N, n, n)``.

:func:`forward_jacobian` approximates it by forward differences,

.. math::

    (J_i)_{:,j}=\frac{F(y_i+\delta_{ij}e_j)-F(y_i)}{\delta_{ij}},\qquad
    \delta_{ij}=\sqrt{\varepsilon}\,\max(1,|y_{ij}|),

with :math:`\varepsilon` the machine epsilon of the state's dtype and :math:`\delta_{ij}` the
representable difference :math:`(y_{ij}+\delta_{ij})-y_{ij}`. All :math:`N\cdot n` perturbed
states go through the field as *one* batched call (rows ``i * n + j``); the error is
:math:`O(\sqrt\varepsilon)`, which a W-method (ROS34PW2) tolerates without losing its order.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from array_api_compat import device as _device

__all__ = ["Layout", "SymmetricJacobian", "eigen_jacobian", "forward_jacobian"]


class Layout:
    """The row layout of a state tuple: ``flat`` maps it to ``(N, n)``, ``unflat`` back.

    Parameters
    ----------
    like : tuple of arrays
        A state (its trailing shapes and the positions of None entries are kept).
    """

    def __init__(self, like):
        self.shapes = tuple(None if c is None else tuple(c.shape[1:]) for c in like)
        self.sizes = tuple(0 if s is None else math.prod(s) for s in self.shapes)
        self.n = sum(self.sizes)

    def flat(self, state, xp):
        """Rows ``(N, n)`` of the non-None components, each flattened row-major."""
        parts = [
            xp.reshape(c, (int(c.shape[0]), size))
            for c, size in zip(state, self.sizes, strict=True)
            if c is not None
        ]
        return parts[0] if len(parts) == 1 else xp.concat(parts, axis=1)

    def unflat(self, Y, xp):
        """The state tuple whose rows are ``Y`` (``(M, n)``), None where the layout has None."""
        out, start = [], 0
        M = int(Y.shape[0])
        for shape, size in zip(self.shapes, self.sizes, strict=True):
            if shape is None:
                out.append(None)
                continue
            out.append(xp.reshape(Y[:, start : start + size], (M, *shape)))
            start += size
        return tuple(out)


def forward_jacobian(field, y, f, layout, xp):
    r"""Forward-difference Jacobians ``(N, n, n)`` of ``field`` at the rows of ``y`` (module
    docstring): one call of ``field`` on the ``N * n`` perturbed states.

    Parameters
    ----------
    field : callable
        :math:`F` on state tuples (any number of rows).
    y, f : tuple of arrays
        States ``(N, ...)`` and :math:`F(y)`.
    layout : Layout
    xp : array namespace

    Returns
    -------
    array (N, n, n)
        :math:`(J_i)_{kj}\approx\partial F_k/\partial y_j` at :math:`y_i`.
    """
    Y, F0 = layout.flat(y, xp), layout.flat(f, xp)
    N, n = int(Y.shape[0]), layout.n
    step = math.sqrt(xp.finfo(Y.dtype).eps) * xp.maximum(xp.abs(Y), xp.ones_like(Y))
    delta = (Y + step) - Y  # (N, n), exactly representable differences
    eye = xp.eye(n, dtype=Y.dtype, device=_device(Y))
    perturbed = Y[:, None, :] + delta[:, :, None] * eye[None, :, :]  # row (i, j): y_i + d_ij e_j
    Fp = layout.flat(field(layout.unflat(xp.reshape(perturbed, (N * n, n)), xp)), xp)
    D = (xp.reshape(Fp, (N, n, n)) - F0[:, None, :]) / delta[:, :, None]  # [i, j, k]
    return xp.permute_dims(D, (0, 2, 1))


class SymmetricJacobian(NamedTuple):
    r"""Symmetric Jacobians in eigen form, :math:`J_i=U_i\operatorname{diag}(\lambda_i)U_i^\top`
    (a gradient flow: :math:`J=-\nabla^2\mathcal L`): eigenvalues ``lam`` ``(N, n)`` and
    orthonormal eigenvectors ``U`` ``(N, n, n)`` (columns)."""

    lam: object
    U: object


def eigen_jacobian(J, xp) -> SymmetricJacobian:
    r"""The eigen form of a batch of Jacobians ``(N, n, n)`` read as symmetric (``eigh`` uses one
    triangle: for a Jacobian that is only nearly symmetric, e.g. forward differences of a
    gradient field, the symmetric matrix it reads is the one the W-method then uses
    consistently). A row whose decomposition fails becomes NaN (its step fails and is retried),
    not the whole batch."""
    try:
        lam, U = xp.linalg.eigh(J)
        return SymmetricJacobian(lam, U)
    except (ValueError, RuntimeError):  # numpy's LinAlgError is a ValueError, torch's a Runtime
        lams, Us = [], []
        for i in range(int(J.shape[0])):
            Ji = J[i : i + 1, ...]
            try:
                lam, U = xp.linalg.eigh(Ji)
            except (ValueError, RuntimeError):
                lam, U = Ji[:, 0, :] * float("nan"), Ji * float("nan")
            lams.append(lam)
            Us.append(U)
        return SymmetricJacobian(xp.concat(lams, axis=0), xp.concat(Us, axis=0))
