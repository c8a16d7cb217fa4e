"""ADaM-like derivations on a small hand-made typed study, against independent pandas code."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import polars as pl
import pytest

from helpers.adam.derive import COLUMNS, Adam, derive_adam, read_adam, write_adam
from helpers.analysis import baseline, change_from_baseline, population
from helpers.data.load import StudyData
from helpers.report import views

D0 = {"S1": "2020-01-06", "S2": "2020-02-03", "S4": "2020-03-02"}  # first alemtuzumab infusion
NaT = pd.NaT


def day(subj: str, n: int) -> pd.Timestamp:
    """Date of elapsed day n of a treated subject (the fixture is written in elapsed days)."""
    return pd.Timestamp(D0[subj]) + pd.Timedelta(days=n)


def typed(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    df["_LINE"] = np.arange(2, len(df) + 2)
    return df


def make_study() -> StudyData:
    """S1: completed, 3 courses, caregiver; S2: discontinued, 1 course, out-of-window MONTH 6;
    S3: never treated (other DMT); S4: BASELINE after day 0 (not FAS)."""
    dm = typed([
        dict(USUBJID="S1", SITEID="A", COUNTRY="DNK", SEX="F", AGE=30.0, MSDURY=5.0,
             NPRIORDMT=2.0, RFICDTC=day("S1", -10), DSDECOD="COMPLETED",
             DSSTDTC=day("S1", 1100), DTHDTC=NaT),
        dict(USUBJID="S2", SITEID="A", COUNTRY="NOR", SEX="M", AGE=40.0, MSDURY=2.0,
             NPRIORDMT=1.0, RFICDTC=day("S2", -5), DSDECOD="DEATH", DSSTDTC=day("S2", 500),
             DTHDTC=day("S2", 500)),
        dict(USUBJID="S3", SITEID="B", COUNTRY="ITA", SEX="F", AGE=50.0, MSDURY=9.0,
             NPRIORDMT=3.0, RFICDTC=pd.Timestamp("2020-04-01"), DSDECOD="WITHDRAWAL BY SUBJECT",
             DSSTDTC=pd.Timestamp("2020-05-01"), DTHDTC=NaT),
        dict(USUBJID="S4", SITEID="B", COUNTRY="ITA", SEX="M", AGE=35.0, MSDURY=1.0,
             NPRIORDMT=0.0, RFICDTC=day("S4", -3), DSDECOD=np.nan, DSSTDTC=NaT, DTHDTC=NaT),
    ], ["USUBJID", "SITEID", "COUNTRY", "SEX", "AGE", "MSDURY", "NPRIORDMT", "RFICDTC",
        "DSDECOD", "DSSTDTC", "DTHDTC"])  # fmt: skip
    alem = "ALEMTUZUMAB"
    ex = typed([
        dict(USUBJID="S1", EXTRT=alem, EXCOURSE=2.0, EXSTDTC=day("S1", 371),
             EXENDTC=day("S1", 373), EXDOSE=12.0),
        dict(USUBJID="S1", EXTRT=alem, EXCOURSE=1.0, EXSTDTC=day("S1", 0),
             EXENDTC=day("S1", 4), EXDOSE=12.0),
        dict(USUBJID="S1", EXTRT=alem, EXCOURSE=3.0, EXSTDTC=day("S1", 800),
             EXENDTC=day("S1", 802), EXDOSE=12.0),
        dict(USUBJID="S2", EXTRT=alem, EXCOURSE=1.0, EXSTDTC=day("S2", 0),
             EXENDTC=day("S2", 4), EXDOSE=12.0),
        dict(USUBJID="S2", EXTRT="NATALIZUMAB", EXCOURSE=np.nan, EXSTDTC=day("S2", 450),
             EXENDTC=day("S2", 450), EXDOSE=300.0),
        dict(USUBJID="S3", EXTRT="OCRELIZUMAB", EXCOURSE=np.nan,
             EXSTDTC=pd.Timestamp("2020-04-10"), EXENDTC=pd.Timestamp("2020-04-10"),
             EXDOSE=300.0),
        dict(USUBJID="S4", EXTRT=alem, EXCOURSE=1.0, EXSTDTC=day("S4", 0),
             EXENDTC=day("S4", 4), EXDOSE=12.0),
    ], ["USUBJID", "EXTRT", "EXCOURSE", "EXSTDTC", "EXENDTC", "EXDOSE"])  # fmt: skip
    # (subject, respondent, qscat, code, visit, elapsed day or date, value)
    q = [
        ("S1", "PATIENT", "FSMC", "FSMCTOT", "BASELINE", -3, 60),
        ("S1", "PATIENT", "FSMC", "FSMCTOT", "MONTH 3", 92, 55),
        ("S1", "PATIENT", "FSMC", "FSMCTOT", "MONTH 6", 180, 50),
        ("S1", "PATIENT", "FSMC", "FSMCTOT", "MONTH 12", 366, 52),
        ("S1", "PATIENT", "EDSS", "EDSS", "BASELINE", -3, 3.0),
        ("S1", "PATIENT", "EDSS", "EDSS", "MONTH 12", 366, 2.0),
        ("S1", "CAREGIVER", "ZBI", "ZBITOT", "BASELINE", -3, 30),
        ("S1", "CAREGIVER", "ZBI", "ZBITOT", "MONTH 12", 366, 25),
        ("S1", "PATIENT", "HRPQ", "HRPQWMIS", "BASELINE", -3, 4),
        ("S1", "PATIENT", "HRPQ", "HRPQWRED", "BASELINE", -3, 6),
        ("S2", "PATIENT", "FSMC", "FSMCTOT", "BASELINE", 0, 70),
        ("S2", "PATIENT", "FSMC", "FSMCTOT", "MONTH 3", 95, 66),
        ("S2", "PATIENT", "FSMC", "FSMCTOT", "MONTH 6", 250, 58),  # outside 183 +/- 31
        ("S2", "PATIENT", "EDSS", "EDSS", "MONTH 3", 95, 4.0),  # no baseline
        ("S2", "PATIENT", "SDMT", "SDMTTOT", "BASELINE", 0, np.nan),  # left empty
        ("S3", "PATIENT", "FSMC", "FSMCTOT", "BASELINE", pd.Timestamp("2020-04-02"), 48),
        ("S4", "PATIENT", "FSMC", "FSMCTOT", "BASELINE", 2, 66),  # after day 0
        ("S4", "PATIENT", "FSMC", "FSMCTOT", "MONTH 3", 90, 60),
    ]
    rows = [
        dict(USUBJID=s, RESPONDENT=r, QSCAT=c, QSTESTCD=t, QSSTRESN=float(v), VISIT=vis,
             QSDTC=d if isinstance(d, pd.Timestamp) else day(s, d))
        for s, r, c, t, vis, d, v in q
    ]  # fmt: skip
    # S2 MSIS-29 at BASELINE: 11 physical items missing -> physical not scorable
    rows += [
        dict(USUBJID="S2", RESPONDENT="PATIENT", QSCAT="MSIS-29", QSTESTCD=f"MSIS{i:02d}",
             QSSTRESN=2.0 if i <= 9 or i > 20 else np.nan, VISIT="BASELINE", QSDTC=day("S2", -1))
        for i in range(1, 30)
    ]  # fmt: skip
    qs = typed(rows, ["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "QSSTRESN", "VISIT", "QSDTC"])
    ce = typed([
        dict(USUBJID="S1", CEDECOD="MS RELAPSE", CESTDTC=day("S1", 100)),
        dict(USUBJID="S1", CEDECOD="MS RELAPSE", CESTDTC=day("S1", 366)),  # year 2
        dict(USUBJID="S1", CEDECOD="MS RELAPSE", CESTDTC=day("S1", 1096)),  # year 3
        dict(USUBJID="S2", CEDECOD="MS RELAPSE", CESTDTC=day("S2", -5)),  # before day 0
        dict(USUBJID="S2", CEDECOD="MS RELAPSE", CESTDTC=day("S2", 200)),
        dict(USUBJID="S3", CEDECOD="MS RELAPSE", CESTDTC=pd.Timestamp("2020-04-20")),
    ], ["USUBJID", "CEDECOD", "CESTDTC"])  # fmt: skip
    ae_cols = ["USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "AESEV", "AESER", "AEREL",
               "AESTDTC", "AEENDTC", "AEOUT", "AEACN"]  # fmt: skip

    def ae_row(s, seq, term, start, end=NaT):
        return dict(USUBJID=s, AESEQ=float(seq), AETERM=term.lower(), AEDECOD=term,
                    AEBODSYS="SOC", AESEV="MILD", AESER="N", AEREL="Y", AESTDTC=start,
                    AEENDTC=end, AEOUT="RECOVERED/RESOLVED", AEACN="NOT APPLICABLE")

    ae = typed([
        ae_row("S1", 2, "Rash", day("S1", 374)),  # last infusion day of course 2 + 1: IAR
        ae_row("S1", 1, "Headache", day("S1", 0), day("S1", 1)),
        ae_row("S1", 3, "Pyrexia", day("S1", 375)),  # day after the IAR window
        ae_row("S1", 4, "Hypothyroidism", day("S1", 730)),  # year 2 ends at 730.5
        ae_row("S2", 1, "Fatigue", day("S2", -2)),  # before day 0
        ae_row("S3", 1, "Headache", pd.Timestamp("2020-04-11")),
    ], ae_cols)  # fmt: skip
    cg = typed([
        dict(USUBJID="S1", CGSEX="M", CGAGE=33.0, CGREL="SPOUSE/PARTNER", CGYEARS=2.0,
             CGEMPLOY="FULL-TIME", CGCHILD="Y"),
    ], ["USUBJID", "CGSEX", "CGAGE", "CGREL", "CGYEARS", "CGEMPLOY", "CGCHILD"])  # fmt: skip
    return StudyData(dm=dm, ex=ex, qs=pl.from_pandas(qs), ce=ce, ae=ae, cg=cg)


@pytest.fixture(scope="module")
def study() -> StudyData:
    return make_study()


@pytest.fixture(scope="module")
def adam(study) -> Adam:
    return derive_adam(study)


def text_as_object(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical text columns as object text (NaN when missing)."""
    return frame.astype(dict.fromkeys(frame.select_dtypes("category").columns, object))


