r"""Martin, Bach & Biroli (2024): the :math:`d=\infty` limit of the quadratic network.

Orthonormal teacher and initialisation (note §1.2a): :math:`W(0)=U/\sqrt m`,
:math:`Z^*=U^*U^{*\top}/m^*` with Haar :math:`U, U^*`; :math:`\alpha=m/d`, :math:`\alpha^*=m^*/d`,
:math:`\gamma=t/d`. As :math:`d\to\infty` (note §4–5) the spectrum of :math:`Y_d=U^\top U^*U^{*\top}U`
tends to :math:`(\alpha-\alpha^*)_+\delta_0+a_1\delta_1+\rho(x)dx` on :math:`[r_1,r_2]`,
:math:`a_1=(\alpha+\alpha^*-1)_+`, and with :math:`e_\gamma=e^{4\gamma/\alpha^*}`

.. math:: F'=\tfrac4\alpha e^{-2\phi},\quad J'=\tfrac4\alpha e^{-2\phi}\tfrac{e_\gamma-J}{F},\quad
          e^{2\phi}F=1+\tfrac{e_\gamma-J}\alpha\big[\Theta'(J-1)+a_1/J\big].

**Scaled variables** (no overflow): :math:`\varepsilon=e^{-4\gamma/\alpha^*}`,
:math:`\hat J=\varepsilon J\in(0,1]`, :math:`L=\log F`. :math:`\Theta'` is homogeneous of degree −2
in :math:`a_i=\sqrt{1+ur_i}`, so :math:`e_\gamma\Theta'(J-1)=T(\hat a_1,\hat a_2)` with
:math:`\hat a_i^2=\varepsilon(1-r_i)+\hat Jr_i`, and φ is eliminated:

.. math:: A=\frac{a_1}{\hat J}+T,\quad D=e^{2\phi}F=1+\frac{(1-\hat J)A}\alpha,\quad
          L'=\frac4{\alpha D},\quad(\log\hat J)'=\frac4{\alpha D}\Big(\frac1{\hat J}-1\Big)-\frac4{\alpha^*},
          \quad\phi=\tfrac12(\log D-L).

The overlap (§5.2) is :math:`\chi=A/\sqrt{\alpha^*B}`,
:math:`B=(\alpha-\alpha^*)_++a_1/\hat J^2+\int\rho\,(p/q)^2`, :math:`p=\varepsilon(1-x)+x`,
:math:`q=\varepsilon(1-x)+\hat Jx`; ``d`` times the loss is
:math:`\tfrac12[B/(\alpha D)^2-2A/(\alpha\alpha^*D)+1/\alpha^*]` (from the sums of §2; the
trace term is :math:`O(1/d^2)`); it agrees with the note's d = 1000 values to < 1 %.

**Quadrature.** :math:`x=r_1+(r_2-r_1)\sin^2(\theta/2)` makes :math:`\rho\,dx` smooth in θ, even at
the hard edge :math:`r_1=0` (:math:`\alpha=\alpha^*`); Gauss–Legendre panels halve towards
:math:`\theta=0` down to the layer :math:`\theta\sim\sqrt\varepsilon` where :math:`p/q` turns over.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

PAIRS = ((0.5, 0.25), (0.5, 0.5), (0.25, 0.5))  # α > α*, α = α*, α < α* (Figs 2, 3, 6)
CHECK_PAIRS = ((0.3, 0.5), (0.5, 0.25), (0.5, 0.5), (0.25, 0.5), (0.7, 0.6))
TABLE_GAMMAS = (0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0)  # note §7
U_CHECK = (0.0, 1.0, 1e3, 1e8)  # note §4, Θ' check points
RTOL, ATOL = 1e-12, 1e-14  # DOP853 on (log F, log Ĵ)
GL_NODES = 12  # Gauss–Legendre nodes per θ panel
LOG_EPS_FLOOR = -680.0  # ε = e^{-4γ/α*} is floored at e^{-680} (no effect at double precision)
PREFIX = "limit_"  # claim ids of this part start with it
FIG1 = {"alpha": 0.3, "alpha_star": 0.5, "d": 2000, "seed": 0, "bins": 30}
REACH_PAIRS = ((0.5, 0.25), (0.5, 0.5), (0.25, 0.5), (0.7, 0.6))  # note §7, first γ reaching
REACH_TAGS = ("gt", "eq", "lt", "both_atoms")
REACH_LEVELS = (0.9, 0.99, 0.999)
EQ_STARS = (0.2, 0.3, 0.5, 0.7)  # α = α*: φ(∞) (note §5.4)


# ---------------------------------------------------------------------------------------------
# the limiting spectrum of Y_d and Θ'
# ---------------------------------------------------------------------------------------------


def _check(alpha: float, alpha_star: float) -> None:
    for name, v in (("alpha", alpha), ("alpha_star", alpha_star)):
        if not 0.0 < v < 1.0:
            raise ValueError(f"`{name}` must be in (0, 1); got {v!r}.")


def atoms(alpha: float, alpha_star: float) -> tuple[float, float]:
    r"""Masses :math:`((\alpha-\alpha^*)_+,\ (\alpha+\alpha^*-1)_+)` of the atoms at 0 and 1.

    >>> atoms(0.7, 0.6)
    (0.09999999999999998, 0.2999999999999998)
    """
    return max(alpha - alpha_star, 0.0), max(alpha + alpha_star - 1.0, 0.0)


def edges(alpha: float, alpha_star: float) -> tuple[float, float]:
    r"""Edges :math:`r_{1,2}=(\sqrt{\alpha(1-\alpha^*)}\mp\sqrt{\alpha^*(1-\alpha)})^2` of ρ."""
    _check(alpha, alpha_star)
    p, q = math.sqrt(alpha * (1 - alpha_star)), math.sqrt(alpha_star * (1 - alpha))
    return (p - q) ** 2, (p + q) ** 2


def density(x, alpha: float, alpha_star: float) -> np.ndarray:
    r"""Continuous part :math:`\rho(x)=\sqrt{(r_2-x)(x-r_1)}/(2\pi x(1-x))` on :math:`[r_1,r_2]`."""
    r1, r2 = edges(alpha, alpha_star)
    x = np.asarray(x, dtype=float)
    inside = (x > r1) & (x < r2)
    xs = np.where(inside, x, 0.5 * (r1 + r2))
    return np.where(inside, np.sqrt((r2 - xs) * (xs - r1)) / (2 * np.pi * xs * (1 - xs)), 0.0)


@functools.lru_cache(maxsize=64)
def _panels(depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [0, π]: panels halving towards 0 (``depth``) and π."""
    g, w = leggauss(GL_NODES)
    k = np.arange(1, depth + 1)
    cuts = np.concatenate([[0.0, np.pi], np.pi * 2.0**-k, np.pi * (1 - 2.0 ** -k[1:12])])
    cuts = np.unique(cuts)
    lo, half = cuts[:-1, None], np.diff(cuts)[:, None] / 2
    return (lo + half * (g + 1)).ravel(), (half * w).ravel()


