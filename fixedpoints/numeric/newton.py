r"""Damped Newton iteration on :math:`\nabla\mathcal L=0`: the one Newton of the library, for one
start or a batch of starts, in weight space or in a reduced (fixed-point subspace) coordinate
system, with optional deflation.

At :math:`x` with tangent basis :math:`B` (the identity for flat problems), gradient
:math:`g_B=B^\top g` and Hessian :math:`H_B=B^\top DgB=U\Lambda U^\top`, the step is the truncated
pseudo-inverse Newton step

.. math::

    \eta=-\sum_{|\lambda_i|>\epsilon}\frac{u_i^\top g_B}{\lambda_i}\,u_i ,\qquad
    \epsilon=\mathrm{rcond}\cdot\max(\mathrm{floor},\max_i|\lambda_i|),

so that manifolds of critical points (continuous symmetries) converge quadratically in the normal
directions. Deflation (Farrell, Birkisson & Funke, SIAM J. Sci. Comput. 37, 2015) multiplies the
residual by :math:`\mathcal M(x)=\prod_j(\|x-x_j\|^{-p}+\sigma)` for the known solutions
:math:`x_j`; its Newton step is the undeflated one scaled by
:math:`\tau=(1-\nabla\log\mathcal M(x)^\top B\eta)^{-1}`, so converged solutions repel the
iteration. A step is capped by the trust radius :math:`\mathrm{trust}\cdot\max(1,\|x\|)` (when
given) and halved (at most ``halvings`` times) until the merit :math:`\rho(x)\mathcal M(x)`
decreases by the factor :math:`1-10^{-4}t` (:math:`\rho` the residual norm: :math:`\|g\|`, or the
problem's own ``residual_norm``, e.g. the full-space gradient norm of a reduced problem). When no
halving decreases it, ``on_no_decrease="step"`` takes the last trial step anyway (status
``stalled`` if it raised :math:`\rho` tenfold), ``"stop"`` ends the start (``stalled``).

Termination per start: ``converged`` when :math:`\rho\le` ``tol``; ``max-iterations``;
``diverged`` for non-finite values or :math:`\|x\|>` ``bound``; ``stalled``. Nothing raises for a
failed start.

A *problem* has ``gradient(x)``, ``retract(x)``, ``tangent_basis(x)`` (columns; None for flat
coordinates) and ``hessian(x, B)`` (in that basis); ``residual_norm(x, g)`` (the residual from the
point and its gradient) is optional, and so is ``batched_hessian = True`` for a problem whose
``hessian`` takes a batch of points. All starts of a batch iterate together.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.results import NewtonResult, Status

__all__ = ["newton", "newton_critical"]


def _log_deflation(x, known, power: float, shift: float) -> float:
    r""":math:`\log\mathcal M(x)`."""
    out = 0.0
    for xj in known:
        n = float(np.linalg.norm(x - xj))
        out += np.log(n ** (-power) + shift) if n > 0 else np.inf
    return out


def _deflation_gradient(x, known, power: float, shift: float):
    r""":math:`\nabla\log\mathcal M(x)`."""
    grad = np.zeros_like(x)
    for xj in known:
        r = x - xj
        n2 = float(r @ r)
        if n2 == 0:
            continue
        n = np.sqrt(n2)
        f = n ** (-power)
        grad += (-power * f / n2) * r / (f + shift)
    return grad


def newton(
    problem,
    x0,
    *,
    tol: float = 1e-10,
    max_iter: int = 60,
    trust: float | None = 0.5,
    known=(),
    power: float = 2.0,
    shift: float = 1.0,
    rcond: float = 1e-9,
    floor: float = 1.0,
    bound: float = 1e6,
    halvings: int = 12,
    on_no_decrease: str = "step",
) -> NewtonResult:
    """Find critical points of ``problem`` from ``x0`` (module docstring).

    Parameters
    ----------
    problem
        A :class:`~fixedpoints.numeric.landscape.Landscape`, a reduced problem (e.g.
        :class:`~fixedpoints.numeric.symmetry.young.YoungIsotropy`), or any object with the
        methods of the module docstring.
    x0 : array (dim,) or (n, dim)
        One start, or a batch of starts.
    tol : float
        Converged when the residual norm is at most ``tol``.
    max_iter : int
    trust : float or None
        Largest step relative to ``max(1, |x|)`` (None: no cap).
    known : sequence of arrays
        Solutions to deflate.
    power, shift : float
        Deflation exponent :math:`p` and shift :math:`\\sigma`.
    rcond, floor : float
        Eigenvalue cut-off of the pseudo-inverse, relative to ``max(floor, max|λ|)``.
    bound : float
        Largest norm of an iterate.
    halvings : int
        Step halvings of the line search.
    on_no_decrease : {'step', 'stop'}

    Returns
    -------
    NewtonResult
        Scalars for one start, arrays (``status`` a tuple) for a batch.
    """
    if on_no_decrease not in ("step", "stop"):
        raise out_of_range("on_no_decrease", on_no_decrease, "'step' or 'stop'")
    single = np.ndim(x0) == 1
    X = np.atleast_2d(np.array(x0, dtype=float))
    n = X.shape[0]
    stop = on_no_decrease == "stop"
    known = [np.asarray(k, dtype=float) for k in known]

    def one(f):
        """``f`` of a batch of points; a batch of one goes in as one point (cheaper)."""
        return lambda Y: f(Y[0])[None] if len(Y) == 1 else f(Y)

    gradient, retract = one(problem.gradient), one(problem.retract)
    residual = getattr(problem, "residual_norm", None)

    def norms(Y, G):
        if residual is not None:
            return np.asarray(
                residual(Y[0], G[0]) if len(Y) == 1 else residual(Y, G), dtype=float
            ).reshape(len(Y))
        return np.sqrt((G * G).sum(axis=1))

    def merit(Y, r):
        m = np.log(r + 1e-300)
        if known:
            m = m + np.array([_log_deflation(y, known, power, shift) for y in Y])
        return m

    X = retract(X)
    G = gradient(X)
    res = norms(X, G)
    mer = merit(X, res)
    status = np.full(n, None, dtype=object)
    its = np.zeros(n, dtype=int)
    live = np.isfinite(res)
    status[~live] = Status.DIVERGED
    for it in range(1, max_iter + 1):
        done = live & (res <= tol)
        if done.any():
            status[done], its[done] = Status.CONVERGED, it - 1
            live &= ~done
        rows = np.flatnonzero(live)
        if rows.size == 0:
            break
        whole = rows.size == n
        x, g = (X, G) if whole else (X[rows], G[rows])
        B, H = _systems(problem, x)
        finite = True
        if not (np.isfinite(H).all() and np.isfinite(g).all()):
            finite = np.isfinite(H).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
        if finite is not True:
            whole = False
            status[rows[~finite]], its[rows[~finite]] = Status.DIVERGED, it
            live[rows[~finite]] = False
            rows, x, g, H = rows[finite], x[finite], g[finite], H[finite]
            B = None if B is None else B[finite]
            if rows.size == 0:
                continue
        lam, U = np.linalg.eigh(H)
        mag = np.abs(lam)
        inv = np.where(mag > rcond * np.maximum(floor, mag.max(axis=1))[:, None], lam, np.inf)
        gb = g[:, :, None] if B is None else np.swapaxes(B, 1, 2) @ g[:, :, None]
        eta = U @ ((np.swapaxes(U, 1, 2) @ gb) / -inv[:, :, None])
        step = (eta if B is None else B @ eta)[:, :, 0]
        if known:
            for i in range(rows.size):
                denom = 1.0 - float(_deflation_gradient(x[i], known, power, shift) @ step[i])
                if abs(denom) > 1e-12:
                    step[i] = step[i] / denom
        if trust is not None:
            radius2 = trust * trust * np.maximum(1.0, (x * x).sum(axis=1))
            size2 = (step * step).sum(axis=1)
            big = size2 > radius2
            if big.any():
                step[big] *= np.sqrt(radius2[big] / size2[big])[:, None]
        m0 = mer[rows]
        t = np.ones(rows.size)
        with np.errstate(all="ignore"):  # a trial point may be non-finite: it is rejected
            xn = retract(x + step)
            gn = gradient(xn)
            rn = norms(xn, gn)
            mn = merit(xn, rn)
            accepted = np.isfinite(rn) & (mn < m0 + np.log(1 - 1e-4))
            todo = np.flatnonzero(~accepted)
            for _ in range(halvings - 1):
                if todo.size == 0:
                    break
                t[todo] *= 0.5
                trial = retract(x[todo] + t[todo, None] * step[todo])
                g_t = gradient(trial)
                r_t = norms(trial, g_t)
                m_t = merit(trial, r_t)
                good = np.isfinite(r_t) & (m_t < m0[todo] + np.log(1 - 1e-4 * t[todo]))
                keep = good if stop else slice(None)
                last = todo[keep]
                xn[last], gn[last], rn[last], mn[last] = (
                    trial[keep],
                    g_t[keep],
                    r_t[keep],
                    m_t[keep],
                )
                accepted[todo[good]] = True
                todo = todo[~good]
        if todo.size:  # no halving decreased the merit
            its[rows[todo]] = it
            if stop:
                status[rows[todo]] = Status.STALLED
            else:
                bad = ~np.isfinite(rn[todo])
                status[rows[todo[bad]]] = Status.DIVERGED
                worse = ~bad & (rn[todo] > 10 * res[rows[todo]])
                status[rows[todo[worse]]] = Status.STALLED
            move = accepted | (status[rows] == None)  # noqa: E711
            live[rows] = move & (status[rows] == None)  # noqa: E711
            rows, xn, gn, rn, mn = rows[move], xn[move], gn[move], rn[move], mn[move]
            whole = False
        if whole:
            X, G, res, mer = xn, gn, rn, mn
            its[:] = it
        else:
            X[rows], G[rows], res[rows], mer[rows], its[rows] = xn, gn, rn, mn, it
        far = (xn * xn).sum(axis=1) > bound * bound
        if far.any():
            status[rows[far]], live[rows[far]] = Status.DIVERGED, False
    status[live] = np.where(res[live] <= tol, Status.CONVERGED, Status.MAX_ITERATIONS)
    if single:
        return NewtonResult(X[0], float(res[0]), int(its[0]), status[0])
    return NewtonResult(X, res, its, tuple(status))


def _systems(problem, X):
    """Tangent bases (None when flat) and the Hessians in them at the rows of ``X``: one batched
    call when the problem's Hessian takes a batch (flat coordinates), else point by point."""
    if len(X) == 1:
        B = problem.tangent_basis(X[0])
        H = problem.hessian(X[0], B)[None]
        return (None if B is None else B[None]), H
    if getattr(problem, "batched_hessian", False):
        return None, np.asarray(problem.hessian(X, None), dtype=float)
    Bs = [problem.tangent_basis(x) for x in X]
    Hs = np.stack([problem.hessian(x, B) for x, B in zip(X, Bs, strict=True)])
    return (None if Bs[0] is None else np.stack(Bs)), Hs


def newton_critical(problem, x0, *, tol: float = 1e-10, max_iter: int = 60) -> NewtonResult:
    r"""Newton for critical points of any index in a fixed-point subspace: the full pseudo-inverse
    (``rcond`` 1e-13 relative to the largest eigenvalue, no trust region), halving the step until
    the residual decreases (the Newton step is a descent direction of :math:`\|g\|^2`, so saddles
    are found as readily as minima), giving up a start that stops decreasing it (``stalled``)."""
    return newton(
        problem,
        x0,
        tol=tol,
        max_iter=max_iter,
        trust=None,
        rcond=1e-13,
        floor=0.0,
        on_no_decrease="stop",
    )