def day0_of(study: StudyData) -> pd.Series:
    ex = study.ex
    return ex[ex["EXTRT"] == "ALEMTUZUMAB"].groupby("USUBJID")["EXSTDTC"].min()


def test_columns_are_the_documented_ones(adam):
    for name, cols in COLUMNS.items():
        assert getattr(adam, name).columns.tolist() == [c.name for c in cols]


def test_adsl(study, adam):
    adsl = adam.adsl.set_index("USUBJID")
    d0 = day0_of(study)
    dm = study.dm.set_index("USUBJID")
    assert adsl.index.tolist() == ["S1", "S2", "S3", "S4"]
    pd.testing.assert_series_equal(adsl["TRTSDT"], d0.reindex(adsl.index), check_names=False)
    eosdy = (dm["DSSTDTC"] - d0.reindex(dm.index)).dt.days
    assert adsl["EOSDY"].tolist() == pytest.approx(eosdy.tolist(), nan_ok=True)
    assert adsl["EOSSTT"].tolist() == ["COMPLETED", "DISCONTINUED", "DISCONTINUED", "ONGOING"]
    assert adsl["DCSREAS"].fillna("").tolist() == ["", "DEATH", "WITHDRAWAL BY SUBJECT", ""]
    assert adsl["DTHFL"].tolist() == ["N", "Y", "N", "N"]
    assert adsl["SAFFL"].tolist() == ["Y", "Y", "N", "Y"]
    assert adsl["FASFL"].tolist() == ["Y", "Y", "N", "N"]  # S4: baseline after day 0
    assert adsl["COMPFL"].tolist() == ["Y", "N", "N", "N"]
    assert adsl["NALEMCRS"].tolist() == [3, 1, 0, 1]
    assert adsl["RETRTFL"].tolist() == ["Y", "N", "N", "N"]
    assert adsl.loc["S1", "RETRTDY"] == 800
    assert adsl["OTHTRTFL"].tolist() == ["N", "Y", "Y", "N"]
    # relapses after day 0 and not after end of study, by an independent count
    ce = study.ce.assign(dy=(study.ce["CESTDTC"] - study.ce["USUBJID"].map(d0)).dt.days)
    ce = ce[ce["dy"] > 0]
    expected = ce.groupby("USUBJID").size().reindex(["S1", "S2"], fill_value=0)
    assert adsl.loc[["S1", "S2"], "NREL"].tolist() == expected.tolist()
    assert np.isnan(adsl.loc["S3", "NREL"])
    assert adsl.loc["S1", "YRSSTUDY"] == pytest.approx(1100 / 365.25)
    assert adsl["CGFL"].tolist() == ["Y", "N", "N", "N"]
    assert adsl["CGPOPFL"].tolist() == ["Y", "N", "N", "N"]
    assert adsl.loc["S1", "CGAGE"] == 33


