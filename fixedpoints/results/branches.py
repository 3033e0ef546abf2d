"""Continuation and thresholds: branch points, events, branches, continuations, thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from fixedpoints.results.status import (
    Status,
    array_field,
    freeze_arrays,
    frozen_mapping,
    multiplicity,
    spectrum_pairs,
)
from fixedpoints.results.text import raw, short_repr

__all__ = [
    "Branch",
    "BranchPoint",
    "Continuation",
    "Event",
    "Threshold",
    "eigenvalue_paths",
    "expanded_spectra",
]


@dataclass(frozen=True)
class BranchPoint:
    """A point on a branch: ``parameter``, ``loss``, ``index``, smallest eigenvalue, weights and
    the Hessian spectrum there (as AUTO's d-files carry the eigenvalues of each point).

    ``spectrum``: merged ``(eigenvalue, multiplicity)`` pairs, ascending, eigenvalues inside the
    null band set to 0 (as :attr:`FixedPoint.spectrum`); the multiplicities sum to the
    dimension of the tangent space and ``index`` is the sum over the negative eigenvalues.
    ``components``: where the symmetry gives an isotypic spectrum (continuation in a Young fixed
    space, ``isotropy``), ``(eigenvalue, multiplicity, label)`` per isotypic eigenvalue, as
    :attr:`FixedPoint.components`. Multiplicities are ints, or at real d (continuation in the
    dimension) the multiplicity formula's value, a float (:func:`multiplicity`).

    ``digits`` (continuation at N digits, ``precision``): ``loss``, ``residual``,
    ``coordinates`` {name: text} and ``components`` [[eigenvalue, multiplicity, label], ...]
    as N-digit strings, as in ``FixedPoint.digits`` (JSON ``loss_digits``,
    ``coordinates_digits``, ``residual_digits``, ``components_digits``).
    """

    parameter: float
    loss: float
    index: int
    min_eigenvalue: float
    x: object = array_field(default=None)
    digits: Mapping | None = None
    spectrum: tuple = ()
    components: tuple | None = None

    def __post_init__(self):
        freeze_arrays(self)
        object.__setattr__(self, "spectrum", spectrum_pairs(self.spectrum))
        if self.components is not None:
            comps = tuple((float(v), multiplicity(m), str(lab)) for v, m, lab in self.components)
            object.__setattr__(self, "components", comps)
        if self.digits is not None:
            dg = dict(self.digits)
            if "coordinates" in dg:
                dg["coordinates"] = frozen_mapping(dg["coordinates"])
            if "components" in dg:
                dg["components"] = tuple(tuple(c) for c in dg["components"])
            object.__setattr__(self, "digits", frozen_mapping(dg))

    def eigenvalues(self) -> tuple:
        """The spectrum with each eigenvalue repeated by its multiplicity (rounded at real d),
        ascending."""
        return expanded_spectra([self.spectrum])[0]

    def to_dict(self) -> dict:
        doc = {
            "parameter": self.parameter,
            "loss": self.loss,
            "index": self.index,
            "min_eigenvalue": self.min_eigenvalue,
            "spectrum": [[v, m] for v, m in self.spectrum],
        }
        if self.components is not None:
            doc["components"] = [list(c) for c in self.components]
        if self.digits is not None:
            dg = self.digits
            doc["loss_digits"] = dg["loss"]
            doc["coordinates_digits"] = dict(dg.get("coordinates", {}))
            if "residual" in dg:
                doc["residual_digits"] = dg["residual"]
            if "components" in dg:
                doc["components_digits"] = [list(c) for c in dg["components"]]
        return doc


@dataclass(frozen=True)
class Event:
    """``kind`` (``'fold'`` or ``'branch_point'``) at parameter ``value``; ``index_below`` /
    ``index_above`` (Morse index before/after along increasing parameter), ``loss``, the
    ``multiplicity`` of the eigenvalue that crossed zero, and the point ``x``; on isotypic
    spectra the ``component`` whose eigenvalue crossed and its ``multiplicity_formula`` (a
    polynomial in d)."""

    kind: str
    value: float
    index_below: int
    index_above: int
    loss: float
    multiplicity: int = 1
    x: object = array_field(default=None)
    component: str = ""
    multiplicity_formula: str = ""

    def __post_init__(self):
        freeze_arrays(self)

    def to_dict(self) -> dict:
        doc = {
            "kind": self.kind,
            "value": self.value,
            "index_below": self.index_below,
            "index_above": self.index_above,
            "loss": self.loss,
            "multiplicity": self.multiplicity,
        }
        if self.component:
            doc["component"] = self.component
            doc["multiplicity_formula"] = self.multiplicity_formula
        return doc


@dataclass(frozen=True)
class Branch:
    """A continued branch: ``points``, ``events``, ``status`` (``reached-end``, ``left-range``,
    ``step-too-small`` or ``max-points``) and a ``label``."""

    points: tuple
    events: tuple
    status: Status
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "points", tuple(self.points))
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "status", Status(self.status))

    def parameters(self) -> tuple:
        """The parameter at each point (the abscissa of :meth:`spectra`)."""
        return tuple(p.parameter for p in self.points)

    def spectra(self) -> tuple:
        """The Hessian eigenvalues along the branch: one row per point, ascending, each
        eigenvalue repeated by its multiplicity (:meth:`BranchPoint.eigenvalues`); rows are
        padded with nan to the longest (at real d the dimension changes along the branch).
        Column j is the path of the j-th smallest eigenvalue: ``numpy.asarray`` of it is an
        array (points × eigenvalues) to plot against :meth:`parameters`.

        >>> b = Branch([BranchPoint(0.0, 1.0, 0, 1.0, spectrum=[(1.0, 2)]),
        ...             BranchPoint(0.5, 1.0, 1, -1.0, spectrum=[(-1.0, 1), (2.0, 1)])], [],
        ...            "reached-end")
        >>> b.spectra()
        ((1.0, 1.0), (-1.0, 2.0))
        """
        return expanded_spectra([p.spectrum for p in self.points])

    def eigenvalue_paths(self) -> dict:
        """Each eigenvalue followed along the branch (:func:`eigenvalue_paths` of the points'
        ``components`` where the symmetry gives them, else of their ``spectrum``).

        >>> b = Branch([BranchPoint(0.0, 1.0, 0, 1.0, spectrum=[(1.0, 2)])], [], "reached-end")
        >>> b.eigenvalue_paths()
        {0: (1.0,), 1: (1.0,)}
        """
        return eigenvalue_paths(
            [p.spectrum if p.components is None else p.components for p in self.points]
        )

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "status": str(self.status),
            "points": [p.to_dict() for p in self.points],
            "events": [e.to_dict() for e in self.events],
        }


@dataclass(frozen=True)
class Continuation:
    """The branches of :func:`fixedpoints.continue_fixed_points` in ``parameter`` over
    ``range``; with a second parameter (:func:`fixedpoints.continue_curves`) also the fold and
    branch-point ``curves`` (:class:`~fixedpoints.results.curves.Curve`) in the plane
    (``parameter``, ``curve_parameter``) over ``range`` × ``curve_range``."""

    parameter: str
    range: tuple
    branches: tuple
    model: str = ""
    settings: Mapping = field(default_factory=dict)
    stats: Mapping = field(default_factory=dict, compare=False)
    curves: tuple = ()
    curve_parameter: str | None = None
    curve_range: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "range", tuple(self.range))
        object.__setattr__(self, "branches", tuple(self.branches))
        object.__setattr__(self, "curves", tuple(self.curves))
        object.__setattr__(self, "curve_range", tuple(self.curve_range))
        object.__setattr__(self, "settings", frozen_mapping(self.settings))
        object.__setattr__(self, "stats", frozen_mapping(self.stats))

    @property
    def status(self) -> Status:
        """``found`` when a branch was continued, else ``not-found``."""
        return Status.FOUND if self.branches else Status.NOT_FOUND

    def __repr__(self) -> str:
        events = [f"{e.kind} {e.value:.6g}" for b in self.branches for e in b.events]
        return short_repr(
            "Continuation",
            self.model or None,
            parameter=self.parameter,
            range=raw(str(tuple(self.range))),
            branches=len(self.branches),
            events=raw("[" + ", ".join(events[:6]) + (", …" if len(events) > 6 else "") + "]"),
            **({"curves": len(self.curves)} if self.curve_parameter else {}),
        )

    def to_dict(self, *, timing: bool = False) -> dict:
        """The document of ``continue --json`` (with ``--curve``: ``curve_parameter``,
        ``curve_range`` and ``curves``)."""
        doc = {
            "model": self.model,
            "parameter": self.parameter,
            "range": list(self.range),
            "settings": dict(self.settings),
        }
        if timing:
            doc["seconds"] = self.stats.get("seconds")
        doc["branches"] = [b.to_dict() for b in self.branches]
        if self.curve_parameter:
            doc["curve_parameter"] = self.curve_parameter
            doc["curve_range"] = list(self.curve_range)
            doc["curves"] = [c.to_dict() for c in self.curves]
        return doc


@dataclass(frozen=True)
class Threshold:
    """Where a named fixed point changes stability in a parameter.

    ``value`` (the closed form's value when there is one, else the numeric root; None when the
    index does not change in ``range``), ``expression``/``latex`` (the closed form, or None),
    ``numeric_value`` (continuation root), ``index_below``/``index_above``, ``kind`` (``fold``
    or ``branch_point``), ``method``, ``symbolic_status`` (why there is or is not a closed form),
    ``eigenvalue`` (the Hessian eigenvalue on the critical component), ``events`` (every index
    change found), ``status`` (``found``/``not-found``) and ``message``; with a second
    parameter, ``curve`` (:class:`~fixedpoints.results.curves.Curve`: the threshold as a curve
    in the plane, JSON ``curve``).
    """

    parameter: str
    value: float | None
    expression: str | None
    point: str
    index_below: int
    index_above: int
    numeric_value: float | None = None
    kind: str | None = None
    range: tuple = ()
    method: str = ""
    symbolic_status: str | None = None
    eigenvalue: str | None = None
    latex: str | None = None
    status: Status = Status.FOUND
    message: str = ""
    events: tuple = ()
    branch: Branch | None = array_field(default=None)
    curve: object = None

    def __post_init__(self):
        object.__setattr__(self, "range", tuple(self.range))
        object.__setattr__(self, "events", tuple(self.events))
        object.__setattr__(self, "status", Status(self.status))

    def __repr__(self) -> str:
        return short_repr(
            "Threshold",
            self.parameter,
            value=self.value,
            expression=self.expression or None,
            index=raw(f"{self.index_below} -> {self.index_above}"),
            status=str(self.status),
        )

    def to_dict(self) -> dict:
        """The document of ``threshold --json``."""
        doc = {
            "parameter": self.parameter,
            "value": self.value,
            "expression": self.expression,
            "point": self.point,
            "index_below": self.index_below,
            "index_above": self.index_above,
            "numeric_value": self.numeric_value,
            "kind": self.kind,
            "range": list(self.range),
            "method": self.method,
        }
        if self.symbolic_status is not None:
            doc["symbolic_status"] = self.symbolic_status
        if self.eigenvalue is not None:
            doc["eigenvalue"] = self.eigenvalue
        if self.latex is not None:
            doc["latex"] = self.latex
        doc["status"] = str(self.status)
        doc["message"] = self.message
        if self.curve is not None:
            doc["curve"] = self.curve.to_dict()
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping) -> Threshold:
        """Inverse of :meth:`to_dict` (events, the branch and the curve are not
        serialized back)."""
        names = {f.name for f in fields(cls)} - {"events", "branch", "curve"}
        return cls(**{k: doc[k] for k in names if k in doc})


def expanded_spectra(spectra) -> tuple:
    """Rows of eigenvalues, each ``(eigenvalue, multiplicity[, ...])`` of a spectrum repeated
    by its multiplicity (rounded at real d), padded with nan to the longest row.

    >>> expanded_spectra([[(-1.0, 1), (2.0, 2)], [(0.5, 2)]])
    ((-1.0, 2.0, 2.0), (0.5, 0.5, nan))
    """
    rows = [tuple(float(v) for v, m, *_ in spec for _ in range(round(m))) for spec in spectra]
    n = max((len(r) for r in rows), default=0)
    return tuple(r + (float("nan"),) * (n - len(r)) for r in rows)


def eigenvalue_paths(spectra) -> dict:
    """``{key: (eigenvalue at each point, ...)}`` from one spectrum per point along a branch
    (``BranchPoint`` values or the JSON lists of ``continue --json``), nan where a point lacks
    the key.

    Isotypic spectra (items ``(eigenvalue, multiplicity, label)``): the key is ``(label,
    rank)``, the rank-th smallest eigenvalue of the isotypic component ``label`` (the
    ``component`` the events name). Otherwise the key is j, the j-th smallest eigenvalue with
    multiplicities expanded (:func:`expanded_spectra`, column j).

    >>> eigenvalue_paths([[(-1.0, 1, "trivial"), (2.0, 3, "(d-1,1)")], [(0.5, 1, "trivial")]])
    {('(d-1,1)', 0): (2.0, nan), ('trivial', 0): (-1.0, 0.5)}
    """
    spectra = [list(s) for s in spectra]
    if not any(len(item) > 2 for s in spectra for item in s):
        return dict(enumerate(zip(*expanded_spectra(spectra), strict=True)))
    keyed = []
    for spec in spectra:
        ranks: dict = {}
        row = {}
        for v, _, lab, *_ in sorted(spec, key=lambda item: item[0]):
            row[(str(lab), ranks.get(lab, 0))] = float(v)
            ranks[lab] = ranks.get(lab, 0) + 1
        keyed.append(row)
    keys = sorted({k for row in keyed for k in row})
    return {k: tuple(row.get(k, float("nan")) for row in keyed) for k in keys}
