"""Notebook parameters: the runner reads each notebook's declared parameters without papermill
(the names must be the ones papermill itself finds); the notebooks' defaults are the params
schema's; a notebook declares only what it uses and receives only what it declares."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import papermill
import pytest

from helpers.pipeline import notebooks
from helpers.pipeline.notebooks import (
    NOTEBOOK_DIR,
    NOTEBOOKS,
    declared_parameters,
    notebook_parameters,
)
from helpers.pipeline.params import load_params, with_defaults

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_declared_parameters_are_the_ones_papermill_inspects(notebook: str):
    expected = papermill.inspect_notebook(str(NOTEBOOK_DIR / f"{notebook}.ipynb"))
    assert declared_parameters(notebook) == tuple(expected)


def test_declared_parameters_of_an_annotated_cell_and_of_a_notebook_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def notebook(name: str, tags: list[str], source: str) -> None:
        cell = {"id": "c1", "cell_type": "code", "metadata": {"tags": tags}, "source": source,
                "outputs": [], "execution_count": None}  # fmt: skip
        kernelspec = {"name": "python3", "language": "python", "display_name": "Python 3"}
        doc = {"cells": [cell], "metadata": {"kernelspec": kernelspec}, "nbformat": 4,
               "nbformat_minor": 5}  # fmt: skip
        (tmp_path / f"{name}.ipynb").write_text(json.dumps(doc), encoding="utf-8")

    notebook("typed", ["parameters"], 'a: int = 1\nb = {"k": 1}  # a dict\nprint(a)\na = 2\n')
    notebook("untagged", [], "a = 1\n")
    monkeypatch.setattr(notebooks, "NOTEBOOK_DIR", tmp_path)
    for name in ("typed", "untagged"):
        found = tuple(papermill.inspect_notebook(str(tmp_path / f"{name}.ipynb")))
        assert declared_parameters(name) == found
    assert declared_parameters("typed") == ("a", "b")


def _code_cells(notebook: str) -> tuple[str, str]:
    """The notebook's `parameters` cell and the rest of its code (cell options left out)."""
    cells = json.loads((NOTEBOOK_DIR / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    parameters = next(c for c in code if "parameters" in c["metadata"].get("tags", ()))
    rest = "\n".join(
        line
        for c in code
        if c is not parameters
        for line in "".join(c["source"]).splitlines()
        if not line.lstrip().startswith("#|")
    )
    return "".join(parameters["source"]), rest


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_defaults_equal_the_params_schema_defaults(notebook: str):
    """An analyst who opens a notebook gets the same values as a run of params/default.yaml;
    folders default to None (helpers.pipeline.notebook_paths decides where they are)."""
    source, _ = _code_cells(notebook)
    defaults = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
    }
    schema = with_defaults({})
    for name, value in defaults.items():
        expected = None if name in notebooks.PATH_PARAMETERS else schema[name]
        assert value == expected, f"{notebook}: {name} = {value!r}, schema default {expected!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_declared_parameter_is_used(notebook: str):
    """A declared parameter enters the notebook's step key: one it does not use would re-run it
    for nothing (e.g. alpha in the safety notebook)."""
    _, rest = _code_cells(notebook)
    used = {n.id for n in ast.walk(ast.parse(rest)) if isinstance(n, ast.Name)}
    unused = set(declared_parameters(notebook)) - used
    assert not unused, f"{notebook} declares but does not use {sorted(unused)}"


def test_a_notebook_receives_only_its_declared_parameters(tmp_path: Path):
    default = load_params(ROOT / "params" / "default.yaml")
    path = tmp_path / "alpha.yaml"
    path.write_text("alpha: 0.1\n")
    changed = load_params(path)
    assert notebook_parameters("04-safety", changed) == notebook_parameters("04-safety", default)
    assert notebook_parameters("04-safety", default) == {
        "adam_dir": "adam", "tables_dir": "tables/04-safety", "ard_dir": "ard", "country": None,
        "disclosure": {"min_cell": None, "ard_inside": False},
    }
    assert notebook_parameters("02-patient-outcomes", changed)["alpha"] == 0.1
