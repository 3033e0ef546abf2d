"""Fixed points: classifications, classified points and searches, Newton results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from fixedpoints.results.status import (
    Status,
    array_field,
    freeze_arrays,
    frozen_mapping,
    plain,
    spectrum_pairs,
)
from fixedpoints.results.text import html_table, numbers, raw, short_repr

__all__ = ["Certificate", "Classification", "FixedPoint", "FixedPointSearch", "NewtonResult"]

#: the verdicts of a :class:`Certificate`
VERDICTS = ("minimum", "saddle", "critical point", "failed")


@dataclass(frozen=True)
class Certificate:
    """A computer-assisted proof for one critical point (ball arithmetic).

    ``verdict``: ``'minimum'`` (a box of half-width ``radius`` around the point contains exactly
    one critical point and the Hessian is positive definite on the box), ``'saddle'`` (the same,
    with ``index`` negative eigenvalues certified), ``'critical point'`` (existence and
    uniqueness only) or ``'failed'`` (``reason`` says why; nothing is claimed).
    ``eigenvalue_lower_bound``: a rigorous lower bound on the smallest Hessian eigenvalue over
    the box (nan when not obtained)."""

    verdict: str
    radius: float
    eigenvalue_lower_bound: float
    index: int | None = None
    reason: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}; got {self.verdict!r}")

    def to_dict(self) -> dict:
        doc = {
            "verdict": self.verdict,
            "radius": float(self.radius),
            "eigenvalue_lower_bound": float(self.eigenvalue_lower_bound),
            "index": self.index,
        }
        if self.reason:
            doc["reason"] = self.reason
        return doc


@dataclass(frozen=True)
class Classification:
    """The Hessian classification of one critical point (see
    :func:`fixedpoints.numeric.fixed_points.classify_point`).

    ``eigenvalues``: the (Riemannian) Hessian eigenvalues, ascending; ``spectrum``: merged
    ``(eigenvalue, multiplicity)`` pairs with eigenvalues inside the null band set to 0;
    ``residual``: gradient norm; ``error``: estimated distance to the exact critical point;
    ``tolerance``: the null band used.
    """

    loss: float
    eigenvalues: object = array_field()
    index: int = 0
    nullity: int = 0
    symmetry_zero_modes: int = 0
    degenerate: bool = False
    spectrum: tuple = ()
    residual: float = 0.0
    error: float = 0.0
    tolerance: float = 0.0
    #: a degenerate point's loss along its null directions (not explained by symmetry):
    #: ``'rising'``, ``'falling'``, ``'mixed'``, ``'flat'``; '' when not degenerate
    #: (:func:`fixedpoints.numeric.degenerate.null_character`)
    null_directions: str = ""

    def __post_init__(self):
        freeze_arrays(self)
        object.__setattr__(self, "spectrum", spectrum_pairs(self.spectrum))

    @property
    def kind(self) -> str:
        """``'minimum'``, ``'saddle'``, ``'maximum'`` or ``'degenerate'`` (a degenerate point
        by its higher-order terms, :func:`_kind`)."""
        return _kind(self.degenerate, self.index, self.nullity, self.spectrum, self.null_directions)


def _kind(degenerate, index, nullity, spectrum, null_directions="") -> str:
    """By the Hessian; a degenerate point by the loss along its null directions: rising and
    index 0 is a minimum, falling with every other direction negative a maximum, mixed (or
    falling, or rising with a negative direction) a saddle, flat or unknown 'degenerate'."""
    n = sum(m for _, m in spectrum)
    if degenerate:
        if null_directions == "rising":
            return "minimum" if index == 0 else "saddle"
        if null_directions == "falling":
            return "maximum" if index == n - nullity else "saddle"
        return "saddle" if null_directions == "mixed" else "degenerate"
    if index == 0:
        return "minimum"
    return "maximum" if index == n - nullity else "saddle"


@dataclass(frozen=True)
class FixedPoint:
    """A classified critical point: one representative of a symmetry orbit.

    Attributes
    ----------
    loss, index, nullity, symmetry_zero_modes, degenerate
        Loss value, Morse index, number of zero eigenvalues, how many of them continuous
        symmetries generate, and whether there are more (a non-isolated or higher-order point).
    spectrum : tuple of (eigenvalue, multiplicity)
    count : int
        Size of the orbit under the discrete symmetry group.
    isotropy : str
        Description of the stabiliser (its order, and for subspace searches its type).
    stabilizer_order : int
    coordinates : Mapping
        Overlap coordinates (``Q_ij``, ``M_ir``, ``a_i``) or subspace coordinates.
    x : array, read-only
        The point in the search coordinates (not serialized).
    residual, reduced_residual : float
        Gradient norm of the full loss, and in the reduced space (subspace searches).
    hits : int
        How many converged Newton runs landed on this orbit.
    components : tuple of (eigenvalue, multiplicity, label), optional
        Isotypic spectrum (subspace searches).
    error : float, optional
        Estimated distance to the exact critical point (weight-space searches).
    null_tolerance : float, optional
        The eigenvalue band counted as zero at this point.
    status : Status
    stabilizer_generators : tuple of str
        The stabiliser's generators in cycle notation (``"(w1 w2) (v1 v2)"``), where known.
    digits : Mapping, optional
        With ``precision`` N: ``loss``, ``residual``, ``coordinates`` and ``components`` as
        N-digit strings (JSON ``loss_digits``, ``coordinates_digits``, ...).
    certificate : Certificate, optional
        A computer-assisted proof (``certify``): JSON ``certificate``.
    null_directions : str
        A degenerate point's loss along its null directions (``'rising'``, ``'falling'``,
        ``'mixed'``, ``'flat'``; '' otherwise): what ``kind`` reports it as (JSON
        ``null_directions``).
    """

    loss: float
    index: int
    nullity: int
    symmetry_zero_modes: int
    degenerate: bool
    spectrum: tuple
    count: int
    isotropy: str
    stabilizer_order: int
    coordinates: Mapping
    x: object = array_field(default=None)
    residual: float = 0.0
    reduced_residual: float | None = None
    hits: int = 1
    components: tuple | None = None
    error: float | None = None
    null_tolerance: float | None = None
    status: Status = Status.CONVERGED
    stabilizer_generators: tuple = ()
    digits: Mapping | None = None
    certificate: object = None
    null_directions: str = ""

    def __post_init__(self):
        object.__setattr__(self, "stabilizer_generators", tuple(self.stabilizer_generators))
        if self.digits is not None:
            object.__setattr__(self, "digits", frozen_mapping(self.digits))
        object.__setattr__(self, "spectrum", spectrum_pairs(self.spectrum))
        object.__setattr__(self, "coordinates", frozen_mapping(self.coordinates))
        freeze_arrays(self)
        if self.components is not None:
            comps = tuple((float(v), int(m), str(lab)) for v, m, lab in self.components)
            object.__setattr__(self, "components", comps)

    @property
    def kind(self) -> str:
        """``'minimum'``, ``'saddle'``, ``'maximum'``, ``'degenerate'`` or
        ``'nondifferentiable'`` (a zero-norm neuron at a kink of the activation)."""
        if self.status == Status.NONDIFFERENTIABLE:
            return "nondifferentiable"
        return _kind(self.degenerate, self.index, self.nullity, self.spectrum, self.null_directions)

    def __repr__(self) -> str:
        return short_repr(
            "FixedPoint",
            self.kind,
            loss=self.loss,
            index=self.index,
            nullity=self.nullity,
            degenerate=self.degenerate or None,
            count=self.count,
            isotropy=self.isotropy or None,
            status=str(self.status),
        )

    def to_dict(self) -> dict:
        """The ``fixed_points`` entry of ``fixed-points --json``."""
        doc = {
            "loss": self.loss,
            "index": self.index,
            "nullity": self.nullity,
            "symmetry_zero_modes": self.symmetry_zero_modes,
            "degenerate": self.degenerate,
            **({"null_directions": self.null_directions} if self.null_directions else {}),
            "kind": self.kind,
            "count": self.count,
            "spectrum": [[v, m] for v, m in self.spectrum],
            "isotropy": self.isotropy,
            "stabilizer_order": self.stabilizer_order,
            **(
                {"stabilizer_generators": list(self.stabilizer_generators)}
                if self.stabilizer_generators
                else {}
            ),
            "coordinates": dict(self.coordinates),
            "residual": self.residual,
            "reduced_residual": self.reduced_residual,
            "hits": self.hits,
        }
        if self.components is not None:
            doc["components"] = [list(c) for c in self.components]
        if self.error is not None:
            doc["error"] = self.error
        if self.null_tolerance is not None:
            doc["null_tolerance"] = self.null_tolerance
        if self.status != Status.CONVERGED:
            doc["status"] = str(self.status)
        if self.digits is not None:
            dg = self.digits
            doc["loss_digits"] = dg["loss"]
            doc["coordinates_digits"] = dict(dg["coordinates"])
            doc["residual_digits"] = dg["residual"]
            doc["components_digits"] = [list(c) for c in dg["components"]]
        if self.certificate is not None:
            doc["certificate"] = self.certificate.to_dict()
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping) -> FixedPoint:
        """Inverse of :meth:`to_dict` (``x`` is not serialized: None)."""
        names = {f.name for f in fields(cls)} - {"x", "status", "digits", "certificate"}
        kw = {k: doc[k] for k in names if k in doc}
        kw["status"] = Status(doc.get("status", "converged"))
        kw.setdefault("symmetry_zero_modes", 0)
        kw.setdefault("stabilizer_order", 1)
        return cls(**kw)


@dataclass(frozen=True)
class FixedPointSearch:
    """The fixed points of a model (:func:`fixedpoints.find_fixed_points`).

    ``points`` sorted by (loss, index); ``starts`` Newton starts; ``statuses`` how they ended
    (counts); ``symmetry`` the group found (one line) and ``group`` its ``order`` (exact int),
    ``generators`` (text) and ``exact``; ``space`` where the search ran; ``notes``;
    ``stats``: ``seconds`` (wall time).
    """

    points: tuple
    starts: int
    statuses: Mapping
    symmetry: str
    space: str
    null_tolerance: float
    decoupled: bool = False
    notes: tuple = ()
    model: str = ""
    settings: Mapping = field(default_factory=dict)
    stats: Mapping = field(default_factory=dict, compare=False)
    group: Mapping = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "group", frozen_mapping(self.group))
        object.__setattr__(self, "points", tuple(self.points))
        object.__setattr__(self, "statuses", frozen_mapping(self.statuses))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "settings", frozen_mapping(self.settings))
        object.__setattr__(self, "stats", frozen_mapping(self.stats))

    @property
    def status(self) -> Status:
        """``found`` when at least one start converged, else ``not-found``."""
        return Status.FOUND if self.points else Status.NOT_FOUND

    def __repr__(self) -> str:
        return short_repr(
            "FixedPointSearch",
            self.model or None,
            points=len(self.points),
            losses=numbers(p.loss for p in self.points),
            indices=raw(str([p.index for p in self.points][:6])),
            starts=self.starts,
            status=str(self.status),
        )

    def _repr_html_(self) -> str:
        rows = [
            (p.loss, p.index, p.nullity, p.count, p.isotropy, str(p.status)) for p in self.points
        ]
        caption = f"{self.model} {dict(self.settings)}: {len(self.points)} fixed points"
        return html_table(
            ("loss", "index", "nullity", "count", "isotropy", "status"), rows, caption
        )

    def to_dict(self, *, timing: bool = False) -> dict:
        """The document of ``fixed-points --json`` (``seconds`` only with ``timing``)."""
        doc = {
            "model": self.model,
            "settings": dict(self.settings),
            "space": self.space,
            "symmetry": self.symmetry,
            "group": plain(self.group),
            "decoupled": self.decoupled,
            "starts": self.starts,
            "statuses": dict(self.statuses),
            "null_tolerance": self.null_tolerance,
        }
        if timing:
            doc["seconds"] = self.stats.get("seconds")
        doc["fixed_points"] = [p.to_dict() for p in self.points]
        doc["notes"] = list(self.notes)
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping) -> FixedPointSearch:
        """Inverse of :meth:`to_dict`."""
        return cls(
            points=tuple(FixedPoint.from_dict(p) for p in doc.get("fixed_points", ())),
            starts=int(doc.get("starts", 0)),
            statuses=doc.get("statuses", {}),
            symmetry=doc.get("symmetry", ""),
            group=doc.get("group", {}),
            space=doc.get("space", ""),
            null_tolerance=float(doc.get("null_tolerance", 0.0)),
            decoupled=bool(doc.get("decoupled", False)),
            notes=tuple(doc.get("notes", ())),
            model=doc.get("model", ""),
            settings=doc.get("settings", {}),
        )


@dataclass(frozen=True)
class NewtonResult:
    """Outcome of :func:`fixedpoints.numeric.newton.newton`: the point(s) ``x``, gradient
    ``residual``, ``iterations`` and ``status`` — scalars for one start, arrays (``status`` a
    tuple) for a batch of starts."""

    x: object = array_field()
    residual: object = None
    iterations: object = None
    status: object = Status.CONVERGED

    def __post_init__(self):
        freeze_arrays(self)

    @property
    def converged(self):
        """Whether each start converged (a bool, or a tuple of bools for a batch)."""
        if isinstance(self.status, tuple):
            return tuple(s == Status.CONVERGED for s in self.status)
        return self.status == Status.CONVERGED
