"""Patients, treatment courses, visit schedule and caregivers of the synthetic cohort (dm, ex, cg).

All arrays are per enrolled patient (length n) or patient x visit (n x 7, spec.VISITS order);
days are elapsed days from the first alemtuzumab infusion (day 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.study import spec
from helpers.synth import sampling as smp

START = np.datetime64("2017-03-01")
RECRUITMENT_DAYS = 700
SITES_PER_COUNTRY = {"DNK": 4, "NOR": 2, "ITA": 3}
COUNTRY_P = {"DNK": 0.42, "NOR": 0.22, "ITA": 0.36}
UNTREATED = "UNTREATED"  # enrolled, withdrew before the first infusion
#: end-of-study status of enrolled patients: the study's disposition as fractions of 87
DISPOSITION = {
    "COMPLETED": 63, UNTREATED: 1, "ADVERSE EVENT": 2, "DEATH": 1, "LOST TO FOLLOW-UP": 6,
    "WITHDRAWAL BY SUBJECT": 6, "PHYSICIAN DECISION": 3, "LACK OF EFFICACY": 3, "OTHER": 2,
}
#: months after day 0 at which patients leave, by reason (uniform strata over the interval)
DROPOUT_MONTHS = {"ADVERSE EVENT": (13.0, 30.0), "DEATH": (13.0, 20.0)}
DROPOUT_MONTHS_OTHER = (1.0, 35.0)
VISIT_SD_DAYS = 6.0
P_OUT_OF_WINDOW = 0.015
OUT_OF_WINDOW_DAYS = (32, 46)
P_MISSED_VISIT = 0.05
P_RETREATED = 0.045  # of SAF: third course
OTHER_DMT = {"OCRELIZUMAB": 600.0, "NATALIZUMAB": 300.0, "CLADRIBINE": 10.0}
P_OTHER_DMT = 0.035
ALEM_DOSE = 12.0
P_CAREGIVER = 0.72  # of SAF patients
P_CG_BASELINE = 0.92  # of caregivers: baseline caregiver assessment done
CG_SEX = {"M": 0.62, "F": 0.38}
CG_REL = {"SPOUSE/PARTNER": 0.70, "PARENT": 0.14, "SIBLING": 0.06, "CHILD": 0.03, "OTHER": 0.07}
CG_EMPLOY = {"FULL-TIME": 0.64, "PART-TIME": 0.14, "NOT EMPLOYED": 0.08, "RETIRED": 0.10,
             "STUDENT": 0.04}
CG_CHILD = {"Y": 0.75, "N": 0.25}


@dataclass(frozen=True)
class Cohort:
    """Per-patient design shared by the questionnaire and event generators."""

    usubjid: np.ndarray
    treated: np.ndarray          # bool: SAF
    day0: np.ndarray             # datetime64[D] first infusion (planned date if untreated)
    eos_day: np.ndarray          # elapsed day of DSSTDTC
    dsdecod: np.ndarray
    visit_day: np.ndarray        # n x 7 float, NaN when the visit did not happen
    course_days: np.ndarray      # n x 3 float: start day of alemtuzumab course 1..3 (NaN: none)
    severity: np.ndarray         # latent disease burden (standard normal), drives baselines
    response: np.ndarray         # latent treatment response (standard normal), drives changes
    caregiver: np.ndarray        # bool: has a caregiver (row in cg.csv)
    cg_baseline: np.ndarray      # bool: caregiver assessed at baseline

    @property
    def n(self) -> int:
        return self.usubjid.size


def _dates(day0: np.ndarray, days: np.ndarray) -> np.ndarray:
    """ISO date strings of day0 + days ("" where days is NaN)."""
    ok = ~np.isnan(days)
    out = np.full(days.shape, "", dtype=object)
    out[ok] = np.datetime_as_string(
        np.broadcast_to(day0, days.shape)[ok] + days[ok].astype("timedelta64[D]"), unit="D"
    )
    return out


def _eos_days(rng: np.random.Generator, status: np.ndarray) -> np.ndarray:
    """Elapsed day of leaving: month 36 + a few days for completers, strata of months otherwise."""
    months = np.full(status.size, np.nan)
    for reason in np.unique(status):
        who = status == reason
        if reason == "COMPLETED":
            months[who] = 36.0
        elif reason != UNTREATED:
            lo, hi = DROPOUT_MONTHS.get(reason, DROPOUT_MONTHS_OTHER)
            months[who] = smp.ranked_quantiles(rng.random(who.sum()), lambda u, a=lo, b=hi:
                                               a + (b - a) * u)
    days = np.rint(months * spec.DAYS_PER_MONTH) + rng.integers(0, 15, status.size)
    days[status == UNTREATED] = -rng.integers(1, 20, (status == UNTREATED).sum())  # pre day 0
    return days


def _visits(rng: np.random.Generator, treated: np.ndarray, completed: np.ndarray,
            eos_day: np.ndarray) -> np.ndarray:
    """Visit days (n x 7): target month +- jitter, a few outside the window, some missed."""
    n = treated.size
    target = np.array(list(spec.VISITS.values()), dtype=float) * spec.DAYS_PER_MONTH
    day = np.rint(target[None, :] + rng.normal(0, VISIT_SD_DAYS, (n, target.size)))
    out = rng.random((n, target.size)) < P_OUT_OF_WINDOW
    sign = np.where(rng.random((n, target.size)) < 0.5, -1, 1)
    day = np.where(out, np.rint(target[None, :]) + sign * rng.integers(*OUT_OF_WINDOW_DAYS,
                                                                      (n, target.size)), day)
    day[:, 0] = -rng.integers(0, 29, n)  # baseline on or up to 4 weeks before day 0
    missed = rng.random((n, target.size)) < P_MISSED_VISIT
    missed[:, 0] = False
    missed[:, -1] &= ~completed
    day[completed, -1] = np.minimum(day[completed, -1], eos_day[completed])
    ok = treated[:, None] & ~missed & (day <= eos_day[:, None])
    return np.where(ok, day, np.nan)


def _courses(rng: np.random.Generator, treated: np.ndarray, eos_day: np.ndarray) -> np.ndarray:
    """Start days of courses 1-3: day 0; ~12 months later; retreatment for a few in year 3."""
    n = treated.size
    c2 = np.rint(365 + rng.normal(0, 12, n))
    c3 = np.rint(rng.uniform(760, 1000, n))
    retreat = smp.choose_exactly(rng, treated & (eos_day > c3 + 30),
                                 smp.count(P_RETREATED, treated.sum()))
    return np.column_stack([
        np.where(treated, 0.0, np.nan),
        np.where(treated & (eos_day > c2 + 3), c2, np.nan),
        np.where(retreat, c3, np.nan),
    ])


def make_cohort(rng: np.random.Generator, n: int) -> tuple[Cohort, dict[str, pd.DataFrame]]:
    """The design of n patients and their dm, ex and cg tables."""
    status = smp.allocate(rng, n, DISPOSITION)
    treated = status != UNTREATED
    completed = status == "COMPLETED"
    eos_day = _eos_days(rng, status)
    country = smp.allocate(rng, n, COUNTRY_P)
    site_no = np.ceil(rng.random(n) * np.vectorize(SITES_PER_COUNTRY.get)(country)).astype(int)
    siteid = np.char.add(country.astype(str), np.char.zfill(site_no.astype(str), 2))
    usubjid = np.char.add(np.char.add("RLT-", siteid),
                          np.char.add("-", np.char.zfill((np.arange(n) + 1).astype(str), 5)))
    severity, response = rng.standard_normal(n), rng.standard_normal(n)
    day0 = START + rng.integers(0, RECRUITMENT_DAYS, n).astype("timedelta64[D]")
    visit_day = _visits(rng, treated, completed, eos_day)
    rfic_day = np.where(treated, visit_day[:, 0], eos_day - 30) - rng.integers(0, 15, n)
    courses = _courses(rng, treated, eos_day)
    dsdecod = np.where(treated, status, "WITHDRAWAL BY SUBJECT")
    age = np.clip(smp.ranked_quantiles(rng.random(n), smp.normal(36.4, 8.4)), 18, 80)
    msdur = smp.ranked_quantiles(severity + rng.standard_normal(n), smp.gamma_mean_sd(7.8, 6.1))
    dm = pd.DataFrame({
        "USUBJID": usubjid,
        "SITEID": siteid,
        "COUNTRY": country,
        "SEX": smp.allocate(rng, n, {"F": 0.81, "M": 0.19}),
        "AGE": np.rint(age).astype(int),
        "MSDURY": np.round(np.minimum(msdur, age - 14), 1),
        "NPRIORDMT": np.clip(np.rint(smp.ranked_quantiles(rng.random(n), smp.normal(2.9, 1.5))),
                             0, None).astype(int),
        "RFICDTC": _dates(day0, rfic_day.astype(float)),
        "DSDECOD": dsdecod,
        "DSSTDTC": _dates(day0, eos_day),
        "DTHDTC": np.where(dsdecod == "DEATH", _dates(day0, eos_day), ""),
    })
    cohort_caregiver, cg = _caregivers(rng, usubjid, treated)
    cohort = Cohort(usubjid, treated, day0, eos_day, dsdecod, visit_day, courses, severity,
                    response, *cohort_caregiver)
    return cohort, {"dm": dm, "ex": _ex(rng, cohort, status), "cg": cg}


def _ex(rng: np.random.Generator, cohort: Cohort, status: np.ndarray) -> pd.DataFrame:
    """One row per alemtuzumab course (5 then 3 infusion days) and per other DMT started."""
    lengths = np.array([4, 2, 2])
    subj, course = np.nonzero(~np.isnan(cohort.course_days))
    start = cohort.course_days[subj, course]
    alem = pd.DataFrame({
        "USUBJID": cohort.usubjid[subj], "EXTRT": spec.ALEMTUZUMAB,
        "EXCOURSE": (course + 1).astype(str),
        "EXSTDTC": _dates(cohort.day0[subj], start),
        "EXENDTC": _dates(cohort.day0[subj], start + lengths[course]),
        "EXDOSE": ALEM_DOSE,
    })
    eligible = cohort.treated & (cohort.eos_day > 400)
    weight = np.where(status == "LACK OF EFFICACY", 20.0, 1.0)
    k = smp.count(P_OTHER_DMT, cohort.treated.sum())
    other = np.flatnonzero(smp.choose_exactly(rng, eligible, k, weight))
    drug = np.array(sorted(OTHER_DMT))[rng.integers(0, len(OTHER_DMT), other.size)]
    start = np.rint(cohort.eos_day[other] - rng.uniform(10, 200, other.size))
    dmt = pd.DataFrame({
        "USUBJID": cohort.usubjid[other], "EXTRT": drug, "EXCOURSE": "",
        "EXSTDTC": _dates(cohort.day0[other], start),
        "EXENDTC": _dates(cohort.day0[other], start + np.where(drug == "CLADRIBINE", 4, 0)),
        "EXDOSE": np.vectorize(OTHER_DMT.get)(drug).astype(float),
    })
    return pd.concat([alem, dmt], ignore_index=True)


def _caregivers(rng: np.random.Generator, usubjid: np.ndarray,
                treated: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], pd.DataFrame]:
    """Caregivers of ~72 % of treated patients; characteristics allocated exactly by group."""
    has = smp.choose_exactly(rng, treated, smp.count(P_CAREGIVER, treated.sum()))
    base = smp.choose_exactly(rng, has, smp.count(P_CG_BASELINE, has.sum()))
    idx = np.flatnonzero(has)
    cols: dict[str, np.ndarray] = {k: np.empty(idx.size, dtype=object) for k in
                                   ("CGSEX", "CGREL", "CGEMPLOY", "CGCHILD")}
    age = np.empty(idx.size)
    years = np.empty(idx.size)
    for group in (base[idx], ~base[idx]):  # exact allocation within each group
        m = int(group.sum())
        for col, probs in (("CGSEX", CG_SEX), ("CGREL", CG_REL), ("CGEMPLOY", CG_EMPLOY),
                           ("CGCHILD", CG_CHILD)):
            cols[col][group] = smp.allocate(rng, m, probs)
        age[group] = smp.ranked_quantiles(rng.random(m), smp.normal(44.8, 11.7))
        years[group] = smp.ranked_quantiles(rng.random(m), smp.lognormal(2.6, 0.9))
    cg = pd.DataFrame({
        "USUBJID": usubjid[idx], "CGSEX": cols["CGSEX"],
        "CGAGE": np.clip(np.rint(age), 18, 100).astype(int), "CGREL": cols["CGREL"],
        "CGYEARS": np.round(years, 1), "CGEMPLOY": cols["CGEMPLOY"], "CGCHILD": cols["CGCHILD"],
    })
    return (has, base), cg
