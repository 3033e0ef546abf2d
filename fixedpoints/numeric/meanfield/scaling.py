r"""Mean-field scaling of a two-layer network's training: output :math:`\frac1m`, step :math:`\times m`.

A network of m particles :math:`(a_i,w_i)` with :math:`f(x)=\frac1m\sum_ia_i\sigma(w_i^\top x)`
is the particle discretization of :math:`f(\mu;x)=\int a\,\sigma(w^\top x)\,d\mu(a,w)`, and the
gradient flow of the risk with time scaled by m, :math:`\dot\theta_i=-m\nabla_{\theta_i}R`, is
the Wasserstein gradient flow of :math:`R(\mu)` restricted to empirical measures (Chizat & Bach
2018; Mei, Montanari & Nguyen 2018). In terms of a loss :math:`\mathcal L(W,\tilde a)` of the
standard parameterization :math:`f=\sum_i\tilde a_i\sigma(w_i^\top x)` and
:math:`R(W,a)=\mathcal L(W,a/m)`:

.. math::

    \dot w_i=-m\,\nabla_{w_i}\mathcal L(W,a/m),\qquad
    \dot a_i=-\nabla_{\tilde a_i}\mathcal L(W,a/m),

which is what :meth:`MeanFieldScaling.gradient` returns (negated), so the one batched trainer
(:func:`fixedpoints.numeric.simulate.simulate`) runs the mean-field dynamics unchanged, for any
loss object with ``loss``/``gradient`` (the full :class:`~fixedpoints.numeric.population.PopulationLoss`,
the rotation-reduced :class:`~fixedpoints.numeric.meanfield.reduced.ReducedLoss`, or sampled data
through :meth:`MeanFieldScaling.sampled`).
"""

from __future__ import annotations

from fixedpoints.errors import out_of_range

__all__ = ["MeanFieldScaling"]


class MeanFieldScaling:
    """The mean-field velocity field of a standard-parameterization loss (module docstring).

    Parameters
    ----------
    population : object
        ``loss(W, a)`` and ``gradient(W, a) -> (grad_W, grad_a)`` of the standard
        parameterization, with ``xp`` and ``kernels`` (``spherical`` is read).
    m : int
        Particles per network.
    """

    def __init__(self, population, m: int):
        if int(m) < 1:
            raise out_of_range("particles", m, "an integer >= 1")
        self.population, self.m = population, int(m)
        self.xp, self.kernels = population.xp, population.kernels
        self.target = getattr(population, "target", None)

    def loss(self, W, a):
        r""":math:`R(W,a)=\mathcal L(W,a/m)`."""
        return self.population.loss(W, a / self.m)

    def gradient(self, W, a):
        r""":math:`(m\nabla_W\mathcal L,\ \nabla_{\tilde a}\mathcal L)` at :math:`(W,a/m)`: minus
        the mean-field velocity, :math:`m` times the gradient of :math:`R`."""
        gW, ga = self.population.gradient(W, a / self.m)
        return self.m * gW, ga

    def sampled(self, sampled):
        """The same scaling of a sampled loss (``gradient(W, a, X)``), for SGD."""
        return _ScaledSampled(sampled, self.m)

    def output(self, W, a, X):
        r""":math:`f(x)=\frac1m\sum_ia_i\,\mathrm{relu}(w_i^\top x)` on ``X`` ``(..., n, d)``
        for batched ``W`` ``(..., m, d)``, ``a`` ``(..., m, 1)``: shape ``(..., n)``."""
        xp = self.xp
        pre = X @ xp.matrix_transpose(W)
        return (xp.where(pre > 0, pre, 0.0) @ a)[..., 0] / self.m


class _ScaledSampled:
    def __init__(self, sampled, m):
        self.sampled, self.m = sampled, m

    def loss(self, W, a, X):
        return self.sampled.loss(W, a / self.m, X)

    def gradient(self, W, a, X):
        gW, ga = self.sampled.gradient(W, a / self.m, X)
        return self.m * gW, ga
