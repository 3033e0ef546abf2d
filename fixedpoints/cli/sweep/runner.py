"""Running a sweep's grid points on Dask: the worker function and the client loop.

Each grid point runs :func:`run_point` in a worker process, which calls the ``fixedpoints`` command
line in-process (``--json --quiet``) and returns a record; the client writes each record as soon as
it completes, so an interrupted sweep keeps every finished point.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import threading
import time
from pathlib import Path

from fixedpoints.cli.io import info
from fixedpoints.cli.sweep.grid import describe_point, value_text
from fixedpoints.cli.sweep.store import write_json_atomic
from fixedpoints.errors import ParameterError

__all__ = ["run_point", "run_grid", "terminate_as_interrupt"]

_IN_PROCESS = threading.Lock()  # stdout redirection is per process: one point at a time


def run_point(entry, verb: str, model: str, sets, point: dict, verb_args, seed: int) -> dict:
    """Run ``fixedpoints VERB MODEL --set ... --json --quiet --seed SEED`` in this process.

    Parameters
    ----------
    entry : callable
        The command line's ``main(argv) -> exit code`` (passed in, so that this module does not
        import the module that registers the sweep verb).
    verb, model : str
        The swept verb and the preset name or model file.
    sets : sequence of str
        Fixed ``NAME=VALUE`` assignments.
    point : dict
        The grid point ``{name: value}`` (passed as ``--set name=value``).
    verb_args : sequence of str
        Further arguments of the verb.
    seed : int

    Returns
    -------
    dict
        ``{"point", "status" ('ok' or 'error'), "exit_code", "result" (the verb's JSON document or
        None), "error" (captured stderr), "seconds"}``; never raises for a failing verb.
    """
    argv = [verb, model]
    for s in [*sets, *(f"{n}={value_text(v)}" for n, v in point.items())]:
        argv += ["--set", s]
    argv += [*verb_args, "--json", "--quiet", "--seed", str(seed)]
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with _IN_PROCESS, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = entry(argv)
        except SystemExit as e:  # a verb that exits instead of returning
            code = e.code if isinstance(e.code, int) else 1
    seconds = round(time.perf_counter() - t0, 3)
    result, error = None, err.getvalue().strip()
    if code == 0:
        try:
            result = json.loads(out.getvalue())
        except ValueError:
            code, error = 3, f"{error}\nstdout was not one JSON document".strip()
    return {
        "point": dict(point),
        "status": "ok" if code == 0 else "error",
        "exit_code": code,
        "result": result,
        "error": error[-4000:],
        "seconds": seconds,
    }


@contextlib.contextmanager
def _dask_client(args, n_points: int):
    """A Dask client: of ``--scheduler``, or of a local cluster of worker processes on loopback."""
    import logging

    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        try:
            client = Client(args.scheduler, timeout="10s", set_as_default=False)
        except (OSError, ValueError, TypeError) as e:
            raise ParameterError(
                f"`--scheduler` {args.scheduler!r}: cannot connect ({type(e).__name__}: {e})."
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=min(args.workers, n_points),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # None still binds :8787 (clashes with any other cluster)
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.run(_ignore_interrupts)
        yield client


def _ignore_interrupts() -> None:
    """In a local worker: ignore Ctrl-C (it reaches the whole process group); the client stops
    the sweep and closes the cluster."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def terminate_as_interrupt():
    """SIGTERM (e.g. a batch system's kill) stops the sweep like Ctrl-C."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _deferred_interrupts():
    """Hold Ctrl-C and SIGTERM until the block is done, then raise KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = [signal.signal(s, lambda signum, frame: received.append(signum)) for s in signals]
    try:
        yield
    finally:
        for s, handler in zip(signals, previous, strict=True):
            signal.signal(s, handler)
    if received:
        raise KeyboardInterrupt


def _record(future, point) -> dict | None:
    """The worker's record, or an error record when the task itself failed (worker died, ...)."""
    if future.cancelled():
        return None
    if future.status == "finished":
        return future.result()
    exc = future.exception()
    return {
        "point": dict(point),
        "status": "error",
        "exit_code": None,
        "result": None,
        "error": f"{type(exc).__name__}: {exc}",
        "seconds": None,
    }


def run_grid(args, todo, records, points_dir, total, bar) -> None:
    """Submit ``todo`` (key, point) pairs and write each record as it completes.

    A model file is passed to the workers by its absolute path (workers of a ``--scheduler``
    cluster must see the same file system); Ctrl-C or SIGTERM raise KeyboardInterrupt here, after
    any record in hand is written.
    """
    from dask.distributed import as_completed

    model = Path(args.model)
    model = str(model.resolve()) if model.suffix == ".toml" and model.is_file() else args.model
    with _dask_client(args, len(todo)) as client:
        futures = {}
        for key, point in todo:
            fut = client.submit(
                run_point,
                args.entry,
                args.target_verb,
                model,
                list(args.sets),
                point,
                list(args.verb_args),
                args.seed,
                key=f"fixedpoints-sweep-{key}-{os.getpid()}-{time.time_ns()}",
            )
            futures[fut] = (key, point)
        for fut in as_completed(list(futures), loop=client.loop):
            key, point = futures[fut]
            rec = _record(fut, point)
            if rec is None:
                continue
            with _deferred_interrupts():  # a result in hand is written before stopping
                write_json_atomic(points_dir / f"{key}.json", rec)
                records[key] = rec
            bar(len(records), total)
            if bar.bar is None:
                info(
                    args,
                    f"[{len(records)}/{total}] {describe_point(point)}: {rec['status']}"
                    + (f" ({rec['seconds']:.2f} s)" if rec["seconds"] is not None else ""),
                )
