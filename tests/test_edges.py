"""Every derivation rule of study/data-spec.md and study/instruments.md at its edge and just past
it, on one hand-made study (tests/edge_study.py) read and derived as a run does.

Each subject is one edge case; its comment gives the rule and the arithmetic of the expected
value. Elapsed day 0 = the subject's first alemtuzumab infusion (DAY0 for every subject).
Constants used by hand: 1 month = 30.4375 days, study year k = days in (365.25(k-1), 365.25k],
visit windows = target month x 30.4375 +/- 31 days.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from edge_study import EdgeStudy, flag, items, row

from helpers.adam.adqs import subjects_with_change
from helpers.adam.derive import Adam, derive_adam
from helpers.data.load import load_study
from helpers.data.validate import validate_folder
from helpers.results.reproduction import PublishedFigure, judge
from helpers.study import instruments

MONTH = 30.4375


def edge_study() -> EdgeStudy:
    s = EdgeStudy()
    # --- populations ------------------------------------------------------------------------
    # FAS: baseline FSMC on day 0 (on or before day 0: a baseline) and one post-baseline value.
    # Its caregiver has a baseline caregiver assessment -> CG population.
    s.patient("FAS")
    s.scores("FAS", "BASELINE", 0, FSMCTOT=60)
    s.scores("FAS", "MONTH 3", 91, FSMCTOT=55)
    s.caregiver("FAS")
    s.scores("FAS", "BASELINE", 0, respondent="CAREGIVER", ZBITOT=30)
    # NOPOST: baseline but no post-baseline FSMC -> not FAS; so its caregiver, who has a
    # baseline assessment, is NOT in CG (CG = caregivers of FAS patients).
    s.patient("NOPOST")
    s.scores("NOPOST", "BASELINE", 0, FSMCTOT=60)
    s.caregiver("NOPOST")
    s.scores("NOPOST", "BASELINE", 0, respondent="CAREGIVER", ZBITOT=30)
    # CGLATE: FAS, but its caregiver's first assessment is at MONTH 3 -> not CG.
    s.patient("CGLATE")
    s.scores("CGLATE", "BASELINE", 0, FSMCTOT=60)
    s.scores("CGLATE", "MONTH 3", 91, FSMCTOT=58)
    s.caregiver("CGLATE")
    s.scores("CGLATE", "MONTH 3", 91, respondent="CAREGIVER", ZBITOT=30)
    # NOTSCORED: its only post-baseline FSMC has 19 of 20 items -> FSMCTOT missing (any item
    # missing -> missing), not analysed (ANLFL N) -> not FAS.
    s.patient("NOTSCORED")
    s.scores("NOTSCORED", "BASELINE", 0, FSMCTOT=60)
    s.scores("NOTSCORED", "MONTH 3", 91, **items("FSMC", [3] * 19 + [None]))
    # BASEDAY1: BASELINE dated day 1 (after day 0): not a baseline -> not FAS.
    s.patient("BASEDAY1")
    s.scores("BASEDAY1", "BASELINE", 1, FSMCTOT=60)
    s.scores("BASEDAY1", "MONTH 3", 91, FSMCTOT=50)
    # NEVER: only another therapy -> no day 0, not SAF (nor FAS).
    s.patient("NEVER", courses=(), status="WITHDRAWAL BY SUBJECT", eos_day=200)
    s.scores("NEVER", "BASELINE", -5, FSMCTOT=60)
    # --- relapses and study years -----------------------------------------------------------
    # REL: EOS day 1095. Relapses on day 0 (never counts), 1 and 365 (year 1: (0, 365.25]),
    # 366 (year 2: 366 > 365.25), 1095 (year 3: <= 1095.75, and = EOS: counts) and 1096 (after
    # EOS: does not count). NREL = 4; RELY1 = 2, RELY2 = 1, RELY3 = 1.
    s.patient("REL", eos_day=1095)
    for day in (0, 1, 365, 366, 1095, 1096):
        s.relapse("REL", day)
    # LATEREL: EOS day 1200; relapse on day 1096 = year 4 (1096 > 1095.75): RELY3 = 0, NREL 1.
    s.patient("LATEREL", eos_day=1200)
    s.relapse("LATEREL", 1096)
    # EOS366: in study at the start of year 2 (366 > 365.25), not of year 3 (366 <= 730.5).
    # EOS365: not in study at the start of year 2 (365 <= 365.25).
    s.patient("EOS366", eos_day=366, status="LOST TO FOLLOW-UP")
    s.patient("EOS365", eos_day=365, status="LOST TO FOLLOW-UP")
    # --- treatment --------------------------------------------------------------------------
    # RETREAT: courses on days 0, 365, 800: the third course is retreatment (RETRTDY 800).
    # TWOCRS: courses on days 0 and 365: no retreatment.
    s.patient("RETREAT", courses=(0, 365, 800))
    s.patient("TWOCRS", courses=(0, 365), other_therapy=True)
    # --- visit windows (MONTH 3 target = 3 x 30.4375 = 91.3125) -----------------------------
    # day 122: |122 - 91.3125| = 30.6875 <= 31 in; day 123: 31.6875 out;
    # day 61: 30.3125 in; day 60: 31.3125 out.
    s.patient("WIN")
    s.scores("WIN", "MONTH 3", 122, FSMCTOT=50)
    s.scores("WIN", "MONTH 3", 123, SDMTTOT=50)
    s.scores("WIN", "MONTH 3", 61, BDITOT=10)
    s.scores("WIN", "MONTH 3", 60, EDSS=2.0)
    # MONTH 12 target = 365.25: day 396 -> 30.75 in; day 397 -> 31.75 out.
    s.scores("WIN", "MONTH 12", 396, FSMCTOT=50)
    s.scores("WIN", "MONTH 12", 397, SDMTTOT=50)
    # --- EOS and FSMC improvement (change <= -9) --------------------------------------------
    # EOS9: 60 at baseline, 55 at MONTH 12 (day 365, change -5), 51 at MONTH 24 (day 730,
    # change -9 <= -9: improvement). EOS = MONTH 24; TTFSMCI event at day 730, 730 / 30.4375
    # = 23.98357... months.
    s.patient("EOS9")
    s.scores("EOS9", "BASELINE", -1, FSMCTOT=60)
    s.scores("EOS9", "MONTH 12", 365, FSMCTOT=55)
    s.scores("EOS9", "MONTH 24", 730, FSMCTOT=51)
    # EOS8: 60, then 58 at MONTH 6 (day 183), 52 at MONTH 12 (day 365, change -8: not an
    # improvement), then 40 at MONTH 24 on day 800 (|800 - 730.5| = 69.5 > 31: out of window).
    # Kept: EOS = MONTH 24, event at day 800. Excluded by the switch: EOS = MONTH 12, censored
    # at the last assessment, day 365 (11.99178... months).
    s.patient("EOS8")
    s.scores("EOS8", "BASELINE", 0, FSMCTOT=60)
    s.scores("EOS8", "MONTH 6", 183, FSMCTOT=58)
    s.scores("EOS8", "MONTH 12", 365, FSMCTOT=52)
    s.scores("EOS8", "MONTH 24", 800, FSMCTOT=40)
    # --- scores from items (all at BASELINE, day 0) -----------------------------------------
    # FSMCSUB: cognitive items (1 4 7 8 11 13 15 17 18 20) = 5, motor items = 1:
    # FSMCCOG 10 x 5 = 50, FSMCMOT 10 x 1 = 10, FSMCTOT 60.
    s.patient("FSMCSUB")
    cog = {1, 4, 7, 8, 11, 13, 15, 17, 18, 20}
    s.scores("FSMCSUB", "BASELINE", 0, **items("FSMC", [5 if i in cog else 1
                                                        for i in range(1, 21)]))
    # FSMCMISS: as FSMCSUB with motor item 2 missing: FSMCTOT and FSMCMOT missing, FSMCCOG 50.
    s.patient("FSMCMISS")
    s.scores("FSMCMISS", "BASELINE", 0, **items("FSMC", [5 if i in cog else (None if i == 2
                                                          else 1) for i in range(1, 21)]))
    # BDI: 21 items of 1 -> 21; BDIMISS: item 21 missing -> missing.
    s.patient("BDI")
    s.scores("BDI", "BASELINE", 0, **items("BDI", [1] * 21))
    s.patient("BDIMISS")
    s.scores("BDIMISS", "BASELINE", 0, **items("BDI", [1] * 20 + [None]))
    # ZBI (caregiver): 22 items of 2 -> 44; ZBIMISS: item 1 missing -> missing.
    s.patient("ZBI")
    s.caregiver("ZBI")
    s.scores("ZBI", "BASELINE", 0, respondent="CAREGIVER", **items("ZBI", [2] * 22))
    s.patient("ZBIMISS")
    s.caregiver("ZBIMISS")
    s.scores("ZBIMISS", "BASELINE", 0, respondent="CAREGIVER", **items("ZBI", [None] + [2] * 21))
    # MSIS: physical (items 1-20, n = 20) all 3 -> 100 x (60 - 20) / 80 = 50; psychological
    # (21-29, n = 9) all 2 -> 100 x (18 - 9) / 36 = 25.
    s.patient("MSIS")
    s.scores("MSIS", "BASELINE", 0, **items("MSIS", [3] * 20 + [2] * 9))
    # MSISHALF: physical 10 of 20 missing (= half: imputed), the 10 answered = 4 -> sum 80 ->
    # 100 x (80 - 20) / 80 = 75; psychological 4 of 9 missing (<= 4.5: imputed), answered = 2
    # -> 25.
    s.patient("MSISHALF")
    s.scores("MSISHALF", "BASELINE", 0,
             **items("MSIS", [4] * 10 + [None] * 10 + [2] * 5 + [None] * 4))
    # MSISOVER: physical 11 of 20 missing, psychological 5 of 9 missing: both missing.
    s.patient("MSISOVER")
    s.scores("MSISOVER", "BASELINE", 0,
             **items("MSIS", [4] * 9 + [None] * 11 + [2] * 4 + [None] * 5))
    # TSQM (ranges: 1-3, 9-11, 14: 1-7; 5-8, 12, 13: 1-5; 4: 0/1):
    # TSQMA: eff (4, 5, 6) -> (15 - 3) / 18 x 100 = 66.666...; item 4 = 1 (yes), side effects
    # (3, 3, 3, 3) -> (12 - 4) / 16 x 100 = 50; convenience (4, 4, 7) -> (15 - 3) / 18 x 100 =
    # 66.666...; global (3, 4, 6) -> (13 - 3) / 14 x 100 = 71.428...
    tsqm_a = [4, 5, 6, 1, 3, 3, 3, 3, 4, 4, 7, 3, 4, 6]
    s.patient("TSQMA")
    s.scores("TSQMA", "BASELINE", 0, **items("TSQM", tsqm_a))
    # TSQMNO: item 4 = 0 (no side effects) -> side effects 100 whatever items 5-8 say.
    s.patient("TSQMNO")
    s.scores("TSQMNO", "BASELINE", 0, **items("TSQM", [*tsqm_a[:3], 0, *tsqm_a[4:]]))
    # TSQMONE: one item missing per domain -> rescaled to the answered items: eff (4, 5, -) ->
    # (9 - 2) / (14 - 2) x 100 = 58.333...; item 4 missing, side effects (3, 3, 3, -) from the
    # items -> (9 - 3) / (15 - 3) x 100 = 50; convenience (4, 4, -) -> (8 - 2) / 12 x 100 = 50;
    # global (5, 3, -) (items 12, 13: 1-5) -> (8 - 2) / (10 - 2) x 100 = 75.
    s.patient("TSQMONE")
    s.scores("TSQMONE", "BASELINE", 0, **items("TSQM", [4, 5, None, None, 3, 3, 3, None, 4, 4,
                                                        None, 5, 3, None]))
    # TSQMTWO: two items missing in every domain -> every domain missing (item 4 = 1).
    s.patient("TSQMTWO")
    s.scores("TSQMTWO", "BASELINE", 0, **items("TSQM", [4, None, None, 1, 3, 3, None, None, 4,
                                                        None, None, 5, None, None]))
    # HRPQ: work 4 missed + 6 reduced = 10; household 2 missed + (reduced missing) = missing.
    s.patient("HRPQ")
    s.scores("HRPQ", "BASELINE", 0, HRPQWMIS=4, HRPQWRED=6, HRPQHMIS=2, HRPQHRED=None)
    # COLLECTED: a score given without items is used as it is.
    s.patient("COLLECTED")
    s.scores("COLLECTED", "BASELINE", 0, BDITOT=17)
    # --- EDSS confirmed improvement ---------------------------------------------------------
    # ED55: baseline 5.5 (>= 5.5: 0.5 suffices); 5.0 at MONTH 3 and MONTH 6: -0.5 twice -> Y.
    # ED50: baseline 5.0 (< 5.5: 1.0 needed); 4.5 twice: -0.5 < 1.0 -> N.
    # ED30: baseline 3.0; 2.0 at MONTH 3 and 6 (-1.0 >= 1.0, sustained) -> Y, at MONTH 3.
    # EDNOT: baseline 3.0; 2.0 at MONTH 3, 2.5 at MONTH 6 (-0.5), 2.0 at MONTH 12 -> not
    # sustained at the next visit -> N.
    for subject, values in {"ED55": (5.5, 5.0, 5.0), "ED50": (5.0, 4.5, 4.5),
                            "ED30": (3.0, 2.0, 2.0), "EDNOT": (3.0, 2.0, 2.5, 2.0)}.items():
        s.patient(subject)
        for visit, day, value in zip(("BASELINE", "MONTH 3", "MONTH 6", "MONTH 12"),
                                     (0, 91, 183, 365), values, strict=False):
            s.scores(subject, visit, day, EDSS=value)
    # --- adverse events ---------------------------------------------------------------------
    # AE: the one course is on day 0 only. Onset day -1: not treatment-emergent; day 0: TE,
    # year 1, infusion-associated; day 1 (= last infusion day + 1): infusion-associated; day 2:
    # not; day 365: year 1; day 366: year 2.
    s.patient("AE")
    for day in (-1, 0, 1, 2, 365, 366):
        s.adverse_event("AE", day)
    return s


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return edge_study().write(tmp_path_factory.mktemp("edge"))


@pytest.fixture(scope="module")
def adam(folder: Path) -> Adam:
    study, _ = load_study(folder)
    return derive_adam(study)


@pytest.fixture(scope="module")
def adam_window_excluded(folder: Path) -> Adam:
    study, _ = load_study(folder)
    return derive_adam(study, exclude_out_of_window=True)


def qs_value(adam: Adam, subject: str, paramcd: str, visit: str = "BASELINE",
             column: str = "AVAL") -> object:
    return row(adam.adqs, USUBJID=subject, PARAMCD=paramcd, AVISIT=visit)[column]


def tte(adam: Adam, subject: str, paramcd: str) -> pd.Series:
    return row(adam.adtte, USUBJID=subject, PARAMCD=paramcd)


# --- populations ---------------------------------------------------------------------------
@pytest.mark.parametrize(("subject", "saf", "fas"), [
    ("FAS", "Y", "Y"), ("CGLATE", "Y", "Y"), ("NOPOST", "Y", "N"), ("NOTSCORED", "Y", "N"),
    ("BASEDAY1", "Y", "N"), ("NEVER", "N", "N"), ("TWOCRS", "Y", "N"),
])  # fmt: skip
def test_saf_and_fas(adam: Adam, subject: str, saf: str, fas: str) -> None:
    assert flag(adam.adsl, subject, "ENRFL") == "Y"
    assert (flag(adam.adsl, subject, "SAFFL"), flag(adam.adsl, subject, "FASFL")) == (saf, fas)


@pytest.mark.parametrize(("subject", "cgpop"), [("FAS", "Y"), ("NOPOST", "N"), ("CGLATE", "N")])
def test_caregiver_population_needs_fas_patient_and_caregiver_baseline(
    adam: Adam, subject: str, cgpop: str
) -> None:
    assert flag(adam.adsl, subject, "CGFL") == "Y"
    assert flag(adam.adsl, subject, "CGPOPFL") == cgpop


def test_completers_and_end_of_study_status(adam: Adam) -> None:
    assert flag(adam.adsl, "FAS", "COMPFL") == "Y"
    assert flag(adam.adsl, "FAS", "EOSSTT") == "COMPLETED"
    assert flag(adam.adsl, "EOS366", "COMPFL") == "N"
    assert flag(adam.adsl, "EOS366", "EOSSTT") == "DISCONTINUED"
    assert flag(adam.adsl, "EOS366", "DCSREAS") == "LOST TO FOLLOW-UP"


def test_day0_is_the_first_alemtuzumab_course(adam: Adam) -> None:
    # RETREAT: courses on days 0, 365, 800: TRTSDT = day 0; EOS day 1100 -> EOSDY 1100
    r = row(adam.adsl, USUBJID="RETREAT")
    assert r["TRTSDT"] == pd.Timestamp("2021-01-04")
    assert r["EOSDY"] == 1100
    # years in study = 1100 / 365.25 = 3.01163...
    assert r["YRSSTUDY"] == pytest.approx(3.0116358658)


def test_undated_baseline_is_not_a_baseline(folder: Path) -> None:
    """BASELINE must be dated on or before day 0: an undated one (validation requires a date,
    derive must not rely on it) is no baseline."""
    study, _ = load_study(folder)
    fas_baseline = (pl.col("USUBJID") == "FAS") & (pl.col("VISIT") == "BASELINE")
    qs = study.qs.with_columns(QSDTC=pl.when(~fas_baseline).then("QSDTC"))
    adam = derive_adam(dataclasses.replace(study, qs=qs))
    assert qs_value(adam, "FAS", "FSMCTOT", column="ABLFL") == "N"
    assert flag(adam.adsl, "FAS", "FASFL") == "N"


def test_never_treated_baseline_counts_in_enrolled_baseline_characteristics(
    adam: Adam, tmp_path: Path
) -> None:
    """data-spec.md: a never-treated patient's BASELINE row is still that patient's baseline
    and counts in the baseline characteristics of ENR. FSMC totals at a valid baseline: FAS,
    NOPOST, CGLATE, NOTSCORED, EOS9, EOS8, FSMCSUB (items: 60) and NEVER (day -5, untreated)
    = 8 (BASEDAY1's is after day 0; FSMCMISS's total is missing)."""
    from helpers.adam.derive import read_adam, write_adam
    from helpers.analysis.baseline import baseline_ard
    from helpers.report.views.baseline import baseline_table

    write_adam(adam, tmp_path)
    written = read_adam(tmp_path)  # as the notebooks read it
    table = baseline_table(baseline_ard(written.adsl, written.adqs, "ENR"), {"ENR": "ENR"})
    rows = table.set_index(["Characteristic", "Statistic"]).iloc[:, 0]
    assert rows[("FSMC total at baseline", "n")] == "8"


# --- baseline, change, EOS -------------------------------------------------------------------
def test_baseline_on_day0_and_day1(adam: Adam) -> None:
    assert qs_value(adam, "FAS", "FSMCTOT", column="ABLFL") == "Y"  # day 0: baseline
    assert qs_value(adam, "BASEDAY1", "FSMCTOT", column="ABLFL") == "N"  # day 1: not
    assert qs_value(adam, "BASEDAY1", "FSMCTOT", column="ANLFL") == "N"
    assert math.isnan(qs_value(adam, "BASEDAY1", "FSMCTOT", "MONTH 3", "CHG"))


def test_analysed_subjects_have_a_baseline_and_a_post_baseline_value(adam: Adam) -> None:
    """FSMC total: FAS, CGLATE, EOS9, EOS8 have both; NOPOST (no post-baseline), BASEDAY1 (no
    valid baseline), NOTSCORED (post-baseline not scored), WIN (no baseline) do not."""
    subjects = subjects_with_change(adam.adqs, "FSMCTOT", "PATIENT")
    assert sorted(subjects) == ["CGLATE", "EOS8", "EOS9", "FAS"]


def test_eos_is_the_last_post_baseline_value(adam: Adam) -> None:
    assert qs_value(adam, "EOS9", "FSMCTOT", "MONTH 24", "EOSFL") == "Y"
    assert qs_value(adam, "EOS9", "FSMCTOT", "MONTH 12", "EOSFL") == "N"
    assert qs_value(adam, "EOS9", "FSMCTOT", "MONTH 24", "CHG") == -9  # 51 - 60
    assert qs_value(adam, "EOS9", "FSMCTOT", "MONTH 12", "CHG") == -5  # 55 - 60


def test_out_of_window_kept_or_excluded(adam: Adam, adam_window_excluded: Adam) -> None:
    assert qs_value(adam, "EOS8", "FSMCTOT", "MONTH 24", "EOSFL") == "Y"
    assert qs_value(adam, "EOS8", "FSMCTOT", "MONTH 24", "CHG") == -20  # 40 - 60
    excl = adam_window_excluded
    assert qs_value(excl, "EOS8", "FSMCTOT", "MONTH 24", "ANLFL") == "N"
    assert qs_value(excl, "EOS8", "FSMCTOT", "MONTH 24", "EOSFL") == "N"
    assert qs_value(excl, "EOS8", "FSMCTOT", "MONTH 12", "EOSFL") == "Y"


@pytest.mark.parametrize(("code", "visit", "in_window"), [
    ("FSMCTOT", "MONTH 3", "Y"), ("SDMTTOT", "MONTH 3", "N"), ("BDITOT", "MONTH 3", "Y"),
    ("EDSS", "MONTH 3", "N"), ("FSMCTOT", "MONTH 12", "Y"), ("SDMTTOT", "MONTH 12", "N"),
])  # fmt: skip
def test_visit_window_edges(adam: Adam, code: str, visit: str, in_window: str) -> None:
    assert qs_value(adam, "WIN", code, visit, "AWINFL") == in_window


def test_adqs_window_flag_agrees_with_validation(folder: Path, adam: Adam) -> None:
    """The same rule flags the same rows: validation's window warnings = post-baseline ADQS
    records with AWINFL = N (WIN: 3, EOS8: 1)."""
    warnings = validate_folder(folder).warnings
    outside = warnings[warnings["rule"].str.contains("outside the visit window")]
    flagged = adam.adqs[adam.adqs["AVISITN"].gt(0) & adam.adqs["AWINFL"].eq("N")]
    assert len(flagged) == 4
    assert len(outside) == len(flagged)


# --- FSMC improvement ----------------------------------------------------------------------
def test_fsmc_improvement_at_exactly_minus_9(adam: Adam) -> None:
    r = tte(adam, "EOS9", "TTFSMCI")
    assert (r["CNSR"], r["ADY"]) == (0, 730)
    assert r["AVAL"] == pytest.approx(730 / MONTH)  # 23.98357...


def test_fsmc_minus_8_is_censored_at_last_assessment(adam: Adam, adam_window_excluded: Adam
                                                     ) -> None:
    kept = tte(adam, "EOS8", "TTFSMCI")
    assert (kept["CNSR"], kept["ADY"]) == (0, 800)  # -20 at the out-of-window MONTH 24
    excl = tte(adam_window_excluded, "EOS8", "TTFSMCI")
    assert (excl["CNSR"], excl["ADY"]) == (1, 365)
    assert excl["AVAL"] == pytest.approx(365 / MONTH)  # 11.99178...


# --- relapses ------------------------------------------------------------------------------
def test_relapses_counted_after_day0_until_end_of_study(adam: Adam) -> None:
    assert row(adam.adsl, USUBJID="REL")["NREL"] == 4  # days 1, 365, 366, 1095
    first = tte(adam, "REL", "TTREL")
    assert (first["CNSR"], first["ADY"]) == (0, 1)
    assert first["AVAL"] == pytest.approx(1 / MONTH)


@pytest.mark.parametrize(("subject", "counts"), [
    ("REL", {"RELY1": 2, "RELY2": 1, "RELY3": 1}),
    ("LATEREL", {"RELY1": 0, "RELY2": 0, "RELY3": 0}),  # day 1096 is year 4
    ("EOS366", {"RELY1": 0, "RELY2": 0}),  # in study at the start of year 2, not of year 3
    ("EOS365", {"RELY1": 0}),  # not in study at the start of year 2
    ("NEVER", {}),  # not SAF
])  # fmt: skip
def test_relapses_per_study_year(adam: Adam, subject: str, counts: dict[str, int]) -> None:
    rows = adam.adtte[adam.adtte["USUBJID"].eq(subject) & adam.adtte["PARAMCD"].str.match("RELY")]
    assert dict(zip(rows["PARAMCD"], rows["AVAL"], strict=True)) == counts


def test_relapse_year_follow_up_ends_at_year_end_or_eos(adam: Adam) -> None:
    assert tte(adam, "REL", "RELY1")["ADY"] == 365.25  # min(1095, 365.25)
    assert tte(adam, "REL", "RELY3")["ADY"] == 1095  # min(1095, 1095.75)
    assert tte(adam, "EOS366", "RELY2")["ADY"] == 366


# --- treatment -----------------------------------------------------------------------------
def test_retreatment_is_course_3_or_later(adam: Adam) -> None:
    r = row(adam.adsl, USUBJID="RETREAT")
    assert (r["NALEMCRS"], r["RETRTFL"], r["RETRTDY"]) == (3, "Y", 800)
    r = row(adam.adsl, USUBJID="TWOCRS")
    assert (r["NALEMCRS"], r["RETRTFL"], r["OTHTRTFL"]) == (2, "N", "Y")


# --- adverse events ------------------------------------------------------------------------
def test_treatment_emergence_study_year_and_infusion_association(adam: Adam) -> None:
    ae = adam.adae[adam.adae["USUBJID"].eq("AE")].sort_values("ASTDY")
    assert ae["ASTDY"].tolist() == [-1, 0, 1, 2, 365, 366]
    assert ae["TRTEMFL"].tolist() == ["N", "Y", "Y", "Y", "Y", "Y"]
    assert ae["AYEAR"].tolist()[1:] == [1, 1, 1, 1, 2]
    assert math.isnan(ae["AYEAR"].iloc[0])
    assert ae["IARFL"].tolist() == ["N", "Y", "Y", "N", "N", "N"]


# --- scores --------------------------------------------------------------------------------
@pytest.mark.parametrize(("subject", "respondent", "expected"), [
    ("FSMCSUB", "PATIENT", {"FSMCTOT": 60, "FSMCCOG": 50, "FSMCMOT": 10}),
    ("FSMCMISS", "PATIENT", {"FSMCTOT": None, "FSMCCOG": 50, "FSMCMOT": None}),
    ("BDI", "PATIENT", {"BDITOT": 21}),
    ("BDIMISS", "PATIENT", {"BDITOT": None}),
    ("ZBI", "CAREGIVER", {"ZBITOT": 44}),
    ("ZBIMISS", "CAREGIVER", {"ZBITOT": None}),
    ("MSIS", "PATIENT", {"MSISPHYS": 50, "MSISPSY": 25}),
    ("MSISHALF", "PATIENT", {"MSISPHYS": 75, "MSISPSY": 25}),
    ("MSISOVER", "PATIENT", {"MSISPHYS": None, "MSISPSY": None}),
    ("TSQMA", "PATIENT", {"TSQMEFF": 200 / 3, "TSQMSE": 50, "TSQMCON": 200 / 3,
                          "TSQMGLO": 1000 / 14}),
    ("TSQMNO", "PATIENT", {"TSQMEFF": 200 / 3, "TSQMSE": 100, "TSQMCON": 200 / 3,
                           "TSQMGLO": 1000 / 14}),
    ("TSQMONE", "PATIENT", {"TSQMEFF": 700 / 12, "TSQMSE": 50, "TSQMCON": 50, "TSQMGLO": 75}),
    ("TSQMTWO", "PATIENT", {"TSQMEFF": None, "TSQMSE": None, "TSQMCON": None,
                            "TSQMGLO": None}),
    ("HRPQ", "PATIENT", {"HRPQWTOT": 10, "HRPQHTOT": None}),
    ("COLLECTED", "PATIENT", {"BDITOT": 17}),
])  # fmt: skip
def test_scores_from_items(adam: Adam, subject: str, respondent: str,
                           expected: dict[str, float | None]) -> None:
    rec = adam.adqs[adam.adqs["USUBJID"].eq(subject) & adam.adqs["RESPONDENT"].eq(respondent)]
    got = rec.set_index("PARAMCD")["AVAL"]
    for code, value in expected.items():
        if value is None:
            assert code not in got or np.isnan(got[code]), code
        else:
            assert got[code] == pytest.approx(value), code


@pytest.mark.parametrize(("subject", "confirmed", "visit"), [
    ("ED55", "Y", "MONTH 3"), ("ED50", "N", None), ("ED30", "Y", "MONTH 3"), ("EDNOT", "N", None),
])  # fmt: skip
def test_edss_confirmed_improvement(adam: Adam, subject: str, confirmed: str,
                                    visit: str | None) -> None:
    out = row(instruments.edss_confirmed_improvement(adam.adqs), USUBJID=subject)
    assert out["CONFFL"] == confirmed
    assert (out["CONFVIS"] if isinstance(out["CONFVIS"], str) else None) == visit


# --- items beside a collected score --------------------------------------------------------
@pytest.mark.parametrize(("collected", "errors"), [(60.05, 0), (60.1, 1)])
def test_collected_score_must_agree_with_items(tmp_path: Path, collected: float,
                                               errors: int) -> None:
    """Items summing to 60 beside a collected FSMCTOT: within 0.05 (rounded to one decimal)
    they agree; 60.1 differs by 0.1 > 0.05 -> an error."""
    s = EdgeStudy()
    s.patient("A")
    s.scores("A", "BASELINE", 0, **items("FSMC", [3] * 20), FSMCTOT=collected)
    report = validate_folder(s.write(tmp_path))
    assert len(report.errors) == errors


# --- match rules of the reproduction check (published.yaml) ---------------------------------
@pytest.mark.parametrize(("published", "match", "value", "expected"), [
    (7.8, "abs:1.0", 8.8, True),  # 8.8 - 7.8 = 1.0000000000000009 in floats: at the edge
    (7.8, "abs:1.0", 8.81, False),  # just past it
    (72.4, "exact", 72.449, True),  # 72.449 rounds to 72.4 at the published decimal
    (72.4, "exact", 72.46, False),  # 72.5
    (87, "exact", 87.4, True),  # no decimals published
    (87, "exact", 87.6, False),
    ("< 0.01", "cond", 0.0099, True),
    ("< 0.01", "cond", 0.01, False),
    ("in [10.8, 13.2]", "cond", 10.8, True),
    ("in [10.8, 13.2]", "cond", 13.21, False),
])  # fmt: skip
def test_match_rules_at_their_edge(published: object, match: str, value: float,
                                   expected: bool) -> None:
    figure = PublishedFigure("x", "s", "A", published, match, None, None)  # type: ignore[arg-type]
    assert judge(figure, value) is expected


# --- value rules of data-spec.md: at the edge valid, just past it an error ------------------
def validation_study() -> EdgeStudy:
    s = EdgeStudy()
    s.patient("A")
    s.caregiver("A")
    s.scores("A", "BASELINE", 0, EDSS=3.0, SDMTTOT=50, HRPQWMIS=10, FSMC01=3, BDI01=1,
             TSQM04=1, TSQM05=3, TSQM14=4)
    s.scores("A", "BASELINE", 0, respondent="CAREGIVER", ZBI01=2)
    return s


QS_ROW = {code: i for i, code in enumerate(
    ["EDSS", "SDMTTOT", "HRPQWMIS", "FSMC01", "BDI01", "TSQM04", "TSQM05", "TSQM14", "ZBI01"])}


@pytest.mark.parametrize(("file", "row_index", "column", "at_edge", "past_edge"), [
    ("dm", 0, "AGE", 18, 17), ("dm", 0, "AGE", 80, 81),  # AGE 18-80
    ("cg", 0, "CGAGE", 18, 17), ("cg", 0, "CGAGE", 100, 101),  # CGAGE 18-100
    ("dm", 0, "MSDURY", 0, -0.5), ("dm", 0, "NPRIORDMT", 0, -1),  # >= 0
    ("cg", 0, "CGYEARS", 0, -0.5),
    ("dm", 0, "DSSTDTC", "2020-12-05", "2020-12-04"),  # >= RFICDTC (day -30 = 2020-12-05)
    ("ex", 0, "EXENDTC", "2021-01-04", "2021-01-03"),  # >= EXSTDTC (day 0)
    ("dm", 0, "DTHDTC", "", "2024-01-09"),  # present iff DSDECOD = DEATH (A: COMPLETED)
    ("ex", 0, "EXCOURSE", 1, ""),  # present on ALEMTUZUMAB rows
    ("qs", QS_ROW["EDSS"], "QSSTRESN", 10, 10.5),  # EDSS 0-10
    ("qs", QS_ROW["EDSS"], "QSSTRESN", 2.5, 2.25),  # in steps of 0.5
    ("qs", QS_ROW["SDMTTOT"], "QSSTRESN", 110, 111),  # SDMT 0-110
    ("qs", QS_ROW["SDMTTOT"], "QSSTRESN", 0, -1),
    ("qs", QS_ROW["HRPQWMIS"], "QSSTRESN", 168, 169),  # HRPQ 0-168 hours
    ("qs", QS_ROW["FSMC01"], "QSSTRESN", 5, 6), ("qs", QS_ROW["FSMC01"], "QSSTRESN", 1, 0),
    ("qs", QS_ROW["BDI01"], "QSSTRESN", 3, 4), ("qs", QS_ROW["BDI01"], "QSSTRESN", 0, -1),
    ("qs", QS_ROW["ZBI01"], "QSSTRESN", 4, 5),
    ("qs", QS_ROW["TSQM04"], "QSSTRESN", 1, 2),  # item 4: 0/1
    ("qs", QS_ROW["TSQM05"], "QSSTRESN", 5, 6),  # items 5-8, 12, 13: 1-5
    ("qs", QS_ROW["TSQM14"], "QSSTRESN", 7, 8),  # items 1-3, 9-11, 14: 1-7
])  # fmt: skip
def test_value_rules_at_their_edge(tmp_path: Path, file: str, row_index: int, column: str,
                                   at_edge: object, past_edge: object) -> None:
    for value, errors, folder in ((at_edge, 0, "edge"), (past_edge, 1, "past")):
        s = validation_study()
        s.rows[file][row_index][column] = value
        report = validate_folder(s.write(tmp_path / folder))
        assert len(report.errors) == errors, (value, report.format())
