"""Packaging: nnviz installs the standard way, and every package the code imports by name is declared."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip's own copy of the same parser
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# the project's own modules and folders, wherever a script or test imports them from
FOLDERS = [p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")]
PROJECT = {p.name for p in FOLDERS} | {p.stem for p in ROOT.glob("*.py")} | {
    p.stem for folder in FOLDERS for p in folder.rglob("*.py")}
VENV = {"pip"}  # in every virtualenv


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: Path) -> set[str]:
    """The distributions a requirements file names, following its ``-r`` includes."""
    names = set()
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r"):
            names |= declared(requirements.parent / line[2:].strip())
        elif line:
            names.add(canonical(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line).group()))
    return names


def imported(*places: str) -> set[str]:
    """Top-level names of the third-party modules the code in ``places`` imports (inside functions too)."""
    names = set()
    for place in places:
        path = ROOT / place
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in PROJECT | VENV}


def undeclared(modules: set[str], requirements: Path) -> dict[str, list[str]]:
    """Each imported module whose distribution the requirements do not name, with the distributions it comes from."""
    wanted = declared(requirements)
    dists = packages_distributions()
    return {m: dists.get(m, ["(not installed)"]) for m in sorted(modules)
            if not {canonical(d) for d in dists.get(m, [])} & wanted}


def test_the_app_declares_what_it_imports():
    modules = imported("nnviz", "ui", "app_pages", "app.py")
    assert {"numpy", "streamlit", "plotly", "sklearn", "keras"} <= modules  # the scan sees the stack
    assert not undeclared(modules, ROOT / "requirements.txt")


def test_tests_and_tools_declare_what_they_import():
    modules = imported("tests", "bench", "models", "cluster", "tools")
    assert {"pytest", "playwright"} <= modules
    assert not undeclared(modules, ROOT / "requirements-dev.txt")


def test_nnviz_is_a_package_built_from_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["build-system"]["build-backend"] == "setuptools.build_meta"
    find = config["tool"]["setuptools"]["packages"]["find"]
    from setuptools import find_packages

    packaged = set(find_packages(where=str(ROOT), include=find["include"]))
    library = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nnviz").rglob("__init__.py")}
    assert packaged == library and {"nnviz", "nnviz.core", "nnviz.serving"} <= packaged  # the library, not the pages
    assert config["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}


def test_scripts_need_no_sys_path_edits():
    """bench/, models/ and cluster/ run as modules from the checkout's root (``python -m bench.bench_hall``)
    and import what they need by its full name; none of them edits ``sys.path``."""
    edits = [f"{path.relative_to(ROOT)}:{n}" for folder in ("bench", "models", "cluster")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "sys.path" in line]
    assert not edits


def test_every_benchmark_imports_as_a_module():
    import importlib

    for path in sorted((ROOT / "bench").glob("*.py")):
        module = importlib.import_module(f"bench.{path.stem}")
        assert module.__file__ == str(path)


def test_the_readme_is_a_five_minute_reference_with_the_two_commands_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 12_000  # the rest lives in docs/
    assert "make run " in readme and "make test " in readme
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("exec make test")
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).is_file(), link
