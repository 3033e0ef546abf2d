r"""Landscapes of a model: the weight-space loss at given parameter values, and the family along
one parameter (kernels compiled once).

Composes :func:`fixedpoints.codegen.compile_pair_kernels` (the model's kernels and arrays),
:func:`fixedpoints.numeric.overlaps.teacher_vectors` (:math:`VV^\top=T`) and
:class:`fixedpoints.numeric.landscape.Landscape`; a decoupled model (no student–student term)
is reduced to one neuron (:func:`fixedpoints.numeric.landscape.decouple`).
"""

from __future__ import annotations

from fixedpoints.codegen import array_function, compile_pair_kernels
from fixedpoints.errors import ParameterError
from fixedpoints.models.naming import OrderParameterNames
from fixedpoints.numeric.landscape import Landscape, decouple
from fixedpoints.numeric.overlaps import input_dimension, teacher_vectors

__all__ = [
    "LandscapeFamily",
    "LandscapePlane",
    "check_free",
    "landscape",
    "model_teacher_vectors",
]


def model_teacher_vectors(model, T):
    """The teacher vectors of ``model`` (teacher overlap ``T``) in its input dimension."""
    return teacher_vectors(T, input_dimension(T, model.student.width, model.input_dimension))


def landscape(model, params=None, *, kernels=None, decoupled: bool = True) -> Landscape:
    """The weight-space :class:`~fixedpoints.numeric.landscape.Landscape` of ``model`` at the
    values ``params`` of its free parameters; with ``decoupled`` (default) a loss without
    student–student terms is reduced to one neuron.

    >>> import fixedpoints as fp
    >>> space = fp.landscape(fp.load_model("relu-teacher", {"d": 3}))
    >>> space.k, space.d, space.dimension
    (3, 3, 9)
    """
    kernels = kernels if kernels is not None else compile_pair_kernels(model, params)
    V = model_teacher_vectors(model, kernels.T)
    names = OrderParameterNames.for_model(model)
    if not decoupled:
        return Landscape(kernels, V, model.student.width, model.outputs, False, names)
    kernels, k, decoupled = decouple(kernels, model.student.width)
    return Landscape(kernels, V, k, model.outputs, decoupled, names)


def check_free(model, name: str, role: str = "parameter", *, other: str | None = None) -> None:
    """Refuse ``name`` unless it is a free parameter of ``model`` (and not ``other``).

    Raises
    ------
    ParameterError
        Naming ``role`` (the argument that gave ``name``).
    """
    if name == other:
        raise ParameterError(
            f"`{role}` must name a free parameter other than {other!r}; got {name!r}.",
            parameter=role,
        )
    if name not in model.free:
        free = ", ".join(model.free) or "none"
        raise ParameterError(
            f"`{role}` must name a free real parameter of {model.name!r} (free: {free}); "
            f"got {name!r}. Leave it unset.",
            parameter=role,
        )


class LandscapeFamily:
    """The landscapes of ``model`` along one free parameter (kernels compiled once).

    Parameters
    ----------
    model : Model
    parameter : str
        A free parameter of the model (declared ``real`` and left unset, or a parameter of an
        activation such as the ``c`` of ``target="He3+c*He4"``).
    params : dict
        Values of the other free parameters.

    Raises
    ------
    ParameterError
        Naming ``parameter`` when it is not a free parameter of the model.

    Notes
    -----
    The kernels are generated once per activation pair; a parameter of the model's arrays
    (``beta`` in the teacher overlap) changes the arrays of the first landscape, a parameter of
    the activations (``c``) is an argument the compiled kernels are bound to
    (:meth:`~fixedpoints.codegen.pairwise.PairKernel.bound`). Either way a new value costs no
    compilation (tens of microseconds for ``multi-index``).

    Examples
    --------
    Two free parameters, ``beta`` and the ``c`` of the target, both varied without compiling:

    >>> import numpy as np
    >>> import fixedpoints as fp
    >>> model = fp.load_model("multi-index", {"target": "He3+c*He4"})
    >>> family = fp.LandscapeFamily(model, "c", {"beta": 0.3})
    >>> space = family.at(0.5, {"beta": 0.2})
    >>> x = space.retract(np.arange(1.0, space.dimension + 1))
    >>> fixed = fp.load_model("multi-index", {"target": "He3+0.5*He4", "beta": 0.2})
    >>> bool(abs(space.loss(x) - fp.landscape(fixed).loss(x)) < 1e-12)
    True
    """

    def __init__(self, model, parameter: str, params=None):
        check_free(model, parameter)
        self.model = model
        self.parameter = parameter
        self.params = dict(params or {})
        self._arrays = array_function(model)
        self._base = None

    def at(self, value: float, params=None) -> Landscape:
        """The landscape at ``parameter = value``, the other free parameters from ``params``
        (a dict; default: the family's ``params``, which ``params`` updates)."""
        params = {**self.params, **dict(params or {}), self.parameter: float(value)}
        if self._base is None:
            self._base = landscape(self.model, params)
            return self._base
        arrays = self._arrays(params)
        V = model_teacher_vectors(self.model, arrays["T"])
        if not self._base.kernels.parameters:
            return self._base.with_arrays(arrays, V)
        kernels = compile_pair_kernels(self.model, params, arrays=lambda _: arrays)
        base = self._base
        if base.decoupled:
            kernels = decouple(kernels, self.model.student.width)[0]
        return Landscape(kernels, V, base.k, base.outputs, base.decoupled, base.names)


class LandscapePlane:
    """The landscapes of ``model`` in the plane of two free parameters (kernels compiled once;
    :meth:`LandscapeFamily.at` with the second parameter per call).

    Parameters
    ----------
    model : Model
    first, second : str
        Two different free parameters (e.g. ``"beta"`` and the ``c`` of
        ``target="He3+c*He4"``).
    params : dict
        Values of the other free parameters.

    Raises
    ------
    ParameterError
        Naming ``second`` when it equals ``first`` or is not free (``first`` as in
        :class:`LandscapeFamily`).

    Examples
    --------
    >>> import fixedpoints as fp
    >>> plane = fp.LandscapePlane(fp.load_model("multi-index", {"target": "He3+c*He4"}), "beta", "c")
    >>> plane.at(0.3, 0.5).dimension
    5
    """

    def __init__(self, model, first: str, second: str, params=None):
        check_free(model, second, "second", other=first)
        self.parameters = (first, second)
        self._family = LandscapeFamily(model, first, params)

    def at(self, first: float, second: float) -> Landscape:
        """The landscape at ``(first, second)``."""
        return self._family.at(first, {self.parameters[1]: float(second)})
