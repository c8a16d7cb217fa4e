"""Table builders (disposition, change, efficacy, caregiver, safety) on the hand-made fixture,
checked against counts and statistics computed here with pandas, scipy, lifelines, pingouin."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from adam_fixture import adae, adqs, adsl, adtte
from lifelines import KaplanMeierFitter
from scipy import stats as sps

from helpers.analysis import ard, baseline, caregiver, disposition, efficacy, safety, sample_size
from helpers.analysis import change_from_baseline as cfb
from helpers.report import labels, tables, views

FAS = adsl().query("FASFL == 'Y'")
SAF = adsl().query("SAFFL == 'Y'")
PARAMS = ["FSMCTOT", "MSISPHYS"]


def n_pct(n: int, denominator: int) -> str:
    """The expected "n (%)" cell of n of denominator patients."""
    return tables.fmt_n_pct(n, 100.0 * n / denominator)


def _summary() -> pd.DataFrame:
    records = cfb.analysed_records(adqs(), FAS["USUBJID"], "PATIENT", PARAMS)
    results = cfb.summary_ard(records, PARAMS, "outcomes", "FAS")
    return views.change_from_baseline.summarise(results, PARAMS)


def test_analysed_records_keep_subjects_with_baseline_and_post_baseline() -> None:
    rec = cfb.analysed_records(adqs(), FAS["USUBJID"], "PATIENT", PARAMS)
    q = adqs()
    expected = q[q["ANLFL"].eq("Y") & q["RESPONDENT"].eq("PATIENT") & q["PARAMCD"].isin(PARAMS)]
    expected = expected[expected["USUBJID"].isin(FAS["USUBJID"])]
    has_post = expected[expected["CHG"].notna()].groupby("PARAMCD")["USUBJID"].unique()
    for p in PARAMS:
        assert set(rec.loc[rec["PARAMCD"].eq(p), "USUBJID"]) == set(has_post[p])
    assert "P05" not in set(rec["USUBJID"])  # no baseline (and not FAS)
    assert not rec["ANLFL"].ne("Y").any()


def test_summary_n_and_medians_match_pandas_by_visit() -> None:
    s = _summary().set_index(["PARAMCD", "TIMEPOINT"])
    rec = cfb.analysed_records(adqs(), FAS["USUBJID"], "PATIENT", PARAMS)
    post = rec[rec["TIMEPOINT"].ne("BASELINE")]
    counts = post.groupby(["PARAMCD", "AVISIT"])["USUBJID"].nunique()
    for (p, v), n in counts.items():
        assert s.loc[(p, v), "n"] == str(n)
    eos = rec[rec["EOSFL"].eq("Y")]
    for p, g in eos.groupby("PARAMCD"):
        row = s.loc[(p, "EOS")]
        assert row["n"] == str(len(g))
        assert row["Change, median (min, max)"] == (
            f"{g['CHG'].median():.1f} ({g['CHG'].min():.1f}, {g['CHG'].max():.1f})"
        )
        assert row["_p"] == pytest.approx(sps.wilcoxon(g["CHG"]).pvalue)


def test_baseline_rows_carry_no_change_statistics() -> None:
    base = _summary().query("TIMEPOINT == 'BASELINE'")
    assert (base[["Change, mean (SD)", "p", "r"]] == tables.MISSING).all().all()


def test_change_ci_by_visit_matches_scipy_t_interval() -> None:
    rec = cfb.analysed_records(adqs(), FAS["USUBJID"], "PATIENT", PARAMS)
    results = cfb.summary_ard(rec, PARAMS, "outcomes", "FAS", 0.05)
    ci = views.change_from_baseline.change_ci_by_visit(results).set_index(["PARAMCD", "AVISIT"])
    chg = rec.loc[rec["PARAMCD"].eq("FSMCTOT") & rec["AVISIT"].eq("MONTH 3"), "CHG"]
    lo, hi = sps.t.interval(0.95, len(chg) - 1, loc=chg.mean(), scale=sps.sem(chg))
    row = ci.loc[("FSMCTOT", "MONTH 3")]
    assert (row["n"], row["lower"], row["upper"]) == (
        len(chg),
        pytest.approx(lo),
        pytest.approx(hi),
    )


def test_disposition_by_country_matches_crosstab() -> None:
    a = adsl()
    results = ard.combine([disposition.disposition_ard(a), disposition.disposition_country_ard(a)])
    out = views.disposition.disposition_by_country(results).set_index("Status")
    completed = a.groupby("COUNTRY")["COMPFL"].apply(lambda s: s.eq("Y").sum())
    size = a.groupby("COUNTRY").size()
    for c in size.index:
        col = f"{labels.value_label('COUNTRY', c)} (N={size[c]})"
        assert out.loc["Completed", col].startswith(f"{completed[c]} ")
    assert out.loc["Enrolled", f"Total (N={len(a)})"] == f"{len(a)} (100.0)"


def test_strobe_flow_counts_each_exit_at_its_interval_edge() -> None:
    """Hand-made cohort: one never treated; discontinued on day 365.25 (edge: year 1), day
    365.26 (year 2), day 0 and a missing day (year 1), day 1100 (after year 3: year 3); two
    completers, one of whom is not in the FAS."""
    rows = [  # SAFFL, FASFL, EOSSTT, EOSDY, DCSREAS, COMPFL
        ("N", "N", "DISCONTINUED", np.nan, "WITHDRAWAL BY SUBJECT", "N"),
        ("Y", "Y", "DISCONTINUED", 365.25, "ADVERSE EVENT", "N"),
        ("Y", "Y", "DISCONTINUED", 365.26, "DEATH", "N"),
        ("Y", "Y", "DISCONTINUED", 0.0, "LOST TO FOLLOW-UP", "N"),
        ("Y", "Y", "DISCONTINUED", np.nan, "ADVERSE EVENT", "N"),
        ("Y", "Y", "DISCONTINUED", 1100.0, "OTHER", "N"),
        ("Y", "Y", "COMPLETED", 1096.0, np.nan, "Y"),
        ("Y", "N", "COMPLETED", 1096.0, np.nan, "Y"),
    ]
    adsl_ = pd.DataFrame(rows, columns=["SAFFL", "FASFL", "EOSSTT", "EOSDY", "DCSREAS", "COMPFL"])
    steps, exits = views.disposition.strobe_flow(disposition.flow_ard(adsl_))
    assert steps["n"].tolist() == [8, 7, 7, 4, 3, 2, 6]
    assert exits["after"].tolist() == [0, 2, 3, 4, 6]
    assert exits["text"].tolist() == [
        "Never treated: 1",
        "Discontinued in year 1: 3\nAdverse event: 2\nLost to follow-up: 1",
        "Discontinued in year 2: 1\nDeath: 1",
        "Discontinued in year 3: 1\nOther: 1",
        "Treated, not in the FAS: 1\n(no baseline or no post-baseline FSMC total)",
    ]


def test_every_arrow_of_the_flow_diagram_is_drawn_in_a_visible_colour() -> None:
    """The seaborn theme gives patches white edges: an arrow left at the default vanishes on
    the white page (it did)."""
    from matplotlib.colors import to_rgb

    from helpers.report import figures

    steps = pd.DataFrame({"step": ["Enrolled", "Treated", "Completed", "Analysed"],
                          "n": [3, 2, 1, 2]})
    exits = pd.DataFrame({"after": [0, 1], "text": ["Never treated: 1", "Discontinued: 1"]})
    fig = figures.flow_diagram(steps, exits)
    arrows = [t.arrow_patch for t in fig.axes[0].texts if getattr(t, "arrow_patch", None)]
    assert len(arrows) == 2 + 2  # between the first three steps, and to each exit
    assert all(to_rgb(a.get_edgecolor()) == (0.0, 0.0, 0.0) for a in arrows)


def test_baseline_table_age_and_scores() -> None:
    results = baseline.baseline_ard(FAS, adqs(), "FAS")
    out = views.baseline.baseline_table(results, {"FAS": "FAS"})
    col = f"FAS (N={len(FAS)})"
    rows = out.set_index(["Characteristic", "Statistic"])[col]
    assert rows[("Age (years)", "Mean (SD)")] == f"{FAS['AGE'].mean():.1f} ({FAS['AGE'].std():.1f})"
    q = adqs()
    bl = q[q["ABLFL"].eq("Y") & q["PARAMCD"].eq("FSMCTOT") & q["USUBJID"].isin(FAS["USUBJID"])]
    assert rows[("FSMC total at baseline", "n")] == str(len(bl))
    assert rows[("Sex", "Female, n (%)")].startswith(f"{FAS['SEX'].eq('F').sum()} ")


def test_sample_size_grid_flags_target() -> None:
    results = sample_size.sample_size_grid_ard([0.35, 0.4], [0.8, 0.9], [0.15], 0.05)
    grid = views.sample_size.sample_size_grid(results, 80)
    assert len(grid) == 4
    flagged = grid["Gives N = 80"].eq("yes")
    assert flagged.any()  # effect 0.4, power 0.9, drop-out 0.15 gives 80 (params/default.yaml)
    assert flagged.equals(grid["N to enrol"].eq(80))


def test_fsmc_shift_totals_match_crosstab() -> None:
    rec = cfb.analysed_records(adqs(), FAS["USUBJID"], "PATIENT", PARAMS)
    shift = views.efficacy.fsmc_shift_table(efficacy.fsmc_shift_ard(rec, "FAS"))
    shift = shift.set_index("Baseline")
    eos = rec[rec["PARAMCD"].eq("FSMCTOT") & rec["EOSFL"].eq("Y")]
    cats = pd.cut(eos["BASE"], [-np.inf, 43, 53, 63, np.inf], right=False, labels=False)
    assert shift.loc["Total", "EOS: Total"] == str(len(eos))
    assert shift.loc["Severe", "EOS: Total"] == str(int((cats == 3).sum()))


def test_km_curve_rows_match_lifelines() -> None:
    """1 - S(t) and the band of lifelines' fit at every time, and the numbers at risk."""
    tte = efficacy.tte_subset(adtte(), "TTFSMCI", FAS["USUBJID"])
    curve = views.efficacy.km_curve(efficacy.km_curve_ard(tte, "curve", "FAS"))
    kmf = KaplanMeierFitter().fit(tte["AVAL"], tte["CNSR"].eq(0))
    assert curve["time"].tolist() == kmf.survival_function_.index.tolist()
    assert curve["cum"].tolist() == pytest.approx(1 - kmf.survival_function_.iloc[:, 0])
    assert curve["ucl"].tolist() == pytest.approx(1 - kmf.confidence_interval_.iloc[:, 0])
    at_risk = [int(tte["AVAL"].ge(t).sum()) for t in curve["time"]]  # durations not yet ended
    assert curve["at_risk"].tolist() == at_risk


