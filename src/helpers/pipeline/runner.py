"""`.venv/bin/python -m helpers run params/<name>.yaml`: the whole job, atomic and incremental.

The steps and what each one's content key covers are declared in helpers.pipeline.steps (STEPS);
run() walks them in order, each printing its progress lines (helpers.pipeline.progress).

Atomic: everything is built in a staging folder beside the run folder and moved into place only
when every step succeeded; a failed run leaves the previous output untouched and keeps its
partial work in output/<run>.failed/ for inspection, with error.txt saying which step failed,
why, the traceback and the kernels' logs. A later successful run removes that folder.

Incremental: each keyed unit of a step has a content key (SHA-256 of what it depends on:
helpers.pipeline.keys). A unit whose key equals the one in the previous run's provenance.json is
reused (its files are copied), so the outputs are the same bytes as a full rebuild. When the key
of the whole run (helpers.pipeline.keys.run_key) is unchanged, the run stops at once. --force
rebuilds.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.pipeline.errors import RunError
from helpers.pipeline.folders import aside, failed_folder, staging_folder, swap_in
from helpers.pipeline.keys import run_key
from helpers.pipeline.notebooks import NOTEBOOKS
from helpers.pipeline.params import RunParams
from helpers.pipeline.progress import say, start_clock
from helpers.pipeline.steps import STEPS, RunState, Step


@dataclass(frozen=True)
class RunResult:
    """What a run did: where its output is, which steps ran and which were reused."""

    run_dir: Path
    executed: tuple[str, ...]
    reused: tuple[str, ...]
    summary: str
    seconds: float


def _previous_steps(run_dir: Path) -> dict[str, Any]:
    """Step keys recorded by the previous run in run_dir (empty when there is none)."""
    record = run_dir / "provenance.json"
    if not record.is_file():
        return {}
    return json.loads(record.read_text(encoding="utf-8")).get("steps", {})


def _copy_outputs(names: tuple[str, ...], source: Path, target: Path) -> None:
    for name in names:
        src, dst = source / name, target / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.is_file():
            shutil.copy2(src, dst)


def _has_outputs(names: tuple[str, ...], folder: Path) -> bool:
    return all((folder / name).exists() for name in names)


def _walk(step: Step, state: RunState) -> None:
    """One step: each of its units reused (outputs copied from the previous run folder) when the
    step allows it in this run (Step.reusable) and its key and outputs are there, the others
    executed by the step's action."""
    todo = []
    for unit in step.units(state):
        state.keys[unit] = step.key(state, unit)
        outputs = step.outputs(unit)
        if (step.reusable(state) and state.previous.get(unit) == state.keys[unit]
                and _has_outputs(outputs, state.run_dir)):
            _copy_outputs(outputs, state.run_dir, state.staging)
            state.reused.append(unit)
        else:
            todo.append(unit)
    step.action(state, tuple(todo))
    state.executed.extend(todo)


def _failure_story(step: str, exc: BaseException, failed: Path) -> Path:
    """Write failed/error.txt: the step, the reason, the traceback (for a notebook: papermill's
    traceback of the failing cell, ANSI colours removed) and the kernels' log files."""
    import re
    import traceback

    cause = exc.__cause__ or exc
    cell_traceback = getattr(cause, "traceback", None)  # papermill's PapermillExecutionError
    if cell_traceback:
        trace = "\n".join(cell_traceback)
    else:
        trace = "".join(traceback.format_exception(cause))
    trace = re.sub(r"\x1b\[[0-9;]*m", "", trace).rstrip()
    logs = sorted(str(p.relative_to(failed)) for p in (failed / "logs").glob("*.log"))
    text = (
        f"step: {step}\n\nreason:\n{exc}\n\ntraceback:\n{trace}\n\n"
        f"logs (relative to this folder): {', '.join(logs) or 'none'}\n"
    )
    path = failed / "error.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _clean_up_killed_run(run_dir: Path, staging: Path) -> None:
    """What a killed run (kill -9) leaves behind: its staging folder is removed, and a previous
    output it had moved aside to swap in its own is put back."""
    shutil.rmtree(staging, ignore_errors=True)
    old = aside(run_dir)
    if old.exists() and not run_dir.exists():
        old.rename(run_dir)
    shutil.rmtree(old, ignore_errors=True)


def run(
    params: RunParams, output_root: Path, *, force: bool = False, jobs: int | None = None
) -> RunResult:
    """Run every step of STEPS for params into output_root/<run name>, then swap the staging
    folder in (helpers.pipeline.folders.swap_in: two renames, the previous output put back when
    the second fails); see the module docstring. jobs: notebooks at a time (default all)."""
    started = start_clock()
    run_dir = Path(output_root) / params.name
    staging = staging_folder(run_dir)
    _clean_up_killed_run(run_dir, staging)
    previous = {} if force else _previous_steps(run_dir)
    whole = run_key(params)
    if previous.get("run") == whole and run_dir.is_dir():
        summary = json.loads((run_dir / "provenance.json").read_text(encoding="utf-8"))["summary"]
        say("run",
            f"nothing changed since the last run: {run_dir} is up to date (--force rebuilds)")
        shutil.rmtree(failed_folder(run_dir), ignore_errors=True)
        return RunResult(run_dir, (), ("all",), summary, time.perf_counter() - started)

    run_dir.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir()
    state = RunState(params, run_dir, staging, previous, whole, jobs or len(NOTEBOOKS))
    step = STEPS[0].name
    try:
        for current in STEPS:
            step = current.name
            if current.enabled(state):
                _walk(current, state)
            else:
                say(step, f"skipped: off in {params.path}")
        step = "swap"  # the new output replaces the previous one
        swap_in(staging, run_dir)
    except Exception as exc:
        if state.kernels is not None:
            state.kernels.close()
        failed = failed_folder(run_dir)
        shutil.rmtree(failed, ignore_errors=True)
        staging.rename(failed)
        story = _failure_story(step, exc, failed)
        kept = (f"{run_dir} was left as it was" if run_dir.exists()
                else f"no {run_dir} was written")
        raise RunError(
            f"step {step} failed: {exc}\n{kept}; why this run failed: "
            f"{story} (its partial output is in {failed})"
        ) from exc

    shutil.rmtree(failed_folder(run_dir), ignore_errors=True)
    seconds = time.perf_counter() - started
    say("done", f"{state.summary}; output in {run_dir}")
    return RunResult(run_dir, tuple(state.executed), tuple(state.reused), state.summary, seconds)
