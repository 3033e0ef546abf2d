r"""The exact target :math:`f^*(x)=\|P_Hx\|` of a wide ReLU network, as a cross kernel.

For :math:`x\sim\mathcal N(0,I_d)`, :math:`H=\operatorname{span}(e_1,\dots,e_r)` and a ReLU neuron
:math:`w` with :math:`A=\|w\|^2`, :math:`N=\|P_Hw\|^2`:

.. math::

    C_r(A,N)=\mathbb E\big[\mathrm{relu}(w^\top x)\,\|P_Hx\|\big]
        =\frac{\alpha(r)}{2\pi}\sqrt A\;{}_2F_1\!\big(-\tfrac12,-\tfrac12;\tfrac r2;\tfrac NA\big),
    \qquad \alpha(r)=\frac{2\sqrt\pi\,\Gamma(\frac{r+1}2)}{\Gamma(\frac r2)},

from :math:`\|x_H\|=\alpha(r)\,\mathbb E_{u\sim S^{r-1}}[\mathrm{relu}(u^\top x_H)]` and the
arc-cosine kernel averaged over :math:`u` (derived symbolically in
:mod:`fixedpoints.kernels.subspace_norm`, where the tests check it against quadrature and Monte
Carlo). Its partial derivatives, with :math:`z=N/A`, :math:`F=\,_2F_1(-\frac12,-\frac12;\frac r2;z)`,
:math:`F'=\frac1{2r}\,{}_2F_1(\frac12,\frac12;\frac r2+1;z)` (finite at :math:`z=1`):

.. math::

    \partial_AC=\frac{\alpha}{2\pi}\Big(\frac{F}{2\sqrt A}-\frac{N F'}{A^{3/2}}\Big),\qquad
    \partial_NC=\frac{\alpha}{2\pi}\frac{F'}{\sqrt A}.

The target plugs into :class:`~fixedpoints.numeric.population.PopulationLoss` in place of teacher
neurons (``target=``): with :math:`V` the orthonormal basis of :math:`H` (so :math:`M=WV^\top`
holds the coordinates of :math:`P_Hw_i` and :math:`N_i=\sum_rM_{ir}^2`), the cross term of the
square loss is :math:`-2c\sum_ia_iC_r(Q_{ii},N_i)` and the constant :math:`c\,\mathbb E\|P_Hx\|^2=cr`.
The hypergeometric function is SciPy's: host NumPy arrays only.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import hyp2f1

from fixedpoints.errors import out_of_range

__all__ = ["SubspaceNormTarget", "subspace_norm_alpha"]


def subspace_norm_alpha(r: int) -> float:
    r""":math:`\alpha(r)=2\sqrt\pi\,\Gamma(\frac{r+1}2)/\Gamma(\frac r2)`, the mass of the
    uniform measure on the unit sphere of H that represents :math:`\|P_Hx\|` exactly.

    >>> round(subspace_norm_alpha(2), 12) == round(math.pi, 12)
    True
    """
    return 2.0 * math.sqrt(math.pi) * math.exp(math.lgamma((r + 1) / 2) - math.lgamma(r / 2))


class SubspaceNormTarget:
    r""":math:`f^*(x)=\|P_Hx\|`, :math:`H=\operatorname{span}(e_1..e_r)\subset\mathbb R^d`
    (module docstring).

    Parameters
    ----------
    d : int
        Input dimension.
    r : int
        :math:`d_H`, 1 ≤ r ≤ d.
    """

    def __init__(self, d: int, r: int):
        if int(d) < 1:
            raise out_of_range("d", d, "an integer >= 1")
        if not 1 <= int(r) <= int(d):
            raise out_of_range("d_H", r, f"an integer in [1, d = {d}]")
        self.d, self.r = int(d), int(r)
        self.alpha = subspace_norm_alpha(self.r)
        #: :math:`\mathbb E[f^*(x)^2]=r`
        self.second_moment = float(self.r)

    def basis(self) -> np.ndarray:
        """The orthonormal basis of H as rows, ``(r, d)``: the ``V`` the cross term reads."""
        return np.eye(self.r, self.d)

    def __call__(self, X):
        """:math:`f^*` on inputs ``X`` of shape ``(..., d)``: shape ``(..., 1)``."""
        return np.linalg.norm(np.asarray(X)[..., : self.r], axis=-1, keepdims=True)

    def cross(self, A, N):
        r"""``(C, ∂_A C, ∂_N C)`` at :math:`A=\|w\|^2`, :math:`N=\|P_Hw\|^2` (arrays)."""
        A = np.asarray(A, dtype=float)
        N = np.asarray(N, dtype=float)
        safe = np.where(A > 0, A, 1.0)
        z = np.clip(N / safe, 0.0, 1.0)
        c = self.alpha / (2 * math.pi)
        F = hyp2f1(-0.5, -0.5, self.r / 2, z)
        dF = hyp2f1(0.5, 0.5, self.r / 2 + 1, z) / (2 * self.r)
        root = np.sqrt(safe)
        value = np.where(A > 0, c * root * F, 0.0)
        dA = np.where(A > 0, c * (F / (2 * root) - N * dF / safe**1.5), 0.0)
        dN = np.where(A > 0, c * dF / root, 0.0)
        return value, dA, dN

    def overlap_cross(self, q, M):
        r"""The cross kernel in overlap form: :math:`C_i=C_r(q_i,\sum_rM_{ir}^2)`,
        :math:`\partial_{q_i}C` and :math:`\partial C_i/\partial M_{ir}=2\,\partial_NC\,M_{ir}`
        (``M`` of shape ``(..., k, r)``)."""
        N = np.sum(np.asarray(M) ** 2, axis=-1)
        value, dA, dN = self.cross(q, N)
        return value, dA, 2 * dN[..., None] * M
