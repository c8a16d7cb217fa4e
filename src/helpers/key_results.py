"""Every figure the study published, recomputed from the ADaM datasets (one row per id).

Conventions (study/published.yaml, data-spec.md):
- populations from ADSL flags (helpers.population.analysis_set), restricted to
  `settings.country` when given; patient outcomes use `settings.efficacy_population` (FAS),
  baseline characteristics ENR, relapses/retreatment/safety SAF, caregiver outcomes CG.
- baseline statistics: ABLFL = Y records of the population's subjects; mean and SD (ddof 1).
- EOS: EOSFL = Y records with a CHG (the subject has a baseline), ANLFL = Y;
  p = helpers.stats.signed_rank_test (two-sided Wilcoxon, changes rounded to 9 decimals).
- by visit: per scheduled post-baseline visit, the population's ANLFL = Y records with a CHG.
- values are unrounded; the reproduction check rounds to the published decimals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import spec
from helpers.derive import Adam
from helpers.params import PARAMS_SCHEMA, SAMPLE_SIZE_SCHEMA
from helpers.population import analysis_set
from helpers.stats import kaplan_meier_median, planned_sample_size, signed_rank_test

PATIENT, CAREGIVER = spec.RESPONDENTS


#: the sample-size assumptions' defaults, from the params schema (one place)
_SAMPLE_SIZE = {name: key.default for name, key in SAMPLE_SIZE_SCHEMA.items()}


@dataclass(frozen=True)
class KeyResultSettings:
    """Population, country and the sample-size assumptions (published.yaml `n_planned`)."""

    efficacy_population: str = PARAMS_SCHEMA["population"].default
    country: str | None = None
    effect_size: float = _SAMPLE_SIZE["effect_size"]
    alpha: float = _SAMPLE_SIZE["alpha"]
    power: float = _SAMPLE_SIZE["power"]
    dropout: float = _SAMPLE_SIZE["dropout"]


@dataclass(frozen=True)
class _Sets:
    """The analysis sets' subjects and the ADaM datasets used by every figure."""

    adam: Adam
    enr: pd.DataFrame
    saf: pd.DataFrame
    eff: pd.DataFrame
    cg: pd.DataFrame

    def records(self, subjects: pd.DataFrame, respondent: str, paramcd: str) -> pd.DataFrame:
        q = self.adam.adqs
        keep = (q["RESPONDENT"].eq(respondent) & q["PARAMCD"].eq(paramcd)
                & q["USUBJID"].isin(subjects["USUBJID"]) & q["ANLFL"].eq("Y"))
        return q[keep]


def _pct(mask: pd.Series) -> float:
    return float(100.0 * mask.mean()) if len(mask) else np.nan


def _baseline(sets: _Sets, subjects: pd.DataFrame, respondent: str, paramcd: str) -> pd.Series:
    r = sets.records(subjects, respondent, paramcd)
    return r.loc[r["ABLFL"].eq("Y"), "AVAL"]


def _eos(sets: _Sets, subjects: pd.DataFrame, respondent: str, paramcd: str) -> pd.DataFrame:
    r = sets.records(subjects, respondent, paramcd)
    return r[r["EOSFL"].eq("Y") & r["CHG"].notna()]


def _p(changes: pd.Series) -> float:
    return signed_rank_test(changes).p


def eos_p_if(sets: _Sets, subjects: pd.DataFrame, respondent: str, paramcd: str,
             direction: Callable[[pd.Series], bool]) -> float:
    """EOS p when the changes go in the published direction, else NaN (a significant change the
    other way does not reproduce the published finding)."""
    chg = _eos(sets, subjects, respondent, paramcd)["CHG"]
    return _p(chg) if direction(chg) else np.nan


