r"""Şimşek, Bendjeddou & Hsu (2025): which index vector each neuron finds, and the probability that
``n`` independent neurons find all ``k`` of them (claims 2, simulation part, and 5 of the issue).

Every neuron of the ``multi-index`` preset (correlation loss, fixed second layer) follows its own
spherical gradient flow, so a width-``n`` network is ``n`` independent draws of one neuron. What is
computed here:

* **Nearest index vector** (orthogonal ``G = I``): weight-space gradient descent (the preset
  protocol, ``d = 1000``) for He4, and the overlap ODE from exactly sampled initial overlaps for He3.
* **Basin frequencies and the coupon collector** (He4, ``G = I``, ``k = 3 … 20``): the overlap ODE
  for many neurons per ``k``; the per-neuron frequencies :math:`f_j` give
  :math:`P_n=\sum_{S\subseteq[k]}(-1)^{|S|}(1-\sum_{j\in S}f_j)^n` (inclusion–exclusion), compared
  with disjoint groups of ``n`` simulated neurons and with the coupon-collector law (mean collection
  time :math:`kH_k`, median :math:`\approx k\ln k+k\ln(1/\ln2)`).
* **Collapse above** :math:`\beta_c` (He3, ``k = 3``, :math:`\beta_c=1/4`): equiangular index vectors;
  below :math:`\beta_c` most neurons reach a near-index minimum, above it every neuron reaches the
  averaged point, so :math:`P_n=0` for every ``n``.

For odd :math:`\varphi` (He3) the equator :math:`m=0` is a degenerate critical point. Neurons that
start with every overlap negative shrink towards it; with ``G = I`` they stay there (probability
:math:`2^{-k}`), and for equiangular ``G`` the all-negative diagonal direction stays attracting for
:math:`\beta<1/(k+1)` (which equals :math:`\beta_c=(p-2)/(k+p-2)` for p = 3), so a fraction of them
(about 10 % at β = 0.1) never reach any index vector. Just above the threshold they leave, but only after
shrinking by many orders of magnitude, so a gradient tolerance or a finite ``t_max`` stops them near
:math:`m=0`. The integrator here follows them down to :math:`\max_j|m_j|=10^{-12}`.

The neurons are integrated with the library's compiled flow (``fp.compile_flow``, pair-vectorised,
all neurons in one call). The paper's closed form :math:`\dot m_j=\sum_l(G_{jl}-m_jm_l)\varphi'(m_l)`,
with :math:`\varphi` read off the loss derived by ``fp.derive`` (:func:`overlap_rhs`), checks it
independently. Initial overlaps of a uniform point :math:`w=g/|g|` on :math:`S^{d-1}` are sampled
exactly: :math:`m=Lz/\sqrt{|z|^2+\chi^2_{d-k}}`, :math:`z\sim\mathcal N(0,I_k)`, :math:`G=LL^\top`.
"""

from __future__ import annotations

import functools
import math
import pathlib
import time

import numpy as np
import sympy as sp

import fixedpoints as fp

HERE = pathlib.Path(__file__).resolve().parent
SEED = 0
WEIGHT_RUNS = 100  # weight-space neurons, He4, k = 3, d = 1000
D_ORTH = 1000  # input dimension of the orthogonal simulations
HE3_NEURONS = 2000  # overlap-ODE neurons, He3, k = 3, d = 1000
KS = tuple(range(3, 21))  # k = 3 ... 20
SE_TARGET = 0.03  # standard error of (mean collection time)/(k H_k) that fixes the neurons per k
D_EQUI = 2000  # input dimension of the equiangular simulations
EQUI_NEURONS = 1000  # neurons per beta for the claims
BETAS_CLAIM = (0.1, 0.35)  # below / above beta_c = 1/4 (He3, k = 3)
BETAS_SWEEP = (0.0, 0.05, 0.1, 0.15, 0.2, 0.23, 0.27, 0.3, 0.35, 0.4, 0.5)
SWEEP_NEURONS = 300
N_RECOVERY = 20  # network width for the recovery claims across beta_c
LEVEL = 0.5  # P_n >= LEVEL defines n_{1/2}
FIGURE_KS = (3, 5, 10, 20)  # recovery curves drawn in the figure


# ---------------------------------------------------------------------------------------------
# overlap ODE
# ---------------------------------------------------------------------------------------------


