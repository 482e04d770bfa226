"""The project's modules import each other as a tree of layers: no cycle, function-level imports included.

A function-level import (``def f(): from nnviz.training import Trainer``) does not show at import time, but
it still makes the two modules depend on each other: it hides a cycle, it does not remove it. So this reads
every ``import`` statement of every module with ``ast`` — wherever it sits — and looks for cycles in the graph
of imports between the project's own modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_CODE = {"tests", "build", "dist"}  # the tests import the project; they are not part of its layers


def module_files() -> dict[str, Path]:
    """Dotted module name → file, for every module of the project: the top-level scripts (``app.py``) and
    every module in a top-level folder — packages (``nnviz/``, ``ui/``) and folders of pages or scripts."""
    files = {path.stem: path for path in sorted(ROOT.glob("*.py"))}
    for folder in sorted(ROOT.iterdir()):
        if not folder.is_dir() or folder.name.startswith((".", "_")) or folder.name in NOT_CODE:
            continue
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[".".join(parts)] = path
    return files


def is_script_folder(package: str) -> bool:
    """A top-level folder without ``__init__.py`` holds scripts run as ``python folder/x.py``: the folder
    itself is on ``sys.path``, so ``import x`` there means its neighbour ``folder/x.py``."""
    return bool(package) and "." not in package and not (ROOT / package / "__init__.py").exists()


def imported_modules(name: str, path: Path, modules: set[str]) -> set[str]:
    """The project modules that ``name`` (at ``path``) imports, at module level or inside functions."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found = set()

    def add(dotted: str):
        # `import a.b.c` depends on the deepest project module it names (a package's __init__ included
        # only when it is named itself: `import nnviz`, or `from nnviz import X` for a name defined there)
        while dotted:
            if dotted in modules:
                found.add(dotted)
                return
            dotted = dotted.rpartition(".")[0]

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from ..a import b
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if is_script_folder(package) and f"{package}.{source}" in modules:
                source = f"{package}.{source}"  # a script's `from lesson_baseline import X`: its neighbour
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in modules else source)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    names = set(files)
    return {name: imported_modules(name, path, names) for name, path in files.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Per group of modules that import each other in a circle (a strongly connected component, by Tarjan's
    algorithm), its shortest cycle through its first module, as a closed path a → … → a."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            connect(v)

    cycles = []
    for component in components:
        start = min(component)
        # breadth-first from start back to start, inside the component: the shortest cycle through it
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            for w in sorted(graph[path[-1]] & component):
                if w == start:
                    cycles.append(path + [start])
                    paths = []
                    break
                if w not in seen:
                    seen.add(w)
                    paths.append(path + [w])
    return sorted(cycles)


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert {"nnviz", "nnviz.network", "nnviz.training", "ui.common", "app_pages.shallow_network", "app",
            "bench.bench_core", "bench.lesson_baseline"} <= set(graph)
    assert "nnviz.activations" in graph["nnviz.deep_network"]  # from nnviz.activations import …
    assert "nnviz.deep_network" in graph["nnviz.network"]
    assert "nnviz.deep_network" in graph["nnviz.training"]
    assert "bench.lesson_baseline" in graph["bench.bench_core"]  # a script's neighbour
    assert "ui.common" in graph["app"]  # from ui.common import …


def test_a_hidden_cycle_is_found(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    path = tmp_path / "m.py"
    path.write_text("import os\n\ndef f():\n    from nnviz.training import Trainer\n    from . import losses\n")
    assert imported_modules("nnviz.m", path, {"nnviz", "nnviz.training", "nnviz.losses"}) == {
        "nnviz.training", "nnviz.losses"}


def test_no_import_cycles_between_the_projects_modules():
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles (function-level imports included):\n" + "\n".join(
        " → ".join(cycle) + "   (each imports: " + "; ".join(
            f"{m} → {', '.join(sorted(graph[m] & set(cycle)))}" for m in sorted(set(cycle))) + ")"
        for cycle in cycles)
