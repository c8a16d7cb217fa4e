"""Disposition, baseline characteristics and the sample-size recomputation (notebook 01).

Populations (data-spec.md): ENR = every enrolled patient, SAF = at least one alemtuzumab
course, FAS = SAF with a baseline and a post-baseline FSMC total, COMP = DSDECOD COMPLETED.
Percentages use the enrolled patients of the table (after the country filter) as denominator.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from helpers import ard, change, labels, spec, stats, tables

FLAGS = {"Treated (SAF)": "SAFFL", "Full analysis set (FAS)": "FASFL", "Completed": "COMPFL"}


def disposition_table(adsl: pd.DataFrame) -> pd.DataFrame:
    """Enrolled, SAF, FAS, completed, discontinued (with reasons), ongoing and deaths: n (%)."""
    n = len(adsl)
    disc = adsl[adsl["EOSSTT"].eq("DISCONTINUED")]
    reasons = disc["DCSREAS"].value_counts().reindex(spec.DSDECOD[1:], fill_value=0)
    reasons = reasons[reasons.gt(0)]
    rows = [
        ("Enrolled", n),
        *((name, int(adsl[flag].eq("Y").sum())) for name, flag in FLAGS.items()),
        ("Discontinued", len(disc)),
        *((f"{tables.INDENT}{reason.capitalize()}", int(k)) for reason, k in reasons.items()),
        ("Ongoing", int(adsl["EOSSTT"].eq("ONGOING").sum())),
        ("Died", int(adsl["DTHFL"].eq("Y").sum())),
    ]
    return pd.DataFrame(
        {"Status": [r[0] for r in rows], "n (%)": [tables.fmt_n_pct(k, n) for _, k in rows]}
    )


def disposition_by_country(adsl: pd.DataFrame) -> pd.DataFrame:
    """Enrolled, SAF, FAS, completed and discontinued n (%) per country (columns) and in total."""
    frames = {c: g for c, g in adsl.groupby("COUNTRY", sort=True)} | {"Total": adsl}
    cols = {
        f"{country} (N={len(g)})": disposition_table(g).set_index("Status")["n (%)"]
        for country, g in frames.items()
    }
    out = pd.DataFrame(cols)
    keep = ["Enrolled", *FLAGS, "Discontinued", "Died"]
    return out.loc[keep].rename_axis("Status").reset_index()


def strobe_flow(adsl: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The STROBE flow of the cohort: (steps, exits).

    steps (step, n), top to bottom: enrolled (every ADSL row); treated = safety population
    (SAFFL); in study at the start of study year k = SAF patients other than those who
    discontinued in an earlier year, k = 1..3; completed (COMPFL); last, not part of the flow,
    the full analysis set (FASFL). exits (after, text), each a side box beside step `after`:
    enrolled but never treated; the SAF patients who discontinued (EOSSTT) in study year k,
    EOSDY in (DAYS_PER_YEAR (k - 1), DAYS_PER_YEAR k] (day <= 0 or missing: year 1; after year
    3: year 3), by reason (DCSREAS, most frequent first, ties by reason); SAF not in the FAS.
    """
    saf = adsl[adsl["SAFFL"].eq("Y")]
    disc = saf["EOSSTT"].eq("DISCONTINUED")
    n_years = 3
    days = saf["EOSDY"].astype(float)
    year = np.ceil(days / spec.DAYS_PER_YEAR).clip(lower=1, upper=n_years).fillna(1)
    steps = [("Enrolled", len(adsl)), ("Treated with alemtuzumab (safety population)", len(saf))]
    steps += [(f"In study at the start of year {k}", int((~(disc & (year < k))).sum()))
              for k in range(1, n_years + 1)]
    steps += [("Completed the study", int(saf["COMPFL"].eq("Y").sum())),
              ("Analysed: full analysis set (FAS)", int(saf["FASFL"].eq("Y").sum()))]
    exits = [(0, f"Never treated: {len(adsl) - len(saf)}")]
    for k in range(1, n_years + 1):
        reasons = discontinuation_reasons(saf[disc & year.eq(k)])
        lines = [f"{r.reason.capitalize()}: {r.n}" for r in reasons.itertuples()]
        exits.append((k + 1, "\n".join([f"Discontinued in year {k}: {int(reasons['n'].sum())}",
                                         *lines])))
    not_fas = int(saf["FASFL"].ne("Y").sum())
    exits.append((len(steps) - 1, f"Treated, not in the FAS: {not_fas}\n(no baseline or no"
                                  " post-baseline FSMC total)"))
    return (pd.DataFrame(steps, columns=["step", "n"]),
            pd.DataFrame(exits, columns=["after", "text"]))


