"""Neural correlation functions (NCF), in one home: of the residual of a network on the
population (:mod:`.population`), of a finite data set (:mod:`.finite`), and their KKT points on
the unit sphere (:mod:`.kkt`)."""

from fixedpoints.numeric.ncf.finite import EmpiricalNCF, clarke_ascent, ncf_kkt_points, ncf_maximum
from fixedpoints.numeric.ncf.kkt import KINDS, SphereFunction, kkt_points, sphere_ascent
from fixedpoints.numeric.ncf.population import ResidualNCF

__all__ = [
    "KINDS",
    "EmpiricalNCF",
    "ResidualNCF",
    "SphereFunction",
    "clarke_ascent",
    "kkt_points",
    "ncf_kkt_points",
    "ncf_maximum",
    "sphere_ascent",
]
