"""Layer rules of DESIGN.md §2, enforced on the source: one-way imports, and only `cli` prints,
exits or writes files (the derivation cache in codegen/cache.py is the one declared exception)."""

from __future__ import annotations

import ast
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "fixedpoints"
STDLIB = set(sys.stdlib_module_names)

# third-party packages each layer may import
THIRD_PARTY = {
    "models": set(),
    "kernels": {"sympy"},
    "symbolic": {"sympy"},
    # array_api_compat: one code path for NumPy, PyTorch and CuPy; torch/cupyx only for erf
    "codegen": {"sympy", "numpy", "scipy", "mpmath", "array_api_compat", "torch", "cupyx"},
    "numeric": {"numpy", "scipy", "mpmath", "array_api_compat", "torch", "cupy"},
    "graphs": {"networkx", "numpy"},
    "export": {"sympy", "networkx", "matplotlib"},
    "cli": {"sympy", "numpy", "scipy", "mpmath", "networkx", "matplotlib", "tqdm", "dask"},
}
# fixedpoints sub-packages each layer may import (one-way)
INTERNAL = {
    "models": {"models", "errors"},
    "kernels": {"kernels", "models", "errors"},
    "symbolic": {"symbolic", "kernels", "models", "errors"},
    "codegen": {"codegen", "symbolic", "kernels", "models", "errors", "protocols"},
    "numeric": {"numeric", "models", "errors", "protocols"},
    "graphs": {"graphs", "numeric", "models", "errors", "protocols"},
    "export": {"export", "models", "errors"},
    "cli": set(THIRD_PARTY),
}
for _layer in INTERNAL:
    INTERNAL[_layer] |= {"results"}
INTERNAL["cli"] |= {"errors", "protocols", "analysis", "simulation"}
# the top-level façade fixedpoints/analysis.py composes the computing layers (model -> landscape)
FACADE_INTERNAL = {"models", "kernels", "symbolic", "codegen", "numeric", "errors", "protocols"}
FACADE_INTERNAL |= {
    "analysis",
    "graphs",
}  # simulation.py reuses the model -> teacher vectors of analysis.py
FACADE_THIRD_PARTY = {"numpy", "scipy", "sympy", "mpmath", "array_api_compat", "networkx"}
FACADES = ("analysis.py", "simulation.py")
WRITERS_ALLOWED = {"codegen/cache.py"}


def _modules(layer):
    return sorted((ROOT / layer).rglob("*.py"))


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


@pytest.mark.parametrize("facade", FACADES)
def test_facade_imports_only_computing_layers_and_has_no_side_effects(facade):
    path = ROOT / facade
    tree = ast.parse(path.read_text())
    bad = []
    for line, name in _imports(tree):
        top = name.split(".")[0]
        if top == "fixedpoints":
            sub = name.split(".")[1] if "." in name else ""
            if sub not in FACADE_INTERNAL:
                bad.append(f"{facade}:{line} imports {name}")
        elif top not in STDLIB and top not in FACADE_THIRD_PARTY:
            bad.append(f"{facade}:{line} imports {name}")
    bad += [f"{facade}:{line} calls {what}" for line, what in _side_effects(tree)]
    assert not bad, "\n".join(bad)


def test_architecture_checker_catches_a_violation():
    tree = ast.parse("import numpy\nprint('x')\nopen('f', 'w')\n")
    assert [n for _, n in _imports(tree)] == ["numpy"]
    assert len(list(_side_effects(tree))) == 2
