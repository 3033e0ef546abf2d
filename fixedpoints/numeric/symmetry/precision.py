r"""Critical points in a Young fixed space at N digits (mpmath), and their families in d.

Float64 cancels catastrophically in the k = d ReLU loss from d ≈ 10⁵ on: its terms are
:math:`O(d^2)` (:math:`\tfrac{d(d-1)}{4\pi}` from the teachers alone) and the loss is O(1). The
reduced loss of :class:`~fixedpoints.numeric.symmetry.young.YoungIsotropy` has O(r²) terms
whatever d is (with counts up to d² as weights), so with mpmath kernels and
:math:`3\log_{10}d` guard digits (:class:`working_precision`) it keeps N digits at any d; the
Hessian comes from jets (exact), and Newton is :func:`mpmath.findroot` (multidimensional Newton)
on the reduced gradient.

A family is followed in d (:func:`follow_dimension`) by natural-parameter steps in
:math:`t=d^{-1/2}` — the families are analytic in t (Arjevani–Field) — predicting each point
by polynomial extrapolation in t through the last three points and correcting with
:func:`polish`. :func:`follow_precise_branch` makes such a family a
:class:`~fixedpoints.results.Branch` (the N-digit continuation of
``continue_fixed_points(..., isotropy=..., precision=N)``): each point classified by the
isotypic spectrum at N digits (:func:`precise_point`, :func:`precise_index`, shared with the
N-digit search), sign changes of isotypic eigenvalues located as events.
"""

from __future__ import annotations

import math

import numpy as np

from fixedpoints.errors import ParameterError
from fixedpoints.numeric.continuation import keyed_spectrum
from fixedpoints.numeric.jets import to_digits, to_float
from fixedpoints.numeric.symmetry.blocks import parse_sizes
from fixedpoints.numeric.symmetry.dimension import DimensionFamily
from fixedpoints.numeric.symmetry.isotypic import reduced_isotypic_spectrum, spectrum_index
from fixedpoints.numeric.symmetry.spectra import merge_spectrum
from fixedpoints.numeric.symmetry.young import YoungIsotropy
from fixedpoints.results import Branch, BranchPoint, Event, Status

__all__ = [
    "accepted",
    "follow_dimension",
    "follow_precise_branch",
    "polish",
    "precise_index",
    "precise_isotropy",
    "precise_point",
    "working_precision",
]


class working_precision:
    r"""Context manager: ``mpmath.mp.dps = digits + guard`` inside.

    ``guard`` = 10, plus :math:`\lceil 3\log_{10}d\rceil` at dimension ``d`` > 1: the reduced
    loss's terms are :math:`O(d^2)` and the families' losses go down to :math:`O(1/d)` (F_A), so
    a relative error of :math:`10^{-\text{dps}}` in the terms is one of about
    :math:`10^{-\text{dps}}d^3` in the loss; with the guard the loss keeps ``digits`` digits.
    """

    def __init__(self, digits: int, d: float | None = None):
        if not (isinstance(digits, int) and 15 <= digits <= 1000):
            raise ParameterError(
                f"`precision` must be an integer number of digits in [15, 1000]; got {digits!r}.",
                parameter="precision",
            )
        self.digits = digits
        self.guard = 10 + (math.ceil(3 * math.log10(d)) if d is not None and d > 1 else 0)

    def __enter__(self):
        import mpmath

        self._old = mpmath.mp.dps
        mpmath.mp.dps = self.digits + self.guard
        return self

    def __exit__(self, *exc):
        import mpmath

        mpmath.mp.dps = self._old
        return False


def precise_isotropy(spec, d, kernels) -> YoungIsotropy:
    """The :class:`YoungIsotropy` of ``spec`` at (real or huge) d with mpmath ``kernels``
    (``compile_pair_kernels(..., backend='mpmath')``), with counts (no arrays of size d)."""
    sizes = parse_sizes(spec, d)
    return YoungIsotropy(sizes.template(d, real=True), kernels, counts=sizes.counts(d))


