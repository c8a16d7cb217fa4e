"""Adverse events (ae.csv) and relapses (ce.csv) of the synthetic cohort.

AEs: for each MedDRA preferred term a design rate = the fraction of treated patients with at
least one event; exactly round(rate x treated) patients are drawn (each then has 1 + Poisson
further episodes). Timing by kind: infusion-associated reactions on an infusion day of a course
or the day after; infections any time in the study; secondary autoimmunity (thyroid, immune
thrombocytopenia) in study years 2-3. The death is a fatal, serious, related sepsis ending on
the day of death; each ADVERSE EVENT discontinuation has a serious autoimmune AE with the drug
withdrawn shortly before leaving. Severity: exactly round(SEVERE_PER_PATIENT x treated) severe
treatment-emergent records (the sepsis included), drawn with weights by kind; the others are
mild or moderate. A few non-serious events occur between consent and the first infusion.
Relapses: in each study year k, exactly round(RELAPSE_YEAR_PCT x at risk) of the patients in
study at its start relapse (drawn with weight = their time in study that year), 1 + Poisson
relapses each; a few patients also had a relapse between consent and the first infusion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.study import spec
from helpers.synth import sampling as smp
from helpers.synth.cohort import Cohort, _dates

#: preferred term -> (system organ class, kind, rate of patients, verbatim terms)
AE_TERMS: dict[str, tuple[str, str, float, tuple[str, ...]]] = {
    "Headache": ("Nervous system disorders", "iar", 0.512, ("headache", "Headache")),
    "Pyrexia": ("General disorders and administration site conditions", "iar", 0.442,
                ("fever", "pyrexia")),
    "Rash": ("Skin and subcutaneous tissue disorders", "iar", 0.349, ("rash", "skin rash")),
    "Nausea": ("Gastrointestinal disorders", "iar", 0.19, ("nausea",)),
    "Urticaria": ("Skin and subcutaneous tissue disorders", "iar", 0.15, ("urticaria", "hives")),
    "Fatigue": ("General disorders and administration site conditions", "iar", 0.14,
                ("fatigue", "tiredness")),
    "Pruritus": ("Skin and subcutaneous tissue disorders", "iar", 0.12, ("itching",)),
    "Flushing": ("Vascular disorders", "iar", 0.10, ("flushing",)),
    "Insomnia": ("Psychiatric disorders", "iar", 0.08, ("insomnia",)),
    "Nasopharyngitis": ("Infections and infestations", "infection", 0.27, ("common cold",)),
    "Urinary tract infection": ("Infections and infestations", "infection", 0.17, ("UTI",)),
    "Influenza": ("Infections and infestations", "infection", 0.09, ("influenza", "flu")),
    "Oral herpes": ("Infections and infestations", "infection", 0.06, ("cold sore",)),
    "Herpes zoster": ("Infections and infestations", "infection", 0.05, ("shingles",)),
    "Hypothyroidism": ("Endocrine disorders", "autoimmune", 0.08, ("hypothyroidism",)),
    "Basedow's disease": ("Endocrine disorders", "autoimmune", 0.07, ("Graves' disease",)),
    "Hyperthyroidism": ("Endocrine disorders", "autoimmune", 0.04, ("hyperthyroidism",)),
    "Immune thrombocytopenia": ("Blood and lymphatic system disorders", "autoimmune", 0.02,
                                ("ITP", "immune thrombocytopenia")),
}
AUTOIMMUNE_FROM = spec.DAYS_PER_YEAR + 1  # secondary autoimmunity: study years 2-3
SEPSIS = ("Sepsis", "Infections and infestations")
AE_DISCONTINUATION_TERMS = ("Immune thrombocytopenia", "Basedow's disease")
EXTRA_EPISODES = {"iar": 0.5, "infection": 0.4, "autoimmune": 0.0}
SEVERE_PER_PATIENT = 0.29
SEVERE_WEIGHT = {"iar": 1.0, "infection": 1.5, "autoimmune": 4.0}
P_PRETREATMENT_AE = 0.06
RELAPSE_YEAR_PCT = 0.12
EXTRA_RELAPSES = 0.15
P_PRETREATMENT_RELAPSE = 0.05


def _onsets(rng: np.random.Generator, cohort: Cohort, subj: np.ndarray, kind: str) -> np.ndarray:
    """Onset day of one episode per row of subj, by kind of event."""
    eos = cohort.eos_day[subj]
    if kind == "iar":
        courses = cohort.course_days[subj]
        given = ~np.isnan(courses)
        pick = np.argmax(rng.random(courses.shape) * given, axis=1)
        length = np.array([5, 3, 3])[pick]
        return courses[np.arange(subj.size), pick] + rng.integers(0, length + 1)
    if kind == "autoimmune":
        hi = np.minimum(eos, 3 * spec.DAYS_PER_YEAR)
        return np.floor(spec.DAYS_PER_YEAR + 1 + rng.random(subj.size) * (hi - AUTOIMMUNE_FROM))
    return np.floor(rng.random(subj.size) * eos)


def _records(rng: np.random.Generator, cohort: Cohort) -> pd.DataFrame:
    treated = np.flatnonzero(cohort.treated)
    parts = []
    for term, (soc, kind, rate, verbatims) in AE_TERMS.items():
        eligible = cohort.treated & (kind != "autoimmune" or cohort.eos_day > AUTOIMMUNE_FROM)
        chosen = smp.choose_exactly(rng, eligible, smp.count(rate, treated.size))
        subj = np.repeat(np.flatnonzero(chosen),
                         1 + rng.poisson(EXTRA_EPISODES[kind], int(chosen.sum())))
        parts.append(pd.DataFrame({
            "_subj": subj, "AEDECOD": term, "AEBODSYS": soc, "_kind": kind,
            "AETERM": np.array(verbatims)[rng.integers(0, len(verbatims), subj.size)],
            "_day": _onsets(rng, cohort, subj, kind), "AESER": "N",
            "AEREL": "Y" if kind != "infection" else np.where(rng.random(subj.size) < 0.3,
                                                             "Y", "N"),
        }))
    parts.extend(_discontinuation_records(rng, cohort))
    pre = np.flatnonzero(smp.choose_exactly(rng, cohort.treated & (cohort.visit_day[:, 0] < -3),
                                            smp.count(P_PRETREATMENT_AE, treated.size)))
    parts.append(pd.DataFrame({
        "_subj": pre, "AEDECOD": "Nasopharyngitis", "AEBODSYS": "Infections and infestations",
        "_kind": "pre", "AETERM": "common cold", "AESER": "N", "AEREL": "N",
        "_day": np.floor(cohort.visit_day[pre, 0] * rng.uniform(0.1, 0.9, pre.size)),
    }))
    return pd.concat(parts, ignore_index=True)


def _discontinuation_records(rng: np.random.Generator, cohort: Cohort) -> list[pd.DataFrame]:
    """The fatal sepsis of each death and a serious autoimmune AE of each AE discontinuation."""
    death = np.flatnonzero(cohort.dsdecod == "DEATH")
    stop = np.flatnonzero(cohort.dsdecod == "ADVERSE EVENT")
    terms = np.array(AE_DISCONTINUATION_TERMS)[rng.integers(0, 2, stop.size)]
    return [
        pd.DataFrame({"_subj": death, "AEDECOD": SEPSIS[0], "AEBODSYS": SEPSIS[1],
                      "_kind": "death", "AETERM": "sepsis", "AESER": "Y", "AEREL": "Y",
                      "_day": cohort.eos_day[death] - rng.integers(4, 12, death.size)}),
        pd.DataFrame({"_subj": stop, "AEDECOD": terms,
                      "AEBODSYS": [AE_TERMS[t][0] for t in terms], "_kind": "stop",
                      "AETERM": [AE_TERMS[t][3][0] for t in terms], "AESER": "Y", "AEREL": "Y",
                      "_day": cohort.eos_day[stop] - rng.integers(10, 40, stop.size)}),
    ]


def adverse_events(rng: np.random.Generator, cohort: Cohort) -> pd.DataFrame:
    """ae.csv rows (sorted by subject, onset, term; AESEQ 1.. per subject)."""
    ae = _records(rng, cohort)
    n = len(ae)
    te = ae["_kind"].ne("pre").to_numpy()
    n_severe = smp.count(SEVERE_PER_PATIENT, cohort.treated.sum())
    forced = ae["_kind"].eq("death").to_numpy()
    weight = ae["_kind"].map(SEVERE_WEIGHT).fillna(4.0).to_numpy()
    severe = forced | smp.choose_exactly(rng, te & ~forced, n_severe - int(forced.sum()), weight)
    sev = np.where(severe, "SEVERE", np.where(rng.random(n) < 0.35, "MODERATE", "MILD"))
    kind = ae["_kind"].to_numpy()
    duration = np.where(kind == "iar", rng.integers(0, 4, n), rng.integers(3, 60, n))
    ongoing = np.isin(kind, ["autoimmune", "stop"]) & (rng.random(n) < 0.5)
    outcome = np.select([kind == "death", ongoing], ["FATAL", "NOT RECOVERED/NOT RESOLVED"],
                        "RECOVERED/RESOLVED")
    end = np.where(ongoing, np.nan, np.where(kind == "death",
                                             cohort.eos_day[ae["_subj"]], ae["_day"] + duration))
    ser = np.where(severe & np.isin(kind, ["autoimmune", "infection"]), "Y", ae["AESER"])
    acn = np.select([np.isin(kind, ["stop", "death"]), kind == "iar"],
                    ["DRUG WITHDRAWN", "DOSE NOT CHANGED"], "NOT APPLICABLE")
    subj = ae["_subj"].to_numpy()
    out = pd.DataFrame({
        "_subj": subj, "_day": ae["_day"].to_numpy(),
        "USUBJID": cohort.usubjid[subj], "AETERM": ae["AETERM"], "AEDECOD": ae["AEDECOD"],
        "AEBODSYS": ae["AEBODSYS"], "AESEV": sev, "AESER": ser, "AEREL": ae["AEREL"],
        "AESTDTC": _dates(cohort.day0[subj], ae["_day"].to_numpy(float)),
        "AEENDTC": _dates(cohort.day0[subj], end.astype(float)),
        "AEOUT": outcome, "AEACN": acn,
    }).sort_values(["_subj", "_day", "AEDECOD"], kind="stable", ignore_index=True)
    out.insert(3, "AESEQ", out.groupby("_subj").cumcount() + 1)
    return out.drop(columns=["_subj", "_day"])


def relapses(rng: np.random.Generator, cohort: Cohort) -> pd.DataFrame:
    """ce.csv rows: MS relapses (module docstring), sorted by subject and onset."""
    subj_parts, day_parts = [], []
    for k in spec.STUDY_YEARS:
        start, end = spec.DAYS_PER_YEAR * (k - 1), spec.DAYS_PER_YEAR * k
        at_risk = cohort.treated & (cohort.eos_day > start)
        exposure = np.clip(np.minimum(cohort.eos_day, end) - start, 1, None)
        chosen = np.flatnonzero(smp.choose_exactly(
            rng, at_risk, smp.count(RELAPSE_YEAR_PCT, at_risk.sum()), exposure))
        subj = np.repeat(chosen, 1 + rng.poisson(EXTRA_RELAPSES, chosen.size))
        day = np.floor(start) + 1 + np.floor(rng.random(subj.size) * (exposure[subj] - 1))
        subj_parts.append(subj)
        day_parts.append(day)
    pre = np.flatnonzero(smp.choose_exactly(
        rng, cohort.treated, smp.count(P_PRETREATMENT_RELAPSE, cohort.treated.sum())))
    subj_parts.append(pre)
    day_parts.append(-rng.integers(0, 60, pre.size).astype(float))
    subj, day = np.concatenate(subj_parts), np.concatenate(day_parts)
    order = np.lexsort((day, subj))
    return pd.DataFrame({
        "USUBJID": cohort.usubjid[subj[order]], "CEDECOD": spec.RELAPSE,
        "CESTDTC": _dates(cohort.day0[subj[order]], day[order]),
    }).drop_duplicates(ignore_index=True)
