"""The methods section of the manuscript, generated from the constants the code uses.

Visits, windows, time units and codes come from helpers.study.spec; scoring rules and thresholds
from helpers.study.instruments (its "project rules" block); the rounding of changes before the
signed-rank test from helpers.analysis.stats.CHANGE_DECIMALS; the run's own settings (efficacy
population, country, out-of-window switch, alpha, sample-size assumptions, data source) from its
params.yaml, every key given (the pipeline fills in the defaults). Change a rule in the code and
the text follows; nothing is typed twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.adam.files import IAR_WINDOW
from helpers.analysis import sensitivity
from helpers.analysis.stats import (
    CHANGE_DECIMALS,
    SIGNED_RANK_EXACT_MAX_N,
    SIGNED_RANK_PERMUTATION_MAX_N,
)
from helpers.report.labels import HRPQ_TOTALS, PARAM_LABELS, value_label
from helpers.report.tables import fmt_share, to_markdown
from helpers.study import instruments, spec

#: bibliography key (references.bib) of each instrument's publication
INSTRUMENT_CITATIONS: dict[str, str] = {
    "FSMC": "penner2009",
    "SDMT": "smith1982",
    "BDI-II": "beck1996",
    "MSIS-29": "hobart2001",
    "TSQM": "atkinson2004",
    "EDSS": "kurtzke1983",
    "SF-36": "ware1992",
    "ZBI": "zarit1980",
}



def _range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "norm-based"
    return f"{low:g}–{high:g}"


def _missing_items_rule(max_missing: int) -> str:
    if max_missing == 0:
        return "any missing item: score missing (project rule)"
    return (f"up to {max_missing} missing items, each imputed by the mean of the answered items;"
            " more: score missing (project rule)")


def _missing_rules() -> dict[str, str]:
    """Missing-item rule of each instrument scored from items (helpers.study.instruments
    constants)."""
    return {
        "FSMC": _missing_items_rule(instruments.FSMC_MAX_MISSING),
        "BDI-II": _missing_items_rule(instruments.BDI_MAX_MISSING),
        "ZBI": _missing_items_rule(instruments.ZBI_MAX_MISSING),
        "MSIS-29": (
            f"up to {fmt_share(instruments.MSIS_MAX_MISSING_FRACTION)} of a subscale's items, each"
            " imputed by the mean of the answered items of that subscale (project rule)"
        ),
        "TSQM": (
            f"up to {instruments.TSQM_MAX_MISSING_PER_DOMAIN} per domain, the domain rescaled to"
            " the range of its answered items (project rule)"
        ),
    }


def _scores(scores: Mapping[str, tuple[float | None, float | None]]) -> str:
    """Scores by their labels, grouped by range: "FSMC total 20–100; FSMC cognitive, FSMC motor
    10–50"."""
    by_range: dict[str, list[str]] = {}
    for code, bounds in scores.items():
        by_range.setdefault(_range(*bounds), []).append(PARAM_LABELS.get(code, code))
    return "; ".join(f"{', '.join(codes)} {rng}" for rng, codes in by_range.items())


def instrument_table() -> pd.DataFrame:
    """One row per instrument of spec.INSTRUMENTS: respondent, items, score codes with ranges,
    direction, missing-item rule, reference."""
    missing = _missing_rules()
    rows = []
    for qscat, ins in spec.INSTRUMENTS.items():
        item_ranges = sorted({_range(*r) for r in ins.items.values()})
        cite = INSTRUMENT_CITATIONS.get(qscat)
        rows.append({
            "Instrument": f"{qscat} [@{cite}]" if cite else qscat,
            "Respondent": ", ".join(r.lower() for r in ins.respondents),
            "Items": f"{len(ins.items)} ({', '.join(item_ranges)})" if ins.items else "-",
            "Scores": _scores(ins.scores),
            "Better": "higher" if ins.higher_is_better else "lower",
            "Missing items": missing.get(qscat, "score as collected"),
        })
    return pd.DataFrame(rows)


def _items(codes: tuple[int, ...]) -> str:
    return ", ".join(str(i) for i in codes)


def _signed(x: float) -> str:
    """A number as the text prints it: the minus sign U+2212 for a negative one."""
    return f"{x:g}".replace("-", "−")


def _reasons(codes: tuple[str, ...]) -> str:
    """End-of-study codes in words ("adverse event or death")."""
    return " or ".join(value_label("DCSREAS", code).lower() for code in codes)


def _cutoffs(cutoffs: tuple[float, ...], labels: tuple[str, ...]) -> str:
    bounds = [f"< {cutoffs[0]:g}", *(f"≥ {c:g}" for c in cutoffs)]
    pairs = zip(labels, bounds, strict=True)
    return ", ".join(f"{label.lower()} {bound}" for label, bound in pairs)


