"""Layer rules: domain < {aws, storage, config} < services < handlers < wiring; no cycle."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "aws", "storage", "services", "handlers", "sandbox")
TOP = ("bot", "cli", "config", "logs", "scheduler", "wiring")
FRAMEWORKS = {"slack_bolt", "slack_sdk", "boto3", "botocore", "sqlite_utils", "sqlite3",
              "apscheduler", "waitress", "moto"}
ENTRY = {"wiring", "cli", "bot", "scheduler", "sandbox"}
FORBIDDEN = {
    "domain": FRAMEWORKS | ENTRY | {"aws", "storage", "handlers", "services", "config"},
    "services": FRAMEWORKS | ENTRY | {"aws", "storage", "handlers"},
    "handlers": ENTRY | {"aws", "storage", "boto3", "botocore", "sqlite_utils", "sqlite3"},
}


def imports_of(path: pathlib.Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def project_modules() -> dict[str, pathlib.Path]:
    modules = {name: ROOT / f"{name}.py" for name in TOP if (ROOT / f"{name}.py").exists()}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def test_each_layer_imports_only_what_is_below_it():
    problems = []
    for layer, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / layer).rglob("*.py")):
            for name in sorted(imports_of(path)):
                if name.split(".")[0] in forbidden:
                    problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []


def test_nothing_but_bot_imports_the_sandbox():
    modules = project_modules()
    importers = [name for name, path in modules.items() if not name.startswith("sandbox")
                 and any(i.split(".")[0] == "sandbox" for i in imports_of(path))]
    assert importers == ["bot"]


def test_no_import_cycle():
    modules = project_modules()
    graph = {name: {m for m in imports_of(path) if m in modules and m != name}
             for name, path in modules.items()}
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert cycles == []


def test_every_module_imports_on_its_own():
    """Each module in a fresh interpreter: an import that works only after another fails here."""
    names = sorted(n for n in project_modules() if not n.startswith("sandbox"))
    roots = repr(set(PACKAGES) | set(TOP))
    script = ("import importlib, sys\nfailed = []\nfor name in sys.argv[1:]:\n"
              f"    for loaded in [m for m in sys.modules if m.split('.')[0] in {roots}]:\n"
              "        del sys.modules[loaded]\n"
              "    try:\n        importlib.import_module(name)\n"
              "    except Exception as exc:\n        failed.append(f'{name}: {exc!r}')\n"
              "print('\\n'.join(failed))\n")
    result = subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, text=True,
                            capture_output=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups
