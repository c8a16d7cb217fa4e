"""The steps of a run, declared as data: each step's name, the units it keys (one content key
each, recorded in provenance.json "steps"), the inputs each key covers, the run-folder files each
unit writes, and the action that does the work. helpers.pipeline.runner walks STEPS in order.

  1 params    validate the params file (helpers.pipeline.params)
  2 data      generate the synthetic cohort or hash the given study data folder
  3 derive    validate the data and derive the analysis datasets once (adam/); key "derive"
  4 notebooks execute the five notebooks with papermill's standard engine, in parallel, each on
              an ordinary `reality` kernel started early (a cold run: during step 2; else
              during step 3; logs/<notebook>.log: its stderr); one key per notebook. With
              disclosure control (params `disclosure.min_cell`) every notebook runs twice
              (helpers.results.disclosure_audit.control_run): the whole run's ARD is suppressed
              once the first pass wrote it, the second pass shows those decisions in every view,
              then ard/ is rewritten as it may be published; no notebook is reused
  5 results   key_results.csv (a selection of the notebooks' ard/ rows, a suppressed one as its
              marker) and the reproduction check
  6 record    provenance.json and the run's params.yaml
  7 report    render the manuscript (or its HTML preview), when params `render`; key "report"
    audit     with disclosure control only: disclosure.md, and the scan of every written output
              for a count below min_cell shown as a number; a leak fails the run, naming the file

A unit whose key equals the previous run's and whose outputs the previous run folder holds is
reused (its outputs copied); the others are given to the step's action. Why a unit ran again is
answered from the same data: its key digests exactly the inputs of its step (INPUTS says what
each is), and `helpers diff` shows which data files, params, code files and keys differ.
"""

from __future__ import annotations