def project_rules() -> list[str]:
    """Every scoring and derivation rule that the instruments' public sources do not fix."""
    sub = instruments.FSMC_SUBSCALE_ITEMS
    return [
        f"FSMC subscales: cognitive = items {_items(sub['FSMCCOG'])}; motor = items"
        f" {_items(sub['FSMCMOT'])} (project rule, to be verified against the manual).",
        "FSMC fatigue severity (total): "
        + _cutoffs(instruments.FSMC_SEVERITY_CUTOFFS["FSMCTOT"], instruments.FSMC_SEVERITY_LABELS)
        + f". Clinically relevant improvement: FSMC total change ≤ "
        f"{_signed(instruments.FSMC_IMPROVEMENT_CHANGE)} (the study's definition).",
        "BDI-II categories: " + _cutoffs(instruments.BDI_CUTOFFS, instruments.BDI_LABELS) + ".",
        "TSQM domain with a missing item: (sum of the answered items − their lowest possible sum)"
        " / (their highest possible sum − their lowest possible sum) × 100. Side effects = 100"
        f" when item 4 = {instruments.TSQM_NO_SIDE_EFFECTS} (no side effects), else from items"
        " 5–8.",
        f"EDSS confirmed improvement: a decrease from baseline of at least "
        f"{instruments.EDSS_IMPROVEMENT:g} (at least"
        f" {instruments.EDSS_IMPROVEMENT_HIGH_BASELINE:g} when "
        f"baseline ≥ {instruments.EDSS_HIGH_BASELINE:g}), also met at the next assessment"
        " (project rule).",
        "HRPQ: each answer is reported in hours over the last 7 days; "
        + " and ".join(f"{PARAM_LABELS[c]} = missed + reduced hours" for c in HRPQ_TOTALS) + ".",
        "Caregiver burden: the abstract does not name its burden instrument; this analysis"
        " assumes the 22-item Zarit Burden Interview (ZBI-22) [@zarit1980], total 0–88; "
        + _cutoffs(instruments.ZBI_CUTOFFS, instruments.ZBI_LABELS) + " (project assumption).",
        "A score may arrive as items, as a score, or both: items are scored as above; a score "
        "given beside complete items must agree with them (within "
        f"{instruments.SCORE_AGREEMENT_TOLERANCE:g}), else the data are rejected; a score given "
        "alone is used as collected.",
    ]


def _data_source(source: str | None) -> str:
    """Sentence naming the run's data: provenance.json data.source ("synthetic cohort (seed ...,
    n ...)" or the folder's path)."""
    if source is None:
        return "The data source of this run is not recorded (provenance.json missing)."
    if source.startswith("synthetic"):
        return (
            f"**This run analyses a {source}** generated by helpers.synth to follow the study's"
            " data contract; its numbers are not the study's."
        )
    return "This run analyses the study data folder named in the provenance appendix."


def sensitivity_methods(settings: Mapping[str, Any], alpha: float) -> str:
    """The paragraph on the missing-data sensitivity analyses (helpers.analysis.sensitivity
    constants and the run's sensitivity settings and alpha)."""
    final = sensitivity.FINAL_VISIT.title()
    ci = f"{100 * (1 - alpha):.0f}% CI"
    outcomes = ", ".join(PARAM_LABELS[c] for c in sensitivity.OUTCOMES)
    return f"""\
### Sensitivity analyses of the missing data

The end-of-study analysis assumes that a patient's last value stands for the end of the study.
Its sensitivity to the missing data (ICH E9(R1)) is assessed for the main outcomes ({outcomes})
by the mean change from baseline with its {ci} (t interval; one-sample t test) under: the last
post-baseline value (the published analysis); observed cases at {final}; completers (COMP) at
the end of study; only assessments in their visit window (± {spec.VISIT_WINDOW_DAYS} days), the
last of them as end of study; and two analyses under missing at random (MAR) of all the analysed
patients. The likelihood-based analysis is a linear mixed model of the change at every scheduled
visit with visit as a factor and the baseline value as covariate and a random intercept per
patient (compound-symmetric within-patient correlation), fitted by REML (statsmodels
[@seabold2010]); the {final} mean change is estimated at the patients' mean baseline, with a
Wald t interval on the containment degrees of freedom (patients − 1; R's nlme [@pinheiro2000]
with estimated marginal means gives the same estimates). An unstructured-covariance model (MMRM)
was not used: no maintained Python solver fits one. Multiple imputation by chained equations
imputes each visit's missing change from the baseline value and the other visits' changes by
Bayesian linear regression draws ({settings['imputations']} imputed data sets,
{sensitivity.MI_ITERATIONS} cycles each, seed {settings['seed']}); the {final} mean changes are
pooled by Rubin's rules with the Barnard–Rubin degrees of freedom [@rubin1987] (as R's mice
[@vanbuuren2011]). For the FSMC total, a delta-adjusted tipping-point analysis shifts the
imputed {final} changes of the patients without a {final} value towards worse fatigue by δ = 0,
1, …, {settings['deltas']} points; the tipping point is the smallest δ at which the pooled {ci}
contains 0. An analysis agrees with the published one when its mean change has the same sign and
its CI the same significance (@sec-sensitivity).
"""


