"""The study time axis (study/data-spec.md): elapsed day 0 = a subject's first alemtuzumab
EXSTDTC; elapsed days of a date = date - that day; months = elapsed days / 30.4375; study year k =
elapsed days in (365.25(k-1), 365.25k], with day 0 itself placed in year 1. A visit's window is
its target month +/- 31 days; a BASELINE visit after day 0 is a late baseline (not a baseline).
Validation (its warnings) and derivation (ADQS AWINFL, ABLFL) use the same two rules below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

from helpers.study import spec


def first_infusion(ex: pd.DataFrame) -> pd.Series:
    """Elapsed day 0 per subject (index USUBJID, object): the earliest alemtuzumab EXSTDTC."""
    alem = ex[ex["EXTRT"].eq(spec.ALEMTUZUMAB)]
    day0 = alem.groupby("USUBJID", observed=True)["EXSTDTC"].min().rename("TRTSDT")
    return day0.set_axis(day0.index.astype(object))  # one lookup table for every block of qs


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


def in_visit_window(elapsed: pl.Expr, target_month: pl.Expr) -> pl.Expr:
    """The visit window: |elapsed days - 30.4375 x target month| <= VISIT_WINDOW_DAYS (31); null
    when either is null (undated, or no day 0)."""
    return (elapsed - target_month * spec.DAYS_PER_MONTH).abs() <= spec.VISIT_WINDOW_DAYS


def is_after_day0(elapsed: pl.Expr) -> pl.Expr:
    """Elapsed days > 0 (null when undated): a BASELINE visit so dated is a late baseline, not a
    baseline (the baseline is on or before day 0)."""
    return elapsed > 0
