r"""Computer-assisted proofs for critical points in a Young fixed space, in Arb ball arithmetic
(python-flint), after Safran & Shamir (2018).

For a point :math:`\tilde x` of Fix(Γ) found in floating point, with :math:`g` the reduced
gradient and :math:`J` its Jacobian (the reduced Hessian, by jets over Arb balls: an enclosure
over a whole box):

1. **Existence and uniqueness (Krawczyk).** For the box :math:`X=\tilde x+[-\rho,\rho]^n`
   and :math:`C\approx J(\tilde x)^{-1}`,

   .. math::

       K(X)=\tilde x-Cg(\tilde x)+(I-CJ(X))(X-\tilde x).

   If :math:`K(X)\subset\operatorname{int}X`, X contains exactly one zero of g. By symmetric
   criticality it is a critical point of the full loss (the gradient of an invariant function
   is equivariant, so at a point of Fix(Γ) it lies in Fix(Γ) and equals the reduced one there).
   ρ is tried from :math:`10^3\|Cg(\tilde x)\|` upwards.
2. **Spectrum (isotypic blocks).** The full Hessian preserves the isotypic components; on each
   it is the pencil :math:`(H_m, G_m)` of :mod:`~fixedpoints.numeric.symmetry.isotypic`, with
   :math:`H_m` enclosed over X by jets of the refined reduced gradient and :math:`G_m` exact.
   With V the float eigenvectors of the pencil (independent copies only),
   :math:`M=V^\top(H_m-sG_m)V` is nearly diagonal; if no Gershgorin disc of M contains 0, the
   number of negative eigenvalues of :math:`H_m-sG_m` (the pencil's eigenvalues below s) is the
   number of discs left of 0 (Sylvester's law of inertia: V is nonsingular because
   :math:`V^\top G_mV` has its discs right of 0). s = 0 certifies the index; the largest s with
   no negative disc (tried below the smallest float eigenvalue) is a rigorous lower bound on
   the smallest Hessian eigenvalue over X.

Verdicts: ``minimum`` (the lower bound is positive), ``saddle`` (index certified, > 0),
``critical point`` (existence certified, some eigenvalue too close to 0 to sign), ``failed``
(with the reason; e.g. the Krawczyk test did not close, or a neuron pair is collinear in X so
the loss is not twice differentiable there). A failed certificate is never reported as a
minimum.
"""

from __future__ import annotations

import numpy as np

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.jets import hessian_by_jets, to_float
from fixedpoints.numeric.symmetry.isotypic import isotypic_components
from fixedpoints.results import Certificate

__all__ = ["arb_kernels", "certify_point", "certify_search", "flint_available"]

PRECISION_BITS = 128


def flint_available() -> bool:
    """Whether python-flint (Arb) can be imported."""
    try:
        import flint  # noqa: F401
    except ImportError:
        return False
    return True


def _require_flint():
    if not flint_available():
        raise ParameterError(
            "`certify` needs python-flint (Arb ball arithmetic): pip install 'fixedpoints[certify]'.",
            parameter="certify",
        )


def _ball(x, rad=0.0):
    from flint import arb

    return arb(x, rad) if rad else arb(x)


def _gershgorin_negatives(M):
    """Number of eigenvalues < 0 of the symmetric ball matrix M (list of lists of arb), when
    no Gershgorin disc contains 0; None otherwise."""
    n = len(M)
    neg = 0
    for i in range(n):
        r = sum((abs(M[i][j]) for j in range(n) if j != i), _ball(0))
        lo, hi = M[i][i] - r, M[i][i] + r
        if lo > 0:
            continue
        if hi < 0:
            neg += 1
            continue
        return None
    return neg


def _congruence(V, A):
    """Vᵀ A V for a float matrix V and an arb matrix A (list of lists), in arb."""
    Vb = [[_ball(float(v)) for v in row] for row in V]
    n, m = len(A), V.shape[1]
    AV = [
        [sum((A[i][k] * Vb[k][j] for k in range(n)), _ball(0)) for j in range(m)] for i in range(n)
    ]
    return [
        [sum((Vb[k][i] * AV[k][j] for k in range(n)), _ball(0)) for j in range(m)] for i in range(m)
    ]


def _pencil_bounds(Hm, Gm):
    """(lower bound on the smallest eigenvalue, number of negative eigenvalues or None) of the
    pencil (Hm, Gm): Hm an arb matrix, Gm exact floats (rows: copies, dependent ones dropped)."""
    Hf = to_float(np.array(Hm, dtype=object))
    Gf = np.asarray(Gm, dtype=float)
    # independent copies: Gram eigenvalues above 1e-10 of the largest
    s, U = np.linalg.eigh((Gf + Gf.T) / 2)
    keep = s > 1e-10 * s.max()
    T = U[:, keep] / np.sqrt(s[keep])
    lam, W = np.linalg.eigh(T.T @ ((Hf + Hf.T) / 2) @ T)
    V = T @ W  # Gm-orthonormal eigenvectors (float)
    Gb = [[_ball(float(v)) for v in row] for row in Gf]
    Gv = _congruence(V, Gb)
    if _gershgorin_negatives(Gv) != 0:  # V must be nonsingular
        return None, None
    neg = _gershgorin_negatives(_congruence(V, Hm))
    lower = None
    scale = max(1.0, float(np.max(np.abs(lam))))
    for gap in (1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2):
        sh = float(lam[0]) - gap * scale
        M = [[Hm[i][j] - sh * Gb[i][j] for j in range(len(Hm))] for i in range(len(Hm))]
        if _gershgorin_negatives(_congruence(V, M)) == 0:
            lower = sh
            break
    return lower, neg


