"""The verb ``simulate``: batched finite-width training from random initializations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fixedpoints.cli.main import (
    check_plot_path,
    emit_json,
    info,
    load_cli_model_file,
    save_figure,
)
from fixedpoints.errors import ParameterError, out_of_range

__all__ = ["add_simulate_parser", "cmd_simulate"]

_OVERLAP_LIMIT = 64  # per-run overlap matrices are written when k*m is at most this


def add_simulate_parser(sub, common) -> None:
    """Register ``simulate`` and its options."""
    p = sub.add_parser(
        "simulate",
        help="finite-width gradient flow/descent from random initializations (batched)",
        description="Train --runs networks at once on the exact population loss (or SGD on "
        "sampled Gaussian data). Defaults come from the model file's [simulate] table.",
    )
    common(p)
    p.add_argument("--runs", type=int, default=100, help="random initializations (default 100)")
    p.add_argument("--method", choices=["gd", "flow", "sgd"], help="default: the preset's")
    p.add_argument("--lr", type=float, help="step size (gd, sgd)")
    p.add_argument(
        "--init",
        choices=["gaussian", "orthonormal", "sphere"],
        help="gaussian N(0,1/d) (Xavier), orthonormal (Haar) or sphere (default: the preset's)",
    )
    p.add_argument("--scale", type=float, help="multiply the initialization by δ (small init)")
    p.add_argument("--gradient-tol", type=float, help="stop a run when |grad| < this")
    p.add_argument("--t-max", type=float, help="stop a run at this time")
    p.add_argument(
        "--plateau-tol", type=float, help="stop a run whose loss moves less than this (relative)"
    )
    p.add_argument("--records", type=int, help="loss-curve samples (log-spaced, default 100)")
    p.add_argument("--rtol", type=float, default=1e-6, help="flow: relative tolerance")
    p.add_argument("--atol", type=float, default=1e-9, help="flow: absolute tolerance")
    p.add_argument("--batch-size", type=int, default=256, help="sgd: samples per step and run")
    p.add_argument(
        "--backend",
        default="numpy",
        choices=["numpy", "torch", "cupy", "array-api-strict"],
        help="array library (torch/cupy run on a GPU when one is present)",
    )
    p.add_argument("--device", help="torch device (default cuda when available)")
    p.add_argument(
        "--fixed-points",
        metavar="FILE",
        help="JSON of `fixedpoints fixed-points --json`: label final points by the nearest one",
    )
    p.add_argument(
        "--loss-tol", type=float, default=1e-6, help="final losses this close are one outcome"
    )
    p.add_argument("--plot", metavar="FILE", help="loss curves and final-loss histogram")


def _check(args) -> None:
    if args.runs < 1 or args.runs > 10**7:
        raise out_of_range("--runs", args.runs, "an integer in [1, 10000000]")
    for name in ("lr", "scale", "gradient_tol", "t_max", "rtol", "atol", "loss_tol"):
        v = getattr(args, name)
        if v is not None and not (
            np.isfinite(v) and (v > 0 or (name == "gradient_tol" and v == 0))
        ):
            raise out_of_range("--" + name.replace("_", "-"), v, "a finite number > 0")
    if args.plateau_tol is not None and not args.plateau_tol > 0:
        raise out_of_range("--plateau-tol", args.plateau_tol, "> 0")
    if args.records is not None and args.records < 2:
        raise out_of_range("--records", args.records, "an integer >= 2")
    if args.batch_size < 1:
        raise out_of_range("--batch-size", args.batch_size, "an integer >= 1")


def _fixed_points(path):
    if path is None:
        return None
    try:
        doc = json.loads(Path(path).read_text())
        points = doc["fixed_points"]
        [float(p["loss"]) for p in points]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ParameterError(
            f"`--fixed-points` must be the JSON output of `fixedpoints fixed-points --json`; "
            f"could not read {path!r}: {e}"
        ) from None
    return points


def cmd_simulate(args) -> int:
    from fixedpoints.cli.analysis import _Progress
    from fixedpoints.simulation import outcomes, simulate

    _check(args)
    points = _fixed_points(args.fixed_points)
    _, model = load_cli_model_file(args)
    if args.plot:
        check_plot_path(args.plot)
    bar = _Progress(args, total=args.runs, desc="runs finished")
    try:
        res, setup = simulate(
            model,
            runs=args.runs,
            backend=args.backend,
            device=args.device,
            seed=args.seed,
            batch_size=args.batch_size,
            plateau_tol=args.plateau_tol,
            rtol=args.rtol,
            atol=args.atol,
            progress=lambda t, active: bar(args.runs - active, args.runs),
            method=args.method,
            lr=args.lr,
            init=args.init,
            scale=args.scale,
            gradient_tol=args.gradient_tol,
            t_max=args.t_max,
            records=args.records,
        )
    finally:
        bar.close()
    square = model.loss.kind == "square"
    clusters, labels = outcomes(
        res, setup["V"], square=square, fixed_points=points, loss_tol=args.loss_tol
    )
    doc = _document(model, res, setup, clusters, labels, square)
    if args.plot:
        from fixedpoints.export.simulation import simulation_figure

        tr = doc["trajectory"]
        fig = simulation_figure(
            tr["times"],
            tr["q10"],
            tr["median"],
            tr["q90"],
            doc["final_losses"],
            title=f"{model.name}: {doc['title']}",
        )
        doc["plot"] = save_figure(fig, args.plot)
    if args.json:
        emit_json(doc)
    else:
        _print(doc)
    if setup["decoupled"]:
        info(args, "the loss decouples over neurons: each run is one neuron")
    return 0


def _document(model, res, setup, clusters, labels, square) -> dict:
    L = res.final_losses
    status, counts = np.unique(np.asarray([str(s) for s in res.status]), return_counts=True)
    fractions = {}
    for c in clusters:
        fractions[c["label"]] = fractions.get(c["label"], 0.0) + c["fraction"]
    M = np.einsum("rkd,md->rkm", res.W, setup["V"])
    runs = []
    for i in range(L.size):
        row = {
            "final_loss": float(L[i]),
            "gradient_norm": float(res.gradient_norms[i]),
            "status": str(res.status[i]),
            "stop_time": float(res.stop_times[i]),
            "steps": int(res.steps[i]),
            "outcome": labels[i],
        }
        if M[i].size <= _OVERLAP_LIMIT:
            row["overlaps"] = np.round(M[i], 12).tolist()
        runs.append(row)
    finite = L[np.isfinite(L)]
    summary = {
        "runs": int(L.size),
        "status_counts": {str(s): int(c) for s, c in zip(status, counts, strict=True)},
        "converged_fraction": float(np.mean([s == "converged" for s in res.status])),
        "loss_min": float(finite.min()) if finite.size else None,
        "loss_median": float(np.median(finite)) if finite.size else None,
        "loss_max": float(finite.max()) if finite.size else None,
        "outcome_fractions": fractions,
        "seconds": round(res.stats["seconds"], 3),
    }
    if square:
        summary["nonzero_loss_fraction"] = float(np.mean(~(np.abs(L) <= 1e-6)))
    proto = {k: v for k, v in setup.items() if k not in ("V", "W0", "a0")}
    q = np.quantile(res.losses, [0.1, 0.5, 0.9], axis=0) if res.losses.size else np.zeros((3, 0))
    return {
        "model": model.name,
        "settings": dict(model.settings),
        "title": f"{proto['method']}, {L.size} runs, {proto['backend']}",
        "protocol": proto,
        "final_losses": [float(x) for x in L],
        "summary": summary,
        "outcomes": [{k: c[k] for k in ("loss", "count", "fraction", "label")} for c in clusters],
        "trajectory": {
            "times": res.times.tolist(),
            "median": q[1].tolist(),
            "q10": q[0].tolist(),
            "q90": q[2].tolist(),
        },
        "runs": runs,
    }


def _print(doc) -> None:
    s, p = doc["summary"], doc["protocol"]
    lr = f", lr {p['lr']:g}" if p.get("lr") else ""
    print(
        f"# {doc['model']}: {s['runs']} runs, {p['method']}{lr}, init {p['init']}, "
        f"{p['backend']} ({s['seconds']:.2f} s)"
    )
    print(f"# stopped: {', '.join(f'{k} {v}' for k, v in s['status_counts'].items())}")
    print(f"{'loss':>16}  {'count':>6}  {'fraction':>8}  outcome")
    for c in doc["outcomes"]:
        print(f"{c['loss']:16.10f}  {c['count']:6d}  {c['fraction']:8.3f}  {c['label']}")
    if "nonzero_loss_fraction" in s:
        print(f"# fraction of runs ending at a non-zero loss: {s['nonzero_loss_fraction']:.3f}")
    if "plot" in doc:
        print(f"# plot written to {doc['plot']}")
