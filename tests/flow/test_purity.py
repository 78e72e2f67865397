"""The flow does no I/O (see ivr/flow/README.md): keep it that way."""

import ast
from pathlib import Path

import pytest

import ivr.flow

FLOW = Path(ivr.flow.__file__).parent
ALLOWED_IMPORTS = {
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "json",
    "re",
    "typing",
    "unicodedata",
}
# Calls that read the clock, the environment or chance, or write somewhere.
FORBIDDEN_METHODS = {
    "now",
    "today",
    "utcnow",
    "monotonic",
    "perf_counter",
    "random",
    "getenv",
    "uuid4",
    "write",
}
FORBIDDEN_FUNCTIONS = {"open", "print", "input"}


def modules():
    return sorted(FLOW.glob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda path: path.name)
def test_given_a_flow_module_then_it_imports_only_pure_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in ALLOWED_IMPORTS, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", modules(), ids=lambda path: path.name)
def test_given_a_flow_module_then_it_reads_no_clock_environment_or_chance(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                assert func.attr not in FORBIDDEN_METHODS, f"{path.name}:{node.lineno}"
            elif isinstance(func, ast.Name):
                assert func.id not in FORBIDDEN_FUNCTIONS, f"{path.name}:{node.lineno}"


def test_given_the_readme_then_it_says_the_flow_does_no_io():
    assert "no I/O" in (FLOW / "README.md").read_text(encoding="utf-8")
