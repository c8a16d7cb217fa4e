"""Deterministic synthetic REALITY cohort: a study data folder that meets study/data-spec.md.

`write_synthetic_cohort(out, seed, n)` writes dm, ex, qs, ce, ae and cg.csv, byte-identical for
a seed (numpy PCG64 streams spawned from the seed, one per component; rows sorted; floats
"%.10g"; "\\n" line endings). Everything is vectorised over patients (loops run over visits,
instruments and AE terms only), so 100 000 patients take minutes, not hours.

Design (each published figure is a property of a distribution, never a written-in number):

- Disposition (cohort.py): the study's 87 patients by end-of-study status (63 completed, 1
  never treated, 2 adverse-event discontinuations, 1 death, 20 other reasons) are design
  fractions; for n patients the counts are exact largest-remainder allocations of n x fraction.
  Drop-outs leave at stratified times spread over 1-35 months (AE discontinuations and the death
  in year 2). Day 0 = first infusion; baseline 0-28 days before it, consent up to 2 weeks before
  baseline; visits at target month +- 6 days SD, 1.5 % outside the +-31-day window, 5 % missed.
  Course 2 about 12 months after course 1; a third course for 4.5 % of treated patients in
  year 3; another DMT for 3.5 % (mostly lack-of-efficacy drop-outs). Caregivers for 72 % of
  treated patients, 92 % of them assessed at baseline; their characteristics are allocated
  exactly within those two groups.
- Demographics and all baselines are stratified samples (midpoint quantiles of the design
  distribution given in the order of a latent key): the sample mean and SD follow the design
  closely for any seed, and latent traits (disease burden, treatment response, caregiver
  physical/mental health) make a patient's instruments move together.
- Outcomes (questionnaires.py): per score a baseline (scaled Beta with the design mean and SD;
  FSMC total >= 43 is the inclusion rule) and an EOS change (two-piece normal: median, SD below,
  SD above). The EOS changes are midpoint quantiles, so the median and the extremes follow the
  design: for FSMC, median -7.3 and the SDs put the outermost of ~84 strata at -56 and +34
  (design for n = 87; larger n gives wider extremes). Baselines are drawn within the bounds
  that keep baseline + change on the scale, and high baselines go a little with large
  improvements (regression to the mean); that restriction raises the realised baseline mean of
  the MSIS-29 scores, so their design means are set below the target means (calibrated once on
  several seeds, documented at DESIGNS). Intermediate visits reach 30 % / 60 % / 100 % of the
  change at months 3 / 6 / 12+, plus instrument-specific shifts (FSMC improvement peaks at
  month 12, so that about half the patients first reach a -9 change by month 12; TSQM
  satisfaction peaks in months 3-24 and is back at baseline by EOS) and symmetric stratified
  visit noise. Caregiver proxy MSIS-29 changes have a negative median but a long positive tail
  (improvement not significant); SF-36 role-emotional improves, the other caregiver scores do
  not change on average.
- Items (sampling.items_for_sums): an ordinal-threshold model with item difficulties, a stable
  patient item profile and visit jitter, positioned so that items add up to the designed score.
  Some FSMC/BDI-II/ZBI item sets lack one answer (score missing), single MSIS-29/TSQM items are
  blank, 3 % of BDI-II visits come as the total only, 3 % of FSMC visits as items and scores,
  one patient per 87 lacks the FSMC baseline, one the MSIS-29 baseline.
- Events (events.py): AE patients per MedDRA term = exact round(rate x treated); severe records
  = exact round(0.29 x treated); relapsing patients per study year = exact round(12 % x at risk).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.study import spec
from helpers.synth.cohort import Cohort, make_cohort
from helpers.synth.events import adverse_events, relapses
from helpers.synth.questionnaires import CODES, questionnaires

COMPONENTS = ("cohort", "qs", "ae", "ce")
QSCATS = list(spec.INSTRUMENTS)
QSCAT_INDEX = np.array([QSCATS.index(spec.TESTCD_TO_QSCAT[c]) for c in CODES])


def _write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")


def _categorical(codes: np.ndarray, categories: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))


def _qs_table(rows: dict[str, np.ndarray], cohort: Cohort) -> pd.DataFrame:
    """qs.csv from numeric rows, sorted by USUBJID, respondent, visit, code (spec order);
    text columns as categoricals so that 10^7-10^8 rows fit in memory."""
    ids = np.sort(cohort.usubjid)
    rank = np.searchsorted(ids, cohort.usubjid)[rows["subj"]]
    order = np.lexsort((rows["code"], rows["visit"], rows["resp"], rank))
    subj, visit, code = rows["subj"][order], rows["visit"][order], rows["code"][order]
    day = (cohort.day0[subj] + cohort.visit_day[subj, visit].astype("timedelta64[D]"))
    dates, date_code = np.unique(day, return_inverse=True)
    return pd.DataFrame({
        "USUBJID": _categorical(rank[order], ids),
        "RESPONDENT": _categorical(rows["resp"][order], np.array(spec.RESPONDENTS)),
        "QSCAT": _categorical(QSCAT_INDEX[code], np.array(QSCATS)),
        "QSTESTCD": _categorical(code, CODES),
        "QSSTRESN": rows["value"][order],
        "VISIT": _categorical(visit, np.array(list(spec.VISITS))),
        "QSDTC": _categorical(date_code.ravel(), np.datetime_as_string(dates, unit="D")),
    })


def write_synthetic_cohort(out: Path, seed: int = 2024, n: int = 87) -> None:
    """Write the six CSV files of a synthetic study folder of n enrolled patients to `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    streams = dict(zip(COMPONENTS, np.random.SeedSequence(seed).spawn(len(COMPONENTS)),
                       strict=True))
    rng = {k: np.random.Generator(np.random.PCG64(s)) for k, s in streams.items()}
    cohort, tables = make_cohort(rng["cohort"], n)
    tables["qs"] = _qs_table(questionnaires(rng["qs"], cohort), cohort)
    tables["ae"] = adverse_events(rng["ae"], cohort)
    tables["ce"] = relapses(rng["ce"], cohort)
    sort_keys = {"dm": ["USUBJID"], "ex": ["USUBJID", "EXSTDTC", "EXTRT"], "cg": ["USUBJID"],
                 "ae": ["USUBJID", "AESEQ"], "ce": ["USUBJID", "CESTDTC"]}  # qs: sorted
    for name, df in tables.items():
        if name in sort_keys:
            df = df.sort_values(sort_keys[name], kind="stable")
        _write(df, out / f"{name}.csv")