def discontinuation_reasons(adsl: pd.DataFrame) -> pd.DataFrame:
    """Discontinued patients by reason (n), most frequent first, ties by reason."""
    disc = adsl.loc[adsl["EOSSTT"].eq("DISCONTINUED"), "DCSREAS"].fillna("Missing")
    counts = disc.value_counts().rename_axis("reason").reset_index(name="n")
    return counts.sort_values(["n", "reason"], ascending=[False, True]).reset_index(drop=True)


#: continuous ADSL characteristics of the baseline table
ADSL_CONTINUOUS = {
    "AGE": "Age (years)",
    "MSDURY": "MS duration (years)",
    "NPRIORDMT": "Prior DMTs (n)",
}
#: baseline scores (ADQS, RESPONDENT PATIENT) of the baseline table
BASELINE_SCORES = ("EDSS", "FSMCTOT", "FSMCCOG", "FSMCMOT", "MSISPHYS", "MSISPSY", "SDMTTOT",
                   "BDITOT")  # fmt: skip


def _baseline_values(adsl: pd.DataFrame, adqs: pd.DataFrame) -> dict[str, pd.Series]:
    """Continuous baseline characteristics of one population, one value per patient of `adsl`
    (in its order): the ADSL_CONTINUOUS columns, then each BASELINE_SCORES score's ABLFL record
    (patient-reported, ANLFL Y); scores absent from the whole ADQS are left out."""
    base = change.baseline_records(adqs, adsl["USUBJID"], "PATIENT")
    wide = base.pivot_table(index="USUBJID", columns="PARAMCD", values="AVAL", aggfunc="first")
    scores = [p for p in BASELINE_SCORES if p in set(adqs["PARAMCD"])]
    wide = wide.reindex(index=adsl["USUBJID"], columns=scores)
    return {
        **{col: adsl[col].reset_index(drop=True) for col in ADSL_CONTINUOUS},
        **{p: wide[p].reset_index(drop=True) for p in scores},
    }


def _baseline_label(code: str) -> str:
    return ADSL_CONTINUOUS.get(code) or f"{labels.label(code)} at baseline"


def _baseline_column(adsl: pd.DataFrame, adqs: pd.DataFrame) -> pd.DataFrame:
    """Rows (characteristic, statistic, value) of one population."""
    rows = [
        (_baseline_label(code), stat, value)
        for code, values in _baseline_values(adsl, adqs).items()
        for stat, value in tables.continuous_stats(values).items()
        if stat != "Median (min, max)"
    ]
    categorical = {"Sex": (adsl["SEX"], spec.SEX), "Country": (adsl["COUNTRY"], ())}
    for name, (values, levels) in categorical.items():
        counts = tables.category_counts(values, levels or sorted(values.dropna().unique()))
        rows += [(name, f"{lvl}, n (%)", v) for lvl, v in counts.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["Characteristic", "Statistic", "value"])


def discontinued_for_ae(adsl: pd.DataFrame) -> pd.Series:
    """Discontinued because of an adverse event (data-spec.md, published.yaml n_disc_ae):
    end-of-study status DSDECOD (ADSL DCSREAS) in spec.DSDECOD_AE (ADVERSE EVENT, DEATH)."""
    return adsl["DCSREAS"].isin(spec.DSDECOD_AE)