def phi_prime_coefficients(target: str) -> np.ndarray:
    r"""Coefficients of :math:`\varphi'(t)=\sum_p p\,c_p^2p!\,t^{p-1}` (index = power of ``t``).

    :math:`\varphi` is read off the loss :math:`\mathcal L=-\varphi(m)` that ``fp.derive`` returns
    for one index vector (``k = n = 1``).

    Parameters
    ----------
    target : str
        Hermite expression, e.g. ``"He4"`` (:math:`\varphi=24t^4`, :math:`\varphi'=96t^3`).

    Returns
    -------
    ndarray
        ``c`` with :math:`\varphi'(t)=\sum_i c_i t^i`.
    """
    flow = fp.derive(fp.load_model("multi-index", {"k": 1, "n": 1, "target": target}))
    (m,) = flow.variables
    dphi = sp.Poly(sp.diff(-flow.loss, m), m)
    return np.array([float(c) for c in reversed(dphi.all_coeffs())])


def overlap_rhs(m: np.ndarray, G: np.ndarray | None, dphi: np.ndarray) -> np.ndarray:
    r"""Batched overlap ODE :math:`F_j(m)=\sum_l(G_{jl}-m_jm_l)\varphi'(m_l)`.

    Parameters
    ----------
    m : ndarray (N, k)
        Overlaps of ``N`` neurons.
    G : ndarray (k, k) or None
        Gram matrix of the index vectors (None: identity).
    dphi : ndarray
        Coefficients of :math:`\varphi'` (:func:`phi_prime_coefficients`).

    Returns
    -------
    ndarray (N, k)
        :math:`F = \varphi'(m)\,G - m\,\langle m,\varphi'(m)\rangle`.
    """
    p = _poly(dphi, m)
    drive = p if G is None else p @ G
    return drive - m * np.sum(m * p, axis=1, keepdims=True)


