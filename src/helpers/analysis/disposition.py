"""Disposition, baseline characteristics and the sample-size recomputation (notebook 01).

Populations: helpers.study.spec.POPULATIONS (ENR, SAF, FAS, COMP; their ADSL flags).
Percentages use the enrolled patients of the table (after the country filter) as denominator.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from helpers.analysis import ard, change_from_baseline, stats
from helpers.report import labels, tables
from helpers.study import spec

FLAGS = {"Treated (SAF)": "SAFFL", "Full analysis set (FAS)": "FASFL", "Completed": "COMPFL"}


#: the rows of the disposition table: ARD paramcd -> label (reasons, paramcd DCSREAS, are
#: shown under "Discontinued", in data-spec order, when any patient gave them)
DISPOSITION_ROWS = {"ENRFL": "Enrolled", **{flag: name for name, flag in FLAGS.items()},
                    "DISCFL": "Discontinued", "DCSREAS": "", "ONGOING": "Ongoing",
                    "DTHFL": "Died"}  # fmt: skip


def disposition_table(results: pd.DataFrame, group: str = "") -> pd.DataFrame:
    """Enrolled, SAF, FAS, completed, discontinued (with reasons), ongoing and deaths: n (%) of
    the enrolled patients, a view of the ARD "disposition" rows of `group` (disposition_ard)."""
    cells = ard.select(results, analysis="disposition", group=group)
    rows = []
    for code, label in DISPOSITION_ROWS.items():
        for level in cells.loc[cells["paramcd"].eq(code), "level"].unique():
            n = ard.value(cells, paramcd=code, level=level, stat="n")
            if code == "DCSREAS" and n == 0:
                continue
            shown = f"{tables.INDENT}{level.capitalize()}" if code == "DCSREAS" else label
            total = ard.value(cells, paramcd=code, level=level, stat="N")
            rows.append((shown, tables.fmt_n_pct(n, total)))
    return pd.DataFrame(rows, columns=["Status", "n (%)"])


def disposition_by_country(results: pd.DataFrame) -> pd.DataFrame:
    """Enrolled, SAF, FAS, completed and discontinued n (%) per country (columns, the ARD groups
    of disposition_country_ard) and in total (group "")."""
    cells = ard.select(results, analysis="disposition", paramcd="ENRFL", stat="N")
    groups = [*sorted(g for g in cells["group"] if g), ""]
    cols = {}
    for group in groups:
        size = ard.value(cells, group=group)
        cols[f"{group or 'Total'} (N={size:.0f})"] = (
            disposition_table(results, group).set_index("Status")["n (%)"])
    keep = ["Enrolled", *FLAGS, "Discontinued", "Died"]
    return pd.DataFrame(cols).loc[keep].rename_axis("Status").reset_index()


#: the flow's steps, top to bottom: ARD paramcd -> box text (FLOW_YEARS years in study)
FLOW_YEARS = 3
FLOW_STEPS = {
    "ENRFL": "Enrolled",
    "SAFFL": "Treated with alemtuzumab (safety population)",
    **{f"INSTUDY{k}": f"In study at the start of year {k}" for k in range(1, FLOW_YEARS + 1)},
    "COMPFL": "Completed the study",
    "FASFL": "Analysed: full analysis set (FAS)",
}


def flow_ard(adsl: pd.DataFrame) -> pd.DataFrame:
    """ARD "flow" (the STROBE flow of the enrolled patients `adsl`), stat n:
    - each FLOW_STEPS step: enrolled (every ADSL row); treated = safety population (SAFFL); in
      study at the start of study year k = SAF patients other than those who discontinued in
      an earlier year; completed (COMPFL); the full analysis set (FASFL);
    - exits: enrolled but never treated (NEVERTRT); the SAF patients who discontinued (EOSSTT)
      in study year k (DISCYR, group k), EOSDY in (DAYS_PER_YEAR (k - 1), DAYS_PER_YEAR k]
      (day <= 0 or missing: year 1; after year FLOW_YEARS: that year), in all (level "") and by
      reason (level DCSREAS, most frequent first, ties by reason); SAF not in the FAS
      (NOTFAS)."""
    saf = adsl[adsl["SAFFL"].eq("Y")]
    disc = saf["EOSSTT"].eq("DISCONTINUED")
    days = saf["EOSDY"].astype(float)
    year = np.ceil(days / spec.DAYS_PER_YEAR).clip(lower=1, upper=FLOW_YEARS).fillna(1)
    counted = {"ENRFL": len(adsl), "SAFFL": len(saf)}
    counted |= {f"INSTUDY{k}": int((~(disc & (year < k))).sum())
                for k in range(1, FLOW_YEARS + 1)}  # fmt: skip
    counted |= {"COMPFL": int(saf["COMPFL"].eq("Y").sum()),
                "FASFL": int(saf["FASFL"].eq("Y").sum()),
                "NEVERTRT": len(adsl) - len(saf), "NOTFAS": int(saf["FASFL"].ne("Y").sum())}
    cells = [ard.rows("flow", "ENR", {"n": n}, paramcd=code, method="patients")
             for code, n in counted.items()]  # fmt: skip
    for k in range(1, FLOW_YEARS + 1):
        reasons = discontinuation_reasons(saf[disc & year.eq(k)])
        cells.append(ard.rows("flow", "ENR", {"n": int(reasons["n"].sum())}, paramcd="DISCYR",
                              group=f"{k}", method="patients discontinued in the year"))
        cells += [ard.rows("flow", "ENR", {"n": r.n}, paramcd="DISCYR", group=f"{k}",
                           level=r.reason, method="patients discontinued in the year")
                  for r in reasons.itertuples()]  # fmt: skip
    return ard.combine(cells)


def strobe_flow(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The STROBE flow (steps, exits) as figures.flow_diagram draws it, a view of the flow_ard
    rows: steps (step, n) top to bottom; exits (after, text), each a side box beside step
    `after`: never treated beside enrolled, the discontinuations of year k (with reasons)
    beside the step of year k, SAF not in the FAS beside the last step."""
    cells = ard.select(results, analysis="flow", stat="n")

    def n(code: str, **keys: str) -> int:
        return int(ard.value(cells, paramcd=code, **keys))

    steps = pd.DataFrame([(label, n(code, group="", level="")) for code, label
                          in FLOW_STEPS.items()], columns=["step", "n"])  # fmt: skip
    exits = [(0, f"Never treated: {n('NEVERTRT')}")]
    for k in range(1, FLOW_YEARS + 1):
        year = cells[cells["paramcd"].eq("DISCYR") & cells["group"].eq(f"{k}")]
        lines = [f"{r.level.capitalize()}: {r.value:.0f}" for r in year.itertuples() if r.level]
        exits.append((k + 1, "\n".join([f"Discontinued in year {k}: "
                                         f"{n('DISCYR', group=f'{k}', level='')}", *lines])))
    exits.append((len(steps) - 1, f"Treated, not in the FAS: {n('NOTFAS')}\n(no baseline or no"
                                  " post-baseline FSMC total)"))
    return steps, pd.DataFrame(exits, columns=["after", "text"])