def min_visit_p(sets: _Sets, paramcd: str) -> float:
    """Smallest two-sided p over MONTH 3 .. MONTH 36 (subjects with baseline and that visit)."""
    r = sets.records(sets.eff, PATIENT, paramcd)
    r = r[r["AVISIT"].isin(spec.POST_BASELINE_VISITS) & r["CHG"].notna()]
    ps = [_p(g["CHG"]) for _, g in r.groupby("AVISIT", sort=True)]
    return float(np.nanmin(ps)) if ps and not np.all(np.isnan(ps)) else np.nan


def _relapse_pct(sets: _Sets, year: int) -> float:
    """% of SAF subjects in study at the start of year k (RELYk rows) with >= 1 relapse in it."""
    t = sets.adam.adtte
    rows = t[t["PARAMCD"].eq(f"RELY{year}") & t["USUBJID"].isin(sets.saf["USUBJID"])]
    return _pct(rows["AVAL"].ge(1))


def _fsmc_cri_months(sets: _Sets) -> float:
    """KM median of TTFSMCI (months to first FSMC total change <= -9), efficacy population."""
    t = sets.adam.adtte
    rows = t[t["PARAMCD"].eq("TTFSMCI") & t["USUBJID"].isin(sets.eff["USUBJID"])]
    if rows.empty:
        return np.nan
    return kaplan_meier_median(rows["AVAL"], rows["CNSR"].eq(0))


def _teae(sets: _Sets) -> pd.DataFrame:
    ae = sets.adam.adae
    return ae[ae["TRTEMFL"].eq("Y") & ae["USUBJID"].isin(sets.saf["USUBJID"])]


def ae_subject_pct(sets: _Sets) -> pd.Series:
    """% of SAF with >= 1 treatment-emergent AE per preferred term, most frequent first, ties
    by name (a subject counts once per term)."""
    counts = _teae(sets).groupby("AEDECOD")["USUBJID"].nunique()
    order = sorted(counts.index, key=lambda t: (-counts[t], t))
    return (100.0 * counts.reindex(order) / len(sets.saf)) if len(sets.saf) else counts


def _summary(x: pd.Series, prefix: str) -> dict[str, float]:
    return {f"{prefix}_mean": float(x.mean()), f"{prefix}_sd": float(x.std(ddof=1))}


def _disposition(sets: _Sets) -> dict[str, object]:
    enr = sets.enr
    n_completed = int(enr["COMPFL"].eq("Y").sum())
    return {
        "n_enrolled": len(enr),
        "n_safety": len(sets.saf),
        "n_completed": n_completed,
        "pct_completed": 100.0 * n_completed / len(enr) if len(enr) else np.nan,
        "n_disc_ae": int(enr["DCSREAS"].isin(spec.DSDECOD_AE).sum()),
        "n_deaths": int(enr["DTHDT"].notna().sum()),
    }


def _baseline_characteristics(sets: _Sets) -> dict[str, object]:
    enr = sets.enr
    out: dict[str, object] = {"pct_female": _pct(enr["SEX"].eq("F"))}
    out |= _summary(enr["AGE"], "age") | _summary(enr["MSDURY"], "msdur")
    out |= _summary(_baseline(sets, enr, PATIENT, "EDSS"), "edss_bl")
    out |= _summary(enr["NPRIORDMT"], "npriordmt")
    for prefix, code in (("fsmc_bl", "FSMCTOT"), ("msis_phys_bl", "MSISPHYS"),
                         ("msis_psych_bl", "MSISPSY")):
        out |= _summary(_baseline(sets, enr, PATIENT, code), prefix)
    return out


