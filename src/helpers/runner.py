"""`.venv/bin/python -m helpers run params/<name>.yaml`: the whole job, atomic and incremental.

Steps (each prints one progress line):
  1 params    validate the params file (helpers.params)
  2 data      generate the synthetic cohort or hash the given study data folder
  3 derive    validate the data and derive the analysis datasets once (adam/)
  4 notebooks execute the four notebooks with papermill's standard engine, in parallel, each on
              an ordinary `reality` kernel started early (a cold run: during step 2; else
              during step 3; logs/<notebook>.log: its stderr)
  5 results   key_results.csv (a selection of the notebooks' ard/ rows) and the reproduction
              check
  6 record    provenance.json
  7 report    render the manuscript (or its HTML preview); the previous report is reused
              when nothing the render reads has changed (helpers.manuscript.report_key)

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
import importlib
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers.commands import python_command
from helpers.folders import aside, swap_in
from helpers.params import RunParams, check_country
from helpers.provenance import REPO_ROOT, sha256_file, sha256_folder

if TYPE_CHECKING:
    from jupyter_client.manager import KernelManager

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = ("01-disposition", "02-patient-outcomes", "03-caregiver-outcomes", "04-safety")
KERNEL = "reality"
#: files whose content decides every step's result besides its own inputs
CODE_FILES = ("src/helpers/**/*.py", "requirements.lock")
#: what the manuscript reads from the repository (helpers.manuscript.SOURCES + published.yaml)
MANUSCRIPT_FILES = ("_quarto.yml", "index.qmd", "references.bib", "vancouver.csl",
                    "_typst-tables.typ", "vector-figures.lua", "report.css",
                    "study/published.yaml")
#: parameters that name the folders a notebook writes to
OUTPUT_PARAMETERS = ("tables_dir", "figures_dir", "ard_dir")
#: parameters that locate files; given to every notebook, relative to the run folder
PATH_PARAMETERS = ("adam_dir", *OUTPUT_PARAMETERS)


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
    from helpers.adam.derive import derive_adam, write_adam
    from helpers.data.load import StudyDataError, load_study

    try:
        study, report = load_study(data_dir, params["data_encoding"])
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
        "ard_dir": "ard",
    }
    return {
        name: paths[name] if name in paths else params[name]
        for name in declared_parameters(notebook)
        if name in paths or name in params.values
    }


class _Kernels:
    """Ordinary Jupyter kernels of the `reality` spec, one per notebook, started in the run
    folder before their notebooks run (while the data are generated or derived), each with the
    environment of the run and its stderr (start-up warnings, crashes) in logs/<notebook>.log."""

    def __init__(self, notebooks: Iterable[str], run_dir: Path) -> None:
        from jupyter_client.manager import KernelManager

        _check_kernel()
        (run_dir / "logs").mkdir(exist_ok=True)
        self._run_dir = run_dir
        self._managers: dict[str, KernelManager] = {}
        for notebook in notebooks:
            manager = KernelManager(kernel_name=KERNEL)
            with open(self._log(notebook), "w", encoding="utf-8") as stderr:
                manager.start_kernel(cwd=str(run_dir), stderr=stderr)
            self._managers[notebook] = manager

    def _log(self, notebook: str) -> Path:
        return self._run_dir / "logs" / f"{notebook}.log"

    def take(self, notebook: str) -> KernelManager:
        """The notebook's kernel, handed over (whoever takes it shuts it down)."""
        return self._managers.pop(notebook)

    def keep_only(self, notebooks: Iterable[str]) -> None:
        """Shut down the kernels of the other notebooks (reused, not executed) and drop their
        logs, so that the reused outputs bring their own."""
        for notebook in set(self._managers) - set(notebooks):
            self.take(notebook).shutdown_kernel(now=True)
            self._log(notebook).unlink()

    def close(self) -> None:
        """Shut down every kernel not handed over (a run that stopped before its notebooks)."""
        for notebook in list(self._managers):
            self.take(notebook).shutdown_kernel(now=True)