def discontinuation_reasons(adsl: pd.DataFrame) -> pd.DataFrame:
    """Discontinued patients by reason (n), most frequent first, ties by reason."""
    disc = adsl.loc[adsl["EOSSTT"].eq("DISCONTINUED"), "DCSREAS"].fillna("Missing")
    counts = disc.value_counts().rename_axis("reason").reset_index(name="n")
    return counts.sort_values(["n", "reason"], ascending=[False, True]).reset_index(drop=True)


#: continuous ADSL characteristics of the baseline table
ADSL_CONTINUOUS = {
    "AGE": "Age (years)",
    "MSDURY": "MS duration (years)",
    "NPRIORDMT": "Prior DMTs (n)",
}
#: baseline scores (ADQS, RESPONDENT PATIENT) of the baseline table
BASELINE_SCORES = ("EDSS", "FSMCTOT", "FSMCCOG", "FSMCMOT", "MSISPHYS", "MSISPSY", "SDMTTOT",
                   "BDITOT")  # fmt: skip


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


def _baseline_label(code: str) -> str:
    return ADSL_CONTINUOUS.get(code) or f"{labels.label(code)} at baseline"


#: categorical characteristics of the baseline table: ADSL column -> (label, levels first
#: shown; other values follow sorted, a missing value as the level "Missing")
BASELINE_CATEGORIES = {"SEX": ("Sex", spec.SEX), "COUNTRY": ("Country", ())}


def disposition_ard(adsl: pd.DataFrame, group: str = "") -> pd.DataFrame:
    """ARD "disposition" of the enrolled patients `adsl` (ENR; `group` names a subgroup such
    as a country): n, N, pct of ENRFL (all), SAFFL, FASFL, COMPFL, discontinued (DISCFL, and by
    reason: DCSREAS with each data-spec reason as level), ongoing, deaths (DTHFL) and
    discontinued because of an AE (DISCAE: ADSL DSRAEFL Y)."""
    discontinued = adsl["EOSSTT"].eq("DISCONTINUED")
    conditions = {
        ("ENRFL", ""): pd.Series(True, index=adsl.index),
        **{(flag, ""): adsl[flag].eq("Y") for flag in FLAGS.values()},
        ("DISCFL", ""): discontinued,
        **{("DCSREAS", reason): discontinued & adsl["DCSREAS"].eq(reason)
           for reason in spec.DISCONTINUATION_REASONS},
        ("ONGOING", ""): adsl["EOSSTT"].eq("ONGOING"),
        ("DTHFL", ""): adsl["DTHFL"].eq("Y"),
        ("DISCAE", ""): adsl["DSRAEFL"].eq("Y"),
    }  # fmt: skip
    return ard.combine(
        ard.n_pct("disposition", "ENR", mask, paramcd=code, level=level, group=group,
                  method=f"{code}: n (%) of ENR")
        for (code, level), mask in conditions.items()
    )


