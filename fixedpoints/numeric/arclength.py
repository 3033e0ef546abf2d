r"""The pseudo-arclength core shared by every continuation: the bordered Newton corrector
(:func:`bordered_newton`) and the stepping loop with step control (:func:`arclength_steps`).

One-parameter branches (:mod:`fixedpoints.numeric.continuation`, unknowns :math:`(u,p)`,
residual :math:`F`) and fold and branch-point curves in two parameters
(:mod:`fixedpoints.numeric.curves`, unknowns :math:`(u,p_1,p_2)`, residual :math:`[F;G]`) both
predict along a tangent, correct with Newton on the residual bordered by the arclength condition
:math:`t^\top(y-y_0)=s`, halve the step on failure and grow it after fast convergence.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.results import Status

__all__ = ["arclength_steps", "bordered_newton"]


def bordered_newton(
    residual,
    jacobian,
    y,
    condition,
    *,
    tol: float,
    accept: float | None = None,
    max_iter: int = 10,
    rows=None,
    norm=None,
    rcond: float = 1e-13,
):
    r"""Newton's method on the bordered system :math:`[R(y);\,c(y)]=0` (least squares), the
    corrector of every continuation here (branches: R = F; curves in two parameters: R = [F; G]).

    Parameters
    ----------
    residual, jacobian : callable
        :math:`R(y)` (n,) and its Jacobian (n, len(y)); with the condition (and ``rows``) the
        system is square or over-determined.
    y : array
        The prediction.
    condition : (callable, array)
        The scalar condition :math:`c(y)` (the arclength, or a parameter held at a value) and
        its (constant) gradient.
    tol : float
        Converged when ``norm(R) < tol`` and :math:`|c(y)|<10^{-12}`.
    accept : float, optional
        After ``max_iter`` iterations, accept a residual below this (default ``10 * tol``).
    rows : array (r, len(y)), optional
        Directions the step must be orthogonal to (rows :math:`Z^\top\delta=0`: symmetry-
        breaking and continuous-symmetry directions).
    norm : callable, optional
        Residual norm (default the max norm).
    rcond : float
        Cut-off of the least-squares solve.

    Returns
    -------
    (y, iterations) or None
        None on a non-finite residual or step, or no convergence.
    """
    norm = norm or (lambda r: float(np.max(np.abs(r))) if r.size else 0.0)
    value, grad = condition
    extra = np.zeros((0, y.size)) if rows is None else rows
    for it in range(1, max_iter + 1):
        R = residual(y)
        r = np.append(R, value(y))
        if not np.all(np.isfinite(r)):
            return None
        if norm(R) < tol and abs(r[-1]) < 1e-12:
            return y, it
        J = np.vstack([jacobian(y), grad[None, :], extra])
        try:
            delta = np.linalg.lstsq(J, np.append(-r, np.zeros(extra.shape[0])), rcond=rcond)[0]
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(delta)):
            return None
        y = y + delta
    return (y, max_iter) if norm(residual(y)) < (10 * tol if accept is None else accept) else None


def arclength_steps(
    correct, accept, leaves, land, *, step, max_step, min_step, max_points
) -> Status:
    """The stepping loop of every pseudo-arclength continuation here (branches, and curves in
    two parameters): ``correct(s)`` gives ``(new, iterations)`` from the last accepted point at
    arclength ``s``, or None (the step is halved, down to ``min_step``); a new point is
    ``accept``-ed, or, when it ``leaves`` the range, ``land`` returns the final status; the
    step grows by 1.5 after a correction in at most 3 iterations, up to ``max_step``.

    Returns
    -------
    Status
        ``step-too-small``, ``max-points`` (after ``max_points`` accepted points) or what
        ``land`` returned.
    """
    s, count = step, 0
    while count < max_points:
        out = correct(s)
        if out is None:
            s /= 2
            if s < min_step:
                return Status.STEP_TOO_SMALL
            continue
        new, its = out
        if leaves(new):
            return land(new)
        accept(new)
        count += 1
        s = min(max_step, s * 1.5) if its <= 3 else s
    return Status.MAX_POINTS
