"""The runner reads each notebook's declared parameters without papermill (runner.py imports it
only in the notebook workers); the names must be the ones papermill itself finds."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

from helpers import runner
from helpers.runner import NOTEBOOK_DIR, NOTEBOOKS, declared_parameters


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
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", tmp_path)
    for name in ("typed", "untagged"):
        found = tuple(papermill.inspect_notebook(str(tmp_path / f"{name}.ipynb")))
        assert declared_parameters(name) == found
    assert declared_parameters("typed") == ("a", "b")
