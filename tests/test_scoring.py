"""Scoring rules (study/instruments.md) against small examples worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from helpers.study import instruments

DAY = pd.Timestamp("2021-03-01")


def qs_of(*admins: tuple[str, str, str, dict[str, float | None]]) -> pd.DataFrame:
    """Typed qs from (USUBJID, QSCAT, VISIT, {QSTESTCD: value}); RESPONDENT from the instrument."""
    rows = [
        {"USUBJID": subj, "RESPONDENT": "CAREGIVER" if cat == "ZBI" else "PATIENT",
         "QSCAT": cat, "QSTESTCD": code, "QSSTRESN": np.nan if v is None else float(v),
         "VISIT": visit, "QSDTC": DAY}
        for subj, cat, visit, values in admins
        for code, v in values.items()
    ]  # fmt: skip
    df = pd.DataFrame(rows)
    df["_LINE"] = np.arange(2, len(df) + 2)
    return df


def scores_of(qs: pd.DataFrame) -> pd.DataFrame:
    """scoring.score_questionnaires on a pandas qs (as the loader types it), as pandas."""
    return instruments.score_questionnaires(pl.from_pandas(qs)).to_pandas()


def disagreements_of(qs: pd.DataFrame) -> pd.DataFrame:
    """scoring.collected_score_disagreements on a pandas qs, as pandas."""
    return instruments.collected_score_disagreements(pl.from_pandas(qs)).to_pandas()


def items(prefix: str, values: list[float | None]) -> dict[str, float | None]:
    return {f"{prefix}{i:02d}": v for i, v in enumerate(values, start=1)}


def score(qs: pd.DataFrame, subj: str, code: str) -> float:
    s = scores_of(qs)
    return s.loc[s["USUBJID"].eq(subj) & s["QSTESTCD"].eq(code), "QSSTRESN"].item()


def test_fsmc_total_and_subscales_by_hand():
    # item i answers 5 for the cognitive items (1,4,7,8,11,13,15,17,18,20) and 2 for motor ones
    cog = {1, 4, 7, 8, 11, 13, 15, 17, 18, 20}
    vals = [5 if i in cog else 2 for i in range(1, 21)]
    qs = qs_of(("A", "FSMC", "BASELINE", items("FSMC", vals)))
    assert score(qs, "A", "FSMCCOG") == 50  # 10 x 5
    assert score(qs, "A", "FSMCMOT") == 20  # 10 x 2
    assert score(qs, "A", "FSMCTOT") == 70


def test_fsmc_any_missing_item_gives_missing_score():
    vals: list[float | None] = [3.0] * 20
    vals[1] = None  # item 2 is a motor item
    qs = qs_of(("A", "FSMC", "BASELINE", items("FSMC", vals)))
    assert np.isnan(score(qs, "A", "FSMCTOT"))
    assert np.isnan(score(qs, "A", "FSMCMOT"))
    assert score(qs, "A", "FSMCCOG") == 30


def test_bdi_and_zbi_sums_and_missing_rule():
    qs = qs_of(
        ("A", "BDI-II", "BASELINE", items("BDI", [1] * 20 + [3])),
        ("B", "BDI-II", "BASELINE", items("BDI", [1] * 20 + [None])),
        ("A", "ZBI", "BASELINE", items("ZBI", [2] * 22)),
        ("B", "ZBI", "BASELINE", items("ZBI", [None] + [4] * 21)),
    )
    assert score(qs, "A", "BDITOT") == 23
    assert np.isnan(score(qs, "B", "BDITOT"))
    assert score(qs, "A", "ZBITOT") == 44
    assert np.isnan(score(qs, "B", "ZBITOT"))


def test_msis_physical_with_two_missing_items():
    # 18 answered physical items: 9 x 2 and 9 x 4 -> mean 3; imputed sum 20 x 3 = 60;
    # score = 100 x (60 - 20) / (4 x 20) = 50
    phys = [2] * 9 + [4] * 9 + [None, None]
    psych = [5] * 9  # 100 x (45 - 9) / 36 = 100
    qs = qs_of(("A", "MSIS-29", "BASELINE", items("MSIS", phys + psych)))
    assert score(qs, "A", "MSISPHYS") == pytest.approx(50.0)
    assert score(qs, "A", "MSISPSY") == pytest.approx(100.0)


def test_msis_half_rule_boundaries():
    # physical: 10 of 20 missing is allowed, 11 is not; psychological: 4 of 9 allowed, 5 not
    phys_ok = [1] * 10 + [None] * 10  # mean 1 -> 0
    psych_bad = [3] * 4 + [None] * 5
    qs = qs_of(
        ("A", "MSIS-29", "BASELINE", items("MSIS", phys_ok + psych_bad)),
        ("B", "MSIS-29", "BASELINE", items("MSIS", [1] * 9 + [None] * 11 + [3] * 5 + [None] * 4)),
    )
    assert score(qs, "A", "MSISPHYS") == pytest.approx(0.0)
    assert np.isnan(score(qs, "A", "MSISPSY"))
    assert np.isnan(score(qs, "B", "MSISPHYS"))
    assert score(qs, "B", "MSISPSY") == pytest.approx(50.0)  # mean 3 -> 100 x 2 / 4


def tsqm(values: dict[int, float | None]) -> dict[str, float | None]:
    return {f"TSQM{i:02d}": values.get(i) for i in range(1, 15)}


def test_tsqm_domains_complete_and_one_missing():
    full = tsqm({1: 4, 2: 4, 3: 4, 4: 1, 5: 3, 6: 3, 7: 3, 8: 3, 9: 7, 10: 7, 11: 7,
                 12: 3, 13: 3, 14: 4})  # fmt: skip
    # effectiveness (12 - 3) / 18 = 50; side effects (12 - 4) / 16 = 50;
    # convenience (21 - 3) / 18 = 100; global (10 - 3) / 14 = 50
    one_missing = tsqm({1: 7, 2: 1, 4: 0, 9: 1, 10: 1, 11: 1, 12: 3, 13: 5})
    # effectiveness items 1, 2 only: (8 - 2) / (14 - 2) = 50; side effects: item 4 = no -> 100;
    # convenience 0; global items 12, 13 (1-5 each): (8 - 2) / (10 - 2) = 75
    two_missing = tsqm({1: 7, 4: 1, 5: 5, 6: 5, 12: 3})
    qs = qs_of(("A", "TSQM", "BASELINE", full), ("B", "TSQM", "BASELINE", one_missing),
               ("C", "TSQM", "BASELINE", two_missing))
    got = scores_of(qs).set_index(["USUBJID", "QSTESTCD"])["QSSTRESN"]
    assert got["A", "TSQMEFF"] == pytest.approx(50)
    assert got["A", "TSQMSE"] == pytest.approx(50)
    assert got["A", "TSQMCON"] == pytest.approx(100)
    assert got["A", "TSQMGLO"] == pytest.approx(50)
    assert got["B", "TSQMEFF"] == pytest.approx(50)
    assert got["B", "TSQMSE"] == pytest.approx(100)
    assert got["B", "TSQMCON"] == pytest.approx(0)
    assert got["B", "TSQMGLO"] == pytest.approx(75)
    assert np.isnan(got["C", "TSQMEFF"])
    assert np.isnan(got["C", "TSQMSE"])  # items 7, 8 missing, item 4 = yes
    assert np.isnan(got["C", "TSQMGLO"])


def test_items_or_scores_origin():
    fsmc = items("FSMC", [3] * 20)  # total 60
    incomplete = items("FSMC", [3] * 19 + [None])
    qs = qs_of(
        ("A", "FSMC", "BASELINE", {**fsmc, "FSMCTOT": 60}),  # both, agreeing
        ("B", "FSMC", "BASELINE", {"FSMCTOT": 55}),  # score alone
        ("C", "FSMC", "BASELINE", {**incomplete, "FSMCTOT": 58}),  # items do not allow scoring
        ("D", "FSMC", "BASELINE", incomplete),  # nothing usable
        ("E", "SDMT", "BASELINE", {"SDMTTOT": None}),  # collected, left empty
    )
    s = scores_of(qs)
    tot = s[s["QSTESTCD"].isin(["FSMCTOT", "SDMTTOT"])].set_index("USUBJID")
    assert tot.loc["A", ["QSSTRESN", "QSORIG"]].tolist() == [60, "DERIVED"]
    assert tot.loc["B", ["QSSTRESN", "QSORIG"]].tolist() == [55, "COLLECTED"]
    assert tot.loc["C", ["QSSTRESN", "QSORIG"]].tolist() == [58, "COLLECTED"]
    assert np.isnan(tot.loc["D", "QSSTRESN"]) and tot.loc["D", "QSORIG"] == "DERIVED"
    assert np.isnan(tot.loc["E", "QSSTRESN"]) and tot.loc["E", "QSORIG"] == "COLLECTED"
    # one row per subject x respondent x visit x score code, only score codes
    assert not s.duplicated(["USUBJID", "RESPONDENT", "VISIT", "QSTESTCD"]).any()
    assert s["QSTESTCD"].isin(["FSMCTOT", "FSMCCOG", "FSMCMOT", "SDMTTOT"]).all()


def test_collected_score_disagreements():
    fsmc = items("FSMC", [3] * 20)  # total 60, subscales 30
    qs = qs_of(
        ("A", "FSMC", "BASELINE", {**fsmc, "FSMCTOT": 61}),
        ("B", "FSMC", "BASELINE", {**fsmc, "FSMCTOT": 60.04, "FSMCCOG": 30}),  # rounding only
        ("C", "FSMC", "BASELINE", {**items("FSMC", [None] + [3] * 19), "FSMCTOT": 10}),
    )
    bad = disagreements_of(qs)
    assert bad.columns.tolist() == ["USUBJID", "RESPONDENT", "VISIT", "QSTESTCD", "_LINE",
                                    "collected", "derived"]  # fmt: skip
    assert bad[["USUBJID", "QSTESTCD", "collected", "derived"]].values.tolist() == [
        ["A", "FSMCTOT", 61.0, 60.0]
    ]
    line = qs.loc[qs["USUBJID"].eq("A") & qs["QSTESTCD"].eq("FSMCTOT"), "_LINE"].item()
    assert bad["_LINE"].item() == line


def test_scoring_without_item_instruments():
    qs = qs_of(("A", "EDSS", "BASELINE", {"EDSS": 3.5}))
    s = scores_of(qs)
    assert s[["QSTESTCD", "QSSTRESN", "QSORIG"]].values.tolist() == [["EDSS", 3.5, "COLLECTED"]]
    assert disagreements_of(qs).empty


def categories(values: list[float | None], cutoffs: tuple[float, ...],
               labels: tuple[str, ...]) -> list[str | None]:
    """instruments.category of `values`, as a list (None = null)."""
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Float64})
    return frame.select(instruments.category(pl.col("v"), cutoffs, labels)).to_series().to_list()


FSMC_LEVELS = ["No fatigue", "Mild", "Mild", "Moderate", "Moderate", "Severe"]


@pytest.mark.parametrize(
    ("cutoffs", "labels", "values", "expected"),
    [
        (instruments.FSMC_SEVERITY_CUTOFFS["FSMCTOT"], instruments.FSMC_SEVERITY_LABELS,
         [42, 43, 52, 53, 62, 63], FSMC_LEVELS),
        (instruments.FSMC_SEVERITY_CUTOFFS["FSMCCOG"], instruments.FSMC_SEVERITY_LABELS,
         [21, 22, 27, 28, 33, 34], FSMC_LEVELS),
        (instruments.FSMC_SEVERITY_CUTOFFS["FSMCMOT"], instruments.FSMC_SEVERITY_LABELS,
         [21, 22, 26, 27, 31, 32], FSMC_LEVELS),
        (instruments.BDI_CUTOFFS, instruments.BDI_LABELS, [13, 14, 19, 20, 28, 29],
         ["Minimal", "Mild", "Mild", "Moderate", "Moderate", "Severe"]),
        (instruments.ZBI_CUTOFFS, instruments.ZBI_LABELS, [20, 21, 40, 41, 60, 61],
         ["Little or no burden", "Mild to moderate", "Mild to moderate", "Moderate to severe",
          "Moderate to severe", "Severe"]),
    ],
)  # fmt: skip
def test_category_thresholds(cutoffs, labels, values, expected):
    """Each category from its cutoff (inclusive) up to the next (exclusive): each cutoff and the
    value just below it."""
    assert categories(values, cutoffs, labels) == expected


def test_category_of_a_missing_value_is_missing():
    cutoffs = instruments.FSMC_SEVERITY_CUTOFFS["FSMCMOT"]
    got = categories([0, None, 100], cutoffs, instruments.FSMC_SEVERITY_LABELS)
    assert got == ["No fatigue", None, "Severe"]


@pytest.mark.parametrize(("base", "value", "improved"), [
    (5.5, 5.0, True),  # baseline >= 5.5: a decrease of 0.5 suffices
    (5.0, 4.5, False),  # baseline < 5.5: 0.5 is not enough ...
    (5.0, 4.0, True),  # ... 1.0 is
    (6.0, 6.0, False),  # no decrease
    (3.0, 2.5, False),
    (3.0, 1.5, True),
    (None, 2.0, None),  # no baseline: not evaluated
])  # fmt: skip
def test_edss_improvement_edges(base, value, improved):
    frame = pl.DataFrame({"BASE": [base], "AVAL": [value]},
                         schema={"BASE": pl.Float64, "AVAL": pl.Float64})
    got = frame.select(instruments.is_edss_improved(pl.col("BASE"), pl.col("AVAL"))).item()
    assert got == improved


def test_categorical_codes_give_the_same_scores_in_string_order():
    # codes as categoricals whose categories are not in string order (as a loader may give them)
    qs = qs_of(
        ("B", "FSMC", "MONTH 3", items("FSMC", [2] * 20)),
        ("A", "FSMC", "BASELINE", {**items("FSMC", [3] * 20), "FSMCTOT": 60}),
        ("A", "EDSS", "BASELINE", {"EDSS": 3.5}),
    )
    as_cat = qs.copy()
    for col in ["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "VISIT"]:
        as_cat[col] = pd.Categorical(qs[col], categories=sorted(qs[col].unique(), reverse=True))
    got = scores_of(as_cat).astype({"QSORIG": object})
    want = scores_of(qs).astype({"QSORIG": object})
    key = ["USUBJID", "RESPONDENT", "QSTESTCD", "VISIT"]
    for frame in (got, want):
        for col in ["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "VISIT"]:
            frame[col] = frame[col].astype(object)
    pd.testing.assert_frame_equal(got, want)
    # rows in string order of the key, whatever the category order
    assert got[key].values.tolist() == sorted(got[key].values.tolist())
    assert got["USUBJID"].tolist()[:4] == ["A"] * 4


def test_item_given_twice_in_one_administration_is_an_error():
    qs = qs_of(("A", "BDI-II", "BASELINE", items("BDI", [1] * 21)))
    qs = pd.concat([qs, qs.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than once"):
        scores_of(qs)


def test_collected_score_given_twice_in_one_administration_is_an_error():
    qs = qs_of(("A", "EDSS", "BASELINE", {"EDSS": 3.5}), ("B", "EDSS", "BASELINE", {"EDSS": 2.0}))
    qs = pd.concat([qs, qs.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="score more than once"):
        scores_of(qs)
    scores_of(qs.iloc[:2])  # each score once: no error
