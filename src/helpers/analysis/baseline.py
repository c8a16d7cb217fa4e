"""Baseline characteristics of a population (Table 1, notebook 01).

Continuous: the ADSL_CONTINUOUS columns and each BASELINE_SCORES score's baseline record;
categorical: the BASELINE_CATEGORIES columns. The table is a view of these rows
(helpers.report.views.baseline).
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard, change_from_baseline
from helpers.study import spec

#: continuous ADSL characteristics, in table order
ADSL_CONTINUOUS = ("AGE", "MSDURY", "NPRIORDMT")
#: baseline scores (ADQS, RESPONDENT PATIENT), in table order
BASELINE_SCORES = ("EDSS", "FSMCTOT", "FSMCCOG", "FSMCMOT", "MSISPHYS", "MSISPSY", "SDMTTOT",
                   "BDITOT")  # fmt: skip
#: categorical characteristics: ADSL column -> the levels shown first (even when empty); other
#: values follow sorted, a missing value as the level "Missing"
BASELINE_CATEGORIES: dict[str, tuple[str, ...]] = {"SEX": spec.SEX, "COUNTRY": ()}


def _baseline_values(adsl: pd.DataFrame, adqs: pd.DataFrame) -> dict[str, pd.Series]:
    """Continuous baseline characteristics of one population, one value per patient of `adsl`
    (in its order): the ADSL_CONTINUOUS columns, then each BASELINE_SCORES score's ABLFL record
    (patient-reported, ANLFL Y); scores absent from the whole ADQS are left out."""
    base = change_from_baseline.baseline_records(adqs, adsl["USUBJID"], "PATIENT")
    wide = base.pivot_table(index="USUBJID", columns="PARAMCD", values="AVAL", aggfunc="first")
    scores = [p for p in BASELINE_SCORES if p in set(adqs["PARAMCD"])]
    wide = wide.reindex(index=adsl["USUBJID"], columns=scores)
    return {
        **{col: adsl[col].reset_index(drop=True) for col in ADSL_CONTINUOUS},
        **{p: wide[p].reset_index(drop=True) for p in scores},
    }


def baseline_ard(adsl: pd.DataFrame, adqs: pd.DataFrame, population: str) -> pd.DataFrame:
    """ARD "baseline" of one population: stats.describe of each continuous characteristic
    (_baseline_values) and n, N, pct of each level of each BASELINE_CATEGORIES column
    (denominator: the population; a missing value counts as the level "Missing")."""
    cells = [
        ard.continuous("baseline", population, values, paramcd=code)
        for code, values in _baseline_values(adsl, adqs).items()
    ]  # fmt: skip
    cells += [
        ard.categories("baseline", population, adsl[column], levels, paramcd=column,
                       method=ard.method_name(baseline_ard, ": n (%) of the population"))
        for column, levels in BASELINE_CATEGORIES.items()
    ]  # fmt: skip
    return ard.combine(cells)