def test_adqs_baseline_change_eos_independent(study, adam):
    """BASE, CHG, EOSFL recomputed from the collected FSMC/EDSS/ZBI scores with groupby."""
    d0 = day0_of(study)
    all_qs = study.qs.to_pandas()
    qs = all_qs[all_qs["QSTESTCD"].isin(["FSMCTOT", "EDSS", "ZBITOT"])
                & all_qs["USUBJID"].isin(d0.index)].copy()
    qs["ady"] = (qs["QSDTC"] - qs["USUBJID"].map(d0)).dt.days
    qs["month"] = qs["VISIT"].map({"BASELINE": 0, "MONTH 3": 3, "MONTH 6": 6, "MONTH 12": 12})
    key = ["USUBJID", "RESPONDENT", "QSTESTCD"]
    base = qs[(qs["month"] == 0) & (qs["ady"] <= 0)].set_index(key)["QSSTRESN"]
    never_treated = all_qs[~all_qs["USUBJID"].isin(d0.index)
                           & all_qs["QSTESTCD"].isin(["FSMCTOT", "EDSS", "ZBITOT"])
                           & all_qs["VISIT"].eq("BASELINE")]
    base = pd.concat([base, never_treated.set_index(key)["QSSTRESN"]])
    post = qs[qs["month"] > 0].copy()
    post["base"] = post.set_index(key).index.map(base)
    post["chg"] = post["QSSTRESN"] - post["base"]
    eos = post.sort_values("month").groupby(key).tail(1)

    adqs = text_as_object(adam.adqs).rename(columns={"PARAMCD": "QSTESTCD"})
    got = adqs[adqs["QSTESTCD"].isin(["FSMCTOT", "EDSS", "ZBITOT"])]
    got_post = got[got["AVISITN"] > 0].set_index([*key, "AVISIT"]).sort_index()
    exp_post = post.set_index([*key, "VISIT"]).sort_index()
    assert got_post["CHG"].tolist() == pytest.approx(exp_post["chg"].tolist(), nan_ok=True)
    got_eos = got[got["EOSFL"] == "Y"].set_index([*key, "AVISIT"]).sort_index()
    assert got_eos.index.tolist() == eos.set_index([*key, "VISIT"]).sort_index().index.tolist()
    got_base = got[got["ABLFL"] == "Y"].set_index(key)["AVAL"].sort_index()
    pd.testing.assert_series_equal(got_base, base.sort_index(), check_names=False)


