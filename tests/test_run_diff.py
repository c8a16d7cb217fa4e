"""`helpers diff RUN_A RUN_B`: which statistics differ and why (data file, params key, code file,
step). The comparison functions on hand-made ARD rows and records; the command on real runs: two
identical runs, a params change and one changed data cell."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.analysis import ard
from helpers.results.run_diff import (
    CODE,
    DATA,
    PARAMS,
    STEP,
    diff_runs,
    format_diff,
    input_differences,
    paired,
    population_size,
    statistic_differences,
)

ROOT = Path(__file__).resolve().parents[1]


def ard_rows(values: dict[str, float]) -> pd.DataFrame:
    frame = ard.rows("outcomes", "FAS", values, paramcd="FSMCTOT", variable="CHG", visit="EOS")
    return frame.assign(notebook="02-patient-outcomes")


def test_equal_values_and_two_missing_values_are_no_difference() -> None:
    rows = ard_rows({"n": 84.0, "p": math.nan, "median": -7.5})
    assert statistic_differences(rows, rows.copy()).empty


def test_a_changed_value_and_a_row_of_one_run_only_are_listed_with_their_keys() -> None:
    old = ard_rows({"n": 84.0, "median": -7.5, "p": 0.0004})
    new = ard_rows({"n": 84.0, "median": -7.0, "q1": -12.0})
    found = statistic_differences(old, new)
    assert found[["stat", "old", "new"]].astype(str).values.tolist() == [
        ["median", "-7.5", "-7.0"], ["p", "0.0004", "nan"], ["q1", "nan", "-12.0"],
    ]  # fmt: skip
    assert set(found["paramcd"]) == {"FSMCTOT"} and set(found["visit"]) == {"EOS"}


def test_statistics_are_listed_largest_change_first_rows_of_one_run_last() -> None:
    old = ard_rows({"n": 84.0, "median": -7.5, "mean": -8.0, "q1": -12.0})
    new = ard_rows({"n": 84.0, "median": -7.0, "mean": -10.0, "q3": 3.0})
    found = statistic_differences(old, new)
    assert found["stat"].tolist() == ["mean", "median", "q1", "q3"]


def test_a_params_key_of_the_row_key_pairs_the_rows_across_its_two_values() -> None:
    fas = ard_rows({"n": 84.0, "median": -7.5}).assign(population="FAS")
    comp = ard_rows({"n": 63.0, "median": -7.0}).assign(population="COMP")
    enr = ard.rows("disposition", "ENR", {"n": 87.0}, paramcd="ENRFL").assign(notebook="01")
    old = pd.concat([fas, enr], ignore_index=True)
    new = pd.concat([comp, enr], ignore_index=True)
    keyed, pairings = paired(old, {"population": "FAS"}, {"population": "COMP"})
    assert pairings == {"population": ("FAS", "COMP")}
    found = statistic_differences(keyed, new)
    assert found[["population", "stat", "old", "new"]].values.tolist() == [
        ["COMP", "n", 84.0, 63.0], ["COMP", "median", -7.5, -7.0]]
    assert paired(old, {"population": "FAS"}, {"population": "FAS"})[1] == {}
    assert len(statistic_differences(old, new)) == 4  # unpaired: every row of one run only


def test_the_size_of_a_population_is_its_disposition_count() -> None:
    rows = ard.rows("disposition", "ENR", {"n": 63.0, "N": 87.0}, paramcd="COMPFL")
    assert population_size(rows, "COMP") == "63"
    assert population_size(rows, "FAS") == "?"


def test_the_summary_leads_and_names_the_figures_whose_verdict_changed() -> None:
    from helpers.results.run_diff import RunDiff

    diff = RunDiff(
        statistic_differences(ard_rows({"median": -7.5}), ard_rows({"median": -7.0})),
        pd.DataFrame(columns=["kind", "name", "old", "new"]),
        pd.DataFrame({"id": ["fsmc_chg_eos_median"], "old": ["match"], "new": ["differs"]}),
        pd.DataFrame({"id": ["fsmc_chg_eos_median"], "old": ["-7.5"], "new": ["-7"]}),
        ["population: FAS (n 84) -> COMP (n 63)"],
    )
    lines = format_diff(diff, "a", "b").splitlines()
    assert lines[:4] == [
        "a -> b", "paired across population: FAS (n 84) -> COMP (n 63)",
        "summary: 1 statistic(s) differ in 1 analysis(es); 1 published figure(s) changed"
        " verdict:", "  fsmc_chg_eos_median: match -> differs"]
    short = format_diff(diff, "a", "b", only_key_results=True)
    assert short.endswith("  fsmc_chg_eos_median: -7.5 -> -7") and "largest change" not in short


def record(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "data": {"sha256": {"dm.csv": "aa", "qs.csv": "bb"}},
        "params_values": {"alpha": 0.05, "sample_size": {"effect_size": 0.4}},
        "code_files": {"src/helpers/stats.py": "11", "requirements.lock": "22"},
        "steps": {"derive": "d1", "02-patient-outcomes": "n1"},
    }
    return base | changes


def test_inputs_that_differ_are_named_by_kind() -> None:
    new = record(
        data={"sha256": {"dm.csv": "aa", "qs.csv": "cc"}},
        params_values={"alpha": 0.05, "sample_size": {"effect_size": 0.35}},
        code_files={"src/helpers/stats.py": "12", "requirements.lock": "22"},
        steps={"derive": "d2", "02-patient-outcomes": "n1"},
    )
    found = input_differences(record(), new)
    assert found.values.tolist() == [
        [DATA, "qs.csv", "bb", "cc"],
        [PARAMS, "sample_size.effect_size", "0.4", "0.35"],
        [CODE, "src/helpers/stats.py", "11", "12"],
        [STEP, "derive", "d1", "d2"],
    ]
    assert input_differences(record(), record()).empty


# --- the command on real runs --------------------------------------------------------------
def helpers(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)


def run(tmp: Path, name: str, out: str, data: Path, **changes: object) -> Path:
    values = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    values |= {"data": str(data), "render": False}
    for key, value in changes.items():
        values[key] = {**values[key], **value} if isinstance(value, dict) else value
    params = tmp / f"{name}.yaml"
    params.write_text(yaml.safe_dump(values))
    done = helpers("run", params, "--output", tmp / out)
    assert done.returncode == 0, done.stderr[-2000:]
    (tmp / f"{out}.stdout").write_text(done.stdout)  # what the run printed, for the tests
    return tmp / out / name


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A run on a synthetic data folder, the same again, one with a changed parameter, and one
    on a copy of the folder with one patient's age changed (the same run name: one folder)."""
    tmp = tmp_path_factory.mktemp("diff")
    data, changed = tmp / "data", tmp / "data-changed"
    assert helpers("synth", "--out", data).returncode == 0
    assert helpers("synth", "--out", changed).returncode == 0
    dm = pd.read_csv(changed / "dm.csv", dtype=str, keep_default_na=False)
    dm.loc[0, "AGE"] = str(int(dm.loc[0, "AGE"]) + 1 if int(dm.loc[0, "AGE"]) < 80 else 79)
    dm.to_csv(changed / "dm.csv", index=False, lineterminator="\n")
    return {
        "a": run(tmp, "trial", "a", data),
        "same": run(tmp, "trial", "same", data),
        "params": run(tmp, "trial", "params", data, sample_size={"effect_size": 0.35}),
        "data": run(tmp, "trial", "data", changed),
    }


