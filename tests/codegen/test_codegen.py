"""Compiled flows (NumPy and mpmath), quadrature kernels in weight space, the derivation cache."""

from __future__ import annotations

import json
import re

import mpmath
import numpy as np
import pytest

from fixedpoints.codegen import (
    cache_directory,
    cache_key,
    cached_derive,
    compile_flow,
    model_arrays,
)
from fixedpoints.errors import ParameterError
from fixedpoints.models import load_model
from fixedpoints.numeric import state_from_weights, teacher_vectors
from fixedpoints.symbolic import derive


def test_compile_flow_numpy_and_mpmath_agree():
    flow = derive(load_model("relu-teacher", {"d": 3}))
    f64, fmp = compile_flow(flow), compile_flow(flow, backend="mpmath")
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 3)) / np.sqrt(3)
    x = state_from_weights(f64.names, W, np.eye(3))
    mpmath.mp.dps = 30
    try:
        high = fmp.vector_field([mpmath.mpf(v) for v in x])
        assert np.allclose([float(v) for v in high], f64.vector_field(x), atol=1e-13)
        assert abs(float(fmp.loss([mpmath.mpf(v) for v in x])) - float(f64.loss(x))) < 1e-14
    finally:
        mpmath.mp.dps = 15


def test_compile_flow_vectorises_over_a_batch():
    system = compile_flow(derive(load_model("soft-committee")))
    rng = np.random.default_rng(1)
    batch = rng.uniform(0.1, 0.4, size=(system.dimension, 5))
    batch[0] += 1.0
    batch[2] += 1.0
    out = system.vector_field(batch)
    assert out.shape == batch.shape
    assert np.allclose(out[:, 3], system.vector_field(batch[:, 3]))


def test_compile_flow_requires_free_parameters():
    system = compile_flow(derive(load_model("multi-index", {"k": 2, "n": 1})))
    with pytest.raises(ParameterError, match="beta"):
        system.vector_field([0.1, 0.2])
    assert np.all(np.isfinite(system.vector_field([0.1, 0.2], {"beta": 0.3})))


def test_quadrature_kernel_loss_matches_monte_carlo_in_weight_space():
    """tanh has no closed-form kernel: the compiled Gauss-Hermite loss against sampled data."""
    model = load_model("soft-committee", {"k": 2, "m": 2, "activation": "tanh", "d": 4})
    system = compile_flow(derive(model))
    rng = np.random.default_rng(2)
    W = rng.normal(size=(2, 4)) / 2
    V = teacher_vectors(model_arrays(model)["T"], 4)
    loss = float(system.loss(state_from_weights(system.names, W, V)))
    x = rng.normal(size=(2_000_000, 4))
    r = np.tanh(x @ W.T).sum(1) - np.tanh(x @ V.T).sum(1)
    samples = 0.5 * r**2
    assert abs(loss - samples.mean()) < 4 * samples.std() / np.sqrt(len(samples))


def test_cached_derive_writes_and_reuses_an_entry(tmp_path):
    model = load_model("soft-committee", {"k": 3})
    first = cached_derive(model, cache_dir=tmp_path)
    files = list(tmp_path.glob("*.pickle"))
    assert [f.stem for f in files] == [cache_key(model)]
    second = cached_derive(model, cache_dir=tmp_path)
    assert second == first and second.model is model
    other = load_model("soft-committee", {"k": 3, "T": 2})
    assert cache_key(other) != cache_key(model)


def test_cached_derive_ignores_a_corrupt_entry(tmp_path):
    model = load_model("quadratic")
    (tmp_path / f"{cache_key(model)}.pickle").write_bytes(b"not a pickle")
    flow = cached_derive(model, cache_dir=tmp_path)
    assert flow == derive(model)
    assert cached_derive(model, cache_dir=tmp_path) == flow  # rewritten


def test_cached_derive_handles_quadrature_functions(tmp_path):
    model = load_model("soft-committee", {"activation": "tanh"})
    a = cached_derive(model, cache_dir=tmp_path)
    b = cached_derive(model, cache_dir=tmp_path)
    assert a == b


def test_cache_directory_settings(monkeypatch, tmp_path):
    assert cache_directory(False) is None
    monkeypatch.setenv("FIXEDPOINTS_CACHE_DIR", "off")
    assert cache_directory() is None
    monkeypatch.setenv("FIXEDPOINTS_CACHE_DIR", str(tmp_path))
    assert cache_directory() == tmp_path