def test_parameter_values_are_those_of_a_groupby_transform():
    """adqs.with_parameter_values puts on each record its parameter's aggregate (here BASE:
    the AVAL of its ABLFL = Y record; none for a parameter without one), in record order, as
    pandas' groupby-transform over the same records does."""
    from helpers.adam.adqs import PARAM_KEY, derive_var_base, with_parameter_values

    rng = np.random.default_rng(7)
    n = 400
    records = pl.DataFrame({
        "USUBJID": rng.choice(["S1", "S2", "S3"], n),
        "RESPONDENT": rng.choice(["PATIENT", "CAREGIVER"], n),
        "PARAMCD": rng.choice(["FSMCTOT", "EDSS", "BDITOT"], n),
        "AVAL": rng.integers(0, 60, n) * 1.0,
        "ABLFL": np.where(rng.random(n) < 0.1, "Y", "N"),
    })
    got = with_parameter_values(records, BASE=derive_var_base()).to_pandas()

    expected = records.to_pandas()
    baseline = expected["AVAL"].where(expected["ABLFL"].eq("Y"))
    expected["BASE"] = baseline.groupby([expected[k] for k in PARAM_KEY]).transform("first")
    pd.testing.assert_frame_equal(got, expected)
    assert expected["BASE"].isna().any() and expected["BASE"].notna().any()


