"""The notebooks: nbval on a small fixture, and the whole pipeline on differently shaped data.

The pipeline must run unchanged on any folder that meets study/data-spec.md, not only on the
default synthetic cohort: here a smaller cohort whose FSMC arrives as scores without items for
some patients, that lacks SDMT and HRPQ for others, and has caregivers for only a few.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from helpers.adam.derive import derive_adam, write_adam
from helpers.data.load import load_study
from helpers.pipeline.notebooks import NOTEBOOK_DIR, NOTEBOOKS
from helpers.pipeline.params import load_params
from helpers.pipeline.runner import run
from helpers.study.instruments import score_questionnaires
from helpers.synth import write_synthetic_cohort

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_notebooks_are_stored_without_outputs():
    for notebook in NOTEBOOKS:
        nb = nbformat.read(NOTEBOOK_DIR / f"{notebook}.ipynb", as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "reality"
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code[0].metadata.get("tags") == ["parameters"] or any(
            "parameters" in c.metadata.get("tags", []) for c in code
        ), f"{notebook}: no cell tagged parameters"
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
            f"{notebook}: stored with outputs"
        )


def test_nbval_lax_on_a_small_fixture(tmp_path: Path):
    """Parameterise each notebook for a small derived fixture and run nbval --nbval-lax."""
    write_synthetic_cohort(tmp_path / "data", seed=11, n=40)
    study, _ = load_study(tmp_path / "data")
    write_adam(derive_adam(study), tmp_path / "adam")
    for notebook in NOTEBOOKS:
        nb = load_notebook_node(str(NOTEBOOK_DIR / f"{notebook}.ipynb"))
        parameters = {
            "adam_dir": str(tmp_path / "adam"),
            "tables_dir": str(tmp_path / "tables" / notebook),
            "figures_dir": str(tmp_path / "figures" / notebook),
        }
        for folder in list(parameters.values())[1:]:
            Path(folder).mkdir(parents=True, exist_ok=True)
        nbformat.write(parameterize_notebook(nb, parameters), tmp_path / f"{notebook}.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q",
         "--nbval-kernel-name", "reality", *(str(tmp_path / f"{n}.ipynb") for n in NOTEBOOKS)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def reshape_cohort(source: Path, target: Path) -> None:
    """A differently shaped, still valid study folder made from a synthetic one."""
    target.mkdir(parents=True)
    for name in ("dm", "ex", "ce", "ae", "cg"):
        frame = pd.read_csv(source / f"{name}.csv", dtype=str, keep_default_na=False)
        if name == "cg":  # caregivers for a few patients only
            frame = frame.head(4)
        frame.to_csv(target / f"{name}.csv", index=False)
    qs = pd.read_csv(source / "qs.csv", dtype=str, keep_default_na=False)
    patients = sorted(qs["USUBJID"].unique())
    kept_caregivers = set(pd.read_csv(target / "cg.csv", dtype=str)["USUBJID"])
    qs = qs[(qs["RESPONDENT"] == "PATIENT") | qs["USUBJID"].isin(kept_caregivers)]
    # no SDMT and no HRPQ for the first third of the patients
    lacking = set(patients[: len(patients) // 3])
    qs = qs[~(qs["QSCAT"].isin(["SDMT", "HRPQ"]) & qs["USUBJID"].isin(lacking))]
    # FSMC delivered as scores, without items, for the last half of the patients
    as_scores = set(patients[len(patients) // 2 :])
    fsmc_items = (qs["QSCAT"] == "FSMC") & qs["USUBJID"].isin(as_scores)
    typed, _ = load_study(source)
    scores = score_questionnaires(typed.qs).to_pandas()
    scores = scores[(scores["QSCAT"] == "FSMC") & scores["USUBJID"].isin(as_scores)].dropna(
        subset=["QSSTRESN"]
    )
    scores = scores.assign(
        QSSTRESN=scores["QSSTRESN"].map(lambda v: f"{v:g}"),
        QSDTC=scores["QSDTC"].dt.strftime("%Y-%m-%d"),
    )[["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "QSSTRESN", "VISIT", "QSDTC"]]
    qs = pd.concat([qs[~fsmc_items], scores], ignore_index=True)
    qs.to_csv(target / "qs.csv", index=False)


def test_the_pipeline_runs_unchanged_on_a_differently_shaped_folder(tmp_path: Path):
    write_synthetic_cohort(tmp_path / "synthetic", seed=5, n=45)
    reshape_cohort(tmp_path / "synthetic", tmp_path / "export")
    values = yaml.safe_load((ROOT / "params" / "default.yaml").read_text())
    values.update(data=str(tmp_path / "export"), render=False)
    params = tmp_path / "other-shape.yaml"
    params.write_text(yaml.safe_dump(values))
    result = run(load_params(params), tmp_path / "output")
    key_results = pd.read_csv(result.run_dir / "key_results.csv", dtype=str, keep_default_na=False)
    assert len(key_results) > 0
    record = json.loads((result.run_dir / "provenance.json").read_text())
    assert record["data"]["source"] == str(tmp_path / "export")
    adqs = pd.read_csv(result.run_dir / "adam" / "adqs.csv", dtype=str)
    fsmc = adqs[adqs["PARAMCD"] == "FSMCTOT"]
    assert set(fsmc["QSORIG"]) == {"DERIVED", "COLLECTED"}


def test_the_pipeline_runs_on_a_four_patient_study_with_one_caregiver(tmp_path: Path):
    """Tiny and sparse (tests/minimal_study.py): no patient-caregiver pair, one FAS patient;
    every step still finishes and the report shows every labelled output."""
    from minimal_study import write_minimal_study

    folder = write_minimal_study(tmp_path / "study")
    params = tmp_path / "tiny.yaml"
    params.write_text(yaml.safe_dump({"data": str(folder)}))
    result = run(load_params(params), tmp_path / "output")
    assert (result.run_dir / "report").is_dir()
    key_results = pd.read_csv(result.run_dir / "key_results.csv", dtype=str, keep_default_na=False)
    assert dict(zip(key_results["id"], key_results["value"], strict=True))["n_enrolled"] == "4"
