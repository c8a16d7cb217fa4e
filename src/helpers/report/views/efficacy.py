"""Efficacy tables and the Kaplan-Meier curve, views of the helpers.analysis.efficacy rows."""

from __future__ import annotations

import math

import pandas as pd

from helpers.analysis import ard, disclosure
from helpers.analysis.efficacy import SHIFT_LEVELS
from helpers.report import labels, tables


def fsmc_shift_table(results: pd.DataFrame) -> pd.DataFrame:
    """Baseline x EOS FSMC total severity (n): rows baseline, columns EOS, with totals; a view
    of the fsmc_shift_ard rows."""
    cells = ard.select(results, analysis="fsmc_shift", stat="n")
    wide = cells.pivot(index="group", columns="level", values="value")
    wide = wide.reindex(index=SHIFT_LEVELS, columns=SHIFT_LEVELS).map(tables.fmt_count)
    wide.columns = [f"EOS: {c}" for c in wide.columns]
    return wide.rename_axis("Baseline").reset_index()


def km_curve(results: pd.DataFrame) -> pd.DataFrame:
    """The curve of km_curve_ard rows as columns time, cum, lcl, ucl, at_risk (by time); a
    suppressed probability (fewer than min_cell at risk) is NaN, not drawn (the curve stops),
    a suppressed number at risk its marker."""
    wide = results.pivot(index="group", columns="stat", values="value")
    wide.index = wide.index.astype(float)
    drawn = {c: pd.to_numeric(wide[c], errors="coerce") for c in wide.columns if c != "at_risk"}
    return wide.assign(**drawn).sort_index().rename_axis("time").reset_index()


def km_table(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Subjects, events, censored and KM median time (months) with CI, from km_ard rows; events
    % = 100 events / n (NaN when n = 0; withheld, "x", when either is suppressed) and censored
    its row `censored` where disclosure control added it (disclosure.DERIVED), else n - events."""
    v = dict(zip(results["stat"], results["value"], strict=True))
    n, events = v["n"], v["events"]
    censored = v["censored"] if "censored" in v else n - events
    numbers = not isinstance(n, str) and not isinstance(events, str)
    pct = (100.0 * events / n if n else math.nan) if numbers else disclosure.WITHHELD
    return pd.DataFrame(
        {
            "Subjects": [tables.fmt_count(n)],
            "Events, n (%)": [tables.fmt_n_pct(events, pct)],
            "Censored, n": [tables.fmt_count(censored)],
            f"Median months ({100 * (1 - alpha):.0f}% CI)": [
                tables.fmt_pair(v["median"], v["lcl"], v["ucl"])
            ],
        }
    )


def relapse_table(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Relapses per study year and overall (rows of relapse_ard, formatted)."""
    rate_col = f"Relapses per patient-year ({100 * (1 - alpha):.0f}% CI)"
    rows = []
    for period, cell in results.groupby("group", sort=False):
        v = dict(zip(cell["stat"], cell["value"], strict=True))
        rows.append(
            {
                "Period": period,
                "Patients": tables.fmt_count(v["N"]),
                ">= 1 relapse, n (%)": tables.fmt_n_pct(v["n"], v["pct"]),
                "Relapses": tables.fmt_count(v["events"]),
                "Patient-years": tables.fmt_num(v["exposure"]),
                rate_col: tables.fmt_pair(v["estimate"], v["lcl"], v["ucl"], decimals=2),
            }
        )
    return pd.DataFrame(rows)


#: row labels of the retreatment table (the course counts: "Alemtuzumab courses: k")
RETREATMENT_LABELS = {
    "RETRTFL": "Retreated with alemtuzumab (course >= 3)",
    "OTHTRTFL": "Started another disease-modifying therapy",
    "RETRTFL_OR_OTHTRTFL": "Either",
}


def retreatment_table(results: pd.DataFrame) -> pd.DataFrame:
    """SAF patients: alemtuzumab courses received, retreatment (course >= 3), other DMT: n (%),
    a view of the retreatment_ard rows."""
    cells = ard.select(results, analysis="retreatment")
    keys = cells[["paramcd", "level"]].drop_duplicates()
    shown = [RETREATMENT_LABELS.get(code) or f"Alemtuzumab courses: {level}"
              for code, level in keys.itertuples(index=False)]  # fmt: skip
    n = tables.cell_value(cells, paramcd="RETRTFL", stat="N")
    return pd.DataFrame({"Treatment": shown,
                         f"n (%) of N={tables.fmt_count(n)}": tables.n_pct_cells(cells)})


#: row labels of the EDSS table (the visits: "first seen at ...")
EDSS_LABELS = {
    "EDSSANL": "Patients with baseline and >= 1 post-baseline EDSS",
    "NPOST2": f"{tables.INDENT}with >= 2 post-baseline assessments (improvement can be confirmed)",
    "CONFFL": "Confirmed EDSS improvement",
}


def edss_improvement_table(results: pd.DataFrame) -> pd.DataFrame:
    """Confirmed EDSS improvement n (%) and the visit where it was first seen, a view of the
    edss_improvement_ard rows."""
    cells = ard.select(results, analysis="edss_improvement")
    keys = cells[["paramcd", "level"]].drop_duplicates()
    shown = [EDSS_LABELS.get(code)
             or f"{tables.INDENT}first seen at {labels.value_label('AVISIT', level)}"
             for code, level in keys.itertuples(index=False)]  # fmt: skip
    return pd.DataFrame({"EDSS": shown, "n (%)": tables.n_pct_cells(cells)})
