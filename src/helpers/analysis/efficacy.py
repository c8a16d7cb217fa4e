"""Patient efficacy analyses beyond change from baseline (notebook 02).

FSMC fatigue severity shift (instruments.fsmc_severity), time to clinically relevant FSMC
improvement (Kaplan-Meier), relapses per study year and annualised relapse rate, confirmed EDSS
improvement (instruments.edss_confirmed_improvement), retreatment. Definitions in each docstring;
thresholds from study/instruments.md, relapse rules from study/data-spec.md. The tables and the
curve are views of these rows (helpers.report.views.efficacy).
"""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard, stats
from helpers.study import instruments, spec

SHIFT_LEVELS = (*instruments.FSMC_SEVERITY_LABELS, "Total")


def fsmc_shift_ard(records: pd.DataFrame, population: str) -> pd.DataFrame:
    """ARD "fsmc_shift": FSMC total severity (instruments.fsmc_severity) at baseline (group) x at
    EOS (level), n subjects, with totals ("Total"), over the subjects with both values
    (change_from_baseline.analysed_records rows, EOSFL Y)."""
    eos = records[records["PARAMCD"].eq("FSMCTOT") & records["EOSFL"].eq("Y")]
    shift = pd.crosstab(instruments.fsmc_severity(eos["BASE"]),
                        instruments.fsmc_severity(eos["AVAL"]),
                        margins=True, margins_name="Total", dropna=False)
    shift = shift.reindex(index=SHIFT_LEVELS, columns=SHIFT_LEVELS, fill_value=0)
    method = ard.method_name(fsmc_shift_ard, ": subjects by FSMC severity, baseline x EOS")
    return ard.combine(
        ard.rows("fsmc_shift", population, {"n": shift.loc[base, at_eos]}, paramcd="FSMCTOT",
                 group=base, level=at_eos, method=method)
        for base in SHIFT_LEVELS for at_eos in SHIFT_LEVELS
    )  # fmt: skip


def tte_subset(adtte: pd.DataFrame, paramcd: str, subjects: pd.Series) -> pd.DataFrame:
    """ADTTE rows of one parameter for the given subjects."""
    return adtte[adtte["PARAMCD"].eq(paramcd) & adtte["USUBJID"].isin(subjects)]


def km_ard(tte: pd.DataFrame, analysis: str, population: str, alpha: float = 0.05) -> pd.DataFrame:
    """ARD of a Kaplan-Meier analysis of one ADTTE parameter (CNSR 0 = event, AVAL = months):
    n, events, median with its (1 - alpha) CI as lcl, ucl (stats.kaplan_meier_summary)."""
    km = stats.kaplan_meier_summary(tte["AVAL"], tte["CNSR"].eq(0), alpha)
    paramcd = str(tte["PARAMCD"].iloc[0]) if len(tte) else ""
    return ard.rows(analysis, population,
                    {"n": km.n, "events": km.events, "median": km.median, "lcl": km.lower,
                     "ucl": km.upper},
                    paramcd=paramcd, variable="AVAL",
                    method=ard.method_name(stats.kaplan_meier_summary,
                                          f" (lifelines), alpha {alpha}"))  # fmt: skip


def km_curve_ard(tte: pd.DataFrame, analysis: str, population: str,
                 alpha: float = 0.05) -> pd.DataFrame:  # fmt: skip
    """ARD of a Kaplan-Meier curve of one ADTTE parameter (stats.kaplan_meier_fit): at each time
    of its timeline (group = the time in months, shortest text), the cumulative proportion with
    the event 1 - S(t) ("cum") with its (1 - alpha) band ("lcl", "ucl": 1 - the survival band,
    lifelines' log-log transform) and the patients at risk just before t ("at_risk")."""
    if tte.empty:
        return ard.combine([])
    kmf = stats.kaplan_meier_fit(tte["AVAL"], tte["CNSR"].eq(0), alpha)
    band = kmf.confidence_interval_
    at_risk = kmf.event_table["at_risk"]
    paramcd = str(tte["PARAMCD"].iloc[0])
    method = ard.method_name(stats.kaplan_meier_fit, f" (lifelines), alpha {alpha}")
    return ard.combine(
        ard.rows(analysis, population, {"cum": 1 - s, "lcl": 1 - upper, "ucl": 1 - lower,
                                        "at_risk": at_risk.loc[time]},
                 paramcd=paramcd, variable="AVAL", group=repr(float(time)),
                 method=method)
        for time, s, lower, upper in zip(kmf.survival_function_.index,
                                         kmf.survival_function_.iloc[:, 0], band.iloc[:, 0],
                                         band.iloc[:, 1], strict=True)
    )  # fmt: skip