@pytest.mark.slow
def test_two_identical_runs_differ_in_nothing(runs: dict[str, Path]) -> None:
    done = helpers("diff", runs["a"], runs["same"])
    assert done.returncode == 0, done.stdout
    assert "no statistic and no input differs" in done.stdout


@pytest.mark.slow
def test_a_params_change_names_the_key_and_the_statistics_it_changed(runs: dict[str, Path]):
    done = helpers("diff", runs["a"], runs["params"])
    assert done.returncode == 1
    out = done.stdout
    assert "sample_size.effect_size: 0.4 -> 0.35" in out
    assert "01-disposition" in out.split("steps that differ:")[1]  # the step that reran
    assert out.splitlines()[1].startswith("summary: ")  # the summary comes first
    statistics = out.split("largest change first")[1]
    assert "sample_size (01-disposition):" in statistics
    assert "02-patient-outcomes" not in statistics  # nothing else changed
    assert "data files that differ" not in out


@pytest.mark.slow
def test_a_changed_data_cell_names_the_file_and_the_statistics_it_changed(runs):
    done = helpers("diff", runs["a"], runs["data"])
    assert done.returncode == 1
    out = done.stdout
    files = out.split("data files that differ:")[1].split("that differ:")[0]
    assert "dm.csv" in files and "qs.csv" not in files
    assert "params keys that differ" in out and "data:" in out  # the folder's path
    assert "baseline (01-disposition):" in out
    changed = diff_runs(runs["a"], runs["data"]).statistics
    assert "AGE" in set(changed.loc[changed["analysis"].eq("baseline"), "paramcd"])
    assert set(changed["analysis"]) <= {"baseline"}  # only age statistics: no other changed


def test_a_folder_that_is_not_a_run_is_a_usage_error(tmp_path: Path) -> None:
    done = helpers("diff", tmp_path, tmp_path)
    assert done.returncode == 2
    assert "is not a run folder" in done.stderr


@pytest.mark.slow
def test_only_key_results_prints_the_summary_and_the_ledger_figures(runs: dict[str, Path]):
    full = helpers("diff", runs["a"], runs["params"]).stdout
    done = helpers("diff", runs["a"], runs["params"], "--only", "key-results")
    assert done.returncode == 1
    assert done.stdout.splitlines()[1].startswith("summary: ")
    assert "key result(s) differ" in done.stdout and "n_planned" in done.stdout
    assert full.startswith(done.stdout.rstrip("\n"))  # the head of the full answer, no more
    assert "largest change first" not in done.stdout and "that differ:" not in done.stdout


@pytest.mark.slow
def test_diff_piped_into_head_ends_quietly(runs: dict[str, Path]) -> None:
    script = (f'"{sys.executable}" -m helpers diff {runs["a"]} {runs["data"]} | head -n 1; '
              'echo "status ${PIPESTATUS[0]}"')
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.stderr == "", done.stderr
    first, status = done.stdout.splitlines()
    assert first == f"{runs['a']} -> {runs['data']}" and status in ("status 1", "status 141")


@pytest.mark.slow
def test_a_run_after_a_params_change_names_the_figure_that_changed(runs: dict[str, Path]):
    printed = (runs["params"].parents[1] / "params.stdout").read_text()
    done = next(line for line in printed.splitlines() if line.startswith("[done]"))
    assert "74 of 75 published figures reproduced" in done and "differs: n_planned" in done
