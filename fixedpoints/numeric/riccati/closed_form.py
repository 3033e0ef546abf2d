r"""Exact gradient flow of quadratic networks: the matrix Riccati solution, batched over runs.

Model class: :math:`f_W(x)=a\sum_j(w_j\cdot x)^2=x^\top Zx`, :math:`Z=aW^\top W` (rows
:math:`w_j` of :math:`W\in\mathbb R^{k\times d}`, one common :math:`a>0`), teacher
:math:`x^\top Z^*x`, square loss :math:`s\,\mathbb E[(f-f^*)^2]` with
:math:`x\sim\mathcal N(0,I_d)`, i.e. :math:`\mathcal L=s(2\|Z-Z^*\|_F^2+\tau^2)`,
:math:`\tau=\operatorname{tr}(Z-Z^*)`. In the standard time :math:`u=4as\,t` the flow is
:math:`\dot Z=(2Z^*-\tau)Z+Z(2Z^*-\tau)-4Z^2` (Martin, Bach & Biroli 2024, §2 of the notes), whose
solution from :math:`Z_0=CC^\top` is

.. math::

    Z(u)=e^{-2\phi}\,E\,C\,K^{-1}C^\top E,\qquad E=e^{2uZ^*},\qquad
    K(u)=I+4\int_0^ue^{-2\phi(v)}C^\top e^{4vZ^*}C\,dv,\qquad
    \phi(u)=\int_0^u\tau,

with the exact identity :math:`\log\det K=4(\phi+u\operatorname{tr}Z^*)`. In the eigenbasis of
:math:`Z^*` (groups :math:`g` of equal eigenvalue :math:`\mu_g`, rows :math:`C_g` of :math:`C`)
:math:`K=I+e^{-2\phi}\sum_ge^{4u\nu_g}h_gC_g^\top C_g` with :math:`\nu_g=\max(\mu_g,0)` and
the scalars :math:`h_g=4e^{2\phi(u)}\int_0^ue^{-2\phi(v)}e^{4v\mu_g-4u\nu_g}dv` (the growth of
:math:`e^{-2\phi}` and :math:`e^{4u\mu}` factored out, so they stay of order one near a critical
point and the steps stay long):

.. math::

    h_g' = 4e^{4u(\mu_g-\nu_g)}+(2\tau-4\nu_g)h_g,\qquad
    \phi'=\tau=\operatorname{tr}Z-\operatorname{tr}Z^*,

so a run is :math:`p+2` numbers (:math:`u`, :math:`\phi`, :math:`h_1\dots h_p`,
:math:`p` distinct teacher eigenvalues) integrated by the one ODE engine
(:func:`~fixedpoints.numeric.ode.solve`); :math:`Z` follows in closed form at any requested time.

**Stable evaluation.** :math:`R=EC` is graded (rows :math:`\propto e^{2u\mu_g}`). Its columns are
first rotated (an orthogonal change of student basis, which leaves :math:`Z` unchanged) so that
the rows of each group vanish *exactly* on the columns the groups above it already span — the
structural zeros (e.g. students in the null space of :math:`Z^*`) are then exact, and no rounding
error is amplified by :math:`e^{4u\mu}` (the pitfall of the notes, §2). Column :math:`i` is then
scaled by :math:`e^{-2u\mu_{t(i)}}`, :math:`t(i)` the first group with a non-zero entry in it, so
that :math:`\tilde R=RD` has entries :math:`e^{2u(\mu_g-\mu_{t(i)})}C_{gi}` of at most order one
whatever :math:`u`. With :math:`\tilde R=QT` (thin QR), :math:`Z=Q\,N\,Q^\top`,
:math:`N=(e^{2\phi}T^{-\top}D^2T^{-1}+Q^\top HQ)^{-1}` (:math:`H` the :math:`h_g` on the rows of
group :math:`g`, times :math:`e^{4u(\nu_g-\mu_g)}`). When every rotated Gram matrix :math:`C_g^\top C_g` is diagonal (e.g. orthonormal
students and a two-level teacher: the reduction to :math:`m` eigenvalues :math:`x_i` and three
scalar ODEs of the notes) :math:`K` is diagonal and

.. math::

    \operatorname{tr}Z=\sum_i\frac{\sum_ge^{4u(\mu_g-\mu_{t(i)})}s_{gi}}
    {e^{2\phi-4u\mu_{t(i)}}+\sum_ge^{4u(\nu_g-\mu_{t(i)})}h_gs_{gi}},

:math:`s_{gi}=(C_g^\top C_g)_{ii}`. Nothing overflows for :math:`\mu\ge0`; runs are re-anchored
(:math:`C\leftarrow` a factor of :math:`Z(u)`, :math:`u,\phi,h\leftarrow0`) once
:math:`|\phi|>100` since the anchor, and after :math:`\Delta u=150/|\mu_{\min}|` for a negative
teacher eigenvalue (then :math:`D^2=e^{-4u\mu_t}` grows).

Observables, with :math:`X=2(QN-DQ)+\tau Q` (:math:`D=Q`-space action of :math:`Z^*`):
:math:`\|\nabla_W\mathcal L\|^2=16as^2\operatorname{tr}(XNX^\top)` and
:math:`\mathcal L=4s\big[\tfrac12\|Z-Z^*\|_F^2+\tfrac14\tau^2\big]`, both formed without
cancellation near the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fixedpoints.errors import out_of_range

__all__ = ["OBSERVABLES", "PHI_STEP", "Anchor", "RiccatiProblem"]

PHI_STEP = 100.0  # re-anchor once |φ| since the anchor exceeds this (e^{2φ} stays in range)
OBSERVABLES = ("loss", "gradient_norm", "phi", "trace", "teacher_overlap", "frobenius", "overlap")


@dataclass(frozen=True)
class RiccatiProblem:
    r"""The teacher in its eigenbasis and the model constants.

    Attributes
    ----------
    basis : ndarray (d, d)
        Orthonormal eigenvectors of :math:`Z^*` (columns), grouped, eigenvalues descending.
    mu : ndarray (p,)
        Distinct eigenvalues :math:`\mu_g`, descending.
    sizes : tuple of int
        Multiplicities :math:`n_g`.
    a, s : float
        Second-layer weight and loss scale (time :math:`u=4as\,t`).
    """

    basis: np.ndarray
    mu: np.ndarray
    sizes: tuple
    a: float = 1.0
    s: float = 0.25

    @classmethod
    def from_teacher(cls, Zstar, *, a: float = 1.0, s: float = 0.25, rtol: float = 1e-12):
        """Eigen-decompose :math:`Z^*`; eigenvalues within ``rtol``·max|μ| are one group."""
        Zs = np.asarray(Zstar, dtype=float)
        if Zs.ndim != 2 or Zs.shape[0] != Zs.shape[1] or not np.allclose(Zs, Zs.T, atol=1e-12):
            raise out_of_range("Zstar", f"shape {Zs.shape}", "a symmetric (d, d) matrix")
        if not (a > 0 and s > 0):
            raise out_of_range("a, s", (a, s), "positive second-layer weight and loss scale")
        if np.allclose(Zs, np.diag(np.diag(Zs)), atol=0):
            lam, vec = np.diag(Zs).copy(), np.eye(Zs.shape[0])
        else:
            lam, vec = np.linalg.eigh(Zs)
        order = np.argsort(-lam, kind="stable")
        lam, vec = lam[order], vec[:, order]
        tol = rtol * max(1.0, float(np.max(np.abs(lam))))
        mu, sizes = [], []
        for v in lam:
            if mu and abs(mu[-1] - v) <= tol:
                sizes[-1] += 1
            else:
                mu.append(float(v))
                sizes.append(1)
        return cls(vec, np.array(mu), tuple(sizes), float(a), float(s))

    @staticmethod
    def class_error(population) -> str | None:
        r"""Why a compiled model (:class:`~fixedpoints.numeric.population.PopulationLoss`) is not a
        quadratic network of this class, or None: it needs a square loss, a fixed second layer
        with one value :math:`a>0`, free (non-spherical) neurons and the loss
        :math:`s(2\|Z-Z^*\|_F^2+\tau^2)` at two random points to 1e-10 (relative)."""
        kt = population.kernels
        a = None if kt.a is None else np.asarray(kt.a, dtype=float)
        if not kt.square:
            return "a square loss"
        if kt.spherical:
            return "free (not spherical) neurons"
        if a is None or a.shape[1] != 1 or not np.all(a == a[0, 0]) or not a[0, 0] > 0:
            return "a fixed second layer with one value a > 0"
        V = np.asarray(population.V, dtype=float)
        b = np.asarray(kt.b, dtype=float)[:, 0]
        Zs = V.T @ (b[:, None] * V)
        W = np.random.default_rng(0).normal(size=(2, a.shape[0], V.shape[1])) / np.sqrt(V.shape[1])
        Z = a[0, 0] * np.swapaxes(W, -1, -2) @ W - Zs
        want = kt.scale * (2 * np.sum(Z * Z, axis=(1, 2)) + np.trace(Z, axis1=1, axis2=2) ** 2)
        with np.errstate(all="ignore"):
            got = np.asarray(population.loss(population.xp.asarray(W)), dtype=float)
        if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
            return "quadratic activations (the loss s(2|Z - Z*|^2 + tr(Z - Z*)^2))"
        return None

    @classmethod
    def from_population(cls, population):
        """The problem of a compiled model in the class (:meth:`class_error`).

        Raises
        ------
        ParameterError
            Naming ``method`` when the model is not a quadratic network of this class.
        """
        why = cls.class_error(population)
        if why is not None:
            raise out_of_range(
                "method",
                "exact",
                "'gd', 'flow' or 'sgd' for this model",
                f"The exact (Riccati) solution needs {why}.",
            )
        return cls._build(population)

    @classmethod
    def of_population(cls, population):
        """The problem of a compiled model in the class, or None (:meth:`class_error`)."""
        return None if cls.class_error(population) else cls._build(population)

    @classmethod
    def _build(cls, population):
        kt = population.kernels
        V = np.asarray(population.V, dtype=float)
        b = np.asarray(kt.b, dtype=float)[:, 0]
        return cls.from_teacher(V.T @ (b[:, None] * V), a=float(kt.a[0, 0]), s=kt.scale)

    def critical_starts(self, k: int, limit: int = 2000):
        r"""Every critical point :math:`Z_S` of the landscape as weights (notes §3): for each
        choice of :math:`c_g\le n_g` directions of each eigenvalue group (:math:`s=\sum c_g\le
        \min(k,d)`), :math:`\tau_S=-2\sum_{l\notin S}\mu_l/(2+s)` and students
        :math:`w=\sqrt{(\mu_g-\tau_S/2)/a}\,v` on the chosen eigenvectors :math:`v`, the other
        :math:`k-s` students zero. Choices with :math:`\mu_g-\tau_S/2<0` (an indefinite
        teacher) have no real weights and are skipped.

        Returns
        -------
        starts : ndarray (n, k, d)
        complete : bool
            False when more than ``limit`` choices exist (the first ``limit`` are returned).
        """
        sizes = np.array(self.sizes)
        starts_at = np.concatenate([[0], np.cumsum(sizes)])
        out = []
        smax = min(k, self.d)
        total_mu = float(np.sum(self.mu * sizes))
        for counts in _choices(tuple(int(n) for n in sizes), smax):
            s = sum(counts)
            if len(out) >= limit:
                return np.array(out), False
            rest = total_mu - float(np.dot(self.mu, counts))
            tau = -2.0 * rest / (2.0 + s)
            lam = self.mu - tau / 2.0
            if any(c and lam[g] < 0 for g, c in enumerate(counts)):
                continue
            W = np.zeros((k, self.d))
            row = 0
            for g, c in enumerate(counts):
                for j in range(c):
                    W[row] = np.sqrt(lam[g] / self.a) * self.basis[:, starts_at[g] + j]
                    row += 1
            out.append(W)
        return np.array(out).reshape(-1, k, self.d), True

    @property
    def d(self) -> int:
        return int(self.basis.shape[0])

    @property
    def time_scale(self) -> float:
        """:math:`4as`: standard time per model time unit."""
        return 4.0 * self.a * self.s

    def anchor_interval(self) -> float:
        r"""Longest standard time between re-anchorings: :math:`150/|\mu_{\min}|` for a negative
        teacher eigenvalue, else unbounded (module docstring)."""
        low = -float(np.min(self.mu))
        return 150.0 / low if low > 0 else float("inf")


def _choices(sizes: tuple, budget: int):
    r"""Every tuple :math:`(c_1,\dots)` with :math:`0\le c_g\le` ``sizes[g]`` and sum at most
    ``budget``."""
    if not sizes:
        yield ()
        return
    for c in range(min(sizes[0], budget) + 1):
        for rest in _choices(sizes[1:], budget - c):
            yield (c, *rest)


class Anchor:
    """A batch of factors :math:`C` (runs, d, r) in the eigenbasis, rotated and compressed
    (module docstring): ``S`` (runs, n_c, r) stacked group rows, ``P`` per group the row bases
    (runs, n_g, r_g) or None, ``diag``, ``s`` (runs, p, r) and ``top`` (runs, r) for the diagonal
    route."""

    def __init__(self, problem: RiccatiProblem, C):
        self.problem = pb = problem
        C = np.array(C, dtype=float)
        runs, d, r = C.shape
        starts = np.concatenate([[0], np.cumsum(pb.sizes)])
        j0 = 0
        for g in range(len(pb.sizes)):
            if j0 >= r:
                break
            rows = slice(starts[g], starts[g + 1])
            _, _, vh = np.linalg.svd(C[:, rows, j0:], full_matrices=True)
            C[:, :, j0:] = C[:, :, j0:] @ np.swapaxes(vh, -1, -2)
            rank = min(pb.sizes[g], r - j0)
            C[:, rows, j0 + rank :] = 0.0  # structural zeros, exactly
            j0 += rank
        self.S, self.P, row_mu = [], [], []
        for g in range(len(pb.sizes)):
            Cg = C[:, starts[g] : starts[g + 1], :]
            if Cg.shape[1] > r:
                Pg, Sg = np.linalg.qr(Cg)
                self.P.append(Pg)
            else:
                Pg, Sg = None, Cg
                self.P.append(None)
            self.S.append(Sg)
            row_mu.append(np.full(Sg.shape[1], pb.mu[g]))
        self.row_mu = np.concatenate(row_mu)
        self.row_group = np.repeat(np.arange(len(pb.sizes)), [s.shape[1] for s in self.S])
        Sall = np.concatenate(self.S, axis=1)
        self.Sall = Sall
        grams = np.stack([np.swapaxes(s, -1, -2) @ s for s in self.S], axis=1)  # (runs,p,r,r)
        off = grams - grams * np.eye(r)
        scale = np.max(np.abs(grams), axis=(1, 2, 3), keepdims=True) + 1e-300
        self.diag = bool(np.all(np.abs(off) <= 1e-13 * scale))
        self.s = np.diagonal(grams, axis1=-2, axis2=-1).copy()  # (runs, p, r)
        self.s[self.s <= 1e-300] = 0.0
        nz = self.s > 0
        self.top = np.where(nz.any(axis=1), np.argmax(nz, axis=1), len(pb.sizes) - 1)
        self.r = r

    # -- closed form ----------------------------------------------------------------------------

    def _diagonal(self, u, phi, h, rows):
        r"""Diagonal route: :math:`n_i=e^{-2\phi}\|R_i\|^2/K_{ii}` and :math:`\mu_{t(i)}`."""
        pb = self.problem
        s = self.s[rows]
        mt = pb.mu[self.top[rows]]  # (n, r)
        nu = np.maximum(pb.mu, 0.0)
        uu = 4.0 * u[:, None, None]
        ex = np.where(s > 0, np.exp(uu * (pb.mu[None, :, None] - mt[:, None, :])), 0.0)
        wt = np.where(s > 0, np.exp(uu * (nu[None, :, None] - mt[:, None, :])), 0.0)
        num = np.sum(ex * s, axis=1)
        den = np.exp(2.0 * phi[:, None] - 4.0 * u[:, None] * mt) + np.sum(
            wt * h[:, :, None] * s, axis=1
        )
        return num / den, mt

    def qn(self, u, phi, h, rows):
        r"""``(Q, N, logdet)``: :math:`Z=QNQ^\top` in the compressed eigenbasis and
        :math:`\log\det K` (module docstring), for the anchored runs ``rows``."""
        S = self.Sall[rows]
        if self.diag:
            n, mt = self._diagonal(u, phi, h, rows)
            scaled = np.exp(2.0 * u[:, None, None] * (self.row_mu[None, :, None] - mt[:, None, :]))
            R = S * np.where(S != 0, scaled, 0.0)
            norm = np.linalg.norm(R, axis=1)
            Q = R / norm[:, None, :]
            # K_ii = |R_i|^2 e^{-2φ}/n_i
            logdet = np.sum(
                2 * np.log(norm) + 4 * u[:, None] * mt - 2 * phi[:, None] - np.log(n), 1
            )
            return Q, n[:, :, None] * np.eye(self.r), logdet
        gh = h[:, self.row_group] * np.exp(
            4.0 * u[:, None] * (np.maximum(self.row_mu, 0.0) - self.row_mu)
        )
        mt = self.problem.mu[self.top[rows]]  # (n, r): the exponent of each column's top group
        scaled = np.exp(2.0 * u[:, None, None] * (self.row_mu[None, :, None] - mt[:, None, :]))
        Q, T = np.linalg.qr(S * np.where(S != 0, scaled, 0.0))
        X = np.exp(-2.0 * u[:, None, None] * mt[:, :, None]) * np.linalg.inv(T)  # D T^{-1}
        M = np.exp(2.0 * phi)[:, None, None] * (np.swapaxes(X, -1, -2) @ X)
        M = M + np.swapaxes(Q, -1, -2) @ (gh[:, :, None] * Q)
        logdet = 2 * np.sum(np.log(np.abs(np.diagonal(T, axis1=-2, axis2=-1))), 1)
        logdet = logdet + np.linalg.slogdet(M)[1] - 2.0 * phi * self.r + 4 * u * mt.sum(1)
        return Q, np.linalg.inv(M), logdet

    def trace(self, u, phi, h, rows):
        r""":math:`\operatorname{tr}Z` (the only quantity the ODE needs)."""
        if self.diag:
            return np.sum(self._diagonal(u, phi, h, rows)[0], axis=1)
        return np.trace(self.qn(u, phi, h, rows)[1], axis1=-2, axis2=-1)

    def _gradient_norm(self, Q, N):
        r""":math:`\|\nabla_W\mathcal L\|=4s\sqrt{a\operatorname{tr}(XNX^\top)}`,
        :math:`X=2(QN-DQ)+\tau Q` (no cancellation near a critical point), and :math:`\tau`."""
        pb = self.problem
        tau = np.trace(N, axis1=-2, axis2=-1) - float(np.sum(pb.mu * np.array(pb.sizes)))
        X = 2.0 * (Q @ N - self.row_mu[None, :, None] * Q) + tau[:, None, None] * Q
        grad2 = np.einsum("nij,njk,nik->n", X, N, X)
        return np.sqrt(16 * pb.a * pb.s**2 * np.clip(grad2, 0.0, None)), tau

    def gradient_norm(self, u, phi, h, rows):
        r""":math:`\|\nabla_W\mathcal L\|` alone (the stop rule's quantity)."""
        Q, N, _ = self.qn(u, phi, h, rows)
        return self._gradient_norm(Q, N)[0]

    def observables(self, u, phi, h, rows):
        """Loss, gradient norm, traces and the factor :math:`QN^{1/2}` (module docstring)."""
        pb = self.problem
        Q, N, logdet = self.qn(u, phi, h, rows)
        sizes = np.array(pb.sizes)
        trZ = np.trace(N, axis1=-2, axis2=-1)
        gradient_norm, tau = self._gradient_norm(Q, N)
        DQ = self.row_mu[None, :, None] * Q
        E = Q @ N @ np.swapaxes(Q, -1, -2) - np.eye(Q.shape[1]) * self.row_mu
        dropped = sizes - np.array([s.shape[1] for s in self.S])
        frob_err2 = np.sum(E * E, axis=(1, 2)) + float(np.sum(pb.mu**2 * dropped))
        ZZs = np.einsum("nij,nji->n", N, np.swapaxes(Q, -1, -2) @ DQ)
        frob = np.sqrt(np.einsum("nij,nji->n", N, N))
        norm_star = float(np.sqrt(np.sum(pb.mu**2 * sizes)))
        with np.errstate(invalid="ignore", divide="ignore"):
            overlap = ZZs / (frob * norm_star)
        w, v = np.linalg.eigh(N)
        factor = Q @ (v * np.sqrt(np.clip(w, 0.0, None))[:, None, :])
        return {
            "loss": 4 * pb.s * (0.5 * frob_err2 + 0.25 * tau**2),
            "gradient_norm": gradient_norm,
            "trace": trZ,
            "teacher_overlap": ZZs,
            "frobenius": frob,
            "overlap": overlap,
            "log_det_K": logdet,
        }, factor

    def full_factor(self, factor, rows):
        """The compressed factor mapped back to the eigenbasis (runs, d, r)."""
        parts, start = [], 0
        for g, S in enumerate(self.S):
            n = S.shape[1]
            block = factor[:, start : start + n]
            P = self.P[g]
            parts.append(block if P is None else P[rows] @ block)
            start += n
        return np.concatenate(parts, axis=1)
