"""`.venv/bin/python -m helpers run params/<name>.yaml`: the whole job, atomic and incremental.

Steps (each prints one progress line):
  1 params    validate the params file (helpers.params)
  2 data      generate the synthetic cohort or hash the given study data folder
  3 derive    validate the data and derive the analysis datasets once (adam/)
  4 notebooks execute the four notebooks with papermill, in parallel worker processes (started
              during step 3, each with its first kernel; on Linux the kernels are forked by a
              kernel server that imported the notebooks' modules once)
  5 results   key_results.csv and the reproduction check (computed while the notebooks run)
  6 record    provenance.json
  7 report    render the manuscript (or its HTML preview)

Atomic: everything is built in a staging folder beside the run folder and moved into place only
when every step succeeded; a failed run leaves the previous output untouched and keeps its
partial work in output/<run>.failed/ for inspection, with error.txt saying which step failed,
why, the traceback and the kernels' logs. A later successful run removes that folder.

Incremental: each step has a content key (SHA-256 of what it depends on: its source, the params
it receives, the data it reads by content, the helper code). A step whose key equals the one in
the previous run's provenance.json is reused (its files are copied), so the outputs are the same
bytes as a full rebuild. When nothing at all changed, the run stops at once. --force rebuilds.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers.commands import python_command
from helpers.params import RunParams, check_country
from helpers.provenance import REPO_ROOT, sha256_file, sha256_folder

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.context import BaseContext

    from helpers.kernel_server import KernelServer

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = ("01-disposition", "02-patient-outcomes", "03-caregiver-outcomes", "04-safety")
KERNEL = "reality"
#: files whose content decides every step's result besides its own inputs
CODE_FILES = ("src/helpers/**/*.py", "requirements.lock")
MANUSCRIPT_FILES = ("_quarto.yml", "index.qmd", "references.bib", "study/published.yaml")
#: parameters that locate files; given to every notebook, relative to the run folder
PATH_PARAMETERS = ("adam_dir", "tables_dir", "figures_dir")


class RunError(RuntimeError):
    """A step failed; the message names the step and why."""


@dataclass(frozen=True)
class RunResult:
    """What a run did: where its output is, which steps ran and which were reused."""

    run_dir: Path
    executed: tuple[str, ...]
    reused: tuple[str, ...]
    summary: str
    seconds: float


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _glob_hashes(patterns: tuple[str, ...]) -> dict[str, str]:
    return {
        str(p.relative_to(REPO_ROOT)): sha256_file(p)
        for pattern in patterns
        for p in sorted(REPO_ROOT.glob(pattern))
        if p.is_file()
    }


def code_key() -> str:
    """Content key of the helper code and the pinned environment."""
    return _digest(_glob_hashes(CODE_FILES))


_CLOCK = {"start": time.perf_counter()}


def _say(step: str, message: str) -> None:
    """One progress line, with the seconds since the run started."""
    elapsed = time.perf_counter() - _CLOCK["start"]
    print(f"[{step}] {message} ({elapsed:.1f} s)", flush=True)


def _previous_steps(run_dir: Path) -> dict[str, Any]:
    """Step keys recorded by the previous run in run_dir (empty when there is none)."""
    record = run_dir / "provenance.json"
    if not record.is_file():
        return {}
    return json.loads(record.read_text(encoding="utf-8")).get("steps", {})


def data_key(params: RunParams) -> Any:
    """What identifies the input data without reading it into pandas: the synthetic settings,
    or the SHA-256 of every study data file of the given folder."""
    if params.uses_synthetic_data:
        return {"synthetic": params["synthetic"]}
    return data_file_hashes(Path(params["data"]))


def data_file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every study data file of a folder (each format of data-spec.md), by name."""
    from helpers.data.formats import FORMATS

    hashes = {fmt: sha256_folder(folder, f"*.{fmt}") for fmt in FORMATS}
    return dict(sorted(item for by_name in hashes.values() for item in by_name.items()))


def notebook_source(notebook: str) -> Path:
    """The stored notebook (without outputs) that a run executes."""
    return NOTEBOOK_DIR / f"{notebook}.ipynb"


