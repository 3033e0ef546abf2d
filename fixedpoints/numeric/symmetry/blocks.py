r"""Block sizes of diagonal Young subgroups Δ(S_{p_1}×…×S_{p_r}): parsing (``"9,1"``, or sizes
written in d: ``"d-1,1"``, ``"d-2,2"``), labels and orbit sizes, and multiplicities as polynomials
in d.

Sizes written in d are linear, :math:`p_a=c_a+e_ad` with integers :math:`c_a,e_a`,
:math:`\sum_ae_a=1`, :math:`\sum_ac_a=0`, so they sum to d for every d: in the fixed space the
reduced loss and the isotypic blocks depend on d only through these counts, so d may be real.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from fixedpoints.errors import out_of_range

__all__ = [
    "BlockSizes",
    "IsotropyType",
    "isotropy_label",
    "orbit_size",
    "parse_blocks",
    "parse_sizes",
    "polynomial_text",
]


def _sizes(spec) -> tuple[int, ...]:
    """Block sizes from ``"9,1"``, ``"10"``, an int or a sequence of ints (no range check)."""
    if isinstance(spec, str):
        parts = [s.strip() for s in spec.replace("(", "").replace(")", "").split(",")]
        return tuple(int(s) for s in parts if s)
    if isinstance(spec, int | np.integer):
        return (int(spec),)
    out = tuple(int(s) for s in spec)
    if any(float(s) != int(s) for s in spec):
        raise ValueError(spec)
    return out


def parse_blocks(spec, d: int | None = None, total: str = "d") -> tuple[int, ...]:
    """Block sizes from ``"9,1"``, ``"10"``, an int or a sequence of ints; they must be positive
    and (when ``d`` is given) sum to ``d``.

    Raises
    ------
    ParameterError
        Naming ``isotropy``, for malformed sizes or sizes not summing to d.
    """
    allowed = "comma-separated positive block sizes" + (
        f" summing to {total} = {d}" if d is not None else ""
    )
    try:
        blocks = _sizes(spec)
    except (TypeError, ValueError):
        raise out_of_range("isotropy", spec, allowed) from None
    if not blocks or any(p < 1 for p in blocks) or (d is not None and sum(blocks) != d):
        raise out_of_range("isotropy", spec, allowed)
    return blocks


def isotropy_label(blocks) -> str:
    """``"ΔS10"`` for one block, ``"Δ(S9×S1)"`` for several (sizes in descending order)."""
    b = sorted((int(p) if float(p).is_integer() else float(p) for p in blocks), reverse=True)
    if len(b) == 1:
        return f"ΔS{b[0]}"
    return "Δ(" + "×".join(f"S{p}" for p in b) + ")"


def orbit_size(blocks, d: int) -> int:
    r"""Size of the :math:`S_d\times S_d` orbit of a point with isotropy
    :math:`\Delta(S_{p_1}\times\dots\times S_{p_r})`: :math:`(d!)^2/\prod_ap_a!` (exact int)."""
    blocks = parse_blocks(tuple(blocks), d)
    return math.factorial(d) ** 2 // math.prod(math.factorial(p) for p in blocks)


class IsotropyType(NamedTuple):
    """Isotropy of a point: block sizes (descending) of a diagonal Young subgroup and its label."""

    blocks: tuple[int, ...]
    label: str

    @property
    def orbit_size(self) -> int:
        """:math:`(d!)^2/\\prod_ap_a!` (see :func:`orbit_size`)."""
        return orbit_size(self.blocks, sum(self.blocks))


def _linear(node):
    """``(c, e)`` with value c + e·d for an expression of integers, d, +, − and integer ×."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return (node.value, 0)
    if isinstance(node, ast.Name) and node.id == "d":
        return (0, 1)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        c, e = _linear(node.operand)
        return (-c, -e)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        (c1, e1), (c2, e2) = _linear(node.left), _linear(node.right)
        sign = 1 if isinstance(node.op, ast.Add) else -1
        return (c1 + sign * c2, e1 + sign * e2)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        (c1, e1), (c2, e2) = _linear(node.left), _linear(node.right)
        if e1 and e2:
            raise ValueError("quadratic")
        return (c1 * c2, c1 * e2 + c2 * e1)
    raise ValueError(ast.dump(node))


