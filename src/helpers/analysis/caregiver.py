"""Caregiver analyses (notebook 03): characteristics and patient-caregiver agreement.

Population CG (data-spec.md): caregivers of FAS patients with a baseline caregiver assessment.
Caregiver score changes use helpers.analysis.change_from_baseline with RESPONDENT = CAREGIVER.
Agreement compares the patient's own MSIS-29 with the caregiver's proxy rating at the same visit: at
baseline and at the last post-baseline visit that both rated ("last paired visit"). The tables are
views of these rows (helpers.report.views.caregiver).
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard, change_from_baseline, stats
from helpers.study import spec

#: the ICC (stats.intraclass_correlation) is reported from this many rated targets on
MIN_ICC_PAIRS = 5
BASELINE = "Baseline"
LAST_PAIRED = "Last paired visit"


#: categorical caregiver characteristics, in table order: ADSL column -> levels in table order
CG_CATEGORIES: dict[str, tuple[str, ...]] = {
    "CGSEX": spec.SEX,
    "CGREL": spec.CGREL,
    "CGEMPLOY": spec.CGEMPLOY,
    "CGCHILD": spec.YES_NO,
}
#: continuous caregiver characteristics, in table order
CG_CONTINUOUS = ("CGAGE", "CGYEARS")


def characteristics_ard(cg: pd.DataFrame) -> pd.DataFrame:
    """ARD "cg_characteristics" of the caregivers `cg` (ADSL rows of CG): N; stats.describe of
    CG_CONTINUOUS; n, N, pct of more than 1 year as caregiver (CGYEARS, level "> 1") and of
    each level of each CG_CATEGORIES column (ard.categories)."""
    method = ard.method_name(characteristics_ard, ": n (%) of CG")
    cells = [ard.rows("cg_characteristics", "CG", {"N": len(cg)},
                      method=ard.method_name(characteristics_ard, ": caregivers"))]
    cells += [ard.continuous("cg_characteristics", "CG", cg[col], paramcd=col)
              for col in CG_CONTINUOUS]  # fmt: skip
    cells.append(ard.n_pct("cg_characteristics", "CG", cg["CGYEARS"].gt(1), paramcd="CGYEARS",
                           level="> 1", method=method))  # fmt: skip
    cells += [ard.categories("cg_characteristics", "CG", cg[col], levels, paramcd=col,
                             method=method) for col, levels in CG_CATEGORIES.items()]
    return ard.combine(cells)


def baseline_ard(adqs: pd.DataFrame, cg: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """ARD "cg_baseline": stats.describe of each caregiver-reported parameter's baseline value
    (change_from_baseline.baseline_records) over every caregiver of `cg` with one."""
    base = change_from_baseline.baseline_records(adqs, cg["USUBJID"], spec.RESPONDENTS[1])
    return ard.combine(
        ard.continuous("cg_baseline", "CG", base.loc[base["PARAMCD"].eq(p), "AVAL"],
                       paramcd=p, variable="AVAL", visit="BASELINE")
        for p in params
    )  # fmt: skip


def agreement_pairs(adqs: pd.DataFrame, subjects: pd.Series, params: list[str]) -> pd.DataFrame:
    """Patient and caregiver values of the same parameter at the same visit (ANLFL = Y).

    Columns USUBJID, PARAMCD, TIMEPOINT (Baseline / Last paired visit), PATIENT, CAREGIVER.
    """
    rec = adqs[
        adqs["ANLFL"].eq("Y")
        & adqs["PARAMCD"].isin(params)
        & adqs["USUBJID"].isin(subjects)
        & adqs["AVAL"].notna()
    ]
    wide = rec.pivot_table(
        index=["USUBJID", "PARAMCD", "AVISITN"],
        columns="RESPONDENT",
        values="AVAL",
        aggfunc="first",
    ).reindex(columns=list(spec.RESPONDENTS))
    wide = wide.dropna().reset_index()
    base = wide[wide["AVISITN"].eq(0)].assign(TIMEPOINT=BASELINE)
    post = wide[wide["AVISITN"].gt(0)].sort_values(["USUBJID", "PARAMCD", "AVISITN"])
    last = post.groupby(["USUBJID", "PARAMCD"]).tail(1).assign(TIMEPOINT=LAST_PAIRED)
    out = pd.concat([base, last], ignore_index=True)
    return out[["USUBJID", "PARAMCD", "TIMEPOINT", *spec.RESPONDENTS]].sort_values(
        ["PARAMCD", "TIMEPOINT", "USUBJID"]
    )


BLAND_ALTMAN = "Bland-Altman"


def _agreement_ard(group: pd.DataFrame, paramcd: str, timepoint: str) -> pd.DataFrame:
    """One parameter x timepoint: Bland-Altman n, bias, limits (group BLAND_ALTMAN) and, from
    MIN_ICC_PAIRS pairs, each ICC type's estimate, lcl, ucl (group = the type)."""
    ba = stats.bland_altman(group["PATIENT"], group["CAREGIVER"])
    keys = {"paramcd": paramcd, "visit": timepoint}
    cells = [ard.rows("cg_agreement", "CG", {"n": ba.n, "bias": ba.bias, "lower_loa":
                      ba.lower_loa, "upper_loa": ba.upper_loa}, group=BLAND_ALTMAN,
                      method=ard.method_name(stats.bland_altman, " (patient - caregiver)"),
                      **keys)]  # fmt: skip
    if ba.n >= MIN_ICC_PAIRS:
        long = group.melt(
            id_vars="USUBJID", value_vars=list(spec.RESPONDENTS), var_name="rater", value_name="y"
        )
        icc = stats.intraclass_correlation(long, "USUBJID", "rater", "y")
        method = ard.method_name(stats.intraclass_correlation)
        cells += [ard.rows("cg_agreement", "CG", {"estimate": r.icc, "lcl": r.lower,
                           "ucl": r.upper}, group=r.type, method=method, **keys)
                  for r in icc.itertuples()]  # fmt: skip
    return ard.combine(cells)


def agreement_ard(pairs: pd.DataFrame) -> pd.DataFrame:
    """ARD "cg_agreement": ICC(2,1), ICC(3,1) with 95% CI and Bland-Altman bias with limits of
    agreement per parameter (paramcd) and timepoint (visit: Baseline, Last paired visit) of the
    patient-caregiver pairs (agreement_pairs; stats.intraclass_correlation,
    stats.bland_altman)."""
    return ard.combine(
        _agreement_ard(group, paramcd, timepoint)
        for (paramcd, timepoint), group in pairs.groupby(["PARAMCD", "TIMEPOINT"], sort=True)
    )