def quadrature(alpha: float, alpha_star: float, depth: int = 64):
    r"""Nodes for :math:`\int g\,\rho\,dx\approx\sum_k w_k g(x_k)`.

    :math:`x=r_1+(r_2-r_1)s^2`, :math:`s=\sin(\theta/2)`, :math:`c=\cos(\theta/2)`,
    :math:`\rho\,dx=(r_2-r_1)^2s^2c^2/(2\pi x(1-x))\,d\theta`.

    Returns
    -------
    x, one_minus_x, w : ndarray
        Nodes, :math:`1-x` without cancellation, and weights (they include ρ).
    """
    theta, wt = _panels(int(depth))
    x, omx, jac = _rho_theta(theta, *edges(alpha, alpha_star))
    return x, omx, wt * jac


def _rho_theta(theta, r1: float, r2: float):
    r""":math:`x(\theta)`, :math:`1-x` and :math:`\rho\,dx/d\theta=(r_2-r_1)^2s^2c^2/(2\pi x(1-x))`."""
    s2, c2 = np.sin(theta / 2) ** 2, np.cos(theta / 2) ** 2
    x, omx = r1 + (r2 - r1) * s2, (1 - r2) + (r2 - r1) * c2
    return x, omx, (r2 - r1) ** 2 * s2 * c2 / (2 * np.pi * x * omx)


