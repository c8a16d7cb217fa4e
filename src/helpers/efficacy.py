"""Patient efficacy analyses beyond change from baseline (notebook 02).

FSMC fatigue severity shift (scoring.fsmc_severity), time to clinically relevant FSMC improvement
(Kaplan-Meier), relapses per study year and annualised relapse rate, confirmed EDSS improvement
(scoring.edss_confirmed_improvement), retreatment. Definitions in each docstring;
thresholds from study/instruments.md, relapse rules from study/data-spec.md.
"""

from __future__ import annotations

import pandas as pd

from helpers import ard, scoring, spec, stats, tables


def fsmc_shift_table(records: pd.DataFrame) -> pd.DataFrame:
    """Baseline x EOS FSMC total severity (n), subjects with both (change.analysed_records rows).

    Rows = baseline category, columns = EOS category, with totals.
    """
    eos = records[records["PARAMCD"].eq("FSMCTOT") & records["EOSFL"].eq("Y")]
    shift = pd.crosstab(
        scoring.fsmc_severity(eos["BASE"]).rename("Baseline"),
        scoring.fsmc_severity(eos["AVAL"]).rename("EOS"),
        margins=True,
        margins_name="Total",
        dropna=False,
    )
    order = [*scoring.FSMC_SEVERITY_LABELS, "Total"]
    shift = shift.reindex(index=order, columns=order, fill_value=0)
    shift.columns = [f"EOS: {c}" for c in shift.columns]
    return shift.rename_axis("Baseline").reset_index().astype(str)


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
                    method=f"stats.kaplan_meier_summary (lifelines), alpha {alpha}")  # fmt: skip


def km_table(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Subjects, events, censored and KM median time (months) with CI, from km_ard rows."""
    v = dict(zip(results["stat"], results["value"], strict=True))
    n, events = int(v["n"]), int(v["events"])
    return pd.DataFrame(
        {
            "Subjects": [f"{n}"],
            "Events, n (%)": [tables.fmt_n_pct(events, n)],
            "Censored, n": [f"{n - events}"],
            f"Median months ({100 * (1 - alpha):.0f}% CI)": [
                tables.fmt_pair(v["median"], v["lcl"], v["ucl"])
            ],
        }
    )


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
                              method=f"stats.poisson_rate_ci (exact), alpha {alpha}"))
    return ard.combine(cells)


def relapse_table(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Relapses per study year and overall (rows of relapse_ard, formatted)."""
    rate_col = f"Relapses per patient-year ({100 * (1 - alpha):.0f}% CI)"
    rows = []
    for period, cell in results.groupby("group", sort=False):
        v = dict(zip(cell["stat"], cell["value"], strict=True))
        rows.append(
            {
                "Period": period,
                "Patients": f"{int(v['N'])}",
                ">= 1 relapse, n (%)": tables.fmt_n_pct(v["n"], v["N"]),
                "Relapses": f"{int(v['events'])}",
                "Patient-years": tables.fmt_num(v["exposure"]),
                rate_col: tables.fmt_pair(v["estimate"], v["lcl"], v["ucl"], decimals=2),
            }
        )
    return pd.DataFrame(rows)


def retreatment_ard(adsl: pd.DataFrame) -> pd.DataFrame:
    """ARD "retreatment" of the SAF patients of `adsl`: n, N, pct retreated with alemtuzumab
    (RETRTFL Y, course >= 3)."""
    saf = adsl[adsl["SAFFL"].eq("Y")]
    return ard.n_pct("retreatment", "SAF", saf["RETRTFL"].eq("Y"), paramcd="RETRTFL",
                     method="n (%) of SAF")


def retreatment_table(adsl: pd.DataFrame) -> pd.DataFrame:
    """SAF patients: alemtuzumab courses received, retreatment (course >= 3), other DMT: n (%)."""
    saf = adsl[adsl["SAFFL"].eq("Y")]
    n = len(saf)
    courses = saf["NALEMCRS"].clip(upper=spec.RETREATMENT_FIRST_COURSE).astype(int)
    course_counts = courses.value_counts().sort_index()
    rows = [
        *(
            (f"Alemtuzumab courses: {k}{'+' if k == spec.RETREATMENT_FIRST_COURSE else ''}", v)
            for k, v in course_counts.items()
        ),
        ("Retreated with alemtuzumab (course >= 3)", int(saf["RETRTFL"].eq("Y").sum())),
        ("Started another disease-modifying therapy", int(saf["OTHTRTFL"].eq("Y").sum())),
        (
            "Either",
            int((saf["RETRTFL"].eq("Y") | saf["OTHTRTFL"].eq("Y")).sum()),
        ),
    ]
    return pd.DataFrame(
        {
            "Treatment": [r[0] for r in rows],
            f"n (%) of N={n}": [tables.fmt_n_pct(k, n) for _, k in rows],
        }
    )


def edss_improvement_table(adqs: pd.DataFrame, subjects: pd.Series) -> pd.DataFrame:
    """Confirmed EDSS improvement (scoring.edss_confirmed_improvement: decrease >= 1.0, >= 0.5
    from baseline >= 5.5, sustained at the next assessment) among the given patients with an EDSS
    baseline and a post-baseline value: n (%), and the visit where it was first seen."""
    conf = scoring.edss_confirmed_improvement(adqs[adqs["USUBJID"].isin(subjects)])
    n = len(conf)
    first_visit = conf["CONFVIS"].value_counts().reindex(spec.POST_BASELINE_VISITS).dropna()
    rows = [
        ("Patients with baseline and >= 1 post-baseline EDSS", n),
        (f"{tables.INDENT}with >= 2 post-baseline assessments (improvement can be confirmed)",
         int(conf["NPOST"].ge(2).sum())),
        ("Confirmed EDSS improvement", int(conf["CONFFL"].eq("Y").sum())),
        *((f"{tables.INDENT}first seen at {v.title()}", int(k)) for v, k in first_visit.items()),
    ]  # fmt: skip
    return pd.DataFrame(
        {"EDSS": [r[0] for r in rows], "n (%)": [tables.fmt_n_pct(k, n) for _, k in rows]}
    )
