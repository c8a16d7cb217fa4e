"""Notebooks open and run where they are, as an analyst opens them after `make report`: stored
defaults, kernel started in notebooks/, nothing written into tracked folders."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

import nbclient
import nbformat
import pytest

from helpers.pipeline.kernels import KERNEL
from helpers.pipeline.notebook_paths import DEFAULT_ADAM, INTERACTIVE
from helpers.pipeline.notebooks import NOTEBOOK_DIR, NOTEBOOKS
from helpers.pipeline.params import load_params
from helpers.pipeline.runner import run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout


@pytest.fixture(scope="module")
def default_run() -> Path:
    """output/default as `make report` leaves it (a no-op when it is up to date)."""
    return run(load_params(ROOT / "params" / "default.yaml"), ROOT / "output").run_dir


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_stored_notebook_runs_in_place_with_its_defaults(default_run: Path, notebook: str):
    assert (DEFAULT_ADAM / "adsl.csv").is_file()
    before = git_status()
    stored = nbformat.read(NOTEBOOK_DIR / f"{notebook}.ipynb", as_version=4)
    nbclient.NotebookClient(
        stored, kernel_name=KERNEL, resources={"metadata": {"path": str(NOTEBOOK_DIR)}}
    ).execute()
    assert git_status() == before, "running a notebook in place changed the repository"
    # its tables land under output/interactive/default/ (the data it read) and equal the run's
    interactive = INTERACTIVE / "default" / notebook / "tables"
    tables = sorted(p.name for p in (default_run / "tables" / notebook).iterdir())
    assert tables == sorted(p.name for p in interactive.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(
        default_run / "tables" / notebook, interactive, tables, shallow=False
    )
    assert (mismatch, errors) == ([], [])


def test_a_missing_default_run_says_how_to_make_it(tmp_path: Path):
    from helpers.pipeline.notebook_paths import adam_folder

    with pytest.raises(FileNotFoundError, match=r"run `make report`.*or set adam_dir"):
        adam_folder(str(tmp_path))