def test_adqs_flags_and_derived_parameters(adam):
    q = adam.adqs.set_index(["USUBJID", "PARAMCD", "AVISIT"])
    assert q.loc[("S2", "FSMCTOT", "MONTH 6"), "AWINFL"] == "N"
    assert q.loc[("S2", "FSMCTOT", "MONTH 6"), "ANLFL"] == "Y"  # switch off: kept
    assert q.loc[("S4", "FSMCTOT", "BASELINE"), ["ABLFL", "ANLFL"]].tolist() == ["N", "N"]
    assert np.isnan(q.loc[("S4", "FSMCTOT", "MONTH 3"), "CHG"])
    assert q.loc[("S1", "HRPQWTOT", "BASELINE"), "AVAL"] == 10
    assert ("S1", "HRPQHTOT", "BASELINE") not in q.index  # no household components
    msis = q.loc[("S2", "MSISPHYS", "BASELINE")]
    assert np.isnan(msis["AVAL"]) and msis["QSORIG"] == "DERIVED" and msis["ANLFL"] == "N"
    assert q.loc[("S2", "MSISPSY", "BASELINE"), "AVAL"] == pytest.approx(25.0)
    # S3, never treated: only its BASELINE record, its baseline without day or change
    s3 = adam.adqs[adam.adqs["USUBJID"].eq("S3")]
    assert s3[["PARAMCD", "AVISIT", "AVAL", "ABLFL", "ANLFL", "EOSFL"]].values.tolist() == [
        ["FSMCTOT", "BASELINE", 48.0, "Y", "Y", "N"]]  # fmt: skip
    assert s3[["ADY", "CHG"]].isna().all(axis=None) and s3["BASE"].tolist() == [48.0]
    dated = adam.adqs["ADY"].dropna()
    assert dated.eq(dated.round()).all()