def bin_masses(cuts, alpha: float, alpha_star: float) -> np.ndarray:
    r""":math:`\int_{c_k}^{c_{k+1}}\rho\,dx` for cuts inside :math:`[r_1,r_2]` (Gauss–Legendre in θ)."""
    r1, r2 = edges(alpha, alpha_star)
    th = 2 * np.arcsin(np.sqrt(np.clip((np.asarray(cuts) - r1) / (r2 - r1), 0.0, 1.0)))
    g, w = leggauss(2 * GL_NODES)
    lo, half = th[:-1, None], np.diff(th)[:, None] / 2
    return (half * w * _rho_theta(lo + half * (g + 1), r1, r2)[2]).sum(axis=1)


def _depth(log_eps_min: float) -> int:
    """Halvings needed to reach θ ≈ √ε/16 (the boundary layer at x ~ ε); 24 to 480."""
    halvings = math.ceil(math.log2(math.pi) - 0.5 * log_eps_min / math.log(2)) + 4
    return int(min(480, max(24, halvings)))


def _theta_prime_form(r1, r2, a1, a2):
    r"""The note's closed form (the code's ``ThetaPrime``) in terms of :math:`a_i`:
    :math:`\tfrac12[\frac{r_1/a_1+r_2/a_2}{a_1+a_2}-r_1r_2\frac{b_1/a_1+b_2/a_2}{b_2a_1+b_1a_2}
    -c_1c_2\frac{r_1c_2/a_1+r_2c_1/a_2}{c_2a_1+c_1a_2}]`, :math:`b_i=\sqrt{r_i}`, :math:`c_i=\sqrt{1-r_i}`.
    """
    b1, b2, c1, c2 = math.sqrt(r1), math.sqrt(r2), math.sqrt(1 - r1), math.sqrt(1 - r2)
    t1 = (r1 / a1 + r2 / a2) / (a1 + a2)
    t2 = r1 * r2 * (b1 / a1 + b2 / a2) / (b2 * a1 + b1 * a2)
    t3 = c1 * c2 * (r1 * c2 / a1 + r2 * c1 / a2) / (c2 * a1 + c1 * a2)
    return 0.5 * (t1 - t2 - t3)


def theta_prime(u, alpha: float, alpha_star: float) -> np.ndarray:
    r""":math:`\Theta'(u)=\int x\rho(x)/(1+ux)\,dx` in closed form (note §4), :math:`a_i=\sqrt{1+ur_i}`."""
    r1, r2 = edges(alpha, alpha_star)
    u = np.asarray(u, dtype=float)
    return _theta_prime_form(r1, r2, np.sqrt(1 + u * r1), np.sqrt(1 + u * r2))


def theta_quadrature(u, alpha: float, alpha_star: float, derivative: bool = False) -> np.ndarray:
    r""":math:`\Theta(u)=\int\log(1+ux)\rho\,dx`, or with ``derivative``
    :math:`\Theta'(u)=\int x\rho/(1+ux)\,dx` (the independent check of :func:`theta_prime`)."""
    u = np.atleast_1d(np.asarray(u, dtype=float))[:, None]
    x, _, w = quadrature(alpha, alpha_star, _depth(-math.log1p(u.max())))
    return ((x / (1 + u * x) if derivative else np.log1p(u * x)) * w).sum(axis=1)


# ---------------------------------------------------------------------------------------------
# the limiting (F, J, φ) system and the overlap
# ---------------------------------------------------------------------------------------------


def _log_eps(gammas, alpha_star: float):
    return np.maximum(-4.0 * np.asarray(gammas, dtype=float) / alpha_star, LOG_EPS_FLOOR)


def scaled_A(jhat, eps, alpha: float, alpha_star: float):
    r""":math:`A=e_\gamma[\Theta'(J-1)+a_1/J]=a_1/\hat J+T(\hat a_1,\hat a_2)`,
    :math:`\hat a_i=\sqrt{\varepsilon(1-r_i)+\hat Jr_i}` (the numerator of χ, Lemma C.11)."""
    r1, r2 = edges(alpha, alpha_star)
    a1 = np.sqrt(eps * (1 - r1) + jhat * r1)
    a2 = np.sqrt(eps * (1 - r2) + jhat * r2)
    return atoms(alpha, alpha_star)[1] / jhat + _theta_prime_form(r1, r2, a1, a2)