def _patient_outcomes(sets: _Sets) -> dict[str, object]:
    eff = sets.eff
    fsmc = _eos(sets, eff, PATIENT, "FSMCTOT")["CHG"]

    def eos(code: str) -> pd.DataFrame:
        return _eos(sets, eff, PATIENT, code)

    out: dict[str, object] = {
        "fsmc_chg_eos_median": float(fsmc.median()),
        "fsmc_chg_eos_min": float(fsmc.min()),
        "fsmc_chg_eos_max": float(fsmc.max()),
        "fsmc_chg_eos_p": _p(fsmc),
        "fsmc_cri_months": _fsmc_cri_months(sets),
        "sdmt_chg_eos_median": float(eos("SDMTTOT")["CHG"].median()),
        "sdmt_chg_eos_p": _p(eos("SDMTTOT")["CHG"]),
        "bdi_eos_median": float(eos("BDITOT")["AVAL"].median()),
        "bdi_chg_eos_p": _p(eos("BDITOT")["CHG"]),
    }
    for prefix, code in (("msis_phys", "MSISPHYS"), ("msis_psych", "MSISPSY")):
        out[f"{prefix}_chg_eos_median"] = float(eos(code)["CHG"].median())
        out[f"{prefix}_chg_eos_p"] = _p(eos(code)["CHG"])
    for prefix, code in (("glo", "TSQMGLO"), ("eff", "TSQMEFF"), ("se", "TSQMSE")):
        out[f"tsqm_{prefix}_min_p"] = min_visit_p(sets, code)
        out[f"tsqm_{prefix}_eos_p"] = _p(eos(code)["CHG"])
    out["tsqm_con_min_p"] = min_visit_p(sets, "TSQMCON")
    for year in spec.STUDY_YEARS:
        out[f"relapse_pct_y{year}"] = _relapse_pct(sets, year)
    out["edss_chg_eos_p"] = eos_p_if(sets, eff, PATIENT, "EDSS",
                                     lambda c: c.median() < 0 or c.mean() < 0)
    out["retreat_alem_pct"] = _pct(sets.saf["RETRTFL"].eq("Y"))
    return out


def _caregiver_outcomes(sets: _Sets) -> dict[str, object]:
    cg = sets.cg
    out: dict[str, object] = {
        "cg_n": len(cg),
        "cg_pct_male": _pct(cg["CGSEX"].eq("M")),
        **_summary(cg["CGAGE"], "cg_age"),
        "cg_pct_over1yr": _pct(cg["CGYEARS"].gt(1)),
        "cg_pct_fulltime": _pct(cg["CGEMPLOY"].eq("FULL-TIME")),
        "cg_pct_children": _pct(cg["CGCHILD"].eq("Y")),
    }
    for prefix, code in (("msis_phys", "MSISPHYS"), ("msis_psych", "MSISPSY"),
                         ("sf36_pcs", "SF36PCS"), ("sf36_mcs", "SF36MCS")):
        out |= _summary(_baseline(sets, cg, CAREGIVER, code), f"cg_{prefix}_bl")
    for prefix, code in (("msis_phys", "MSISPHYS"), ("msis_psych", "MSISPSY")):
        chg = _eos(sets, cg, CAREGIVER, code)["CHG"]
        out[f"cg_{prefix}_chg_eos_median"] = float(chg.median())
        out[f"cg_{prefix}_chg_eos_p"] = _p(chg)
    for prefix, code in (("pcs", "SF36PCS"), ("mcs", "SF36MCS")):
        out[f"cg_sf36_{prefix}_chg_eos_p"] = _p(_eos(sets, cg, CAREGIVER, code)["CHG"])
    out["cg_sf36_re_chg_eos_p"] = eos_p_if(sets, cg, CAREGIVER, "SF36RE",
                                           lambda c: c.median() > 0)
    out["cg_burden_chg_eos_p"] = _p(_eos(sets, cg, CAREGIVER, "ZBITOT")["CHG"])
    return out


def _safety(sets: _Sets) -> dict[str, object]:
    pct = ae_subject_pct(sets)
    return {
        "ae_pct_headache": float(pct.get("Headache", 0.0)),
        "ae_pct_pyrexia": float(pct.get("Pyrexia", 0.0)),
        "ae_pct_rash": float(pct.get("Rash", 0.0)),
        "ae_top3": ", ".join(pct.index[:3]),
        "n_severe_ae": int(_teae(sets)["AESEV"].eq("SEVERE").sum()),
    }


