"""The verbs ``fixed-points``, ``threshold`` and ``continue``."""

from __future__ import annotations

import sys
import time

import numpy as np

from fixedpoints.cli.main import emit_json, info, load_cli_model_file, save_figure
from fixedpoints.errors import ParameterError, out_of_range

__all__ = ["cmd_fixed_points", "cmd_threshold", "cmd_continue"]


class _Progress:
    """A tqdm bar on stderr when it is a terminal (and not --quiet); otherwise silent."""

    def __init__(self, args, total=None, desc=""):
        self.bar = None
        if getattr(args, "quiet", False) or not sys.stderr.isatty():
            return
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is an optional extra
            return
        self.bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False)

    def __call__(self, done, total=None):
        if self.bar is not None:
            self.bar.n = done if total is not None else self.bar.n + 1
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _check_positive(name, value, upper=None):
    if value is None:
        return
    if value < 1 or (upper is not None and value > upper):
        raise out_of_range(name, value, f"an integer in [1, {upper}]" if upper else ">= 1")


def _point_json(p, precision_digits=None) -> dict:
    return p.to_dict()


def cmd_fixed_points(args) -> int:
    from fixedpoints.analysis import find_fixed_points
    from fixedpoints.export import fixed_points_table_latex, fixed_points_table_text

    _check_positive("--starts", args.starts, 100000)
    if args.precision is not None:
        raise ParameterError(
            "`--precision` (mpmath polishing) is not available yet; residuals are reported at "
            "float64 precision."
        )
    _, model = load_cli_model_file(args)
    bar = _Progress(args, total=args.starts, desc="fixed points")
    t0 = time.perf_counter()
    try:
        res = find_fixed_points(
            model,
            {},
            starts=args.starts,
            seed=args.seed,
            isotropy=args.isotropy,
            ansatz=args.ansatz,
            progress=bar,
            deflation=not args.no_deflation,
        )
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0
    points = list(res.points)
    pts = [_point_json(p) for p in points]
    notes = list(res.notes)
    if not pts:
        notes.append(
            f"no start converged ({', '.join(f'{k}: {v}' for k, v in res.statuses.items())}); "
            "try more --starts"
        )
    doc = {
        "model": model.name,
        "settings": dict(model.settings),
        "space": res.space,
        "symmetry": res.symmetry,
        "decoupled": res.decoupled,
        "starts": res.starts,
        "statuses": dict(res.statuses),
        "null_tolerance": res.null_tolerance,
        "seconds": round(elapsed, 3),
        "fixed_points": pts,
        "notes": notes,
    }
    if res.decoupled:
        doc["notes"].append(
            f"the loss decouples over the {model.student.width} neurons: each entry is a fixed "
            "point of one neuron; fixed points of the full model are all tuples of them"
        )
    fmt = "json" if args.json else args.format
    if fmt == "json":
        emit_json(doc)
    elif fmt == "latex":
        print(fixed_points_table_latex(pts, caption=f"Fixed points of {model.name} ({res.space})."))
    else:
        print(
            f"# {model.name}: {len(pts)} fixed-point orbits in {res.space} "
            f"({res.starts} starts, {elapsed:.2f} s); symmetry: {res.symmetry}"
        )
        print(fixed_points_table_text(pts))
        for n in doc["notes"]:
            print(f"# note: {n}")
    return 0


def _parse_param(text: str, mf, model):
    """``NAME`` or ``NAME=A:B`` -> (name, lo, hi); the default range is the parameter's declared
    range (open ends moved inwards by 1e-6)."""
    name, _, rng = text.partition("=")
    name = name.strip()
    if name not in model.free:
        declared = list(mf.parameters)
        hint = (
            f"`{name}` is set; do not --set it."
            if name in declared
            else f"`{name}` is not a parameter of {model.name!r}."
        )
        free = ", ".join(model.free) or "none"
        raise ParameterError(
            f"`--param` must name a free real parameter (free: {free}); got {name!r}. {hint}"
        )
    if rng:
        a, sep, b = rng.partition(":")
        try:
            lo, hi = float(a), float(b)
        except ValueError:
            raise ParameterError(
                f"`--param` range must be A:B with numbers; got {rng!r}."
            ) from None
        if not sep or not (np.isfinite(lo) and np.isfinite(hi)) or lo == hi:
            raise ParameterError(f"`--param` range must be A:B with finite A != B; got {rng!r}.")
        return name, lo, hi
    par = mf.parameters[name]
    if par.minimum is None or par.maximum is None:
        raise ParameterError(
            f"`--param {name}` has no declared range; give one, e.g. --param {name}=0:1."
        )
    lo, hi = float(par.minimum), float(par.maximum)
    eps = 1e-6 * max(1.0, hi - lo)
    return name, lo + (eps if par.min_open else 0.0), hi - (eps if par.max_open else 0.0)


def cmd_threshold(args) -> int:
    from fixedpoints.analysis import threshold

    mf, model = load_cli_model_file(args)
    name, lo, hi = _parse_param(args.param, mf, model)
    symbolic = tuple(s for s in (args.symbolic or "").split(",") if s.strip())
    res = threshold(
        model, name, lo, hi, point=args.point, symbolic=symbolic, model_file=mf, sets=args.sets
    )
    if args.json:
        emit_json(res)
    else:
        if res["value"] is None:
            print(f"{res['point']}: {res['status']}")
        else:
            expr = res["expression"] or "(no closed form)"
            print(f"{name}_c = {res['value']:.12g}   {expr}")
            print(
                f"index {res['index_below']} below, {res['index_above']} above "
                f"(point: {res['point']})"
            )
            if res.get("expression_symbolic"):
                print(f"{name}_c({', '.join(symbolic)}) = {res['expression_symbolic']}")
    if res["value"] is None:
        info(args, f"fixedpoints threshold: {res['status']}")
    return 0


def cmd_continue(args) -> int:
    from fixedpoints.analysis import continue_fixed_points
    from fixedpoints.export import bifurcation_figure

    mf, model = load_cli_model_file(args)
    name, lo, hi = _parse_param(args.param, mf, model)
    _check_positive("--starts", args.starts, 100000)
    bar = _Progress(args, desc=f"continuation in {name}")
    t0 = time.perf_counter()
    try:
        branches = continue_fixed_points(
            model,
            name,
            lo,
            hi,
            {},
            starts=args.starts,
            seed=args.seed,
            point=args.point,
            switch=not args.no_switch,
            progress=lambda p: bar(0),
        )
    finally:
        bar.close()
    docs = []
    for br in branches:
        docs.append(br.to_dict())
    doc = {
        "model": model.name,
        "parameter": name,
        "range": [lo, hi],
        "settings": dict(model.settings),
        "seconds": round(time.perf_counter() - t0, 3),
        "branches": docs,
    }
    if args.plot:
        fig = bifurcation_figure(docs, name, title=f"{model.name}: continuation in {name}")
        doc["plot"] = save_figure(fig, args.plot)
    if args.json:
        emit_json(doc)
    else:
        print(f"# {model.name}: {len(docs)} branches in {name} ∈ [{lo:g}, {hi:g}]")
        for b in docs:
            ev = (
                "; ".join(
                    f"{e['kind']} at {e['value']:.10g} (index {e['index_below']}→"
                    f"{e['index_above']})"
                    for e in b["events"]
                )
                or "no events"
            )
            print(f"{b['label'] or 'branch'}: {len(b['points'])} points, {b['status']}; {ev}")
    return 0
