"""The run command end to end: outputs, determinism, incremental reruns, atomic failure, privacy.

Runs the real pipeline (synthetic cohort -> validation -> ADaM -> four notebooks -> key results
-> reproduction check -> provenance -> preview) a few times; marked slow.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from processes import processes_working_in, wait_for_exit

from helpers.pipeline.errors import RunError
from helpers.pipeline.notebooks import NOTEBOOKS
from helpers.pipeline.params import load_params
from helpers.pipeline.runner import run
from helpers.results.reproduction import read_published

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: outputs that must be the same bytes whenever data and params are the same
DETERMINISTIC = ("tables", "ard", "adam", "key_results.csv", "reproduction.csv", "reproduction.md")


def write_params(folder: Path, name: str = "trial", **changes: object) -> Path:
    values = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def file_hashes(folder: Path, names: tuple[str, ...] | None = None) -> dict[str, str]:
    """SHA-256 of every file below folder (or below the given names in it)."""
    roots = [folder / n for n in names] if names else [folder]
    files = [p for r in roots for p in ([r] if r.is_file() else sorted(r.rglob("*")))]
    files = [p for p in files if p.is_file()]
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two independent cold runs of the same params, then reruns of the first."""
    tmp = tmp_path_factory.mktemp("runs")
    params = write_params(tmp / "params")
    first = run(load_params(params), tmp / "out1")
    second = run(load_params(params), tmp / "out2")
    return {"tmp": tmp, "params": params, "first": first, "second": second}


def test_a_run_writes_every_output(runs):
    run_dir = runs["first"].run_dir
    for name in ("key_results.csv", "reproduction.csv", "reproduction.md", "provenance.json",
                 "validation.md", "params.yaml"):
        assert (run_dir / name).is_file(), name
    for notebook in NOTEBOOKS:
        assert (run_dir / "notebooks" / f"{notebook}.ipynb").is_file()
        executed = (run_dir / "notebooks" / f"{notebook}.ipynb").read_text()
        assert "{EFF}" not in executed and "{N:" not in executed, notebook  # captions filled
        assert any((run_dir / "tables" / notebook).glob("*.csv")) or notebook == "04-safety"
    for dataset in ("adsl", "adqs", "adae", "adtte"):
        assert (run_dir / "adam" / f"{dataset}.csv").is_file()
    assert any((run_dir / "figures").rglob("*.svg")) and any((run_dir / "figures").rglob("*.png"))
    assert (run_dir / "report").is_dir()
    # each notebook's kernel log
    logs = sorted(p.name for p in (run_dir / "logs").iterdir())
    assert logs == [f"{notebook}.log" for notebook in NOTEBOOKS]
    for log in (run_dir / "logs").iterdir():  # kernels over IPC: no warning about plain TCP
        assert "without encryption" not in log.read_text(), log.name


def test_a_kernel_started_early_runs_its_notebook_like_a_fresh_one(runs):
    """The kernels are started while the data are derived: no cell ran before the notebook's,
    so every notebook counts its cells from 1."""
    import json

    for notebook in NOTEBOOKS:
        cells = json.loads((runs["first"].run_dir / "notebooks" / f"{notebook}.ipynb").read_text())
        code = [c for c in cells["cells"] if c["cell_type"] == "code"]
        assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), notebook


def test_key_results_cover_every_published_id_and_the_check_judges_each(runs):
    run_dir = runs["first"].run_dir
    published = [f.id for f in read_published()]
    key_results = pd.read_csv(run_dir / "key_results.csv", dtype=str, keep_default_na=False)
    assert key_results["id"].tolist() == published
    check = pd.read_csv(run_dir / "reproduction.csv", dtype=str, keep_default_na=False)
    assert check["id"].tolist() == published
    assert set(check["verdict"]) <= {"match", "differs"}
    summary = f"{(check['verdict'] == 'match').sum()} of {len(check)} published figures reproduced"
    assert summary in (run_dir / "reproduction.md").read_text()


def _cell(run_dir: Path, table: str, key: str, row: str, column: str) -> str:
    """The text of one table cell: the row whose `key` column is `row`."""
    df = pd.read_csv(run_dir / "tables" / f"{table}.csv", dtype=str, keep_default_na=False)
    return df.loc[df[key].eq(row), column].item()


