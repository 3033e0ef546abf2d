"""The house of DESIGN.md §2, enforced on the source: one-way layers (third-party and internal
imports per layer), only `cli` prints, exits or writes files, no import circle between modules, no
module over 500 lines, studies use the public API only and behave the same under pytest."""

from __future__ import annotations

import ast
import pathlib
import sys

import networkx as nx
import pytest

TOP = pathlib.Path(__file__).resolve().parents[1]
ROOT = TOP / "fixedpoints"
STDLIB = set(sys.stdlib_module_names)
LIBRARY = ("models", "kernels", "symbolic", "codegen", "numeric", "graphs", "export", "api")
GROUND = ("errors", "results", "protocols", "lazy")  # lazy: the packages' PEP 562 hook

# third-party packages each layer may import
THIRD_PARTY = {
    "models": set(),
    "kernels": {"sympy"},
    "symbolic": {"sympy"},
    # array_api_compat: one code path for NumPy, PyTorch and CuPy; torch/cupyx only for erf
    # flint (python-flint, Arb balls): rigorous certificates, optional
    "codegen": {"sympy", "numpy", "scipy", "mpmath", "array_api_compat", "torch", "cupyx", "flint"},
    # threadpoolctl: one BLAS thread per forked worker (numeric/parallel.py)
    "numeric": {
        "numpy",
        "scipy",
        "mpmath",
        "array_api_compat",
        "torch",
        "cupy",
        "flint",
        "threadpoolctl",
    },
    "graphs": {"networkx", "numpy"},
    "export": {"sympy", "networkx", "matplotlib"},
    "api": {"numpy", "scipy", "sympy", "mpmath", "networkx", "array_api_compat"},
    "cli": {"tqdm", "dask"},
    "ground": set(),
}
# fixedpoints sub-packages each layer may import (one-way); every layer may use the ground floor
INTERNAL = {
    "models": {"models"},
    "kernels": {"kernels", "models"},
    "symbolic": {"symbolic", "kernels", "models"},
    "codegen": {"codegen", "symbolic", "kernels", "models"},
    "numeric": {"numeric", "models"},
    "graphs": {"graphs", "numeric", "models"},
    "export": {"export", "models"},
    "api": set(LIBRARY),
    # the command line calls the façade, the exporters and the models only
    "cli": {"cli", "api", "export", "models"},
    "ground": set(),
}
for _layer in INTERNAL:
    INTERNAL[_layer] |= set(GROUND)
INTERNAL["ground"] = {"errors", "results", "lazy"}
WRITERS_ALLOWED = {"codegen/cache.py"}
MAX_LINES = 500


def _layer_of(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT)
    if rel.name == "__main__.py":
        return "cli"
    if len(rel.parts) == 1 or rel.parts[0] == "results":
        return "ground"
    return rel.parts[0]


def _modules(layer=None):
    paths = sorted(ROOT.rglob("*.py"))
    return [p for p in paths if layer is None or _layer_of(p) == layer]


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


@pytest.mark.parametrize("layer", sorted(THIRD_PARTY))
def test_layer_imports_only_allowed_modules(layer):
    bad = []
    for path in _modules(layer):
        for line, name in _imports(ast.parse(path.read_text())):
            top = name.split(".")[0]
            if top == "fixedpoints":
                sub = name.split(".")[1] if "." in name else ""
                if sub not in INTERNAL[layer]:
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
            elif top not in STDLIB and top not in THIRD_PARTY[layer]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not bad, "\n".join(bad)


def _side_effects(tree):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in ("print", "input", "exit", "quit"):
            yield node.lineno, f.id
        if isinstance(f, ast.Attribute):
            if f.attr in (
                "exit",
                "write_text",
                "write_bytes",
                "savefig",
                "mkdir",
                "replace",
                "unlink",
                "rmtree",
            ) and not (
                f.attr == "replace" and not (isinstance(f.value, ast.Name) and f.value.id == "os")
            ):
                yield node.lineno, f.attr
        if isinstance(f, ast.Name) and f.id == "open":
            mode = (
                node.args[1]
                if len(node.args) > 1
                else next((k.value for k in node.keywords if k.arg == "mode"), None)
            )
            if isinstance(mode, ast.Constant) and any(c in str(mode.value) for c in "wax"):
                yield node.lineno, "open(..., 'w')"


@pytest.mark.parametrize("layer", [layer for layer in sorted(THIRD_PARTY) if layer != "cli"])
def test_only_cli_prints_exits_or_writes(layer):
    bad = []
    for path in _modules(layer):
        rel = str(path.relative_to(ROOT))
        if rel in WRITERS_ALLOWED:
            continue
        for line, what in _side_effects(ast.parse(path.read_text())):
            bad.append(f"{rel}:{line} calls {what}")
    assert not bad, "\n".join(bad)


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(TOP).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def import_graph() -> nx.DiGraph:
    """Module -> module it imports (explicitly, anywhere in the file), within the package."""
    modules = {_module_name(p): p for p in _modules()}
    G = nx.DiGraph()
    G.add_nodes_from(modules)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from package import submodule` imports the submodule
                targets = [
                    f"{node.module}.{a.name}"
                    if f"{node.module}.{a.name}" in modules
                    else node.module
                    for a in node.names
                ]
            for t in targets:
                if t in modules and t != name:
                    G.add_edge(name, t)
    return G


def test_no_import_circle_between_modules():
    cycles = [c for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert not cycles, f"import circles: {cycles}"


def test_the_cycle_check_sees_a_circle():
    G = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    assert [c for c in nx.strongly_connected_components(G) if len(c) > 1] == [{"a", "b"}]
    assert ("fixedpoints.cli.main", "fixedpoints.cli.verbs.sweep") in import_graph().edges


def test_no_module_is_over_500_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long


def test_studies_use_the_public_api_and_behave_the_same_under_pytest():
    for path in sorted((TOP / "derivations").rglob("*.py")):
        src = path.read_text()
        for _, name in _imports(ast.parse(src)):
            assert name == "fixedpoints" or not name.startswith("fixedpoints"), (path, name)
        assert "PYTEST_CURRENT_TEST" not in src, path


def test_architecture_checker_catches_a_violation():
    tree = ast.parse("import numpy\nprint('x')\nopen('f', 'w')\n")
    assert [n for _, n in _imports(tree)] == ["numpy"]
    assert len(list(_side_effects(tree))) == 2
