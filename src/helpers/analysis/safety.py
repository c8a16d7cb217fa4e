"""Adverse event analyses (notebook 04); the tables are views of these rows
(helpers.report.views.safety).

Population SAF. Treatment-emergent AE (TEAE) = ADAE TRTEMFL Y (onset on or after elapsed day 0).
Subjects n (%): a subject counts once per row of a table (once per SOC, once per preferred term);
% of the SAF patients of the table; events = AE records. Discontinued because of an adverse
event: disposition.discontinued_for_ae, DSDECOD in (ADVERSE EVENT, DEATH) (patients, no event
count); fatal = AEOUT FATAL; infusion-associated reaction (IAR) = ADAE IARFL Y.
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard
from helpers.analysis.disposition import discontinued_for_ae
from helpers.study import spec

#: overview categories: ARD level -> condition on TEAE records
OVERVIEW = {
    "Any TEAE": lambda ae: pd.Series(True, index=ae.index),
    "Related to alemtuzumab": lambda ae: ae["AEREL"].eq("Y"),
    "Serious": lambda ae: ae["AESER"].eq("Y"),
    "Severe": lambda ae: ae["AESEV"].eq("SEVERE"),
    "Fatal": lambda ae: ae["AEOUT"].eq("FATAL"),
}

#: by-year categories: ARD level -> condition on TEAE records
BY_YEAR = {
    **{k: OVERVIEW[k] for k in ("Any TEAE", "Serious", "Severe")},
    "IAR": lambda ae: ae["IARFL"].eq("Y"),
}


def teae(adae: pd.DataFrame, saf: pd.DataFrame) -> pd.DataFrame:
    """Treatment-emergent AEs of the SAF patients in `saf` (ADSL rows)."""
    return adae[adae["TRTEMFL"].eq("Y") & adae["USUBJID"].isin(saf["USUBJID"])]


def count(ae: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Subjects (unique USUBJID) and events per `by` group, most subjects first, ties by name
    (the order of every AE table)."""
    out = ae.groupby(by).agg(subjects=("USUBJID", "nunique"), events=("USUBJID", "size"))
    return out.reset_index().sort_values(
        ["subjects", *by], ascending=[False, *[True] * len(by)], kind="stable"
    )


def subjects_events(analysis: str, sel: pd.DataFrame, n_saf: int, **keys: str) -> pd.DataFrame:
    """ARD rows n (subjects), N, pct (100 n / N) and events (records) of TEAE records `sel`."""
    n = sel["USUBJID"].nunique()
    pct = 100.0 * n / n_saf if n_saf else float("nan")
    return ard.rows(analysis, "SAF", {"n": n, "N": n_saf, "pct": pct, "events": len(sel)},
                    method=ard.method_name(subjects_events, ": subjects n (%) of SAF; events = "
                                           "TEAE records"), **keys)  # fmt: skip


#: overview row of the patients who discontinued because of an adverse event (a patient-level
#: status, disposition.discontinued_for_ae: no event count)
DISCONTINUED = "Discontinued the study because of an adverse event (incl. death)"


def overview_ard(ae: pd.DataFrame, saf: pd.DataFrame) -> pd.DataFrame:
    """ARD "ae_overview": n, N, pct and events of each OVERVIEW category (level = its label),
    then n, N, pct of the SAF patients `saf` who discontinued because of an adverse event
    (DISCONTINUED; the one definition of helpers.analysis.disposition.discontinued_for_ae)."""
    return ard.combine([
        *(subjects_events("ae_overview", ae[cond(ae)], len(saf), level=name)
          for name, cond in OVERVIEW.items()),
        ard.n_pct("ae_overview", "SAF", discontinued_for_ae(saf), level=DISCONTINUED,
                  method=ard.method_name(overview_ard, ": n (%) of SAF")),
    ])  # fmt: skip


def pt_ard(ae: pd.DataFrame, n_saf: int) -> pd.DataFrame:
    """ARD "ae_pt": per preferred term (level) n, N, pct, events and rank (1 = most subjects,
    ties by name: the order of `count`)."""
    counts = count(ae, ["AEDECOD"])
    cells = []
    for rank, term in enumerate(counts["AEDECOD"], start=1):
        cells += [
            subjects_events("ae_pt", ae[ae["AEDECOD"].eq(term)], n_saf, level=term),
            ard.rows("ae_pt", "SAF", {"rank": rank}, level=term,
                     method=ard.method_name(count, ": rank by subjects, descending, ties by "
                                            "name")),
        ]  # fmt: skip
    return ard.combine(cells)


def soc_pt_ard(ae: pd.DataFrame, n_saf: int) -> pd.DataFrame:
    """ARD "ae_soc_pt": n, N, pct and events of each system organ class (group, level "") and
    of each preferred term within it (level), in table order: SOCs by subjects, descending,
    ties by name, each followed by its PTs in the same order (`count`)."""
    soc = count(ae, ["AEBODSYS"])
    pt = count(ae, ["AEBODSYS", "AEDECOD"])
    cells = []
    for body in soc["AEBODSYS"]:
        in_soc = ae[ae["AEBODSYS"].eq(body)]
        cells.append(subjects_events("ae_soc_pt", in_soc, n_saf, group=body))
        cells += [subjects_events("ae_soc_pt", in_soc[in_soc["AEDECOD"].eq(term)], n_saf,
                                   group=body, level=term)
                  for term in pt.loc[pt["AEBODSYS"].eq(body), "AEDECOD"]]  # fmt: skip
    return ard.combine(cells)


def year_ard(ae: pd.DataFrame, saf: pd.DataFrame) -> pd.DataFrame:
    """ARD "ae_year": TEAEs by study year of onset (AYEAR, group = the year): n, N, pct and
    events of each BY_YEAR category (level), N = the patients in study at the start of year k
    (EOSDY > 365.25 (k - 1))."""
    cells = []
    for k in sorted(ae["AYEAR"].dropna().astype(int).unique()):
        at_risk = int(saf["EOSDY"].gt(spec.DAYS_PER_YEAR * (k - 1)).sum())
        in_year = ae[ae["AYEAR"].eq(k)]
        cells += [subjects_events("ae_year", in_year[cond(in_year)], at_risk, group=f"{k}",
                                   level=name) for name, cond in BY_YEAR.items()]  # fmt: skip
    return ard.combine(cells)


ANY_IAR = "Any IAR"


def iar_ard(ae: pd.DataFrame, n_saf: int) -> pd.DataFrame:
    """ARD "ae_iar": infusion-associated reactions (IARFL Y): n, N, pct and events of any IAR
    (level ANY_IAR), then of each preferred term (level) in `count` order."""
    iar = ae[ae["IARFL"].eq("Y")]
    terms = count(iar, ["AEDECOD"])["AEDECOD"]
    return ard.combine([
        subjects_events("ae_iar", iar, n_saf, level=ANY_IAR),
        *(subjects_events("ae_iar", iar[iar["AEDECOD"].eq(term)], n_saf, level=term)
          for term in terms),
    ])  # fmt: skip
