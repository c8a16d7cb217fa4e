"""ADAE: every row of ae.csv.

Definitions (study/data-spec.md, CONTRACT): ASTDT/AENDT = AESTDTC/AEENDTC; ASTDY = elapsed days of
onset; TRTEMFL = Y when ASTDY >= 0 (N before day 0, for never-treated subjects and undated
onsets); AYEAR = study year of onset (day 0 in year 1; empty before day 0); IARFL = Y when onset
falls from the first infusion day to spec.IAR_DAYS_AFTER_INFUSION days after the last infusion
day (EXSTDTC .. EXENDTC + that many days) of any alemtuzumab course.
"""

from __future__ import annotations

import pandas as pd

from helpers.adam.base import exclusion, per_subject, yes_no
from helpers.study import spec
from helpers.study.time_axis import elapsed_days, study_year


def infusion_associated(ae: pd.DataFrame, ex: pd.DataFrame) -> pd.Series:
    """Per ae row (same index): onset within EXSTDTC .. EXENDTC + spec.IAR_DAYS_AFTER_INFUSION
    of any alemtuzumab course of the subject."""
    courses = ex.loc[ex["EXTRT"].eq(spec.ALEMTUZUMAB), ["USUBJID", "EXSTDTC", "EXENDTC"]]
    pairs = ae[["USUBJID", "AESTDTC"]].reset_index(names="_row").merge(courses, on="USUBJID")
    last = pairs["EXENDTC"] + pd.Timedelta(days=spec.IAR_DAYS_AFTER_INFUSION)
    inside = pairs["AESTDTC"].ge(pairs["EXSTDTC"]) & pairs["AESTDTC"].le(last)
    hit = inside.groupby(pairs["_row"]).any()
    return hit.reindex(ae.index, fill_value=False).astype(bool)


def derive_adae(
    ae: pd.DataFrame, ex: pd.DataFrame, day0: pd.Series
) -> tuple[pd.DataFrame, list[dict]]:
    """ADAE (module docstring) and its exclusion rows (AEs that are not treatment-emergent)."""
    adae = ae.rename(columns={"AESTDTC": "ASTDT", "AEENDTC": "AENDT"})
    adae["ASTDY"] = elapsed_days(adae["ASTDT"], per_subject(adae["USUBJID"], day0))
    adae["TRTEMFL"] = yes_no(adae["ASTDY"].ge(0))
    adae["AYEAR"] = study_year(adae["ASTDY"])
    adae["IARFL"] = yes_no(infusion_associated(ae, ex))
    adae = adae.sort_values(["USUBJID", "AESEQ"], ignore_index=True)
    treated = adae["USUBJID"].isin(day0.dropna().index)
    excluded = [
        exclusion("ADAE", "AE of a never-treated subject: not treatment-emergent",
                  adae[~treated]),
        exclusion("ADAE", "AE onset before elapsed day 0 (or undated): not treatment-emergent",
                  adae[treated & adae["TRTEMFL"].eq("N")]),
    ]
    return adae, excluded
