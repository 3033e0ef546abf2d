"""The verb ``simulate``: batched finite-width training from random initializations."""

from __future__ import annotations

import json
import math
from pathlib import Path

from fixedpoints.cli import io
from fixedpoints.errors import ParameterError, out_of_range

NAME = "simulate"


def add_parser(sub) -> None:
    p = sub.add_parser(
        NAME,
        help="finite-width gradient flow/descent from random initializations (batched)",
        description="Train --runs networks at once on the exact population loss (or SGD on "
        "sampled Gaussian data). Defaults come from the model file's [simulate] table.",
    )
    io.add_common(p)
    p.add_argument("--runs", type=int, default=100, help="random initializations (default 100)")
    p.add_argument(
        "--method",
        choices=["gd", "flow", "sgd", "exact"],
        help="default: the preset's; exact: the closed-form (Riccati) solution of quadratic "
        "networks at the record times",
    )
    p.add_argument("--lr", type=float, help="step size (gd, sgd)")
    p.add_argument(
        "--init",
        metavar="SCHEME",
        help="gaussian N(0,1/d) (Xavier), orthonormal (Haar), sphere, or symmetric:GENERATORS "
        "(gaussian neurons closed under the group of flip, reflect:I,J.., swap:I,J, "
        "rotate:I,J,N joined by '+', e.g. symmetric:reflect:5+swap:4,5, or the named groups "
        "symmetric:odd (flip) and symmetric:perp (-I on the complement of H)); default: the preset's",
    )
    p.add_argument(
        "--scaling",
        choices=["standard", "mean-field"],
        help="mean-field: output 1/m and step x m (the particle discretization of the "
        "Wasserstein flow); default: the preset's",
    )
    p.add_argument(
        "--reduced",
        action="store_true",
        help="target norm-subspace: simulate the exact reduction by the rotations of H^perp "
        "(d_H + 2 numbers per neuron) from the same initialization",
    )
    p.add_argument("--scale", type=float, help="multiply the initialization by δ (small init)")
    p.add_argument("--gradient-tol", type=float, help="stop a run when |grad| < this")
    p.add_argument("--t-max", type=float, help="stop a run at this time")
    p.add_argument(
        "--plateau-tol", type=float, help="stop a run whose loss moves less than this (relative)"
    )
    p.add_argument("--records", type=int, help="loss-curve samples (log-spaced, default 100)")
    p.add_argument(
        "--times",
        metavar="T1,T2,...",
        help="record at these increasing times instead (the last one ends the runs)",
    )
    p.add_argument(
        "--integrator",
        choices=["auto", "dopri5", "ros34pw2", "rkc"],
        help="flow: Dormand-Prince switching to the L-stable Rosenbrock ROS34PW2 where its step is "
        "stability-limited (auto, default; a state of more than 256 numbers switches to the "
        "Runge-Kutta-Chebyshev method RKC instead), or any of them alone",
    )
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
            math.isfinite(v) and (v > 0 or (name == "gradient_tol" and v == 0))
        ):
            raise out_of_range("--" + name.replace("_", "-"), v, "a finite number > 0")
    if args.plateau_tol is not None and not args.plateau_tol > 0:
        raise out_of_range("--plateau-tol", args.plateau_tol, "> 0")
    if args.records is not None and args.records < 2:
        raise out_of_range("--records", args.records, "an integer >= 2")
    if args.times is not None:
        try:
            args.times = [float(v) for v in args.times.split(",") if v.strip()]
        except ValueError:
            raise out_of_range("--times", args.times, "comma-separated numbers") from None
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


def check(args):
    """The arguments, checked before any work (also by ``sweep`` at every grid point); returns
    ``(model, fixed points, protocol)``."""
    from fixedpoints.api import simulation_protocol

    _check(args)
    points = _fixed_points(args.fixed_points)
    _, model = io.load_model_from_args(args)
    if args.plot:
        io.check_plot_path(args.plot)
    proto = simulation_protocol(model, method=args.method, lr=args.lr, t_max=args.t_max)
    return model, points, proto


def run(args) -> int:
    from fixedpoints.api import simulate
    from fixedpoints.export import simulation_figure

    model, points, proto = check(args)
    t_max = float(proto["t_max"]) if args.times is None else float(args.times[-1] or 1)
    with io.Progress(
        args, total=args.runs, desc="simulate", work=_work(model, proto, args), unit="runs finished"
    ) as bar:
        res = simulate(
            model,
            runs=args.runs,
            backend=args.backend,
            device=args.device,
            seed=args.seed,
            batch_size=args.batch_size,
            plateau_tol=args.plateau_tol,
            rtol=args.rtol,
            atol=args.atol,
            fixed_points=points,
            loss_tol=args.loss_tol,
            progress=lambda t, active: bar(
                args.runs - active, args.runs, fraction=_fraction(t, t_max, active, args.runs)
            ),
            method=args.method,
            lr=args.lr,
            init=args.init,
            scale=args.scale,
            gradient_tol=args.gradient_tol,
            t_max=args.t_max,
            records=args.records,
            times=args.times,
            integrator=args.integrator,
            scaling=args.scaling,
            reduced=args.reduced or None,
        )
    doc = res.to_dict(timing=args.timing)
    if args.plot:
        tr = doc["trajectory"]
        fig = simulation_figure(
            tr["times"],
            tr["q10"],
            tr["median"],
            tr["q90"],
            doc["final_losses"],
            title=io.figure_title(model, doc["title"]),
        )
        doc["plot"] = io.save_figure(fig, args.plot)
    if args.json:
        io.emit_json(doc)
    else:
        _print(doc, res.stats["seconds"])
    if res.protocol["decoupled"]:
        io.info(args, "the loss decouples over neurons: each run is one neuron")
    return 0


def _work(model, proto, args) -> str:
    """The work size for the progress lines: runs, weights per run, method, time span."""
    k, d = model.student.width, model.input_dimension
    size = f"{k}×{d}" if d else f"{k} neurons ×"
    lr = f" (lr {float(proto['lr']):g})" if proto.get("lr") else ""
    return (
        f"{args.runs} run{'s' if args.runs != 1 else ''} of {size} weights, {proto['method']}{lr} up to t = "
        f"{float(proto['t_max']):g}, {args.backend}"
    )


def _fraction(t: float, t_max: float, active: int, runs: int) -> float:
    """Share of the work done, for the ETA: the time reached over ``t_max`` (the longest a run
    goes on), or the share of runs finished when that is larger."""
    return max(min(float(t) / t_max, 1.0) if t_max > 0 else 0.0, (runs - active) / runs)


def _print(doc, seconds) -> None:
    s, p = doc["summary"], doc["protocol"]
    lr = f", lr {p['lr']:g}" if p.get("lr") else ""
    print(
        f"# {doc['model']}: {s['runs']} runs, {p['method']}{lr}, init {p['init']}, "
        f"{p['backend']} ({seconds:.2f} s)"
    )
    print(f"# stopped: {', '.join(f'{k} {v}' for k, v in s['status_counts'].items())}")
    print(f"{'loss':>16}  {'count':>6}  {'fraction':>8}  outcome")
    for c in doc["outcomes"]:
        print(f"{c['loss']:16.10f}  {c['count']:6d}  {c['fraction']:8.3f}  {c['label']}")
    if "nonzero_loss_fraction" in s:
        print(f"# fraction of runs ending at a non-zero loss: {s['nonzero_loss_fraction']:.3f}")
    if "plot" in doc:
        print(f"# plot written to {doc['plot']}")
