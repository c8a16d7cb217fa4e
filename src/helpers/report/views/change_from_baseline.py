"""Change from baseline tables and figure data, views of the
helpers.analysis.change_from_baseline rows (by visit and at EOS)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.analysis.change_from_baseline import EOS, TIMEPOINTS
from helpers.report import labels, tables
from helpers.study import spec


def _formatted(cell: pd.DataFrame, alpha: float) -> pd.Series:
    """The formatted statistics of one parameter x timepoint from its ARD rows."""
    v = {(r.variable, r.stat): r.value for r in cell.itertuples()}

    def pair(variable: str, *names: str, decimals: int = 1) -> str:
        return tables.fmt_pair(*(v.get((variable, s), np.nan) for s in names), decimals=decimals)

    p = v.get(("CHG", "p"), np.nan)
    return pd.Series(
        {
            "n": tables.fmt_count(v[("AVAL", "n")]),
            "Baseline, mean (SD)": pair("BASE", "mean", "sd"),
            "Value, mean (SD)": pair("AVAL", "mean", "sd"),
            "Value, median (min, max)": pair("AVAL", "median", "min", "max"),
            "Change, mean (SD)": pair("CHG", "mean", "sd"),
            f"Change, mean ({100 * (1 - alpha):.0f}% CI)": pair("CHG", "mean", "lcl", "ucl"),
            "Change, median (min, max)": pair("CHG", "median", "min", "max"),
            "p": tables.fmt_p(p),
            "r": tables.fmt_num(v.get(("CHG", "r"), np.nan), 2),
            "_p": p,
        }
    )


def summarise(results: pd.DataFrame, params: Iterable[str], alpha: float = 0.05) -> pd.DataFrame:
    """One row per parameter x timepoint (BASELINE, visits, EOS) with the statistics of the ARD
    rows `results` (summary_ard) formatted; baseline rows carry value statistics only ("-").
    Column "_p" keeps the numeric p for the narrative."""
    params = list(params)
    cells = results[results["visit"].ne("")]
    out = (
        cells.groupby(["paramcd", "visit"], sort=False)[["variable", "stat", "value"]]
        .apply(_formatted, alpha=alpha)
        .reset_index()
        .rename(columns={"paramcd": "PARAMCD", "visit": "TIMEPOINT"})
    )
    on_base = out["TIMEPOINT"].eq("BASELINE")
    change_only = [c for c in out.columns if c.startswith(("Change", "Baseline", "p", "r"))]
    out.loc[on_base, change_only] = tables.MISSING
    out["TIMEPOINT"] = pd.Categorical(out["TIMEPOINT"], TIMEPOINTS, ordered=True)
    out["PARAMCD"] = pd.Categorical(out["PARAMCD"], params, ordered=True)
    out = out.sort_values(["PARAMCD", "TIMEPOINT"]).reset_index(drop=True)
    return out.assign(
        Parameter=out["PARAMCD"].astype(str).map(labels.label),
        Visit=out["TIMEPOINT"].astype(str).map(lambda v: labels.value_label("AVISIT", v)),
    )


def visit_table(summary: pd.DataFrame) -> pd.DataFrame:
    """By-visit table: value and change statistics, p and r at every timepoint."""
    cols = [
        "Parameter", "Visit", "n", "Value, mean (SD)", "Value, median (min, max)",
        "Change, mean (SD)", "Change, median (min, max)", "p", "r",
    ]  # fmt: skip
    return summary[cols]


def eos_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Baseline-to-EOS table: baseline and EOS values, change with CI, p and r per parameter."""
    eos = summary[summary["TIMEPOINT"].eq(EOS)]
    ci_col = next(c for c in summary.columns if c.startswith("Change, mean (") and "CI" in c)
    cols = [
        "Parameter", "n", "Baseline, mean (SD)", "Value, mean (SD)", "Value, median (min, max)",
        ci_col, "Change, median (min, max)", "p", "r",
    ]  # fmt: skip
    renamed = {c: c.replace("Value", "EOS") for c in cols if c.startswith("Value")}
    return eos[cols].rename(columns=renamed).reset_index(drop=True)


def change_ci_by_visit(results: pd.DataFrame) -> pd.DataFrame:
    """Mean change with its t CI per parameter and scheduled post-baseline visit (for figures),
    from the summary_ard rows `results` (variable CHG: n and mean of stats.describe, lcl and
    ucl of stats.mean_t_ci; a suppressed one, its marker, NaN: not drawn). Columns PARAMCD,
    AVISIT, AVISITN, n, mean, lower, upper."""
    visits = [v for v in spec.POST_BASELINE_VISITS if v in set(results["visit"])]
    cells = results[results["variable"].eq("CHG") & results["visit"].isin(visits)
                    & results["stat"].isin(["n", "mean", "lcl", "ucl"])]  # fmt: skip
    cells = cells.assign(value=pd.to_numeric(cells["value"], errors="coerce"))  # marker: NaN
    wide = cells.pivot_table(index=["paramcd", "visit"], columns="stat", values="value",
                             aggfunc="first")  # fmt: skip
    wide = wide.reindex(columns=["n", "mean", "lcl", "ucl"]).reset_index()  # none: no rows
    out = pd.DataFrame({
        "PARAMCD": wide["paramcd"], "AVISIT": wide["visit"],
        "AVISITN": wide["visit"].map(spec.VISITS), "n": wide["n"], "mean": wide["mean"],
        "lower": wide["lcl"], "upper": wide["ucl"],
    })  # fmt: skip
    return out.sort_values(["PARAMCD", "AVISITN"]).reset_index(drop=True)
