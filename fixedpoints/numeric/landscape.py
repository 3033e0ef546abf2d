r"""The loss landscape in weight space as a flat coordinate vector, with tangent spaces.

Coordinates :math:`x=(\operatorname{vec}W,\operatorname{vec}a)` (``a`` only for a trainable second
layer). For spherical neurons the search space is the product of spheres :math:`\|w_i\|=1`; its
tangent space at :math:`x` has the orthonormal basis :math:`B(x)` (per neuron a basis of
:math:`w_i^\perp`), the retraction is row normalisation, and the Riemannian Hessian is

.. math::

    \operatorname{Hess}\mathcal L(x)=B^\top\,D\bar g(x)\,B,\qquad
    \bar g(W)=\big(I-w_iw_i^\top\big)\nabla_{w_i}\mathcal L \ \text{(row-wise)},

(Absil, Mahony & Sepulchre, Prop. 5.3.2: the projected derivative of any smooth extension of the
Riemannian gradient). For free neurons :math:`B=I` and this is the ordinary Hessian. Second
derivatives are exact where the kernels have compiled second derivatives
(:mod:`fixedpoints.numeric.weight_hessian`: :math:`B^\top\tilde HB`, batched over points), else
from :mod:`fixedpoints.numeric.derivatives` (extrapolated differences of the exact gradient of
:class:`~fixedpoints.numeric.population.PopulationLoss`, also the tests' oracle).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from fixedpoints.models.naming import OrderParameterNames
from fixedpoints.numeric.derivatives import dense_hessian
from fixedpoints.numeric.population import PopulationLoss

__all__ = ["Landscape", "decouple"]


class Landscape:
    """Loss, gradient, Hessian and symmetry data of a model in weight space.

    Parameters
    ----------
    kernels : PairKernels
        From :func:`fixedpoints.codegen.compile_pair_kernels`.
    V : array (m, d)
        Teacher vectors.
    k : int
        Student neurons.
    outputs : int
        Output dimension (columns of ``a``).
    names : OrderParameterNames, optional
        The model's naming scheme of order parameters (default: the scheme of ``k``, ``m``,
        ``outputs``; a decoupled model keeps the scheme of its full width).
    decoupled : bool
        Whether ``k`` was reduced to one neuron because the loss has no student–student terms
        (correlation loss, fixed second layer): then every fixed point of the full model is a
        tuple of one-neuron fixed points.
    """

    def __init__(self, kernels, V, k: int, outputs: int = 1, decoupled: bool = False, names=None):
        self.kernels = kernels
        self.V = np.asarray(V, dtype=float)
        self.k = int(k)
        self.d = self.V.shape[1]
        self.m = self.V.shape[0]
        self.outputs = int(outputs)
        self.trainable = kernels.a is None
        self.spherical = bool(kernels.spherical)
        self.decoupled = bool(decoupled)
        self.names = names or OrderParameterNames(self.k, self.m, self.outputs)
        self.population = PopulationLoss(kernels, self.V)
        #: second derivatives in closed form (else finite differences of the gradient)
        self.exact = self.population.exact_hessian
        self.n_w = self.k * self.d
        self.dimension = self.n_w + (self.k * self.outputs if self.trainable else 0)

    def __repr__(self) -> str:
        kinds = [
            "spherical" if self.spherical else "",
            "trainable a" if self.trainable else "",
            "decoupled" if self.decoupled else "",
        ]
        extra = "".join(f", {k}" for k in kinds if k)
        return (
            f"Landscape(k={self.k}, m={self.V.shape[0]}, d={self.d}, "
            f"{self.dimension} weights{extra})"
        )

    def with_arrays(self, arrays: dict, V) -> Landscape:
        """The same landscape with new model arrays (``T``, ``b``, ``a``, ``scale``) and teacher
        vectors ``V``: the family member at another parameter value."""
        a = arrays["a"]
        if a is not None and self.decoupled:
            a = a[:1]
        # a shallow copy with four fields set (dataclasses.replace re-runs __init__ over all
        # seventeen fields: a fifth of a family step at small sizes)
        kern = copy.copy(self.kernels)
        for name, value in (("T", arrays["T"]), ("b", arrays["b"]), ("a", a)):
            object.__setattr__(kern, name, value)
        object.__setattr__(kern, "scale", float(arrays["scale"]))
        return Landscape(kern, V, self.k, self.outputs, self.decoupled, self.names)

    # -- coordinates ----------------------------------------------------------------------------
    def unpack(self, x):
        """``(W, a)`` with ``W`` of shape ``(..., k, d)``; ``a`` is None for a fixed second layer."""
        x = np.asarray(x, dtype=float)
        W = x[..., : self.n_w].reshape(x.shape[:-1] + (self.k, self.d))
        a = (
            x[..., self.n_w :].reshape(x.shape[:-1] + (self.k, self.outputs))
            if self.trainable
            else None
        )
        return W, a

    def pack(self, W, a=None):
        W = np.asarray(W, dtype=float)
        parts = [W.reshape(W.shape[:-2] + (-1,))]
        if self.trainable:
            a = np.asarray(a, dtype=float)
            parts.append(a.reshape(a.shape[:-2] + (-1,)))
        return np.concatenate(parts, axis=-1)

    def retract(self, x):
        """Normalise the neurons (spherical models); identity otherwise."""
        if not self.spherical:
            return np.asarray(x, dtype=float)
        W, a = self.unpack(x)
        W = W / np.linalg.norm(W, axis=-1, keepdims=True)
        return self.pack(W, a)

    def tangent_basis(self, x) -> np.ndarray:
        """Orthonormal basis (columns) of the tangent space at ``x``."""
        if not self.spherical:
            return np.eye(self.dimension)
        W, _ = self.unpack(x)
        k, d = self.k, self.d
        w = W / np.linalg.norm(W, axis=-1, keepdims=True)
        # Householder reflections R_i = I - 2 v vᵀ/vᵀv, v = w + sign(w_0) e_0, map e_0 to
        # -sign(w_0) w: their last d-1 columns are an orthonormal basis of w^perp
        v = w.copy()
        v[:, 0] += np.where(w[:, 0] >= 0, 1.0, -1.0)
        R = np.eye(d) - 2 * v[:, :, None] * v[:, None, :] / np.sum(v * v, axis=1)[:, None, None]
        cols = []
        for i in range(k):
            block = np.zeros((self.dimension, d - 1))
            block[i * d : (i + 1) * d] = R[i][:, 1:]
            cols.append(block)
        if self.trainable:
            tail = np.zeros((self.dimension, self.dimension - self.n_w))
            tail[self.n_w :] = np.eye(self.dimension - self.n_w)
            cols.append(tail)
        return np.concatenate(cols, axis=1)

    # -- loss and derivatives -------------------------------------------------------------------
    def loss(self, x):
        W, a = self.unpack(x)
        return self.population.loss(W, a)

    def gradient(self, x):
        """Gradient (Riemannian for spherical neurons), same shape as ``x``."""
        W, a = self.unpack(x)
        gW, ga = self.population.gradient(W, a)
        return self.pack(gW, ga)

    @property
    def batched_hessian(self) -> bool:
        """Whether :meth:`hessian` takes a batch of points ``(n, dimension)`` (exact, flat)."""
        return self.exact and not self.spherical

    def hessian(self, x, basis=None) -> np.ndarray:
        """(Riemannian) Hessian in the tangent ``basis`` (default :meth:`tangent_basis`); for a
        batch of points ``x`` (n, dimension) (:attr:`batched_hessian`) the Hessians (n, dim, dim)
        in the identity basis."""
        x = np.asarray(x, dtype=float)
        if not self.exact:
            B = self.tangent_basis(x) if basis is None else basis
            return dense_hessian(self.gradient, x, B)
        W, a = self.unpack(x)
        H = self.population.hessian(W, a)
        if x.ndim > 1 or (basis is None and not self.spherical):
            return (H + np.swapaxes(H, -1, -2)) / 2
        B = self.tangent_basis(x) if basis is None else np.asarray(basis, dtype=float)
        H = B.T @ H @ B
        return (H + H.T) / 2

    # -- overlaps -------------------------------------------------------------------------------
    def overlaps(self, x):
        """``(Q, M, a)`` of the point: :math:`Q=WW^\\top`, :math:`M=WV^\\top`, output weights."""
        W, a = self.unpack(x)
        a = self.kernels.a if a is None else a
        return W @ np.swapaxes(W, -1, -2), W @ self.V.T, a

    # -- starts ---------------------------------------------------------------------------------
    def scale(self) -> float:
        """Typical neuron norm: the root mean teacher norm (1 if there is none)."""
        t = np.diag(self.kernels.T)
        return float(np.sqrt(np.mean(t))) if t.size and np.mean(t) > 0 else 1.0

    def closed_form_starts(self):
        """Exact critical points known in closed form for the model's class, as coordinate
        vectors ``(n, dimension)``, and whether they are all of them (``(None, False)`` when
        none is known). Quadratic networks: every :math:`Z_S` (:meth:`~fixedpoints.numeric.
        riccati.RiccatiProblem.critical_starts`)."""
        from fixedpoints.numeric.riccati import RiccatiProblem

        problem = None
        if not (self.decoupled or self.trainable):
            problem = RiccatiProblem.of_population(self.population)
        if problem is None:
            return None, False
        W, complete = problem.critical_starts(self.k)
        return self.pack(W), complete

    def random_start(self, rng) -> np.ndarray:
        """Gaussian rows of random norm around :meth:`scale`."""
        s = self.scale() * rng.uniform(0.3, 1.5, size=(self.k, 1))
        W = rng.standard_normal((self.k, self.d)) * s / np.sqrt(self.d)
        a = rng.standard_normal((self.k, self.outputs)) if self.trainable else None
        return self.retract(self.pack(W, a))

    def structured_start(self, rng) -> np.ndarray:
        r"""Sign/support patterns: :math:`w_i=\sum_r c_{ir}v_r/\|\cdot\|` with :math:`c_{ir}\in
        \{-1,0,1\}` on a random support, a random norm, and a small generic perturbation."""
        W = np.zeros((self.k, self.d))
        for i in range(self.k):
            if self.m and rng.random() < 0.9:
                size = rng.integers(1, self.m + 1)
                support = rng.choice(self.m, size=size, replace=False)
                c = np.zeros(self.m)
                c[support] = rng.choice([-1.0, 1.0], size=size)
                w = c @ self.V
            else:
                w = rng.standard_normal(self.d)
            n = np.linalg.norm(w)
            w = w / n if n > 0 else rng.standard_normal(self.d) / np.sqrt(self.d)
            W[i] = w * self.scale() * rng.uniform(0.3, 1.5)
        W = W + 1e-3 * rng.standard_normal(W.shape)
        a = rng.choice([-1.0, 1.0], size=(self.k, self.outputs)) if self.trainable else None
        return self.retract(self.pack(W, a))


def decouple(kernels, k: int):
    """``(kernels, k, decoupled)``: a loss without student–student terms (correlation loss, fixed
    second layer) is a sum over neurons, so one neuron stands for all (k becomes 1)."""
    decoupled = (not kernels.square) and kernels.a is not None and k > 1
    if decoupled:
        return dataclasses.replace(kernels, a=kernels.a[:1]), 1, True
    return kernels, k, False