def _execute_notebook(
    notebook: str, parameters: dict[str, Any], run_dir: Path, kernels: _Kernels
) -> None:
    """Execute the stored notebook with papermill's standard engine on its started kernel into
    run_dir/notebooks/<notebook>.ipynb; the kernel is shut down afterwards, whatever happened."""
    import papermill

    kernel = kernels.take(notebook)
    try:
        for name in OUTPUT_PARAMETERS:
            if name in parameters:
                Path(run_dir, parameters[name]).mkdir(parents=True, exist_ok=True)
        # no cwd=: papermill would chdir this whole process (its threads race); the kernel
        # already works in run_dir, started so
        papermill.execute_notebook(
            str(notebook_source(notebook)),
            str(run_dir / "notebooks" / f"{notebook}.ipynb"),
            parameters=parameters,
            kernel_name=KERNEL,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,  # written once, when it has run
            km=kernel,
        )
    finally:
        kernel.shutdown_kernel(now=True)


def _notebook_outputs(notebook: str) -> tuple[str, ...]:
    """Files of a run folder that belong to one notebook step: its executed copy, its log and
    the tables/figures folders and the analysis results (ard/<notebook>.csv) it declares."""
    declared = declared_parameters(notebook)
    folders = tuple(
        f"{name.removesuffix('_dir')}/{notebook}"
        for name in ("tables_dir", "figures_dir")
        if name in declared
    )
    results = (f"ard/{notebook}.csv",) if "ard_dir" in declared else ()
    return (f"notebooks/{notebook}.ipynb", *folders, *results, f"logs/{notebook}.log")


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


