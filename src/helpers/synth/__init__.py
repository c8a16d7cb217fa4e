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
  that keep baseline + change on the scale, and high baselines go with large improvements.
  Intermediate visits reach 35 % / 65 % / 100 % of the change at months 3 / 6 / 12+, plus
  instrument-specific shifts (TSQM satisfaction peaks in months 3-24 and returns to baseline by
  EOS) and symmetric stratified visit noise. Caregiver proxy MSIS-29 changes have a negative
  median but a long positive tail (improvement not significant); SF-36 role-emotional improves,
  the other caregiver scores do not change on average.
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

from helpers.synth.cohort import make_cohort
from helpers.synth.events import adverse_events, relapses
from helpers.synth.questionnaires import questionnaires

COMPONENTS = ("cohort", "qs", "ae", "ce")
QS_COLUMNS = ["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "QSSTRESN", "VISIT", "QSDTC"]


def _write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")


def write_synthetic_cohort(out: Path, seed: int = 2024, n: int = 87) -> None:
    """Write the six CSV files of a synthetic study folder of n enrolled patients to `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    streams = dict(zip(COMPONENTS, np.random.SeedSequence(seed).spawn(len(COMPONENTS)),
                       strict=True))
    rng = {k: np.random.Generator(np.random.PCG64(s)) for k, s in streams.items()}
    cohort, tables = make_cohort(rng["cohort"], n)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(cohort.usubjid, kind="stable")] = np.arange(n)
    qs = questionnaires(rng["qs"], cohort)
    qs = qs.assign(_rank=rank[qs["_subj"].to_numpy()]).sort_values(
        ["_rank", "_resp", "_visit", "_code"], kind="stable")
    qs["USUBJID"] = cohort.usubjid[qs["_subj"].to_numpy()]
    qs["QSDTC"] = np.datetime_as_string(qs["QSDTC"].to_numpy().astype("datetime64[D]"), unit="D")
    tables["qs"] = qs[QS_COLUMNS]
    tables["ae"] = adverse_events(rng["ae"], cohort)
    tables["ce"] = relapses(rng["ce"], cohort)
    sort_keys = {"dm": ["USUBJID"], "ex": ["USUBJID", "EXSTDTC", "EXTRT"], "cg": ["USUBJID"],
                 "ae": ["USUBJID", "AESEQ"], "ce": ["USUBJID", "CESTDTC"]}
    for name, df in tables.items():
        keys = sort_keys.get(name)
        if keys:
            df = df.sort_values(keys, kind="stable")
        _write(df, out / f"{name}.csv")
