"""Martin, Bach & Biroli (AISTATS 2024): overparameterization in a quadratic shallow network,
reproduced with the public API (``README.md`` for the mapping and the derivations).

``run()`` returns claim id -> computed value, from the parts:

* ``landscape.py`` — claim 1: the complete critical set (closed form, SymPy, dense Hessians,
  ``fp.find_fixed_points`` complete with index and nullity);
* ``dynamics.py`` — claims 2 and 4: the exact (Riccati) solution and the orthonormal reduction
  (``fp.simulate(..., method="exact")``) against direct integration, the log det identity,
  finite-d rates and limits, the notes' finite-d tables (slow);
* ``limit.py`` — claim 3: the d = ∞ limit (free-projection density, Θ′, the (F, J, φ) system,
  χ(γ), the long-time table);
* ``figures.py`` — Figs 2–5 (finite d against d = ∞); Figs 1 and 6 come from ``limit.py``.

``run(report)`` writes the figures into ``report`` (``fixedpoints study run`` gives ``report/``
next to this file); ``run()`` writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import fixedpoints as fp

HERE = Path(__file__).resolve().parent
PARTS = ("landscape", "dynamics", "limit", "figures")
EXTRAS: dict = {}


def _part(name: str):
    """A sibling part module (``escape.py`` ...) of this study."""
    return fp.study_part(HERE, name)


def run(report=None, slow: bool = False) -> dict:
    """Claim id -> computed value; figures into ``report`` when given (slow claims when
    ``slow``)."""
    landscape, dynamics, limit = _part("landscape"), _part("dynamics"), _part("limit")
    out = {}
    out.update(landscape.claims())
    out.update(dynamics.claims(slow=slow))
    out.update(limit.claims())
    EXTRAS["finder_seconds"] = {str(k): round(v, 2) for k, v in landscape.TIMES.items()}
    if report is not None:
        report = Path(report)
        report.mkdir(parents=True, exist_ok=True)
        figures = _part("figures")
        limit.figure1(report / "fig1_spectral_density.png")
        limit.figure6(report / "fig6_overlap_deficit.png")
        landscape.figure_landscape(report / "critical_values.png")
        figures.figure_phi_chi(
            dynamics,
            limit,
            report / "fig2_phi.png",
            report / "fig3_overlap.png",
            gaussian_path=report / "fig4_phi_gaussian.png",
        )
        figures.figure_rates(dynamics, report / "fig5_rates.png")
    return out
