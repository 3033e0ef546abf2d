r"""The closed order-parameter flow, assembled numerically over index pairs (pair-vectorised).

With the overlaps :math:`Q` (k×k), :math:`M` (k×m), the second layer :math:`a` and the matrices
:math:`S`, :math:`H` of :meth:`PopulationLoss.overlap_gradient
<fixedpoints.numeric.PopulationLoss.overlap_gradient>` (each kernel and its derivatives evaluated
once per pair type on arrays of :math:`(A,B,P)` entries), gradient flow closes on the overlaps
(DESIGN §1):

.. math::

    X = SQ+HM^\top,\qquad \dot Q=-(X+X^\top),\qquad \dot M=-(SM+HT),\qquad
    \dot a=-\nabla_a\mathcal L ,

and for spherical neurons (:math:`Q_{ii}=1`, the diagonal of :math:`S` dropped)
:math:`\dot Q\mathrel{+}=\Lambda Q+Q\Lambda`, :math:`\dot M\mathrel{+}=\Lambda M` with
:math:`\Lambda=\operatorname{diag}(X_{ii})`. The same formulas as
:func:`fixedpoints.symbolic.derive`, which stays the reference: the tests compare the two on every
preset. The cost of one evaluation is a few array operations on k×k and k×m arrays, independent of
the size of the symbolic expressions, and a batch of states costs one call.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import ParameterError
from fixedpoints.models.naming import OrderParameterNames
from fixedpoints.protocols import parameter_values

__all__ = ["OverlapFlow"]


class OverlapFlow:
    r"""A numeric order-parameter system :math:`\dot x=F(x;\theta)`, :math:`\mathcal L(x;\theta)`
    (the :class:`fixedpoints.protocols.System` protocol), pair-vectorised (module docstring).

    Parameters
    ----------
    names : sequence of str
        State variables in the order of the flow (``Q_ij``, ``M_ir``, ``a_i``; the one naming
        rule, :class:`~fixedpoints.models.OrderParameterNames`).
    parameters : sequence of str
        Free parameters :math:`\theta`, in the order a sequence of values is read.
    population : callable
        ``population(values) -> PopulationLoss`` for a tuple of parameter values (the model's
        arrays at :math:`\theta`; the kernels are shared); called once per distinct value.
    naming : OrderParameterNames
        Sizes :math:`k, m, o` of the model.
    spherical, trainable : bool
        Unit-norm neurons; trainable second layer.
    """

    backend = "numpy"

    def __init__(self, names, parameters, population, *, naming, spherical, trainable):
        self.names = tuple(str(n) for n in names)
        self.parameters = tuple(str(p) for p in parameters)
        self._population, self._cache = population, {}
        self.spherical, self.trainable = bool(spherical), bool(trainable)
        k, m, o = naming.students, naming.teachers, naming.outputs
        self.sizes = (k, m, o)
        n = len(self.names)
        # gathers from the state (with a constant 1 appended, index n: the unit diagonal)
        q_src = np.full(k * k, -1)
        m_src = np.full(k * m, -1)
        a_src = np.full(k * o, -1)
        out = np.empty(n, dtype=int)
        for pos, name in enumerate(self.names):
            kind, idx = naming.parse(name)
            if kind == "Q":
                i, j = idx
                q_src[i * k + j] = q_src[j * k + i] = pos
                out[pos] = i * k + j
            elif kind == "M":
                m_src[idx[0] * m + idx[1]] = pos
                out[pos] = k * k + idx[0] * m + idx[1]
            else:
                col = idx[1] if len(idx) > 1 else 0
                a_src[idx[0] * o + col] = pos
                out[pos] = k * k + k * m + idx[0] * o + col
        if spherical:
            q_src[:: k + 1] = n
        missing = [
            what
            for what, src in (("Q", q_src), ("M", m_src), ("a", a_src if trainable else [0]))
            if np.any(np.asarray(src) < 0)
        ]
        if missing:
            raise ParameterError(
                f"`names` lack {missing[0]} entries of a model with k = {k}, m = {m}, "
                f"{o} output(s) ({'spherical' if spherical else 'free'} neurons).",
                parameter="names",
            )
        # Ω = [[Q, M], [Mᵀ, T]] from the state extended by [1, 0, T.ravel()] (see _pop)
        t_src = n + 2 + np.arange(m * m).reshape(m, m)
        omega = np.block(
            [[q_src.reshape(k, k), m_src.reshape(k, m)], [m_src.reshape(k, m).T, t_src]]
        )
        self._omega, self._a = omega.ravel(), a_src
        self._gathers(out, spherical)

    def _gathers(self, out, spherical):
        """Positions in the flattened ``[Y | grad_a | -λ∘[Q|M] | 0]`` of the two (four) terms of
        each variable's right-hand side (see :meth:`vector_field`)."""
        k, m, o = self.sizes
        w = k + m
        n_y, n_a = k * w, (k * o if self.trainable else 0)
        zero = n_y + n_a + (k * w if spherical else 0)
        i1, i2, i3, i4 = (np.full(len(out), zero) for _ in range(4))
        for pos, flat in enumerate(out):
            if flat < k * k:  # Q_ij
                i, j = divmod(flat, k)
                i1[pos], i2[pos] = i * w + j, j * w + i
                i3[pos], i4[pos] = n_y + n_a + i * w + j, n_y + n_a + j * w + i
            elif flat < k * k + k * m:  # M_ir
                i, r = divmod(flat - k * k, m)
                i1[pos], i3[pos] = i * w + k + r, n_y + n_a + i * w + k + r
            else:  # a_ic
                i1[pos] = n_y + (flat - k * k - k * m)
        self._i1, self._i2, self._i3, self._i4 = i1, i2, i3, i4

    def __repr__(self) -> str:
        k, m, _ = self.sizes
        names = self.names
        shown = ", ".join(names[:4]) + (f", … {len(names) - 4} more" if len(names) > 4 else "")
        params = f", parameters={list(self.parameters)}" if self.parameters else ""
        return f"OverlapFlow(k={k}, m={m}, {len(names)} variables ({shown}){params})"

    @classmethod
    def for_model(cls, model, names, population):
        """The flow of ``model`` with the state ``names`` (see the class docstring)."""
        return cls(
            names,
            model.free,
            population,
            naming=OrderParameterNames.for_model(model),
            spherical=model.student.spherical,
            trainable=model.student.second_layer == "trainable",
        )

    @property
    def dimension(self) -> int:
        """Number of state variables."""
        return len(self.names)

    def _pop(self, params):
        if params is None and () in self._cache:
            return self._cache[()]
        values = tuple(float(v) for v in parameter_values(self.parameters, params))
        pop = self._cache.get(values)
        if pop is None:
            pop = self._population(values)
            pop = self._cache[values] = (pop, np.concatenate([[1.0, 0.0], np.ravel(pop.T)]))
        return pop

    def _unpack(self, x, const):
        r"""``(x, Ω, a)`` of states ``x`` (n, batch...): the overlaps of students and teachers
        :math:`\Omega=\begin{pmatrix}Q&M\\M^\top&T\end{pmatrix}` (N, k+m, k+m), one gather
        from the state extended by ``const`` :math:`=[1,0,T]`, and ``a`` (N, k, o)."""
        x = np.asarray(x, dtype=float)
        if x.shape[:1] != (self.dimension,):
            raise ParameterError(
                f"`x` must have {self.dimension} entries along its first axis; got shape "
                f"{x.shape}.",
                parameter="x",
            )
        k, m, o = self.sizes
        if x.ndim == 1:  # one state: no transposes
            ext = np.concatenate([x, const])[None]
        else:
            rows = x.reshape(self.dimension, -1).T
            ext = np.concatenate([rows, np.broadcast_to(const, (rows.shape[0], len(const)))], 1)
        omega = ext[:, self._omega].reshape(-1, k + m, k + m)
        a = ext[:, self._a].reshape(-1, k, o) if self.trainable else None
        return x, omega, a

    def vector_field(self, x, params=None):
        r"""Evaluate :math:`F(x)`; ``x`` has shape ``(n,)`` or ``(n, batch...)`` (same shape out).

        With :math:`G=[S\mid H]` (:meth:`PopulationLoss.block_gradient
        <fixedpoints.numeric.PopulationLoss.block_gradient>`) and one product per state,
        :math:`Y=G\Omega=[SQ+HM^\top\mid SM+HT]`: :math:`\dot Q_{ij}=-(Y_{ij}+Y_{ji})`,
        :math:`\dot M_{ir}=-Y_{i,k+r}`, :math:`\dot a=-\nabla_a\mathcal L`, gathered from the
        flattened blocks; spherical neurons add :math:`(\lambda_i+\lambda_j)Q_{ij}` and
        :math:`\lambda_iM_{ir}` (:math:`\lambda=\operatorname{diag}(SQ+HM^\top)`)."""
        pop, const = self._pop(params)
        x, omega, a = self._unpack(x, const)
        k = self.sizes[0]
        N, w = omega.shape[:2]
        top = omega[:, :k]
        G, ga = pop.block_gradient(
            top, a, second_layer=self.trainable, diagonal=omega.diagonal(0, 1, 2)
        )
        if not (self.spherical or self.trainable):  # Y and a zero row in one buffer
            buf = np.empty((N, k + 1, w))
            np.matmul(G, omega, out=buf[:, :k])
            buf[:, k] = 0.0
            Z = buf.reshape(N, -1)
            F = Z[:, self._i1]
            F += Z[:, self._i2]
            return np.negative(F, out=F).T.reshape(x.shape)
        if self.spherical:
            G = G * pop._masks(k)[0]
        Y = G @ omega
        parts = [Y.reshape(N, -1)]
        if self.trainable:
            parts.append(ga.reshape(N, -1))
        if self.spherical:
            lam = np.diagonal(Y[:, :, :k], axis1=-2, axis2=-1)
            parts.append(-(lam[:, :, None] * top).reshape(N, -1))
        parts.append(np.zeros((N, 1)))
        Z = np.concatenate(parts, axis=1)
        F = Z[:, self._i1] + Z[:, self._i2]
        if self.spherical:
            F += Z[:, self._i3] + Z[:, self._i4]
        return -(F.T.reshape(x.shape))

    def loss(self, x, params=None):
        r"""Evaluate :math:`\mathcal L(x)`; shape ``x.shape[1:]``."""
        pop, const = self._pop(params)
        x, omega, a = self._unpack(x, const)
        L = pop.block_loss(omega[:, : self.sizes[0]], a)
        return np.asarray(L, dtype=float).reshape(x.shape[1:])
