"""Caregiver tables, views of the helpers.analysis.caregiver rows."""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard
from helpers.analysis.caregiver import BLAND_ALTMAN, CG_CATEGORIES, CG_CONTINUOUS
from helpers.report import labels, tables

#: row labels of the caregiver characteristics
CHARACTERISTIC_LABELS = {
    "CGAGE": "Age (years)",
    "CGYEARS": "Years as caregiver",
    "CGSEX": "Sex",
    "CGREL": "Relationship to patient",
    "CGEMPLOY": "Employment",
    "CGCHILD": "Children living at home",
}


def characteristics_table(results: pd.DataFrame) -> pd.DataFrame:
    """Caregivers: number, age and years as caregiver (mean (SD), median (Q1, Q3)), more than
    1 year, then sex, relationship, employment and children at home (n (%)); a view of the
    characteristics_ard rows."""
    cells = ard.select(results, analysis="cg_characteristics")
    total = tables.cell_value(cells, paramcd="", stat="N")
    rows: list[tuple[str, str]] = [("Caregivers, n", tables.fmt_count(total))]
    for code in CG_CONTINUOUS:
        name = CHARACTERISTIC_LABELS[code]
        described = cells[cells["paramcd"].eq(code) & cells["level"].eq("")]
        shown = tables.described_cells(described.set_index("stat")["value"].to_dict())
        rows += [(f"{name}, {stat}", shown[stat]) for stat in ("Mean (SD)", "Median (Q1, Q3)")]
    over = cells[cells["paramcd"].eq("CGYEARS") & cells["level"].eq("> 1")]
    rows.append(("Caregiver for more than 1 year, n (%)", tables.n_pct_cells(over)[0]))
    for code in CG_CATEGORIES:
        name = CHARACTERISTIC_LABELS[code]
        levels = cells[cells["paramcd"].eq(code)]
        rows += [(f"{name}: {labels.value_label(code, level)}, n (%)", shown) for level, shown
                 in zip(levels["level"].unique(), tables.n_pct_cells(levels), strict=True)]
    return pd.DataFrame(rows, columns=["Characteristic", "Value"])


#: the columns of the agreement table after parameter and timepoint
AGREEMENT_COLUMNS = (
    "Pairs",
    "ICC(2,1) (95% CI)",
    "ICC(3,1) (95% CI)",
    "Mean difference, patient \u2212 caregiver (95% LoA)",
)


def agreement_table(results: pd.DataFrame) -> pd.DataFrame:
    """Agreement per parameter and timepoint (AGREEMENT_COLUMNS), a view of the agreement_ard
    rows; ICCs "-" below MIN_ICC_PAIRS pairs; no rows when no pair was rated."""
    cells = ard.select(results, analysis="cg_agreement")
    rows = []
    for (paramcd, timepoint), cell in cells.groupby(["paramcd", "visit"], sort=False):
        by = {g: c.set_index("stat")["value"] for g, c in cell.groupby("group", sort=False)}
        ba = by[BLAND_ALTMAN]
        iccs = [tables.fmt_pair(by[t]["estimate"], by[t]["lcl"], by[t]["ucl"], decimals=2)
                if t in by else tables.MISSING for t in ("ICC(2,1)", "ICC(3,1)")]  # fmt: skip
        rows.append([labels.label(paramcd), timepoint, tables.fmt_count(ba["n"]), *iccs,
                     tables.fmt_pair(ba["bias"], ba["lower_loa"], ba["upper_loa"])])
    return pd.DataFrame(rows, columns=["Parameter", "Timepoint", *AGREEMENT_COLUMNS])