def test_generated_kernels_load_from_the_cache_without_sympy(tmp_path):
    """The pair kernels are printed once, stored as source in the cache folder, and a later
    process computes with them (and the model's arrays) with SymPy blocked."""
    import subprocess
    import sys

    env = {**__import__("os").environ, "FIXEDPOINTS_CACHE_DIR": str(tmp_path)}
    warm = (
        "import fixedpoints as fp, numpy as np;"
        "s = fp.compile_flow(fp.load_model('soft-committee', {'k': 3, 'm': 2}));"
        "print(float(s.loss(np.full(s.dimension, 0.2))))"
    )
    first = subprocess.run([sys.executable, "-c", warm], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert list(tmp_path.glob("kernels-*.py"))
    blocked = "import sys; sys.modules['sympy'] = None; " + warm
    second = subprocess.run(
        [sys.executable, "-c", blocked], env=env, capture_output=True, text=True
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["fixed-points", "relu-teacher", "--set", "d=3", "--starts", "6"],
        ["graph", "relu-teacher", "--set", "d=3", "--starts", "6", "--workers", "1"],
        ["simulate", "relu-teacher", "--set", "d=3", "--runs", "2", "--t-max", "10"],
    ],
    ids=["fixed-points", "graph", "simulate"],
)
def test_commands_that_derive_nothing_run_without_sympy(tmp_path, argv):
    """Issue 18's lazy loading: with the kernels cached, a search, a graph and a simulation
    (and the export names they print with) run with SymPy blocked; the output is that of the
    run that compiled them."""
    import subprocess
    import sys

    env = {**__import__("os").environ, "FIXEDPOINTS_CACHE_DIR": str(tmp_path)}
    run = "from fixedpoints.cli.main import main; raise SystemExit(main({argv!r}))"
    first = subprocess.run(
        [sys.executable, "-c", run.format(argv=[*argv, "--json"])],
        env=env,
        capture_output=True,
        text=True,
    )
    assert first.returncode == 0, first.stderr
    blocked = "import sys; sys.modules['sympy'] = None; " + run.format(argv=[*argv, "--json"])
    second = subprocess.run(
        [sys.executable, "-c", blocked], env=env, capture_output=True, text=True
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == json.loads(first.stdout)  # no timings without --timing


@pytest.mark.parametrize(
    "extra",
    [[], ["--format", "latex"], ["--format", "latex", "--expand"], ["--json"]],
    ids=["text", "latex", "latex-expand", "json"],
)
def test_derive_prints_a_cached_derivation_without_sympy(tmp_path, extra):
    """A derivation printed once is printed again from the cache with SymPy blocked (issue 18:
    a cached ``derive`` of k = m = 8 took seconds, all of it printing), the same bytes; the
    ansatz is part of the entry's key."""
    import subprocess
    import sys

    env = {**__import__("os").environ, "FIXEDPOINTS_CACHE_DIR": str(tmp_path)}
    run = "from fixedpoints.cli.main import main; raise SystemExit(main({argv!r}))"
    argv = ["derive", "soft-committee", "--set", "k=2", "--set", "m=2", "--quiet", *extra]

    def fp(args, block=False):
        code = ("import sys; sys.modules['sympy'] = None; " if block else "") + run.format(
            argv=args
        )
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout

    first = fp(argv)
    assert fp(argv, block=True) == first
    reduced = fp([*argv, "--ansatz", "symmetric"])
    assert reduced != first
    assert fp([*argv, "--ansatz", "symmetric"], block=True) == reduced
    assert fp([*argv, "--no-cache"]) == first


def test_printed_flow_refuses_an_unknown_format(tmp_path):
    from fixedpoints.api import printed_flow

    model = load_model("soft-committee", {"k": 2, "m": 2})
    with pytest.raises(ParameterError, match="fmt") as err:
        printed_flow(model, "xml", cache_dir=tmp_path)
    assert err.value.parameter == "fmt"
    out, cached = printed_flow(model, "text", cache_dir=tmp_path)
    assert not cached and out["dimension"] == 7 and out["body"].startswith("dQ_11/dt = ")
    assert printed_flow(model, "text", cache_dir=tmp_path) == (out, True)


def test_model_arrays_evaluate_arithmetic_without_sympy():
    from fixedpoints.codegen.arrays import _arithmetic

    assert _arithmetic("(1)*(0.5)") == 0.5 and _arithmetic("-3*(1/2)**2") == -0.75
    assert _arithmetic("beta") is None and _arithmetic("1/0") is None


def test_integer_powers_print_as_products():
    """NumPy's ``x**3`` is a slow pow call; the generated kernels multiply."""
    import sympy as sp

    from fixedpoints.codegen.arrayapi import _ArrayAPIPrinter

    x = sp.Symbol("P")
    assert "P*P*P" in _ArrayAPIPrinter().doprint(x**3)
    assert "**" not in _ArrayAPIPrinter().doprint((x + 1) ** 4)


@pytest.mark.parametrize(
    ("sigma", "smooth"),
    [("erf", True), ("He3", True), ("He4+0.3*He6", True), ("relu", False), ("step", False)],
)
def test_smooth_diagonal_flag_and_the_diagonal_jet(sigma, smooth):
    """``SMOOTH`` marks kernels whose jet on the diagonal P = A = B gives the self kernel and its
    derivative (2∂_AK + ∂_PK = K_self') and moves by round-off when P does; ReLU does not
    (∂_PK moves by √ε for an error ε in P)."""
    from fixedpoints.codegen.kernelcode import kernel_module

    mod = kernel_module(sigma, sigma, cache_dir=False)
    assert mod["SMOOTH"] is smooth
    if sigma == "step":  # ∂_PK is infinite on the diagonal
        return
    A = np.array([0.3, 1.0, 2.7])
    K, KA, KP = mod["ss_jet"](A, A, A)
    S, S1 = mod["ss_self_jet"](A)
    nudged = mod["ss_jet"](A, A, A * (1 - 1e-15))[2]
    moved = np.abs(nudged - KP).max()
    if smooth:
        np.testing.assert_allclose(K, S, rtol=1e-13)
        np.testing.assert_allclose(2 * KA + KP, S1, rtol=1e-12, atol=1e-12)
        assert moved < 1e-12 * max(1.0, np.abs(KP).max())
    else:
        assert moved > 1e-9  # the arccos singularity: what the flag protects against


def _dblquad_kernel(g, h):
    """E[g(u) h(v)] by SciPy's adaptive Gauss–Kronrod (dblquad) on the Cholesky map: an
    independent reference for the library's trapezoid rule."""
    import sympy as sp
    from scipy.integrate import dblquad

    from fixedpoints.kernels import z

    gf, hf = (sp.lambdify(z, e, "math") for e in (g, h))
    phi = 1 / np.sqrt(2 * np.pi)

    def kernel(A, B, P):
        A, B, P = float(A), float(B), float(P)
        sa, rest = np.sqrt(A), np.sqrt(max(B - P * P / A, 0.0))
        value, _ = dblquad(
            lambda x2, x1: gf(sa * x1) * hf(P / sa * x1 + rest * x2)
            * phi * np.exp(-0.5 * (x1 * x1 + x2 * x2)) * phi,
            -12, 12, -12, 12, epsabs=1e-14, epsrel=1e-13,
        )  # fmt: skip
        return value

    return kernel


@pytest.mark.parametrize("orders", [(0, 0), (1, 1), (2, 0), (3, 1)])
def test_quadrature_kernels_are_accurate_at_large_variances(orders):
    """tanh (no closed form): the compiled kernels G_pq = E[tanh^(p)(u) tanh^(q)(v)] against
    adaptive Gauss–Kronrod, variances up to 4 (Gauss–Hermite with 100 nodes was 2e-7 off)."""
    import sympy as sp

    from fixedpoints.codegen.compile import _gauss_hermite_2d
    from fixedpoints.kernels import z

    g, h = (sp.diff(sp.tanh(z), z, n) for n in orders)
    ours = _gauss_hermite_2d(sp.lambdify(z, g, "numpy"), sp.lambdify(z, h, "numpy"))
    ref = _dblquad_kernel(g, h)
    for A, B, P in [(1.0, 1.0, 0.5), (4.0, 4.0, 2.5), (4.0, 3.0, -1.0), (0.3, 4.0, 0.9)]:
        assert abs(float(ours(A, B, P)) - ref(A, B, P)) < 1e-11
    assert ours.error < 1e-12


def test_tanh_flow_is_accurate_at_variance_four():
    """The flow of a tanh soft committee (all its quadrature kernels, Price derivatives) at
    pre-activation variances up to 4, against the same equations with every kernel evaluated by
    adaptive Gauss–Kronrod: within 1e-8 (measured: ~1e-12)."""
    import sympy as sp

    from fixedpoints.kernels import quadrature_functions

    flow = derive(load_model("soft-committee", {"k": 2, "m": 1, "activation": "tanh"}))
    x = np.array([4.0, 1.5, 3.0, 1.8, -0.9])  # Q_11, Q_12, Q_22, M_11, M_21 (T = 1)
    ours = compile_flow(flow).vector_field(x)
    table = {}
    for e in flow.equations:
        table.update(quadrature_functions(e))
    ns = {name: _dblquad_kernel(g, h) for name, (g, h) in table.items()}
    f = sp.lambdify(flow.variables, list(flow.equations), modules=[ns, "math"])
    ref = np.array(f(*x), dtype=float)
    assert np.abs(ours - ref).max() < 1e-8


def test_quadrature_kernels_have_readable_names_and_a_json_definition():
    from fixedpoints.export import flow_to_json, flow_to_latex

    flow = derive(load_model("soft-committee", {"k": 2, "m": 1, "activation": "tanh"}))
    tex = flow_to_latex(flow, expand=True)
    assert "gk" not in tex and r"\mathcal{K}^{(1,1)}_{\tanh,\tanh}\left(" in tex
    doc = flow_to_json(flow)
    names = {n for e in doc["equations"].values() for n in re.findall(r"gk_\w+", e)}
    assert names and names <= set(doc["functions"])
    spec = doc["functions"][sorted(names)[0]]
    assert spec["sigma"] == "tanh(z)" and "trapezoid" in spec["numeric"]
    assert "functions" in flow_to_json(derive(load_model("soft-committee", {"k": 2, "m": 1})))
