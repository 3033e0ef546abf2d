"""Frozen model descriptions: student, teacher, loss.

A :class:`Model` is a value: hashable, comparable, JSON round-trippable. Matrices are tuples of rows
of *expression strings* (``"1"``, ``"(beta)"``, ``"3/2"``); the symbolic layer turns them into
SymPy expressions, with the names in :attr:`Model.free` as free symbols.

Student :math:`f(x)=\\sum_{i=1}^{k} a_i\\,\\sigma(w_i^\\top x)` with ``a_i`` in
:math:`\\mathbb R^{\\text{outputs}}`, teacher :math:`f^*(x)=\\sum_{r=1}^{m} b_r\\,\\sigma_*(v_r^\\top x)`,
:math:`T=VV^\\top`, inputs :math:`x\\sim\\mathcal N(0,I_d)`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from fixedpoints.errors import ModelError, ParameterError
from fixedpoints.models.expressions import Matrix, check_expression
from fixedpoints.models.parameters import check_activation_text

__all__ = ["Student", "Teacher", "Loss", "Model"]

SECOND_LAYER = ("fixed", "trainable")
LOSS_KINDS = ("square", "correlation")


def _check_matrix(m: Matrix, rows: int, cols: int, name: str) -> None:
    if len(m) != rows or any(len(r) != cols for r in m):
        shape = (len(m), len(m[0]) if m else 0)
        raise ModelError(f"`{name}` must be a {rows}x{cols} matrix; got shape {shape}.")
    for r in m:
        for e in r:
            check_expression(e, name=name)


def _same_entry(x: str, y: str) -> bool:
    """Equal expression strings, or equal numbers (``0.5`` and ``1/2``)."""
    if x.replace(" ", "") == y.replace(" ", ""):
        return True
    from fixedpoints.models.expressions import _num

    try:
        return (
            abs(
                float(_num(check_expression(x, name="T").body, "T"))
                - float(_num(check_expression(y, name="T").body, "T"))
            )
            < 1e-12
        )
    except (ParameterError, TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Student:
    """Student network.

    Attributes
    ----------
    width : int
        Number of neurons k >= 1.
    activation : str
        Activation text (see :func:`fixedpoints.kernels.parse_activation`).
    second_layer : {'fixed', 'trainable'}
        Whether the output weights ``a`` follow the gradient flow.
    a : tuple of tuple of str
        ``k x outputs`` fixed output weights (used when ``second_layer == 'fixed'``).
    spherical : bool
        Neurons constrained to the unit sphere ``||w_i|| = 1`` (projected flow).
    """

    width: int
    activation: str
    second_layer: str = "fixed"
    a: Matrix = ()
    spherical: bool = False

    def __post_init__(self):
        if not isinstance(self.width, int) or isinstance(self.width, bool) or self.width < 1:
            raise ParameterError(f"`student.width` must be an integer >= 1; got {self.width!r}.")
        check_activation_text(self.activation, name="student.activation")
        if self.second_layer not in SECOND_LAYER:
            raise ParameterError(
                f"`student.second_layer` must be one of {SECOND_LAYER}; got {self.second_layer!r}."
            )


@dataclass(frozen=True)
class Teacher:
    """Teacher network: ``m`` neurons with overlap matrix ``T = V V^T`` and output weights ``b``."""

    width: int
    activation: str
    b: Matrix
    overlap: Matrix

    def __post_init__(self):
        if not isinstance(self.width, int) or isinstance(self.width, bool) or self.width < 1:
            raise ParameterError(f"`teacher.width` must be an integer >= 1; got {self.width!r}.")
        check_activation_text(self.activation, name="teacher.activation")
        _check_matrix(self.overlap, self.width, self.width, "teacher.overlap")
        for i in range(self.width):
            for j in range(i):
                if not _same_entry(self.overlap[i][j], self.overlap[j][i]):
                    raise ModelError(
                        f"`teacher.overlap` must be symmetric; entry ({i + 1},{j + 1}) is "
                        f"{self.overlap[i][j]!r} but ({j + 1},{i + 1}) is {self.overlap[j][i]!r}."
                    )


@dataclass(frozen=True)
class Loss:
    """Population loss.

    ``square``: :math:`\\mathcal L = c\\,\\mathbb E[(f-f^*)^2]` (default ``c = 1/2``);
    ``correlation``: :math:`\\mathcal L = -c\\,\\mathbb E[f f^*]` (default ``c = 1``).
    """

    kind: str = "square"
    scale: str = ""

    def __post_init__(self):
        if self.kind not in LOSS_KINDS:
            raise ParameterError(f"`loss` must be one of {LOSS_KINDS}; got {self.kind!r}.")
        if not self.scale:
            object.__setattr__(self, "scale", "1/2" if self.kind == "square" else "1")
        check_expression(self.scale, name="loss.scale")


@dataclass(frozen=True)
class Model:
    """A complete model: student, teacher, loss, sizes, and its parameter settings.

    Attributes
    ----------
    name : str
        Preset or file name.
    student, teacher, loss
        The parts.
    outputs : int
        Output dimension (1 for scalar networks; the second-layer weights are vectors otherwise).
    input_dimension : int or None
        ``d``; not needed by the overlap ODEs, used by weight-space computations.
    free : tuple of str
        Names of free (symbolic) parameters appearing in the expressions.
    settings : tuple of (str, str)
        Resolved parameter values (for reports).
    simulation : tuple of (str, object)
        Default simulation protocol of the model file's ``[simulate]`` table (``method``,
        ``lr``, ``init``, ``scale``, ``gradient_tol``, ``t_max``, ``records``), sizes substituted.
    ranges : tuple of (name, lo, hi, lo_open, hi_open)
        The declared range of every free parameter (bounds as text, None when unbounded).
    origin : str
        The preset name or model-file path it was built from ('' for text).
    assignments : tuple of (str, str)
        The parameter values given when it was built (defaults excluded): with ``origin`` they
        rebuild the model at other settings (:func:`~fixedpoints.models.with_settings`).
    """

    name: str
    student: Student
    teacher: Teacher
    loss: Loss = field(default_factory=Loss)
    outputs: int = 1
    input_dimension: int | None = None
    free: tuple[str, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    description: str = ""
    simulation: tuple[tuple[str, object], ...] = ()
    ranges: tuple[tuple, ...] = ()
    origin: str = ""
    assignments: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        if not isinstance(self.outputs, int) or self.outputs < 1:
            raise ParameterError(f"`outputs` must be an integer >= 1; got {self.outputs!r}.")
        s, t = self.student, self.teacher
        if s.second_layer == "fixed":
            _check_matrix(s.a, s.width, self.outputs, "student.a")
        _check_matrix(t.b, t.width, self.outputs, "teacher.b")
        if self.input_dimension is not None:
            d = self.input_dimension
            if not isinstance(d, int) or d < 1:
                raise ParameterError(f"`d` must be an integer >= 1; got {d!r}.")

    # -- serialisation ---------------------------------------------------------------------
    def __repr__(self) -> str:
        s, t = self.student, self.teacher
        a = "trainable a" if s.second_layer == "trainable" else "fixed a"
        sph = ", spherical" if s.spherical else ""
        settings = ", ".join(f"{k}={v}" for k, v in self.settings)
        free = f", free={list(self.free)}" if self.free else ""
        return (
            f"Model({self.name!r}, student={s.width}×{s.activation} ({a}{sph}), "
            f"teacher={t.width}×{t.activation}, loss={self.loss.kind}"
            f"{', ' + settings if settings else ''}{free})"
        )

    def to_dict(self) -> dict:
        """Plain-JSON dictionary (round-trips through :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Model:
        """Inverse of :meth:`to_dict`."""

        def mat(x):
            return tuple(tuple(str(e) for e in row) for row in x)

        st = dict(data["student"])
        st["a"] = mat(st.get("a", ()))
        te = dict(data["teacher"])
        te["b"], te["overlap"] = mat(te["b"]), mat(te["overlap"])
        return cls(
            name=data["name"],
            student=Student(**st),
            teacher=Teacher(**te),
            loss=Loss(**data.get("loss", {})),
            outputs=int(data.get("outputs", 1)),
            input_dimension=data.get("input_dimension"),
            free=tuple(data.get("free", ())),
            settings=tuple(tuple(x) for x in data.get("settings", ())),
            description=data.get("description", ""),
            simulation=tuple(tuple(x) for x in data.get("simulation", ())),
            ranges=tuple(tuple(x) for x in data.get("ranges", ())),
            origin=data.get("origin", ""),
            assignments=tuple(tuple(x) for x in data.get("assignments", ())),
        )

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the mathematical content (name, description, the
        simulation protocol, parameter ranges and provenance excluded), used as cache key."""
        d = self.to_dict()
        for k in (
            "name",
            "description",
            "settings",
            "simulation",
            "ranges",
            "origin",
            "assignments",
        ):
            d.pop(k, None)
        blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def range_of(self, name: str) -> tuple:
        """``(lo, hi, lo_open, hi_open)`` of the free parameter ``name`` (bounds as text or None;
        ``(None, None, True, True)`` when undeclared)."""
        for n, *rest in self.ranges:
            if n == name:
                return tuple(rest)
        return (None, None, True, True)

    def setting(self, name: str, default: str | None = None) -> str | None:
        """The resolved value (text) of a parameter, or ``default``."""
        return dict(self.settings).get(name, default)
