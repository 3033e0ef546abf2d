r"""Saddle-to-saddle plateau sequences of two-homogeneous networks from small initialization.

From :math:`w(0)=\delta w_0`, :math:`\delta\to0`, gradient flow on the square loss visits a sequence of
saddles (plateaus of the loss). In rescaled time :math:`\tau=t/\ln(1/\delta)` the sequence is
predicted by alternating *utility maximization* over dormant neurons and *cost minimization* over the
active ones (Kumar & Haupt 2024; Pesme & Flammarion 2023; Kunin et al. 2025; recipe of §6 of
``papers/kumar_haupt_2024_two_homogeneous.md``):

1. at the current saddle (active neurons, residual :math:`r_k`), the dormant neurons align in O(1) time
   with local maxima :math:`u_j` of the residual NCF :math:`\mathcal N_{r_k}` on the sphere
   (:func:`fixedpoints.numeric.ncf.kkt_points`); neurons in one basin form one *cluster*;
2. a cluster's log-norm gain :math:`G_j(\tau)=\int_0^\tau2\mathcal N_{r(\tau')}(u_j(\tau'))d\tau'` is
   **carried across saddles** (never reset): it grows at rate :math:`2\mathcal N_{r_k}(u_j)` on plateau
   :math:`k`, possibly negative;
3. the next jump is at the first :math:`\tau` with :math:`G_j(\tau)=1`; clusters reaching 1 at the same
   time activate together;
4. cost minimization over the active neurons plus the activated clusters (one neuron per cluster,
   started from the saddle plus a small step along :math:`u_j`) gives the next saddle; the dormant
   clusters then flow (Riemannian ascent) to the maxima of the new residual NCF, keeping their gains;
   a positive maximum no cluster reaches is populated with gain 0 (neurons from a zero-value set);
5. stop when no positive KKT point remains (a local or the global minimum).

Linear networks :math:`W_2W_1x` have a quadratic NCF whose every singular mode grows in parallel (the
hidden layer is rotation invariant), so they use the closed form (Saxe, McClelland & Ganguli 2014):
plateau :math:`k` has loss :math:`c\sum_{i>k}s_i^2` and mode :math:`k` is learned at
:math:`\tau_k=1/(2cs_k)` (:math:`c=\tfrac12`: :math:`1/s_k`). The diagonal linear network uses the
Pesme–Flammarion algorithm (:func:`diagonal_saddle_to_saddle`), an independent check of the same
clock rule.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import ModelError, out_of_range
from fixedpoints.numeric.ncf import ResidualNCF, kkt_points, sphere_ascent
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.results import Plateau, SaddleSequence

__all__ = [
    "minimize_active",
    "saddle_to_saddle",
    "linear_saddle_to_saddle",
    "diagonal_saddle_to_saddle",
]


def _r(x, digits=10):
    x = round(float(x), digits)
    return 0.0 if x == 0 else x


def linear_saddle_to_saddle(kernels, V, *, width: int | None = None, tol: float = 1e-12):
    """Closed-form plateaus of a two-layer linear network on whitened input.

    The target map is :math:`S=B^\\top V` (o×d) with singular values :math:`s_1\\ge s_2\\ge\\dots`;
    plateau k (after the k largest modes) has loss :math:`c\\sum_{i>k}s_i^2` and starts at
    :math:`\\tau_k=1/(2cs_k)`; equal singular values (relative ``1e-9``) are learned together. At most
    ``width`` modes are learned (the rank of :math:`W_2W_1`).
    """
    b, V = np.asarray(kernels.b, float), np.atleast_2d(np.asarray(V, float))
    c = float(kernels.scale)
    U, s, Vt = np.linalg.svd(b.T @ V)
    rank = int(np.sum(s > tol * max(1.0, s.max(initial=0.0))))
    limit = rank if width is None else min(rank, int(width))
    notes = ["closed form: singular modes grow in parallel, mode k learned at 1/(2 c s_k)"]
    plateaus = [Plateau(_r(c * np.sum(s**2)), 0.0, (), _r(c * s[0]) if s.size else 0.0)]
    active, i = [], 0
    while i < limit:
        j = i + 1
        while j < limit and abs(s[j] - s[i]) <= 1e-9 * s[i]:
            j += 1
        for m in range(i, j):
            active.append(
                {
                    "mode": m + 1,
                    "singular_value": _r(s[m]),
                    "direction": [_r(x) for x in Vt[m]],
                    "output": [_r(x) for x in U[:, m]],
                    "amplitude": _r(s[m]),
                }
            )
        nxt = _r(c * s[j]) if j < s.size and s[j] > tol else 0.0
        plateaus.append(
            Plateau(_r(c * np.sum(s[j:] ** 2)), _r(1 / (2 * c * s[i])), tuple(active), nxt)
        )
        i = j
    if limit < rank:
        notes.append(f"width {width} < rank {rank}: the sequence stops at rank {width}")
    return SaddleSequence(tuple(plateaus), "linear closed form", tuple(notes))


def _neurons(W, a, o):
    return tuple(
        {
            "direction": [_r(x) for x in w / max(np.linalg.norm(w), 1e-300)],
            "output": [_r(x) for x in a[i] / max(np.linalg.norm(a[i]), 1e-300)],
            "amplitude": _r(np.linalg.norm(a[i]) * np.linalg.norm(w)),
        }
        for i, w in enumerate(W)
    )


def saddle_to_saddle(
    kernels,
    V,
    *,
    width: int | None = None,
    seed: int = 0,
    starts: int = 24,
    max_plateaus: int = 20,
    positive_tol: float = 1e-6,
    step: float = 1e-2,
    progress=None,
):
    """Plateau sequence of a two-homogeneous two-layer network (module docstring, steps 1–5).

    Parameters
    ----------
    kernels : PairKernels
        Square loss, trainable second layer, positively 1-homogeneous activation.
    V : array (m, d)
        Teacher vectors.
    width : int, optional
        Student width: at most this many neurons become active (a note says so when it binds).
    seed, starts : int
        Seed and number of random starts of the KKT search at each saddle.
    max_plateaus : int
    positive_tol : float
        A KKT value counts as positive above ``positive_tol``·(1 + max |N|).
    step : float
        Norm of the step along an activated cluster's direction that starts cost minimization.
    progress : callable, optional
        Called as ``progress(k)`` after plateau ``k`` is found.

    Returns
    -------
    SaddleSequence
    """
    if not kernels.square:
        raise ModelError("saddle-to-saddle needs the square loss (`loss.kind = square`)")
    if int(max_plateaus) < 1:
        raise out_of_range("max_plateaus", max_plateaus, "an integer >= 1")
    rng = np.random.default_rng(seed)
    pop = PopulationLoss(kernels, V)
    V = np.atleast_2d(np.asarray(V, float))
    d, o = V.shape[1], np.asarray(kernels.b).shape[1]
    W, a = np.zeros((0, d)), np.zeros((0, o))
    ncf = ResidualNCF(kernels, V, W, a)
    notes = ["gains carried across saddles (clock never reset); one neuron per activated cluster"]
    pts = kkt_points(ncf, starts=starts, roots=starts, seed=seed)
    tol = positive_tol * (1 + max((abs(p.value) for p in pts), default=0.0))
    clusters = [{"u": np.array(p.direction), "gain": 0.0} for p in pts if p.kind == "local max"]
    clusters = [c for c in clusters if ncf.value(c["u"]) > tol]
    tau, loss = 0.0, float(pop.constant)
    plateaus = [Plateau(_r(loss), 0.0, (), _r(pts[0].value) if pts else 0.0, _kkt(pts))]
    while len(plateaus) < max_plateaus:
        if progress is not None:
            progress(len(plateaus) - 1)
        if not any(p.value > tol for p in pts):
            notes.append("stopped: no positive KKT point of the residual NCF remains")
            break
        rates = np.array([2 * ncf.value(c["u"]) for c in clusters])
        gains = np.array([c["gain"] for c in clusters])
        wait = np.where(rates > tol, (1 - gains) / np.where(rates > tol, rates, 1.0), np.inf)
        if not np.isfinite(wait).any():
            notes.append("stopped: no dormant cluster has a positive NCF value")
            break
        dt = max(float(wait.min()), 0.0)
        group = [i for i in range(len(clusters)) if wait[i] <= dt + 1e-9 * (1 + tau + dt)]
        if width is not None and W.shape[0] + len(group) > int(width):
            notes.append(f"stopped: width {width} reached (all neurons active)")
            break
        tau += dt
        for c, r in zip(clusters, rates, strict=True):
            c["gain"] += r * dt
        new = [clusters[i]["u"] for i in group]
        clusters = [c for i, c in enumerate(clusters) if i not in group]
        W0 = np.vstack([W, *[step * u[o:] for u in new]])
        a0 = np.vstack([a, *[step * u[:o] for u in new]])
        W, a, loss = minimize_active(pop, W0, a0)
        keep = np.linalg.norm(a, axis=1) * np.linalg.norm(W, axis=1) > 1e-8
        if not keep.all():
            notes.append(f"{int(np.sum(~keep))} neuron(s) deactivated at plateau {len(plateaus)}")
            W, a = W[keep], a[keep]
        ncf = ResidualNCF(kernels, V, W, a)
        clusters = _reflow(ncf, clusters, rng)
        pts = kkt_points(
            ncf, starts=starts, roots=starts, seed=seed, extra_starts=[c["u"] for c in clusters]
        )
        for p in pts:
            u = np.array(p.direction)
            if (
                p.kind == "local max"
                and p.value > tol
                and all(c["u"] @ u < 1 - 1e-6 for c in clusters)
            ):
                clusters.append({"u": u, "gain": 0.0})
                notes.append(f"plateau {len(plateaus)}: a new NCF maximum populated with gain 0")
        ncf_max = _r(pts[0].value) if pts else 0.0
        plateaus.append(
            Plateau(_r(max(loss, 0.0), 9), _r(tau), _neurons(W, a, o), ncf_max, _kkt(pts))
        )
    return SaddleSequence(tuple(plateaus), "population NCF (carried gains)", tuple(notes))


def _kkt(pts):
    return tuple(p.to_dict(8) for p in pts)


def _reflow(ncf, clusters, rng):
    """Dormant clusters flow to the maxima of the new residual NCF (a tiny seeded perturbation
    leaves unstable KKT points); clusters reaching one maximum merge, keeping the largest gain."""
    out = []
    for c in clusters:
        x = c["u"] + 1e-4 * rng.standard_normal(c["u"].shape)
        u = sphere_ascent(ncf, x / np.linalg.norm(x))
        for e in out:
            if e["u"] @ u > 1 - 1e-6:
                e["gain"] = max(e["gain"], c["gain"])
                break
        else:
            out.append({"u": u, "gain": c["gain"]})
    return out


def diagonal_saddle_to_saddle(X, y, *, max_plateaus: int = 50, tol: float = 1e-10):
    """Pesme–Flammarion algorithm for the diagonal linear network :math:`\\beta=u\\odot v` on
    :math:`L(\\beta)=\\frac1{2n}\\|X\\beta-y\\|^2`, rescaled time :math:`t/\\ln(1/\\alpha)`.

    Starting from :math:`s=0`, :math:`\\beta=0`: β minimizes L with :math:`\\beta_i\\ge0` where
    :math:`s_i=1`, :math:`\\le0` where :math:`s_i=-1`, 0 where :math:`|s_i|<1`; the next jump is
    after :math:`\\Delta=\\inf\\{D>0:\\exists i,|s_i-D\\nabla_iL(\\beta)|>1\\}`, then
    :math:`s\\leftarrow s-\\Delta\\nabla L(\\beta)`. :math:`s` is the accumulated gain (carried, never
    reset). Returns a :class:`SaddleSequence` whose ``active`` lists the support.
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    n, p = X.shape
    s, beta, tau = np.zeros(p), np.zeros(p), 0.0
    L = float(np.sum((X @ beta - y) ** 2) / (2 * n))
    plateaus = [Plateau(_r(L), 0.0, (), None)]
    for _ in range(max_plateaus):
        g = X.T @ (X @ beta - y) / n
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(g < -tol, (1 - s) / -g, np.inf)
            down = np.where(g > tol, (1 + s) / g, np.inf)
        D = float(np.min(np.minimum(up, down)))
        if not np.isfinite(D):
            break
        tau += D
        s = np.clip(s - D * g, -1.0, 1.0)
        beta = _sign_constrained_lsq(X, y, s, tol)
        L = float(np.sum((X @ beta - y) ** 2) / (2 * n))
        support = tuple(int(i) for i in np.flatnonzero(np.abs(beta) > 1e-9))
        plateaus.append(Plateau(_r(L), _r(tau), support, None))
    return SaddleSequence(tuple(plateaus), "Pesme-Flammarion", ())


