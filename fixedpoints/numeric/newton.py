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

A *problem* has ``gradient(X)`` and ``retract(X)`` (batched over leading axes); Hessians come from
``batch_hessian(X) -> (n, m, m)`` (flat coordinates) or, per point, ``tangent_basis(x)`` and
``hessian(x, B)``; ``residual_norm(X, G)`` is optional.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.results import NewtonResult, Status

__all__ = ["newton"]


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


def _residual(problem, X, G):
    if hasattr(problem, "residual_norm"):
        return np.asarray(problem.residual_norm(X), dtype=float)
    return np.linalg.norm(G, axis=-1)


def _systems(problem, X):
    """Tangent bases (None when flat) and Hessians in them, for the rows of ``X``."""
    if hasattr(problem, "batch_hessian"):
        return None, np.asarray(problem.batch_hessian(X), dtype=float)
    Bs, Hs = [], []
    for x in X:
        B = problem.tangent_basis(x)
        Bs.append(B)
        Hs.append(problem.hessian(x, B))
    return np.stack(Bs), np.stack(Hs)


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
    X = np.asarray(problem.retract(X), dtype=float)
    n = X.shape[0]
    known = [np.asarray(k, dtype=float) for k in known]
    G = np.asarray(problem.gradient(X), dtype=float)
    res = _residual(problem, X, G)

    def merit(Y, r):
        m = np.log(r + 1e-300)
        if known:
            m = m + np.array([_log_deflation(y, known, power, shift) for y in Y])
        return m

    mer = merit(X, res)
    status = np.full(n, None, dtype=object)
    its = np.zeros(n, dtype=int)
    status[~np.isfinite(res)] = Status.DIVERGED
    for it in range(1, max_iter + 1):
        live = status == None  # noqa: E711
        done = live & (res <= tol)
        status[done] = Status.CONVERGED
        its[done] = it - 1
        live &= ~done
        if not live.any():
            break
        rows = np.flatnonzero(live)
        x, g = X[rows], G[rows]
        B, H = _systems(problem, x)
        finite = np.all(np.isfinite(H), axis=(-1, -2)) & np.all(np.isfinite(g), axis=-1)
        if not finite.all():
            status[rows[~finite]] = Status.DIVERGED
            its[rows[~finite]] = it
            rows, x, g, H = rows[finite], x[finite], g[finite], H[finite]
            B = None if B is None else B[finite]
            if rows.size == 0:
                continue
        lam, U = np.linalg.eigh(H)
        cut = rcond * np.maximum(floor, np.max(np.abs(lam), axis=-1))
        inv = np.where(np.abs(lam) > cut[:, None], 1.0 / np.where(lam == 0, 1.0, lam), 0.0)
        gb = g if B is None else np.einsum("nij,ni->nj", B, g)
        eta = -np.einsum("nij,nj->ni", U, inv * np.einsum("nji,nj->ni", U, gb))
        step = eta if B is None else np.einsum("nij,nj->ni", B, eta)
        if known:
            for i in range(rows.size):
                denom = 1.0 - float(_deflation_gradient(x[i], known, power, shift) @ step[i])
                if abs(denom) > 1e-12:
                    step[i] = step[i] / denom
        if trust is not None:
            radius = trust * np.maximum(1.0, np.linalg.norm(x, axis=-1))
            size = np.linalg.norm(step, axis=-1)
            big = size > radius
            step[big] *= (radius[big] / size[big])[:, None]
        t = np.ones(rows.size)
        accepted = np.zeros(rows.size, dtype=bool)
        xn, gn, rn, mn = x.copy(), g.copy(), res[rows].copy(), mer[rows].copy()
        for _ in range(halvings):
            todo = np.flatnonzero(~accepted)
            if todo.size == 0:
                break
            trial = np.asarray(problem.retract(x[todo] + t[todo, None] * step[todo]), dtype=float)
            with np.errstate(all="ignore"):
                g_t = np.asarray(problem.gradient(trial), dtype=float)
                r_t = _residual(problem, trial, g_t)
                m_t = merit(trial, r_t)
            good = np.isfinite(r_t) & (m_t < mer[rows[todo]] + np.log(1 - 1e-4 * t[todo]))
            last = todo if on_no_decrease == "step" else todo[good]
            sel = good if on_no_decrease == "stop" else np.ones(todo.size, dtype=bool)
            xn[last], gn[last], rn[last], mn[last] = trial[sel], g_t[sel], r_t[sel], m_t[sel]
            accepted[todo[good]] = True
            t[todo[~good]] *= 0.5
        failed = ~accepted
        if failed.any():
            f = np.flatnonzero(failed)
            if on_no_decrease == "stop":
                status[rows[f]] = Status.STALLED
            else:
                bad = ~np.isfinite(rn[f])
                status[rows[f[bad]]] = Status.DIVERGED
                worse = ~bad & (rn[f] > 10 * res[rows[f]])
                status[rows[f[worse]]] = Status.STALLED
            its[rows[f]] = it
        move = accepted | ((on_no_decrease == "step") & (status[rows] == None))  # noqa: E711
        r = rows[move]
        X[r], G[r], res[r], mer[r] = xn[move], gn[move], rn[move], mn[move]
        its[r] = it
        far = move & (np.linalg.norm(xn, axis=-1) > bound)
        status[rows[far]] = Status.DIVERGED
    live = status == None  # noqa: E711
    status[live] = np.where(res[live] <= tol, Status.CONVERGED, Status.MAX_ITERATIONS)
    if single:
        return NewtonResult(X[0], float(res[0]), int(its[0]), status[0])
    return NewtonResult(X, res, its, tuple(status))
