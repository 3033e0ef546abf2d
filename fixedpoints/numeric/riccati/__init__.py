"""Exact gradient flow of quadratic networks (the matrix Riccati solution): the closed form and its
evaluation (:mod:`~fixedpoints.numeric.riccati.closed_form`), the batched flow at requested times
(:mod:`~fixedpoints.numeric.riccati.flow`)."""

from fixedpoints.numeric.riccati.closed_form import RiccatiProblem
from fixedpoints.numeric.riccati.flow import ExactFlow, exact_flow

__all__ = ["ExactFlow", "RiccatiProblem", "exact_flow"]
