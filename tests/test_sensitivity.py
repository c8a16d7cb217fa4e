"""helpers.analysis.sensitivity: each approach against an independent computation (scipy / pandas on
the records selected by hand), the imputation's behaviour under MAR, the tipping point, determinism
and the seed's reach. The mixed model and Rubin's rules are checked against R in
test_sensitivity_reference_r.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers.analysis import ard, sensitivity
from helpers.study import spec

VISITS = spec.POST_BASELINE_VISITS


def simulated(n: int = 60, seed: int = 1,
              dropout: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADQS-like records and ADSL of `n` patients with every outcome: random intercept, a
    linear fall over the visits, dropout after a visit more likely when the change is high
    (MAR) and a few assessments out of window; COMPFL Y for those with no dropout."""
    rng = np.random.default_rng(seed)
    rows, adsl = [], []
    for i in range(n):
        subject = f"S{i:03d}"
        leaves = rng.integers(2, len(VISITS)) if dropout and rng.random() < 0.35 else len(VISITS)
        adsl.append((subject, "Y" if leaves == len(VISITS) else "N"))
        for code in sensitivity.OUTCOMES:
            base = rng.normal(50, 10)
            level = rng.normal(0, 5)
            rows.append((subject, code, "BASELINE", 0, 0.0, "Y", "Y", base, np.nan))
            for k, visit in enumerate(VISITS[:leaves]):
                month = spec.VISITS[visit]
                chg = level - 0.2 * month + 0.1 * (base - 50) + rng.normal(0, 3)
                window = "N" if rng.random() < 0.1 else "Y"
                rows.append((subject, code, visit, month, month * 30.4, "N", window, base, chg))
                if dropout and chg > 5 and k < len(VISITS) - 1 and rng.random() < 0.3:
                    adsl[-1] = (subject, "N")
                    break
    adqs = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVISIT", "AVISITN", "ADY", "ABLFL",
                                       "AWINFL", "BASE", "CHG"])  # fmt: skip
    last = adqs.groupby(["USUBJID", "PARAMCD"])["AVISITN"].transform("max")
    adqs = adqs.assign(EOSFL=np.where(adqs["AVISITN"].eq(last), "Y", "N"),
                       AVAL=adqs["BASE"] + adqs["CHG"].fillna(0), ANLFL="Y",
                       RESPONDENT="PATIENT")  # fmt: skip
    return adqs, pd.DataFrame(adsl, columns=["USUBJID", "COMPFL"])


def run(adqs: pd.DataFrame, adsl: pd.DataFrame, seed: int = 7, imputations: int = 20,
        deltas: range = range(0, 6)) -> pd.DataFrame:  # fmt: skip
    return sensitivity.sensitivity_ard(adqs, adsl, "FAS", 0.05, imputations, seed, deltas)


def cell(results: pd.DataFrame, paramcd: str, group: str, level: str = "") -> dict[str, float]:
    rows = ard.select(results, paramcd=paramcd, group=group, level=level)
    return dict(zip(rows["stat"], rows["value"], strict=True))


def t_reference(changes: pd.Series) -> dict[str, float]:
    x = changes.to_numpy(float)
    lower, upper = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    return {"n": len(x), "estimate": x.mean(), "lcl": lower, "ucl": upper,
            "p": sps.ttest_1samp(x, 0).pvalue}  # fmt: skip


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return simulated()