def run_key(params: RunParams) -> str:
    """Key of the whole run: params, data, code, notebooks, manuscript and whether Quarto is
    available (installing it changes what the report step produces)."""
    return _digest(
        {
            "params": params.values,
            "data": data_key(params),
            "code": code_key(),
            "notebooks": {nb: sha256_file(notebook_source(nb)) for nb in NOTEBOOKS},
            "manuscript": _glob_hashes(MANUSCRIPT_FILES),
            "quarto": shutil.which("quarto") is not None,
        }
    )


# --- steps -------------------------------------------------------------------------------------
def _prepare_data(params: RunParams, staging: Path) -> tuple[Path, str]:
    """The study data folder to read, and how to name its source in provenance."""
    if params.uses_synthetic_data:
        from helpers.synth import write_synthetic_cohort

        seed, n = params["synthetic"]["seed"], params["synthetic"]["n"]
        folder = staging / "data"
        write_synthetic_cohort(folder, seed=seed, n=n)
        return folder, f"synthetic cohort (seed {seed}, n {n})"
    folder = Path(params["data"]).resolve()
    return folder, str(folder)


def _derive(data_dir: Path, params: RunParams, staging: Path) -> None:
    """Validate the study data (stop on any error) and write adam/ and validation.md."""
    from helpers.derive import derive_adam, write_adam
    from helpers.load import StudyDataError, load_study

    try:
        study, report = load_study(data_dir)
    except StudyDataError as exc:
        raise RunError(f"the study data in {data_dir} break the data contract:\n{exc}") from exc
    (staging / "validation.md").write_text(report.format() + "\n", encoding="utf-8")
    write_adam(derive_adam(study, params["exclude_out_of_window"]), staging / "adam")


