"""ADTTE: one row per subject x PARAMCD (time to event, and relapse counts per study year).

Definitions (study/data-spec.md, CONTRACT):
- TTFSMCI (FAS): months from first infusion to the first post-baseline analysed FSMC total with
  CHG <= instruments.FSMC_IMPROVEMENT_CHANGE (CNSR 0); else censored at the last post-baseline
  analysed FSMC total (CNSR 1). Assessments ordered by AVISITN (one per visit).
- TTREL (SAF): months to the first counted relapse (adam.base.counted_relapses: after day 0, not
  after end of study; CNSR 0), else censored at EOSDY (CNSR 1; AVAL empty when EOSDY is unknown).
- RELYk (k in spec.STUDY_YEARS; SAF subjects in study at the start of year k, i.e. EOSDY >
  365.25(k-1)): AVAL = counted relapses with elapsed days in (365.25(k-1), 365.25k]; ADY = end of
  the year's follow-up, min(EOSDY, 365.25k); CNSR empty.
ADY = elapsed day of the event or censoring; AVAL = ADY / 30.4375 for the times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.adam.base import counted_relapses, exclusion
from helpers.study import spec
from helpers.study.instruments import FSMC_IMPROVEMENT_CHANGE, ROUND_DECIMALS
from helpers.study.time_axis import months, study_year

PARAMS = {
    "TTFSMCI": "Time to first clinically relevant FSMC improvement (months)",
    "TTREL": "Time to first relapse (months)",
    **{f"RELY{k}": f"Relapses in study year {k}" for k in spec.STUDY_YEARS},
}


def _time_to_event(event_dy: pd.Series, censor_dy: pd.Series, paramcd: str) -> pd.DataFrame:
    """Rows of a time-to-event parameter; index of censor_dy = the subjects (USUBJID)."""
    event = event_dy.reindex(censor_dy.index)
    ady = event.fillna(censor_dy)
    return pd.DataFrame({
        "USUBJID": censor_dy.index,
        "PARAMCD": paramcd,
        "PARAM": PARAMS[paramcd],
        "AVAL": months(ady).to_numpy(),
        "CNSR": np.where(event.notna(), 0.0, 1.0),
        "ADY": ady.to_numpy(),
    })


def fsmc_improvement(adqs: pd.DataFrame, fas: pd.Index) -> pd.DataFrame:
    """TTFSMCI rows for the FAS subjects."""
    rec = adqs[adqs["PARAMCD"].eq("FSMCTOT") & adqs["RESPONDENT"].eq("PATIENT")
               & adqs["ANLFL"].eq("Y") & adqs["AVISITN"].gt(0)]
    rec = rec[rec["USUBJID"].isin(fas)]  # after the cheap conditions: a few rows, not all ADQS
    rec = rec.sort_values(["USUBJID", "AVISITN", "ADY"])
    improved = rec["CHG"].round(ROUND_DECIMALS).le(FSMC_IMPROVEMENT_CHANGE)
    event_dy = rec[improved].groupby("USUBJID", observed=True)["ADY"].first()
    censor_dy = rec.groupby("USUBJID", observed=True)["ADY"].last()
    return _time_to_event(event_dy, censor_dy, "TTFSMCI")


def relapse_parameters(adsl: pd.DataFrame, relapses: pd.DataFrame) -> pd.DataFrame:
    """TTREL and RELYk rows for the SAF subjects; relapses = counted relapses (USUBJID, ADY)."""
    saf = adsl[adsl["SAFFL"].eq("Y")].set_index("USUBJID")
    first = relapses.groupby("USUBJID", observed=True)["ADY"].min()
    frames = [_time_to_event(first, saf["EOSDY"], "TTREL")]
    year = study_year(relapses["ADY"])
    for k in spec.STUDY_YEARS:
        start = spec.DAYS_PER_YEAR * (k - 1)
        in_study = saf[saf["EOSDY"].gt(start)]
        counts = relapses[year.eq(k)].groupby("USUBJID", observed=True).size()
        frames.append(pd.DataFrame({
            "USUBJID": in_study.index,
            "PARAMCD": f"RELY{k}",
            "PARAM": PARAMS[f"RELY{k}"],
            "AVAL": counts.reindex(in_study.index, fill_value=0).to_numpy(dtype="float64"),
            "CNSR": np.nan,
            "ADY": in_study["EOSDY"].clip(upper=spec.DAYS_PER_YEAR * k).to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def derive_adtte(
    adsl: pd.DataFrame, adqs: pd.DataFrame, ce: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict]]:
    """ADTTE (module docstring) and its exclusion rows (relapses that do not count, subjects
    outside a parameter's analysis)."""
    fas = pd.Index(adsl.loc[adsl["FASFL"].eq("Y"), "USUBJID"])
    relapses, excluded = counted_relapses(ce, adsl)
    adtte = pd.concat(
        [fsmc_improvement(adqs, fas), relapse_parameters(adsl, relapses)], ignore_index=True
    )
    adtte = adtte.sort_values(["USUBJID", "PARAMCD"], ignore_index=True)
    saf = adsl[adsl["SAFFL"].eq("Y")]
    excluded.append(exclusion("ADTTE", "TTREL: SAF subject without end-of-study date, not "
                              "censorable", adtte[adtte["PARAMCD"].eq("TTREL")
                                                  & adtte["AVAL"].isna()]))
    for k in spec.STUDY_YEARS:
        out = saf[~saf["EOSDY"].gt(spec.DAYS_PER_YEAR * (k - 1))]
        excluded.append(exclusion("ADTTE", f"RELY{k}: SAF subject not in study at the start of "
                                  f"year {k}", out))
    return adtte, excluded
