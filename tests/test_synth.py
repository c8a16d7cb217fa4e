"""Synthetic cohort: determinism, validity against data-spec.md, plausibility, and what ADSL
alone gives on the default cohort compared with published.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers.data.validate import validate_folder
from helpers.synth import write_synthetic_cohort

FILES = ("dm", "ex", "qs", "ce", "ae", "cg")
PUBLISHED = Path(__file__).resolve().parents[1] / "study" / "published.yaml"


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("default")
    write_synthetic_cohort(out)
    return out


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        write_synthetic_cohort(tmp_path / name, seed=seed, n=30)
    for f in FILES:
        a = (tmp_path / "a" / f"{f}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"{f}.csv").read_bytes(), f
        assert b"\r\n" not in a
    assert (tmp_path / "a" / "qs.csv").read_bytes() != (tmp_path / "c" / "qs.csv").read_bytes()


@pytest.mark.parametrize(("seed", "n"), [(1, 30), (2024, 87), (3, 200)])
def test_valid_for_seeds_and_sizes(tmp_path: Path, seed: int, n: int) -> None:
    write_synthetic_cohort(tmp_path, seed=seed, n=n)
    report = validate_folder(tmp_path)
    assert report.ok, report.format()
    assert len(_read(tmp_path, "dm")) == n


def test_rows_sorted(default: Path) -> None:
    for name in ("dm", "qs", "ae", "cg"):
        ids = _read(default, name)["USUBJID"]
        assert ids.is_monotonic_increasing, name


def test_items_and_visits_move_together(default: Path) -> None:
    qs = _read(default, "qs")
    items = qs["QSTESTCD"].str.match(r"FSMC\d\d")
    fsmc = qs[items & qs["QSSTRESN"].ne("")]
    wide = fsmc.assign(v=fsmc["QSSTRESN"].astype(float)).pivot_table(
        index=["USUBJID", "VISIT"], columns="QSTESTCD", values="v")
    corr = wide.corr().to_numpy()
    assert np.nanmean(corr[np.triu_indices_from(corr, 1)]) > 0.2  # items share a trait
    total = wide.sum(axis=1).unstack("VISIT")
    assert total["BASELINE"].corr(total["MONTH 12"]) > 0.25     # visits share a patient
    assert (wide.nunique(axis=1) > 1).mean() > 0.8                # but items are not copies


def test_missingness_and_windows_are_plausible(default: Path) -> None:
    qs = _read(default, "qs")
    blank = qs["QSSTRESN"].eq("").mean()
    assert 0 < blank < 0.05
    dm, ex = _read(default, "dm"), _read(default, "ex")
    day0 = ex[ex["EXCOURSE"].eq("1")].set_index("USUBJID")["EXSTDTC"].astype("datetime64[ns]")
    pat = qs[qs["RESPONDENT"].eq("PATIENT")].drop_duplicates(["USUBJID", "VISIT"])
    days = (pat["QSDTC"].astype("datetime64[ns]") - pat["USUBJID"].map(day0)).dt.days
    base = days[pat["VISIT"].eq("BASELINE")]
    assert base.between(-30, 0).all()
    target = pat["VISIT"].str.extract(r"(\d+)")[0].astype(float) * 30.4375
    off = (days - target).abs()[pat["VISIT"].ne("BASELINE")]
    assert 0 < (off > 31).mean() < 0.05
    per_subject = pat.groupby("USUBJID")["VISIT"].nunique()
    assert per_subject.min() < 7 < per_subject.max() + 1  # some visits missed, some complete
    assert dm["DSDECOD"].nunique() >= 5


def test_treatment_courses(default: Path) -> None:
    ex = _read(default, "ex")
    alem = ex[ex["EXTRT"].eq("ALEMTUZUMAB")]
    days = (alem["EXENDTC"].astype("datetime64[ns]")
            - alem["EXSTDTC"].astype("datetime64[ns]")).dt.days + 1
    assert set(days[alem["EXCOURSE"].eq("1")]) == {5}
    assert set(days[alem["EXCOURSE"].eq("2")]) == {3}
    start = alem.pivot(index="USUBJID", columns="EXCOURSE", values="EXSTDTC").astype(
        "datetime64[ns]")
    gap = (start["2"] - start["1"]).dt.days.dropna()
    assert gap.between(300, 430).all()
    assert ex["EXTRT"].ne("ALEMTUZUMAB").any()


def test_death_and_safety_events(default: Path) -> None:
    dm, ae = _read(default, "dm"), _read(default, "ae")
    dead = dm[dm["DSDECOD"].eq("DEATH")]
    assert len(dead) == 1 and (dead["DTHDTC"] == dead["DSSTDTC"]).all()
    fatal = ae[ae["AEOUT"].eq("FATAL")]
    assert fatal["USUBJID"].tolist() == dead["USUBJID"].tolist()
    assert (fatal[["AEDECOD", "AESER", "AEREL"]].to_numpy() == ["Sepsis", "Y", "Y"]).all()
    socs = set(ae["AEBODSYS"])
    assert {"Endocrine disorders", "Infections and infestations"} <= socs
    caregivers = _read(default, "cg")
    assert 55 <= len(caregivers) <= 70


def _published() -> dict[str, dict]:
    doc = yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))
    return {f["id"]: f for section in doc.values() for f in section}


def _matches(fig: dict, value: float) -> bool:
    rule, pub = fig["match"], float(fig["published"])
    if rule == "exact":
        decimals = len(str(fig["published"]).partition(".")[2])
        return round(value, decimals) == pub
    return abs(value - pub) <= float(rule.removeprefix("abs:"))


def test_adsl_figures_match_published(default: Path) -> None:
    """Counts and demographics straight from dm/ex/cg (the ADSL level) on the default cohort."""
    dm, ex, cg = _read(default, "dm"), _read(default, "ex"), _read(default, "cg")
    treated = set(ex.loc[ex["EXTRT"].eq("ALEMTUZUMAB"), "USUBJID"])
    age = dm["AGE"].astype(float)
    values = {
        "n_enrolled": len(dm), "n_safety": len(treated),
        "n_completed": dm["DSDECOD"].eq("COMPLETED").sum(),
        "pct_completed": 100 * dm["DSDECOD"].eq("COMPLETED").mean(),
        "n_disc_ae": dm["DSDECOD"].isin(["ADVERSE EVENT", "DEATH"]).sum(),
        "n_deaths": dm["DTHDTC"].ne("").sum(),
        "pct_female": 100 * dm["SEX"].eq("F").mean(), "age_mean": age.mean(),
        "age_sd": age.std(), "msdur_mean": dm["MSDURY"].astype(float).mean(),
        "npriordmt_mean": dm["NPRIORDMT"].astype(float).mean(),
    }
    pub = _published()
    for key, value in values.items():
        assert _matches(pub[key], float(value)), (key, value)
    assert 50 <= len(cg) * 0.9 <= 65  # caregivers with baseline, before the FAS link
