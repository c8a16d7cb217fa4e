"""Shared pieces of the ADaM-like derivations: the study time axis, relapse counting, Y/N flags
and the exclusion counts.

Time axis (study/data-spec.md): elapsed day 0 = a subject's first alemtuzumab EXSTDTC; elapsed
days of a date = date - that day; months = elapsed days / 30.4375; study year k = elapsed days in
(365.25(k-1), 365.25k], with day 0 itself placed in year 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

from helpers import spec


def first_infusion(ex: pd.DataFrame) -> pd.Series:
    """Elapsed day 0 per subject (index USUBJID, object): the earliest alemtuzumab EXSTDTC."""
    alem = ex[ex["EXTRT"].eq(spec.ALEMTUZUMAB)]
    day0 = alem.groupby("USUBJID", observed=True)["EXSTDTC"].min().rename("TRTSDT")
    return day0.set_axis(day0.index.astype(object))  # one lookup table for every block of qs


def per_subject(usubjid: pd.Series, values: pd.Series) -> pd.Series:
    """Each row's subject's value in `values` (indexed by USUBJID; missing where absent), on
    the index of `usubjid` (Series.map: once per subject for a categorical USUBJID)."""
    looked_up = usubjid.map(values.set_axis(values.index.astype(object)))
    if isinstance(looked_up.dtype, pd.CategoricalDtype):  # every row's value distinct
        looked_up = looked_up.astype(values.dtype)
    return looked_up.rename(values.name)


def by_subject(values: pd.Series) -> pl.DataFrame:
    """A per-subject Series (index USUBJID) as a Polars frame USUBJID (text), <its name>."""
    return pl.DataFrame({"USUBJID": values.index.astype(str).to_list(),
                         values.name: values.to_numpy()})


def with_subject_type(frame: pl.DataFrame, dtype: pl.DataType) -> pl.DataFrame:
    """`frame` with its USUBJID cast to `dtype` (a qs frame's, to join on it); a subject that
    type cannot hold (absent from an Enum of the qs subjects: it has no qs row) is left out."""
    return frame.with_columns(pl.col("USUBJID").cast(dtype, strict=False)).drop_nulls("USUBJID")


def elapsed_days(dates: pd.Series, day0: pd.Series) -> pd.Series:
    """Elapsed days (float, NaN when either date is missing) of `dates` from `day0` (aligned)."""
    return (dates - day0).dt.days.astype("float64")


def months(days: pd.Series) -> pd.Series:
    """Elapsed days -> months (days / 30.4375)."""
    return days / spec.DAYS_PER_MONTH


def study_year(days: pd.Series) -> pd.Series:
    """Study year k (1-based) of elapsed days: days in (365.25(k-1), 365.25k]; day 0 is in year
    1; NaN before day 0 or when days is NaN."""
    year = np.ceil(days / spec.DAYS_PER_YEAR).clip(lower=1)
    return year.where(days >= 0)


def yes_no(mask: pd.Series) -> pd.Series:
    """Boolean -> "Y"/"N" (missing counts as False), categorical."""
    codes = mask.fillna(False).astype(bool).to_numpy(dtype="int8")
    return pd.Series(pd.Categorical.from_codes(codes, categories=["N", "Y"]), index=mask.index)


def exclusion(dataset: str, reason: str, records: pd.DataFrame) -> dict[str, object]:
    """One row of the exclusions table: `records` (with USUBJID) left out of `dataset` and why."""
    return {
        "dataset": dataset,
        "reason": reason,
        "n_records": len(records),
        "n_subjects": records["USUBJID"].nunique(),
    }


def counted_relapses(ce: pd.DataFrame, subjects: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Relapses that count: MS RELAPSE records with onset after elapsed day 0 and not after the
    end of study (EOSDY, when known).

    subjects: USUBJID, TRTSDT, EOSDY. Returns (USUBJID, ADY of each counted relapse) and the
    exclusion rows for relapses that do not count (never treated, on or before day 0, after end
    of study).
    """
    rel = ce[ce["CEDECOD"].isin(spec.CEDECOD)].merge(
        subjects[["USUBJID", "TRTSDT", "EOSDY"]], on="USUBJID", how="left"
    )
    rel["ADY"] = elapsed_days(rel["CESTDTC"], rel["TRTSDT"])
    untreated = rel["TRTSDT"].isna()
    early = ~untreated & ~rel["ADY"].gt(0)
    late = rel["ADY"].gt(rel["EOSDY"])
    counted = ~(untreated | early | late)
    excluded = [
        exclusion("ADTTE", "relapse of a never-treated subject (no elapsed day 0)", rel[untreated]),
        exclusion("ADTTE", "relapse on or before elapsed day 0 (or undated)", rel[early]),
        exclusion("ADTTE", "relapse after the end-of-study date", rel[late]),
    ]
    return rel.loc[counted, ["USUBJID", "ADY"]].reset_index(drop=True), excluded