#: published.yaml's ids in its order (the test compares this tuple with the yaml)
IDS = (
    "n_enrolled", "n_safety", "n_completed", "pct_completed", "n_disc_ae", "n_deaths",
    "pct_female", "age_mean", "age_sd", "msdur_mean", "msdur_sd", "edss_bl_mean", "edss_bl_sd",
    "npriordmt_mean", "npriordmt_sd", "fsmc_bl_mean", "fsmc_bl_sd", "msis_phys_bl_mean",
    "msis_phys_bl_sd", "msis_psych_bl_mean", "msis_psych_bl_sd",
    "fsmc_chg_eos_median", "fsmc_chg_eos_min", "fsmc_chg_eos_max", "fsmc_chg_eos_p",
    "fsmc_cri_months", "sdmt_chg_eos_median", "sdmt_chg_eos_p", "bdi_eos_median",
    "bdi_chg_eos_p", "msis_phys_chg_eos_median", "msis_phys_chg_eos_p",
    "msis_psych_chg_eos_median", "msis_psych_chg_eos_p", "tsqm_glo_min_p", "tsqm_glo_eos_p",
    "tsqm_eff_min_p", "tsqm_eff_eos_p", "tsqm_se_min_p", "tsqm_se_eos_p", "tsqm_con_min_p",
    "relapse_pct_y1", "relapse_pct_y2", "relapse_pct_y3", "edss_chg_eos_p", "retreat_alem_pct",
    "cg_n", "cg_pct_male", "cg_age_mean", "cg_age_sd", "cg_pct_over1yr", "cg_pct_fulltime",
    "cg_pct_children", "cg_msis_phys_bl_mean", "cg_msis_phys_bl_sd", "cg_msis_psych_bl_mean",
    "cg_msis_psych_bl_sd", "cg_sf36_pcs_bl_mean", "cg_sf36_pcs_bl_sd", "cg_sf36_mcs_bl_mean",
    "cg_sf36_mcs_bl_sd", "cg_msis_phys_chg_eos_median", "cg_msis_phys_chg_eos_p",
    "cg_msis_psych_chg_eos_median", "cg_msis_psych_chg_eos_p", "cg_sf36_pcs_chg_eos_p",
    "cg_sf36_mcs_chg_eos_p", "cg_sf36_re_chg_eos_p", "cg_burden_chg_eos_p",
    "ae_pct_headache", "ae_pct_pyrexia", "ae_pct_rash", "ae_top3", "n_severe_ae", "n_planned",
)


def compute_key_results(adam: Adam, settings: KeyResultSettings) -> pd.DataFrame:
    """DataFrame id, value: one row per published figure, in published.yaml's order."""
    c = settings.country
    sets = _Sets(adam, analysis_set(adam.adsl, "ENR", c), analysis_set(adam.adsl, "SAF", c),
                 analysis_set(adam.adsl, settings.efficacy_population, c),
                 analysis_set(adam.adsl, "CG", c))
    values = (_disposition(sets) | _baseline_characteristics(sets) | _patient_outcomes(sets)
              | _caregiver_outcomes(sets) | _safety(sets))
    values["n_planned"] = planned_sample_size(settings.effect_size, settings.alpha,
                                              settings.power, settings.dropout)
    return pd.DataFrame({"id": list(IDS), "value": [values[i] for i in IDS]})


def _format(value: object) -> str:
    if isinstance(value, str):
        return value
    x = float(value)  # type: ignore[arg-type]
    return "" if np.isnan(x) else f"{x:.10g}"


def write_key_results(df: pd.DataFrame, path: Path) -> None:
    """CSV "id,value" in the frame's order; numbers "%.10g", text as is, missing empty."""
    out = pd.DataFrame({"id": df["id"], "value": [_format(v) for v in df["value"]]})
    out.to_csv(path, index=False, lineterminator="\n")
