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

__all__ = ["LandscapeFamily", "landscape", "model_teacher_vectors"]


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


class LandscapeFamily:
    """The landscapes of ``model`` along one free parameter (kernels compiled once).

    Parameters
    ----------
    model : Model
    parameter : str
        A free parameter of the model (declared ``real`` and left unset).
    params : dict
        Values of the other free parameters.

    Raises
    ------
    ParameterError
        Naming ``parameter`` when it is not a free parameter of the model.
    """

    def __init__(self, model, parameter: str, params=None):
        if parameter not in model.free:
            free = ", ".join(model.free) or "none"
            raise ParameterError(
                f"`parameter` must name a free real parameter of {model.name!r} (free: {free}); "
                f"got {parameter!r}. Leave it unset.",
                parameter="parameter",
            )
        self.model = model
        self.parameter = parameter
        self.params = dict(params or {})
        self._arrays = array_function(model)
        self._base = None

    def at(self, value: float) -> Landscape:
        """The landscape at ``parameter = value``."""
        params = {**self.params, self.parameter: float(value)}
        if self._base is None:
            self._base = landscape(self.model, params)
            return self._base
        arrays = self._arrays(params)
        return self._base.with_arrays(arrays, model_teacher_vectors(self.model, arrays["T"]))
