r"""Fixed points inside Fix(Δ(S_{p_1}×…×S_{p_r})) for the ReLU-type teacher–student problem
(k = d, V = I): multistart Newton on the reduced loss :math:`\ell(\xi)`
(:class:`~fixedpoints.numeric.symmetry.young.YoungIsotropy`, with the one Newton of
:mod:`fixedpoints.numeric.newton`), classification by the isotypic Hessian spectrum
(:func:`~fixedpoints.numeric.symmetry.isotypic.reduced_isotypic_spectrum`, cost independent of d).

By symmetric criticality a critical point of :math:`\ell` is a critical point of the full loss; both
residuals are reported (``reduced_residual`` :math:`=\|\nabla_\xi\ell\|`, ``residual``
:math:`=\|\nabla\mathcal L(W(\xi))\|_F`). The orbit of a point under :math:`S_d\times S_d` has
:math:`(d!)^2/\prod_ap_a!` elements for its exact isotropy :math:`\Delta(S_{p_1}\times\dots)`.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.jets import to_float
from fixedpoints.numeric.symmetry.blocks import isotropy_label, parse_sizes
from fixedpoints.numeric.symmetry.isotypic import reduced_isotypic_spectrum, spectrum_index
from fixedpoints.numeric.symmetry.precision import (
    accepted,
    follow_dimension,
    polish,
    precise_index,
    precise_isotropy,
    precise_point,
    working_precision,
)
from fixedpoints.numeric.symmetry.spectra import merge_spectrum
from fixedpoints.numeric.symmetry.young import young_isotropy
from fixedpoints.results import FixedPoint, FixedPointSearch, Status

__all__ = ["distinct_twins", "find_isotropic_fixed_points", "isotropic_starts"]


def distinct_twins(points, invariant=None) -> list:
    """Notes for points that a table cannot tell apart (equal loss to 1e-8, index, nullity,
    count and isotropy): their coordinates, so that the reader sees they differ, and
    "distinct orbits" when ``invariant(point)`` (an orbit invariant, e.g. the sorted neuron
    norms) differs by more than 1e-6."""
    notes = []
    for i, p in enumerate(points):
        for j in range(i + 1, len(points)):
            q = points[j]
            if abs(p.loss - q.loss) <= 1e-8 * max(1.0, abs(p.loss)) and (
                p.index,
                p.nullity,
                p.count,
                p.isotropy,
            ) == (q.index, q.nullity, q.count, q.isotropy):
                cp = ", ".join(f"{k}={v:.6g}" for k, v in list(p.coordinates.items())[:6])
                cq = ", ".join(f"{k}={v:.6g}" for k, v in list(q.coordinates.items())[:6])
                what = "different points"
                if invariant is not None:
                    u, v = invariant(p), invariant(q)
                    if u.shape != v.shape or np.max(np.abs(u - v)) > 1e-6 * max(
                        1.0, float(np.max(np.abs(u)))
                    ):
                        what = "distinct orbits (their neuron norms differ)"
                notes.append(
                    f"points {i + 1} and {j + 1} (loss {p.loss:.10g}) are {what} with equal "
                    f"loss, index and isotropy: {cp} vs {cq}"
                )
    return notes


def isotropic_starts(iso, n: int, rng) -> np.ndarray:
    """``n`` starting points: half structured (diagonals ±1, off-diagonal 0 or 2/d, small
    cross terms), half Gaussian."""
    d = iso.d
    names = iso.names
    X = np.zeros((n, iso.dimension))
    for s in range(n):
        for j, name in enumerate(names):
            if s % 2 == 0:
                if name.startswith("D"):
                    X[s, j] = rng.choice([-1.0, 1.0]) * rng.uniform(0.6, 1.1)
                elif name.startswith("O"):
                    X[s, j] = rng.choice([0.0, 2.0 / d, -1.0 / d]) + 0.01 * rng.standard_normal()
                else:
                    X[s, j] = rng.choice([0.0, 1.0 / d, 2.0 / d, 4 / (np.pi * d)]) + (
                        0.01 * rng.standard_normal()
                    )
            else:
                scale = 1.0 if name.startswith("D") else 1.0 / np.sqrt(d)
                X[s, j] = scale * rng.standard_normal()
    return X


#: float64 searches run up to this d; beyond, the search runs at SEARCH_D and each point is
#: followed in d at N digits (``precision``)
FLOAT_LIMIT = 100_000
SEARCH_D = 1000


#: orbit sizes (d!)^2/|Iso| are exact ints up to this d, text "≈m.mmmeN" beyond
EXACT_COUNT = 300


def _approx_factorials(up=(), down=()) -> str:
    """∏ q! over ``up`` divided by ∏ q! over ``down`` as ``"≈m.mmmeN"`` (log-gamma): orbit
    sizes and group orders too large to print."""
    lg = sum(math.lgamma(q + 1) for q in up) - sum(math.lgamma(q + 1) for q in down)
    e = lg / math.log(10)
    return f"≈{10 ** (e - math.floor(e)):.3f}e{math.floor(e)}"


def find_isotropic_fixed_points(
    kernels,
    spec,
    d,
    *,
    starts: int = 200,
    seed: int = 0,
    null_tol: float = 1e-7,
    tol: float = 1e-10,
    progress=None,
    precision: int | None = None,
    precise_kernels=None,
) -> FixedPointSearch:
    """Multistart Newton in Fix(Γ) for the block sizes ``spec`` (``"9,1"``, ``"d-1,1"``), then
    isotypic classification of every distinct point (see the module docstring).

    With ``precision`` N (and ``precise_kernels``, the model's mpmath kernels) every point is
    polished at N digits and its loss, coordinates and isotypic spectrum are recomputed there
    (:mod:`~fixedpoints.numeric.symmetry.precision`); their N-digit strings go to
    ``FixedPoint.digits``. Above ``FLOAT_LIMIT`` the float search runs at d = ``SEARCH_D``
    (sizes written in d) and each point is followed to d at N digits.
    """
    if precision is None and d > FLOAT_LIMIT:
        raise ParameterError(
            f"at d = {d:g} > {FLOAT_LIMIT} float64 cancels catastrophically in this loss; give "
            "`precision` (e.g. 50 digits).",
            parameter="precision",
        )
    d_search = d if d <= FLOAT_LIMIT else SEARCH_D
    iso = young_isotropy(spec, d_search, kernels)
    rng = np.random.default_rng(seed)
    X = isotropic_starts(iso, starts, rng)
    statuses: Counter = Counter()
    found: list[dict] = []
    batch = 50
    for s in range(0, starts, batch):
        res = iso.solve(X[s : s + batch], tol=tol)
        loss_b = iso.reduced_loss(res.x)
        for x, st, r, loss in zip(res.x, res.status, res.residual, loss_b, strict=True):
            statuses[str(st)] += 1
            if st != Status.CONVERGED:
                continue
            for f in found:
                if np.max(np.abs(f["x"] - x)) < 1e-7 * max(1.0, np.max(np.abs(x))):
                    f["hits"] += 1
                    break
            else:
                found.append({"x": x, "hits": 1, "residual": float(r), "loss": float(loss)})
        if progress is not None:
            progress(min(s + batch, starts), starts)
    points, lost, unpolished, singular = [], 0, 0, 0
    iso_f = iso
    if precision is not None:
        with working_precision(precision, d=d):
            iso_f = precise_isotropy(spec, d, precise_kernels)
    for f in found:
        x = f["x"]
        digits, polished = None, False
        if precision is not None:
            with working_precision(precision, d=d):
                if d_search != d:  # float64 is meaningless at d: followed, or dropped
                    path = follow_dimension(spec, precise_kernels, x, d_search, d)
                    if not path or path[-1][0] != d:
                        lost += 1
                        continue
                    xp, res = path[-1][1], path[-1][2]
                    polished = True
                else:  # Newton at N digits may fail (collinear rows, e.g. W = I): kept in float64
                    xp, res = polish(iso_f, x)
                    polished = accepted(xp, res, d)
                    unpolished += not polished
        if polished:
            with working_precision(precision, d=d):

                def fallback(xf):
                    # the closed-form kernel's derivatives are singular at collinear rows
                    # (e.g. W = I), where the loss is still C^2: float64 differences instead
                    return reduced_isotypic_spectrum(young_isotropy(spec, d, kernels), xf)

                loss_p, spec_items, digits, sing = precise_point(
                    iso_f, xp, res, precision, fallback=fallback
                )
                singular += sing
                g = iso_f.reduced_gradient(xp)
                f = {**f, "loss": float(loss_p), "residual": float(res)}
                f["reduced"] = float(sum(v * v for v in g) ** 0.5)
                x = to_float(xp)
            index, nullity, eps = precise_index(spec_items, precision)
        else:
            spec_items = reduced_isotypic_spectrum(iso, x)
            # the null band: relative to the largest eigenvalue
            eps = null_tol * max(1.0, max(abs(v) for v, *_ in spec_items))
            index, nullity = spectrum_index(spec_items, eps)
        iso_type = iso_f.isotropy_of(x)
        # D_a = O_a: the rows of block a are equal, and so are its columns, so row and column
        # permutations of the block fix W separately (stabiliser larger by p_a!)
        D, X = iso.split(x)
        equal = [
            int(round(float(iso_f.p[a])))
            for a, p in enumerate(iso.blocks)
            if p >= 2 and abs(D[a] - X[a, a]) <= 1e-9 * max(1.0, abs(D[a]))
        ]
        label = iso_type.label
        if d <= EXACT_COUNT:
            stab = math.prod(math.factorial(p) for p in (*iso_type.blocks, *equal))
            count = math.factorial(d) ** 2 // stab
        else:  # (d!)^2 has millions of digits: its size, to 4 digits
            count = _approx_factorials((d, d), (*iso_type.blocks, *equal))
            stab = _approx_factorials((*iso_type.blocks, *equal))
        if equal:
            sizes = ", ".join(map(str, equal))
            label = (
                f"{label}, equal neurons in block {sizes} (rows and columns permuted separately)"
            )
        merged = merge_spectrum(
            ((v if abs(v) > eps else 0.0, m) for v, m, *_ in spec_items), tol=1e-7
        )
        components = [(float(v), int(m), str(lab[0]) if lab else "") for v, m, *lab in spec_items]
        # a zero-norm row sits on the ReLU kink: the loss is not differentiable there
        _, _, N = iso._gram(*iso.split(x))
        kink = bool(np.min(N) <= 1e-12 * max(1.0, float(np.max(N))))
        # float64 cancellation in the ReLU loss is ~1e-16 d^2 (terms ~ d^2/4pi cancel)
        tiny = 0.0 if polished else 1e-14 * max(1.0, d * d)
        loss = f["loss"] if abs(f["loss"]) > tiny else 0.0
        points.append(
            FixedPoint(
                loss=loss,
                index=int(index),
                nullity=int(nullity),
                symmetry_zero_modes=0,
                degenerate=nullity > 0,
                spectrum=merged,
                count=count,
                isotropy=label,
                stabilizer_order=stab,
                coordinates={n: float(v) for n, v in zip(iso.names, x, strict=True)},
                x=x,
                residual=float(f["residual"]),
                reduced_residual=f.get("reduced", float(np.linalg.norm(iso.reduced_gradient(x)))),
                hits=f["hits"],
                components=components,
                null_tolerance=eps,
                status=Status.NONDIFFERENTIABLE if kink else Status.CONVERGED,
                digits=digits,
            )
        )
    # degenerate points are located only roughly: merge the ones with equal loss, isotropy and
    # spectrum; at a kink (zero-norm neuron) the spectrum is not defined: loss and isotropy
    unique: list = []
    for p in points:
        for q in unique:
            if (
                abs(p.loss - q.loss) <= 1e-8 * max(1.0, abs(p.loss))
                and p.isotropy == q.isotropy
                and p.status == q.status
                and (
                    p.status == Status.NONDIFFERENTIABLE
                    or (
                        len(p.spectrum) == len(q.spectrum)
                        and all(
                            m1 == m2 and abs(v1 - v2) <= 1e-6 * max(1.0, abs(v1))
                            for (v1, m1), (v2, m2) in zip(p.spectrum, q.spectrum, strict=True)
                        )
                    )
                )
            ):
                break
        else:
            unique.append(p)
    points = sorted(unique, key=lambda p: (p.loss, p.index))

    def norms(p):
        N = iso._gram(*iso.split(p.x))[2]
        return np.sort(np.repeat(N, iso.blocks))

    twins = distinct_twins(points, norms)
    return FixedPointSearch(
        points=tuple(points),
        starts=starts,
        statuses=dict(statuses),
        symmetry=f"S{d}×S{d} (student and teacher permutations)",
        group={
            "order": math.factorial(int(d)) ** 2
            if d <= EXACT_COUNT
            else _approx_factorials((d, d)),
            "generators": [
                "(w1 w2)",
                f"(w1 … w{d})",
                "(v1 v2)",
                f"(v1 … v{d})",
            ],
            "exact": True,
            "description": f"S{d}×S{d} (student and teacher permutations)",
        },
        space=f"Fix({isotropy_label(parse_sizes(spec, d).counts(d))})",
        null_tolerance=null_tol,
        notes=(
            "spectra per isotypic component (reduced Hessians; cost independent of d); "
            "count = (d!)^2 / |isotropy|",
            *twins,
            *(
                [
                    f"{lost} point(s) found at d = {d_search} could not be followed at "
                    f"{precision} digits to d = {d:g} (dropped)"
                ]
                if lost
                else []
            ),
            *(
                [
                    f"{unpolished} point(s) could not be polished at {precision} digits (Newton "
                    "failed, e.g. at collinear rows where the kernel's closed-form derivatives "
                    "are singular): float64 values, no *_digits"
                ]
                if unpolished
                else []
            ),
            *(
                [
                    f"{singular} point(s) with collinear rows: spectrum in float64 (finite "
                    "differences), the kernel's closed-form derivatives are singular there"
                ]
                if singular
                else []
            ),
        ),
    )
