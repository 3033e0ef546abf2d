r"""The exact reduction of a wide ReLU network whose target depends on :math:`P_Hx` only.

If :math:`f^*(x)=g(P_Hx)` with :math:`\dim H=r` and the initial measure is invariant under the
rotations of :math:`H^\perp` (codimension :math:`c=d-r`), it stays invariant (Hajjar & Chizat 2022)
and a particle is the orbit :math:`\{(a,v,\varrho s):s\in S^{c-1}\}` of
:math:`(a,v,\varrho)\in\mathbb R\times\mathbb R^r\times\mathbb R_{\ge0}`: :math:`r+2` numbers
instead of :math:`d+1`. Two orbits interact through the arc-cosine kernel averaged over the
relative position :math:`t=s^\top s'` of independent uniform :math:`s,s'`, whose density is
:math:`\propto(1-t^2)^{(c-3)/2}` on :math:`[-1,1]` (two atoms :math:`\pm1` for :math:`c=1`):

.. math::

    \bar K_{ij}=\mathbb E_t\big[K(A_i,A_j,\,v_i^\top v_j+\varrho_i\varrho_jt)\big],\qquad
    A_i=\|v_i\|^2+\varrho_i^2,

including :math:`i=j` (an orbit's self-interaction is averaged too: :math:`\bar K_{ii}\ne A_i/2`).
The loss of the standard parameterization is then exactly the full population loss of the
invariant measure,

.. math::

    \mathcal L=c_L\Big[\sum_{ij}a_ia_j\bar K_{ij}-2\sum_ia_iC(A_i,\|v_i\|^2)+\mathbb E f^{*2}\Big],

with the target's cross kernel :math:`C` (:class:`~fixedpoints.numeric.meanfield.SubspaceNormTarget`),
and its gradient in :math:`(v_i,\varrho_i)` is the full gradient projected on the orbit
(:math:`\|dw\|^2=\|dv\|^2+d\varrho^2` when :math:`ds=0`):

.. math::

    \partial_{v_i}\bar K_{ij}=\mathbb E_t[2K_Av_i+K_Pv_j],\qquad
    \partial_{\varrho_i}\bar K_{ij}=\mathbb E_t[2K_A\varrho_i+K_P\varrho_jt]\quad(i\ne j),

and :math:`\frac{d}{dy}\bar K_{ii}=\mathbb E_t[(K_A+K_B)2y+K_P\,\partial_yP]` for the self term.
:math:`\varrho=0` is invariant (:math:`\mathbb E t=0`). Scale it by
:class:`~fixedpoints.numeric.meanfield.MeanFieldScaling` for the mean-field flow.

The average over :math:`t` is a quadrature (:func:`orbit_rule`): Gauss–Legendre in
:math:`\theta=\arccos t` with the weight :math:`\sin^{c-2}\theta` for :math:`2\le c\le 12` (the
integrand is analytic in θ even for the self term, whose :math:`\sqrt{1-t}` at :math:`t=1`
becomes :math:`\sin(\theta/2)`), Gauss–Jacobi in :math:`t` with
:math:`\alpha=\beta=\frac{c-3}2` for :math:`13\le c<30` (the weight then vanishes to high
order where the self term is singular, and concentrates at :math:`|t|\lesssim c^{-1/2}`: the
error falls by about :math:`2/c` per node), and from :math:`c=30` the moment series
:math:`\mathbb E\,g(y+zt)=\sum_k g^{(2k)}(y)z^{2k}m_{2k}/(2k)!` with
:math:`m_{2k}=\mathbb E\,t^{2k}=\prod_{j<k}\frac{2j+1}{c+2j}` (one arc-cosine per pair and a
polynomial recursion, :meth:`ReducedLoss._series`). All routes evaluate the kernel in the
normalized form of :func:`_arc`, exact near collinear pairs.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import roots_jacobi, roots_legendre

from fixedpoints.errors import out_of_range

__all__ = ["OrbitRule", "ReducedLoss", "orbit_rule"]

_THETA_MAX_C = 12
_SERIES_MIN_C = 30


class OrbitRule:
    r"""How :math:`\mathbb E_t` over the relative position :math:`t=s^\top s'` of two orbits
    (independent uniform :math:`s,s'\in S^{c-1}`) is computed: nodes :math:`t_q` and weights
    :math:`w_q` (summing to 1; ``one_minus_t`` holds :math:`1-t_q` to full relative precision),
    or, for a large codimension, the even moments :math:`m_{2k}=\mathbb E\,t^{2k}` of the
    moment series (``moments``; ``t`` is then None)."""

    def __init__(self, c: int, t=None, weights=None, one_minus_t=None, moments=None):
        self.c = int(c)
        self.t = None if t is None else np.asarray(t, dtype=float)
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self.one_minus_t = None if one_minus_t is None else np.asarray(one_minus_t, dtype=float)
        self.moments = None if moments is None else tuple(float(m) for m in moments)

    @property
    def nodes(self) -> int:
        """Quadrature nodes, or terms of the moment series."""
        return len(self.moments) if self.moments is not None else int(self.t.size)


def orbit_rule(c: int, nodes: int | None = None) -> OrbitRule:
    r"""The average over the relative position of two orbits in codimension ``c`` (module
    docstring). ``nodes`` overrides the default: 64 Gauss–Legendre nodes in θ for
    :math:`c=2`, 40 for :math:`3\le c\le12`; Gauss–Jacobi with
    :math:`\lceil30/\ln(c/2)\rceil+1` nodes for :math:`13\le c<30`; beyond, the moment
    series until a term's bound falls below 1e-17 (K = 33 terms at c = 30, 13 at 100, 7 at
    1000: about 10 ns per pair and term, against about 60 ns per pair and quadrature node).
    Loss and gradient are within about 1e-13 of a 200-node rule at random points (tested).

    >>> rule = orbit_rule(3)  # t uniform on [-1, 1]
    >>> round(float(rule.weights @ rule.t**2), 12)
    0.333333333333
    >>> orbit_rule(1000).moments[:2]  # E t^2 = 1/c, E t^4 = 3/(c(c+2))
    (0.001, 2.9940119760479042e-06)
    """
    if int(c) < 1:
        raise out_of_range("codimension", c, "an integer >= 1 (d > d_H)")
    c = int(c)
    if c == 1:
        return OrbitRule(1, [1.0, -1.0], [0.5, 0.5], [0.0, 2.0])
    if c <= _THETA_MAX_C:
        n = (64 if c == 2 else 40) if nodes is None else int(nodes)
        x, w = roots_legendre(n)
        theta = 0.5 * math.pi * (x + 1.0)
        w = w * np.sin(theta) ** (c - 2)
        return OrbitRule(c, np.cos(theta), w / w.sum(), 2.0 * np.sin(theta / 2) ** 2)
    if c < _SERIES_MIN_C or nodes is not None:
        n = math.ceil(30 / math.log(c / 2)) + 1 if nodes is None else int(nodes)
        t, w = roots_jacobi(n, (c - 3) / 2, (c - 3) / 2)
        return OrbitRule(c, t, w / w.sum(), 1.0 - t)
    moments, m, k = [], 1.0, 1
    while True:  # term k is at most m_2k max(((2k-3)!!)^2, (4k-5)!!/4^k)/(2k)! (|y| = 0, 1)
        m *= (2 * k - 1) / (c + 2 * k - 2)
        moments.append(m)
        bound = max(_double_factorial(2 * k - 3) ** 2, _double_factorial(4 * k - 5) / 4**k)
        if m * bound / math.factorial(2 * k) < 1e-17:
            return OrbitRule(c, moments=moments)
        k += 1


def _double_factorial(n: int) -> float:
    return float(math.prod(range(n, 0, -2))) if n > 0 else 1.0


def _arc(y, one_minus):
    r""":math:`\sqrt{1-y^2}` and :math:`g'(y)=\pi-\arccos y` of the normalized arc-cosine
    kernel :math:`K=\frac{\sqrt D}{2\pi}g(y)`, :math:`g(y)=\sqrt{1-y^2}+(\pi-\arccos y)y`,
    from :math:`1-y` given separately (``one_minus``): :math:`\arccos y=2\arcsin\sqrt{(1-y)/2}`
    keeps full precision near collinear pairs, where :math:`y` rounds to 1
    (the self term of a particle inside H), unlike the two-variable form
    (DESIGN §1, pitfalls)."""
    acos = 2 * np.arcsin(np.sqrt(np.clip(one_minus, 0, 2) / 2))
    root_e = np.sqrt(np.maximum(one_minus * (1.0 + y), 0.0))
    return root_e, np.pi - acos


class ReducedLoss:
    r"""Loss and gradient of the rotation-reduced network (module docstring), batched.

    States are ``Y`` of shape ``(..., k, r + 1)`` (rows :math:`(v_i,\varrho_i)`) and second
    layers ``a`` of shape ``(..., k, 1)``, the standard parameterization (wrap in
    :class:`~fixedpoints.numeric.meanfield.MeanFieldScaling` for the mean-field flow).

    Parameters
    ----------
    kernels : PairKernels
        Compiled kernels of the (ReLU) model: its loss ``scale``; the arc-cosine kernel itself
        is evaluated in the normalized form of :func:`_arc`.
    target : SubspaceNormTarget
        The target and the subspace dimension r; ``target.d`` fixes the codimension.
    nodes : int, optional
        Quadrature nodes (:func:`orbit_rule`).
    """

    def __init__(self, kernels, target, *, nodes: int | None = None):
        if target.d == target.r:
            raise out_of_range("d_H", target.r, f"< d = {target.d} for a reduction (H^perp != 0)")
        self.kernels, self.target, self.xp = kernels, target, np
        self.rule = orbit_rule(target.d - target.r, nodes)
        self.constant = kernels.scale * target.second_moment

    def _split(self, Y):
        Y = np.asarray(Y, dtype=float)
        v, rho = Y[..., :-1], Y[..., -1]
        return v, rho, np.sum(v * v, axis=-1) + rho * rho

    def averaged(self, Y):
        r"""The orbit-averaged kernel and its partials on every pair, each ``(..., k, k)``:
        :math:`(\bar K,\ \partial_{A_i}\bar K,\ \partial_{P_0}\bar K,\ \partial_s\bar K)` as a
        function of :math:`(A_i,A_j,P_0=v_i^\top v_j,s=\varrho_i\varrho_j)`, the diagonal
        the self terms. The A-partial follows from the others by homogeneity,
        :math:`2A_i\partial_{A_i}\bar K=\bar K-P_0\partial_{P_0}\bar K-s\partial_s\bar K`."""
        v, rho, A = self._split(Y)
        return self._averaged(v, rho, A)

    def _averaged(self, v, rho, A):
        P0 = v @ np.swapaxes(v, -1, -2)
        s = rho[..., :, None] * rho[..., None, :]
        if self.rule.moments is not None:
            K, KP, Ks = self._series(P0, s, A)
        else:
            K, KP, Ks = self._quadrature(P0, s, A)
        Ai = A[..., :, None]
        safe = np.where(Ai > 0, Ai, 1.0)
        KA = np.where(Ai > 0, (K - P0 * KP - s * Ks) / (2 * safe), 0.0)
        return K, KA, KP, Ks

    def _quadrature(self, P0, s, A):
        """K, ∂_P K and ∂_P K·t averaged over the rule's nodes, in the normalized form
        :func:`_arc` (the self terms with :math:`1-y=\varrho^2(1-t)/A` exactly)."""
        ru = self.rule
        k = A.shape[-1]
        idx = np.arange(k)
        rootD = np.sqrt(A[..., :, None] * A[..., None, :])
        safe = np.where(rootD > 0, rootD, 1.0)[..., None]
        y = np.clip((P0[..., None] + s[..., None] * ru.t) / safe, -1.0, 1.0)
        one_minus = 1.0 - y
        one_minus[..., idx, idx, :] = (s[..., idx, idx] / safe[..., idx, idx, 0])[
            ..., None
        ] * ru.one_minus_t
        root_e, gp = _arc(y, one_minus)
        w = ru.weights
        K = rootD * ((root_e + gp * y) @ w) / (2 * np.pi)
        return K, (gp @ w) / (2 * np.pi), (gp @ (w * ru.t)) / (2 * np.pi)

    def _series(self, P0, s, A):
        r"""The moment series in :math:`t` (large codimension): with :math:`y=P_0/\sqrt D`,
        :math:`D=A_iA_j`, :math:`q=s/(\sqrt D(1-y^2))` and
        :math:`\tilde f_{n+1}=(2n+1)y\tilde f_n+n^2(1-y^2)\tilde f_{n-1}` (:math:`\tilde f_0=1`,
        :math:`\tilde f_1=y`; :math:`\tilde f_n=(1-y^2)^{n+1/2}\partial_y^n(1-y^2)^{-1/2}`),
        :math:`\mathbb E g(y+zt)=g(y)+(1-y^2)^{3/2}\sum_k\tilde f_{2k-2}q^{2k}m_{2k}/(2k)!`,
        and likewise :math:`\mathbb E g'=g'+(1-y^2)^{1/2}\sum_k\tilde f_{2k-1}q^{2k}m_{2k}/(2k)!`,
        :math:`\mathbb E g't=(1-y^2)^{1/2}\sum_k\tilde f_{2k-2}q^{2k-1}m_{2k}/(2k-1)!`."""
        k = A.shape[-1]
        idx = np.arange(k)
        rootD = np.sqrt(A[..., :, None] * A[..., None, :])
        safe = np.where(rootD > 0, rootD, 1.0)
        y = np.clip(P0 / safe, -1.0, 1.0)
        z = s / safe
        one_minus = 1.0 - y
        one_minus[..., idx, idx] = z[..., idx, idx]  # exact for the self terms (y + z = 1)
        root_e, gp = _arc(y, one_minus)
        e = root_e * root_e
        q = np.where(e > 0, z / np.where(e > 0, e, 1.0), 0.0)
        # F_n = f~_n q^n: F_{n+1} = (2n+1) (yq) F_n + n^2 (e q^2) F_{n-1}
        yq, eq2 = y * q, e * q * q
        even, odd = np.ones_like(y), yq.copy()  # F_0, F_1
        sum_g, sum_gp, sum_gt = np.zeros_like(y), np.zeros_like(y), np.zeros_like(y)
        tmp = np.empty_like(y)
        fact = 1.0
        for kk, m in enumerate(self.rule.moments, start=1):
            n = 2 * kk - 2  # even = F_n, odd = F_{n+1}
            fact *= (2 * kk - 1) * (2 * kk)
            sum_g += np.multiply(even, m / fact, out=tmp)
            sum_gt += np.multiply(even, m * 2 * kk / fact, out=tmp)
            sum_gp += np.multiply(odd, m / fact, out=tmp)
            if kk == len(self.rule.moments):
                break
            np.multiply(eq2, even, out=even)
            even *= (n + 1) ** 2
            even += np.multiply(yq, odd, out=tmp).__imul__(2 * n + 3)  # F_{n+2}
            np.multiply(eq2, odd, out=odd)
            odd *= (n + 2) ** 2
            odd += np.multiply(yq, even, out=tmp).__imul__(2 * n + 5)  # F_{n+3}
        c = 1.0 / (2 * np.pi)
        Eg = root_e + gp * y + e * root_e * q * q * sum_g
        return c * rootD * Eg, c * (gp + root_e * q * sum_gp), c * root_e * q * sum_gt

    def kernel(self, Y):
        r""":math:`\bar K` of all pairs, ``(..., k, k)``."""
        return self.averaged(Y)[0]

    def loss(self, Y, a):
        r""":math:`\mathcal L(Y,a)`; shape ``Y.shape[:-2]``."""
        v, rho, A = self._split(Y)
        a = np.asarray(a, dtype=float)[..., 0]
        Kbar = self._averaged(v, rho, A)[0]
        C, _, _ = self.target.cross(A, np.sum(v * v, axis=-1))
        quad = np.einsum("...i,...ij,...j->...", a, Kbar, a)
        return self.kernels.scale * (quad - 2 * np.sum(a * C, axis=-1)) + self.constant

    def gradient(self, Y, a):
        """``(grad_Y, grad_a)`` of :meth:`loss`."""
        v, rho, A = self._split(Y)
        a = np.asarray(a, dtype=float)[..., 0]
        K, KA, KP, Ks = self._averaged(v, rho, A)
        k = A.shape[-1]
        idx = np.arange(k)
        aa = a[..., :, None] * a[..., None, :]
        aa[..., idx, idx] = 0.0  # pairs i != j, counted twice in the symmetric double sum
        gA = 2 * np.sum(aa * KA, axis=-1)
        gv = 2 * gA[..., None] * v + 2 * (aa * KP) @ v
        grho = 2 * gA * rho + 2 * np.einsum("...ij,...j->...i", aa * Ks, rho)
        # self terms K(A, A, |v|^2 + rho^2 t): d/dv = 2(2 K_A + K_P) v, d/drho = 2(2 K_A + K_s) rho
        a_sq = a * a
        sA, sP, ss_ = KA[..., idx, idx], KP[..., idx, idx], Ks[..., idx, idx]
        gv = gv + (a_sq * 2 * (2 * sA + sP))[..., None] * v
        grho = grho + a_sq * 2 * (2 * sA + ss_) * rho
        C, CA, CN = self.target.cross(A, np.sum(v * v, axis=-1))
        gv = gv - 2 * (a * 2 * (CA + CN))[..., None] * v
        grho = grho - 2 * a * 2 * CA * rho
        c = self.kernels.scale
        gY = c * np.concatenate([gv, grho[..., None]], axis=-1)
        ga = c * 2 * (np.einsum("...ij,...j->...i", K, a) - C)
        return gY, ga[..., None]
