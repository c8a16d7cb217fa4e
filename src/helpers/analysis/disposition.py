"""Disposition of the enrolled patients, by country, and their STROBE flow (notebook 01).

Populations: helpers.analysis.population. Percentages use the enrolled patients of the
analysis (after the country filter) as denominator. The tables and the flow diagram are views of
these rows (helpers.report.views.disposition).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis import ard
from helpers.study import spec

#: the analysis sets counted in the disposition, in table order
FLAGS = ("SAFFL", "FASFL", "COMPFL")
#: the flow follows the SAF patients through this many study years
FLOW_YEARS = 3


def flow_ard(adsl: pd.DataFrame) -> pd.DataFrame:
    """ARD "flow" (the STROBE flow of the enrolled patients `adsl`), stat n:
    - each step: enrolled (ENRFL, every ADSL row); treated = safety population (SAFFL); in
      study at the start of study year k (INSTUDYk, k = 1 .. FLOW_YEARS) = SAF patients other
      than those who discontinued in an earlier year; completed (COMPFL); the full analysis set
      (FASFL);
    - exits: enrolled but never treated (NEVERTRT); the SAF patients who discontinued (EOSSTT)
      in study year k (DISCYR, group k), EOSDY in (DAYS_PER_YEAR (k - 1), DAYS_PER_YEAR k]
      (day <= 0 or missing: year 1; after year FLOW_YEARS: that year), in all (level "") and by
      reason (level DCSREAS, most frequent first, ties by reason); SAF not in the FAS
      (NOTFAS)."""
    saf = adsl[adsl["SAFFL"].eq("Y")]
    disc = saf["EOSSTT"].eq("DISCONTINUED")
    days = saf["EOSDY"].astype(float)
    year = np.ceil(days / spec.DAYS_PER_YEAR).clip(lower=1, upper=FLOW_YEARS).fillna(1)
    counted = {"ENRFL": len(adsl), "SAFFL": len(saf)}
    counted |= {f"INSTUDY{k}": int((~(disc & (year < k))).sum())
                for k in range(1, FLOW_YEARS + 1)}  # fmt: skip
    counted |= {"COMPFL": int(saf["COMPFL"].eq("Y").sum()),
                "FASFL": int(saf["FASFL"].eq("Y").sum()),
                "NEVERTRT": len(adsl) - len(saf), "NOTFAS": int(saf["FASFL"].ne("Y").sum())}
    patients = ard.method_name(flow_ard, ": patients")
    in_year = ard.method_name(flow_ard, ": patients discontinued in the year")
    cells = [ard.rows("flow", "ENR", {"n": n}, paramcd=code, method=patients)
             for code, n in counted.items()]  # fmt: skip
    for k in range(1, FLOW_YEARS + 1):
        reasons = discontinuation_reasons(saf[disc & year.eq(k)])
        cells.append(ard.rows("flow", "ENR", {"n": int(reasons["n"].sum())}, paramcd="DISCYR",
                              group=f"{k}", method=in_year))
        cells += [ard.rows("flow", "ENR", {"n": r.n}, paramcd="DISCYR", group=f"{k}",
                           level=r.reason, method=in_year)
                  for r in reasons.itertuples()]  # fmt: skip
    return ard.combine(cells)


def discontinuation_reasons(adsl: pd.DataFrame) -> pd.DataFrame:
    """Discontinued patients by reason (n), most frequent first, ties by reason."""
    disc = adsl.loc[adsl["EOSSTT"].eq("DISCONTINUED"), "DCSREAS"].fillna("Missing")
    counts = disc.value_counts().rename_axis("reason").reset_index(name="n")
    return counts.sort_values(["n", "reason"], ascending=[False, True]).reset_index(drop=True)


def discontinued_for_ae(adsl: pd.DataFrame) -> pd.Series:
    """Discontinued because of an adverse event (data-spec.md, published.yaml n_disc_ae):
    end-of-study status DSDECOD (ADSL DCSREAS) in spec.DSDECOD_AE (ADVERSE EVENT, DEATH)."""
    return adsl["DCSREAS"].isin(spec.DSDECOD_AE)


def disposition_ard(adsl: pd.DataFrame, group: str = "") -> pd.DataFrame:
    """ARD "disposition" of the enrolled patients `adsl` (ENR; `group` names a subgroup such
    as a country): n, N, pct of ENRFL (all), each of FLAGS, discontinued (DISCFL, and by
    reason: DCSREAS with each data-spec reason as level), ongoing, deaths (DTHFL) and
    discontinued because of an AE (DISCAE)."""
    discontinued = adsl["EOSSTT"].eq("DISCONTINUED")
    conditions = {
        ("ENRFL", ""): pd.Series(True, index=adsl.index),
        **{(flag, ""): adsl[flag].eq("Y") for flag in FLAGS},
        ("DISCFL", ""): discontinued,
        **{("DCSREAS", reason): discontinued & adsl["DCSREAS"].eq(reason)
           for reason in spec.DSDECOD[1:]},
        ("ONGOING", ""): adsl["EOSSTT"].eq("ONGOING"),
        ("DTHFL", ""): adsl["DTHFL"].eq("Y"),
        ("DISCAE", ""): discontinued_for_ae(adsl),
    }  # fmt: skip
    return ard.combine(
        ard.n_pct("disposition", "ENR", mask, paramcd=code, level=level, group=group,
                  method=ard.method_name(disposition_ard, f": {code}, n (%) of ENR"))
        for (code, level), mask in conditions.items()
    )


def disposition_country_ard(adsl: pd.DataFrame) -> pd.DataFrame:
    """disposition_ard of each country's enrolled patients (group = the country code)."""
    return ard.combine(disposition_ard(g, group=country)
                       for country, g in adsl.groupby("COUNTRY", sort=True))