def methods_markdown(s: Mapping[str, Any], data_source: str | None) -> str:
    """The generated methods include (_methods-generated.md) for a run's settings `s` (its params,
    every key given) and data source (provenance.json data.source)."""
    visits = ", ".join(v.title() for v in spec.VISITS)
    country = f"restricted to patients of {s['country']}" if s["country"] else "all countries"
    window = (
        "excluded from the analysis" if s["exclude_out_of_window"]
        else "kept in the analysis (flagged and counted)"
    )
    pop_table = to_markdown(pd.DataFrame(
        {"Population": list(spec.POPULATIONS),
         "Definition": [p.definition for p in spec.POPULATIONS.values()]}
    ))
    ss = s["sample_size"]
    rules = "\n".join(f"- {rule}" for rule in project_rules())
    return f"""\
### Design and data

REALITY is a multi-centre, prospective, observational study of patients with relapsing-remitting
multiple sclerosis treated with alemtuzumab, and of their caregivers, in Denmark, Norway and Italy
[@frederiksen2024]. {_data_source(data_source)}

Visits: {visits}. Each post-baseline visit has a window of its target month
± {spec.VISIT_WINDOW_DAYS} days; assessments outside their window are
{window}. Time is counted in elapsed days from the first alemtuzumab infusion (day 0); months =
days / {spec.DAYS_PER_MONTH:g}; study year k = elapsed days in ({spec.DAYS_PER_YEAR:g}(k − 1),
{spec.DAYS_PER_YEAR:g}k].

### Populations

{pop_table}

: Analysis populations. {{#tbl-populations}}

Efficacy analyses use the {s['population']} population, {country}. For each parameter, the
analysed patients are those of the population with a baseline and at least one post-baseline
value of that parameter. Baseline is the baseline-visit value on or before day 0; a patient
never treated has no day 0, and that patient's baseline-visit value counts in the baseline
characteristics of enrolled patients only. The end of study (EOS) value is a patient's last
post-baseline value of that parameter; change = value − baseline.
By visit, the analysed patients are those with a baseline and a value at that visit.

### Instruments and scoring rules

{to_markdown(instrument_table())}

: Instruments, scores and missing-item rules. {{#tbl-instruments}}

Rules that the instruments' public sources do not fix are this project's, each kept as one
constant of the analysis code:

{rules}

### Statistical analysis

Continuous outcomes are summarised by n, mean (SD), median (Q1, Q3) and median (min, max).
Change from baseline is tested with the two-sided Wilcoxon signed-rank test [@wilcoxon1945]
(SciPy [@virtanen2020], automatic choice of the method), each change
rounded to {CHANGE_DECIMALS} decimals first
so that floating-point noise cannot decide ties; zero changes are dropped before ranking, and
tied absolute changes get their mean rank. With n changes (zeros included), the p-value is
exact when n ≤ {SIGNED_RANK_EXACT_MAX_N} and no change is zero or tied; computed from all sign
permutations when n ≤ {SIGNED_RANK_PERMUTATION_MAX_N} with zeros or ties; otherwise from the normal
approximation with tie-corrected variance and **without continuity correction** (R's Wilcoxon
test applies one by default; its normal approximation without the correction reproduces ours).
The 95% CI of a mean (change) is the t interval, mean ± t × SD/√n, with t the 1 − α/2
quantile of Student's t distribution on n − 1 degrees of freedom. The
significance level is {s['alpha']:g}. Time to the first clinically
relevant FSMC improvement is estimated with the Kaplan–Meier method [@kaplan1958] (lifelines
[@davidsonpilon2019]; median in months), censored at the last FSMC assessment; its pointwise
confidence band uses Greenwood's variance on the **log(−log) scale** (as R's survival package
[@therneau2000] with its log–log confidence type; that package's default is the log scale), and
each limit of the median's CI is the first time its band reaches 0.5 or less. Relapse rates per
patient-year have exact (Garwood) Poisson confidence intervals [@garwood1936]. Agreement of
patient and caregiver ratings: ICC(2,1) (two-way random effects, absolute agreement) and ICC(3,1)
(two-way mixed, consistency) with their F-based 95% CIs [@mcgraw1996], and the Bland–Altman bias
with limits bias ± 1.96 SD [@bland1986]. Every statistic is stored at full precision (the analysis
datasets' CSV files as the shortest text that reads back as the same number) and rounded only
for display. Relapses: a patient of SAF is in study at the start of year k when
the end of study lies after day {spec.DAYS_PER_YEAR:g}(k − 1); a relapse counts in the study year
of its onset (relapses on or before day 0 never count). Retreatment = an alemtuzumab course
{spec.RETREATMENT_FIRST_COURSE} or later. Adverse events are treatment-emergent when their onset
is on or after day 0; a patient counts once per preferred term; infusion-associated reactions
have {IAR_WINDOW}. Discontinuation
because of an adverse event: an end-of-study status of {_reasons(spec.DSDECOD_AE)}.

The planned sample size is recomputed for a two-sided one-sample (paired) t-test of the mean FSMC
change at two-sided α = {ss['alpha']:g}, power {ss['power']:g} and standardised effect size
{ss['effect_size']:g}, inflated for a drop-out of {fmt_share(ss['dropout'])}; the article does not
publish these assumptions, so they are parameters of the run.

{sensitivity_methods(s['sensitivity'], s['alpha'])}"""
