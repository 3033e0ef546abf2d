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
from scipy.linalg import lapack

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.backend import keep_freed_memory
from fixedpoints.numeric.parallel import map_forked
from fixedpoints.results import NewtonResult, Status

__all__ = ["multistart", "multistart_batches", "multistart_runs", "newton", "newton_critical"]

BATCH = 50  # starts iterated together by multistart_batches

INVERSE_CONDITION = 1e8  # largest |H^-1| |H| for which a step is taken by the plain inverse

LU_FROM = 40  # dimension from which the step is one LU per matrix, not a batched inverse


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
    known : sequence of arrays, or one sequence per start
        Solutions to deflate: shared by all starts, or (a batch) ``known[i]`` those of start
        ``i`` (a list of ``n`` lists).
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
    keep_freed_memory()  # batched Hessians: MB-sized temporaries every iteration
    single = np.ndim(x0) == 1
    X = np.atleast_2d(np.array(x0, dtype=float))
    n = X.shape[0]
    stop = on_no_decrease == "stop"
    per_start = not single and len(known) == n and all(isinstance(k, list | tuple) for k in known)
    if per_start:
        K = [[np.asarray(k, dtype=float) for k in ks] for ks in known]
    else:
        shared = [np.asarray(k, dtype=float) for k in known]
        K = [shared] * n
    deflate = any(K)

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

    def merit(Y, r, idx):
        """log of the merit of the points ``Y`` of starts ``idx``."""
        m = np.log(r + 1e-300)
        if deflate:
            m = m + np.array(
                [_log_deflation(y, K[i], power, shift) for y, i in zip(Y, idx, strict=True)]
            )
        return m

    X = retract(X)
    G = gradient(X)
    res = norms(X, G)
    mer = merit(X, res, range(n))
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
        gb = g[:, :, None] if B is None else np.swapaxes(B, 1, 2) @ g[:, :, None]
        eta = _pseudo_inverse_steps(H, gb, rcond, floor)
        step = (eta if B is None else B @ eta)[:, :, 0]
        if deflate:
            for i in range(rows.size):
                denom = 1.0 - float(_deflation_gradient(x[i], K[rows[i]], power, shift) @ step[i])
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
            mn = merit(xn, rn, rows)
            accepted = np.isfinite(rn) & (mn < m0 + np.log(1 - 1e-4))
            todo = np.flatnonzero(~accepted)
            for _ in range(halvings - 1):
                if todo.size == 0:
                    break
                t[todo] *= 0.5
                trial = retract(x[todo] + t[todo, None] * step[todo])
                g_t = gradient(trial)
                r_t = norms(trial, g_t)
                m_t = merit(trial, r_t, rows[todo])
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


