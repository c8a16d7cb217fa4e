"""Shared pieces of the ADaM-like derivations: per-subject lookup, Y/N flags (pandas and Polars,
one code list), the exclusion rows and the relapses that count (study/data-spec.md). The time
axis is helpers.study.time_axis.
"""

from __future__ import annotations

import pandas as pd
import polars as pl

from helpers.study import spec
from helpers.study.time_axis import elapsed_days

#: a Y/N flag's codes: code 0 = N (False), code 1 = Y (True)
FLAG_CODES = ("N", "Y")
#: a Y/N flag's Polars type: one byte a row
FLAG = pl.Enum(list(FLAG_CODES))


def per_subject(usubjid: pd.Series, values: pd.Series) -> pd.Series:
    """Each row's subject's value in `values` (indexed by USUBJID; missing where absent), on
    the index of `usubjid` (Series.map: once per subject for a categorical USUBJID)."""
    looked_up = usubjid.map(values.set_axis(values.index.astype(object)))
    if isinstance(looked_up.dtype, pd.CategoricalDtype):  # every row's value distinct
        looked_up = looked_up.astype(values.dtype)
    return looked_up.rename(values.name)


def yes_no(mask: pd.Series) -> pd.Series:
    """Boolean -> "Y"/"N" (FLAG_CODES; missing counts as False), categorical."""
    codes = mask.fillna(False).astype(bool).to_numpy(dtype="int8")
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(FLAG_CODES)),
                     index=mask.index)


def yes_no_expr(flag: pl.Expr) -> pl.Expr:
    """yes_no of a Polars boolean expression: "Y"/"N" of type FLAG (missing counts as False)."""
    no, yes = (pl.lit(code, dtype=FLAG) for code in FLAG_CODES)
    return pl.when(flag.fill_null(False)).then(yes).otherwise(no)


def exclusion(dataset: str, reason: str, records: pd.DataFrame | pl.DataFrame
              ) -> dict[str, object]:
    """One row of the exclusions table: `records` (pandas or Polars, with USUBJID) left out of
    `dataset`, or kept but flagged, and why."""
    usubjid = records["USUBJID"]
    return {
        "dataset": dataset,
        "reason": reason,
        "n_records": len(records),
        "n_subjects": usubjid.n_unique() if isinstance(usubjid, pl.Series) else usubjid.nunique(),
    }


def counted_relapses(ce: pd.DataFrame, subjects: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Relapses that count: relapse records (CEDECOD spec.RELAPSE) with onset after elapsed day 0
    and not after the end of study (EOSDY, when known).

    subjects: USUBJID (one row each, asserted), TRTSDT, EOSDY. Returns (USUBJID, ADY of each
    counted relapse) and the exclusion rows for relapses that do not count (never treated, on or
    before day 0, after end of study).
    """
    rel = ce[ce["CEDECOD"].eq(spec.RELAPSE)].merge(
        subjects[["USUBJID", "TRTSDT", "EOSDY"]], on="USUBJID", how="left", validate="many_to_one"
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