def test_km_table_matches_lifelines() -> None:
    tte = efficacy.tte_subset(adtte(), "TTFSMCI", FAS["USUBJID"])
    out = views.efficacy.km_table(efficacy.km_ard(tte, "km", "FAS")).iloc[0]
    kmf = KaplanMeierFitter().fit(tte["AVAL"], tte["CNSR"].eq(0))
    assert out["Subjects"] == str(len(tte))
    assert out.iloc[3].startswith(f"{kmf.median_survival_time_:.1f} ")


def test_relapse_table_matches_pandas() -> None:
    out = views.efficacy.relapse_table(efficacy.relapse_ard(adsl(), adtte())).set_index("Period")
    rel = adtte()[adtte()["PARAMCD"].eq("RELY1")]
    assert out.loc["Year 1", "Patients"] == str(len(rel))
    assert out.loc["Year 1", ">= 1 relapse, n (%)"] == n_pct(
        rel["AVAL"].ge(1).sum(), len(rel)
    )
    events, years = SAF["NREL"].sum(), SAF["YRSSTUDY"].sum()
    lower = sps.chi2.ppf(0.025, 2 * events) / 2 / years
    upper = sps.chi2.ppf(0.975, 2 * events + 2) / 2 / years
    assert out.loc["Overall"].iloc[-1] == f"{events / years:.2f} ({lower:.2f}, {upper:.2f})"


