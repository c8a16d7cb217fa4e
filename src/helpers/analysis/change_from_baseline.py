"""Change from baseline of questionnaire and assessment scores (ADQS), by visit and at EOS.

Definitions (study/data-spec.md): per parameter, the analysed subjects are those of the population
with a baseline (ABLFL = Y) and at least one post-baseline value with a change; only records used
in analysis (ANLFL = Y) count. By visit = the analysed subjects with a value at that scheduled
visit; EOS = each subject's last post-baseline value (EOSFL = Y). Test: two-sided Wilcoxon
signed-rank test of the change (stats.signed_rank_test), effect size = matched-pairs
rank-biserial r; 95% CI of the mean change: t interval (stats.mean_t_ci).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.analysis import ard, stats
from helpers.report import labels, tables
from helpers.study import spec

EOS = "EOS"
#: row order of timepoints in the tables
TIMEPOINTS = (*spec.VISITS, EOS)


def baseline_records(adqs: pd.DataFrame, subjects: Iterable[str], respondent: str) -> pd.DataFrame:
    """The baseline records (ABLFL Y, ANLFL Y) of `respondent` for the subjects `subjects`, with
    or without a later value (baseline characteristics)."""
    return adqs[
        adqs["USUBJID"].isin(list(subjects))
        & adqs["RESPONDENT"].eq(respondent)
        & adqs["ABLFL"].eq("Y")
        & adqs["ANLFL"].eq("Y")
    ]


def analysed_records(
    adqs: pd.DataFrame, subjects: Iterable[str], respondent: str, params: Iterable[str]
) -> pd.DataFrame:
    """ADQS records of the analysed subjects: baseline plus post-baseline records with a change.

    Adds TIMEPOINT (AVISIT; BASELINE only on the baseline record). EOS is added by `timepoints`.
    """
    params = list(params)
    rec = adqs[
        adqs["ANLFL"].eq("Y")
        & adqs["RESPONDENT"].eq(respondent)
        & adqs["PARAMCD"].isin(params)
        & adqs["USUBJID"].isin(list(subjects))
        & adqs["AVAL"].notna()
    ]
    is_base = rec["ABLFL"].eq("Y")
    is_post = ~is_base & rec["CHG"].notna()
    rec = rec[is_base | is_post].assign(_base=is_base, _post=is_post)
    keep = rec.groupby(["USUBJID", "PARAMCD"])[["_base", "_post"]].transform("any").all(axis=1)
    rec = rec[keep].drop(columns=["_base", "_post"])
    return rec.assign(TIMEPOINT=rec["AVISIT"].where(rec["ABLFL"].ne("Y"), "BASELINE"))


def timepoints(records: pd.DataFrame) -> pd.DataFrame:
    """Records of `analysed_records` plus a copy of each EOS record with TIMEPOINT = "EOS"."""
    eos = records[records["EOSFL"].eq("Y") & records["CHG"].notna()].assign(TIMEPOINT=EOS)
    out = pd.concat([records, eos], ignore_index=True)
    return out.assign(TIMEPOINT=pd.Categorical(out["TIMEPOINT"], TIMEPOINTS, ordered=True))


def _cell_ard(group: pd.DataFrame, alpha: float, **keys: str) -> pd.DataFrame:
    """ARD rows of one parameter x timepoint: value statistics; after baseline also the
    baseline mean/SD, change statistics, t CI of the mean change, Wilcoxon p and r."""
    cells = [ard.rows(values=stats.describe(group["AVAL"]), variable="AVAL",
                      method="stats.describe", **keys)]  # fmt: skip
    if keys["visit"] != "BASELINE":
        base = stats.describe(group["BASE"])
        ci = stats.mean_t_ci(group["CHG"], alpha)
        test = stats.signed_rank_test(group["CHG"])
        cells += [
            ard.rows(values={s: base[s] for s in ("mean", "sd")}, variable="BASE",
                     method="stats.describe", **keys),
            ard.rows(values=stats.describe(group["CHG"]), variable="CHG",
                     method="stats.describe", **keys),
            ard.rows(values={"lcl": ci.lower, "ucl": ci.upper}, variable="CHG",
                     method=f"stats.mean_t_ci, alpha {alpha}", **keys),
            ard.rows(values={"p": test.p, "r": test.effect_size}, variable="CHG",
                     method="stats.signed_rank_test (two-sided Wilcoxon, zeros dropped)", **keys),
        ]  # fmt: skip
    return ard.combine(cells)


def summary_ard(
    records: pd.DataFrame, params: Iterable[str], analysis: str, population: str,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """ARD of `analysis` for the analysed records: per parameter and timepoint (BASELINE,
    visits, EOS) the statistics of `_cell_ard`; per parameter also the smallest p over the
    scheduled post-baseline visits (stat p_min, visit "")."""
    tp = timepoints(records)
    params = list(params)
    cells = []
    for (paramcd, timepoint), group in tp.groupby(["PARAMCD", "TIMEPOINT"], observed=True):
        cells.append(_cell_ard(group, alpha, analysis=analysis, population=population,
                               paramcd=str(paramcd), visit=str(timepoint)))  # fmt: skip
    out = ard.combine(cells)
    p = ard.select(out, variable="CHG", stat="p")
    p = p[p["visit"].isin(spec.POST_BASELINE_VISITS)]
    p_min = [
        ard.rows(analysis, population, {"p_min": float(np.nanmin(g["value"]))
                                        if g["value"].notna().any() else np.nan},
                 paramcd=code, variable="CHG",
                 method="smallest stats.signed_rank_test p over the post-baseline visits")
        for code, g in p.groupby("paramcd", sort=False)
    ]  # fmt: skip
    out = ard.combine([out, *p_min])
    order = {code: i for i, code in enumerate(params)}
    return out.iloc[out["paramcd"].map(order).argsort(kind="stable")].reset_index(drop=True)


def _formatted(cell: pd.DataFrame, alpha: float) -> pd.Series:
    """The formatted statistics of one parameter x timepoint from its ARD rows."""
    v = {(r.variable, r.stat): r.value for r in cell.itertuples()}

    def pair(variable: str, *names: str, decimals: int = 1) -> str:
        return tables.fmt_pair(*(v.get((variable, s), np.nan) for s in names), decimals=decimals)

    p = v.get(("CHG", "p"), np.nan)
    return pd.Series(
        {
            "n": f"{int(v[('AVAL', 'n')])}",
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
        Visit=out["TIMEPOINT"].astype(str).str.title().str.replace("Eos", "EOS"),
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
    ucl of stats.mean_t_ci). Columns PARAMCD, AVISIT, AVISITN, n, mean, lower, upper."""
    visits = [v for v in spec.POST_BASELINE_VISITS if v in set(results["visit"])]
    cells = results[results["variable"].eq("CHG") & results["visit"].isin(visits)
                    & results["stat"].isin(["n", "mean", "lcl", "ucl"])]  # fmt: skip
    wide = cells.pivot_table(index=["paramcd", "visit"], columns="stat", values="value",
                             aggfunc="first")  # fmt: skip
    wide = wide.reindex(columns=["n", "mean", "lcl", "ucl"]).reset_index()  # none: no rows
    out = pd.DataFrame({
        "PARAMCD": wide["paramcd"], "AVISIT": wide["visit"],
        "AVISITN": wide["visit"].map(spec.VISITS), "n": wide["n"], "mean": wide["mean"],
        "lower": wide["lcl"], "upper": wide["ucl"],
    })  # fmt: skip
    return out.sort_values(["PARAMCD", "AVISITN"]).reset_index(drop=True)