def disposition_country_ard(adsl: pd.DataFrame) -> pd.DataFrame:
    """disposition_ard of each country's enrolled patients (group = the country code)."""
    return ard.combine(disposition_ard(g, group=country)
                       for country, g in adsl.groupby("COUNTRY", sort=True))


def baseline_ard(adsl: pd.DataFrame, adqs: pd.DataFrame, population: str) -> pd.DataFrame:
    """ARD "baseline" of one population: stats.describe of each continuous characteristic
    (_baseline_values) and n, N, pct of each level of each BASELINE_CATEGORIES column
    (denominator: the population; a missing value counts as the level "Missing")."""
    cells = [
        ard.rows("baseline", population, stats.describe(values), paramcd=code,
                 method="stats.describe")
        for code, values in _baseline_values(adsl, adqs).items()
    ]  # fmt: skip
    cells += [
        ard.categories("baseline", population, adsl[column], levels, paramcd=column,
                       method="n (%) of the population")
        for column, (_, levels) in BASELINE_CATEGORIES.items()
    ]  # fmt: skip
    return ard.combine(cells)


def sample_size_ard(effect_size: float, alpha: float, power: float,
                    dropout: float) -> pd.DataFrame:  # fmt: skip
    """ARD "sample_size": the planned number of patients to enrol (stats.planned_sample_size)."""
    n = stats.planned_sample_size(effect_size, alpha, power, dropout)
    method = (f"stats.planned_sample_size(effect_size={effect_size}, alpha={alpha}, "
              f"power={power}, dropout={dropout})")  # fmt: skip
    return ard.rows("sample_size", "", {"n": n}, method=method)


def _baseline_cells(cells: pd.DataFrame) -> pd.Series:
    """One population's baseline ARD rows as table cells, (characteristic, statistic) ->
    text: n, mean (SD), median (Q1, Q3) of each continuous characteristic, then n (%) of each
    level of each category."""
    shown: dict[tuple[str, str], str] = {}
    for code in cells.loc[~cells["paramcd"].isin(list(BASELINE_CATEGORIES)), "paramcd"].unique():
        described = cells[cells["paramcd"].eq(code)].set_index("stat")["value"]
        formatted = tables.described_cells(described.to_dict())
        for stat in ("n", "Mean (SD)", "Median (Q1, Q3)"):
            shown[(_baseline_label(code), stat)] = formatted[stat]
    for column, (label, _) in BASELINE_CATEGORIES.items():
        for level in cells.loc[cells["paramcd"].eq(column), "level"].unique():
            n = ard.value(cells, paramcd=column, level=level, stat="n")
            total = ard.value(cells, paramcd=column, level=level, stat="N")
            shown[(label, f"{level}, n (%)")] = tables.fmt_n_pct(n, total)
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
        cols.append(_baseline_cells(cells).rename(f"{name} (N={size:.0f})"))
    table = pd.concat(cols, axis=1).fillna("0")
    return table.rename_axis(["Characteristic", "Statistic"]).reset_index()


def sample_size_grid_ard(effect_sizes: list[float], powers: list[float], dropouts: list[float],
                         alpha: float) -> pd.DataFrame:  # fmt: skip
    """ARD "sample_size_grid": stats.planned_sample_size over every combination of the
    assumptions, one cell per combination (group "1", "2", ... in effect size, power, drop-out
    order) holding the assumptions (effect_size, power, dropout, alpha) and the planned n."""
    combinations = itertools.product(effect_sizes, powers, dropouts)
    return ard.combine(
        ard.rows("sample_size_grid", "",
                 {"effect_size": d, "power": p, "dropout": q, "alpha": alpha,
                  "n": stats.planned_sample_size(d, alpha, p, q)},
                 group=str(i), method="stats.planned_sample_size")
        for i, (d, p, q) in enumerate(combinations, 1)
    )  # fmt: skip


def sample_size_grid(results: pd.DataFrame, target: int) -> pd.DataFrame:
    """The planned sample size over the grid of assumptions (sample_size_grid_ard rows, one
    table row per combination) and whether each gives `target`."""
    cells = ard.select(results, analysis="sample_size_grid")
    wide = cells.pivot(index="group", columns="stat", values="value")
    wide = wide.loc[sorted(wide.index, key=int)]
    n = wide["n"].astype(int)
    return pd.DataFrame({
        "Effect size (d)": wide["effect_size"].map("{:.2f}".format),
        "Power": wide["power"].map("{:.2f}".format),
        "Drop-out": wide["dropout"].map("{:.0%}".format),
        "alpha": wide["alpha"].map("{:.2f}".format),
        "N to enrol": n,
        f"Gives N = {target}": ["yes" if k == target else "" for k in n],
    }).reset_index(drop=True)  # fmt: skip
