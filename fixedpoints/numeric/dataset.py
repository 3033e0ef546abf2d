r"""Two-layer homogeneous networks on a fixed finite data set: square and logistic loss, and
escape from a small initialization.

Network and losses
------------------
Data :math:`X\in\mathbb R^{n\times d}` (rows :math:`x_i`), labels :math:`y\in\mathbb R^n`
(:math:`\pm1` for the logistic loss). A network of :math:`k` neurons
:math:`\theta_j=(a_j,w_j)\in\mathbb R^{1+d}` computes

.. math::

    f(x)=\sum_{j=1}^k a_j\,\sigma(w_j^\top x),

with :math:`\sigma` positively 1-homogeneous (ReLU by default, :math:`\sigma'(0)=0`), so :math:`f` is
two-homogeneous in :math:`\theta`. The losses are means over the data,

.. math::

    L_{\rm sq}=\frac1{2n}\sum_i(f(x_i)-y_i)^2,\qquad
    L_{\rm log}=\frac1n\sum_i\ln\big(1+e^{-y_if(x_i)}\big),

the tool convention of ``papers/kumar_haupt_2024_two_homogeneous.md`` §1. With the *residual*
:math:`r_i=-\partial_f\ell(f(x_i),y_i)` (:math:`y_i-f_i` for the square loss,
:math:`y_i/(1+e^{y_if_i})` for the logistic loss) the exact gradients are

.. math::

    \nabla_{a_j}L=-\tfrac1n\textstyle\sum_i r_i\,\sigma(w_j^\top x_i),\qquad
    \nabla_{w_j}L=-\tfrac1n\textstyle\sum_i r_i\,a_j\,\sigma'(w_j^\top x_i)\,x_i .

The neural correlation function of the data (:math:`\mathcal N_y=\frac1n y^\top\mathcal H(X;\theta)`,
:meth:`EmpiricalLoss.ncf`) and of a residual (:meth:`EmpiricalLoss.residual_ncf`) live in
:mod:`fixedpoints.numeric.ncf.finite`; :math:`\hat{\mathcal N}^*` is the maximum of the label NCF
on the unit sphere. At the origin the residual is :math:`r=c_\ell\,y` with
:math:`c_\ell=-\partial_f\ell(0,y)/y=1` (square) and :math:`\tfrac12` (logistic), and the norm of a
neuron aligned with the maximiser grows like :math:`\exp(2c_\ell\hat{\mathcal N}^*t)`, so

.. math::

    t_{\rm esc}=\frac{\ln(1/\delta)}{2c_\ell\hat{\mathcal N}^*}+O(1)

(:func:`escape_slope`). The logistic loss has no saddle-to-saddle regime: after the escape the
loss decreases only as the norm grows without bound.

Escape from a small initialization
----------------------------------
:func:`simulate_escape` integrates gradient flow (classical RK4 with a fixed step, or gradient
descent, through the one ODE engine :func:`fixedpoints.numeric.ode.solve`) from
:math:`\delta\,\theta_0` with :math:`\|\theta_0\|=1` for several δ at once (one run per δ, same
:math:`\theta_0`). The **escape time** is the first time the total norm
:math:`\|\theta\|=(\|W\|_F^2+\|a\|^2)^{1/2}` reaches a fixed ``threshold`` (log-linear
interpolation between steps). In the NCF regime :math:`\ln\|\theta(t)\|=\ln\delta+2c_\ell
\hat{\mathcal N}^*t+O(1)` and after it the trajectory follows a δ-independent path shifted in time,
so a δ-independent threshold only changes the O(1) intercept, not the slope against
:math:`\ln(1/\delta)`. The direction is read off at the escape and at *mid-plateau*, when
:math:`\|\theta\|` first reaches :math:`\sqrt{\delta\cdot\text{threshold}}`: there the weights are
still :math:`O(\sqrt\delta)`, so the largest neuron's direction tends to the NCF maximiser as
δ → 0 (at the fixed escape threshold it tends to a δ-independent limit close to, not equal to, it).

References
----------
A. Kumar, J. Haupt, *Directional convergence near small initializations and saddles in
two-homogeneous neural networks*, TMLR 2024 (arXiv 2402.09226).
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import out_of_range
from fixedpoints.numeric.ncf.finite import EmpiricalNCF, relu, relu_derivative
from fixedpoints.numeric.ode import EULER, RK4, FixedStep, solve
from fixedpoints.results import EscapeResult, Status

__all__ = [
    "LOSSES",
    "EmpiricalLoss",
    "escape_slope",
    "fit_escape_slope",
    "simulate_escape",
    "train",
]


LOSSES = ("square", "logistic")
NCF_FACTOR = {"square": 1.0, "logistic": 0.5}  # c_l = -l'(0, y) / y


class EmpiricalLoss:
    """Square or logistic loss of ``f(x) = sum_j a_j sigma(w_j . x)`` on a fixed data set, batched
    over runs (module docstring).

    Parameters
    ----------
    X : array (n, d)
    y : array (n,)
        Labels (±1 for ``logistic``).
    loss : {'square', 'logistic'}
    sigma, dsigma : callable
        Positively 1-homogeneous activation and its derivative (ReLU default).
    """

    def __init__(self, X, y, loss: str = "logistic", sigma=relu, dsigma=relu_derivative):
        if loss not in LOSSES:
            raise out_of_range("loss", loss, "one of " + ", ".join(LOSSES))
        self.X = np.atleast_2d(np.asarray(X, dtype=float))
        self.y = np.asarray(y, dtype=float).reshape(-1)
        if self.y.size != self.X.shape[0]:
            raise out_of_range("y", self.y.size, f"{self.X.shape[0]} labels (one per row of X)")
        if loss == "logistic" and not np.all(np.abs(self.y) == 1):
            raise out_of_range("y", "non ±1 labels", "labels in {-1, +1} for the logistic loss")
        self.kind = loss
        self.sigma, self.dsigma = sigma, dsigma
        self.n, self.d = self.X.shape
        self.ncf_factor = NCF_FACTOR[loss]

    def output(self, W, a) -> np.ndarray:
        """``f(x_i)`` for ``W (..., k, d)``, ``a (..., k)``: shape ``(..., n)``."""
        return np.einsum("...k,...kn->...n", a, self.sigma(W @ self.X.T))

    def _loss_and_residual(self, f):
        y = self.y
        if self.kind == "square":
            return 0.5 * np.mean((f - y) ** 2, axis=-1), y - f
        m = -y * f
        return np.mean(np.logaddexp(0.0, m), axis=-1), y * np.exp(m - np.logaddexp(0.0, m))

    def loss(self, W, a) -> np.ndarray:
        """Mean loss per run, shape ``(...)``."""
        return self._loss_and_residual(self.output(W, a))[0]

    def residual(self, W, a) -> np.ndarray:
        """:math:`r_i=-\\partial_f\\ell(f(x_i),y_i)`, shape ``(..., n)``."""
        return self._loss_and_residual(self.output(W, a))[1]

    def gradient(self, W, a):
        """Exact ``(grad_W (..., k, d), grad_a (..., k))`` of the mean loss."""
        W, a = np.asarray(W, dtype=float), np.asarray(a, dtype=float)
        lam = W @ self.X.T  # (..., k, n)
        S = self.sigma(lam)
        _, r = self._loss_and_residual(np.einsum("...k,...kn->...n", a, S))
        ga = -np.einsum("...kn,...n->...k", S, r) / self.n
        gW = -((a[..., None] * self.dsigma(lam) * r[..., None, :]) @ self.X) / self.n
        return gW, ga

    def ncf(self) -> EmpiricalNCF:
        """The data's NCF :math:`\\mathcal N_y` (labels; the digest's convention)."""
        return EmpiricalNCF(self.X, self.y, self.sigma, self.dsigma)

    def residual_ncf(self, W=None, a=None) -> EmpiricalNCF:
        """:math:`\\mathcal N_{r(f)}` at the network ``(W (k, d), a (k,))`` (default: the origin,
        where it is :math:`c_\\ell\\mathcal N_y`): :math:`-\\nabla L=\\nabla\\mathcal N_r+O(\\|\\theta\\|^3)`
        for a small added neuron."""
        if W is None:
            r = self.ncf_factor * self.y
        else:
            r = self.residual(np.asarray(W, dtype=float), np.asarray(a, dtype=float))
        return EmpiricalNCF(self.X, r, self.sigma, self.dsigma)


def escape_slope(ncf_max: float, loss: str) -> float:
    """Predicted :math:`dt_{\\rm esc}/d\\ln(1/\\delta)=1/(2c_\\ell\\hat{\\mathcal N}^*)`:
    ``1/(2 N*)`` (square), ``1/N*`` (logistic), with ``N*`` the maximum of the label NCF."""
    if loss not in LOSSES:
        raise out_of_range("loss", loss, "one of " + ", ".join(LOSSES))
    if not ncf_max > 0:
        raise out_of_range("ncf_max", ncf_max, "> 0 (no escape otherwise)")
    return 1.0 / (2.0 * NCF_FACTOR[loss] * ncf_max)


def fit_escape_slope(deltas, times):
    """Least-squares line ``times = slope · ln(1/δ) + intercept``; returns ``(slope, intercept)``."""
    x = np.log(1.0 / np.asarray(deltas, dtype=float))
    slope, intercept = np.polyfit(x, np.asarray(times, dtype=float), 1)
    return float(slope), float(intercept)


def _descent(loss):
    """:math:`-\nabla L` of ``loss`` as a field on states ``(W, a)``."""

    def field(y):
        gW, ga = loss.gradient(*y)
        return (-gW, -ga)

    return field


def _method(method: str, step: float):
    """``(tableau, controller)`` of ``flow`` (classical RK4, fixed step) or ``gd`` (Euler with
    step = learning rate)."""
    if method not in ("flow", "gd"):
        raise out_of_range("method", method, "'flow' or 'gd'")
    if not step > 0:
        raise out_of_range("step", step, "> 0")
    return (RK4 if method == "flow" else EULER), FixedStep(float(step))


def _top_direction(W, a):
    th = np.concatenate([a[..., None], W], axis=-1)  # (runs, k, 1+d)
    nrm = np.linalg.norm(th, axis=-1)
    j = np.argmax(nrm, axis=-1)
    rows = np.arange(W.shape[0])
    return th[rows, j] / nrm[rows, j][:, None], j


def train(loss: EmpiricalLoss, W, a, t_end: float, *, step: float = 0.05, method: str = "flow"):
    """Integrate from ``(W (runs, k, d), a (runs, k))`` to time ``t_end``: ``ceil(t_end/step)``
    steps of the classical RK4 (``flow``) or of gradient descent with learning rate ``step``
    (``gd``), through :func:`fixedpoints.numeric.ode.solve`. Returns ``(W, a)``."""
    tableau, control = _method(method, step)
    W, a = np.array(W, dtype=float), np.array(a, dtype=float)
    n = int(np.ceil(t_end / step - 1e-9))
    if n <= 0:
        return W, a
    batch = W.ndim == 3
    y0 = (W if batch else W[None], a if batch else a[None])
    count = [0]

    def stop(t, y, f, ids):
        count[0] += 1
        return np.full(ids.size, count[0] > n)

    sol = solve(_descent(loss), y0, np.inf, tableau=tableau, control=control, stop=stop)
    W, a = sol.states
    return (W, a) if batch else (W[0], a[0])


def simulate_escape(
    loss: EmpiricalLoss,
    W0,
    a0,
    deltas,
    *,
    threshold: float = 0.5,
    step: float = 0.05,
    method: str = "flow",
    t_max: float = 1e3,
    t_after: float = 0.0,
    records: int = 200,
) -> EscapeResult:
    """Escape of the origin from :math:`\\delta\\,\\theta_0` for every δ in ``deltas`` (one batched
    run each; module docstring for the escape and mid-plateau definitions).

    Parameters
    ----------
    loss : EmpiricalLoss
    W0, a0 : array (k, d), (k,)
        Initial direction, :math:`\\|W_0\\|_F^2+\\|a_0\\|^2=1` (:func:`initial_weights`).
    deltas : sequence of float
        Scales, each < ``threshold``.
    threshold : float
        Escape when :math:`\\|\\theta\\|` reaches it (δ-independent).
    step : float
        RK4 step (``flow``) or learning rate (``gd``; time = step · steps).
    t_max : float
        Give up (time NaN) after this time.
    t_after : float
        Keep integrating all runs this long after the last escape (norm history, e.g. to see the
        logistic norm grow without bound).
    records : int
        Number of norm-history records (evenly spaced steps).
    """
    tableau, control = _method(method, step)
    deltas = np.asarray(deltas, dtype=float).reshape(-1)
    if not np.all((deltas > 0) & (deltas < threshold)):
        raise out_of_range("deltas", deltas.tolist(), f"values in (0, threshold={threshold})")
    W0, a0 = np.asarray(W0, dtype=float), np.asarray(a0, dtype=float)
    s0 = np.sqrt(np.sum(W0**2) + np.sum(a0**2))
    W = deltas[:, None, None] * W0[None] / s0
    a = deltas[:, None] * a0[None] / s0
    runs, dim = deltas.size, 1 + W0.shape[1]
    mid_level = np.log(np.sqrt(deltas * threshold))
    log_thr = np.log(threshold)
    times, mid_times = np.full(runs, np.nan), np.full(runs, np.nan)
    directions, mid_directions = np.full((runs, dim), np.nan), np.full((runs, dim), np.nan)
    neurons = np.full(runs, -1)
    hist_t, hist_n = [], []
    max_steps = int(np.ceil(t_max / step))
    every = max(1, int(max_steps // max(records, 1)))
    state = {"n": 0, "lognorm": np.log(deltas), "t_stop": None}

    def observe(t, y, f, ids):
        """Norm history, log-linear location of the mid-plateau and escape crossings, and the
        common stop (every run escaped, plus ``t_after``; or ``t_max``; or a non-finite norm)."""
        Wt, at = y
        tt, n = float(t[0]), state["n"]
        lognorm = state["lognorm"]
        if n > 0:
            new = 0.5 * np.log(np.sum(Wt**2, axis=(-2, -1)) + np.sum(at**2, axis=-1))
            rise = np.where(new > lognorm, new - lognorm, 1.0)
            hit = np.isnan(mid_times) & (new >= mid_level)
            if hit.any():
                mid_times[hit] = (tt - step + step * (mid_level - lognorm) / rise)[hit]
                mid_directions[hit] = _top_direction(Wt, at)[0][hit]
            hit = np.isnan(times) & (new >= log_thr)
            if hit.any():
                times[hit] = (tt - step + step * (log_thr - lognorm) / rise)[hit]
                D, j = _top_direction(Wt, at)
                directions[hit], neurons[hit] = D[hit], j[hit]
            state["lognorm"] = lognorm = new
            if state["t_stop"] is None and not np.isnan(times).any():
                state["t_stop"] = tt + t_after
            end = (
                (state["t_stop"] is not None and tt >= state["t_stop"] - 1e-12)
                or not np.all(np.isfinite(new))
                or n >= max_steps
            )
            if end:
                hist_t.append(tt)
                hist_n.append(np.exp(lognorm))
                return np.full(ids.size, Status.STOPPED)
        if n % every == 0:
            hist_t.append(tt)
            hist_n.append(np.exp(lognorm))
        state["n"] = n + 1
        return np.full(ids.size, None)

    sol = solve(_descent(loss), (W, a), np.inf, tableau=tableau, control=control, stop=observe)
    W, a = sol.states
    return EscapeResult(
        deltas=deltas,
        times=times,
        mid_times=mid_times,
        directions=directions,
        mid_directions=mid_directions,
        neurons=neurons,
        W=W,
        a=a,
        history_times=np.asarray(hist_t),
        history_norms=np.asarray(hist_n).T,
        threshold=float(threshold),
    )
