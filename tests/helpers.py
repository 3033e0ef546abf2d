"""Independent weight-space reference: the loss evaluated on W directly, differentiated by finite
differences (4th-order central), and the gradient flow integrated with SciPy."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.integrate import solve_ivp

from fixedpoints.codegen import compile_flow, model_arrays
from fixedpoints.numeric import state_from_weights, teacher_vectors
from fixedpoints.symbolic import derive


def free_loss_system(model):
    """Compiled loss of the same model with free (non-spherical) neurons: any smooth extension of
    the spherical loss off the sphere has the same Riemannian gradient."""
    free = dataclasses.replace(model, student=dataclasses.replace(model.student, spherical=False))
    return compile_flow(derive(free))


def fd_gradient(f, x, h=1e-3):
    """4th-order central differences: (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h."""
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (-f(x + 2 * e) + 8 * f(x + e) - 8 * f(x - e) + f(x - 2 * e)) / (12 * h)
    return g


PRESETS = frozenset(
    {
        "multi-index",
        "quadratic",
        "relu-teacher",
        "linear-two-layer",
        "relu-two-layer",
        "soft-committee",
        "mean-field-relu",
    }
)


class WeightSpace:
    """Gradient flow of the loss in weight space (W, a) for a model with numeric parameters."""

    def __init__(self, model, params=None, seed=0):
        self.model = model
        self.params = params or {}
        self.k, self.o = model.student.width, model.outputs
        self.trainable = model.student.second_layer == "trainable"
        arr = model_arrays(model, self.params)
        self.d = model.input_dimension
        self.V = teacher_vectors(arr["T"], self.d)
        self.loss_sys = free_loss_system(model)
        rng = np.random.default_rng(seed)
        W = rng.normal(size=(self.k, self.d)) / np.sqrt(self.d)
        if model.student.spherical:
            W /= np.linalg.norm(W, axis=1, keepdims=True)
        a = rng.normal(size=(self.k, self.o)) / np.sqrt(self.k) if self.trainable else None
        self.x0 = self.pack(W, a)

    def pack(self, W, a):
        return np.concatenate([W.ravel(), a.ravel()]) if a is not None else W.ravel().copy()

    def unpack(self, x):
        W = x[: self.k * self.d].reshape(self.k, self.d)
        a = x[self.k * self.d :].reshape(self.k, self.o) if self.trainable else None
        return W, a

    def loss(self, x):
        W, a = self.unpack(x)
        s = state_from_weights(self.loss_sys.names, W, self.V, a, self.o)
        return float(self.loss_sys.loss(s, self.params))

    def velocity(self, x):
        g = fd_gradient(self.loss, x)
        if self.model.student.spherical:
            W, _ = self.unpack(x)
            gW = g[: self.k * self.d].reshape(self.k, self.d)
            gW = gW - np.sum(gW * W, axis=1, keepdims=True) * W
            g = np.concatenate([gW.ravel(), g[self.k * self.d :]])
        return -g

    def overlaps(self, x, names):
        W, a = self.unpack(x)
        return state_from_weights(names, W, self.V, a, self.o)

    def flow(self, t_end, t_eval):
        sol = solve_ivp(
            lambda t, x: self.velocity(x),
            (0, t_end),
            self.x0,
            t_eval=t_eval,
            rtol=1e-11,
            atol=1e-12,
            method="DOP853",
        )
        assert sol.success, sol.message
        return sol.y