def _pseudo_inverse_steps(H, gb, rcond: float, floor: float):
    r"""The truncated pseudo-inverse Newton steps :math:`\eta=-\sum_{|\lambda_i|>\epsilon}
    (u_i^\top g)/\lambda_i\,u_i` of the batch ``H`` ``(m, n, n)``, ``gb`` ``(m, n, 1)`` (module
    docstring).

    Where the Hessian is certified well enough conditioned that no eigenvalue is cut, the step
    is :math:`-H^{-1}g`, by a factorization; the other rows (near-singular Hessians: continuous
    symmetries, degenerate points) take the eigendecomposition. Both read the symmetric matrix
    of ``H``'s lower triangle (what ``eigh`` reads), so a slightly asymmetric Hessian (finite
    differences) gives the same step either way; the two differ by round-off where both apply.

    - :math:`n<` :data:`LU_FROM`: one batched inverse, taken where
      :math:`\|H^{-1}\|_F\,\max(\mathrm{floor},\|H\|_F)<\min(1/\mathrm{rcond},`
      :data:`INVERSE_CONDITION`:math:`)` (so :math:`\min|\lambda_i|\ge1/\|H^{-1}\|_F>\epsilon`,
      since :math:`\max|\lambda_i|\le\|H\|_F`).
    - :math:`n\ge` :data:`LU_FROM`: an LU factorization per matrix (LAPACK ``getrf``/``getrs``,
      a third of the flops of the inverse) and Higham's estimate of :math:`\|H^{-1}\|_1`
      (``gecon``, :math:`O(n^2)`) in the same test with 1-norms (for a symmetric matrix
      :math:`\|\cdot\|_2\le\|\cdot\|_1`); the estimate is a lower bound, within a factor 3 in
      practice, and :data:`INVERSE_CONDITION` lies a factor 10 (weight-space Newton) or more below
      the cut :math:`1/\mathrm{rcond}`. Measured at n = 100, one thread: 0.11 ms per matrix
      against 0.31 ms for the inverse and its norm (0.9 times at n = 32, 1.9 times at n = 48)."""
    eta = np.empty_like(gb)
    H = np.tril(H) + np.swapaxes(np.tril(H, -1), 1, 2)  # the symmetric matrix eigh reads
    limit = min(1.0 / rcond, INVERSE_CONDITION)
    factor = _lu_steps if H.shape[-1] >= LU_FROM else _inverse_steps
    ok = factor(H, gb, floor, limit, eta)
    if ok.all():
        return eta
    todo = ~ok
    lam, U = np.linalg.eigh(H[todo])
    mag = np.abs(lam)
    inv = np.where(mag > rcond * np.maximum(floor, mag.max(axis=1))[:, None], lam, np.inf)
    eta[todo] = U @ ((np.swapaxes(U, 1, 2) @ gb[todo]) / -inv[:, :, None])
    return eta


def _inverse_steps(H, gb, floor: float, limit: float, eta) -> np.ndarray:
    """:func:`_pseudo_inverse_steps`' batched inverse: writes :math:`-H^{-1}g` into the rows of
    ``eta`` whose Frobenius condition is below ``limit``; returns that mask."""
    try:
        Hinv = np.linalg.inv(H)
    except np.linalg.LinAlgError:  # an exactly singular row: all by eigenvalues
        return np.zeros(len(H), dtype=bool)
    with np.errstate(all="ignore"):
        size = np.sqrt((Hinv * Hinv).sum(axis=(1, 2)))
        scale = np.maximum(floor, np.sqrt((H * H).sum(axis=(1, 2))))
        ok = np.isfinite(size) & (size * scale < limit)
    eta[ok] = -(Hinv[ok] @ gb[ok])
    return ok


def _lu_steps(H, gb, floor: float, limit: float, eta) -> np.ndarray:
    """:func:`_pseudo_inverse_steps`' LU path: writes :math:`-H^{-1}g` into the rows of ``eta``
    whose estimated 1-norm condition is below ``limit``; returns that mask."""
    ok = np.zeros(len(H), dtype=bool)
    norms = np.abs(H).sum(axis=1).max(axis=1)  # ‖H‖₁ (= ‖H‖∞: symmetric)
    for i in range(len(H)):
        if not np.isfinite(norms[i]) or norms[i] == 0:
            continue
        lu, piv, info = lapack.dgetrf(H[i])
        if info != 0:  # an exactly zero pivot
            continue
        rc, info = lapack.dgecon(lu, norms[i], norm="1")
        if info != 0 or not rc > 0:
            continue
        if max(floor, norms[i]) / (rc * norms[i]) < limit:  # est ‖H⁻¹‖₁ max(floor, ‖H‖₁)
            x, info = lapack.dgetrs(lu, piv, gb[i])
            if info == 0 and np.all(np.isfinite(x)):
                eta[i] = -x
                ok[i] = True
    return ok


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