def _rhs(gamma, y, alpha, alpha_star):
    r""":math:`(L,\log\hat J)'=(4/(\alpha D),\ 4(1/\hat J-1)/(\alpha D)-4/\alpha^*)`."""
    jhat = math.exp(y[1])
    eps = math.exp(max(-4.0 * gamma / alpha_star, LOG_EPS_FLOOR))
    D = 1 + (1 - jhat) * scaled_A(jhat, eps, alpha, alpha_star) / alpha
    return [4 / (alpha * D), 4 * (1 / jhat - 1) / (alpha * D) - 4 / alpha_star]


def solve_limit(alpha: float, alpha_star: float, gamma_max: float):
    r"""Integrate :math:`(L,\log\hat J)` from :math:`(0,0)` to ``gamma_max`` (DOP853, dense output).

    Returns
    -------
    callable
        :math:`\gamma\mapsto(L(\gamma),\log\hat J(\gamma))`, shape (2, n) for n gammas.

    Raises
    ------
    RuntimeError
        The integrator failed.
    """
    _check(alpha, alpha_star)
    sol = solve_ivp(
        _rhs, (0.0, float(gamma_max)), [0.0, 0.0], method="DOP853", dense_output=True,
        rtol=RTOL, atol=ATOL, args=(alpha, alpha_star),
    )  # fmt: skip
    if not sol.success:
        raise RuntimeError(f"limit ODE failed at (alpha, alpha_star) = {alpha, alpha_star}: {sol.message}")  # fmt: skip
    return sol.sol


def observables(alpha: float, alpha_star: float, gammas, L, log_jhat) -> dict:
    r"""φ, χ, δ, ``d``·loss and the §5.3 identity residual from :math:`(L,\log\hat J)`.

    The residual is :math:`\alpha\log F+a_1\log J+\Theta(J-1)-4\gamma`, written with
    :math:`\log J=4\gamma/\alpha^*+\log\hat J` and
    :math:`\Theta(J-1)=\tfrac{4\gamma}{\alpha^*}\!\int\!\rho+\int\rho\log q` (Θ by quadrature).
    """
    gammas = np.asarray(gammas, dtype=float)
    log_eps = _log_eps(gammas, alpha_star)
    eps, jhat = np.exp(log_eps)[:, None], np.exp(log_jhat)
    w0, w1 = atoms(alpha, alpha_star)
    A = scaled_A(jhat, eps[:, 0], alpha, alpha_star)
    D = 1 + (1 - jhat) * A / alpha
    x, omx, w = quadrature(alpha, alpha_star, _depth(log_eps.min(initial=0.0)))
    p, q = eps * omx + x, eps * omx + jhat[:, None] * x
    B = w0 + w1 / jhat**2 + ((p / q) ** 2 * w).sum(axis=1)
    chi = A / np.sqrt(alpha_star * B)
    mass = min(alpha, alpha_star) - w1
    log_e = 4 * gammas / alpha_star  # the true log e_γ (ε may be floored)
    ident = (
        alpha * L + w1 * log_jhat + (np.log(q) * w).sum(axis=1) + log_e * (w1 + mass) - 4 * gammas
    )
    return {
        "phi": 0.5 * (np.log(D) - L),
        "chi": chi,
        "delta": min(1.0, math.sqrt(alpha / alpha_star)) - chi,
        "dloss": 0.5 * (B / (alpha * D) ** 2 - 2 * A / (alpha * alpha_star * D) + 1 / alpha_star),
        "identity": ident,
        "log_F": L,
        "jhat": jhat,
    }


def limit_solution(alpha: float, alpha_star: float, gammas) -> dict:
    r"""The :math:`d=\infty` solution on ``gammas`` (any order, :math:`\gamma\ge0`).

    Parameters
    ----------
    alpha, alpha_star : float
        :math:`\alpha=m/d` and :math:`\alpha^*=m^*/d`, both in (0, 1).
    gammas : array_like, shape (n,)
        Rescaled times :math:`\gamma=t/d\ge0`.

    Returns
    -------
    dict of ndarray, shape (n,)
        ``phi``, ``chi``, ``delta`` (:math:`\min(1,\sqrt{\alpha/\alpha^*})-\chi`), ``dloss``
        (``d`` times the loss), ``identity`` (§5.3 residual), ``log_F``, ``jhat``.
    """
    gammas = np.asarray(gammas, dtype=float)
    if gammas.ndim != 1 or gammas.size == 0 or not np.all(np.isfinite(gammas)) or gammas.min() < 0:
        raise ValueError(f"`gammas` must be a non-empty 1-D array of finite values >= 0; got {gammas!r}.")  # fmt: skip
    L, log_jhat = solve_limit(alpha, alpha_star, max(gammas.max(), 1e-12))(gammas)
    return observables(alpha, alpha_star, gammas, L, log_jhat)


