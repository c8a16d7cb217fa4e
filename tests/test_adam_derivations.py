"""Each ADaM derivation added for a subject-level rule, on a small input/expected table worked
out by hand (admiral's test style): CRIT1FL, AVALCAT1 / BASECAT1, DSRAEFL, the Y/N flags and the
uniqueness the ADQS derivations assert."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from helpers.adam.adqs import (
    assert_unique,
    derive_var_avalcat1,
    derive_var_basecat1,
    derive_var_crit1fl,
)
from helpers.adam.adsl import derive_var_dsraefl
from helpers.adam.base import FLAG_CODES, yes_no, yes_no_expr


def records(rows: list[tuple]) -> pl.DataFrame:
    """ADQS records (USUBJID, PARAMCD, AVISITN, ANLFL, BASE, AVAL), RESPONDENT PATIENT."""
    frame = pl.DataFrame(rows, schema={"USUBJID": pl.String, "PARAMCD": pl.String,
                                       "AVISITN": pl.Float64, "ANLFL": pl.String,
                                       "BASE": pl.Float64, "AVAL": pl.Float64}, orient="row")
    return frame.with_columns(RESPONDENT=pl.lit("PATIENT"))


def test_crit1fl_table():
    # (USUBJID, PARAMCD, AVISITN, ANLFL, BASE, AVAL) -> CRIT1FL
    table = [
        (("A", "EDSS", 0, "Y", 3.0, 3.0), None),  # baseline: not evaluated
        (("A", "EDSS", 3, "Y", 3.0, 2.0), "Y"),  # -1.0, next (month 6) -1.0 too
        (("A", "EDSS", 6, "Y", 3.0, 2.0), "N"),  # -1.0 but the last: nothing confirms it
        (("B", "EDSS", 3, "Y", 6.0, 5.5), "N"),  # -0.5 (enough from 6.0), next not improved
        (("B", "EDSS", 6, "Y", 6.0, 6.0), "N"),
        (("C", "EDSS", 3, "Y", 5.0, 4.5), "N"),  # -0.5 from 5.0 (< 5.5) is not enough
        (("C", "EDSS", 6, "Y", 5.0, 4.0), "N"),
        (("D", "EDSS", 3, "Y", 3.0, 2.0), "Y"),  # confirmed by month 12: month 6 not analysed
        (("D", "EDSS", 6, "N", 3.0, 3.0), None),  # ANLFL N (out of window, switch on)
        (("D", "EDSS", 12, "Y", 3.0, 2.0), "N"),
        (("E", "EDSS", 3, "Y", None, 2.0), None),  # no baseline: not evaluated
        (("E", "FSMCTOT", 3, "Y", 60.0, 40.0), None),  # another parameter
    ]
    got = derive_var_crit1fl(records([r for r, _ in table]))
    assert got.cast(pl.String).to_list() == [flag for _, flag in table]


def test_fsmc_severity_table():
    # (PARAMCD, BASE, AVAL) -> (BASECAT1, AVALCAT1)
    table = [
        (("FSMCTOT", 42.0, 43.0), ("No fatigue", "Mild")),  # total: 43 mild, 53, 63
        (("FSMCTOT", 52.0, 53.0), ("Mild", "Moderate")),
        (("FSMCTOT", 62.0, 63.0), ("Moderate", "Severe")),
        (("FSMCCOG", 21.0, 22.0), ("No fatigue", "Mild")),  # cognitive: 22, 28, 34
        (("FSMCMOT", 31.0, 32.0), ("Moderate", "Severe")),  # motor: 22, 27, 32
        (("FSMCTOT", None, 70.0), (None, "Severe")),  # no baseline
        (("EDSS", 6.0, 6.0), (None, None)),  # not an FSMC parameter
    ]
    frame = pl.DataFrame([r for r, _ in table], orient="row",
                         schema={"PARAMCD": pl.String, "BASE": pl.Float64, "AVAL": pl.Float64})
    got = frame.select(BASECAT1=derive_var_basecat1().cast(pl.String),
                       AVALCAT1=derive_var_avalcat1().cast(pl.String))
    assert got.rows() == [expected for _, expected in table]


def test_dsraefl_table():
    dsdecod = pd.Series(["ADVERSE EVENT", "DEATH", "COMPLETED", "LOST TO FOLLOW-UP", None])
    assert derive_var_dsraefl(dsdecod).tolist() == ["Y", "Y", "N", "N", "N"]


def test_yes_no_in_pandas_and_polars_agree():
    mask = [True, False, None]
    pandas = yes_no(pd.Series(mask, dtype="boolean")).tolist()
    polars = pl.DataFrame({"m": mask}).select(yes_no_expr(pl.col("m"))).to_series().to_list()
    assert pandas == polars == ["Y", "N", "N"]
    assert list(yes_no(pd.Series([True])).cat.categories) == list(FLAG_CODES)


def test_a_second_baseline_record_is_an_error():
    key = ["USUBJID", "RESPONDENT", "PARAMCD"]
    one_each = pl.DataFrame({"USUBJID": ["A", "B"], "RESPONDENT": ["PATIENT"] * 2,
                             "PARAMCD": ["EDSS"] * 2})
    assert_unique(one_each, key, "baseline record")  # one per parameter: no error
    two = pl.concat([one_each, one_each.head(1)]).sort(key)
    with pytest.raises(ValueError, match=r"more than one baseline record of .*'USUBJID': 'A'"):
        assert_unique(two, key, "baseline record")