import importlib
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers.pipeline import keys, provenance
from helpers.pipeline.errors import RunError
from helpers.pipeline.folders import REPORT_DIR
from helpers.pipeline.kernels import Kernels
from helpers.pipeline.notebooks import (
    NOTEBOOKS,
    notebook_outputs,
    notebook_parameters,
    notebook_source,
    run_notebooks,
)
from helpers.pipeline.params import RunParams, check_country
from helpers.pipeline.progress import say
from helpers.pipeline.provenance import sha256_file, sha256_folder
from helpers.report.article import fill_run_captions

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunState:
    """What the steps of one run share: its params and folders, the previous run's step keys,
    the keys so far, the units executed and reused, the kernels started for the notebooks, and
    what the steps found (the data's source and file hashes, the reproduction summary, the
    whole run's suppressed ARD with its values when disclosure control is on)."""

    params: RunParams
    run_dir: Path
    staging: Path
    previous: dict[str, Any]
    run_key: str
    jobs: int
    keys: dict[str, str] = field(default_factory=dict)
    executed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    kernels: Kernels | None = None
    data_dir: Path | None = None
    data_source: str = ""
    data_files: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    suppressed: pd.DataFrame | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def min_cell(self) -> int | None:
        """The params' disclosure threshold (`disclosure.min_cell`); None: disclosure control
        off (the run has no second notebook pass and no audit)."""
        return self.params["disclosure"]["min_cell"]

    def once(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value computed once per run (the code key, the analysis datasets' hashes)."""
        if name not in self.facts:
            self.facts[name] = compute()
        return self.facts[name]


#: what a content key can cover: input name -> its value for (run, unit)
INPUTS: dict[str, Callable[[RunState, str], Any]] = {
    # SHA-256 of every study data file, by name (helpers.pipeline.keys.data_file_hashes)
    "data files": lambda state, unit: state.data_files,
    "exclude_out_of_window": lambda state, unit: state.params["exclude_out_of_window"],
    # the text encoding of the XPT files (params data_encoding)
    "data_encoding": lambda state, unit: state.params["data_encoding"],
    # the helper code and the lock file (helpers.pipeline.keys.code_key)
    "code": lambda state, unit: state.once("code", keys.code_key),
    # SHA-256 of the stored notebook that the unit executes
    "notebook": lambda state, unit: sha256_file(notebook_source(unit)),
    # the parameters injected into it (helpers.pipeline.notebooks.notebook_parameters)
    "notebook parameters": lambda state, unit: notebook_parameters(unit, state.params),
    # SHA-256 of every analysis dataset file of the run
    "adam": lambda state, unit: state.once("adam", lambda: sha256_folder(state.staging / "adam")),
    # everything the render reads (helpers.pipeline.keys.report_key; stages the manuscript)
    "manuscript": lambda state, unit: keys.report_key(state.staging),
}


@dataclass(frozen=True)
class Step:
    """One step: `name` as progress lines and errors print it; `enabled(run)`: whether the run
    has this step at all; `units(run)`: the names of its keyed units (none: the step runs every
    time, unkeyed); `inputs`: what each unit's key digests, in this order (INPUTS);
    `outputs(unit)`: the run-folder files the unit writes; `action(run, todo)`: the work, given
    the units to execute (the others were reused); `reusable(run)`: whether a unit whose key is
    unchanged may be reused at all in this run."""

    name: str
    action: Callable[[RunState, tuple[str, ...]], None]
    enabled: Callable[[RunState], bool] = lambda state: True
    units: Callable[[RunState], tuple[str, ...]] = lambda state: ()
    inputs: tuple[str, ...] = ()
    outputs: Callable[[str], tuple[str, ...]] = lambda unit: ()
    reusable: Callable[[RunState], bool] = lambda state: True

    def key(self, state: RunState, unit: str) -> str:
        """The unit's content key: SHA-256 of its inputs' values, in the order declared."""
        return keys.digest([INPUTS[name](state, unit) for name in self.inputs])


# --- the actions ---------------------------------------------------------------------------------
def _check_params(state: RunState, todo: tuple[str, ...]) -> None:
    """The params were validated when loaded (helpers.pipeline.params.load_params): say so."""
    say("1/7 params", f"{state.params.path} ok (run {state.params.name!r})")


def _prepare_data(state: RunState, todo: tuple[str, ...]) -> None:
    """The study data folder to read: the synthetic cohort written into the staging folder, or
    the given folder; its files hashed. A cold run (no previous run) starts every notebook's
    kernel and imports papermill meanwhile, before the derive step may fork its workers."""
    params = state.params
    cold = not state.previous
    if cold:
        state.kernels = Kernels(NOTEBOOKS, state.staging)
        importer = threading.Thread(target=importlib.import_module, args=("papermill",))
        importer.start()
    if params.uses_synthetic_data:
        from helpers.synth import write_synthetic_cohort

        seed, n = params["synthetic"]["seed"], params["synthetic"]["n"]
        folder = state.staging / "data"
        write_synthetic_cohort(folder, seed=seed, n=n)
        state.data_source = f"synthetic cohort (seed {seed}, n {n})"
    else:
        folder = Path(params["data"]).resolve()
        state.data_source = str(folder)
    if cold:
        importer.join()
    state.data_files = keys.data_file_hashes(folder)
    state.data_dir = folder
    say("2/7 data", f"{state.data_source}: {len(state.data_files)} files")


def _derive(state: RunState, todo: tuple[str, ...]) -> None:
    """Validate the study data (stop on any error) and write adam/ and validation.md; the
    notebooks' kernels start meanwhile. Then the params' country must be one of ADSL's."""
    if todo:
        from helpers.adam.derive import derive_adam, write_adam
        from helpers.data.load import StudyDataError, load_study

        state.kernels = state.kernels or Kernels(NOTEBOOKS, state.staging)
        try:
            study, report = load_study(state.data_dir, state.params["data_encoding"])
        except StudyDataError as exc:
            raise RunError(
                f"the study data in {state.data_dir} break the data contract:\n{exc}"
            ) from exc
        (state.staging / "validation.md").write_text(report.format() + "\n", encoding="utf-8")
        write_adam(derive_adam(study, state.params["exclude_out_of_window"]),
                   state.staging / "adam")
    check_country(state.params, _countries(state.staging / "adam"))
    say("3/7 derive", "data valid; analysis datasets written to adam/" if todo
        else "unchanged: analysis datasets reused")


def _countries(adam_dir: Path) -> set[str]:
    """The countries of the enrolled patients (ADSL COUNTRY), read without the ADaM stack."""
    import csv

    with (adam_dir / "adsl.csv").open(encoding="utf-8", newline="") as f:
        return {row["COUNTRY"] for row in csv.DictReader(f) if row["COUNTRY"]}


def _run_notebooks(state: RunState, todo: tuple[str, ...]) -> None:
    """Execute the notebooks of todo on their kernels (started now when none were); shut down
    the kernels of the reused ones. With disclosure control, then the run's disclosure step
    (helpers.results.disclosure_audit.control_run): decide over the whole run's ARD, execute
    every notebook again on fresh kernels (its views now show the whole run's decisions),
    publish ard/; the suppressed ARD is kept for the audit."""
    if len(todo) < len(NOTEBOOKS):
        reused = ", ".join(n for n in NOTEBOOKS if n not in todo)
        say("4/7 notebooks", f"unchanged, reused: {reused}")
    if state.kernels is None and todo:
        state.kernels = Kernels(todo, state.staging)
    elif state.kernels is not None:
        state.kernels.keep_only(todo)
    parameters = {notebook: notebook_parameters(notebook, state.params) for notebook in todo}
    run_notebooks(parameters, state.staging, state.kernels, state.jobs, "4/7 notebooks")
    if state.min_cell is not None:
        from helpers.results.disclosure_audit import control_run

        def second_pass() -> None:
            state.kernels = Kernels(todo, state.staging)
            run_notebooks(parameters, state.staging, state.kernels, state.jobs,
                          "4/7 notebooks, disclosure decided")

        state.suppressed = control_run(state.staging, state.min_cell,
                                       state.params["disclosure"]["ard_inside"], second_pass)
        rules = state.suppressed["suppression"].value_counts()
        say("4/7 notebooks", f"disclosure control (min_cell {state.min_cell}): "
            f"{int(state.suppressed['suppressed'].sum())} of {len(state.suppressed)} ARD rows "
            f"suppressed ({rules.get('primary', 0)} primary, "
            f"{rules.get('secondary', 0)} secondary)")
    executed = [state.staging / "notebooks" / f"{notebook}.ipynb" for notebook in todo]
    fill_run_captions(state.staging, executed, state.params)  # the record shows the real N


def _results(state: RunState, todo: tuple[str, ...]) -> None:
    """key_results.csv, reproduction.csv/.md; the reproduction summary line kept for the record.

    The reproduction check reads key_results.csv back, so it judges exactly what was written;
    a run on a subset (params population, country) says which figures it cannot compare."""
    import pandas as pd

    from helpers.analysis.ard import read_ard
    from helpers.analysis.disclosure import marked
    from helpers.results.key_results import ledger_rows, select_key_results, write_key_results
    from helpers.results.reproduction import (
        read_published,
        reproduction_table,
        summary_line,
        write_reproduction,
    )

    staging, params = state.staging, state.params
    data = state.data_source if params.uses_synthetic_data else (
        f"the study data folder {state.data_source} (SHA-256 of its files: "
        f"{keys.digest(state.data_files)})")
    results = marked(read_ard(staging / "ard"), state.min_cell)
    write_key_results(select_key_results(results), staging / "key_results.csv")
    written = pd.read_csv(staging / "key_results.csv", dtype=str, keep_default_na=False)
    table = reproduction_table(written, read_published(), ledger_rows(results),
                               params["population"], params["country"])
    write_reproduction(table, staging, data, synthetic=params.uses_synthetic_data)
    state.summary = summary_line(table)
    say("5/7 results", f"key_results.csv, reproduction.csv: {state.summary}")


def _write_record(state: RunState) -> None:
    """provenance.json of the staging folder, with the keys so far and the whole run's key."""
    provenance.write_json(
        provenance.provenance_record(
            state.params.path, state.data_files, state.data_source,
            {**state.keys, "run": state.run_key}, state.summary,
            keys.glob_hashes(keys.CODE_FILES),
        ),
        state.staging / "provenance.json",
    )


def _record(state: RunState, todo: tuple[str, ...]) -> None:
    """provenance.json and a copy of the params file as params.yaml."""
    _write_record(state)
    shutil.copy2(state.params.path, state.staging / "params.yaml")
    say("6/7 record", "provenance.json")


def _report(state: RunState, todo: tuple[str, ...]) -> None:
    """Render the manuscript (helpers.pipeline.render) unless its key is unchanged (its report/
    reused), then write provenance.json again with the report's key."""
    if not todo:
        say("7/7 report", f"unchanged: {REPORT_DIR}/ reused")
    else:
        from helpers.pipeline import render

        result = render.render(state.staging, display_dir=state.run_dir)
        say("7/7 report", ", ".join(str(path) for path in result.shown))
    _write_record(state)


def _audit(state: RunState, todo: tuple[str, ...]) -> None:
    """The disclosure audit, the last step of a run with disclosure control, after everything
    else is written (the report too, when rendered): disclosure.md, then the scan of every
    written output (helpers.results.disclosure_audit.audit_run); a count below min_cell shown
    as a number raises DisclosureLeak naming each file and place, and the run fails."""
    from helpers.results.disclosure_audit import audit_run

    assert state.min_cell is not None and state.suppressed is not None
    path = audit_run(state.staging, state.suppressed, state.min_cell,
                     ard_inside=state.params["disclosure"]["ard_inside"])
    say("audit", f"{path.name}: no count from 1 to {state.min_cell - 1} in any written output")


STEPS: tuple[Step, ...] = (
    Step("1/7 params", _check_params),
    Step("2/7 data", _prepare_data),
    Step("3/7 derive", _derive, units=lambda state: ("derive",),
         inputs=("data files", "exclude_out_of_window", "data_encoding", "code"),
         outputs=lambda unit: ("adam", "validation.md")),
    Step("4/7 notebooks", _run_notebooks, units=lambda state: NOTEBOOKS,
         inputs=("notebook", "notebook parameters", "adam", "code"), outputs=notebook_outputs,
         reusable=lambda state: state.min_cell is None),
    Step("5/7 results", _results),
    Step("6/7 record", _record),
    Step("7/7 report", _report, enabled=lambda state: state.params["render"],
         units=lambda state: ("report",), inputs=("manuscript",),
         outputs=lambda unit: (REPORT_DIR,)),
    Step("audit", _audit, enabled=lambda state: state.min_cell is not None),
)
