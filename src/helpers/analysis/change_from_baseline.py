"""Change from baseline of questionnaire and assessment scores (ADQS), by visit and at EOS.

Definitions (study/data-spec.md): per parameter, the analysed subjects are those of the population
with a baseline (ABLFL = Y) and at least one post-baseline value with a change; only records used
in analysis (ANLFL = Y) count. By visit = the analysed subjects with a value at that scheduled
visit; EOS = each subject's last post-baseline value (EOSFL = Y). Test: two-sided Wilcoxon
signed-rank test of the change (stats.signed_rank_test), effect size = matched-pairs
rank-biserial r; 95% CI of the mean change: t interval (stats.mean_t_ci). The tables and the
figure data are views of these rows (helpers.report.views.change_from_baseline).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.analysis import ard, stats
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
    by_parameter = rec.groupby(["USUBJID", "PARAMCD"], observed=True)
    keep = by_parameter[["_base", "_post"]].transform("any").all(axis=1)
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
    cells = [ard.continuous(values=group["AVAL"], variable="AVAL", **keys)]
    if keys["visit"] != "BASELINE":
        base = stats.describe(group["BASE"])
        ci = stats.mean_t_ci(group["CHG"], alpha)
        test = stats.signed_rank_test(group["CHG"])
        cells += [
            ard.rows(values={s: base[s] for s in ("mean", "sd")}, variable="BASE",
                     method=ard.method_name(stats.describe), **keys),
            ard.continuous(values=group["CHG"], variable="CHG", **keys),
            ard.rows(values={"lcl": ci.lower, "ucl": ci.upper}, variable="CHG",
                     method=ard.method_name(stats.mean_t_ci, f", alpha {alpha}"), **keys),
            ard.rows(values={"p": test.p, "r": test.effect_size}, variable="CHG",
                     method=ard.method_name(stats.signed_rank_test,
                                          " (two-sided Wilcoxon, zeros dropped)"), **keys),
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
    smallest = ard.method_name(summary_ard, ": smallest p of "
                               f"{ard.method_name(stats.signed_rank_test)} over the post-baseline"
                               " visits")
    p_min = [
        ard.rows(analysis, population, {"p_min": float(np.nanmin(g["value"]))
                                        if g["value"].notna().any() else np.nan},
                 paramcd=code, variable="CHG", method=smallest)
        for code, g in p.groupby("paramcd", sort=False)
    ]  # fmt: skip
    out = ard.combine([out, *p_min])
    order = {code: i for i, code in enumerate(params)}
    return out.iloc[out["paramcd"].map(order).argsort(kind="stable")].reset_index(drop=True)