def test_a_never_treated_baseline_counts_in_the_enr_baseline_not_in_change(adam):
    """FSMC total at BASELINE: S1 60 (day -3), S2 70 (day 0), S3 48 (never treated), S4 66 (day
    2: not a baseline). ENR mean (SD) = mean(60, 70, 48) = 59.33 (SD 11.02), n = 3; the change
    analysis has S1 and S2 only (S3 has no day 0 and no post-baseline value)."""
    adsl, adqs = text_as_object(adam.adsl), text_as_object(adam.adqs)
    table = views.baseline.baseline_table(baseline.baseline_ard(adsl, adqs, "ENR"),
                                          {"Enrolled": "ENR"})
    fsmc = table[table["Characteristic"].str.startswith("FSMC total")].set_index("Statistic")
    assert fsmc.iloc[:, -1][["n", "Mean (SD)"]].tolist() == ["3", "59.3 (11.0)"]
    records = change_from_baseline.analysed_records(adqs, adsl["USUBJID"], "PATIENT", ["FSMCTOT"])
    assert sorted(records["USUBJID"].unique()) == ["S1", "S2"]


def test_out_of_window_switch(study):
    on = derive_adam(study, exclude_out_of_window=True)
    q = on.adqs.set_index(["USUBJID", "PARAMCD", "AVISIT"])
    rec = q.loc[("S2", "FSMCTOT", "MONTH 6")]
    assert rec["ANLFL"] == "N" and rec["EOSFL"] == "N" and np.isnan(rec["CHG"])
    assert q.loc[("S2", "FSMCTOT", "MONTH 3"), "EOSFL"] == "Y"
    ex = on.exclusions.set_index("reason")
    assert ex.loc["post-baseline record outside its visit window: excluded by switch",
                  "n_records"] == 1  # fmt: skip


def test_exclusions_counted(adam):
    ex = adam.exclusions.set_index("reason")[["n_records", "n_subjects"]]
    assert ex.loc["qs rows of never-treated subjects after BASELINE (no elapsed day 0)"
                  ].tolist() == [0, 0]
    assert ex.loc["baseline of never-treated subjects: ENR baseline characteristics only"
                  ].tolist() == [1, 1]
    assert ex.loc["score missing: items do not allow scoring"].tolist() == [1, 1]
    assert ex.loc["score missing: collected score left empty"].tolist() == [1, 1]
    assert ex.loc["BASELINE visit after elapsed day 0 or undated: not a baseline"].tolist() == [
        1, 1]  # fmt: skip
    assert ex.loc["post-baseline record outside its visit window: excluded by switch"].tolist() \
        == [0, 0]
    assert ex.loc["post-baseline record outside its visit window: kept, flagged"].tolist() == [
        1, 1]  # fmt: skip
    # S2 EDSS month 3 and S4 FSMC month 3 have no baseline
    assert ex.loc["post-baseline value without baseline: no change from baseline"].tolist() == [
        2, 2]  # fmt: skip
    assert ex.loc["relapse on or before elapsed day 0 (or undated)"].tolist() == [1, 1]
    assert ex.loc["relapse of a never-treated subject (no elapsed day 0)"].tolist() == [1, 1]
    assert ex.loc["enrolled, no alemtuzumab course: not in SAF"].tolist() == [1, 1]
    assert ex.loc["AE onset before elapsed day 0 (or undated): not treatment-emergent"].tolist() \
        == [1, 1]


def test_adae(study, adam):
    ae = adam.adae.set_index(["USUBJID", "AESEQ"])
    assert ae.index.tolist() == [("S1", 1), ("S1", 2), ("S1", 3), ("S1", 4), ("S2", 1), ("S3", 1)]
    assert ae["ASTDY"].tolist()[:5] == [0, 374, 375, 730, -2]
    assert ae["TRTEMFL"].tolist() == ["Y", "Y", "Y", "Y", "N", "N"]
    assert ae["AYEAR"].tolist()[:4] == [1, 2, 2, 2]
    assert ae["IARFL"].tolist() == ["Y", "Y", "N", "N", "N", "N"]


def test_adtte_fsmc_improvement(adam):
    t = adam.adtte.set_index(["USUBJID", "PARAMCD"])
    # S1: changes -5, -10 (month 6, day 180) -> event; S2: -4, -12 (out of window but kept)
    assert t.loc[("S1", "TTFSMCI"), ["CNSR", "ADY"]].tolist() == [0, 180]
    assert t.loc[("S1", "TTFSMCI"), "AVAL"] == pytest.approx(180 / 30.4375)
    assert t.loc[("S2", "TTFSMCI"), ["CNSR", "ADY"]].tolist() == [0, 250]
    assert ("S4", "TTFSMCI") not in t.index


