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

import pandas as pd

from helpers import labels, spec, stats, tables

EOS = "EOS"
#: row order of timepoints in the tables
TIMEPOINTS = (*spec.VISITS, EOS)


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


def _summary(group: pd.DataFrame, alpha: float) -> pd.Series:
    value = tables.continuous_stats(group["AVAL"])
    change = tables.continuous_stats(group["CHG"])
    base = tables.continuous_stats(group["BASE"])
    test = stats.signed_rank_test(group["CHG"])
    ci = stats.mean_t_ci(group["CHG"], alpha)
    return pd.Series(
        {
            "n": value["n"],
            "Baseline, mean (SD)": base["Mean (SD)"],
            "Value, mean (SD)": value["Mean (SD)"],
            "Value, median (min, max)": value["Median (min, max)"],
            "Change, mean (SD)": change["Mean (SD)"],
            f"Change, mean ({100 * (1 - alpha):.0f}% CI)": tables.fmt_pair(
                ci.mean, ci.lower, ci.upper
            ),
            "Change, median (min, max)": change["Median (min, max)"],
            "p": tables.fmt_p(test.p),
            "r": tables.fmt_num(test.effect_size, 2),
            "_p": test.p,
        }
    )


def summarise(records: pd.DataFrame, params: Iterable[str], alpha: float = 0.05) -> pd.DataFrame:
    """One row per parameter x timepoint (BASELINE, visits, EOS) with formatted statistics.

    Baseline rows carry value statistics only. Column "_p" keeps the numeric p for the narrative.
    """
    params = list(params)
    tp = timepoints(records)
    out = (
        tp.groupby(["PARAMCD", "TIMEPOINT"], observed=True)[["AVAL", "BASE", "CHG"]]
        .apply(_summary, alpha=alpha)
        .reset_index()
    )
    on_base = out["TIMEPOINT"].eq("BASELINE")
    change_only = [c for c in out.columns if c.startswith(("Change", "Baseline", "p", "r"))]
    out.loc[on_base, change_only] = tables.MISSING
    out.loc[on_base, "_p"] = float("nan")
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


def change_ci_by_visit(records: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Mean change with its t CI per parameter and scheduled post-baseline visit (for figures).

    Columns PARAMCD, AVISIT, AVISITN, n, mean, lower, upper.
    """
    post = records[records["TIMEPOINT"].ne("BASELINE")]
    rows = post.groupby(["PARAMCD", "AVISIT", "AVISITN"])["CHG"].apply(
        lambda s: pd.Series(vars(stats.mean_t_ci(s, alpha)))
    )
    out = rows.unstack().reset_index()
    return out.sort_values(["PARAMCD", "AVISITN"]).reset_index(drop=True)
