"""Adverse event tables (notebook 04).

Population SAF. Treatment-emergent AE (TEAE) = ADAE TRTEMFL Y (onset on or after elapsed day 0).
Subjects n (%): a subject counts once per row of a table (once per SOC, once per preferred term);
% of the SAF patients of the table; events = AE records. Discontinued because of an adverse
event: disposition.discontinued_for_ae, DSDECOD in (ADVERSE EVENT, DEATH) (patients, no event
count); fatal = AEOUT FATAL; infusion-associated reaction (IAR) = ADAE IARFL Y.
"""

from __future__ import annotations

import pandas as pd

from helpers import ard, spec, tables
from helpers.disposition import discontinued_for_ae

SUBJECTS = "Subjects, n (%)"
EVENTS = "Events"

#: overview rows: label -> condition on TEAE records
OVERVIEW = {
    "Any TEAE": lambda ae: pd.Series(True, index=ae.index),
    "Related to alemtuzumab": lambda ae: ae["AEREL"].eq("Y"),
    "Serious": lambda ae: ae["AESER"].eq("Y"),
    "Severe": lambda ae: ae["AESEV"].eq("SEVERE"),
    "Fatal": lambda ae: ae["AEOUT"].eq("FATAL"),
}

#: columns of the by-year table
BY_YEAR = {
    **{k: OVERVIEW[k] for k in ("Any TEAE", "Serious", "Severe")},
    "IAR": lambda ae: ae["IARFL"].eq("Y"),
}


def teae(adae: pd.DataFrame, saf: pd.DataFrame) -> pd.DataFrame:
    """Treatment-emergent AEs of the SAF patients in `saf` (ADSL rows)."""
    return adae[adae["TRTEMFL"].eq("Y") & adae["USUBJID"].isin(saf["USUBJID"])]


def count(ae: pd.DataFrame, by: list[str], denominator: int) -> pd.DataFrame:
    """Subjects (unique USUBJID) and events per `by` group, most subjects first, ties by name."""
    out = ae.groupby(by).agg(subjects=("USUBJID", "nunique"), events=("USUBJID", "size"))
    out = out.reset_index().sort_values(
        ["subjects", *by], ascending=[False, *[True] * len(by)], kind="stable"
    )
    return out.assign(
        **{
            SUBJECTS: [tables.fmt_n_pct(k, denominator) for k in out["subjects"]],
            EVENTS: out["events"].astype(str),
        }
    )


def _subjects_events(analysis: str, sel: pd.DataFrame, n_saf: int, **keys: str) -> pd.DataFrame:
    """ARD rows n (subjects), N, pct (100 n / N) and events (records) of TEAE records `sel`."""
    n = sel["USUBJID"].nunique()
    pct = 100.0 * n / n_saf if n_saf else float("nan")
    return ard.rows(analysis, "SAF", {"n": n, "N": n_saf, "pct": pct, "events": len(sel)},
                    method="subjects n (%) of SAF; events = TEAE records", **keys)  # fmt: skip


#: overview row of the patients who discontinued because of an adverse event (a patient-level
#: status, disposition.discontinued_for_ae: no event count)
DISCONTINUED = "Discontinued the study because of an adverse event (incl. death)"


def overview_ard(ae: pd.DataFrame, saf: pd.DataFrame) -> pd.DataFrame:
    """ARD "ae_overview": n, N, pct and events of each OVERVIEW category (level = its label),
    then n, N, pct of the SAF patients `saf` who discontinued because of an adverse event
    (DISCONTINUED; the one definition of helpers.disposition.discontinued_for_ae)."""
    return ard.combine([
        *(_subjects_events("ae_overview", ae[cond(ae)], len(saf), level=name)
          for name, cond in OVERVIEW.items()),
        ard.n_pct("ae_overview", "SAF", discontinued_for_ae(saf), level=DISCONTINUED,
                  method="disposition.discontinued_for_ae: n (%) of SAF"),
    ])  # fmt: skip