def multistart_runs(problem, x0s, *, retries: int, escaped, tol: float, max_iter: int):
    """The batched Newton runs of :func:`multistart` (no side effects, so they can run in another
    process): Newton from the starts ``x0s``, and the first deflated restart of every start that
    converged (``max_iter // 2`` iterations, its point deflated), as ``(first, statuses, conv,
    second)``: the two :class:`~fixedpoints.results.NewtonResult` batches (``second`` None
    without restarts), the first run's status per start (``escaped`` for a converged point that
    ``escaped(x)`` rejects) and the indices of the converged starts."""
    first = newton(problem, np.array(x0s), tol=tol, max_iter=max_iter)
    st0 = [_status(st, x, escaped) for st, x in zip(first.status, first.x, strict=True)]
    conv = [i for i, st in enumerate(st0) if st == "converged"]
    second = None
    if retries and conv:
        second = newton(
            problem,
            np.array([x0s[i] for i in conv]),
            tol=tol,
            max_iter=max_iter // 2,
            known=[[first.x[i]] for i in conv],
        )
    return first, st0, conv, second


def _status(st, x, escaped) -> str:
    return "escaped" if st == "converged" and escaped(x) else str(st)


def multistart(
    problem, x0s, *, retries: int, statuses, add, escaped, tol: float, max_iter: int, runs=None
) -> None:
    """Newton from the starts ``x0s`` (one batch) and Farrell's deflated restarts from each start
    that converged: attempt ``a`` restarts from the same start with the ``a`` points found from
    it deflated, for ``max_iter // 2`` iterations, and the first restarts of all starts are one
    batch too (:func:`multistart_runs`, or its result ``runs`` computed elsewhere). Converged
    points go to ``add`` (which returns True for a new point) in the order of a start-by-start
    search: start by start, attempt by attempt, a further restart only after the previous one
    found a new point. ``statuses`` (a Counter) counts each attempt's status (``deflated-`` for
    restarts; ``escaped`` for a converged point that ``escaped(x)`` rejects).
    """
    if runs is None:
        runs = multistart_runs(
            problem, x0s, retries=retries, escaped=escaped, tol=tol, max_iter=max_iter
        )
    first, st0, conv, second = runs
    for i, st in enumerate(st0):
        statuses[st] += 1
        if st != "converged":
            continue
        local = [first.x[i]]
        add(first.x[i])
        for attempt in range(1, retries + 1):
            if attempt == 1:
                j = conv.index(i)
                x, st = second.x[j], _status(second.status[j], second.x[j], escaped)
            else:
                r = newton(problem, x0s[i], tol=tol, max_iter=max_iter // 2, known=local)
                x, st = r.x, _status(r.status, r.x, escaped)
            statuses[f"deflated-{st}"] += 1
            if st != "converged":
                break
            local.append(x)
            if not add(x):
                break


def multistart_batches(
    problem,
    x0s,
    *,
    retries: int,
    statuses,
    add,
    escaped,
    tol: float,
    max_iter: int,
    workers: int = 1,
    progress=None,
) -> None:
    """:func:`multistart` over the starts ``x0s`` in batches of :data:`BATCH`: each batch's Newton
    runs (:func:`multistart_runs`) in this process, one batch after the other, or all of them on
    ``workers`` forked processes (:func:`~fixedpoints.numeric.parallel.map_forked`); the points
    go to ``add`` in the same order either way. ``progress(done, total)`` counts starts."""
    n = len(x0s)
    chunks = [list(range(c, min(c + BATCH, n))) for c in range(0, n, BATCH)]

    common = {"retries": retries, "escaped": escaped, "tol": tol, "max_iter": max_iter}

    def runs_of(chunk):
        return multistart_runs(problem, [x0s[s] for s in chunk], **common)

    runs = [None] * len(chunks)  # None: computed by multistart, batch by batch
    if workers > 1 and len(chunks) > 1:
        tick = None if progress is None else (lambda d, m: progress(min(n, d * BATCH), n))
        runs = map_forked(runs_of, chunks, workers, progress=tick)
    for chunk, run in zip(chunks, runs, strict=True):
        xs = [x0s[s] for s in chunk]
        multistart(problem, xs, statuses=statuses, add=add, runs=run, **common)
        if progress is not None and run is None:
            progress(chunk[-1] + 1, n)