def test_every_key_result_is_its_ard_row_and_the_table_cell_that_shows_it(runs):
    """key_results.csv holds, for every id, the value of the ARD row KEY_RESULTS names (read
    here with plain pandas), and the tables show the same numbers (formatted)."""
    from helpers.report import tables
    from helpers.results.key_results import KEY_RESULTS, Row

    run_dir = runs["first"].run_dir
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False)
              for p in sorted((run_dir / "ard").glob("*.csv"))]
    results = pd.concat(frames, ignore_index=True)
    key = pd.read_csv(run_dir / "key_results.csv", dtype=str, keep_default_na=False)
    key = dict(zip(key["id"], key["value"], strict=True))
    values = {}
    for kid, entry in KEY_RESULTS.items():
        if not isinstance(entry, Row):
            continue
        wanted = {**entry.keys(), "stat": entry.stat}
        match = results.loc[(results[list(wanted)] == pd.Series(wanted)).all(axis=1), "value"]
        assert len(match) == 1 or entry.default is not None, kid
        value = float(match.item()) if len(match) else entry.default
        values[kid] = value
        if entry.when is None:
            assert key[kid] == f"{value:.10g}", kid
    ranks = results[results["analysis"].eq("ae_pt") & results["stat"].eq("rank")]
    top = ranks.assign(r=ranks["value"].astype(float)).sort_values("r")["level"].head(3)
    assert key["ae_top3"] == ", ".join(top)

    out = "02-patient-outcomes/tbl-outcomes-eos"
    assert _cell(run_dir, out, "Parameter", "FSMC total", "p") == tables.fmt_p(
        values["fsmc_chg_eos_p"])
    assert _cell(run_dir, out, "Parameter", "FSMC total", "Change, median (min, max)") == (
        tables.fmt_pair(values["fsmc_chg_eos_median"], values["fsmc_chg_eos_min"],
                        values["fsmc_chg_eos_max"]))
    assert _cell(run_dir, "01-disposition/tbl-disposition", "Status", "Enrolled",
                 "n (%)").startswith(f"{values['n_enrolled']:.0f} ")
    assert _cell(run_dir, "04-safety/tbl-ae-overview", "Category", "Severe", "Events") == (
        f"{values['n_severe_ae']:.0f}")
    assert _cell(run_dir, "02-patient-outcomes/tbl-relapses", "Period", "Year 1",
                 ">= 1 relapse, n (%)").endswith(f"({tables.fmt_num(values['relapse_pct_y1'])})")
    km = pd.read_csv(run_dir / "tables/02-patient-outcomes/tbl-fsmc-km.csv", dtype=str)
    assert km["Median months (95% CI)"].item().startswith(
        tables.fmt_num(values["fsmc_cri_months"]))


def test_the_default_synthetic_cohort_reproduces_every_published_figure(runs):
    check = pd.read_csv(runs["first"].run_dir / "reproduction.csv", dtype=str)
    differs = check.loc[check["verdict"] != "match", ["id", "published", "reproduced"]]
    assert differs.empty, f"not reproduced:\n{differs.to_string(index=False)}"


def test_provenance_records_inputs_and_software(runs):
    record = json.loads((runs["first"].run_dir / "provenance.json").read_text())
    files = {f"{name}.csv" for name in ("ae", "ce", "cg", "dm", "ex", "qs")}
    assert set(record["data"]["sha256"]) == files
    assert re.fullmatch(r"[0-9a-f]{64}", record["params"]["sha256"])
    assert record["packages"]["pandas"] == pd.__version__
    assert {"derive", *NOTEBOOKS, "run"} <= set(record["steps"])


def test_two_runs_give_byte_identical_results(runs):
    first = file_hashes(runs["first"].run_dir, DETERMINISTIC)
    second = file_hashes(runs["second"].run_dir, DETERMINISTIC)
    assert first == second


def test_nothing_changed_means_nothing_runs(runs):
    again = run(load_params(runs["params"]), runs["tmp"] / "out1")
    assert again.executed == ()
    assert again.summary == runs["first"].summary