def pt_ard(ae: pd.DataFrame, n_saf: int) -> pd.DataFrame:
    """ARD "ae_pt": per preferred term (level) n, N, pct, events and rank (1 = most subjects,
    ties by name: the order of `count`)."""
    counts = count(ae, ["AEDECOD"], n_saf)
    cells = []
    for rank, term in enumerate(counts["AEDECOD"], start=1):
        cells += [
            _subjects_events("ae_pt", ae[ae["AEDECOD"].eq(term)], n_saf, level=term),
            ard.rows("ae_pt", "SAF", {"rank": rank}, level=term,
                     method="order by subjects, descending, ties by name"),
        ]  # fmt: skip
    return ard.combine(cells)


def overview_table(results: pd.DataFrame) -> pd.DataFrame:
    """Subjects n (%) and events for any TEAE, related, serious, severe and fatal, and the
    patients who discontinued because of an adverse event (rows of overview_ard, formatted;
    events "-" where a row counts patients only)."""
    rows = []
    for name, cell in results.groupby("level", sort=False):
        v = dict(zip(cell["stat"], cell["value"], strict=True))
        events = v.get("events", float("nan"))
        rows.append({"Category": name, SUBJECTS: tables.fmt_n_pct(v["n"], v["N"]),
                     EVENTS: tables.MISSING if pd.isna(events) else f"{int(events)}"})
    return pd.DataFrame(rows)


def soc_pt_table(ae: pd.DataFrame, n_saf: int) -> pd.DataFrame:
    """TEAEs by system organ class and preferred term: SOC rows (by subjects, descending, ties by
    name) each followed by its PTs (indented, same order)."""
    soc = count(ae, ["AEBODSYS"], n_saf)
    pt = count(ae, ["AEBODSYS", "AEDECOD"], n_saf)
    rows = pd.concat(
        [
            soc.assign(Term=soc["AEBODSYS"], _level=0),
            pt.assign(Term=tables.INDENT + pt["AEDECOD"], _level=1),
        ]
    )
    soc_rank = pd.Series(range(len(soc)), index=soc["AEBODSYS"])
    rows = rows.assign(_soc=rows["AEBODSYS"].map(soc_rank))
    rows = rows.sort_values(["_soc", "_level"], kind="stable")
    return (
        rows[["Term", SUBJECTS, EVENTS]]
        .rename(columns={"Term": "System organ class / preferred term"})
        .reset_index(drop=True)
    )


def year_table(ae: pd.DataFrame, saf: pd.DataFrame) -> pd.DataFrame:
    """TEAEs by study year of onset (AYEAR): patients in study at the start of year k
    (EOSDY > 365.25 (k - 1)) as denominator; subjects n (%) and events, any / serious / severe /
    IAR."""
    years = sorted(ae["AYEAR"].dropna().astype(int).unique())
    rows = []
    for k in years:
        at_risk = int(saf["EOSDY"].gt(spec.DAYS_PER_YEAR * (k - 1)).sum())
        in_year = ae[ae["AYEAR"].eq(k)]
        row = {"Study year": f"{k}", "Patients in study at start": f"{at_risk}"}
        for name, cond in BY_YEAR.items():
            sel = in_year[cond(in_year)]
            row[f"{name}: subjects, n (%)"] = tables.fmt_n_pct(sel["USUBJID"].nunique(), at_risk)
            row[f"{name}: events"] = f"{len(sel)}"
        rows.append(row)
    return pd.DataFrame(rows)


def iar_table(ae: pd.DataFrame, n_saf: int) -> pd.DataFrame:
    """Infusion-associated reactions (IARFL Y) by preferred term, with an "Any IAR" first row."""
    iar = ae[ae["IARFL"].eq("Y")]
    anyrow = pd.DataFrame(
        {
            "Preferred term": ["Any IAR"],
            SUBJECTS: [tables.fmt_n_pct(iar["USUBJID"].nunique(), n_saf)],
            EVENTS: [f"{len(iar)}"],
        }
    )
    pt = count(iar, ["AEDECOD"], n_saf).rename(columns={"AEDECOD": "Preferred term"})
    return pd.concat([anyrow, pt[["Preferred term", SUBJECTS, EVENTS]]], ignore_index=True)
