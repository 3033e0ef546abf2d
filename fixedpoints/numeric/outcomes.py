r"""The outcomes of a simulation: final points grouped by loss and labelled (global minimum, the
averaged point and its reflection, orthogonal to the teacher, a known fixed point, not converged).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fixedpoints.results import Outcome, Outcomes

__all__ = ["UNCONVERGED_GRADIENT", "outcomes"]

UNCONVERGED_GRADIENT = 1e-3  # |grad| above this (times max(1, |L|)) at the end: "not converged"


def outcomes(result, V, *, square: bool, fixed_points=None, loss_tol: float = 1e-6) -> Outcomes:
    r"""Group final points by loss and label them.

    Runs whose final losses agree within ``loss_tol``·(1+|L|) form one cluster. Labels:
    ``global minimum`` (square loss, L ≤ loss_tol), ``averaged`` (all student–teacher overlaps
    equal and positive, to 1e-3 relative), ``averaged (reflected, -w̄)`` (all equal, negative and
    at least :math:`1/(2\sqrt{km})` in modulus: the same point modulo :math:`w\to-w` for even
    targets), ``orthogonal to the teacher`` (all |M| ≤ 1e-3),
    ``fixed point i`` (the nearest entry of
    ``fixed_points`` by loss, within the tolerance), else ``unidentified``; a run whose final
    gradient norm exceeds ``UNCONVERGED_GRADIENT``·max(1, |L|) is ``not converged`` whatever its
    overlaps look like.

    Parameters
    ----------
    result : Simulation
    V : ndarray (m, d)
        Teacher vectors.
    square : bool
        Square loss (a zero loss is the global minimum).
    fixed_points : sequence of FixedPoint or of dicts with ``loss``, optional
        Known fixed points sorted by loss (e.g. a search, or ``fixed-points --json`` entries).
    loss_tol : float

    Returns
    -------
    Outcomes
        ``groups`` (loss, count, fraction, label, runs) sorted by loss, and ``labels`` per run.
    """
    L = np.asarray(result.final_losses, dtype=float)
    M = np.einsum("rkd,md->rkm", result.W, V) if V.shape[0] else np.zeros((L.size, 0, 0))
    g = getattr(result, "gradient_norms", None)
    g = np.zeros(L.size) if g is None else np.asarray(g, dtype=float)
    labels = [_label(L[i], M[i], g[i], square, fixed_points, loss_tol) for i in range(L.size)]
    # group by label first, then by loss: runs of one label at one loss form one cluster even
    # when another label's runs sit at (nearly) the same loss
    order = sorted(range(L.size), key=lambda i: (labels[i], L[i] if np.isfinite(L[i]) else np.inf))
    clusters = []
    for i in order:
        c = clusters[-1] if clusters else None
        if (
            c is not None
            and np.isfinite(L[i])
            and abs(L[i] - c["loss"]) <= loss_tol * (1 + abs(c["loss"]))
            and labels[i] == c["label"]
        ):
            c["runs"].append(int(i))
            continue
        clusters.append({"loss": float(L[i]), "label": labels[i], "runs": [int(i)]})
    groups = [
        Outcome(
            loss=float(np.median(L[c["runs"]])),
            count=len(c["runs"]),
            fraction=len(c["runs"]) / L.size,
            label=c["label"],
            runs=tuple(c["runs"]),
        )
        for c in clusters
    ]
    groups.sort(key=lambda g: (g.loss if np.isfinite(g.loss) else np.inf, g.label))
    return Outcomes(groups=tuple(groups), labels=tuple(labels))


def _label(loss, M, grad, square, fixed_points, tol) -> str:
    if not np.isfinite(loss):
        return "diverged"
    # a run that stopped far from any critical point (e.g. GD in a 2-cycle when the step is past
    # the stability limit 2/lambda_max) is not at the point its overlaps resemble
    if grad > UNCONVERGED_GRADIENT * max(1.0, abs(loss)):
        return "not converged"
    if square and abs(loss) <= tol:
        return "global minimum"
    if M.size and np.ptp(M) <= 1e-3 * np.max(np.abs(M)):
        if np.all(M > 0):
            return "averaged"
        # -w̄ (the same point as w̄ modulo w -> -w for even targets); |M| >= 1/(2 sqrt(k)) keeps
        # out neurons creeping to the equator along the all-negative direction (odd targets)
        if np.all(M < 0) and np.max(np.abs(M)) >= 0.5 / np.sqrt(M.size):
            return "averaged (reflected, -w̄)"
    if M.size and np.max(np.abs(M)) <= 1e-3:
        return "orthogonal to the teacher (M = 0)"
    for j, p in enumerate(fixed_points or ()):
        value = p["loss"] if isinstance(p, Mapping) else p.loss
        if abs(float(value) - loss) <= tol * (1 + abs(loss)):
            return f"fixed point {j}"
    return "unidentified"