def test_one_parameter_reruns_only_its_notebook_and_matches_a_full_rebuild(runs):
    tmp = runs["tmp"]
    # its own folder: the module's params file stays as the other tests expect it
    changed = write_params(tmp / "params-effect-size", sample_size={"effect_size": 0.35})
    incremental = run(load_params(changed), tmp / "out1")
    assert incremental.executed == ("01-disposition", "report")  # its table is in the report
    assert set(incremental.reused) == {"derive", *NOTEBOOKS[1:]}
    full = run(load_params(changed), tmp / "out2", force=True)
    assert set(full.executed) == {"derive", *NOTEBOOKS, "report"}
    assert file_hashes(incremental.run_dir, DETERMINISTIC) == file_hashes(
        full.run_dir, DETERMINISTIC
    )


def test_a_new_imputation_seed_changes_only_the_imputation_rows(runs):
    tmp = runs["tmp"]
    shutil.copytree(runs["first"].run_dir, tmp / "out-seed" / "trial")
    run_dir = tmp / "out-seed" / "trial"
    run(load_params(runs["params"]), tmp / "out-seed")  # as the module's params say
    kept = {r: tmp / "out-seed" / f"kept-{r}" for r in ("ard", "tables")}
    for name, copy in kept.items():
        shutil.copytree(run_dir / name, copy)
    changed = write_params(tmp / "params-seed", sensitivity={"seed": 7})
    rerun = run(load_params(changed), tmp / "out-seed")
    assert rerun.executed == ("05-sensitivity", "report")
    before = {f"{name}/{path}": digest for name, copy in kept.items()
              for path, digest in file_hashes(copy).items()}  # fmt: skip
    after = file_hashes(run_dir, tuple(kept))
    assert {name for name in before if before[name] != after[name]} == {
        "ard/05-sensitivity.csv", "tables/05-sensitivity/tbl-sensitivity.csv",
        "tables/05-sensitivity/tbl-sensitivity.md", "tables/05-sensitivity/tbl-tipping-point.csv",
        "tables/05-sensitivity/tbl-tipping-point.md"}
    old, new = (pd.read_csv(folder / "05-sensitivity.csv", dtype=str, keep_default_na=False)
                for folder in (kept["ard"], run_dir / "ard"))  # fmt: skip
    differ = old.ne(new).any(axis=1)
    assert set(old.loc[differ, "group"]) == {"MI", "MI_DELTA"}


def _stale_steps(run_dir: Path, *steps: str) -> None:
    """Make the recorded keys of `steps` stale, as a code change would (the whole-run key too,
    so that the run does not stop at once)."""
    record = run_dir / "provenance.json"
    provenance = json.loads(record.read_text(encoding="utf-8"))
    for step in ("run", *steps):
        provenance["steps"][step] = "stale"
    record.write_text(json.dumps(provenance), encoding="utf-8")


def test_the_report_is_reused_when_nothing_it_reads_changed_and_rendered_when_it_did(runs):
    """A notebook that runs again with the same outputs leaves the report as it was (no render);
    a stale report key renders it again."""
    tmp = runs["tmp"]
    shutil.copytree(runs["first"].run_dir, tmp / "out-report" / "trial")
    run_dir = tmp / "out-report" / "trial"
    run(load_params(runs["params"]), tmp / "out-report")  # as the module's params say
    report = file_hashes(run_dir, ("report",))
    _stale_steps(run_dir, "04-safety")
    again = run(load_params(runs["params"]), tmp / "out-report")
    assert again.executed == ("04-safety",)
    assert "report" in again.reused
    assert file_hashes(run_dir, ("report",)) == report
    _stale_steps(run_dir, "report")
    assert run(load_params(runs["params"]), tmp / "out-report").executed == ("report",)


BREAKS = {
    # name: (file, row, column, new value, expected violation row as a regex)
    "wrong code": ("dm", 1, "SEX", "X", r"dm\.csv +SEX +3 .*SEX must be one of F, M"),
    "bad date": ("ae", 0, "AESTDTC", "2021-02-30", r"ae\.csv +AESTDTC +2 .*2021-02-30"),
    "duplicate id": ("dm", 2, "USUBJID", None, r"dm\.csv +USUBJID +[34] .*unique"),
}


