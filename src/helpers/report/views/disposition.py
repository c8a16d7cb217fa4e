"""Disposition tables and the STROBE flow, views of the helpers.analysis.disposition rows."""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard
from helpers.analysis.disposition import FLOW_YEARS
from helpers.report import labels, tables

#: the analysis sets of the disposition table: ARD paramcd -> label
FLAG_LABELS = {"SAFFL": "Treated (SAF)", "FASFL": "Full analysis set (FAS)",
               "COMPFL": "Completed"}  # fmt: skip
#: the rows of the disposition table: ARD paramcd -> label (reasons, paramcd DCSREAS, are
#: shown under "Discontinued", in data-spec order, when any patient gave them)
DISPOSITION_ROWS = {"ENRFL": "Enrolled", **FLAG_LABELS, "DISCFL": "Discontinued",
                    "DCSREAS": "", "ONGOING": "Ongoing", "DTHFL": "Died"}  # fmt: skip
#: the flow's steps, top to bottom: ARD paramcd -> box text
FLOW_STEPS = {
    "ENRFL": "Enrolled",
    "SAFFL": "Treated with alemtuzumab (safety population)",
    **{f"INSTUDY{k}": f"In study at the start of year {k}" for k in range(1, FLOW_YEARS + 1)},
    "COMPFL": "Completed the study",
    "FASFL": "Analysed: full analysis set (FAS)",
}


def disposition_table(results: pd.DataFrame, group: str = "") -> pd.DataFrame:
    """Enrolled, SAF, FAS, completed, discontinued (with reasons), ongoing and deaths: n (%) of
    the enrolled patients, a view of the ARD "disposition" rows of `group` (disposition_ard)."""
    cells = ard.select(results, analysis="disposition", group=group)
    rows = []
    for code, label in DISPOSITION_ROWS.items():
        for level in cells.loc[cells["paramcd"].eq(code), "level"].unique():
            n = tables.cell_value(cells, paramcd=code, level=level, stat="n")
            if code == "DCSREAS" and n == 0:
                continue
            reason = f"{tables.INDENT}{labels.value_label(code, level)}"
            shown = reason if code == "DCSREAS" else label
            pct = tables.cell_value(cells, paramcd=code, level=level, stat="pct")
            rows.append((shown, tables.fmt_n_pct(n, pct)))
    return pd.DataFrame(rows, columns=["Status", "n (%)"])


def disposition_by_country(results: pd.DataFrame) -> pd.DataFrame:
    """Enrolled, SAF, FAS, completed and discontinued n (%) per country (columns, the ARD groups
    of disposition_country_ard) and in total (group "")."""
    cells = ard.select(results, analysis="disposition", paramcd="ENRFL", stat="N")
    groups = [*sorted(g for g in cells["group"] if g), ""]
    cols = {}
    for group in groups:
        size = tables.cell_value(cells, group=group)
        name = labels.value_label("COUNTRY", group) if group else "Total"
        cols[f"{name} (N={tables.fmt_count(size)})"] = (
            disposition_table(results, group).set_index("Status")["n (%)"])
    keep = ["Enrolled", *FLAG_LABELS.values(), "Discontinued", "Died"]
    return pd.DataFrame(cols).loc[keep].rename_axis("Status").reset_index()


def strobe_flow(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The STROBE flow (steps, exits) as figures.flow_diagram draws it, a view of the flow_ard
    rows: steps (step, n) top to bottom; exits (after, text), each a side box beside step
    `after`: never treated beside enrolled, the discontinuations of year k (with reasons)
    beside the step of year k, SAF not in the FAS beside the last step."""
    cells = ard.select(results, analysis="flow", stat="n")

    def n(code: str, **keys: str) -> int | str:  # a marker as it is
        value = tables.cell_value(cells, paramcd=code, **keys)
        return value if isinstance(value, str) else int(value)

    steps = pd.DataFrame([(label, n(code, group="", level="")) for code, label
                          in FLOW_STEPS.items()], columns=["step", "n"])  # fmt: skip
    exits = [(0, f"Never treated: {n('NEVERTRT')}")]
    for k in range(1, FLOW_YEARS + 1):
        year = cells[cells["paramcd"].eq("DISCYR") & cells["group"].eq(f"{k}")]
        lines = [f"{labels.value_label('DCSREAS', r.level)}: {tables.fmt_count(r.value)}"
                 for r in year.itertuples() if r.level]
        exits.append((k + 1, "\n".join([f"Discontinued in year {k}: "
                                         f"{n('DISCYR', group=f'{k}', level='')}", *lines])))
    exits.append((len(steps) - 1, f"Treated, not in the FAS: {n('NOTFAS')}\n(no baseline or no"
                                  " post-baseline FSMC total)"))
    return steps, pd.DataFrame(exits, columns=["after", "text"])
