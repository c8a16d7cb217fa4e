"""A run is atomic: a failure at any of the seven steps, or in the final swap, leaves the previous
output byte-identical, keeps the attempt in <run>.failed/ and leaves no process behind; a run
killed with SIGKILL leaves nothing that breaks or lingers after the next normal run.

Failures are injected in-process (monkeypatch of a function the step calls), so the tests depend on
the runner's steps, not on how notebooks are executed. Marked slow: the runs are real.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from processes import processes_working_in, wait_for_exit

from helpers.pipeline import notebooks as stored
from helpers.pipeline.errors import RunError
from helpers.pipeline.params import ParamsError, load_params
from helpers.pipeline.runner import run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
def write_params(folder: Path, **changes: object) -> Path:
    """params/default.yaml with `changes` (dicts merged), as folder/trial.yaml (run "trial")."""
    values = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    for key, value in changes.items():
        values[key] = {**values[key], **value} if isinstance(value, dict) else value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "trial.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run (no report rendering) whose output every failing run must leave as it is;
    never changed by a test (each failing run has its own params folder)."""
    tmp = tmp_path_factory.mktemp("atomic")
    return run(load_params(write_params(tmp / "params", render=False)), tmp / "out").run_dir


def fail(monkeypatch: pytest.MonkeyPatch, target: object, name: str) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"injected failure in {name}")

    monkeypatch.setattr(target, name, broken)


def failing_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """01-disposition (the notebook an effect-size change re-executes) ends with an error."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(stored.NOTEBOOK_DIR, notebooks)
    path = notebooks / "01-disposition.ipynb"
    content = json.loads(path.read_text())
    content["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                             "outputs": [], "source": ["raise RuntimeError('injected failure')"]})
    path.write_text(json.dumps(content))
    monkeypatch.setattr(stored, "NOTEBOOK_DIR", notebooks)


def failing_swap(monkeypatch: pytest.MonkeyPatch, run_dir: Path) -> None:
    """The second rename of the swap (staging -> run folder) fails."""
    rename = Path.rename

    def broken(self: Path, target: Path) -> Path:
        if Path(target) == run_dir and self.name.endswith(".staging"):
            raise OSError("injected failure in the swap")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", broken)


def fail_in(module: str, name: str) -> Callable[[Path, pytest.MonkeyPatch, Path], None]:
    """An injection: `name` of the helpers module `module`, which the step calls, fails."""
    return lambda tmp, mp, run_dir: fail(mp, importlib.import_module(module), name)


# step: (params changes that make the step execute, failure injection)
STEPS = {
    "2/7 data": ({"sample_size": {"effect_size": 0.35}},
                 fail_in("helpers.synth", "write_synthetic_cohort")),
    "3/7 derive": ({"exclude_out_of_window": True}, fail_in("helpers.adam.derive", "derive_adam")),
    "4/7 notebooks": ({"sample_size": {"effect_size": 0.35}},
                      lambda tmp, mp, run_dir: failing_notebook(tmp, mp)),
    "5/7 results": ({"sample_size": {"effect_size": 0.35}},
                    fail_in("helpers.results.key_results", "select_key_results")),
    "6/7 record": ({"sample_size": {"effect_size": 0.35}},
                   fail_in("helpers.pipeline.provenance", "provenance_record")),
    "7/7 report": ({"sample_size": {"effect_size": 0.35}, "render": True},
                   fail_in("helpers.pipeline.render", "render")),
    "swap": ({"sample_size": {"effect_size": 0.35}},
             lambda tmp, mp, run_dir: failing_swap(mp, run_dir)),
}


def test_invalid_params_stop_before_anything_runs(previous: Path, tmp_path: Path) -> None:
    """Step 1: a params file with an unknown key is refused; nothing is written."""
    before = snapshot(previous.parent)
    with pytest.raises(ParamsError):
        run(load_params(write_params(tmp_path, unknown_key=1)), previous.parent)
    assert snapshot(previous.parent) == before


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_each_step_keeps_the_previous_output(
    previous: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    changes, inject = STEPS[step]
    before = snapshot(previous)
    params = load_params(write_params(tmp_path, **changes))
    inject(tmp_path, monkeypatch, previous)
    with pytest.raises(RunError, match=f"step {step} failed"):
        run(params, previous.parent)
    monkeypatch.undo()
    assert snapshot(previous) == before
    failed = previous.with_name(f"{previous.name}.failed")
    assert failed.is_dir()
    assert not previous.with_name(f".{previous.name}.staging").exists()
    assert not previous.with_name(f".{previous.name}.old").exists()
    stray = [pid for pid in processes_working_in(failed) if not wait_for_exit(pid)]
    assert stray == [], f"processes of the failed run still running: {stray}"


def test_a_stale_staging_folder_is_removed_by_a_run_with_nothing_to_do(previous: Path,
                                                                       tmp_path: Path) -> None:
    """What a run killed during any step leaves: .<run>.staging. The next run removes it, also
    when it finds nothing changed (it used to stay until a forced run)."""
    out = tmp_path / "out"
    shutil.copytree(previous, out / previous.name)
    staging = out / f".{previous.name}.staging"
    (staging / "adam").mkdir(parents=True)
    (staging / "adam" / "adsl.csv").write_text("half written")
    params = load_params(write_params(tmp_path / "params", render=False))
    again = run(params, out)
    assert again.executed == ()
    assert not staging.exists()


def test_a_run_killed_between_the_two_renames_gets_its_previous_output_back(
    previous: Path, tmp_path: Path
) -> None:
    """Killed after moving the previous output aside (.<run>.old) and before moving the new one
    in: the next run puts the previous output back, finds nothing changed, and leaves no .old."""
    out = tmp_path / "out"
    shutil.copytree(previous, out / f".{previous.name}.old")
    shutil.copytree(previous, out / f".{previous.name}.staging")
    params = load_params(write_params(tmp_path / "params", render=False))
    again = run(params, out)
    assert again.executed == ()
    assert snapshot(out / previous.name) == snapshot(previous)
    assert sorted(p.name for p in out.iterdir()) == [previous.name]


def test_kill_9_during_the_notebooks_then_a_normal_run(previous: Path, tmp_path: Path) -> None:
    """SIGKILL to `python -m helpers run` once it reports the derive step done (the notebooks
    are running), then a normal run: it succeeds, and no staging or .old folder remains."""
    out = tmp_path / "out"
    shutil.copytree(previous, out / previous.name)
    params = write_params(tmp_path / "params", render=False, sample_size={"effect_size": 0.3})
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpers", "run", str(params), "--output", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # the event: derive reported done
        if line.startswith("[3/7 derive]"):
            break
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert (out / f".{previous.name}.staging").is_dir()  # what the kill left
    result = run(load_params(params), out)
    assert "01-disposition" in result.executed
    assert (out / previous.name / "key_results.csv").is_file()
    assert sorted(p.name for p in out.iterdir()) == [previous.name]
