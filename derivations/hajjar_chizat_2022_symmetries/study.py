"""Hajjar & Chizat (2022): symmetries in the dynamics of wide two-layer ReLU networks, with the
exact reduced mean-field model, reproduced with the public API (``README.md`` for the mapping
and the derivations).

``run()`` returns claim id -> computed value, from the parts:

* ``symmetry.py`` — claim 1: equivariance (symbolic, on the derived flow; numeric, on the
  particle field) and symmetry preservation along runs;
* ``odd.py`` — claim 2: the odd target's linear predictor and its exponential convergence
  against the reduced linear dynamics;
* ``reduction.py`` — claim 3: the target :math:`\\|P_Hx\\|`, full against reduced, alignment and
  the global minimizer :math:`\\alpha(d_H)\\,\\mathrm{Unif}(S_H)`;
* ``figures.py`` — the figures (written only with a report folder).
"""

from __future__ import annotations

from pathlib import Path

import fixedpoints as fp

HERE = Path(__file__).resolve().parent
PARTS = ("symmetry", "odd", "reduction", "figures")
EXTRAS: dict = {}


def _part(name: str):
    return fp.study_part(HERE, name)


def run(report=None, slow: bool = False) -> dict:
    """Claim id -> computed value; figures into ``report`` when given (slow claims when
    ``slow``)."""
    symmetry, odd, reduction = _part("symmetry"), _part("odd"), _part("reduction")
    out = {}
    out.update(symmetry.claims())
    out.update(odd.claims())
    out.update(reduction.claims(slow=slow))
    EXTRAS["odd_rates"] = odd.DATA["rates"]
    ag = reduction.DATA["agreement"]
    EXTRAS["agreement_seconds_full_reduced"] = {
        int(m): [round(v[3], 2), round(v[4], 2)] for m, v in ag.items()
    }
    if report is not None:
        report = Path(report)
        report.mkdir(parents=True, exist_ok=True)
        figures = _part("figures")
        figures.symmetry_defect(symmetry, report / "symmetry_defect.png")
        figures.odd_excess(odd, report / "odd_excess_risk.png")
        EXTRAS["cost_ratio_full_over_reduced"] = figures.full_vs_reduced(
            reduction, report / "full_vs_reduced.png"
        )
        figures.alignment(reduction, report / "alignment.png")
        EXTRAS["particles"] = figures.particles(reduction, report / "particles_on_H.png")
    return out