def _sign_constrained_lsq(X, y, s, tol):
    """min ‖Xβ−y‖² with β_i ≥ 0 (s_i = 1), ≤ 0 (s_i = −1), 0 otherwise: NNLS on signed columns
    by projected coordinate descent (small problems)."""
    free = np.flatnonzero(np.abs(np.abs(s) - 1) <= 1e-9)
    beta = np.zeros(X.shape[1])
    if free.size == 0:
        return beta
    A = X[:, free] * s[free]
    z = np.zeros(free.size)
    G, h = A.T @ A, A.T @ y
    for _ in range(100000):
        z_old = z.copy()
        for i in range(free.size):
            if G[i, i] > 0:
                z[i] = max(0.0, z[i] + (h[i] - G[i] @ z) / G[i, i])
        if np.max(np.abs(z - z_old)) <= 1e-15 * (1 + np.max(np.abs(z))):
            break
    beta[free] = z * s[free]
    return beta


def minimize_active(population, W0, a0, *, gtol: float = 1e-12, maxiter: int = 20000):
    """Cost minimization over the active neurons: L-BFGS on the population loss from
    ``(W0, a0)`` (the current saddle plus the newly activated neurons). Returns ``(W, a, loss)``."""
    W0, a0 = np.asarray(W0, float), np.asarray(a0, float)
    k, d = W0.shape

    def f(x):
        W, a = x[: k * d].reshape(k, d), x[k * d :].reshape(a0.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            gW, ga = population.gradient(W, a)
            L = float(population.loss(W, a))
        return L, np.concatenate([np.ravel(gW), np.ravel(ga)])

    x0 = np.concatenate([W0.ravel(), a0.ravel()])
    from scipy.optimize import minimize  # here: scipy.optimize loads in 0.2 s

    res = minimize(
        f, x0, jac=True, method="L-BFGS-B", options={"gtol": gtol, "ftol": 0, "maxiter": maxiter}
    )
    W, a = res.x[: k * d].reshape(k, d), res.x[k * d :].reshape(a0.shape)
    return W, a, float(res.fun)