def polish(iso: YoungIsotropy, x, *, max_steps: int = 50):
    r"""Newton (:func:`mpmath.findroot`, Jacobian by jets) on the reduced gradient from ``x``,
    at the working precision.

    Returns
    -------
    (x, residual)
        Coordinates (object array of mpf) and the full-space gradient norm
        :math:`\|\nabla\mathcal L\|_F` there (mpf). When Newton fails (a singular or
        undefined Jacobian, e.g. at collinear rows such as W = I) the start is returned with its
        own residual, which may already be zero (:func:`accepted` decides).
    """
    import mpmath

    n = iso.dimension
    x = iso.numbers(x)

    def start():
        r = iso.full_gradient_norm(x)
        return x, (r if not isinstance(r, mpmath.mpc) and mpmath.isfinite(r) else mpmath.inf)

    def f(*v):
        return list(iso.reduced_gradient(np.array(v, dtype=object)))

    def J(*v):
        H = iso.reduced_hessian(np.array(v, dtype=object))
        return mpmath.matrix(H.tolist())

    tol = mpmath.mpf(10) ** (-2 * (mpmath.mp.dps - 5))
    try:
        root = mpmath.findroot(f, list(x), J=J, tol=tol, maxsteps=max_steps, verify=False)
    except (ZeroDivisionError, ValueError, TypeError):  # singular Jacobian, complex values
        return start()
    xr = np.array([root[i] for i in range(n)] if n > 1 else [root], dtype=object)
    if any(isinstance(v, mpmath.mpc) or not mpmath.isfinite(v) for v in xr):
        return start()
    res = iso.full_gradient_norm(xr)
    return xr, (res if not isinstance(res, mpmath.mpc) else mpmath.inf)


def accepted(x, residual, d) -> bool:
    r"""Whether :func:`polish` converged: the full-space gradient norm is below
    :math:`10^{-(\text{dps}-15)}\max(1,\max|x|)\max(1,d)` (the gradient's terms grow like d)."""
    import mpmath

    scale = max(mpmath.mpf(1), max(abs(v) for v in x))
    return bool(residual < mpmath.mpf(10) ** (-(mpmath.mp.dps - 15)) * scale * max(1, d))


def follow_dimension(
    spec,
    kernels,
    x0,
    d0: float,
    d1: float,
    *,
    per_decade: int = 8,
    halvings: int = 6,
    max_correction: float = 0.05,
    progress=None,
):
    r"""Follow the critical point ``x0`` of Fix(``spec``) at ``d0`` to ``d1`` (working
    precision; ``spec`` written in d, e.g. ``"d-1,1"``; ``d1`` above or below ``d0``).

    Steps are geometric in d (``per_decade`` per decade, at least 4 in all); each point is
    predicted by quadratic extrapolation in :math:`t=d^{-1/2}` and polished (:func:`polish`).

    Notes
    -----
    A step whose Newton fails (:func:`accepted` false), or moves the prediction by more than
    ``max_correction`` :math:`\max(1,\|x\|_\infty)` in the max norm (it would have jumped to
    another family), is retried at the geometric midpoint
    :math:`\sqrt{d_{\text{last}}d}`, at most ``halvings`` times in a row; after that the
    follow stops (a fold, or the family leaving the fixed space). ``progress(d)`` is called
    after each accepted point.

    Returns
    -------
    list of (d, x, residual)
        Every point reached; it ends before ``d1`` where Newton failed (``[]`` when it fails
        at ``d0`` already).
    """
    import mpmath

    if not parse_sizes(spec).in_d:
        raise ParameterError(
            f"`isotropy` must be written in d to follow a family in d (e.g. d-1,1); got {spec!r}.",
            parameter="isotropy",
        )
    if not (isinstance(per_decade, int) and per_decade >= 1):
        raise ParameterError(
            f"`per_decade` must be an integer >= 1; got {per_decade!r}.", parameter="per_decade"
        )
    n = max(4, int(math.ceil(abs(math.log10(d1 / d0)) * per_decade)))
    ds = [d0 * (d1 / d0) ** (i / n) for i in range(n + 1)]
    ds[-1] = d1
    iso = precise_isotropy(spec, d0, kernels)
    x, res = polish(iso, iso.numbers(x0))
    if not accepted(x, res, d0):
        return []
    out = [(d0, x, res)]
    ts, xs = [mpmath.mpf(d0) ** mpmath.mpf(-0.5)], [x]
    pending = ds[:0:-1]  # targets, the next one last
    tries = 0
    while pending:
        d = pending[-1]
        iso = precise_isotropy(spec, d, kernels)
        t = mpmath.mpf(d) ** mpmath.mpf(-0.5)
        guess = _extrapolate(ts[-3:], xs[-3:], t)
        x, res = polish(iso, guess)
        jump = max(abs(u - v) for u, v in zip(x, guess, strict=True))
        if accepted(x, res, d) and jump <= max_correction * max(1, max(abs(v) for v in x)):
            pending.pop()
            tries = 0
            out.append((d, x, res))
            ts.append(t)
            xs.append(x)
            if progress is not None:
                progress(d)
            continue
        tries += 1
        if tries > halvings:
            break
        pending.append(math.sqrt(out[-1][0] * d))
    return out