@pytest.mark.parametrize("name", BREAKS)
def test_bad_data_stops_the_run_and_keeps_the_previous_output(runs, tmp_path: Path, name: str):
    file, row, column, value, violation = BREAKS[name]
    run_dir = runs["first"].run_dir
    before = file_hashes(run_dir)
    broken = tmp_path / "broken"
    shutil.copytree(run_dir / "data", broken)
    frame = pd.read_csv(broken / f"{file}.csv", dtype=str, keep_default_na=False)
    # None: copy the previous row's value (a duplicate key)
    frame.loc[row, column] = frame.loc[row - 1, column] if value is None else value
    frame.to_csv(broken / f"{file}.csv", index=False)
    params = write_params(tmp_path / "bad", data=str(broken))
    with pytest.raises(RunError) as info:
        run(load_params(params), runs["tmp"] / "out1")
    message = str(info.value)
    assert "3/7 derive" in message
    # the violation row: file, column, CSV line (header = line 1), rule
    assert re.search(violation, message), message
    assert file_hashes(run_dir) == before
    assert (run_dir.parent / f"{run_dir.name}.failed").is_dir()


def test_a_failing_notebook_stops_the_run_and_leaves_no_process_behind(
    runs, tmp_path: Path, monkeypatch
):
    """A cell error fails the run naming the notebook and the error; the previous output stays
    as it was, and no kernel of the run is left running."""
    from helpers.pipeline import notebooks as stored

    notebooks = tmp_path / "notebooks"
    shutil.copytree(stored.NOTEBOOK_DIR, notebooks)
    failing = notebooks / "03-caregiver-outcomes.ipynb"
    content = json.loads(failing.read_text())
    content["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                             "outputs": [], "source": ["raise RuntimeError('deliberate failure')"]})
    failing.write_text(json.dumps(content))
    monkeypatch.setattr(stored, "NOTEBOOK_DIR", notebooks)
    run_dir = runs["first"].run_dir
    before = file_hashes(run_dir)
    with pytest.raises(RunError, match=r"notebook 03-caregiver-outcomes failed(.|\n)*deliberate"):
        run(load_params(runs["params"]), run_dir.parent)
    assert file_hashes(run_dir) == before
    failed = run_dir.parent / f"{run_dir.name}.failed"
    assert (failed / "logs" / "03-caregiver-outcomes.log").is_file()
    # the failed folder tells its story: step, reason, the failing cell's traceback, the logs
    story = (failed / "error.txt").read_text()
    assert story.startswith("step: 4/7 notebooks\n")
    assert "notebook 03-caregiver-outcomes failed" in story
    assert "RuntimeError" in story and "deliberate failure" in story
    assert "\x1b[" not in story  # no terminal colour codes
    assert "logs/03-caregiver-outcomes.log" in story
    stray = [pid for pid in processes_working_in(failed) if not wait_for_exit(pid)]
    assert stray == []


def test_no_subject_identifier_reaches_tables_figures_or_notebook_outputs(runs):
    run_dir = runs["first"].run_dir
    subjects = pd.read_csv(run_dir / "adam" / "adsl.csv", dtype=str)["USUBJID"]
    pattern = re.compile("|".join(re.escape(s) for s in subjects))
    texts = [p for p in (run_dir / "tables").rglob("*") if p.is_file()]
    texts += list((run_dir / "figures").rglob("*.svg"))
    texts += list((run_dir / "report").rglob("*.html"))
    for path in texts:
        assert not pattern.search(path.read_text(errors="ignore")), path
    for notebook in (run_dir / "notebooks").glob("*.ipynb"):
        outputs = [
            json.dumps(cell.get("outputs", []))
            for cell in json.loads(notebook.read_text())["cells"]
        ]
        assert not pattern.search("".join(outputs)), notebook


def test_a_country_absent_from_the_data_stops_before_any_notebook_and_a_success_clears_it(
    tmp_path: Path, capsys
):
    """country: SWE passes the schema (an ISO alpha-3 code) but is not in the data: the run stops
    after the data are read, before any notebook, naming the countries present; error.txt says
    so. The next successful run of the same run name removes the stale .failed folder."""
    from helpers.cli import main

    out = tmp_path / "out"
    params = write_params(tmp_path / "params", name="country", country="SWE")
    assert main(["run", str(params), "--output", str(out)]) == 1
    printed = capsys.readouterr()
    message = printed.err
    assert f"{params}: country: 'SWE' is not in the data; allowed: DNK, ITA, NOR" in message
    assert "[3/7 derive]" not in printed.out  # no "data valid" line before the failure
    assert f"no {out / 'country'} was written" in message and "left as it was" not in message
    story = out / "country.failed" / "error.txt"
    assert f"why this run failed: {story}" in message
    assert "step: 3/7 derive" in story.read_text()
    assert not (out / "country.failed" / "notebooks").exists()  # no notebook ran
    assert not (out / "country").exists()

    write_params(tmp_path / "params", name="country", country="NOR", render=False)
    assert main(["run", str(params), "--output", str(out)]) == 0
    lines = capsys.readouterr().out
    assert "[3/7 derive] data valid" in lines
    assert f"[7/7 report] skipped: off in {params}" in lines  # every step has its line
    assert (out / "country" / "key_results.csv").is_file()
    assert not (out / "country.failed").exists()
    # one country is a subset of the published cohort: no figure is counted as not reproduced
    check = pd.read_csv(out / "country" / "reproduction.csv", dtype=str, keep_default_na=False)
    assert set(check["verdict"]) == {"not comparable"}
    summary = (f"0 of 0 comparable published figures reproduced; {len(check)} of {len(check)} "
               "not comparable with this subset")
    assert summary in (out / "country" / "reproduction.md").read_text()


def test_a_folder_mixing_formats_gives_byte_identical_key_results(runs, tmp_path: Path):
    """The default cohort with dm as SAS transport, qs as Dataset-JSON and ae as NDJSON (the rest
    CSV) gives the results of the same cohort in CSV (both run here: the module's runs are rerun
    with other params by other tests)."""
    from helpers.data.convert import convert_folder

    csv, mixed = tmp_path / "csv", tmp_path / "mixed"
    shutil.copytree(runs["first"].run_dir / "data", csv)
    shutil.copytree(csv, mixed)
    convert_folder(mixed, "xpt", ("dm",))
    convert_folder(mixed, "json", ("qs",))
    convert_folder(mixed, "ndjson", ("ae",))
    same = ("key_results.csv", "reproduction.csv", "tables", "adam")
    hashes = []
    for folder in (csv, mixed):
        params = write_params(tmp_path / folder.name, data=str(folder), render=False)
        hashes.append(file_hashes(run(load_params(params), tmp_path / "out").run_dir, same))
    assert hashes[0] == hashes[1]


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(%?)")


def test_every_number_a_table_shows_is_an_ard_value(runs):
    """Tables are views of the analysis results: each number in a table's statistic columns
    (those right-aligned as numbers; not the first, label column) equals, at its printed
    decimals, a value of its notebook's ard/ rows (a percentage sign: the value x 100)."""
    from helpers.report.tables import _is_numeric

    run_dir = runs["first"].run_dir
    missing = []
    for table in sorted((run_dir / "tables").glob("*/*.csv")):
        results = pd.read_csv(run_dir / "ard" / f"{table.parent.name}.csv", dtype=str,
                              keep_default_na=False)
        values = [float(v) for v in results["value"] if v not in ("", "inf", "-inf")]
        shown = {d: {round(v, d) for v in values} | {round(100 * v, d) for v in values}
                 for d in range(4)}  # fmt: skip
        df = pd.read_csv(table, dtype=str, keep_default_na=False)
        for column in df.columns[1:]:
            if not _is_numeric(df[column]):
                continue
            for cell in df[column]:
                for m in _NUMBER.finditer(cell.replace("< 0.001", "")):
                    text = m.group(0).rstrip("%")
                    decimals = len(text.split(".")[1]) if "." in text else 0
                    if round(float(text), decimals) not in shown[min(decimals, 3)]:
                        missing.append(f"{table.parent.name}/{table.stem} {column}: {cell}")
    assert not missing, f"{len(missing)} numbers not in the ARD: {missing[:10]}"


def _views() -> dict[str, object]:
    """Each table the run writes, rebuilt from ARD rows alone (the default params)."""
    from helpers.analysis.ard import select
    from helpers.report import labels, views

    patient = [p for group in labels.PATIENT_GROUPS.values() for p in group]
    carer = [p for group in labels.CAREGIVER_GROUPS.values() for p in group]

    def outcomes(analysis: str, params: list[str]):
        return lambda r: views.change_from_baseline.summarise(select(r, analysis=analysis),
                                                              params, 0.05)

    return {
        "01-disposition/tbl-disposition": views.disposition.disposition_table,
        "01-disposition/tbl-disposition-country": views.disposition.disposition_by_country,
        "01-disposition/tbl-baseline":
            lambda r: views.baseline.baseline_table(r, {"Enrolled": "ENR", "FAS": "FAS"}),
        "01-disposition/tbl-sample-size": lambda r: views.sample_size.sample_size_grid(r, 80),
        "02-patient-outcomes/tbl-outcomes-eos":
            lambda r: views.change_from_baseline.eos_table(outcomes("outcomes", patient)(r)),
        "02-patient-outcomes/tbl-outcomes-visit":
            lambda r: views.change_from_baseline.visit_table(outcomes("outcomes", patient)(r)),
        "02-patient-outcomes/tbl-fsmc-shift": views.efficacy.fsmc_shift_table,
        "02-patient-outcomes/tbl-fsmc-km":
            lambda r: views.efficacy.km_table(select(r, analysis="fsmc_km")),
        "02-patient-outcomes/tbl-relapses":
            lambda r: views.efficacy.relapse_table(select(r, analysis="relapses")),
        "02-patient-outcomes/tbl-edss-improvement": views.efficacy.edss_improvement_table,
        "02-patient-outcomes/tbl-retreatment": views.efficacy.retreatment_table,
        "03-caregiver-outcomes/tbl-cg-characteristics": views.caregiver.characteristics_table,
        "03-caregiver-outcomes/tbl-cg-outcomes":
            lambda r: views.change_from_baseline.eos_table(outcomes("cg_outcomes", carer)(r)),
        "03-caregiver-outcomes/tbl-agreement": views.caregiver.agreement_table,
        "04-safety/tbl-ae-overview":
            lambda r: views.safety.overview_table(select(r, analysis="ae_overview")),
        "04-safety/tbl-ae-soc-pt": views.safety.soc_pt_table,
        "04-safety/tbl-ae-year": views.safety.year_table,
        "04-safety/tbl-iar": views.safety.iar_table,
        "05-sensitivity/tbl-sensitivity": views.sensitivity.sensitivity_table,
        "05-sensitivity/tbl-tipping-point": views.sensitivity.tipping_table,
    }  # fmt: skip


def test_every_method_of_the_run_names_a_function_that_exists(runs):
    """Each ARD row's method starts with the dotted name of the function that computed it, and
    every function it names is that function's own module and qualified name."""
    from test_ard import stale_methods

    from helpers.analysis.ard import read_ard

    assert stale_methods(read_ard(runs["first"].run_dir / "ard")) == []


def test_every_table_is_rebuilt_from_the_ard_alone(runs):
    """The strong form: read only ard/<notebook>.csv, call each table's view, and get the
    written table's bytes; every written table has a view here."""
    from helpers.analysis.ard import read_ard

    run_dir = runs["first"].run_dir
    written = {f"{p.parent.name}/{p.stem}": p for p in (run_dir / "tables").glob("*/*.csv")}
    views = _views()
    assert set(written) == set(views)
    for name, view in views.items():
        results = read_ard(run_dir / "ard").query(f"notebook == '{name.split('/')[0]}'")
        rebuilt = view(results).astype(str).to_csv(index=False, lineterminator="\n")
        assert rebuilt == written[name].read_text(encoding="utf-8"), name