def relapse_ard(adsl: pd.DataFrame, adtte: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """ARD "relapses": relapses per study year and overall, for the SAF patients of `adsl`.

    Year k (ADTTE RELYk; group "Year k"): N = subjects in study at the start of year k, n (pct)
    with >= 1 relapse, events = relapses, exposure = patient-years in year k
    (clip(YRSSTUDY - (k - 1), 0, 1)), estimate = events / exposure with its exact Poisson CI.
    Overall (group "Overall"): annualised relapse rate = sum NREL / sum YRSSTUDY.
    """
    saf = adsl[adsl["SAFFL"].eq("Y")].set_index("USUBJID")
    rel = adtte[adtte["PARAMCD"].str.match(r"RELY\d+$") & adtte["USUBJID"].isin(saf.index)]
    rel = rel.assign(
        year=rel["PARAMCD"].str[4:].astype(int),
        years_in=lambda d: (saf.loc[d["USUBJID"], "YRSSTUDY"].to_numpy() - (d["year"] - 1)).clip(
            0, 1
        ),
    )
    by_year = rel.groupby("year").agg(
        subjects=("USUBJID", "nunique"),
        with_relapse=("AVAL", lambda a: int(a.ge(1).sum())),
        relapses=("AVAL", "sum"),
        exposure=("years_in", "sum"),
    )
    by_year.index = [f"Year {k}" for k in by_year.index]
    by_year.loc["Overall"] = [
        len(saf),
        int(saf["NREL"].ge(1).sum()),
        saf["NREL"].sum(),
        saf["YRSSTUDY"].sum(),
    ]
    cells = []
    for r in by_year.itertuples():
        rate = stats.poisson_rate_ci(int(r.relapses), r.exposure, alpha)
        values = {"N": r.subjects, "n": r.with_relapse,
                  "pct": 100.0 * r.with_relapse / r.subjects if r.subjects else float("nan"),
                  "events": r.relapses, "exposure": r.exposure, "estimate": rate.rate,
                  "lcl": rate.lower, "ucl": rate.upper}  # fmt: skip
        cells.append(ard.rows("relapses", "SAF", values, group=str(r.Index),
                              method=ard.method_name(stats.poisson_rate_ci,
                                                     f" (exact), alpha {alpha}")))
    return ard.combine(cells)


def retreatment_ard(adsl: pd.DataFrame) -> pd.DataFrame:
    """ARD "retreatment" of the SAF patients of `adsl`: n, N, pct of the alemtuzumab courses
    received (NALEMCRS, level "1", "2", "3+": course RETREATMENT_FIRST_COURSE or later),
    retreated with alemtuzumab (RETRTFL Y, course >= 3), started another DMT (OTHTRTFL Y), and
    either (RETRTFL or OTHTRTFL)."""
    saf = adsl[adsl["SAFFL"].eq("Y")]
    last = spec.RETREATMENT_FIRST_COURSE
    courses = saf["NALEMCRS"].clip(upper=last).astype(int).value_counts().sort_index()
    retreated, other = saf["RETRTFL"].eq("Y"), saf["OTHTRTFL"].eq("Y")
    counted = [
        *(("NALEMCRS", f"{k}{'+' if k == last else ''}", int(v)) for k, v in courses.items()),
        ("RETRTFL", "", int(retreated.sum())),
        ("OTHTRTFL", "", int(other.sum())),
        ("RETRTFL_OR_OTHTRTFL", "", int((retreated | other).sum())),
    ]
    return ard.counts("retreatment", "SAF", counted, len(saf),
                      method=ard.method_name(retreatment_ard, ": n (%) of SAF"))


def edss_improvement_ard(adqs: pd.DataFrame, subjects: pd.Series, population: str
                         ) -> pd.DataFrame:  # fmt: skip
    """ARD "edss_improvement": confirmed EDSS improvement (instruments.edss_confirmed_improvement:
    decrease >= 1.0, >= 0.5 from baseline >= 5.5, sustained at the next assessment) among the
    given patients with an EDSS baseline and a post-baseline value (N): n (%) analysed
    (EDSSANL), with >= 2 post-baseline assessments (NPOST2), confirmed (CONFFL) and by the
    visit where it was first seen (CONFVIS, level = visit)."""
    conf = instruments.edss_confirmed_improvement(adqs[adqs["USUBJID"].isin(subjects)])
    first_visit = conf["CONFVIS"].value_counts().reindex(spec.POST_BASELINE_VISITS).dropna()
    counted = [
        ("EDSSANL", "", len(conf)),
        ("NPOST2", "", int(conf["NPOST"].ge(2).sum())),
        ("CONFFL", "", int(conf["CONFFL"].eq("Y").sum())),
        *(("CONFVIS", visit, int(k)) for visit, k in first_visit.items()),
    ]
    return ard.counts("edss_improvement", population, counted, len(conf),
                      method=ard.method_name(edss_improvement_ard, ": n (%) of the analysed"))
