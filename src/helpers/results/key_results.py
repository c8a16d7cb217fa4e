"""Every figure the study published, selected from the run's analysis results (ARD).

No statistic is computed here: each id of study/published.yaml names one ARD row (KEY_RESULTS,
a declarative mapping id -> row) written by the notebook that owns its topic (01 disposition
and baseline, 02 patient outcomes, 03 caregiver outcomes, 04 safety). Two kinds of selection:
- Row: the value of the one row with these keys; `when` (a rule on the same analysis cell's
  rows) says when the value reproduces the published finding (a significant change the other
  way does not: then NaN); when no such row exists (nothing to compute it from, e.g. no
  analysed subject) the value is `default` (a preferred term nobody reported: 0 %), else NaN.
- TopLevels: the levels of ranks 1..k of an analysis, joined by ", " (the most frequent AEs).
Values are unrounded; the reproduction check rounds to the published decimals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis import ard


@dataclass(frozen=True)
class Row:
    """One ARD row by its keys (columns of helpers.analysis.ard.KEYS; unnamed keys are "")."""

    analysis: str
    stat: str
    paramcd: str = ""
    variable: str = ""
    visit: str = ""
    group: str = ""
    level: str = ""
    population: str | None = None  # None: the analysis' one population (set by the params)
    when: Callable[[dict[tuple[str, str], float]], bool] | None = field(default=None, repr=False)
    default: float | None = None

    def keys(self) -> dict[str, str]:
        keys = {"analysis": self.analysis, "paramcd": self.paramcd, "variable": self.variable,
                "visit": self.visit, "group": self.group, "level": self.level}  # fmt: skip
        return keys if self.population is None else keys | {"population": self.population}

    def pick(self, results: pd.DataFrame) -> float:
        cell = ard.select(results, **self.keys())
        if ard.select(cell, stat=self.stat).empty:  # not computable in these data
            return np.nan if self.default is None else self.default
        value = ard.value(cell, stat=self.stat)
        if self.when is not None:
            stats = {(r.variable, r.stat): r.value for r in cell.itertuples()}
            return value if self.when(stats) else np.nan
        return value


@dataclass(frozen=True)
class TopLevels:
    """The levels of ranks 1..k (stat "rank") of an analysis, joined by ", "."""

    analysis: str
    k: int

    def pick(self, results: pd.DataFrame) -> str:
        ranks = ard.select(results, analysis=self.analysis, stat="rank")
        return ", ".join(ranks.sort_values("value")["level"].head(self.k))


def _eos(paramcd: str, stat: str, variable: str = "CHG", analysis: str = "outcomes",
         **rule: object) -> Row:  # fmt: skip
    return Row(analysis, stat, paramcd, variable, "EOS", **rule)  # type: ignore[arg-type]


def _cg_eos(paramcd: str, stat: str, **rule: object) -> Row:
    return _eos(paramcd, stat, analysis="cg_outcomes", **rule)


def _base(paramcd: str, stat: str) -> Row:
    return Row("baseline", stat, paramcd, population="ENR")


def _cg_base(paramcd: str, stat: str) -> Row:
    return Row("cg_baseline", stat, paramcd, "AVAL", "BASELINE")


def _cg(paramcd: str, stat: str, level: str = "") -> Row:
    return Row("cg_characteristics", stat, paramcd, level=level)


def _improved(s: dict[tuple[str, str], float]) -> bool:
    """EDSS: the median or the mean change is negative (improvement)."""
    return s[("CHG", "median")] < 0 or s[("CHG", "mean")] < 0


def _increased(s: dict[tuple[str, str], float]) -> bool:
    """SF-36 RE: the median change is positive."""
    return s[("CHG", "median")] > 0


#: published.yaml id -> the ARD row that holds it, in published.yaml's order
KEY_RESULTS: dict[str, Row | TopLevels] = {
    "n_enrolled": Row("disposition", "n", "ENRFL"),
    "n_safety": Row("disposition", "n", "SAFFL"),
    "n_completed": Row("disposition", "n", "COMPFL"),
    "pct_completed": Row("disposition", "pct", "COMPFL"),
    "n_disc_ae": Row("disposition", "n", "DISCAE"),
    "n_deaths": Row("disposition", "n", "DTHFL"),
    "pct_female": Row("baseline", "pct", "SEX", level="F", population="ENR"),
    "age_mean": _base("AGE", "mean"), "age_sd": _base("AGE", "sd"),
    "msdur_mean": _base("MSDURY", "mean"), "msdur_sd": _base("MSDURY", "sd"),
    "edss_bl_mean": _base("EDSS", "mean"), "edss_bl_sd": _base("EDSS", "sd"),
    "npriordmt_mean": _base("NPRIORDMT", "mean"), "npriordmt_sd": _base("NPRIORDMT", "sd"),
    "fsmc_bl_mean": _base("FSMCTOT", "mean"), "fsmc_bl_sd": _base("FSMCTOT", "sd"),
    "msis_phys_bl_mean": _base("MSISPHYS", "mean"), "msis_phys_bl_sd": _base("MSISPHYS", "sd"),
    "msis_psych_bl_mean": _base("MSISPSY", "mean"), "msis_psych_bl_sd": _base("MSISPSY", "sd"),
    "fsmc_chg_eos_median": _eos("FSMCTOT", "median"),
    "fsmc_chg_eos_min": _eos("FSMCTOT", "min"),
    "fsmc_chg_eos_max": _eos("FSMCTOT", "max"),
    "fsmc_chg_eos_p": _eos("FSMCTOT", "p"),
    "fsmc_cri_months": Row("fsmc_km", "median", "TTFSMCI", "AVAL"),
    "sdmt_chg_eos_median": _eos("SDMTTOT", "median"),
    "sdmt_chg_eos_p": _eos("SDMTTOT", "p"),
    "bdi_eos_median": _eos("BDITOT", "median", "AVAL"),
    "bdi_chg_eos_p": _eos("BDITOT", "p"),
    "msis_phys_chg_eos_median": _eos("MSISPHYS", "median"),
    "msis_phys_chg_eos_p": _eos("MSISPHYS", "p"),
    "msis_psych_chg_eos_median": _eos("MSISPSY", "median"),
    "msis_psych_chg_eos_p": _eos("MSISPSY", "p"),
    "tsqm_glo_min_p": Row("outcomes", "p_min", "TSQMGLO", "CHG"),
    "tsqm_glo_eos_p": _eos("TSQMGLO", "p"),
    "tsqm_eff_min_p": Row("outcomes", "p_min", "TSQMEFF", "CHG"),
    "tsqm_eff_eos_p": _eos("TSQMEFF", "p"),
    "tsqm_se_min_p": Row("outcomes", "p_min", "TSQMSE", "CHG"),
    "tsqm_se_eos_p": _eos("TSQMSE", "p"),
    "tsqm_con_min_p": Row("outcomes", "p_min", "TSQMCON", "CHG"),
    "relapse_pct_y1": Row("relapses", "pct", group="Year 1"),
    "relapse_pct_y2": Row("relapses", "pct", group="Year 2"),
    "relapse_pct_y3": Row("relapses", "pct", group="Year 3"),
    "edss_chg_eos_p": _eos("EDSS", "p", when=_improved),
    "retreat_alem_pct": Row("retreatment", "pct", "RETRTFL"),
    "cg_n": _cg("", "N"),
    "cg_pct_male": _cg("CGSEX", "pct", "M"),
    "cg_age_mean": _cg("CGAGE", "mean"), "cg_age_sd": _cg("CGAGE", "sd"),
    "cg_pct_over1yr": _cg("CGYEARS", "pct", "> 1"),
    "cg_pct_fulltime": _cg("CGEMPLOY", "pct", "FULL-TIME"),
    "cg_pct_children": _cg("CGCHILD", "pct", "Y"),
    "cg_msis_phys_bl_mean": _cg_base("MSISPHYS", "mean"),
    "cg_msis_phys_bl_sd": _cg_base("MSISPHYS", "sd"),
    "cg_msis_psych_bl_mean": _cg_base("MSISPSY", "mean"),
    "cg_msis_psych_bl_sd": _cg_base("MSISPSY", "sd"),
    "cg_sf36_pcs_bl_mean": _cg_base("SF36PCS", "mean"),
    "cg_sf36_pcs_bl_sd": _cg_base("SF36PCS", "sd"),
    "cg_sf36_mcs_bl_mean": _cg_base("SF36MCS", "mean"),
    "cg_sf36_mcs_bl_sd": _cg_base("SF36MCS", "sd"),
    "cg_msis_phys_chg_eos_median": _cg_eos("MSISPHYS", "median"),
    "cg_msis_phys_chg_eos_p": _cg_eos("MSISPHYS", "p"),
    "cg_msis_psych_chg_eos_median": _cg_eos("MSISPSY", "median"),
    "cg_msis_psych_chg_eos_p": _cg_eos("MSISPSY", "p"),
    "cg_sf36_pcs_chg_eos_p": _cg_eos("SF36PCS", "p"),
    "cg_sf36_mcs_chg_eos_p": _cg_eos("SF36MCS", "p"),
    "cg_sf36_re_chg_eos_p": _cg_eos("SF36RE", "p", when=_increased),
    "cg_burden_chg_eos_p": _cg_eos("ZBITOT", "p"),
    "ae_pct_headache": Row("ae_pt", "pct", level="Headache", default=0.0),
    "ae_pct_pyrexia": Row("ae_pt", "pct", level="Pyrexia", default=0.0),
    "ae_pct_rash": Row("ae_pt", "pct", level="Rash", default=0.0),
    "ae_top3": TopLevels("ae_pt", 3),
    "n_severe_ae": Row("ae_overview", "events", level="Severe"),
    "n_planned": Row("sample_size", "n"),
}

#: published.yaml's ids in its order (the test compares this tuple with the yaml)
IDS = tuple(KEY_RESULTS)


def select_key_results(results: pd.DataFrame) -> pd.DataFrame:
    """DataFrame id, value: the ARD row of each published figure (KEY_RESULTS), in
    published.yaml's order. `results`: the run's ARD rows (helpers.analysis.ard.read_ard)."""
    return pd.DataFrame({"id": list(IDS), "value": [KEY_RESULTS[i].pick(results) for i in IDS]})


#: the labelled cell (notebook table) that shows each analysis' rows; by-visit outcome rows
#: (a visit other than EOS) are shown in tbl-outcomes-visit
DISPLAYS = {
    "disposition": "tbl-disposition", "baseline": "tbl-baseline",
    "sample_size": "tbl-sample-size", "outcomes": "tbl-outcomes-eos",
    "fsmc_km": "tbl-fsmc-km", "relapses": "tbl-relapses", "retreatment": "tbl-retreatment",
    "cg_characteristics": "tbl-cg-characteristics", "cg_baseline": "tbl-cg-outcomes",
    "cg_outcomes": "tbl-cg-outcomes", "ae_pt": "tbl-ae-soc-pt", "ae_overview": "tbl-ae-overview",
}  # fmt: skip
LEDGER_COLUMNS = ["id", "ard_row", "population", "n", "method", "notebook", "cell"]


def _joined(values: pd.Series) -> str:
    return ", ".join(v for v in values.unique() if v)


def _ard_row(keys: dict[str, str], stat: str) -> str:
    """The ARD row's keys by name, as a reader finds them in ard/<notebook>.csv, e.g.
    "analysis=outcomes, paramcd=FSMCTOT, variable=CHG, visit=EOS, stat=median" (empty keys
    left out)."""
    named = [(k, keys.get(k, "")) for k in ("analysis", "paramcd", "variable", "visit", "group",
                                             "level")]  # fmt: skip
    return ", ".join(f"{k}={v}" for k, v in [*named, ("stat", stat)] if v)


def _population_size(cell: pd.DataFrame, stat: str) -> str:
    """The n of the population a figure describes, the first that applies: the cell's "N" (the
    denominator of its percentages); its "n" (the subjects analysed) unless the figure is that
    n itself (a count or a planned sample size is no population size); else ""."""
    for size in ("N", "n"):
        values = cell.loc[cell["stat"].eq(size), "value"]
        if len(values) == 1 and (size == "N" or stat != "n"):
            return f"{values.iloc[0]:.0f}"
    return ""


def ledger_rows(results: pd.DataFrame) -> pd.DataFrame:
    """Where each published figure's value comes from (LEDGER_COLUMNS, published.yaml order):
    its ARD row, the row's population, n (_population_size), the function
    that computed it (the row's `method`), the notebook that wrote the row and the labelled
    cell (DISPLAYS) that shows it. `results`: ard.read_ard."""
    rows = []
    for kid, entry in KEY_RESULTS.items():
        stat = entry.stat if isinstance(entry, Row) else "rank"
        keys = entry.keys() if isinstance(entry, Row) else {"analysis": entry.analysis}
        cell = ard.select(results, **keys)
        found = ard.select(cell, stat=stat)
        n = _population_size(cell, stat)
        visit = keys.get("visit", "")
        display = DISPLAYS.get(entry.analysis, "")
        if entry.analysis == "outcomes" and visit != "EOS":
            display = "tbl-outcomes-visit"
        source = cell if found.empty else found  # a row not computable in these data
        rows.append({
            "id": kid, "ard_row": _ard_row(keys, stat), "population": _joined(source["population"]),
            "n": n, "method": _joined(found["method"]), "notebook": _joined(source["notebook"]),
            "cell": display,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS)


def _format(value: object) -> str:
    if isinstance(value, str):
        return value
    x = float(value)  # type: ignore[arg-type]
    return "" if np.isnan(x) else f"{x:.10g}"


def write_key_results(df: pd.DataFrame, path: Path) -> None:
    """CSV "id,value" in the frame's order; numbers "%.10g", text as is, missing empty."""
    out = pd.DataFrame({"id": df["id"], "value": [_format(v) for v in df["value"]]})
    out.to_csv(path, index=False, lineterminator="\n")
