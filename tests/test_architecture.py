"""The package's plan holds: layers import downwards only, features do not import each other, there is no
import circle, the top level stays small and no module grows past what a reader takes in at once.

docs/architecture.md describes the layers this test enforces; change both together. Imports are read
from the source (module level and inside functions alike), so a lazy import cannot hide a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "evidence"

# each top-level part of the package and its layer: a module may import its own layer or lower ones
LAYERS = {
    "errors": 0,
    "faults": 0,
    "config": 0,
    "core": 0,
    "media": 1,
    "store": 1,
    "catalogue": 2,
    "workspace": 3,
    "analysis": 4,
    "ingest": 5,
    "matching": 5,
    "annotation": 5,
    "integrity": 5,
    "browse": 5,
    "exports": 5,
    "accounts": 5,
    "cli": 6,
    "web": 6,
    "__main__": 7,
    "__init__": 7,
}
FEATURE_LAYER = 5
# parts of one layer that may not import each other (features; media and store are separate concerns)
APART = {1, FEATURE_LAYER}
# the one feature that uses another: `add` and `analyze` look every new item up (the central promise)
ALLOWED_BETWEEN_FEATURES = {("ingest", "matching")}
MAX_TOP_LEVEL_MODULES = 8
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            if name == "evidence" or name.startswith("evidence."):
                target = _resolve(name)
                if target is not None and target not in (module, "evidence"):
                    targets.add(target)
    return targets


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_of_the_package_has_a_layer() -> None:
    assert {_part(m) for m in MODULES} <= LAYERS.keys()


def test_imports_run_down_the_layers_and_features_stay_apart() -> None:
    wrong = []
    for module, targets in GRAPH.items():
        mine = _part(module)
        for target in targets:
            theirs = _part(target)
            if LAYERS[theirs] > LAYERS[mine]:
                wrong.append(f"{module} -> {target} (up from layer {LAYERS[mine]} to {LAYERS[theirs]})")
            elif (
                LAYERS[theirs] == LAYERS[mine] in APART
                and theirs != mine
                and (mine, theirs) not in ALLOWED_BETWEEN_FEATURES
            ):
                wrong.append(f"{module} -> {target} (across to another {mine!r} of the same layer)")
    assert wrong == []


def test_no_import_circle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert circles == []


def test_the_top_level_keeps_only_the_package_face() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_no_module_is_too_long_to_read() -> None:
    lengths = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {path: n for path, n in lengths.items() if n > MAX_LINES} == {}


def test_the_analysis_worker_imports_no_database_or_command_line() -> None:
    """The isolated child runs hostile media: it must not pull in the catalogue, the store or the CLI."""
    reachable: set[str] = set()
    todo = ["evidence.analysis.worker", "evidence.analysis.media_job"]
    while todo:
        module = todo.pop()
        if module not in reachable:
            reachable.add(module)
            todo.extend(GRAPH[module])
    assert {_part(m) for m in reachable} <= {"analysis", "media", "core", "errors", "faults", "config"}