def limit_curves(alpha: float, alpha_star: float, gammas) -> tuple[np.ndarray, np.ndarray]:
    r"""φ(γ) and χ(γ) of the :math:`d=\infty` limit (the dashed curves of Figs 2–3).

    Same parameters as :func:`limit_solution`; about 10 ms for 200 γ in [1e-3, 10].

    Returns
    -------
    phi, chi : ndarray, shape (n,)
        :math:`\phi(\gamma)=\lim_d\int_0^{d\gamma}\operatorname{tr}(Z-Z^*)\,dt` and the
        overlap :math:`\chi=\operatorname{tr}(ZZ^*)/(\|Z\|_F\|Z^*\|_F)`.
    """
    out = limit_solution(alpha, alpha_star, gammas)
    return out["phi"], out["chi"]


def chi_closed_half(jhat, eps) -> np.ndarray:
    r"""χ at :math:`\alpha=\alpha^*=\tfrac12` in closed form (note §5.2), divided through by
    :math:`e_\gamma^{5/4}`: :math:`\hat J^{1/4}/\sqrt{\tfrac12(\sqrt\varepsilon\hat J^2+2\varepsilon\hat J^{3/2}
    +2\sqrt\varepsilon\hat J+2\hat J^{1/2}+\sqrt\varepsilon)}`."""
    r = np.sqrt(eps)
    inner = r * jhat**2 + 2 * eps * jhat**1.5 + 2 * r * jhat + 2 * np.sqrt(jhat) + r
    return jhat**0.25 / np.sqrt(0.5 * inner)


def first_reach(alpha: float, alpha_star: float, levels, gamma_max: float = 5.0) -> list[float]:
    r"""First γ with :math:`\chi(\gamma)/\min(1,\sqrt{\alpha/\alpha^*})=` level (grid scan, then Brent
    on the dense output, xtol 1e-10)."""
    path = solve_limit(alpha, alpha_star, gamma_max)
    lim = min(1.0, math.sqrt(alpha / alpha_star))

    def ratio(g):
        g = np.atleast_1d(g)
        return observables(alpha, alpha_star, g, *path(g))["chi"] / lim

    grid = np.linspace(0.0, gamma_max, 501)
    r = ratio(grid)
    out = []
    for level in levels:
        if not np.any(r >= level):
            raise ValueError(f"chi/lim never reaches `levels` entry {level!r} for gamma <= {gamma_max}.")  # fmt: skip
        i = int(np.argmax(r >= level))
        f = lambda g, lv=level: ratio(g)[0] - lv  # noqa: E731
        out.append(0.0 if i == 0 else brentq(f, grid[i - 1], grid[i], xtol=1e-10))
    return out


def deficit_tail(alpha: float, alpha_star: float, jhat) -> np.ndarray:
    r"""δ = 1 − χ for α > α* at ε = 0, without cancellation: there :math:`A=\alpha^*/\hat J` and
    :math:`B=\alpha-\alpha^*+\alpha^*/\hat J^2`, so :math:`\chi=(1+\kappa)^{-1/2}`,
    :math:`\kappa=(\alpha-\alpha^*)\hat J^2/\alpha^*` and :math:`\delta=\kappa/(\sqrt{1+\kappa}(1+\sqrt{1+\kappa}))`
    (exact up to :math:`O(\varepsilon)`, i.e. for γ ≳ 5α*)."""
    kappa = (alpha - alpha_star) * np.asarray(jhat) ** 2 / alpha_star
    root = np.sqrt(1 + kappa)
    return kappa / (root * (1 + root))


def grid_ceiling(roots, step: float = 1e-3) -> list[float]:
    """First points of the grid γ = 0, step, 2 step, ... at or after ``roots`` (a reading on a grid)."""
    return [round(math.ceil(g / step) * step, 12) for g in roots]


# ---------------------------------------------------------------------------------------------
# claims
# ---------------------------------------------------------------------------------------------


def _spectral_claims() -> dict:
    out = {"rho_total_mass": [], "rho_mean": [], "theta_prime_max_rel_error": 0.0}
    for a, s in CHECK_PAIRS:
        x, _, w = quadrature(a, s)
        w0, w1 = atoms(a, s)
        out["rho_total_mass"].append(float(w0 + w1 + w.sum()))
        out["rho_mean"].append(float(w1 + (x * w).sum()))
        closed, quad = theta_prime(np.array(U_CHECK), a, s), theta_quadrature(U_CHECK, a, s, True)
        err = float(np.max(np.abs(closed / quad - 1)))
        out["theta_prime_max_rel_error"] = max(out["theta_prime_max_rel_error"], err)
    out["fig1_edges"] = list(edges(FIG1["alpha"], FIG1["alpha_star"]))
    return out


def _table_claims() -> dict:
    out, g = {}, np.array(TABLE_GAMMAS)
    for (a, s), tag in zip(PAIRS, ("gt", "eq", "lt"), strict=True):
        sol = limit_solution(a, s, g)
        out[f"phi_table_{tag}"] = sol["phi"].tolist()
        out[f"chi_table_{tag}"] = sol["chi"].tolist()
    sol = limit_solution(0.5, 0.25, g[:5])
    out["dloss_vs_d1000"] = sol["dloss"].tolist()
    out["chi_at_zero"] = [float(limit_solution(a, s, [0.0])["chi"][0]) for a, s in CHECK_PAIRS]
    out["dloss_at_zero"] = [float(limit_solution(a, s, [0.0])["dloss"][0]) for a, s in CHECK_PAIRS]
    grid = np.linspace(0.0, 10.0, 201)
    residuals = [
        np.abs(limit_solution(a, s, grid)["identity"]) / (1 + 4 * grid) for a, s in CHECK_PAIRS
    ]
    out["identity_53_max_residual"] = float(np.max(residuals))
    half = limit_solution(0.5, 0.5, grid)
    closed = chi_closed_half(half["jhat"], np.exp(-8 * grid))
    out["chi_half_closed_form_max_diff"] = float(np.max(np.abs(half["chi"] - closed)))
    for (a, s), tag in zip(REACH_PAIRS, REACH_TAGS, strict=True):
        out[f"first_reach_{tag}"] = first_reach(a, s, REACH_LEVELS)
        out[f"first_grid_reach_{tag}"] = grid_ceiling(out[f"first_reach_{tag}"])
    return out


def _long_time_claims() -> dict:
    out = {}
    a, s = 0.5, 0.25  # α > α*
    g = np.array([1.0, 3.0, 5.0, 10.0, 20.0, 5e5, 1e6])
    sol = limit_solution(a, s, g)
    out["gt_delta_gamma2"] = (sol["delta"][:5] * g[:5] ** 2).tolist()
    tail = deficit_tail(a, s, sol["jhat"])
    out["gt_tail_vs_quadrature"] = float(np.max(np.abs(tail[3:5] / sol["delta"][3:5] - 1)))
    out["gt_delta_gamma2_limit"] = float(tail[-1] * g[-1] ** 2)
    out["gt_phi_slope_log_gamma"] = float((sol["phi"][-1] - sol["phi"][-2]) / math.log(2))
    g = np.array([1.5, 2.0, 2.5, 3.0])  # α = α* = 1/2
    delta = limit_solution(0.5, 0.5, g)["delta"]
    out["eq_delta_prefactor"] = (delta * np.exp(2 * g / 0.5) / np.sqrt(g)).tolist()
    out["eq_phi_infinity"] = [float(limit_solution(s, s, [40 * s])["phi"][0]) for s in EQ_STARS]
    out["eq_phi_infinity_half_plus_ln2"] = out["eq_phi_infinity"][2] + math.log(2)
    a, s = 0.25, 0.5  # α < α*
    sol = limit_solution(a, s, np.array([2.0, 5.0, 10.0]))
    out["lt_delta_prefactor"] = float(sol["delta"][0] * math.exp(4 * 2.0 / s))
    out["lt_chi_limit"] = float(sol["chi"][-1])
    out["lt_phi_slope"] = float((sol["phi"][2] - sol["phi"][1]) / 5.0)
    out["lt_dloss_limit"] = float(sol["dloss"][-1])
    out["eq_dloss_limit"] = float(limit_solution(0.5, 0.5, [10.0])["dloss"][0])
    return out