@pytest.fixture(scope="module")
def results(data: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    return run(*data)


def test_every_outcome_has_every_approach(results: pd.DataFrame) -> None:
    cells = results[results["level"].eq("") & results["group"].isin(sensitivity.APPROACHES)]
    assert set(zip(cells["paramcd"], cells["group"], strict=True)) == {
        (code, approach) for code in sensitivity.OUTCOMES for approach in sensitivity.APPROACHES}
    assert set(results["analysis"]) == {"sensitivity"}
    assert set(ard.select(results, group="COMP")["population"]) == {"COMP"}


def test_observed_approaches_are_t_intervals_of_the_records_they_name(data, results) -> None:
    adqs, adsl = data
    post = adqs[adqs["ABLFL"].eq("N")]
    completers = adsl.loc[adsl["COMPFL"].eq("Y"), "USUBJID"]
    for code in ("FSMCTOT", "EDSS"):
        mine = post[post["PARAMCD"].eq(code)]
        last = mine.loc[mine.groupby("USUBJID")["AVISITN"].idxmax()]
        in_window = mine[mine["AWINFL"].eq("Y")]
        last_in_window = in_window.loc[in_window.groupby("USUBJID")["AVISITN"].idxmax()]
        expected = {
            "EOS": last["CHG"],
            "OC": mine.loc[mine["AVISIT"].eq("MONTH 36"), "CHG"],
            "COMP": last.loc[last["USUBJID"].isin(completers), "CHG"],
            "WINDOW": last_in_window["CHG"],
        }
        for approach, changes in expected.items():
            assert cell(results, code, approach) == pytest.approx(t_reference(changes), rel=1e-12)


def test_mixed_model_of_complete_balanced_data_is_the_month36_mean() -> None:
    adqs, adsl = simulated(n=30, seed=3, dropout=False)
    results = run(adqs, adsl)
    m36 = adqs[adqs["AVISIT"].eq("MONTH 36") & adqs["PARAMCD"].eq("SDMTTOT")]["CHG"]
    assert cell(results, "SDMTTOT", "LMM")["estimate"] == pytest.approx(m36.mean(), rel=1e-9)


def test_imputation_without_missing_values_is_the_observed_analysis() -> None:
    adqs, adsl = simulated(n=30, seed=3, dropout=False)
    results = run(adqs, adsl)
    for code in sensitivity.OUTCOMES:
        mi, oc = cell(results, code, "MI"), cell(results, code, "OC")
        assert mi["estimate"] == pytest.approx(oc["estimate"], rel=1e-12)
        assert mi["lcl"] == pytest.approx(oc["lcl"], rel=1e-3)


def test_imputation_under_mar_recovers_the_mean_that_observed_cases_miss() -> None:
    adqs, adsl = simulated(n=400, seed=5)
    results = run(adqs, adsl, imputations=20)
    # the simulated Month 36 mean change: level 0, -0.2 x 36, baseline centred
    truth = -0.2 * 36
    mi, oc = cell(results, "FSMCTOT", "MI"), cell(results, "FSMCTOT", "OC")
    assert mi["lcl"] < truth < mi["ucl"]
    assert abs(mi["estimate"] - truth) < abs(oc["estimate"] - truth)


def test_delta_shifts_the_pooled_mean_by_delta_times_the_dropout_fraction(data, results) -> None:
    adqs, _ = data
    fsmc = adqs[adqs["PARAMCD"].eq("FSMCTOT")]
    with_m36 = fsmc.loc[fsmc["AVISIT"].eq("MONTH 36"), "USUBJID"].nunique()
    fraction = 1 - with_m36 / fsmc["USUBJID"].nunique()
    at = {d: cell(results, "FSMCTOT", "MI_DELTA", str(d)) for d in range(6)}
    assert at[0]["estimate"] == cell(results, "FSMCTOT", "MI")["estimate"]
    for d in range(1, 6):
        assert at[d]["estimate"] - at[0]["estimate"] == pytest.approx(d * fraction, rel=1e-9)


def test_tipping_point_is_the_smallest_delta_whose_ci_contains_zero() -> None:
    adqs, adsl = simulated(n=40, seed=11)
    results = run(adqs, adsl, deltas=range(0, 40))
    rows = ard.select(results, paramcd="FSMCTOT", group="MI_DELTA")
    wide = rows[rows["level"].ne("")].pivot(index="level", columns="stat", values="value")
    wide.index = wide.index.astype(int)
    contains = wide.sort_index().query("lcl <= 0 <= ucl")
    tipping = ard.value(rows, stat="tipping_point")
    assert tipping == (contains.index.min() if len(contains) else np.inf)
    assert tipping > 0


def test_same_seed_same_rows_and_a_new_seed_changes_only_the_imputation_rows(data) -> None:
    first, again, other = run(*data), run(*data), run(*data, seed=8)
    pd.testing.assert_frame_equal(first, again)
    changed = first["value"].ne(other["value"]) & first["value"].notna()
    assert set(first.loc[changed, "group"]) == {"MI", "MI_DELTA"}
    keep = ~first["group"].isin(["MI", "MI_DELTA"])
    pd.testing.assert_frame_equal(first[keep], other[keep])


@pytest.mark.parametrize("n", [0, 1, 2, 4])
def test_too_few_patients_give_not_computable_rows_not_errors(n: int) -> None:
    adqs, adsl = simulated(n=60, seed=2)
    results = run(adqs, adsl.iloc[:n])
    lmm = ard.select(results, group="LMM", stat="estimate")
    assert lmm["value"].isna().all()
    if n == 0:
        assert set(ard.select(results, stat="n")["value"]) == {0.0}
