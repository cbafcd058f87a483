"""The architecture's rules, as tests (import-linter, run by `make lint`, holds the layers):
no import cycle among day3's modules, argparse only in the CLI and the flag generator, nothing
but the CLI importing the CLI, lessons built on the library alone, files and experiment
functions of a readable size, one of each shared thing."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

SRC = ROOT / "src" / "day3"
LESSONS = sorted(ROOT.glob("[0-9]_*/*.py"))
ARGPARSE_ALLOWED = {"day3.cli.main", "day3.core.flags"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of its code (function-level imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_no_import_cycle_among_day3_modules():
    import grimp

    graph = grimp.build_graph("day3")
    modules = sorted(m for m in graph.modules if m.startswith("day3"))
    assert len(modules) > 40
    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph.find_modules_directly_imported_by(m)):
            if not n.startswith("day3") or n == "day3":  # the package's lazy names
                continue
            if state.get(n) == 1:
                cycles.append(path[path.index(n) :] + [n] if n in path else [m, n])
            elif n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in modules:
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_argparse_only_in_the_cli_and_the_flag_generator():
    users = {module_name(p) for p in SRC.rglob("*.py") if "argparse" in imported(p)}
    assert users == ARGPARSE_ALLOWED


def test_nothing_outside_the_cli_imports_it():
    offenders = [
        module_name(p)
        for p in SRC.rglob("*.py")
        if not module_name(p).startswith("day3.cli")
        and any(n == "day3.cli" or n.startswith("day3.cli.") for n in imported(p))
    ]
    assert offenders == []
    lessons = [p.name for p in LESSONS if any(n.startswith("day3.cli") for n in imported(p))]
    assert lessons == []


def test_files_and_experiment_functions_stay_readable():
    long_files = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
                  if (n := len(p.read_text().splitlines())) > 400}  # fmt: skip
    assert long_files == {}
    long_functions = []
    for p in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            long = isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 60
            if long and not node.name.startswith("_callback"):  # a factory of a small class
                long_functions.append(f"{module_name(p)}.{node.name}")
    assert long_functions == []


def test_one_of_each_shared_thing():
    """One strategy-list parser, one learning-rate table, one sha256, one figure saver, one
    atomic-write context manager: a second copy is a place where they drift apart."""
    sources = {module_name(p): p.read_text() for p in SRC.rglob("*.py")}

    def defining(pattern: str) -> list[str]:
        return sorted(m for m, text in sources.items() if pattern in text)

    assert defining("hashlib.sha256(") == ["day3.core.hashing"]
    assert defining(".savefig(") == ["day3.core.plots"]
    assert defining('matplotlib.use("Agg")') == ["day3.core.plots"]
    assert defining("LEARNING_RATES: dict") == ["day3.classifier.strategies"]
    assert defining("lists a strategy twice") == ["day3.classifier.strategies"]
    assert defining("def writing(") == ["day3.core.runs"]
    assert defining("LoraConfig(") == ["day3.classifier.strategies"]  # T5's LoRA included


def test_importing_day3_does_no_work():
    """No network probe, no Hugging Face import: entry points call configure() themselves."""
    import subprocess
    import sys

    code = (
        "import os, sys; os.environ.pop('HF_HUB_OFFLINE', None); import day3;"
        "print('HF_HUB_OFFLINE' in os.environ, any(m.split('.')[0] in "
        "('torch', 'transformers', 'huggingface_hub', 'datasets') for m in sys.modules))"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split() == ["False", "False"], out.stderr