def test_retreatment_and_edss_tables() -> None:
    out = views.efficacy.retreatment_table(efficacy.retreatment_ard(adsl()))
    out = out.set_index("Treatment").iloc[:, 0]
    assert out["Retreated with alemtuzumab (course >= 3)"] == n_pct(
        SAF["RETRTFL"].eq("Y").sum(), len(SAF)
    )
    edss = views.efficacy.edss_improvement_table(
        efficacy.edss_improvement_ard(adqs(), FAS["USUBJID"], "FAS")).set_index("EDSS")["n (%)"]
    # P01: 3.0 -> 2.0 -> 2.0 confirmed; P02: 6.0 -> 5.5 -> 6.0 not sustained
    assert edss["Confirmed EDSS improvement"] == "1 (50.0)"
    assert edss[f"{tables.INDENT}first seen at Month 3"] == "1 (50.0)"


def test_safety_tables_match_pandas_counts() -> None:
    ae = adae()
    te = ae[ae["TRTEMFL"].eq("Y") & ae["USUBJID"].isin(SAF["USUBJID"])]
    ov = views.safety.overview_table(safety.overview_ard(safety.teae(ae, SAF), SAF))
    ov = ov.set_index("Category")
    disc = SAF["DCSREAS"].isin(["ADVERSE EVENT", "DEATH"]).sum()
    assert ov.loc[safety.DISCONTINUED, views.safety.SUBJECTS] == n_pct(disc, len(SAF))
    assert ov.loc[safety.DISCONTINUED, views.safety.EVENTS] == tables.MISSING
    assert ov.loc["Any TEAE", views.safety.EVENTS] == str(len(te))
    assert ov.loc["Serious", views.safety.SUBJECTS] == n_pct(
        te.loc[te["AESER"].eq("Y"), "USUBJID"].nunique(), len(SAF)
    )
    soc = views.safety.soc_pt_table(safety.soc_pt_ard(safety.teae(ae, SAF), len(SAF)))
    by_pt = te.groupby("AEDECOD")["USUBJID"].nunique()
    rows = soc.set_index(soc.columns[0])[views.safety.SUBJECTS]
    for pt, n in by_pt.items():
        assert rows[f"{tables.INDENT}{pt}"] == n_pct(n, len(SAF))
    first_soc = te.groupby("AEBODSYS")["USUBJID"].nunique().sort_values(ascending=False).index[0]
    assert soc.iloc[0, 0] == first_soc
    year = views.safety.year_table(safety.year_ard(safety.teae(ae, SAF), SAF))
    year = year.set_index("Study year")
    assert year.loc["2", "Patients in study at start"] == str(SAF["EOSDY"].gt(365.25).sum())
    iar = views.safety.iar_table(safety.iar_ard(safety.teae(ae, SAF), len(SAF)))
    iar = iar.set_index("Preferred term")
    assert iar.loc["Any IAR", views.safety.EVENTS] == str(te["IARFL"].eq("Y").sum())