@dataclass(frozen=True)
class BlockSizes:
    """Block sizes :math:`p_a=c_a+e_ad` (``linear`` = ((c_a, e_a), ...)) and their text."""

    text: str
    linear: tuple

    @property
    def in_d(self) -> bool:
        """Whether the sizes are written in d (and so sum to d for every d)."""
        return any(e for _, e in self.linear)

    def counts(self, d) -> tuple:
        """The sizes at (real) d."""
        return tuple(c + e * d for c, e in self.linear)

    def template(self, d, real: bool = False) -> tuple[int, ...]:
        """Integer block sizes giving the fixed space's structure at d: the sizes themselves at
        integer d; at real d (or with ``real``, for a family in d) the sizes written in d become
        6 (a block whose first four indices split off keeps two, so every coordinate type
        exists; the counts carry the sizes)."""
        out = []
        for c, e in self.linear:
            p = c + e * d
            if e == 0 or (float(p).is_integer() and not real):
                out.append(int(round(p)))
            else:
                out.append(6)
        return tuple(out)

    def polynomial(self, a: int):
        """Block a's size as a ``numpy.polynomial.Polynomial`` in d."""
        c, e = self.linear[a]
        return np.polynomial.Polynomial([c, e])


def parse_sizes(spec, d=None) -> BlockSizes:
    """:class:`BlockSizes` from ``"9,1"``, ``"d-1,1"``, an int or a sequence of ints.

    Raises
    ------
    ParameterError
        Naming ``isotropy``: malformed sizes, sizes written in d that do not sum to d for every
        d, or sizes that are not positive (or do not sum to d) at the given d.
    """
    allowed = (
        "comma-separated positive block sizes summing to d, as integers or linear in d "
        "(e.g. 9,1 or d-1,1)"
    )
    if isinstance(spec, str):
        parts = [s.strip() for s in spec.replace("(", "").replace(")", "").split(",")]
        parts = [s for s in parts if s]
        try:
            linear = tuple(_linear(ast.parse(s, mode="eval").body) for s in parts)
        except (SyntaxError, ValueError):
            raise out_of_range("isotropy", spec, allowed) from None
        text = ",".join(parts)
    else:
        try:
            blocks = _sizes(spec)
        except (TypeError, ValueError):
            raise out_of_range("isotropy", spec, allowed) from None
        linear = tuple((p, 0) for p in blocks)
        text = ",".join(str(p) for p in blocks)
    sizes = BlockSizes(text, linear)
    if not linear:
        raise out_of_range("isotropy", spec, allowed)
    if sizes.in_d and (sum(e for _, e in linear) != 1 or sum(c for c, _ in linear) != 0):
        raise out_of_range("isotropy", spec, allowed)
    if d is not None:
        counts = sizes.counts(d)
        if any(p < 1 for p in counts) or (not sizes.in_d and sum(counts) != d):
            raise out_of_range("isotropy", spec, allowed + f", at d = {d:g}")
    return sizes


def polynomial_text(poly) -> str:
    """A polynomial in d with rational coefficients as text: ``"(d^2 - 5d + 6)/2"``."""
    coef = [Fraction(float(c)).limit_denominator(1000) for c in np.atleast_1d(poly.coef)]
    den = math.lcm(*(c.denominator for c in coef)) if coef else 1
    terms = []
    for k in range(len(coef) - 1, -1, -1):
        n = int(coef[k] * den)
        if n == 0:
            continue
        mag = abs(n)
        var = "" if k == 0 else ("d" if k == 1 else f"d^{k}")
        body = (str(mag) if mag != 1 or not var else "") + var
        terms.append(("-" if n < 0 else "+", body))
    if not terms:
        return "0"
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    text += "".join(f" {s} {b}" for s, b in terms[1:])
    return f"({text})/{den}" if den != 1 else text
