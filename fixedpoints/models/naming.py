r"""The one naming rule for order parameters and other indexed symbols.

A model with :math:`k` students, :math:`m` teachers and :math:`o` outputs has the state variables

* ``Q_ij`` for :math:`1\le i\le j\le k` (entries of :math:`Q=WW^\top`),
* ``M_ir`` for :math:`1\le i\le k`, :math:`1\le r\le m` (entries of :math:`M=WV^\top`),
* ``a_i`` (one output) or ``a_ic`` (:math:`o>1` outputs) for a trainable second layer,

with 1-based indices. **One scheme per model:** when every size is below 10
(:math:`\max(k,m,o)\le9`) the indices are written side by side (``Q_12``, ``M_23``, ``a_12``);
otherwise every index is separated by an underscore (``Q_1_2``, ``M_1_10``, ``a_1_2``), so the
names of one flow never mix the two forms. The same rule names the coordinates of fixed points,
so they match the flow's variables for every size. LaTeX names are ``Q_{12}`` or ``Q_{1,2}``.

>>> names = OrderParameterNames(students=2, teachers=3)
>>> names.M(0, 2), names.parse("M_13")
('M_13', ('M', (0, 2)))
>>> wide = OrderParameterNames(students=1, teachers=11)
>>> wide.M(0, 9), wide.parse("M_1_10")
('M_1_10', ('M', (0, 9)))
"""

from __future__ import annotations

from dataclasses import dataclass

from fixedpoints.errors import ParameterError

__all__ = ["OrderParameterNames", "indexed_name"]

KINDS = ("Q", "M", "a")


def indexed_name(prefix: str, indices, *, compact: bool) -> tuple[str, str]:
    """``(name, latex)`` of ``prefix`` with the 1-based ``indices``.

    One index: ``a_3`` (``a_{3}``). Several: side by side when ``compact`` (``Q_12``,
    ``Q_{12}``), else separated (``Q_1_12``, ``Q_{1,12}``). No index: the prefix itself.

    >>> indexed_name("C", (1, 2), compact=True)
    ('C_12', 'C_{12}')
    >>> indexed_name("C", (1, 12), compact=False)
    ('C_1_12', 'C_{1,12}')
    """
    idx = [str(int(i)) for i in indices]
    if not idx:
        return prefix, prefix
    if len(idx) == 1:
        return f"{prefix}_{idx[0]}", f"{prefix}_{{{idx[0]}}}"
    if compact:
        return f"{prefix}_{''.join(idx)}", f"{prefix}_{{{''.join(idx)}}}"
    return f"{prefix}_{'_'.join(idx)}", f"{prefix}_{{{','.join(idx)}}}"


@dataclass(frozen=True)
class OrderParameterNames:
    """The names of a model's order parameters (see the module docstring).

    Parameters
    ----------
    students, teachers : int
        :math:`k` and :math:`m`.
    outputs : int
        :math:`o`, the number of columns of the second layers.
    """

    students: int
    teachers: int
    outputs: int = 1

    @classmethod
    def for_model(cls, model) -> OrderParameterNames:
        """The names of ``model`` (its student width, teacher width and outputs)."""
        return cls(model.student.width, model.teacher.width, model.outputs)

    @property
    def compact(self) -> bool:
        """Indices side by side (every size below 10)."""
        return max(self.students, self.teachers, self.outputs) < 10

    def name(self, kind: str, *indices: int) -> str:
        """The name of ``kind`` (``'Q'``, ``'M'``, ``'a'``) at the 0-based ``indices``."""
        return indexed_name(kind, [i + 1 for i in indices], compact=self.compact)[0]

    def latex(self, kind: str, *indices: int) -> str:
        """The LaTeX name of ``kind`` at the 0-based ``indices``."""
        return indexed_name(kind, [i + 1 for i in indices], compact=self.compact)[1]

    def Q(self, i: int, j: int) -> str:
        """``Q_ij`` (0-based, any order; the upper-triangle name)."""
        i, j = sorted((i, j))
        return self.name("Q", i, j)

    def M(self, i: int, r: int) -> str:
        """``M_ir`` (0-based)."""
        return self.name("M", i, r)

    def a(self, i: int, c: int = 0) -> str:
        """``a_i`` (one output) or ``a_ic`` (0-based)."""
        return self.name("a", i) if self.outputs == 1 else self.name("a", i, c)

    def variables(self, *, spherical: bool = False, trainable: bool = False) -> tuple[str, ...]:
        """The state variables of a flow in their order: ``Q_ij`` (i ≤ j, row by row; no diagonal
        for spherical neurons), ``M_ir`` (row by row), then trainable ``a_i`` (``a_ic``).

        >>> OrderParameterNames(2, 1).variables(spherical=True, trainable=True)
        ('Q_12', 'M_11', 'M_21', 'a_1', 'a_2')
        """
        k, m, o = self.students, self.teachers, self.outputs
        out = [self.Q(i, j) for i in range(k) for j in range(i, k) if not (spherical and i == j)]
        out += [self.M(i, r) for i in range(k) for r in range(m)]
        if trainable:
            out += [self.a(i, c) for i in range(k) for c in range(o)]
        return tuple(out)

    def parse(self, name: str) -> tuple[str, tuple[int, ...]]:
        """``(kind, 0-based indices)`` of a variable name of this scheme.

        Raises
        ------
        ParameterError
            Naming ``name`` when it is not a variable of this scheme.
        """
        kind, sep, rest = str(name).partition("_")
        if kind not in KINDS or not sep or not rest:
            raise ParameterError(
                f"`{name}` is not an overlap variable (Q_ij, M_ir, a_i).", parameter="name"
            )
        single = kind == "a" and self.outputs == 1
        if self.compact and not single:
            parts = list(rest)
        else:
            parts = rest.split("_")
        want = 1 if single else 2
        if len(parts) != want or not all(p.isdigit() and int(p) >= 1 for p in parts):
            raise ParameterError(
                f"`{name}` is not a variable of a model with k = {self.students}, "
                f"m = {self.teachers}, {self.outputs} output(s).",
                parameter="name",
            )
        return kind, tuple(int(p) - 1 for p in parts)
