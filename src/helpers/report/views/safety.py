"""Adverse event tables, views of the helpers.analysis.safety rows."""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard
from helpers.report import tables

#: the column headers of the AE tables
SUBJECTS = "Subjects, n (%)"
EVENTS = "Events"


def overview_table(results: pd.DataFrame) -> pd.DataFrame:
    """Subjects n (%) and events for any TEAE, related, serious, severe and fatal, and the
    patients who discontinued because of an adverse event (rows of overview_ard, formatted;
    events "-" where a row counts patients only)."""
    rows = []
    for name, cell in results.groupby("level", sort=False):
        v = dict(zip(cell["stat"], cell["value"], strict=True))
        events = v.get("events", float("nan"))
        rows.append({"Category": name, SUBJECTS: tables.fmt_n_pct(v["n"], v["pct"]),
                     EVENTS: tables.MISSING if pd.isna(events) else f"{int(events)}"})
    return pd.DataFrame(rows)


def _shown(cell: pd.DataFrame) -> tuple[str, str]:
    """Subjects n (%) and events of one ARD cell of subjects_events."""
    v = cell.set_index("stat")["value"]
    return tables.fmt_n_pct(v["n"], v["pct"]), f"{v['events']:.0f}"


def soc_pt_table(results: pd.DataFrame) -> pd.DataFrame:
    """TEAEs by system organ class and preferred term: SOC rows each followed by its PTs
    (indented), subjects n (%) and events; a view of the soc_pt_ard rows."""
    rows = []
    for (body, term), cell in ard.select(results, analysis="ae_soc_pt").groupby(
            ["group", "level"], sort=False):  # fmt: skip
        rows.append((f"{tables.INDENT}{term}" if term else body, *_shown(cell)))
    return pd.DataFrame(rows, columns=["System organ class / preferred term", SUBJECTS, EVENTS])


def year_table(results: pd.DataFrame) -> pd.DataFrame:
    """TEAEs by study year: patients in study at its start, then subjects n (%) and events of
    any / serious / severe / IAR; a view of the year_ard rows."""
    rows = []
    for year, cells in ard.select(results, analysis="ae_year").groupby("group", sort=False):
        at_risk = cells.loc[cells["stat"].eq("N"), "value"].iloc[0]
        row = {"Study year": year, "Patients in study at start": f"{at_risk:.0f}"}
        for name, cell in cells.groupby("level", sort=False):
            row[f"{name}: subjects, n (%)"], row[f"{name}: events"] = _shown(cell)
        rows.append(row)
    return pd.DataFrame(rows)


def iar_table(results: pd.DataFrame) -> pd.DataFrame:
    """IARs by preferred term, an "Any IAR" first row; a view of the iar_ard rows."""
    rows = [(term, *_shown(cell)) for term, cell
            in ard.select(results, analysis="ae_iar").groupby("level", sort=False)]
    return pd.DataFrame(rows, columns=["Preferred term", SUBJECTS, EVENTS])
