"""Shared pieces of the ADaM-like derivations: the study time axis, relapse counting, Y/N flags
and the exclusion counts.

Time axis (study/data-spec.md): elapsed day 0 = a subject's first alemtuzumab EXSTDTC; elapsed
days of a date = date - that day; months = elapsed days / 30.4375; study year k = elapsed days in
(365.25(k-1), 365.25k], with day 0 itself placed in year 1.
"""

from __future__ import annotations

import pandas as pd

from helpers.study import spec
from helpers.study.time_axis import elapsed_days


def per_subject(usubjid: pd.Series, values: pd.Series) -> pd.Series:
    """Each row's subject's value in `values` (indexed by USUBJID; missing where absent), on
    the index of `usubjid` (Series.map: once per subject for a categorical USUBJID)."""
    looked_up = usubjid.map(values.set_axis(values.index.astype(object)))
    if isinstance(looked_up.dtype, pd.CategoricalDtype):  # every row's value distinct
        looked_up = looked_up.astype(values.dtype)
    return looked_up.rename(values.name)


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