def test_adtte_fsmc_censoring_with_switch(study):
    t = derive_adam(study, exclude_out_of_window=True).adtte.set_index(["USUBJID", "PARAMCD"])
    assert t.loc[("S2", "TTFSMCI"), ["CNSR", "ADY"]].tolist() == [1, 95]  # last assessment


def test_adtte_relapses_by_year_independent(study, adam):
    d0 = day0_of(study)
    adsl = adam.adsl[adam.adsl["SAFFL"] == "Y"].set_index("USUBJID")
    ce = study.ce[study.ce["USUBJID"].isin(adsl.index)].copy()
    ce["dy"] = (ce["CESTDTC"] - ce["USUBJID"].map(d0)).dt.days
    ce = ce[(ce["dy"] > 0) & (ce["dy"] <= ce["USUBJID"].map(adsl["EOSDY"]))]
    t = adam.adtte.set_index(["USUBJID", "PARAMCD"])
    for k in (1, 2, 3):
        lo, hi = 365.25 * (k - 1), 365.25 * k
        in_study = adsl.index[adsl["EOSDY"] > lo]
        n = ce[(ce["dy"] > lo) & (ce["dy"] <= hi)].groupby("USUBJID").size()
        expected = n.reindex(in_study, fill_value=0)
        got = t.xs(f"RELY{k}", level="PARAMCD")["AVAL"]
        assert got.index.tolist() == sorted(in_study)
        assert got.tolist() == expected.sort_index().tolist()
    first = ce.groupby("USUBJID")["dy"].min()
    ttrel = t.xs("TTREL", level="PARAMCD")
    ady = first.reindex(ttrel.index).fillna(adsl["EOSDY"])
    assert ttrel["ADY"].tolist() == pytest.approx(ady.tolist(), nan_ok=True)
    assert ttrel["CNSR"].tolist() == [0, 0, 1]  # S4 ongoing: censored, time unknown
    assert np.isnan(ttrel.loc["S4", "AVAL"])


def test_write_read_round_trip_and_deterministic_bytes(study, adam, tmp_path):
    write_adam(adam, tmp_path / "a")
    back = read_adam(tmp_path / "a")
    for name in COLUMNS:
        # derive_adam keeps text categorical (memory at scale); read_adam gives object text
        pd.testing.assert_frame_equal(getattr(back, name), text_as_object(getattr(adam, name)),
                                      check_exact=True)
    # same study with rows in another order -> identical bytes
    shuffled = StudyData(**{
        name: getattr(study, name).sample(frac=1, random_state=3)
        for name in ("dm", "ex", "ce", "ae", "cg")
    }, qs=study.qs.sample(fraction=1, shuffle=True, seed=3))  # fmt: skip
    write_adam(derive_adam(shuffled), tmp_path / "b")
    for name in COLUMNS:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (
            tmp_path / "b" / f"{name}.csv"
        ).read_bytes()
    text = (tmp_path / "a" / "adsl.csv").read_text()
    assert "2020-01-06" in text and "00:00:00" not in text and "\r" not in text


#: floats that 12 significant digits (or a careless parser) would change: a change of thirds
#: of a 36-point scale on the 9-decimal rounding midpoint, float noise, extremes
AWKWARD_FLOATS = [100 * 5 / 36 - 100 * 3 / 36, -5.5555555555, -50 / 9, 1 / 3, 0.1 + 0.2,
                  123456789.12345679, 1e-300, 5e-324, -0.0, 2.0]