def test_caregiver_characteristics_and_agreement() -> None:
    cg = adsl().query("CGPOPFL == 'Y'")
    ch = views.caregiver.characteristics_table(caregiver.characteristics_ard(cg))
    ch = ch.set_index("Characteristic")["Value"]
    assert ch["Sex: Male, n (%)"] == n_pct(cg["CGSEX"].eq("M").sum(), len(cg))
    pairs = caregiver.agreement_pairs(adqs(), cg["USUBJID"], ["MSISPHYS"])
    assert set(pairs["TIMEPOINT"]) == {caregiver.BASELINE, caregiver.LAST_PAIRED}
    base = pairs[pairs["TIMEPOINT"].eq(caregiver.BASELINE)]
    assert len(base) == 3  # P01-P03 rated at baseline by both


def test_agreement_table_icc_matches_pingouin() -> None:
    rng = np.random.default_rng(3)
    truth = rng.normal(40, 15, 12)
    pairs = pd.DataFrame(
        {
            "USUBJID": [f"S{i:02d}" for i in range(12)],
            "PARAMCD": "MSISPHYS",
            "TIMEPOINT": caregiver.BASELINE,
            "PATIENT": truth + rng.normal(0, 5, 12),
            "CAREGIVER": truth + rng.normal(3, 5, 12),
        }
    )
    out = views.caregiver.agreement_table(caregiver.agreement_ard(pairs)).iloc[0]
    long = pairs.melt(id_vars="USUBJID", value_vars=["PATIENT", "CAREGIVER"])
    ref = pg.intraclass_corr(long, targets="USUBJID", raters="variable", ratings="value")
    icc2 = ref.set_index("Type").loc["ICC(A,1)", "ICC"]
    assert out["ICC(2,1) (95% CI)"].startswith(f"{icc2:.2f} ")
    d = pairs["PATIENT"] - pairs["CAREGIVER"]
    assert out.iloc[-1] == tables.fmt_pair(
        d.mean(), d.mean() - 1.96 * d.std(), d.mean() + 1.96 * d.std()
    )