def precise_point(iso: YoungIsotropy, x, residual, digits: int, *, labels=None, fallback=None):
    r"""Loss, isotypic spectrum and their ``digits``-digit strings at the polished critical
    point ``x`` of ``iso`` (mpmath kernels, working precision).

    The spectrum is :func:`~fixedpoints.numeric.symmetry.isotypic.reduced_isotypic_spectrum`
    (exact Hessian by jets, eigenvalues mpf); ``labels`` are passed on as its ``names`` (sizes
    linear in d label the components in d).

    Returns
    -------
    loss : mpf
    spectrum : list of (eigenvalue, multiplicity, label)
        Floats from the N-digit spectrum; where that is not finite (the closed-form kernel's
        derivatives are singular at collinear rows, e.g. W = I, where the loss is still
        :math:`C^2`) ``fallback(to_float(x))`` (a float64 spectrum), or the non-finite values
        when there is no fallback.
    text : dict
        ``loss``, ``residual`` (5 digits), ``coordinates`` {name: text} and ``components``
        [[eigenvalue text, multiplicity, label], ...]: the mapping of ``FixedPoint.digits``.
    singular : bool
        Whether the fallback was used.
    """
    loss = iso.reduced_loss(x)
    comps = reduced_isotypic_spectrum(iso, x, names=labels)
    text = {
        "loss": to_digits(loss, digits),
        "residual": to_digits(residual, 5),
        "coordinates": {n: to_digits(v, digits) for n, v in zip(iso.names, x, strict=True)},
        "components": [[to_digits(v, digits), m, lab] for v, m, lab in comps],
    }
    items = [(float(v), m, lab) for v, m, lab in comps]
    singular = not all(np.isfinite(v) for v, *_ in items)
    if singular and fallback is not None:
        items = fallback(to_float(x))
    return loss, items, text, singular


