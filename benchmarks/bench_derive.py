"""Derivation timings: cold (no cache, fresh process state) vs cached (on-disk cache hit).

Run: ``python benchmarks/bench_derive.py`` (or ``make bench``). Each cold timing runs in a fresh
subprocess so SymPy's in-process caches do not help; the cached timing is a second process that
reads the on-disk entry written by the first. Also times ``compile_flow`` (lambdify with CSE) and
the import of what ``derive`` and ``compile_flow`` need (``import``; the public names of
``fixedpoints`` load their modules on first use).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

CASES = [
    ("soft-committee", {"k": 2, "m": 2}),
    ("soft-committee", {"k": 4, "m": 4}),
    ("soft-committee", {"k": 8, "m": 8}),
    ("relu-teacher", {"d": 5}),
]

SNIPPET = """
import json, sys, time
t0 = time.perf_counter()
import fixedpoints as fp
fp.load_model, fp.derive, fp.compile_flow  # the public names load their modules on first use
t1 = time.perf_counter()
model = fp.load_model({name!r}, {settings!r})
flow = fp.derive(model, cache_dir={cache!r})
t2 = time.perf_counter()
system = fp.compile_flow(flow)
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "derive": t2 - t1, "compile": t3 - t2, "n": flow.dimension}}))
"""


def _run(name, settings, cache):
    code = SNIPPET.format(name=name, settings=settings, cache=cache)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    print(
        f"{'model':<34} {'vars':>5} {'cold derive':>12} {'cached':>9} {'ratio':>7} {'compile':>9}"
        f" {'import':>8}"
    )
    for name, settings in CASES:
        with tempfile.TemporaryDirectory() as cache:
            cold = _run(name, settings, cache)
            warm = _run(name, settings, cache)
        label = name + " " + ",".join(f"{k}={v}" for k, v in settings.items())
        print(
            f"{label:<34} {cold['n']:>5} {cold['derive']:>10.3f} s {warm['derive']:>7.3f} s "
            f"{cold['derive'] / warm['derive']:>6.0f}x {cold['compile']:>7.3f} s"
            f" {warm['import']:>6.3f} s"
        )


if __name__ == "__main__":
    main()
