r"""Empirical loss and gradient on sampled Gaussian inputs (online / minibatch SGD).

For inputs :math:`x\sim\mathcal N(0,I_d)`, preactivations :math:`\lambda=Wx`, :math:`\nu=Vx`,
outputs :math:`f=a^\top\sigma(\lambda)`, :math:`f^*=b^\top\tau(\nu)` and a batch mean
:math:`\hat{\mathbb E}`:

.. math::

    \hat{\mathcal L}=c\,\hat{\mathbb E}\|f-f^*\|^2,\qquad
    \nabla_{w_i}\hat{\mathcal L}=2c\,\hat{\mathbb E}\big[(a_i\cdot\Delta)\,\sigma'(\lambda_i)\,x\big],
    \qquad \nabla_a\hat{\mathcal L}=2c\,\hat{\mathbb E}\big[\sigma(\lambda)\Delta^\top\big],

with :math:`\Delta=f-f^*`; for the correlation loss :math:`\hat{\mathcal L}=-c\,\hat{\mathbb E}[f\cdot f^*]`
replace :math:`2\Delta` by :math:`-f^*`. Its expectation is the population loss of
:class:`~fixedpoints.numeric.population.PopulationLoss` (the tests check one against the other by
Monte Carlo). Spherical neurons get the Riemannian gradient.
"""

from __future__ import annotations

__all__ = ["SampledLoss"]


class SampledLoss:
    """Batched empirical loss/gradient (see the module docstring).

    Parameters
    ----------
    population : PopulationLoss
        Supplies ``xp``, the teacher ``V``, ``b``, a fixed ``a``, ``scale``, loss kind and sphere.
    sigma, dsigma, tau : callable
        Element-wise student activation, its derivative, and the teacher activation, in ``xp``.
    """

    def __init__(self, population, sigma, dsigma, tau):
        self.population = population
        self.xp = population.xp
        self.sigma, self.dsigma, self.tau = sigma, dsigma, tau

    def _forward(self, W, a, X):
        p = self.population
        a = p.a if a is None else a
        lam = X @ self.xp.matrix_transpose(W)  # (runs, B, k)
        f = self.sigma(lam) @ a  # (runs, B, o)
        if getattr(p, "target", None) is not None:  # an exact target (one output)
            fstar = self.xp.asarray(p.target(X))
        else:
            fstar = self.tau(X @ p.V.T) @ p.b  # (runs, B, o)
        return a, lam, f, fstar

    def loss(self, W, a, X):
        r""":math:`\hat{\mathcal L}` per run, for inputs ``X`` of shape ``(runs, B, d)``."""
        xp, p = self.xp, self.population
        _, _, f, fstar = self._forward(W, a, X)
        c = p.kernels.scale
        if p.kernels.square:
            return c * xp.mean(xp.sum((f - fstar) ** 2, axis=-1), axis=-1)
        return -c * xp.mean(xp.sum(f * fstar, axis=-1), axis=-1)

    def gradient(self, W, a, X):
        """``(grad_W, grad_a)`` of the batch loss (``grad_a`` None for a fixed second layer)."""
        xp, p = self.xp, self.population
        trainable = a is not None
        a, lam, f, fstar = self._forward(W, a, X)
        c = p.kernels.scale
        E = 2 * c * (f - fstar) if p.kernels.square else -c * fstar  # (runs, B, o)
        B = X.shape[-2]
        coef = (E @ xp.matrix_transpose(a)) * self.dsigma(lam)  # (runs, B, k)
        gW = xp.matrix_transpose(coef) @ X / B
        if p.kernels.spherical:
            gW = gW - xp.sum(gW * W, axis=-1, keepdims=True) * W
        if not trainable:
            return gW, None
        return gW, xp.matrix_transpose(self.sigma(lam)) @ E / B