def test_no_subject_identifier_in_any_table() -> None:
    a, q, e, t = adsl(), adqs(), adae(), adtte()
    cg = a.query("CGPOPFL == 'Y'")
    built = [
        views.disposition.disposition_table(disposition.disposition_ard(a)),
        views.disposition.disposition_by_country(
            ard.combine([disposition.disposition_ard(a), disposition.disposition_country_ard(a)])),
        views.baseline.baseline_table(baseline.baseline_ard(FAS, q, "FAS"), {"FAS": "FAS"}),
        views.change_from_baseline.visit_table(_summary()),
        views.change_from_baseline.eos_table(_summary()),
        views.efficacy.fsmc_shift_table(efficacy.fsmc_shift_ard(
            cfb.analysed_records(q, FAS["USUBJID"], "PATIENT", PARAMS), "FAS")),
        views.efficacy.km_table(efficacy.km_ard(efficacy.tte_subset(t, "TTFSMCI", FAS["USUBJID"]),
                                          "km", "FAS")),
        views.efficacy.relapse_table(efficacy.relapse_ard(a, t)),
        views.efficacy.retreatment_table(efficacy.retreatment_ard(a)),
        views.efficacy.edss_improvement_table(
            efficacy.edss_improvement_ard(q, FAS["USUBJID"], "FAS")),
        views.caregiver.characteristics_table(caregiver.characteristics_ard(cg)),
        views.caregiver.agreement_table(caregiver.agreement_ard(
            caregiver.agreement_pairs(q, cg["USUBJID"], ["MSISPHYS"]))),
        views.safety.overview_table(safety.overview_ard(safety.teae(e, SAF), SAF)),
        views.safety.soc_pt_table(safety.soc_pt_ard(safety.teae(e, SAF), len(SAF))),
        views.safety.year_table(safety.year_ard(safety.teae(e, SAF), SAF)),
        views.safety.iar_table(safety.iar_ard(safety.teae(e, SAF), len(SAF))),
    ]
    ids = set(a["USUBJID"])
    for df in built:
        text = tables.to_markdown(df)
        assert not any(i in text for i in ids), df.columns[0]


def test_agreement_table_without_pairs_is_empty_and_aggregate():
    empty = pd.DataFrame(columns=["USUBJID", "PARAMCD", "TIMEPOINT", "PATIENT", "CAREGIVER"])
    table = views.caregiver.agreement_table(caregiver.agreement_ard(empty))
    assert table.empty
    assert "USUBJID" not in table.columns
    assert list(table.columns[:2]) == ["Parameter", "Timepoint"]


def test_tables_show_the_words_of_coded_values_never_the_codes() -> None:
    """Sex, country and the caregiver's relationship, employment and children at home are shown
    as helpers.report.labels.VALUE_LABELS words ("Employment: Full-time", "Denmark"), never as
    their data codes ("FULL-TIME", "DNK", "Y")."""
    a = adsl()
    cg = a.query("CGPOPFL == 'Y'")
    shown = [
        views.baseline.baseline_table(baseline.baseline_ard(a, adqs(), "ENR"), {"All": "ENR"}),
        views.caregiver.characteristics_table(caregiver.characteristics_ard(cg)),
        views.disposition.disposition_by_country(
            ard.combine([disposition.disposition_ard(a), disposition.disposition_country_ard(a)])),
    ]
    text = " ".join(" ".join(map(str, [*t.columns, *t.to_numpy().ravel()])) for t in shown)
    coded = {code: word for column, words in labels.VALUE_LABELS.items() for code, word
             in words.items() if column in ("SEX", "COUNTRY", "CGREL", "CGEMPLOY", "CGCHILD")}
    present = {*a["SEX"], *a["COUNTRY"], *cg["CGREL"], *cg["CGEMPLOY"], *cg["CGCHILD"]}
    assert present <= set(coded)
    words = set(re.findall(r"[\w/-]+(?: EMPLOYED)?", text.replace("(N=", "(")))
    assert not words & present, sorted(words & present)
    assert all(coded[code] in text for code in present)
