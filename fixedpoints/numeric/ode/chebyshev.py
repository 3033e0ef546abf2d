r"""The Runge–Kutta–Chebyshev method RKC2: an explicit method whose stability interval grows with
the square of its stage count, for stiff problems with a real (e.g. gradient-flow) spectrum.

With :math:`s\ge2` stages, damping :math:`\varepsilon` (2/13), :math:`T_j` the Chebyshev
polynomials, :math:`w_0=1+\varepsilon/s^2`, :math:`w_1=T_s'(w_0)/T_s''(w_0)`,
:math:`b_j=T_j''(w_0)/T_j'(w_0)^2` (:math:`b_0=b_1=b_2`) and :math:`a_j=1-b_jT_j(w_0)`, one step
of :math:`\dot y=F(y)` from :math:`y` with :math:`F_0=F(y)` is

.. math::

    Y_0=y,\quad Y_1=y+\tilde\mu_1hF_0,\quad
    Y_j=(1-\mu_j-\nu_j)\,y+\mu_jY_{j-1}+\nu_jY_{j-2}+\tilde\mu_jhF(Y_{j-1})
    +\tilde\gamma_jhF_0,\qquad y_{\rm new}=Y_s,

:math:`\tilde\mu_1=b_1w_1`, :math:`\mu_j=2b_jw_0/b_{j-1}`, :math:`\nu_j=-b_j/b_{j-2}`,
:math:`\tilde\mu_j=2b_jw_1/b_{j-1}`, :math:`\tilde\gamma_j=-a_{j-1}\tilde\mu_j`: second order for
every :math:`s`, with stability function :math:`R_s(z)=a_s+b_sT_s(w_0+w_1z)`, bounded by 1 on
the real interval :math:`[-\beta_s,0]`, :math:`\beta_s=(1+w_0)/w_1\approx0.65\,s^2`. A step of
size :math:`h` takes the fewest stages with :math:`\beta_s\ge h\rho`, :math:`\rho` the spectral
radius of :math:`\partial F/\partial y` (:func:`spectral_radius`), so a stiff step costs
:math:`O(\sqrt{h\rho})` field evaluations instead of the :math:`O(h\rho)` of a classical explicit
method, and no linear algebra. The error estimate of the step is

.. math::

    e=\tfrac{4}{5}\,(y-y_{\rm new})+\tfrac{2}{5}\,h\,\big(F_0+F(y_{\rm new})\big)

(:math:`O(h^3)`; :math:`F(y_{\rm new})` is the next step's :math:`F_0`). Trajectories of one batch
may take different stage counts: they are ordered by it, so stage :math:`j` works on a leading
block of rows.

References
----------
B. P. Sommeijer, L. F. Shampine, J. G. Verwer, RKC: an explicit solver for parabolic PDEs,
*J. Comput. Appl. Math.* 88 (1998) 315–326 (the method, its error estimate and the power
iteration for :math:`\rho`).
J. G. Verwer, W. Hundsdorfer, B. P. Sommeijer, Convergence properties of the Runge–Kutta–Chebyshev
method, *Numer. Math.* 57 (1990) 157–178.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from array_api_compat import device as _device

from fixedpoints.numeric.backend import to_numpy
from fixedpoints.numeric.ode.step import Step, scale_rows

__all__ = ["chebyshev_coefficients", "chebyshev_step", "spectral_radius", "stage_counts"]


@lru_cache(maxsize=8)
def chebyshev_coefficients(max_stages: int, damping: float):
    r"""Tables of the RKC2 coefficients (module docstring) for :math:`s=2..` ``max_stages``.

    Returns
    -------
    beta : array (max_stages + 1,)
        :math:`\beta_s` (0 for :math:`s<2`).
    mu, nu, mu_t, gamma_t : arrays (max_stages + 1, max_stages + 1)
        Entry ``[s, j]``: :math:`\mu_j,\nu_j,\tilde\mu_j,\tilde\gamma_j` of the :math:`s`-stage
        method (``mu_t[s, 1]`` is :math:`\tilde\mu_1`).
    """
    S = int(max_stages)
    beta = np.zeros(S + 1)
    mu, nu, mu_t, gamma_t = (np.zeros((S + 1, S + 1)) for _ in range(4))
    for s in range(2, S + 1):
        w0 = 1.0 + damping / s**2
        T, dT, ddT = np.zeros(s + 1), np.zeros(s + 1), np.zeros(s + 1)
        T[0], T[1], dT[1] = 1.0, w0, 1.0
        for j in range(2, s + 1):
            T[j] = 2 * w0 * T[j - 1] - T[j - 2]
            dT[j] = 2 * T[j - 1] + 2 * w0 * dT[j - 1] - dT[j - 2]
            ddT[j] = 4 * dT[j - 1] + 2 * w0 * ddT[j - 1] - ddT[j - 2]
        w1 = dT[s] / ddT[s]
        b = np.zeros(s + 1)
        b[2:] = ddT[2:] / dT[2:] ** 2
        b[0] = b[1] = b[2]
        a = 1.0 - b * T
        beta[s] = (1.0 + w0) / w1
        mu_t[s, 1] = b[1] * w1
        for j in range(2, s + 1):
            mu[s, j] = 2 * b[j] * w0 / b[j - 1]
            nu[s, j] = -b[j] / b[j - 2]
            mu_t[s, j] = 2 * b[j] * w1 / b[j - 1]
            gamma_t[s, j] = -a[j - 1] * mu_t[s, j]
    return beta, mu, nu, mu_t, gamma_t


def stage_counts(hrho, method) -> np.ndarray:
    r"""The fewest stages :math:`s\ge2` with :math:`\beta_s\ge h\rho` per trajectory (at most
    ``method.max_stages``; the driver caps the step at :math:`\beta_{\max}/\rho`)."""
    beta = chebyshev_coefficients(method.max_stages, method.damping)[0]
    s = np.searchsorted(beta[2:], np.asarray(hrho, dtype=float), side="left") + 2
    return np.minimum(s, method.max_stages)


def _combine(terms, m, xp):
    """:math:`\\sum_kc_kx_k` over the first ``m`` rows of every component of the state tuples
    ``x_k`` (``c_k`` a float or an array of ``m`` row coefficients; terms with ``c_k = 0`` are
    skipped)."""
    out = []
    for c in range(len(terms[0][1])):
        if terms[0][1][c] is None:
            out.append(None)
            continue
        acc = None
        for coef, x in terms:
            if isinstance(coef, float) and coef == 0.0:
                continue
            v = scale_rows(coef, x[c][:m, ...], xp)
            acc = v if acc is None else acc + v
        out.append(acc)
    return tuple(out)


def _take(xp, state, idx):
    return tuple(None if c is None else xp.take(c, idx, axis=0) for c in state)


def chebyshev_step(field, method, y, f, h, stages, xp) -> Step:
    r"""One RKC2 step (module docstring) of every trajectory, trajectory :math:`i` with
    ``stages[i]`` stages.

    Parameters
    ----------
    field : callable
        :math:`F`: a state tuple to a tuple of the same shapes.
    method : Chebyshev
    y, f : tuple of arrays
        States and :math:`F(y)`.
    h : float or array (N,)
    stages : int array (N,)
        Stage counts (:func:`stage_counts`), host.
    xp : array namespace

    Returns
    -------
    Step
        ``y``: :math:`Y_s`; ``f``: :math:`F(Y_s)`; ``error``: :math:`e` of the module docstring;
        no stages.
    """
    s = np.asarray(stages, dtype=np.int64)
    N = s.size
    dev = _device(next(c for c in y if c is not None))
    uniform = bool((s == s[0]).all())
    order = None
    if not uniform:  # rows by descending stage count: stage j works on a leading block
        order = np.argsort(-s, kind="stable")
        s = s[order]
        idx = xp.asarray(order, device=dev)
        y, f = _take(xp, y, idx), _take(xp, f, idx)
        h = h if isinstance(h, float) else xp.take(h, idx, axis=0)
    _, mu, nu, mu_t, gamma_t = chebyshev_coefficients(method.max_stages, method.damping)

    def coef(table, j, m):
        if uniform:
            return float(table[s[0], j])
        return xp.asarray(table[s[:m], j], device=dev)

    def hrows(m):
        return h if isinstance(h, float) else h[:m]

    hf0 = _combine([(h, f)], N, xp)
    prev2, prev = y, _combine([(1.0, y), (coef(mu_t, 1, N), hf0)], N, xp)
    pieces = []  # (first row, final states of a block of rows)
    for j in range(2, int(s[0]) + 1):
        m, before = int(np.count_nonzero(s >= j)), int(np.count_nonzero(s >= j - 1))
        if before > m:  # the rows with s = j - 1 finished at the previous stage
            pieces.append((m, tuple(None if c is None else c[m:, ...] for c in prev)))
        hF = _combine(
            [(hrows(m), field(tuple(None if c is None else c[:m, ...] for c in prev)))], m, xp
        )
        mj, nj = coef(mu, j, m), coef(nu, j, m)
        prev2, prev = prev, _combine(
            [(1.0 - mj - nj, y), (mj, prev), (nj, prev2), (coef(mu_t, j, m), hF),
             (coef(gamma_t, j, m), hf0)],
            m,
            xp,
        )  # fmt: skip
    pieces.append((0, prev))
    pieces.sort(key=lambda p: p[0])
    y_new = tuple(
        None if y[c] is None else xp.concat([p[1][c] for p in pieces], axis=0)
        for c in range(len(y))
    ) if len(pieces) > 1 else prev  # fmt: skip
    f_new = field(y_new)
    err = _combine([(0.8, y), (-0.8, y_new), (0.4 * h, f), (0.4 * h, f_new)], N, xp)
    if order is not None:
        back = xp.asarray(np.argsort(order), device=dev)
        y_new, f_new, err = (_take(xp, v, back) for v in (y_new, f_new, err))
    return Step(y_new, f_new, err, [])


def spectral_radius(field, y, f, v, layout, xp, *, max_iter: int = 50, tol: float = 0.01):
    r"""The spectral radius :math:`\rho` of :math:`J=\partial F/\partial y` at each row of ``y``
    by the nonlinear power iteration of RKC: with :math:`\delta=\sqrt{\epsilon}\,\|y\|`
    (:math:`\sqrt\epsilon` when :math:`y=0`) and a direction :math:`v`,

    .. math::

        \sigma_k=\frac{\|F(y+\delta v_k)-F(y)\|}{\delta},\qquad
        v_{k+1}=\frac{F(y+\delta v_k)-F(y)}{\|F(y+\delta v_k)-F(y)\|}
        \approx\frac{Jv_k}{\|Jv_k\|},

    stopped when :math:`|\sigma_k-\sigma_{k-1}|\le` ``tol`` :math:`\sigma_k` (or after
    ``max_iter`` field calls, with the last :math:`\sigma`): :math:`\sigma\to|\lambda|_{\max}`.
    One batched field call per iteration for the rows not yet converged.

    Parameters
    ----------
    field : callable
        :math:`F` on state tuples.
    y, f : tuple of arrays
        States (``m`` rows) and :math:`F(y)`.
    v : array (m, n) or None
        Start directions (host, :class:`~fixedpoints.numeric.ode.jacobian.Layout` order), e.g.
        the last call's; None or zero rows: :math:`F(y)` (ones where that vanishes).
    layout : Layout
    xp : array namespace

    Returns
    -------
    rho : array (m,)
        :math:`\sigma` per row (host).
    v : array (m, n)
        The last directions (host), to start the next estimate.
    """
    Y, FY = layout.flat(y, xp), layout.flat(f, xp)
    m, n = int(Y.shape[0]), int(Y.shape[1])
    dev = _device(Y)
    V = np.zeros((m, n)) if v is None else np.array(v, dtype=float)
    vn = np.linalg.norm(V, axis=1)
    if (vn == 0).any():  # no direction yet: F(y), or ones where that vanishes too
        V[vn == 0] = np.asarray(to_numpy(FY), dtype=float)[vn == 0]
        V[np.linalg.norm(V, axis=1) == 0] = 1.0
    vn = np.linalg.norm(V, axis=1)
    root = float(np.sqrt(np.finfo(float).eps))
    yn = to_numpy(xp.sqrt(xp.sum(Y * Y, axis=1)))
    delta = root * np.where(yn > 0, yn, 1.0)
    rho, out = np.zeros(m), np.zeros((m, n))
    sigma = np.zeros(m)
    live = np.arange(m)
    D = xp.asarray(V * (delta / vn)[:, None], device=dev)
    for k in range(int(max_iter)):
        idx = xp.asarray(live, device=dev)
        Yl, Fl = (Y, FY) if live.size == m else (xp.take(Y, idx, 0), xp.take(FY, idx, 0))
        diff = layout.flat(field(layout.unflat(Yl + D, xp)), xp) - Fl
        dn = to_numpy(xp.sqrt(xp.sum(diff * diff, axis=1)))
        new = dn / delta[live]
        done = (dn == 0) | (k + 1 == int(max_iter))
        if k:
            done |= np.abs(new - sigma[live]) <= tol * new
        sigma[live] = new
        scale = np.where(dn > 0, delta[live] / np.where(dn > 0, dn, 1.0), 0.0)
        D = diff * xp.asarray(scale, device=dev)[:, None]
        if done.any():
            fin = live[done]
            rho[fin] = new[done]
            out[fin] = to_numpy(D)[done] / delta[fin, None]
        keep = np.flatnonzero(~done)
        if keep.size == 0:
            break
        live = live[keep]
        D = xp.take(D, xp.asarray(keep, device=dev), axis=0)
    return rho, out
