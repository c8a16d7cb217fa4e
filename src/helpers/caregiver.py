"""Caregiver analyses (notebook 03): characteristics and patient-caregiver agreement.

Population CG (data-spec.md): caregivers of FAS patients with a baseline caregiver assessment.
Caregiver score changes use helpers.change with RESPONDENT = CAREGIVER. Agreement compares the
patient's own MSIS-29 with the caregiver's proxy rating at the same visit: at baseline and at the
last post-baseline visit that both rated ("last paired visit").
"""

from __future__ import annotations

import pandas as pd

from helpers import ard, change, labels, spec, stats, tables

#: the ICC (stats.intraclass_correlation) is reported from this many rated targets on
MIN_ICC_PAIRS = 5
BASELINE = "Baseline"
LAST_PAIRED = "Last paired visit"


def characteristics_table(cg: pd.DataFrame) -> pd.DataFrame:
    """Caregivers (ADSL rows of the CG population): sex, age, relationship, years as caregiver
    (and > 1 year), employment, children at home. Continuous: mean (SD), median (Q1, Q3)."""
    n = len(cg)
    rows: list[tuple[str, str]] = [("Caregivers, n", f"{n}")]
    categorical = {
        "Sex": (cg["CGSEX"], spec.SEX),
        "Relationship to patient": (cg["CGREL"], spec.CGREL),
        "Employment": (cg["CGEMPLOY"], spec.CGEMPLOY),
        "Children living at home": (cg["CGCHILD"], spec.YES_NO),
    }
    continuous = {"Age (years)": cg["CGAGE"], "Years as caregiver": cg["CGYEARS"]}
    for name, values in continuous.items():
        summary = tables.continuous_stats(values)
        rows += [(f"{name}, {stat}", summary[stat]) for stat in ("Mean (SD)", "Median (Q1, Q3)")]
    rows.append(
        ("Caregiver for more than 1 year, n (%)", tables.fmt_n_pct(cg["CGYEARS"].gt(1).sum(), n))
    )
    for name, (values, levels) in categorical.items():
        counts = tables.category_counts(values, levels)
        rows += [(f"{name}: {lvl}, n (%)", v) for lvl, v in counts.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["Characteristic", "Value"])


def characteristics_ard(cg: pd.DataFrame) -> pd.DataFrame:
    """ARD "cg_characteristics" of the caregivers `cg` (ADSL rows of CG): N; stats.describe of
    CGAGE and CGYEARS; n, N, pct of male sex, more than 1 year as caregiver, full-time
    employment and children at home."""
    method = "n (%) of CG"
    cells = [ard.rows("cg_characteristics", "CG", {"N": len(cg)}, method="caregivers")]
    cells += [ard.rows("cg_characteristics", "CG", stats.describe(cg[col]), paramcd=col,
                       method="stats.describe") for col in ("CGAGE", "CGYEARS")]  # fmt: skip
    cells += [
        ard.n_pct("cg_characteristics", "CG", cg["CGSEX"].eq("M"), paramcd="CGSEX", level="M",
                  method=method),
        ard.n_pct("cg_characteristics", "CG", cg["CGYEARS"].gt(1), paramcd="CGYEARS",
                  level="> 1", method=method),
        ard.n_pct("cg_characteristics", "CG", cg["CGEMPLOY"].eq("FULL-TIME"), paramcd="CGEMPLOY",
                  level="FULL-TIME", method=method),
        ard.n_pct("cg_characteristics", "CG", cg["CGCHILD"].eq("Y"), paramcd="CGCHILD",
                  level="Y", method=method),
    ]  # fmt: skip
    return ard.combine(cells)


def baseline_ard(adqs: pd.DataFrame, cg: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """ARD "cg_baseline": stats.describe of each caregiver-reported parameter's baseline value
    (change.baseline_records) over every caregiver of `cg` with one."""
    base = change.baseline_records(adqs, cg["USUBJID"], spec.RESPONDENTS[1])
    return ard.combine(
        ard.rows("cg_baseline", "CG", stats.describe(base.loc[base["PARAMCD"].eq(p), "AVAL"]),
                 paramcd=p, variable="AVAL", visit="BASELINE", method="stats.describe")
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


AGREEMENT_COLUMNS = (
    "Pairs",
    "ICC(2,1) (95% CI)",
    "ICC(3,1) (95% CI)",
    "Mean difference, patient - caregiver (95% LoA)",
)


def _agreement(group: pd.DataFrame) -> pd.Series:
    ba = stats.bland_altman(group["PATIENT"], group["CAREGIVER"])
    row = {"Pairs": f"{ba.n}", AGREEMENT_COLUMNS[1]: tables.MISSING,
           AGREEMENT_COLUMNS[2]: tables.MISSING}
    if ba.n >= MIN_ICC_PAIRS:
        long = group.melt(
            id_vars="USUBJID", value_vars=list(spec.RESPONDENTS), var_name="rater", value_name="y"
        )
        icc = stats.intraclass_correlation(long, "USUBJID", "rater", "y")
        row |= {
            f"{r.type} (95% CI)": tables.fmt_pair(r.icc, r.lower, r.upper, decimals=2)
            for r in icc.itertuples()
        }
    row[AGREEMENT_COLUMNS[3]] = tables.fmt_pair(
        ba.bias, ba.lower_loa, ba.upper_loa
    )
    return pd.Series(row)


def agreement_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """ICC(2,1), ICC(3,1) with 95% CI and Bland-Altman bias with limits of agreement per
    parameter and timepoint (stats.intraclass_correlation, stats.bland_altman); no rows when
    no patient-caregiver pair was rated."""
    if pairs.empty:
        return pd.DataFrame(columns=["Parameter", "Timepoint", *AGREEMENT_COLUMNS])
    out = (
        pairs.groupby(["PARAMCD", "TIMEPOINT"], sort=True)[["USUBJID", *spec.RESPONDENTS]]
        .apply(_agreement)
        .reset_index()
    )
    out.insert(0, "Parameter", out.pop("PARAMCD").map(labels.label))
    return out.rename(columns={"TIMEPOINT": "Timepoint"})
