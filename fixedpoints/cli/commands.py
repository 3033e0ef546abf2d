"""Implementations of the verbs (each ``cmd_<verb>(args) -> exit code``)."""

from __future__ import annotations

import time
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

__all__ = ["cmd_presets", "cmd_derive", "cmd_study", "load_cli_model", "derive_cli"]


def load_cli_model(args):
    """Model from ``args.model`` and ``args.sets``."""
    return load_cli_model_file(args)[1]


def derive_cli(args, model):
    """Derive (cached unless ``--no-cache``) and apply ``--ansatz``."""
    from fixedpoints.codegen import cached_derive
    from fixedpoints.symbolic import reduce_flow

    cache = False if getattr(args, "no_cache", False) else getattr(args, "cache_dir", None)
    flow = cached_derive(model, cache_dir=cache)
    if getattr(args, "ansatz", None):
        flow = reduce_flow(flow, args.ansatz)
    return flow


def cmd_presets(args) -> int:
    from fixedpoints.models import load_model_file, preset_names

    names = [args.name] if args.name else preset_names()
    docs = [load_model_file(n).describe() for n in names]
    if args.json:
        emit_json({"presets": docs})
        return 0
    for d in docs:
        print(f"{d['name']}: {d['description']}")
        if d["reference"]:
            print(f"    reference: {d['reference']}")
        for p in d["parameters"]:
            default = "free (symbolic)" if p["default"] is None else p["default"]
            print(f"    {p['name']:<20} {p['range']}; default {default}. {p['doc']}")
        print()
    return 0


def _random_initial_state(model, flow_system, params, seed: int):
    """Random weights W ~ N(0, 1/d) (unit rows if spherical), a ~ N(0, 1/k) if trainable."""
    from fixedpoints.codegen import model_arrays
    from fixedpoints.numeric import state_from_weights, teacher_vectors

    arr = model_arrays(model, params)
    k, m = model.student.width, model.teacher.width
    d = model.input_dimension or (k + m)
    V = teacher_vectors(arr["T"], d)
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(k, d)) / np.sqrt(d)
    if model.student.spherical:
        W /= np.linalg.norm(W, axis=1, keepdims=True)
    a = (
        rng.normal(size=(k, model.outputs)) / np.sqrt(k)
        if model.student.second_layer == "trainable"
        else None
    )
    return state_from_weights(flow_system.names, W, V, a, model.outputs)


def _plot(args, model, flow) -> dict:
    from fixedpoints.codegen import compile_flow
    from fixedpoints.export import trajectory_figure
    from fixedpoints.numeric import integrate

    if flow.parameters:
        name = str(flow.parameters[0])
        raise ParameterError(
            f"`{name}` is free (symbolic); --plot integrates numbers: add --set {name}=VALUE."
        )
    if flow.ansatz:
        raise ParameterError("`--plot` integrates the full flow; drop --ansatz to plot.")
    if not (args.time > 0 and np.isfinite(args.time)):
        raise out_of_range("--time", args.time, "> 0")
    check_plot_path(args.plot)
    system = compile_flow(flow)
    x0 = _random_initial_state(model, system, {}, args.seed)
    traj = integrate(system, x0, args.time, n_points=400)
    fig = trajectory_figure(
        traj.times,
        traj.states,
        traj.names,
        traj.losses,
        title=f"{model.name}: order-parameter flow (seed {args.seed})",
    )
    return {
        "plot": save_figure(fig, args.plot),
        "final_loss": float(traj.losses[-1]),
        "status": traj.status,
    }


def cmd_derive(args) -> int:
    from fixedpoints.export import flow_to_json, flow_to_latex, flow_to_text

    model = load_cli_model(args)
    t0 = time.perf_counter()
    flow = derive_cli(args, model)
    elapsed = time.perf_counter() - t0
    fmt = "json" if args.json else args.format
    plot = _plot(args, model, flow) if args.plot else None
    if fmt == "json":
        doc = flow_to_json(flow)
        doc["settings"] = dict(model.settings)
        if plot:
            doc["plot"] = plot
        emit_json(doc)
    elif fmt == "latex":
        print(flow_to_latex(flow))
    else:
        print(
            f"# {model.name}: {flow.dimension} variables"
            + (
                f", free parameters {', '.join(map(str, flow.parameters))}"
                if flow.parameters
                else ""
            )
        )
        print(flow_to_text(flow))
    info(args, f"derived {flow.dimension} equations in {elapsed:.2f} s")
    if plot:
        info(args, f"wrote {plot['plot']} (final loss {plot['final_loss']:.6g})")
    return 0


def cmd_study(args) -> int:
    from fixedpoints.cli.study import run_study, write_report

    out = Path(args.out) if args.out else Path(args.directory) / "report"
    result = run_study(args.directory)
    write_report(result, out)
    if args.json:
        emit_json(result)
    else:
        for row in result["claims"]:
            mark = "pass" if row["pass"] else "FAIL"
            print(
                f"[{mark}] {row['id']}: value {row['value']} expected {row['expected']} "
                f"(tol {row['tol']})"
            )
        n = sum(r["pass"] for r in result["claims"])
        print(f"{n} passed, {len(result['claims']) - n} failed")
        info(args, f"report written to {out}")
    return 0 if all(r["pass"] for r in result["claims"]) else 1


from fixedpoints.cli.analysis import cmd_continue, cmd_fixed_points, cmd_threshold  # noqa: E402

__all__ += ["cmd_continue", "cmd_fixed_points", "cmd_threshold"]

from fixedpoints.cli.graph import cmd_graph  # noqa: E402
from fixedpoints.cli.saddle import cmd_saddle_to_saddle  # noqa: E402
from fixedpoints.cli.simulate import cmd_simulate  # noqa: E402
from fixedpoints.cli.sweep import cmd_sweep  # noqa: E402

__all__ += ["cmd_graph", "cmd_saddle_to_saddle", "cmd_simulate", "cmd_sweep"]