def declared_parameters(notebook: str) -> tuple[str, ...]:
    """Names assigned in the notebook's cell tagged `parameters`, in order (the names that
    papermill.inspect_notebook reports), read with json + ast: importing papermill here would
    cost the run seconds (nbformat -> jsonschema) before any notebook can start."""
    cells = json.loads(notebook_source(notebook).read_text(encoding="utf-8"))["cells"]
    source = next(
        ("".join(c["source"]) for c in cells if "parameters" in c["metadata"].get("tags", ())),
        "",
    )
    names = [
        target.id
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    return tuple(dict.fromkeys(names))


def notebook_parameters(notebook: str, params: RunParams) -> dict[str, Any]:
    """The parameters injected into one notebook: the run params that its `parameters` cell
    declares, plus the folder paths (relative to the run folder, where it executes)."""
    paths = {
        "adam_dir": "adam",
        "tables_dir": f"tables/{notebook}",
        "figures_dir": f"figures/{notebook}",
    }
    return {
        name: paths[name] if name in paths else params[name]
        for name in declared_parameters(notebook)
        if name in paths or name in params.values
    }


#: in a notebook worker: the run folder, the kernel server's socket (None: kernels start as
#: usual) and the next notebook's kernel, started before its notebook is known (_start_worker)
_worker: dict[str, Any] = {}


def _start_worker(run_dir: str, kernel_server: str | None) -> None:
    """Notebook worker initializer: start the worker's first kernel at once, while the run still
    derives the data."""
    from multiprocessing.util import Finalize

    _worker.update(run_dir=run_dir, kernel_server=kernel_server)
    _worker["kernel"] = _start_kernel()
    Finalize(None, _stop_unused_kernel, exitpriority=10)  # run when the worker exits


def _start_kernel() -> tuple[Any, Path] | None:
    """A started kernel (forked by the kernel server when there is one) and its log, the
    kernel's stderr (start-up warnings, crashes); None when it could not start (papermill then
    starts one as usual)."""
    from jupyter_client.manager import KernelManager

    from helpers.kernel_server import forked_kernel_manager

    log = Path(_worker["run_dir"], "logs", f".kernel-{os.getpid()}-{time.monotonic_ns()}.log")
    log.parent.mkdir(exist_ok=True)
    try:
        with open(log, "w", encoding="utf-8") as stderr:
            server = _worker["kernel_server"]
            manager = (forked_kernel_manager(KERNEL, server) if server
                       else KernelManager(kernel_name=KERNEL))
            manager.start_kernel(cwd=_worker["run_dir"], stderr=stderr)
    except Exception:
        log.unlink(missing_ok=True)
        return None
    return manager, log


def _stop_unused_kernel() -> None:
    """Worker exit: shut down a started kernel that no notebook used, and drop its log."""
    if kernel := _worker.pop("kernel", None):
        manager, log = kernel
        manager.shutdown_kernel(now=True)
        log.unlink(missing_ok=True)


def _execute_notebook(source: str, notebook: str, parameters: dict[str, Any]) -> str:
    """Execute the notebook at source into run_dir/notebooks/<notebook>.ipynb (runs in a worker
    process), on the kernel the worker started for it or on a new one. What the kernel writes to
    stderr goes to run_dir/logs/<notebook>.log."""
    import papermill

    run_dir = _worker["run_dir"]
    for name in ("tables_dir", "figures_dir"):
        if name in parameters:
            Path(run_dir, parameters[name]).mkdir(parents=True, exist_ok=True)
    log = Path(run_dir, "logs", f"{notebook}.log")
    kernel = _worker.pop("kernel", None) or _start_kernel()
    if kernel is None:
        with open(log, "w", encoding="utf-8") as stderr:
            os.dup2(stderr.fileno(), 2)  # inherited by the kernel papermill starts
    try:
        papermill.execute_notebook(
            source,
            str(Path(run_dir, "notebooks", f"{notebook}.ipynb")),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=run_dir,
            progress_bar=False,
            log_output=False,
            **({"km": kernel[0]} if kernel else {}),
        )
    finally:
        if kernel:
            kernel[0].shutdown_kernel(now=True)
            kernel[1].replace(log)
    return notebook


def _notebook_outputs(notebook: str) -> tuple[str, ...]:
    """Files of a run folder that belong to one notebook step: its executed copy, its log and
    the tables/figures folders it declares."""
    folders = tuple(
        f"{name.removesuffix('_dir')}/{notebook}"
        for name in ("tables_dir", "figures_dir")
        if name in declared_parameters(notebook)
    )
    return (f"notebooks/{notebook}.ipynb", *folders, f"logs/{notebook}.log")


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


def _check_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        raise RunError(
            f"the Jupyter kernel {KERNEL!r} is not installed; run `make setup` or `"
            + python_command(f"-m ipykernel install --sys-prefix --name {KERNEL}") + "`"
        )


def _worker_context() -> BaseContext:
    """Notebook workers fork from a server process that imported papermill once (a clean
    process, no threads). Called at the start of a run, so that the server's imports (seconds)
    overlap the data and derive steps instead of delaying the first notebook."""
    from multiprocessing import forkserver, get_context

    context = get_context("forkserver")
    context.set_forkserver_preload(["papermill", "helpers.runner"])
    forkserver.ensure_running()
    return context


@dataclass
class _NotebookWorkers:
    """Notebook worker processes and the kernel server that forks their kernels (if any)."""

    pool: ProcessPoolExecutor
    kernel_server: KernelServer | None

    def shutdown(self, cancel_futures: bool = False) -> None:
        """Wait for the notebooks that have started (all, unless cancel_futures), then end the
        workers and the kernel server."""
        self.pool.shutdown(cancel_futures=cancel_futures)
        if self.kernel_server is not None:
            self.kernel_server.close()


def _notebook_workers(staging: Path, workers: int) -> _NotebookWorkers:
    """Notebook worker processes, started now, each starting its first kernel (_start_worker);
    started before the derive step, their kernels get ready while the data are derived. On
    Linux the kernels are forked by one kernel server (helpers.kernel_server), which imports the
    notebooks' modules once for all of them."""
    from concurrent.futures import ProcessPoolExecutor

    from helpers.kernel_server import KernelServer, can_fork

    _check_kernel()
    server = KernelServer(KERNEL) if can_fork(KERNEL) else None
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=_worker_context(), initializer=_start_worker,
        initargs=(str(staging), server and server.socket_path),
    )
    for _ in range(workers):  # a pool starts its workers with its first tasks
        pool.submit(int)
    return _NotebookWorkers(pool, server)


