"""The run's notebooks: the stored sources it executes, the parameters each declares and
receives, the files each writes, and their execution with papermill's standard engine on the
kernels started for them (helpers.pipeline.kernels), in parallel threads of the run process."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from helpers.pipeline.errors import RunError
from helpers.pipeline.kernels import KERNEL, Kernels
from helpers.pipeline.params import RunParams
from helpers.pipeline.progress import bar
from helpers.pipeline.provenance import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = ("01-disposition", "02-patient-outcomes", "03-caregiver-outcomes", "04-safety",
             "05-sensitivity")
#: parameters that name the folders a notebook writes to
OUTPUT_PARAMETERS = ("tables_dir", "figures_dir", "ard_dir")


#: parameters that locate files; given to every notebook, relative to the run folder
PATH_PARAMETERS = ("adam_dir", *OUTPUT_PARAMETERS)



def notebook_source(notebook: str) -> Path:
    """The stored notebook (without outputs) that a run executes."""
    return NOTEBOOK_DIR / f"{notebook}.ipynb"


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


def notebook_outputs(notebook: str) -> tuple[str, ...]:
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


def execute_notebook(
    notebook: str, parameters: dict[str, Any], run_dir: Path, kernels: Kernels
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


def run_notebooks(
    todo: dict[str, dict[str, Any]], staging: Path, kernels: Kernels | None, jobs: int,
    step: str,
) -> None:
    """Execute the notebooks of todo (name -> parameters) on their kernels, `jobs` at a time in
    threads of this process (papermill waits on its kernel, which does the work), with a
    progress bar labelled `step`; raise RunError naming the first failure. Every kernel is shut
    down on return, whatever happened."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    if kernels is None or not todo:
        return
    (staging / "notebooks").mkdir(exist_ok=True)
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook")
    futures = {
        pool.submit(execute_notebook, nb, arguments, staging, kernels): nb
        for nb, arguments in todo.items()
    }
    try:
        done = bar(step, len(futures), "nb")
        for future in as_completed(futures):
            notebook = futures[future]
            try:
                future.result()
            except Exception as exc:  # papermill reports the failing cell and its error
                raise RunError(f"notebook {notebook} failed: {exc}") from exc
            done.update(1)
        done.close()
    finally:  # waits for the notebooks already started; the others are cancelled
        pool.shutdown(cancel_futures=True)
        kernels.close()