@functools.lru_cache(maxsize=4)
def y_eigenvalues(d: int, alpha: float, alpha_star: float, seed: int) -> np.ndarray:
    r"""Eigenvalues of :math:`Y_d=U^\top U^*U^{*\top}U` (:math:`m=\alpha d`, :math:`m^*=\alpha^*d`),
    U and U* the Q factors of Gaussian matrices drawn with ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((d, round(alpha * d))))[0]
    Us = np.linalg.qr(rng.standard_normal((d, round(alpha_star * d))))[0]
    M = U.T @ Us
    return np.linalg.eigvalsh(M @ M.T)


def _figure1_claims() -> dict:
    a, s = FIG1["alpha"], FIG1["alpha_star"]
    x = y_eigenvalues(FIG1["d"], a, s, FIG1["seed"])
    r1, r2 = edges(a, s)
    counts, cuts = np.histogram(x, bins=10, range=(r1, r2))
    law = bin_masses(cuts, a, s) / a
    return {
        "fig1_sample_extremes": [float(x.min()), float(x.max())],
        "fig1_hist10_max_rel_dev": float(np.max(np.abs(counts / x.size / law - 1))),
    }


def claims() -> dict:
    """Claim id -> computed value (references in the study's ``expected.json``)."""
    parts = (_spectral_claims, _table_claims, _long_time_claims, _figure1_claims)
    return {f"{PREFIX}{k}": v for part in parts for k, v in part().items()}


# ---------------------------------------------------------------------------------------------
# expected values (from the note shared/papers/martin_2024_quadratic.md, or closed forms)
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure1(path) -> None:
    """Fig. 1: ρ/α against a 30-bin histogram of the eigenvalues of Y_d (α = 0.3, α* = 0.5, d = 2000)."""
    plt = _pyplot()
    a, s, d = FIG1["alpha"], FIG1["alpha_star"], FIG1["d"]
    x = y_eigenvalues(d, a, s, FIG1["seed"])
    grid = np.linspace(0.0, 1.0, 2001)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.hist(
        x, bins=FIG1["bins"], density=True, color="0.75", label=f"eigenvalues of $Y_d$, d = {d}"
    )
    ax.plot(grid, density(grid, a, s) / a, "k-", label=r"$\rho(x)/\alpha$ (d = ∞)")
    ax.set(xlim=(0.02, 0.98), ylim=(0, 1.7), xlabel="eigenvalue x", ylabel="density")
    title = "Martin–Bach–Biroli quadratic net: spectrum of $Y_d=U^TU^*U^{*T}U$\n"
    ax.set_title(title + f"α = {a}, α* = {s}, d = {d}, Haar U, U* (numpy seed {FIG1['seed']})")
    ax.legend(loc="upper center")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def figure6(path) -> None:
    """Fig. 6: δ(γ) = min(1, √(α/α*)) − χ(γ) at d = ∞ on log-y, γ ∈ [0, 3], with the reference lines."""
    plt = _pyplot()
    g = np.linspace(0.0, 3.0, 601)
    ref = np.linspace(0.014, 3.0, 300)
    lines = (
        (2e-3 * ref**-2.0, r"$2\cdot10^{-3}\gamma^{-2}$"),
        (2 * np.sqrt(ref) * np.exp(-2 * ref / 0.5), r"$2\sqrt{\gamma}\,e^{-2\gamma/\alpha^*}$"),
        (0.5 * np.exp(-4 * ref / 0.5), r"$0.5\,e^{-4\gamma/\alpha^*}$"),
    )
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for (a, s), color, (y, label) in zip(PAIRS, ("C0", "C1", "C2"), lines, strict=True):
        delta = limit_solution(a, s, g)["delta"]
        ax.semilogy(g, np.where(delta > 0, delta, np.nan), color=color, label=f"α = {a}, α* = {s}")
        ax.semilogy(ref, y, "--", color=color, lw=1, label=label)
    ylabel = r"$\delta(\gamma)=\min(1,\sqrt{\alpha/\alpha^*})-\chi(\gamma)$"
    ax.set(xlim=(0, 3), ylim=(1e-7, 5), xlabel=r"$\gamma = t/d$", ylabel=ylabel)
    title = "Martin–Bach–Biroli quadratic net, d = ∞, orthonormal teacher and init:\n"
    ax.set_title(title + "overlap deficit δ(γ); dashed: the reference lines of Fig. 6", fontsize=10)
    ax.legend(fontsize=8, ncol=2, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
