"""The package is the pipeline as folders, and imports flow downwards only
(../shared/style.md, "The layout: the pipeline as folders"):

    pipeline -> report -> results -> analysis -> adam -> data -> study

A module may import modules of its own folder and of the folders below it; synth/ (the synthetic
cohort) may import study/ and data/ only, and pipeline/ may import synth/ (a run generates the
cohort). Only cli.py, __main__.py and __init__.py sit loose in src/helpers, and they may import
anything. Every import counts, also one inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "helpers"
#: the folders from the top of the pipeline to its bottom
LAYERS = ("pipeline", "report", "results", "analysis", "adam", "data", "study")
#: what each folder may import besides itself
ALLOWED = {layer: set(LAYERS[i + 1:]) for i, layer in enumerate(LAYERS)} | {
    "synth": {"data", "study"},
    "pipeline": {*LAYERS[1:], "synth"},
}
LOOSE = {"cli.py", "__main__.py", "__init__.py"}


def folder_of(module: str) -> str | None:
    """The folder of a dotted helpers module ("helpers.adam.adqs" -> "adam"); None for the
    package itself or a loose module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every helpers import in a file: `import helpers.x`, `from
    helpers.x import y` and `from helpers import x` (x a folder)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("helpers.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "helpers":
                found += [(node.lineno, f"helpers.{a.name}") for a in node.names]
            elif node.module.startswith("helpers."):
                found.append((node.lineno, node.module))
    return found


def upward_imports(package: Path) -> list[str]:
    """Each import that runs up or sideways across folders, as "file:line imports module"."""
    wrong = []
    for path in sorted(package.rglob("*.py")):
        folder = path.relative_to(package).parts[0] if path.parent != package else None
        if folder is None:
            continue
        for line, module in imported_modules(path):
            target = folder_of(module)
            if target not in (None, folder) and target not in ALLOWED[folder]:
                wrong.append(f"{path.relative_to(package)}:{line} imports {module}")
    return wrong


def test_only_the_entry_points_are_loose() -> None:
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == LOOSE
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(
        ALLOWED
    )


def test_no_import_runs_up() -> None:
    assert upward_imports(PACKAGE) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from helpers.report import tables\n", ["analysis/x.py:1 imports helpers.report"]),
        ("def f():\n    from helpers.pipeline.params import Key\n",
         ["analysis/x.py:2 imports helpers.pipeline.params"]),
        ("import helpers.results.run_diff\n", ["analysis/x.py:1 imports helpers.results.run_diff"]),
        ("from helpers import synth\n", ["analysis/x.py:1 imports helpers.synth"]),
        ("from helpers.adam import adqs\nfrom helpers.study import spec\n", []),
        ("from helpers.analysis import ard\n", []),
    ],
)
def test_an_upward_import_is_found(tmp_path: Path, source: str, expected: list[str]) -> None:
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "x.py").write_text(source)
    assert upward_imports(tmp_path) == expected