@contextmanager
def _notebooks_running(
    todo: dict[str, dict[str, Any]], staging: Path, workers: _NotebookWorkers | None,
    progress: Callable[[str], None],
) -> Iterator[None]:
    """Execute notebooks in the worker processes while the with-block runs in this process
    (which would otherwise only wait); on leaving the block, wait for them, shut the workers
    down and raise RunError naming the first failure."""
    from concurrent.futures import as_completed

    from tqdm import tqdm

    if workers is None or not todo:
        if workers is not None:
            workers.shutdown()
        yield
        return
    (staging / "notebooks").mkdir(exist_ok=True)
    futures = {
        workers.pool.submit(_execute_notebook, str(notebook_source(nb)), nb, arguments): nb
        for nb, arguments in todo.items()
    }
    try:
        yield
        bar = tqdm(total=len(futures), desc="[4/7 notebooks]", unit="nb", file=sys.stdout)
        for future in as_completed(futures):
            notebook = futures[future]
            try:
                future.result()
            except Exception as exc:  # papermill reports the failing cell and its error
                raise RunError(f"notebook {notebook} failed: {exc}") from exc
            bar.update(1)
            progress(notebook)
        bar.close()
    except BaseException:
        workers.shutdown(cancel_futures=True)  # waits only for the notebooks already started
        raise
    workers.shutdown()


def _results(staging: Path, params: RunParams) -> str:
    """key_results.csv, reproduction.csv/.md; returns the reproduction summary line.

    The reproduction check reads key_results.csv back, so it judges exactly what was written."""
    import pandas as pd

    from helpers.derive import read_adam
    from helpers.key_results import KeyResultSettings, compute_key_results, write_key_results
    from helpers.reproduction import (
        read_published,
        reproduction_table,
        summary_line,
        write_reproduction,
    )

    settings = KeyResultSettings(
        efficacy_population=params["population"],
        country=params["country"],
        **params["sample_size"],
    )
    key_results = compute_key_results(read_adam(staging / "adam"), settings)
    write_key_results(key_results, staging / "key_results.csv")
    written = pd.read_csv(staging / "key_results.csv", dtype=str, keep_default_na=False)
    table = reproduction_table(written, read_published())
    write_reproduction(table, staging)
    return summary_line(table)


def _countries(adam_dir: Path) -> set[str]:
    """The countries of the enrolled patients (ADSL COUNTRY), read without the ADaM stack."""
    import csv

    with (adam_dir / "adsl.csv").open(encoding="utf-8", newline="") as f:
        return {row["COUNTRY"] for row in csv.DictReader(f) if row["COUNTRY"]}


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


def _old(run_dir: Path) -> Path:
    return run_dir.with_name(f".{run_dir.name}.old")