def _poly(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    r""":math:`\sum_i c_i x^i` element-wise (nonzero terms only, powers by repeated products)."""
    p = np.full_like(x, c[0]) if len(c) else np.zeros_like(x)
    power = x
    for i, ci in enumerate(c[1:], start=1):
        if i > 1:
            power = power * x
        if ci != 0:
            p += ci * power
    return p


@functools.cache
def overlap_system(k: int, target: str):
    """The compiled overlap flow of one neuron and ``k`` index vectors (``beta`` an argument)."""
    return fp.compile_flow(fp.load_model("multi-index", {"k": k, "n": 1, "target": target}))


def rhs_deviation(k: int, beta: float, target: str, points: int = 20, seed: int = SEED) -> float:
    r"""Max :math:`|F_{\rm batched}(m)-F_{\rm derived}(m)|` over random ``m`` in :math:`[-1,1]^k`.

    The derived right-hand side is ``fp.compile_flow(fp.derive(model)).vector_field``.
    """
    model = fp.load_model("multi-index", {"k": k, "n": 1, "target": target, "beta": beta})
    system = fp.compile_flow(fp.derive(model))  # the pair-vectorised flow `integrate` uses
    m = np.random.default_rng(seed).uniform(-1, 1, (points, k))
    batched = overlap_rhs(m, equiangular(k, beta), phi_prime_coefficients(target))
    derived = np.array([system.vector_field(x) for x in m])
    return float(np.max(np.abs(batched - derived)))


def equiangular(k: int, beta: float) -> np.ndarray:
    r""":math:`G=(1-\beta)I+\beta\mathbf 1\mathbf 1^\top`."""
    return (1 - beta) * np.eye(k) + beta * np.ones((k, k))


def _sphere_overlaps(N: int, k: int, d: int, G: np.ndarray | None, rng) -> np.ndarray:
    """Exact initial overlaps of ``N`` uniform points on :math:`S^{d-1}`
    (``fp.sphere_overlaps``)."""
    return fp.sphere_overlaps(rng.standard_normal((N, k)), d, rng, G)


def integrate(
    m0: np.ndarray,
    target: str,
    beta: float = 0.0,
    *,
    eta: float = 0.1,
    tol: float = 1e-7,
    floor: float = 1e-12,
    max_steps: int = 20000,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Integrate the overlap ODE of every neuron to a fixed point: the derived flow of the
    ``multi-index`` preset (``k`` index vectors, one neuron, equiangular Gram matrix with
    ``beta``; ``fp.compile_flow``, all neurons in one batched call), with Heun's method and a step
    per neuron, through the library's ODE engine (``fp.ode.solve`` with ``fp.ode.HEUN`` and a
    ``fp.ode.StepRule``).

    The step of neuron ``i`` is :math:`h_i=\min(1/J_i,\ \eta\max_j|m_{ij}|/\max_j|F_{ij}|)`: a
    relative change ≤ η per step (a time change, which leaves the orbits and therefore the endpoints
    unchanged), and inside Heun's stability limit (:math:`h|\lambda|\le1<2`), with :math:`J_i` the
    Gershgorin bound on the spectral radius of the Jacobian
    :math:`G\,{\rm diag}\,\varphi''(m)-\langle m,\varphi'(m)\rangle I-m(\varphi'+m\varphi'')^\top`
    (off-diagonal entries of ``G`` bounded by their largest modulus). A neuron stops when
    :math:`\max_j|F_j|<` ``tol`` away from the equator (:math:`\max_j|m_j|>10^{-2}`), or when
    :math:`\max_j|m_j|<` ``floor``: :math:`m=0` is a degenerate critical point
    (:math:`|F|=O(|m|^{p^*-1})`), near which a tolerance on :math:`|F|` would stop neurons that are
    still on their way out (e.g. all overlaps negative for He3 with β > 0).

    Returns
    -------
    m : ndarray (N, k)
        Final overlaps.
    converged : ndarray (N,) of bool
    """
    k = m0.shape[1]
    system = overlap_system(k, target)
    params = {"beta": float(beta)}
    G = None if beta == 0 else equiangular(k, beta)
    dphi = phi_prime_coefficients(target)
    gdiag = 1.0 if G is None else np.diag(G)
    off = 0.0 if G is None else float(np.max(np.abs(G - np.diag(np.diag(G)))))
    d2 = np.array([i * c for i, c in enumerate(dphi)][1:]) if len(dphi) > 1 else np.zeros(1)

    def stiffness(m):
        """The Gershgorin bound J(m) of the Jacobian's spectral radius."""
        p1, p2 = _poly(dphi, m), _poly(d2, m)
        mp1 = m * p1
        S = np.sum(mp1, axis=1, keepdims=True)
        a, mp2 = np.abs(m), np.abs(m * p2)
        q = np.abs(p1) + mp2
        diag = np.abs(p2 * (gdiag - m * m) - S - mp1)
        radius = a * (np.sum(q, axis=1, keepdims=True) - q)
        if off:
            ap2 = np.abs(p2)
            radius += off * (np.sum(ap2, axis=1, keepdims=True) - ap2)
        return np.max(diag + radius, axis=1)

    def step(t, m, F):
        fmax, mmax = np.max(np.abs(F), axis=1), np.max(np.abs(m), axis=1)
        return np.minimum(1.0 / stiffness(m), eta * mmax / fmax)

    def stop(t, m, F, ids):
        # m = 0 is a degenerate critical point (|F| ~ |m|^{p*-1}): follow the flow through it
        fmax, mmax = np.max(np.abs(F), axis=1), np.max(np.abs(m), axis=1)
        return ((fmax < tol) & (mmax > 1e-2)) | (mmax < floor)

    sol = fp.ode.solve(
        lambda m: system.vector_field(m.T, params).T,
        np.array(m0, dtype=float),
        np.inf,
        tableau=fp.ode.HEUN,
        control=fp.ode.StepRule(step),
        stop=stop,
        max_steps=max_steps,
    )
    return np.array(sol.states), np.array([s == "stopped" for s in sol.status])


# ---------------------------------------------------------------------------------------------
# coupon collector
# ---------------------------------------------------------------------------------------------


def harmonic(k: int) -> float:
    r""":math:`H_k=\sum_{i=1}^k 1/i`."""
    return float(sum(1.0 / i for i in range(1, k + 1)))


def collection_time_sd(k: int) -> float:
    r"""Standard deviation of the coupon-collector time, :math:`\sqrt{k^2\sum_{i\le k}i^{-2}-kH_k}`."""
    return math.sqrt(k * k * sum(1.0 / i**2 for i in range(1, k + 1)) - k * harmonic(k))


def _subsets(f) -> tuple[np.ndarray, np.ndarray]:
    r"""For every subset :math:`S\subseteq[k]` (bitmask order): :math:`\ln(1-\sum_{j\in S}f_j)` and
    :math:`(-1)^{|S|}`."""
    fs, sign = np.zeros(1), np.ones(1)
    for fj in np.asarray(f, dtype=float):  # S without j, then S with j
        fs = np.concatenate([fs, fs + fj])
        sign = np.concatenate([sign, -sign])
    with np.errstate(divide="ignore"):
        return np.log(np.clip(1.0 - fs, 0.0, 1.0)), sign


def _inclusion_exclusion(log_base: np.ndarray, sign: np.ndarray, n: int) -> float:
    if n == 0:
        return float(len(sign) == 1)  # k = 0: nothing to find
    return float(np.sum(sign * np.exp(n * log_base)))


def recovery_probability(f, n) -> np.ndarray:
    r"""Probability that ``n`` independent neurons find every index vector (inclusion–exclusion).

    :math:`P_n=\sum_{S\subseteq[k]}(-1)^{|S|}\bigl(1-\sum_{j\in S}f_j\bigr)^n`, where :math:`f_j` is
    the probability that one neuron finds vector ``j`` (:math:`\sum_jf_j\le1`; the rest find none).
    All :math:`2^k` subsets are enumerated (``k`` ≤ 20 here). For :math:`f_j=1/k` this is the
    coupon-collector law :func:`coupon_probability`.

    Parameters
    ----------
    f : array_like (k,)
    n : int or array_like of int

    Returns
    -------
    ndarray, shape of ``n``
    """
    log_base, sign = _subsets(f)
    n_arr = np.atleast_1d(np.asarray(n))
    out = np.array([_inclusion_exclusion(log_base, sign, int(x)) for x in n_arr])
    return out.reshape(np.shape(n))


def coupon_probability(k: int, n) -> np.ndarray:
    r"""Coupon collector, :math:`P_n=\sum_{s=0}^k(-1)^s\binom ks(1-s/k)^n` (all :math:`f_j=1/k`)."""
    s = np.arange(k + 1)
    w = np.array([(-1) ** int(i) * math.comb(k, int(i)) for i in s], dtype=float)
    n_arr = np.atleast_1d(np.asarray(n, dtype=float))
    return (w * (1 - s / k) ** n_arr[:, None]).sum(axis=1).reshape(np.shape(n))


def _first_reaching(P, level: float, n_max: int) -> int:
    lo, hi = 0, 1
    while P(hi) < level:
        lo, hi = hi, 2 * hi
        if hi > n_max:
            return n_max + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if P(mid) >= level else (mid, hi)
    return hi


def neurons_needed(f, level: float = LEVEL, n_max: int = 100000) -> int:
    r"""Smallest ``n`` with :math:`P_n\ge` ``level`` (:func:`recovery_probability`, nondecreasing in
    ``n``; bisection). ``n_max + 1`` when not reached (e.g. some :math:`f_j=0`)."""
    log_base, sign = _subsets(f)
    return _first_reaching(lambda n: _inclusion_exclusion(log_base, sign, n), level, n_max)


def coupon_median(k: int, level: float = LEVEL) -> int:
    r"""Smallest ``n`` with :func:`coupon_probability` ≥ ``level`` (the coupon-collector median for
    ``level = 1/2``; :math:`\approx k\ln k+k\ln(1/\ln2)` for large ``k``)."""
    return _first_reaching(lambda n: float(coupon_probability(k, n)), level, 10**6)


def collection_times(labels: np.ndarray, k: int) -> np.ndarray:
    r"""Split a stream of neuron outcomes into consecutive collection episodes.

    An episode ends at the first neuron with which every label ``0 … k-1`` has been seen (label −1:
    no index vector); its length is one draw of the collection time ``T``. The incomplete tail is
    dropped.
    """
    times, seen, start = [], set(), 0
    for i, lab in enumerate(labels):
        if lab >= 0:
            seen.add(int(lab))
        if len(seen) == k:
            times.append(i + 1 - start)
            seen, start = set(), i + 1
    return np.array(times, dtype=float)


def empirical_recovery(labels: np.ndarray, k: int, n: int) -> tuple[float, int]:
    """Fraction of disjoint consecutive groups of ``n`` neurons that contain every label; groups."""
    groups = len(labels) // n
    if groups == 0:
        return float("nan"), 0
    lab = labels[: groups * n].reshape(groups, n)
    found = np.zeros((groups, k + 1), dtype=bool)
    found[np.repeat(np.arange(groups), n), lab.ravel() + 1] = True  # column 0: label -1
    return float(np.mean(found[:, 1:].all(axis=1))), groups


# ---------------------------------------------------------------------------------------------
# simulations
# ---------------------------------------------------------------------------------------------


def weight_space_nearest(runs: int = WEIGHT_RUNS, d: int = D_ORTH, seed: int = SEED) -> dict:
    r"""He4, ``k = 3``, ``G = I``: weight-space GD (preset protocol) from uniform points on the sphere.

    A neuron *finds the nearest index vector* when :math:`\arg\max_j|m_j(t_{\rm end})|=
    \arg\max_j|m_j(0)|` and :math:`\max_j|m_j(t_{\rm end})|=1\pm10^{-3}`
    (for even :math:`\varphi` the sign of :math:`v_j` is irrelevant: :math:`\pm v_j` give the same
    neuron output).
    """
    model = fp.load_model("multi-index", {"k": 3, "n": 1, "target": "He4", "beta": 0.0, "d": d})
    res = fp.simulate(model, runs=runs, seed=seed)
    V = res.V
    m0 = res.W0[:, 0] @ V.T
    m1 = res.W[:, 0] @ V.T
    top = np.max(np.abs(m1), axis=1)
    ok = (np.argmax(np.abs(m0), axis=1) == np.argmax(np.abs(m1), axis=1)) & (
        np.abs(top - 1) <= 1e-3
    )
    return {
        "fraction": float(np.mean(ok)),
        "converged": float(np.mean([s == "converged" for s in res.status])),
        "max_stop_time": float(np.max(res.stop_times)),
        "runs": runs,
    }


def he3_nearest(N: int = HE3_NEURONS, d: int = D_ORTH, seed: int = SEED) -> dict:
    r"""He3, ``k = 3``, ``G = I``, overlap ODE from exact initial overlaps (``d = 1000``).

    :math:`\varphi=6t^3` is odd, so "nearest" is the largest *signed* overlap: a neuron with
    :math:`\max_jm_j(0)>0` should end at :math:`+v_{\arg\max m_j(0)}` (:math:`m_j=1\pm10^{-3}`). A
    neuron with every :math:`m_j(0)<0` (probability :math:`2^{-k}`) keeps them negative and creeps
    to the equator :math:`m=0` (here: :math:`\max_j|m_j|<10^{-2}`).
    """
    rng = np.random.default_rng(seed + 1)
    m0 = _sphere_overlaps(N, 3, d, None, rng)
    m1, conv = integrate(m0, "He3")
    pos = np.max(m0, axis=1) > 0
    at_vec = (np.argmax(m1, axis=1) == np.argmax(m0, axis=1)) & (
        np.abs(np.max(m1, axis=1) - 1) <= 1e-3
    )
    equator = np.max(np.abs(m1), axis=1) < 1e-2
    return {
        "fraction_positive_nearest": float(np.mean(at_vec[pos])),
        "fraction_equator": float(np.mean(equator)),
        "fraction_all_negative": float(np.mean(~pos)),
        "equator_is_all_negative": bool(np.array_equal(equator, ~pos)),
        "converged": float(np.mean(conv)),
        "neurons": N,
    }


def neurons_per_k(k: int, se: float = SE_TARGET) -> int:
    r"""Neurons :math:`N_k=\lceil{\rm sd}_k^2/(kH_k\,{\rm se}^2)\rceil` for about
    :math:`N_k/(kH_k)` collection episodes, so that the mean collection time over :math:`kH_k` has
    standard error ``se`` (``sd_k``: :func:`collection_time_sd`)."""
    return math.ceil(collection_time_sd(k) ** 2 / (k * harmonic(k) * se**2))


def orthogonal_basins(ks=KS, se: float = SE_TARGET, d: int = D_ORTH, seed: int = SEED) -> dict:
    r"""He4, ``G = I``: per-neuron basin frequencies and collection statistics for every ``k``.

    For each ``k``, :math:`N_k` (:func:`neurons_per_k`) neurons are integrated with the overlap ODE;
    neuron ``i`` finds vector :math:`j=\arg\max_j|m_j|` when that overlap ends at
    :math:`1\pm10^{-3}` (label −1 otherwise).

    Returns
    -------
    dict
        Per ``k`` (lists): neurons, frequencies, fraction ending at :math:`\arg\max_j|m_j(0)|`,
        max |z| of :math:`\hat f_j-1/k` (binomial SE), collection times (mean, median, episodes),
        ``n_{1/2}`` from inclusion–exclusion with :math:`\hat f` and the exact coupon-collector
        median, and the stored labels (for the figure).
    """
    rng = np.random.default_rng(seed + 2)
    out = {
        k: []
        for k in (
            "k",
            "neurons",
            "freq",
            "nearest",
            "max_z",
            "mean_T",
            "median_T",
            "T_episodes",
            "n_half_ie",
            "n_half_cc",
            "labels",
        )
    }
    for k in ks:
        N = neurons_per_k(k, se)
        m0 = _sphere_overlaps(N, k, d, None, rng)
        m1, _ = integrate(m0, "He4")
        a = np.abs(m1)
        j = np.argmax(a, axis=1)
        labels = np.where(np.abs(a[np.arange(N), j] - 1) <= 1e-3, j, -1)
        f = np.bincount(labels[labels >= 0], minlength=k) / N
        binomial_se = math.sqrt((1 / k) * (1 - 1 / k) / N)
        T = collection_times(labels, k)
        out["k"].append(k)
        out["neurons"].append(N)
        out["freq"].append(f.tolist())
        out["nearest"].append(float(np.mean(labels == np.argmax(np.abs(m0), axis=1))))
        out["max_z"].append(float(np.max(np.abs(f - 1 / k)) / binomial_se))
        out["mean_T"].append(float(np.mean(T)))
        out["median_T"].append(float(np.median(T)))
        out["T_episodes"].append(len(T))
        out["n_half_ie"].append(neurons_needed(f))
        out["n_half_cc"].append(coupon_median(k))
        out["labels"].append(labels)
    return out


def near_index_minima(k: int, beta: float, target: str = "He3") -> np.ndarray | None:
    r"""Near-index minima: the endpoints of the flow started at :math:`w=v_j` (:math:`m=Ge_j`),
    rows ``j``; None when that flow ends at the averaged point (above :math:`\beta_c`)."""
    m, _ = integrate(equiangular(k, beta), target, beta, tol=1e-12)
    if np.all(np.ptp(m, axis=1) <= 1e-3 * np.max(np.abs(m), axis=1)):
        return None
    return m


def equiangular_outcomes(beta: float, N: int, k: int = 3, d: int = D_EQUI, seed: int = SEED):
    r"""He3, equiangular ``G``: label each neuron's endpoint (overlap ODE, exact initial overlaps).

    Labels: ``j`` (0 … k−1) when :math:`\|m-m^*_j\|_\infty<10^{-3}` for the near-index minimum
    :math:`m^*_j` (:func:`near_index_minima`); −2 *averaged* (all :math:`m_j>0`,
    :math:`\max m-\min m\le10^{-3}\max m`); −3 *equator* (:math:`\max|m_j|<10^{-2}`); −1 other or
    not converged.

    Returns
    -------
    labels : ndarray (N,) of int
    """
    rng = np.random.default_rng(seed + 3 + int(round(1000 * beta)))
    G = equiangular(k, beta)
    m1, conv = integrate(_sphere_overlaps(N, k, d, G, rng), "He3", beta)
    labels = np.full(N, -1)
    avg = np.all(m1 > 0, axis=1) & (np.ptp(m1, axis=1) <= 1e-3 * np.max(m1, axis=1))
    labels[avg] = -2
    labels[np.max(np.abs(m1), axis=1) < 1e-2] = -3
    star = near_index_minima(k, beta, "He3")
    if star is not None:
        for j in range(k):
            labels[np.max(np.abs(m1 - star[j]), axis=1) < 1e-3] = j
    labels[~conv] = -1
    return labels


def _frequencies(labels, k):
    return (np.bincount(labels[labels >= 0], minlength=k) / len(labels)).tolist()


# ---------------------------------------------------------------------------------------------
# claims and figure
# ---------------------------------------------------------------------------------------------


def _recovery_curves(orth: dict, ks=FIGURE_KS) -> dict:
    r"""For the figure: per ``k``, :math:`P_n` by inclusion–exclusion from :math:`\hat f` at every
    ``n`` up to :math:`2.6\,k\ln k`, and the fraction of disjoint groups of ``n`` simulated
    neurons that contain all ``k`` vectors (with the number of groups) at 12 values of ``n``."""
    curves = {}
    for k in ks:
        i = orth["k"].index(k)
        f, labels, klk = orth["freq"][i], orth["labels"][i], k * math.log(k)
        n = np.arange(1, int(2.6 * klk) + 1)
        ne = np.unique(np.linspace(max(2, k // 2), 2.4 * klk, 12).astype(int))
        emp = [empirical_recovery(labels, k, int(x)) for x in ne]
        curves[k] = {
            "n": n.tolist(),
            "p": recovery_probability(f, n).tolist(),
            "n_sim": ne.tolist(),
            "p_sim": [x[0] for x in emp],
            "groups": [x[1] for x in emp],
            "n_half_cc": orth["n_half_cc"][i],
        }
    return curves


def run(extras: dict) -> dict:
    """Claim id -> computed value; ``extras`` receives what :func:`figures` draws."""
    timings = {}
    t0 = time.perf_counter()
    dev = max(rhs_deviation(3, 0.0, "He4"), rhs_deviation(3, 0.1, "He3+0.5*He4"))
    timings["rhs_check"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ws = weight_space_nearest()
    timings["weight_space_He4"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    he3 = he3_nearest()
    timings["ode_He3"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    orth = orthogonal_basins()
    timings["ode_He4_k3_20"] = time.perf_counter() - t0
    ratio = [
        mt / (k * harmonic(k)) for mt, k in zip(orth["mean_T"], orth["k"], strict=True)
    ]  # mean collection time / k H_k
    z_emp = []
    for k, labels, f in zip(orth["k"], orth["labels"], orth["freq"], strict=True):
        n = orth["n_half_cc"][orth["k"].index(k)]
        p_emp, groups = empirical_recovery(labels, k, n)
        p_ie = float(recovery_probability(f, n))
        z_emp.append((p_emp - p_ie) / math.sqrt(p_ie * (1 - p_ie) / groups))

    t0 = time.perf_counter()
    equi = {beta: equiangular_outcomes(beta, EQUI_NEURONS) for beta in BETAS_CLAIM}
    sweep = {beta: equiangular_outcomes(beta, SWEEP_NEURONS) for beta in BETAS_SWEEP}
    timings["ode_He3_equiangular"] = time.perf_counter() - t0
    lo, hi = BETAS_CLAIM
    f_lo, f_hi = _frequencies(equi[lo], 3), _frequencies(equi[hi], 3)

    extras.update(
        {
            "timings": timings,
            "weight_space": ws,
            "he3": he3,
            "orth": {key: val for key, val in orth.items() if key != "labels"},
            "recovery_curves": _recovery_curves(orth),
            "z_empirical": z_emp,
            "equi_freq": {b: _frequencies(lab, 3) for b, lab in equi.items()},
            "sweep": {
                b: {
                    "near_index": float(np.mean(lab >= 0)),
                    "averaged": float(np.mean(lab == -2)),
                    "equator": float(np.mean(lab == -3)),
                    "other": float(np.mean(lab == -1)),
                    "freq": _frequencies(lab, 3),
                }
                for b, lab in sweep.items()
            },
        }
    )
    return {
        "recovery_rhs_batched_max_deviation": dev,
        "nearest_index_fraction_weight_space_He4_k3_d1000": ws["fraction"],
        "nearest_index_fraction_ode_He3_k3_d1000_positive": he3["fraction_positive_nearest"],
        "equator_fraction_ode_He3_k3_d1000": he3["fraction_equator"],
        "nearest_index_fraction_ode_He4_k3_20": float(min(orth["nearest"])),
        "basin_frequency_max_abs_z_He4_k3_20": float(max(orth["max_z"])),
        "mean_collection_time_over_kHk_He4_k3_20": ratio,
        "recovery_empirical_vs_inclusion_exclusion_max_abs_z": float(np.max(np.abs(z_emp))),
        "neurons_for_half_recovery_He4_k3_20": [float(x) for x in orth["n_half_ie"]],
        "averaged_fraction_He3_k3_beta035": float(np.mean(equi[hi] == -2)),
        "recovery_probability_n20_He3_k3_beta010": float(recovery_probability(f_lo, N_RECOVERY)),
        "recovery_probability_n20_He3_k3_beta035": float(recovery_probability(f_hi, N_RECOVERY)),
    }


def figures(out: pathlib.Path, extras: dict) -> list[str]:
    """Write ``recovery_probability.png`` (four panels) into ``out``; return the paths.

    (a) :math:`P_n` against :math:`n/(k\\ln k)` for k = 3, 5, 10, 20: inclusion–exclusion from the
    measured frequencies (lines), disjoint groups of simulated neurons (points, ±1 SE), the
    coupon-collector median (ticks). (b) :math:`n_{1/2}/(k\\ln k)` against ``k``: from the measured
    frequencies, the exact coupon collector, its asymptote :math:`1+\\ln(1/\\ln2)/\\ln k`, and the
    simulated median collection time. (c) He3, k = 3: where neurons end against β, with
    :math:`\\beta_c=1/4`. (d) :math:`P_n` against ``n`` below and above :math:`\\beta_c`.
    """
    from matplotlib.figure import Figure

    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    orth = extras["orth"]
    fig = Figure(figsize=(12, 8.5), layout="constrained")
    (a, b), (c, e) = fig.subplots(2, 2)
    fig.suptitle(
        "Şimşek et al. 2025: n independent neurons finding all k index vectors "
        "(overlap ODE, exact sphere initialisation)",
        fontsize=11,
    )

    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    curves = {int(k): cur for k, cur in extras["recovery_curves"].items()}  # JSON keys are str
    sweep = {float(b): x for b, x in extras["sweep"].items()}
    equi_freq = {float(b): f for b, f in extras["equi_freq"].items()}
    for (k, cur), color in zip(curves.items(), colors, strict=False):
        klk = k * math.log(k)
        a.plot(np.array(cur["n"]) / klk, cur["p"], color=color, drawstyle="steps-mid")
        p = np.array(cur["p_sim"])
        se = np.sqrt(np.clip(p * (1 - p), 1e-12, None) / np.array(cur["groups"]))
        a.errorbar(
            np.array(cur["n_sim"]) / klk,
            p,
            yerr=se,
            fmt="o",
            ms=3,
            color=color,
            capsize=2,
            label=f"k = {k}",
        )
        a.plot([cur["n_half_cc"] / klk] * 2, [0.42, 0.58], color=color, lw=2.5)
    a.axhline(0.5, color="grey", lw=0.5, ls=":")
    a.set_xlabel("n / (k ln k)")
    a.set_ylabel("P(all k index vectors found)")
    a.set_title(
        "(a) He4, G = I: inclusion–exclusion from f̂ (lines), disjoint groups of\n"
        "simulated neurons (dots ± SE), coupon-collector median (bars)",
        fontsize=10,
    )
    a.legend(fontsize=8)

    ks = np.array(orth["k"])
    klk = ks * np.log(ks)
    b.plot(ks, np.array(orth["n_half_cc"]) / klk, "-", color="k", label="n_1/2, coupon collector")
    b.plot(
        ks, np.array(orth["n_half_ie"]) / klk, "o", mfc="none", label="n_1/2, incl.–excl. from f̂"
    )
    b.plot(ks, np.array(orth["median_T"]) / klk, "x", label="median collection time (sim.)")
    b.plot(ks, np.array(orth["mean_T"]) / klk, "+", ms=8, label="mean collection time (sim.)")
    b.plot(
        ks, [harmonic(int(x)) / math.log(x) for x in ks], ":", color="grey", label="k H_k (mean)"
    )
    kk = np.linspace(3, 20, 100)
    b.plot(
        kk,
        1 + math.log(1 / math.log(2)) / np.log(kk),
        "--",
        color="grey",
        label="k ln k + k ln(1/ln 2) (median, k → ∞)",
    )
    b.set_xlabel("k")
    b.set_ylabel("neurons / (k ln k)")
    b.set_title("(b) He4, G = I: neurons needed, in units of k ln k", fontsize=10)
    b.legend(fontsize=8)

    betas = sorted(sweep)
    for key, style, name in (
        ("near_index", "o-", "near-index minimum"),
        ("averaged", "s-", "averaged point"),
        ("equator", "^-", "equator m → 0"),
        ("other", "x:", "other / not converged"),
    ):
        c.plot(betas, [sweep[x][key] for x in betas], style, label=name)
    c.axvline(0.25, color="grey", ls="--", lw=0.8)
    c.text(0.255, 0.45, "β_c = 1/4", fontsize=9)
    c.set_xlabel("β")
    c.set_ylabel("fraction of neurons")
    c.set_title(f"(c) He3, k = 3, equiangular G, d = {D_EQUI}: where one neuron ends", fontsize=10)
    c.legend(fontsize=8)

    n = np.arange(0, 41)
    for beta in betas:
        f = sweep[beta]["freq"]
        color = "tab:blue" if beta < 0.25 else "tab:red"
        e.plot(n, recovery_probability(f, n), color=color, alpha=0.35, lw=1, drawstyle="steps-mid")
    for beta, f in equi_freq.items():
        color = "tab:blue" if beta < 0.25 else "tab:red"
        e.plot(
            n,
            recovery_probability(f, n),
            lw=2.5,
            color=color,
            drawstyle="steps-mid",
            label=f"β = {beta} ({'below' if beta < 0.25 else 'above'} β_c)",
        )
    e.plot(
        n,
        coupon_probability(3, n),
        "k--",
        lw=1,
        drawstyle="steps-mid",
        label="coupon collector, k = 3",
    )
    e.text(20, 0.05, "above β_c: P_n = 0 for every n", color="tab:red", fontsize=9)
    e.set_xlabel("n (neurons)")
    e.set_ylabel("P(all 3 index vectors found)")
    e.set_title("(d) He3, k = 3: thin lines every β of (c), blue < β_c < red", fontsize=10)
    e.legend(fontsize=8, loc="center right")

    path = out / "recovery_probability.png"
    fig.savefig(path, dpi=130)
    return [str(path)]


if __name__ == "__main__":
    extras: dict = {}
    t0, c0 = time.perf_counter(), time.process_time()
    values = run(extras)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    for key, value in values.items():
        print(f"{key}: {value!r}")
    print("timings:", {k: round(v, 2) for k, v in extras["timings"].items()})
    print(f"run(): {elapsed:.1f} s wall, {cpu:.1f} s CPU")
    print("weight space:", extras["weight_space"])
    print("He3:", extras["he3"])
    print(
        "sweep:",
        {
            b: {k: round(v, 3) for k, v in s.items() if k != "freq"}
            for b, s in extras["sweep"].items()
        },
    )
    t0 = time.perf_counter()
    print("figures:", figures(HERE / "report", extras), f"{time.perf_counter() - t0:.1f} s")