def certify_point(iso_arb, x, *, radii=None) -> Certificate:
    """Certificate for the critical point near ``x`` (floats) of the reduced loss of
    ``iso_arb`` (a :class:`~fixedpoints.numeric.symmetry.young.YoungIsotropy` with Arb kernels,
    integer counts); see the module docstring."""
    _require_flint()
    from flint import arb, arb_mat, ctx

    old = ctx.prec
    ctx.prec = PRECISION_BITS
    try:
        return _certify(iso_arb, np.asarray(x, dtype=float), radii, arb, arb_mat)
    finally:
        ctx.prec = old


def _certify(iso, x, radii, arb, arb_mat):
    n = iso.dimension
    xb = iso.numbers(x)
    g = iso.reduced_gradient(xb)
    if not all(v.is_finite() for v in g):
        return Certificate("failed", 0.0, float("nan"), None, "gradient not finite at the point")
    J0 = to_float(iso.reduced_hessian(xb))
    try:
        C = np.linalg.inv(J0)
    except np.linalg.LinAlgError:
        return Certificate("failed", 0.0, float("nan"), None, "singular reduced Hessian")
    Cb = arb_mat([[arb(float(v)) for v in row] for row in C])
    Cg = Cb * arb_mat([[v] for v in g])
    step = max(float(abs(Cg[i, 0]).upper()) for i in range(n))
    tries = radii or [max(step, 1e-30) * f for f in (1e3, 1e5, 1e7)] + [1e-8, 1e-6]
    unbounded = 0
    for rho in tries:
        X = np.array([arb(float(v), rho) for v in x], dtype=object)
        JX = iso.reduced_hessian(X)
        if not all(v.is_finite() for v in JX.ravel()):
            unbounded += 1
            continue
        JXm = arb_mat(JX.tolist())
        E = arb_mat([[int(i == j) for j in range(n)] for i in range(n)])
        dX = arb_mat([[arb(0, rho)] for _ in range(n)])
        K = [xb[i] - Cg[i, 0] for i in range(n)]
        corr = (E - Cb * JXm) * dX
        inside = all((X[i]).contains_interior(K[i] + corr[i, 0]) for i in range(n))
        if inside:
            return _spectrum_certificate(iso, X, rho)
    if unbounded == len(tries):
        why = (
            "the reduced Hessian is not bounded on any box tried (a neuron collinear with a "
            "teacher or another neuron: the loss is not twice differentiable there)"
        )
    else:
        why = "Krawczyk test did not close (no box tried contained its image)"
    return Certificate("failed", 0.0, float("nan"), None, why)


def _spectrum_certificate(iso, X, rho):
    fine, comps = isotypic_components(iso.blocks, iso.kernels, counts=tuple(iso.p))
    xf = X @ comps[0].copies
    Hf = hessian_by_jets(fine.reduced_gradient, xf)
    if not all(v.is_finite() for v in Hf.ravel()):
        return Certificate(
            "critical point",
            rho,
            float("nan"),
            None,
            "Hessian not enclosed over the box (a neuron pair collinear: the loss is not C^2)",
        )
    lower, index, undecided = float("inf"), 0, False
    for c in comps:
        Cc = c.copies
        Co = np.asarray(Cc, dtype=float).astype(object)
        Hm = (Co @ Hf @ Co.T).tolist()
        Gm = Cc @ (np.asarray(fine.orbit_sizes, dtype=float) * Cc).T
        lo, neg = _pencil_bounds(Hm, Gm)
        mult = int(round(float(c.multiplicity)))
        if neg is None:
            undecided = True
        else:
            index += neg * mult
        if lo is None:
            undecided = True
        else:
            lower = min(lower, lo)
    lower = lower if lower != float("inf") else float("nan")
    if not undecided and index == 0 and lower > 0:
        return Certificate("minimum", rho, lower, 0)
    if not undecided and index > 0:
        return Certificate("saddle", rho, lower, index)
    return Certificate(
        "critical point",
        rho,
        lower,
        None if undecided else index,
        "an isotypic eigenvalue could not be separated from 0 over the box",
    )


def arb_kernels(compile_kernels):
    """``compile_kernels(backend='arb')`` at the certificates' precision (π is computed then)."""
    _require_flint()
    from flint import ctx

    old = ctx.prec
    ctx.prec = PRECISION_BITS
    try:
        return compile_kernels(backend="arb")
    finally:
        ctx.prec = old


def certify_search(kernels_arb, spec, d, search, progress=None):
    """``search`` (a :class:`~fixedpoints.results.FixedPointSearch` of the reduced route) with
    a :class:`~fixedpoints.results.Certificate` on every point (integer d only: a proof is
    about a loss, and the loss at real d is an analytic continuation)."""
    import dataclasses

    from fixedpoints.numeric.symmetry.young import young_isotropy

    if not float(d).is_integer():
        raise ParameterError(f"`certify` needs an integer d; got d = {d}.", parameter="certify")
    iso = young_isotropy(spec, d, kernels_arb)
    points = []
    for i, p in enumerate(search.points):
        if p.x is None or str(p.status) != "converged":
            cert = Certificate("failed", 0.0, float("nan"), None, f"point status {p.status}")
        else:
            cert = certify_point(iso, p.x)
        points.append(dataclasses.replace(p, certificate=cert))
        if progress is not None:
            progress(i + 1, len(search.points))
    verdicts = [c.certificate.verdict for c in points]
    note = "certificates (Arb, Krawczyk + isotypic Gershgorin): " + ", ".join(
        f"{v} {verdicts.count(v)}" for v in dict.fromkeys(verdicts)
    )
    return dataclasses.replace(search, points=tuple(points), notes=(*search.notes, note))