def _swap_into_place(staging: Path, run_dir: Path) -> None:
    """Replace run_dir by staging with two renames (the old run is removed only afterwards; put
    back when the second rename fails)."""
    old = _old(run_dir)
    shutil.rmtree(old, ignore_errors=True)
    if run_dir.exists():
        run_dir.rename(old)
    try:
        staging.rename(run_dir)
    except BaseException:
        if old.exists() and not run_dir.exists():
            old.rename(run_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _clean_up_killed_run(run_dir: Path, staging: Path) -> None:
    """What a killed run (kill -9) leaves behind: its staging folder is removed, and a previous
    output it had moved aside to swap in its own is put back."""
    shutil.rmtree(staging, ignore_errors=True)
    old = _old(run_dir)
    if old.exists() and not run_dir.exists():
        old.rename(run_dir)
    shutil.rmtree(old, ignore_errors=True)


def _failed_folder(run_dir: Path) -> Path:
    """Where a failed run of run_dir keeps its partial output and error.txt."""
    return run_dir.with_name(f"{run_dir.name}.failed")


# --- the run -----------------------------------------------------------------------------------
def run(
    params: RunParams, output_root: Path, *, force: bool = False, jobs: int | None = None
) -> RunResult:
    """Run every step for params into output_root/<run name>; see the module docstring."""
    started = _CLOCK["start"] = time.perf_counter()
    run_dir = Path(output_root) / params.name
    staging = run_dir.with_name(f".{run_dir.name}.staging")
    _clean_up_killed_run(run_dir, staging)
    previous = {} if force else _previous_steps(run_dir)
    whole = run_key(params)
    if previous.get("run") == whole and run_dir.is_dir():
        summary = json.loads((run_dir / "provenance.json").read_text(encoding="utf-8"))["summary"]
        _say(
            "run", f"nothing changed since the last run: {run_dir} is up to date (--force rebuilds)"
        )
        shutil.rmtree(_failed_folder(run_dir), ignore_errors=True)
        return RunResult(run_dir, (), ("all",), summary, time.perf_counter() - started)

    run_dir.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir()
    executed: list[str] = []
    reused: list[str] = []
    workers: _NotebookWorkers | None = None
    step = "2/7 data"
    try:
        _say("1/7 params", f"{params.path} ok (run {params.name!r})")
        _worker_context()  # its imports now overlap the data and derive steps
        data_dir, data_source = _prepare_data(params, staging)
        data_files = data_file_hashes(data_dir)
        _say(step, f"{data_source}: {len(data_files)} files")

        step = "3/7 derive"
        code = code_key()
        keys = {"derive": _digest([data_files, params["exclude_out_of_window"], code])}
        derive_outputs = ("adam", "validation.md")
        jobs = jobs or min(4, os.cpu_count() or 1)
        if previous.get("derive") == keys["derive"] and _has_outputs(derive_outputs, run_dir):
            _copy_outputs(derive_outputs, run_dir, staging)
            reused.append("derive")
            _say(step, "unchanged: analysis datasets reused")
        else:  # new analysis datasets: every notebook will run; their kernels start meanwhile
            workers = _notebook_workers(staging, min(jobs, len(NOTEBOOKS)))
            _derive(data_dir, params, staging)
            executed.append("derive")
            _say(step, "data valid; analysis datasets written to adam/")

        check_country(params, _countries(staging / "adam"))

        step = "4/7 notebooks"
        adam_hashes = sha256_folder(staging / "adam")
        todo: dict[str, dict[str, Any]] = {}
        for notebook in NOTEBOOKS:
            parameters = notebook_parameters(notebook, params)
            source = sha256_file(notebook_source(notebook))
            keys[notebook] = _digest([source, parameters, adam_hashes, code])
            outputs = _notebook_outputs(notebook)
            if previous.get(notebook) == keys[notebook] and _has_outputs(outputs, run_dir):
                _copy_outputs(outputs, run_dir, staging)
                reused.append(notebook)
            else:
                todo[notebook] = parameters
        if len(todo) < len(NOTEBOOKS):
            _say(step, f"unchanged, reused: {', '.join(n for n in NOTEBOOKS if n not in todo)}")
        if workers is None and todo:
            workers = _notebook_workers(staging, min(jobs, len(todo)))
        with _notebooks_running(todo, staging, workers, executed.append):
            step = "5/7 results"  # needs only adam/: computed here while the notebooks run
            summary = _results(staging, params)
            step = "4/7 notebooks"
        _say("5/7 results", f"key_results.csv, reproduction.csv: {summary}")

        step = "6/7 record"
        from helpers.provenance import provenance_record, write_json

        keys["run"] = whole
        write_json(
            provenance_record(params.path, data_files, data_source, keys, summary),
            staging / "provenance.json",
        )
        shutil.copy2(params.path, staging / "params.yaml")
        _say(step, "provenance.json")

        step = "7/7 report"
        if params["render"]:
            from helpers.manuscript import render

            render(staging, display_dir=run_dir)

        step = "swap"  # the new output replaces the previous one
        _swap_into_place(staging, run_dir)
    except Exception as exc:
        if workers is not None:
            workers.shutdown(cancel_futures=True)
        failed = _failed_folder(run_dir)
        shutil.rmtree(failed, ignore_errors=True)
        staging.rename(failed)
        story = _failure_story(step, exc, failed)
        raise RunError(
            f"step {step} failed: {exc}\n{run_dir} was left as it was; why this run failed: "
            f"{story} (its partial output is in {failed})"
        ) from exc

    shutil.rmtree(_failed_folder(run_dir), ignore_errors=True)
    seconds = time.perf_counter() - started
    _say("done", f"{summary}; output in {run_dir}")
    return RunResult(run_dir, tuple(executed), tuple(reused), summary, seconds)
