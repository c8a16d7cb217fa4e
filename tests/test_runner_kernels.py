"""The runner's notebook kernels: ordinary kernels of the `reality` spec, started by Jupyter as a
user's would be, so that the user's environment is what they see from their first import."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from helpers.pipeline import notebooks as stored
from helpers.pipeline.errors import RunError
from helpers.pipeline.kernels import KERNEL, Kernels

PROBE = (
    "import os, time\n"
    "import matplotlib\n"
    "print(time.tzname[0], matplotlib.get_backend(), os.getcwd())\n"
    "os.write(2, b'written to the kernel stderr\\n')"
)


def write_notebook(folder: Path, name: str, *sources: str) -> None:
    """A notebook with an empty parameters cell and one code cell per source."""
    cells = [{"cell_type": "code", "id": f"cell-{i}", "execution_count": None, "outputs": [],
              "metadata": {"tags": ["parameters"]} if i == 0 else {}, "source": [source]}
             for i, source in enumerate(("x = 0", *sources))]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.ipynb").write_text(json.dumps(
        {"cells": cells, "metadata": {"kernelspec": {"name": KERNEL, "language": "python",
                                                     "display_name": KERNEL}},
         "nbformat": 4, "nbformat_minor": 5}))


def stdout_of(notebook: Path) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    return "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))


def execute(notebooks: dict[str, tuple[str, ...]], tmp_path: Path, monkeypatch) -> Path:
    """Run the notebooks (name -> cell sources) as the runner does; returns the run folder."""
    for name, sources in notebooks.items():
        write_notebook(tmp_path / "notebooks", name, *sources)
    monkeypatch.setattr(stored, "NOTEBOOK_DIR", tmp_path / "notebooks")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    kernels = Kernels(notebooks, run_dir)
    before = Path.cwd()
    stored.run_notebooks({name: {} for name in notebooks}, run_dir, kernels, 2, "notebooks")
    assert Path.cwd() == before  # notebooks in threads never move this process
    return run_dir


def test_a_kernel_sees_the_environment_of_the_run_from_its_first_import(tmp_path, monkeypatch):
    """TZ and MPLBACKEND set where the run starts decide the kernel's time zone and matplotlib
    backend (a kernel forked from a process that imported time and matplotlib earlier would
    report UTC and the inline backend); the kernel works in the run folder and its stderr goes
    to logs/<notebook>.log."""
    monkeypatch.setenv("TZ", "America/New_York")
    monkeypatch.setenv("MPLBACKEND", "agg")
    run_dir = execute({"probe": (PROBE,)}, tmp_path, monkeypatch)
    assert stdout_of(run_dir / "notebooks" / "probe.ipynb").split() == ["EST", "agg", str(run_dir)]
    log = (run_dir / "logs" / "probe.log").read_text()
    assert "written to the kernel stderr" in log
    assert "WARNING" not in log and "TCP" not in log  # IPC transport: no unencrypted-TCP warning


def test_a_failing_notebook_names_itself_and_its_error_and_ends_every_kernel(
    tmp_path, monkeypatch
):
    with pytest.raises(RunError, match=r"notebook broken failed(.|\n)*deliberate"):
        execute({"broken": ("raise RuntimeError('deliberate')",), "fine": ("1 + 1",)},
                tmp_path, monkeypatch)
    kernels = [p for p in psutil.Process().children(recursive=True)
               if p.status() != psutil.STATUS_ZOMBIE and Path(p.cwd()).is_relative_to(tmp_path)]
    assert kernels == []