def _run_notebooks(
    todo: dict[str, dict[str, Any]], staging: Path, kernels: _Kernels | None, jobs: int,
    progress: Callable[[str], None],
) -> None:
    """Execute the notebooks of todo on their kernels, `jobs` at a time in threads of this
    process (papermill waits on its kernel, which does the work); raise RunError naming the
    first failure. Every kernel is shut down on return, whatever happened."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm import tqdm

    if kernels is None or not todo:
        return
    (staging / "notebooks").mkdir(exist_ok=True)
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook")
    futures = {
        pool.submit(_execute_notebook, nb, arguments, staging, kernels): nb
        for nb, arguments in todo.items()
    }
    try:
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
    finally:  # waits for the notebooks already started; the others are cancelled
        pool.shutdown(cancel_futures=True)
        kernels.close()


def _results(staging: Path, data: str, params: RunParams) -> str:
    """key_results.csv, reproduction.csv/.md; returns the reproduction summary line.

    The reproduction check reads key_results.csv back, so it judges exactly what was written;
    a run on a subset (params population, country) says which figures it cannot compare."""
    import pandas as pd

    from helpers.ard import read_ard
    from helpers.key_results import ledger_rows, select_key_results, write_key_results
    from helpers.reproduction import (
        read_published,
        reproduction_table,
        summary_line,
        write_reproduction,
    )

    results = read_ard(staging / "ard")
    key_results = select_key_results(results)
    write_key_results(key_results, staging / "key_results.csv")
    written = pd.read_csv(staging / "key_results.csv", dtype=str, keep_default_na=False)
    table = reproduction_table(written, read_published(), ledger_rows(results),
                               params["population"], params["country"])
    write_reproduction(table, staging, data)
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


def _swap_into_place(staging: Path, run_dir: Path) -> None:
    """Replace run_dir by staging (helpers.folders.swap_in: two renames, the previous output put
    back when the second fails)."""
    swap_in(staging, run_dir)


def _clean_up_killed_run(run_dir: Path, staging: Path) -> None:
    """What a killed run (kill -9) leaves behind: its staging folder is removed, and a previous
    output it had moved aside to swap in its own is put back."""
    shutil.rmtree(staging, ignore_errors=True)
    old = aside(run_dir)
    if old.exists() and not run_dir.exists():
        old.rename(run_dir)
    shutil.rmtree(old, ignore_errors=True)


def _failed_folder(run_dir: Path) -> Path:
    """Where a failed run of run_dir keeps its partial output and error.txt."""
    return run_dir.with_name(f"{run_dir.name}.failed")


def _report(
    staging: Path,
    run_dir: Path,
    previous: dict[str, Any],
    keys: dict[str, str],
    executed: Callable[[str], None],
    reused: Callable[[str], None],
) -> None:
    """Render the manuscript, or reuse the previous report when its key (manuscript.report_key:
    all that the render reads) is unchanged; the key joins `keys` (provenance.json steps)."""
    from helpers.manuscript import REPORT_DIR, render, report_key

    keys["report"] = report_key(staging)
    if previous.get("report") == keys["report"] and _has_outputs((REPORT_DIR,), run_dir):
        _copy_outputs((REPORT_DIR,), run_dir, staging)
        reused("report")
        _say("7/7 report", f"unchanged: {REPORT_DIR}/ reused")
    else:
        render(staging, display_dir=run_dir)
        executed("report")


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
    kernels: _Kernels | None = None
    step = "2/7 data"
    try:
        _say("1/7 params", f"{params.path} ok (run {params.name!r})")
        if not previous:  # a cold run executes every notebook: kernels and papermill load now
            kernels = _Kernels(NOTEBOOKS, staging)
            importer = threading.Thread(target=importlib.import_module, args=("papermill",))
            importer.start()
        data_dir, data_source = _prepare_data(params, staging)
        if not previous:
            importer.join()  # before the derive step may fork its block workers
        data_files = data_file_hashes(data_dir)
        _say(step, f"{data_source}: {len(data_files)} files")

        step = "3/7 derive"
        code = code_key()
        keys = {"derive": _digest([data_files, params["exclude_out_of_window"],
                                   params["data_encoding"], code])}
        derive_outputs = ("adam", "validation.md")
        jobs = jobs or len(NOTEBOOKS)  # threads that wait on kernels: all at once by default
        if previous.get("derive") == keys["derive"] and _has_outputs(derive_outputs, run_dir):
            _copy_outputs(derive_outputs, run_dir, staging)
            reused.append("derive")
            _say(step, "unchanged: analysis datasets reused")
        else:  # new analysis datasets: the notebooks will run; their kernels start meanwhile
            kernels = kernels or _Kernels(NOTEBOOKS, staging)
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
        if kernels is None and todo:
            kernels = _Kernels(todo, staging)
        elif kernels is not None:
            kernels.keep_only(todo)
        _run_notebooks(todo, staging, kernels, jobs, executed.append)
        step = "5/7 results"  # a selection of the notebooks' analysis results (ard/)
        data = data_source if params.uses_synthetic_data else (
            f"the study data folder {data_source} (SHA-256 of its files: {_digest(data_files)})")
        summary = _results(staging, data, params)
        _say("5/7 results", f"key_results.csv, reproduction.csv: {summary}")

        step = "6/7 record"
        from helpers.provenance import provenance_record, write_json

        keys["run"] = whole
        code_files = _glob_hashes(CODE_FILES)

        def record() -> None:
            write_json(
                provenance_record(params.path, data_files, data_source, keys, summary,
                                  code_files),
                staging / "provenance.json",
            )

        record()
        shutil.copy2(params.path, staging / "params.yaml")
        _say(step, "provenance.json")

        step = "7/7 report"
        if params["render"]:
            _report(staging, run_dir, previous, keys, executed.append, reused.append)
            record()  # with the report's key

        step = "swap"  # the new output replaces the previous one
        _swap_into_place(staging, run_dir)
    except Exception as exc:
        if kernels is not None:
            kernels.close()
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
