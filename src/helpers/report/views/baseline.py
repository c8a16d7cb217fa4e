"""The baseline characteristics table (Table 1), a view of the helpers.analysis.baseline rows."""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard
from helpers.analysis.baseline import BASELINE_CATEGORIES
from helpers.report import labels, tables

#: row labels of the ADSL characteristics (a score: its label, "at baseline")
CHARACTERISTIC_LABELS = {"AGE": "Age (years)", "MSDURY": "MS duration (years)",
                         "NPRIORDMT": "Prior DMTs (n)", "SEX": "Sex",
                         "COUNTRY": "Country"}  # fmt: skip


def _label(code: str) -> str:
    return CHARACTERISTIC_LABELS.get(code) or f"{labels.label(code)} at baseline"


def _baseline_cells(cells: pd.DataFrame) -> pd.Series:
    """One population's baseline ARD rows as table cells, (characteristic, statistic) ->
    text: n, mean (SD), median (Q1, Q3) of each continuous characteristic, then n (%) of each
    level of each category."""
    shown: dict[tuple[str, str], str] = {}
    for code in cells.loc[~cells["paramcd"].isin(list(BASELINE_CATEGORIES)), "paramcd"].unique():
        described = cells[cells["paramcd"].eq(code)].set_index("stat")["value"]
        formatted = tables.described_cells(described.to_dict())
        for stat in ("n", "Mean (SD)", "Median (Q1, Q3)"):
            shown[(_label(code), stat)] = formatted[stat]
    for column in BASELINE_CATEGORIES:
        for level in cells.loc[cells["paramcd"].eq(column), "level"].unique():
            n = tables.cell_value(cells, paramcd=column, level=level, stat="n")
            pct = tables.cell_value(cells, paramcd=column, level=level, stat="pct")
            row = (_label(column), f"{labels.value_label(column, level)}, n (%)")
            shown[row] = tables.fmt_n_pct(n, pct)
    return pd.Series(shown)


def baseline_table(results: pd.DataFrame, populations: dict[str, str]) -> pd.DataFrame:
    """Baseline characteristics, one column per population (label -> ARD population of
    baseline_ard), a view of the ARD "baseline" rows. Continuous: n, mean (SD), median (Q1,
    Q3); categorical: n (%) of the population (N in the column header); a level absent from a
    population: "0". Baseline scores: the ABLFL record of each patient (n = with a value)."""
    cols = []
    for name, population in populations.items():
        cells = ard.select(results, analysis="baseline", population=population)
        size = cells.loc[cells["paramcd"].eq("SEX") & cells["stat"].eq("N"), "value"].iloc[0]
        cols.append(_baseline_cells(cells).rename(f"{name} (N={tables.fmt_count(size)})"))
    table = pd.concat(cols, axis=1).fillna("0")
    return table.rename_axis(["Characteristic", "Statistic"]).reset_index()