def test_adam_files_keep_full_float_precision(adam, tmp_path):
    """Every float is written as its shortest round-trip text (Python's repr) and read back as
    the same float64, bit for bit."""
    values = np.resize(np.array(AWKWARD_FLOATS), len(adam.adqs))
    write_adam(dataclasses.replace(adam, adqs=adam.adqs.assign(AVAL=values)), tmp_path)
    text = pd.read_csv(tmp_path / "adqs.csv", dtype=str)["AVAL"]
    assert text.tolist() == [repr(float(v)) for v in values]
    back = read_adam(tmp_path).adqs["AVAL"].to_numpy()
    assert back.view(np.int64).tolist() == values.view(np.int64).tolist()


def test_analysis_set(adam):
    adsl = adam.adsl
    assert population.analysis_set(adsl, "SAF")["USUBJID"].tolist() == ["S1", "S2", "S4"]
    assert population.analysis_set(adsl, "FAS", "NOR")["USUBJID"].tolist() == ["S2"]
    assert population.analysis_set(adsl, "ENR", "ITA")["USUBJID"].tolist() == ["S3", "S4"]
    assert population.analysis_set(adsl, "CG")["USUBJID"].tolist() == ["S1"]
    assert population.analysis_set(adsl, "COMP")["USUBJID"].tolist() == ["S1"]
    with pytest.raises(ValueError, match="unknown population"):
        population.analysis_set(adsl, "ITT")


def test_minimal_study_folder_end_to_end(tmp_path):
    """helper A's hand-written folder (tests/minimal_study.py) through load_study."""
    from minimal_study import write_minimal_study

    from helpers.data.load import load_study

    loaded, _ = load_study(write_minimal_study(tmp_path / "study"))
    adam = derive_adam(loaded)
    adsl = adam.adsl.set_index("USUBJID")
    assert adsl["FASFL"].tolist() == ["Y", "Y", "N", "N"]  # P03 baseline only, P04 untreated
    assert adsl["NREL"].tolist()[:3] == [0, 1, 0]  # P02: one relapse before day 0, one after
    q = adam.adqs.set_index(["USUBJID", "PARAMCD", "AVISIT"])
    # P01 FSMC items: baseline 70; month 12 items sum to 51 (change -19)
    assert q.loc[("P01", "FSMCTOT", "MONTH 12"), ["BASE", "CHG"]].tolist() == [70, -19]
    assert q.loc[("P01", "FSMCTOT", "BASELINE"), "QSORIG"] == "DERIVED"
    assert adam.adae.loc[adam.adae["AEDECOD"].eq("Headache"), "IARFL"].tolist() == ["Y"]


def test_adam_does_not_depend_on_the_order_of_qs_rows(study, adam, tmp_path):
    """Shuffled qs rows give the same ADaM bytes (rows are ordered by their keys, not the file)."""
    qs = study.qs.sample(fraction=1, shuffle=True, seed=4)
    shuffled = StudyData(**{**study.__dict__, "qs": qs})
    write_adam(adam, tmp_path / "as-read")
    write_adam(derive_adam(shuffled), tmp_path / "shuffled")
    for name in COLUMNS:
        assert (tmp_path / "as-read" / f"{name}.csv").read_bytes() == (
            tmp_path / "shuffled" / f"{name}.csv"
        ).read_bytes(), name


def test_enum_columns_reach_pandas_as_its_own_categoricals():
    """derive._pandas_column: an Enum (unused categories, a null, categories not in string
    order) becomes what pandas makes of the same text: categories = the values present, sorted,
    unordered; NaN where missing."""
    from helpers.adam.derive import _pandas_column

    values = ["MONTH 6", None, "BASELINE", "MONTH 12", "BASELINE"]
    visit_order = pl.Enum(["BASELINE", "MONTH 3", "MONTH 6", "MONTH 12"])
    got = _pandas_column(pl.Series("AVISIT", values, dtype=visit_order))
    pd.testing.assert_series_equal(got, pd.Series(values, dtype="category"), check_names=False)