def precise_index(items, digits: int) -> tuple[int, int, float]:
    r"""Morse index and nullity of an isotypic spectrum computed at ``digits`` digits.

    .. math::

        \operatorname{ind}=\sum_{\lambda<-\varepsilon}m_\lambda,\qquad
        \operatorname{null}=\sum_{|\lambda|\le\varepsilon}m_\lambda,\qquad
        \varepsilon=10^{-\lfloor N/2\rfloor}\max(1,\max|\lambda|)

    (half the digits: the null band of an eigenvalue known to N digits at a point known to N).

    Returns
    -------
    (index, nullity, eps)
    """
    eps = 10.0 ** (-(digits // 2)) * max(1.0, max(abs(v) for v, *_ in items))
    return (*spectrum_index(items, eps), eps)


def follow_precise_branch(
    spec,
    kernels,
    x0,
    d0: float,
    d1: float,
    digits: int,
    *,
    per_decade: int = 8,
    float_kernels=None,
    label: str = "",
    progress=None,
) -> Branch:
    r"""The family of the critical point ``x0`` of Fix(``spec``) from ``d0`` to ``d1`` at
    ``digits`` digits (the guard digits of :class:`working_precision` at the larger end of the
    range), as a :class:`~fixedpoints.results.Branch` in the parameter d.

    The points are those of :func:`follow_dimension` (geometric steps, extrapolation in
    :math:`t=d^{-1/2}`; where Newton fails at ``d0``, e.g. at collinear rows such as W = I
    where the kernel's closed-form derivatives are singular, the start rounded to 10, 8, 6
    decimals is tried, and kept only where its N-digit residual passes :func:`accepted`); each is classified by :func:`precise_point` and
    :func:`precise_index` (``float_kernels``: the float64 fallback spectrum at collinear rows).

    Events: where an isotypic eigenvalue (keyed by component and rank) changes sign between two
    consecutive points, a ``branch_point`` event with its ``component`` and
    ``multiplicity_formula``, located by the Illinois method in t on that eigenvalue (each
    evaluation a :func:`polish` at N digits) to :math:`|\Delta t|\le10^{-\lfloor N/2\rfloor}`,
    or by linear interpolation in t when that fails. Folds are not detected (natural-parameter
    steps stop at a fold).

    Returns
    -------
    Branch
        Points with ``digits`` (:func:`precise_point`'s text); ``status`` ``reached-end``, or
        ``step-too-small`` where Newton failed before ``d1`` (the step was halved
        :func:`follow_dimension`'s ``halvings`` times), or ``stalled`` (the label says why)
        when Newton fails at ``d0`` (no points) or the isotypic spectrum cannot be formed.
    """
    import mpmath

    with working_precision(digits, d=max(d0, d1)):
        path = follow_dimension(spec, kernels, x0, d0, d1, per_decade=per_decade, progress=progress)
        for decimals in (10, 8, 6):  # Newton fails at collinear rows (W = I): try them rounded
            if path:
                break
            snapped = [mpmath.mpf(f"{v:.{decimals}f}") for v in to_float(x0)]
            path = follow_dimension(
                spec, kernels, snapped, d0, d1, per_decade=per_decade, progress=progress
            )
        labels = parse_sizes(spec).linear
        formulas = DimensionFamily(kernels, spec).formulas
        points, spectra, unclassified = [], [], None
        for d, x, res in path:
            iso = precise_isotropy(spec, d, kernels)
            fb = None
            if float_kernels is not None:

                def fb(xf, d=d):
                    float_iso = precise_isotropy(spec, d, float_kernels)
                    return reduced_isotypic_spectrum(float_iso, xf, names=labels)

            try:
                loss, items, text, _ = precise_point(
                    iso, x, res, digits, labels=labels, fallback=fb
                )
            except RuntimeError:  # the decomposition degenerates at small integer d (d <= 3)
                unclassified = d
                break
            index, _, eps = precise_index(items, digits)
            lam = min(v for v, *_ in items)
            # the spectrum as isotropic searches give it (null band set to 0, merged to 1e-7)
            spectrum = merge_spectrum(((v if abs(v) > eps else 0.0, m) for v, m, *_ in items), 1e-7)
            points.append(
                BranchPoint(
                    float(d),
                    float(loss),
                    index,
                    lam,
                    to_float(x),
                    text,
                    spectrum=spectrum,
                    components=[(v, m, lab) for v, m, lab, *_ in items],
                )
            )
            spectra.append((d, x, keyed_spectrum(items)))
        events = []
        for i in range(1, len(points)):
            events += _crossings(
                spec, kernels, spectra[i - 1], spectra[i], labels, formulas, digits
            )
    if not path:
        status, label = Status.STALLED, f"{label} (Newton failed at d = {d0:g})".strip()
    elif unclassified is not None:
        status = Status.STALLED
        label = f"{label} (no isotypic spectrum at d = {unclassified:g}: stopped)".strip()
    else:
        status = Status.REACHED_END if path[-1][0] == d1 else Status.STEP_TOO_SMALL
    return Branch(tuple(points), tuple(events), status, label)


def _crossings(spec, kernels, a, b, labels, formulas, digits):
    """Events between the consecutive classified points ``a`` and ``b``, each (d, x, keyed
    spectrum) (see :func:`follow_precise_branch`). The index on either side of an event counts
    the eigenvalues negative there (those that crossed earlier on the way from a to b with
    their sign at b) with their multiplicities at the event."""
    import mpmath

    (da, xa, ka), (db, xb, kb) = a, b
    ta, tb = mpmath.mpf(da) ** -0.5, mpmath.mpf(db) ** -0.5

    def point(t):
        d = t**-2
        iso = precise_isotropy(spec, d, kernels)
        x, res = polish(iso, _extrapolate([ta, tb], [xa, xb], t))
        if not accepted(x, res, d):
            raise ValueError("Newton failed")
        return iso, x

    def eigenvalue(key):  # one argument only: findroot tries f(*x0) first
        def f(t):
            iso, x = point(t)
            return keyed_spectrum(reduced_isotypic_spectrum(iso, x, names=labels))[key][0]

        return f

    found = []
    for key in sorted(ka.keys() & kb.keys()):
        va, vb = ka[key][0], kb[key][0]
        if not (va * vb < 0):
            continue
        try:
            te = mpmath.findroot(
                eigenvalue(key),
                (ta, tb),
                solver="illinois",
                tol=mpmath.mpf(10) ** -(digits // 2),
                maxsteps=30,
                verify=False,
            )
            iso, xe = point(te)
        except (ValueError, KeyError, ZeroDivisionError):  # linear interpolation in t
            te = ta + (tb - ta) * va / (va - vb)
            iso, xe = precise_isotropy(spec, te**-2, kernels), _extrapolate([ta, tb], [xa, xb], te)
        found.append((abs(te - ta), key, te, iso, xe))
    found.sort(key=lambda f: f[0])
    out = []
    for i, (_, key, te, iso, xe) in enumerate(found):
        here = keyed_spectrum(reduced_isotypic_spectrum(iso, xe, names=labels))

        def index(crossed, here=here):
            return round(
                sum(
                    float(m)
                    for k, (v, m, _) in here.items()
                    if (kb if k in crossed else ka).get(k, (v,))[0] < 0
                )
            )

        before = index({f[1] for f in found[:i]})
        after = index({f[1] for f in found[: i + 1]})
        below, above = (before, after) if db >= da else (after, before)
        out.append(
            Event(
                "branch_point",
                float(te**-2),
                below,
                above,
                float(iso.reduced_loss(xe)),
                max(1, round(float(here.get(key, kb[key])[1]))),
                to_float(xe),
                component=str(key[0]),
                multiplicity_formula=formulas.get(key[0], ""),
            )
        )
    return out


def _extrapolate(ts, xs, t):
    """Lagrange extrapolation through the points (t_i, x_i) (1 to 3 of them) to t."""
    out = xs[-1] * 0
    for i, ti in enumerate(ts):
        w = 1
        for j, tj in enumerate(ts):
            if j != i:
                w = w * (t - tj) / (ti - tj)
        out = out + xs[i] * w
    return out
