"""ADSL: one row per enrolled patient (every row of dm).

Definitions (study/data-spec.md):
- TRTSDT = first alemtuzumab EXSTDTC (elapsed day 0); EOSDT = DSSTDTC, EOSDY its elapsed days.
- EOSSTT = COMPLETED (DSDECOD COMPLETED), DISCONTINUED (another DSDECOD), ONGOING (empty);
  DCSREAS = DSDECOD when not COMPLETED; DSRAEFL = Y when DSDECOD is in spec.DSDECOD_AE
  (discontinued because of an adverse event: ADVERSE EVENT or DEATH).
- Populations (spec.POPULATIONS, their definitions): ENRFL every row; SAFFL at least one
  alemtuzumab course; FASFL SAF with a baseline and at least one post-baseline analysed
  (ANLFL = Y) FSMC total; COMPFL DSDECOD = COMPLETED; CGPOPFL caregiver (row in cg.csv) of a FAS
  patient with a baseline caregiver assessment (any RESPONDENT = CAREGIVER record with
  ABLFL = Y).
- NALEMCRS alemtuzumab courses; RETRTFL a course >= 3; RETRTDY elapsed day of the first course
  >= 3; OTHTRTFL another therapy in ex.
- NREL relapses after day 0 and not after EOSDT (SAF; empty when never treated); YRSSTUDY =
  EOSDY / 365.25.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.adam.base import counted_relapses, exclusion, per_subject, yes_no
from helpers.study import spec
from helpers.study.time_axis import elapsed_days

CG_COLUMNS = ["CGSEX", "CGAGE", "CGREL", "CGYEARS", "CGEMPLOY", "CGCHILD"]
COMPLETED = spec.COMPLETED
FAS_PARAMCD = "FSMCTOT"


def _treatment(ex: pd.DataFrame, day0: pd.Series) -> pd.DataFrame:
    """Per subject: NALEMCRS, RETRTDY, OTHTRTFL (booleans before Y/N), index USUBJID."""
    alem = ex["EXTRT"].eq(spec.ALEMTUZUMAB)
    retreat = ex[alem & ex["EXCOURSE"].ge(spec.RETREATMENT_FIRST_COURSE)]
    retreat_start = retreat.groupby("USUBJID", observed=True)["EXSTDTC"].min()
    return pd.DataFrame({
        "NALEMCRS": alem.groupby(ex["USUBJID"], observed=True).sum(),
        "RETRTDY": elapsed_days(retreat_start, day0.reindex(retreat_start.index)),
        "OTHTRTFL": (~alem).groupby(ex["USUBJID"], observed=True).any(),
    })


def derive_var_dsraefl(dsdecod: pd.Series) -> pd.Series:
    """DSRAEFL, discontinued because of an adverse event (published.yaml n_disc_ae), the first
    case that applies: Y when DSDECOD is in spec.DSDECOD_AE (ADVERSE EVENT, DEATH); N otherwise
    (COMPLETED, another reason, or empty: ongoing)."""
    return yes_no(dsdecod.isin(spec.DSDECOD_AE))


def _subjects_with(adqs: pd.DataFrame, rows: pd.Series) -> pd.Index:
    return pd.Index(adqs.loc[rows, "USUBJID"].unique())


def derive_adsl(
    dm: pd.DataFrame, ex: pd.DataFrame, ce: pd.DataFrame, cg: pd.DataFrame, day0: pd.Series,
    adqs: pd.DataFrame,
) -> tuple[pd.DataFrame, list[dict]]:
    """ADSL (module docstring) and its exclusion rows (subjects outside SAF, FAS, CG)."""
    adsl = dm.rename(columns={"RFICDTC": "RFICDT", "DSSTDTC": "EOSDT", "DTHDTC": "DTHDT"})
    adsl = adsl.sort_values("USUBJID", ignore_index=True)
    adsl["TRTSDT"] = per_subject(adsl["USUBJID"], day0).astype("datetime64[ns]")
    adsl["EOSDY"] = elapsed_days(adsl["EOSDT"], adsl["TRTSDT"])
    adsl["EOSSTT"] = np.select(
        [adsl["DSDECOD"].eq(COMPLETED), adsl["DSDECOD"].notna()],
        [COMPLETED, "DISCONTINUED"],
        "ONGOING",
    )
    adsl["DCSREAS"] = adsl["DSDECOD"].where(adsl["DSDECOD"].ne(COMPLETED))
    adsl["DSRAEFL"] = derive_var_dsraefl(adsl["DSDECOD"])
    adsl["DTHFL"] = yes_no(adsl["DTHDT"].notna())
    saf = adsl["TRTSDT"].notna()

    fsmc = adqs["PARAMCD"].eq(FAS_PARAMCD) & adqs["RESPONDENT"].eq("PATIENT")
    with_base = _subjects_with(adqs, fsmc & adqs["ABLFL"].eq("Y"))
    with_post = _subjects_with(adqs, fsmc & adqs["ANLFL"].eq("Y") & adqs["AVISITN"].gt(0))
    fas = saf & adsl["USUBJID"].isin(with_base) & adsl["USUBJID"].isin(with_post)
    adsl["ENRFL"] = "Y"
    adsl["SAFFL"] = yes_no(saf)
    adsl["FASFL"] = yes_no(fas)
    adsl["COMPFL"] = yes_no(adsl["DSDECOD"].eq(COMPLETED))

    trt = _treatment(ex, day0)
    adsl["NALEMCRS"] = (
        per_subject(adsl["USUBJID"], trt["NALEMCRS"]).fillna(0).astype("float64")
    )
    adsl["RETRTDY"] = per_subject(adsl["USUBJID"], trt["RETRTDY"]).astype("float64")
    adsl["RETRTFL"] = yes_no(adsl["RETRTDY"].notna())
    adsl["OTHTRTFL"] = yes_no(per_subject(adsl["USUBJID"], trt["OTHTRTFL"]).eq(True))

    relapses, _ = counted_relapses(ce, adsl)
    relapses_by_subject = relapses.groupby("USUBJID", observed=True).size()
    nrel = per_subject(adsl["USUBJID"], relapses_by_subject).fillna(0)
    adsl["NREL"] = nrel.astype("float64").where(saf)
    adsl["YRSSTUDY"] = adsl["EOSDY"] / spec.DAYS_PER_YEAR

    # one caregiver row per patient (data-spec key of cg): a second is an error, not a new row
    adsl = adsl.merge(cg[["USUBJID", *CG_COLUMNS]], on="USUBJID", how="left",
                      validate="one_to_one")
    cgfl = adsl["USUBJID"].isin(cg["USUBJID"])
    cg_base = _subjects_with(adqs, adqs["RESPONDENT"].eq("CAREGIVER") & adqs["ABLFL"].eq("Y"))
    cgpop = cgfl & fas & adsl["USUBJID"].isin(cg_base)
    adsl["CGFL"] = yes_no(cgfl)
    adsl["CGPOPFL"] = yes_no(cgpop)

    excluded = [
        exclusion("ADSL", "enrolled, no alemtuzumab course: not in SAF", adsl[~saf]),
        exclusion("ADSL", "SAF without baseline and post-baseline FSMC total: not in FAS",
                  adsl[saf & ~fas]),
        exclusion("ADSL", "caregiver of a non-FAS patient: not in CG population",
                  adsl[cgfl & ~fas]),
        exclusion("ADSL", "caregiver without baseline caregiver assessment: not in CG population",
                  adsl[cgfl & fas & ~cgpop]),
    ]
    return adsl, excluded