def disposition_ard(adsl: pd.DataFrame) -> pd.DataFrame:
    """ARD "disposition" of the enrolled patients `adsl` (ENR): n, N, pct of ENRFL (all), SAFFL,
    FASFL, COMPFL, discontinued because of an AE (DISCAE) and deaths (DTHFL)."""
    conditions = {
        "ENRFL": pd.Series(True, index=adsl.index),
        **{flag: adsl[flag].eq("Y") for flag in FLAGS.values()},
        "DISCAE": discontinued_for_ae(adsl),
        "DTHFL": adsl["DTHFL"].eq("Y"),
    }
    return ard.combine(
        ard.n_pct("disposition", "ENR", mask, paramcd=code, method=f"{code}: n (%) of ENR")
        for code, mask in conditions.items()
    )


def baseline_ard(adsl: pd.DataFrame, adqs: pd.DataFrame, population: str) -> pd.DataFrame:
    """ARD "baseline" of one population: stats.describe of each continuous characteristic
    (_baseline_values) and n, N, pct of each sex."""
    cells = [
        ard.rows("baseline", population, stats.describe(values), paramcd=code,
                 method="stats.describe")
        for code, values in _baseline_values(adsl, adqs).items()
    ]  # fmt: skip
    cells += [
        ard.n_pct("baseline", population, adsl["SEX"].eq(sex), paramcd="SEX", level=sex,
                  method="n (%) of the population")
        for sex in spec.SEX
    ]  # fmt: skip
    return ard.combine(cells)


def sample_size_ard(effect_size: float, alpha: float, power: float,
                    dropout: float) -> pd.DataFrame:  # fmt: skip
    """ARD "sample_size": the planned number of patients to enrol (stats.planned_sample_size)."""
    n = stats.planned_sample_size(effect_size, alpha, power, dropout)
    method = (f"stats.planned_sample_size(effect_size={effect_size}, alpha={alpha}, "
              f"power={power}, dropout={dropout})")  # fmt: skip
    return ard.rows("sample_size", "", {"n": n}, method=method)


def baseline_table(
    adsl: pd.DataFrame, adqs: pd.DataFrame, populations: dict[str, str]
) -> pd.DataFrame:
    """Baseline characteristics, one column per population (label -> ADSL flag column).

    Continuous: n, mean (SD), median (Q1, Q3); categorical: n (%) of the population.
    Baseline scores: the ABLFL record of each patient (n = patients with a baseline value).
    """
    cols = []
    for name, flag in populations.items():
        pop = adsl[adsl[flag].eq("Y")]
        col = _baseline_column(pop, adqs).set_index(["Characteristic", "Statistic"])["value"]
        cols.append(col.rename(f"{name} (N={len(pop)})"))
    return pd.concat(cols, axis=1).fillna("0").reset_index()


def sample_size_grid(
    effect_sizes: list[float], powers: list[float], dropouts: list[float], alpha: float, target: int
) -> pd.DataFrame:
    """stats.planned_sample_size over every combination; flags the ones that give `target`."""
    grid = pd.DataFrame(
        list(itertools.product(effect_sizes, powers, dropouts)),
        columns=["Effect size (d)", "Power", "Drop-out"],
    )
    n = [
        stats.planned_sample_size(d, alpha, p, q)
        for d, p, q in grid.itertuples(index=False, name=None)
    ]
    return grid.assign(
        **{
            "Effect size (d)": grid["Effect size (d)"].map("{:.2f}".format),
            "Power": grid["Power"].map("{:.2f}".format),
            "Drop-out": grid["Drop-out"].map("{:.0%}".format),
            "alpha": f"{alpha:.2f}",
            "N to enrol": n,
            f"Gives N = {target}": ["yes" if k == target else "" for k in n],
        }
    )
