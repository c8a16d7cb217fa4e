"""Patient efficacy analyses beyond change from baseline (notebook 02).

FSMC fatigue severity shift (scoring.fsmc_severity), time to clinically relevant FSMC improvement
(Kaplan-Meier), relapses per study year and annualised relapse rate, confirmed EDSS improvement
(scoring.edss_confirmed_improvement), retreatment. Definitions in each docstring;
thresholds from study/instruments.md, relapse rules from study/data-spec.md.
"""

from __future__ import annotations

import pandas as pd

from helpers import scoring, spec, stats, tables


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


def km_table(tte: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Subjects, events, censored and KM median time (months) with CI of one ADTTE parameter.

    CNSR 0 = event, 1 = censored; AVAL = months (stats.kaplan_meier_summary).
    """
    km = stats.kaplan_meier_summary(tte["AVAL"], tte["CNSR"].eq(0), alpha)
    return pd.DataFrame(
        {
            "Subjects": [f"{km.n}"],
            "Events, n (%)": [tables.fmt_n_pct(km.events, km.n)],
            "Censored, n": [f"{km.n - km.events}"],
            f"Median months ({100 * (1 - alpha):.0f}% CI)": [
                tables.fmt_pair(km.median, km.lower, km.upper)
            ],
        }
    )


def relapse_table(adsl: pd.DataFrame, adtte: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Relapses per study year and overall, for the SAF patients of `adsl`.

    Year k (ADTTE RELYk): subjects in study at the start of year k, n (%) with >= 1 relapse,
    relapses, and rate per patient-year with exposure in year k = clip(YRSSTUDY - (k - 1), 0, 1).
    Overall: annualised relapse rate = sum NREL / sum YRSSTUDY with exact Poisson CI.
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
    by_year.loc["Overall"] = [
        len(saf),
        int(saf["NREL"].ge(1).sum()),
        saf["NREL"].sum(),
        saf["YRSSTUDY"].sum(),
    ]
    rate_col = f"Relapses per patient-year ({100 * (1 - alpha):.0f}% CI)"
    rows = []
    for r in by_year.itertuples():
        rate = stats.poisson_rate_ci(int(r.relapses), r.exposure, alpha)
        rows.append(
            {
                "Period": r.Index if r.Index == "Overall" else f"Year {r.Index}",
                "Patients": f"{int(r.subjects)}",
                ">= 1 relapse, n (%)": tables.fmt_n_pct(r.with_relapse, r.subjects),
                "Relapses": f"{int(r.relapses)}",
                "Patient-years": tables.fmt_num(r.exposure),
                rate_col: tables.fmt_pair(rate.rate, rate.lower, rate.upper, decimals=2),
            }
        )
    return pd.DataFrame(rows)


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
