"""Scores of the study's instruments from their items, and the rules read off those scores.

Definitions: study/instruments.md. Every rule marked there as a *project rule* is one named
constant or function in the "Project rules" block below, so that a user with the licensed manual
changes it in one line.

Items or scores (study/data-spec.md): a score computed from complete-enough items is DERIVED; a
score given without items that allow scoring is used as it is (COLLECTED); a collected score given
beside items that allow scoring must agree with the derived one (`collected_score_disagreements`,
reported as an error by validation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

import numpy as np
import pandas as pd

from helpers import spec

# --- Project rules (instruments.md); change here with the licensed manual ---------------------
#: FSMC subscale items (item numbers)
FSMC_SUBSCALE_ITEMS: dict[str, tuple[int, ...]] = {
    "FSMCCOG": (1, 4, 7, 8, 11, 13, 15, 17, 18, 20),
    "FSMCMOT": (2, 3, 5, 6, 9, 10, 12, 14, 16, 19),
}
#: most items that may be missing for a sum score to be computed (0 = any missing -> missing;
#: above 0 each missing item is imputed by the mean of the answered items)
FSMC_MAX_MISSING = 0
BDI_MAX_MISSING = 0
ZBI_MAX_MISSING = 0
#: MSIS-29: a subscale is scored when at most this fraction of its items is missing, each missing
#: item imputed by the mean of the answered items of that subscale
MSIS_MAX_MISSING_FRACTION = 0.5
#: TSQM: items that may be missing per domain (score rescaled to the answered items' range)
TSQM_MAX_MISSING_PER_DOMAIN = 1
#: TSQM item 4 value meaning "no side effects": side-effects score = 100 whatever items 5-8 say;
#: with item 4 = yes or missing the score comes from items 5-8
TSQM_NO_SIDE_EFFECTS = 0
#: a collected score agrees with the derived one when they differ by at most this much (a
#: collected score may be rounded to one decimal)
SCORE_AGREEMENT_TOLERANCE = 0.05
#: FSMC total change from baseline that is a clinically relevant improvement (the study's rule)
FSMC_IMPROVEMENT_CHANGE = -9.0
#: EDSS confirmed improvement: decrease from baseline of at least EDSS_IMPROVEMENT (at least
#: EDSS_IMPROVEMENT_HIGH_BASELINE when baseline >= EDSS_HIGH_BASELINE), also met at the subject's
#: next post-baseline assessment
EDSS_IMPROVEMENT = 1.0
EDSS_IMPROVEMENT_HIGH_BASELINE = 0.5
EDSS_HIGH_BASELINE = 5.5

# --- Categories (instruments.md thresholds): lower bound of each category above the first ------
FSMC_SEVERITY_CUTOFFS: dict[str, tuple[float, ...]] = {
    "FSMCTOT": (43, 53, 63),
    "FSMCCOG": (22, 28, 34),
    "FSMCMOT": (22, 27, 32),
}
FSMC_SEVERITY_LABELS = ("No fatigue", "Mild", "Moderate", "Severe")
BDI_CUTOFFS = (14, 20, 29)
BDI_LABELS = ("Minimal", "Mild", "Moderate", "Severe")
ZBI_CUTOFFS = (21, 41, 61)
ZBI_LABELS = ("Little or no burden", "Mild to moderate", "Moderate to severe", "Severe")

DERIVED = "DERIVED"
COLLECTED = "COLLECTED"
#: one questionnaire administration
ADMIN_KEY = ["USUBJID", "RESPONDENT", "QSCAT", "VISIT"]
SCORE_COLUMNS = ["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "VISIT", "QSDTC", "QSSTRESN",
                 "QSORIG"]
ROUND_DECIMALS = 9  # float noise (100*5/36 - 100*3/36) is removed before comparisons


def item_codes(qscat: str, numbers: Iterable[int]) -> tuple[str, ...]:
    """Item codes of an instrument by item number, e.g. ("FSMC01", "FSMC04")."""
    prefix = next(iter(spec.INSTRUMENTS[qscat].items))[:-2]
    return tuple(f"{prefix}{i:02d}" for i in numbers)


def _block(wide: pd.DataFrame, items: tuple[str, ...]) -> pd.DataFrame:
    return wide.reindex(columns=list(items)).astype("float64")


def prorated_sum(wide: pd.DataFrame, items: tuple[str, ...], max_missing: int) -> pd.Series:
    """Sum of `items`; with 1..max_missing items missing, each is imputed by the mean of the
    answered items; with more missing, NaN."""
    block = _block(wide, items)
    n_missing = block.isna().sum(axis=1)
    value = block.sum(axis=1) + n_missing * block.mean(axis=1).fillna(0.0)
    return value.where((n_missing <= max_missing) & (n_missing < len(items)))


def msis_subscale(wide: pd.DataFrame, items: tuple[str, ...]) -> pd.Series:
    """MSIS-29 subscale 0-100 = 100 x (sum - n) / (4n), n = items of the subscale; missing items
    imputed by the answered items' mean when at most MSIS_MAX_MISSING_FRACTION are missing."""
    n = len(items)
    max_missing = int(np.floor(n * MSIS_MAX_MISSING_FRACTION))
    total = prorated_sum(wide, items, max_missing)
    return 100.0 * (total - n) / (4.0 * n)


def rescaled_sum(wide: pd.DataFrame, items: tuple[str, ...], max_missing: int) -> pd.Series:
    """TSQM domain 0-100 = (sum of answered items - their lowest possible sum) / (their highest
    possible sum - their lowest possible sum) x 100; NaN with more than max_missing missing."""
    block = _block(wide, items)
    ranges = spec.INSTRUMENTS["TSQM"].items
    low = pd.Series({c: ranges[c][0] for c in items}, dtype="float64")
    high = pd.Series({c: ranges[c][1] for c in items}, dtype="float64")
    answered = block.notna()
    lowest = answered.mul(low).sum(axis=1)
    highest = answered.mul(high).sum(axis=1)
    n_missing = (~answered).sum(axis=1)
    ok = (n_missing <= max_missing) & (n_missing < len(items))
    return (100.0 * (block.sum(axis=1) - lowest) / (highest - lowest)).where(ok)


def tsqm_side_effects(wide: pd.DataFrame) -> pd.Series:
    """TSQM side effects: 100 when item 4 = no (TSQM_NO_SIDE_EFFECTS), else items 5-8 rescaled."""
    from_items = rescaled_sum(wide, item_codes("TSQM", (5, 6, 7, 8)), TSQM_MAX_MISSING_PER_DOMAIN)
    no_side_effects = _block(wide, ("TSQM04",))["TSQM04"].eq(TSQM_NO_SIDE_EFFECTS)
    return from_items.mask(no_side_effects, 100.0)


ScoreRule = Callable[[pd.DataFrame], pd.Series]


def _tsqm(numbers: tuple[int, ...]) -> ScoreRule:
    return partial(rescaled_sum, items=item_codes("TSQM", numbers),
                   max_missing=TSQM_MAX_MISSING_PER_DOMAIN)


#: instrument -> score code -> rule computing the score from the instrument's items (wide frame:
#: one row per administration, one column per item code)
SCORING_RULES: dict[str, dict[str, ScoreRule]] = {
    "FSMC": {
        "FSMCTOT": partial(prorated_sum, items=item_codes("FSMC", range(1, 21)),
                           max_missing=FSMC_MAX_MISSING),
        **{
            code: partial(prorated_sum, items=item_codes("FSMC", numbers),
                          max_missing=FSMC_MAX_MISSING)
            for code, numbers in FSMC_SUBSCALE_ITEMS.items()
        },
    },
    "BDI-II": {
        "BDITOT": partial(prorated_sum, items=item_codes("BDI-II", range(1, 22)),
                          max_missing=BDI_MAX_MISSING),
    },
    "MSIS-29": {
        "MSISPHYS": partial(msis_subscale, items=item_codes("MSIS-29", range(1, 21))),
        "MSISPSY": partial(msis_subscale, items=item_codes("MSIS-29", range(21, 30))),
    },
    "TSQM": {
        "TSQMEFF": _tsqm((1, 2, 3)),
        "TSQMSE": tsqm_side_effects,
        "TSQMCON": _tsqm((9, 10, 11)),
        "TSQMGLO": _tsqm((12, 13, 14)),
    },
    "ZBI": {
        "ZBITOT": partial(prorated_sum, items=item_codes("ZBI", range(1, 23)),
                          max_missing=ZBI_MAX_MISSING),
    },
}


def _derived(qs: pd.DataFrame) -> pd.DataFrame:
    """Scores from items: one row per administration with items x score code of the instrument
    (derived NaN when the items do not allow scoring); QSDTC = earliest item date."""
    frames = []
    for qscat, rules in SCORING_RULES.items():
        items = qs[qs["QSCAT"].eq(qscat) & qs["QSTESTCD"].isin(spec.INSTRUMENTS[qscat].items)]
        if items.empty:
            continue
        wide = items.pivot(index=ADMIN_KEY, columns="QSTESTCD", values="QSSTRESN")
        scores = pd.DataFrame({code: rule(wide) for code, rule in rules.items()}, index=wide.index)
        scores["derived_dtc"] = items.groupby(ADMIN_KEY)["QSDTC"].min()
        frames.append(
            scores.reset_index().melt(
                id_vars=[*ADMIN_KEY, "derived_dtc"], var_name="QSTESTCD", value_name="derived"
            )
        )
    columns = [*ADMIN_KEY, "QSTESTCD", "derived", "derived_dtc"]
    if not frames:
        return pd.DataFrame(columns=columns).astype({"derived": "float64",
                                                      "derived_dtc": "datetime64[ns]"})
    return pd.concat(frames, ignore_index=True)[columns]


def _collected(qs: pd.DataFrame) -> pd.DataFrame:
    """Score rows of qs (QSTESTCD a score code of its instrument)."""
    is_score = qs["QSTESTCD"].isin(
        [code for ins in spec.INSTRUMENTS.values() for code in ins.scores]
    )
    rows = qs.loc[is_score, [*ADMIN_KEY, "QSTESTCD", "QSSTRESN", "QSDTC", "_LINE"]]
    return rows.rename(columns={"QSSTRESN": "collected", "QSDTC": "collected_dtc"})


def _derived_and_collected(qs: pd.DataFrame) -> pd.DataFrame:
    """Every score of every administration, with its derived and collected value side by side."""
    merged = _derived(qs).merge(
        _collected(qs), on=[*ADMIN_KEY, "QSTESTCD"], how="outer", indicator=True
    )
    merged["has_collected"] = merged.pop("_merge").ne("left_only")
    return merged


def score_questionnaires(qs: pd.DataFrame) -> pd.DataFrame:
    """One row per USUBJID x RESPONDENT x VISIT x score code of typed qs.

    QSSTRESN = the score derived from items where the items allow scoring (QSORIG DERIVED), else
    the collected score row (QSORIG COLLECTED, NaN when left empty); administrations whose items
    do not allow scoring and carry no collected score keep a row with QSSTRESN NaN and QSORIG
    DERIVED, so that the caller can count them. QSDTC: earliest item date (DERIVED) or the score
    row's date (COLLECTED).
    """
    both = _derived_and_collected(qs)
    use_derived = both["derived"].notna() | ~both["has_collected"]
    out = both.assign(
        QSSTRESN=both["derived"].where(use_derived, both["collected"]),
        QSDTC=both["derived_dtc"].where(use_derived, both["collected_dtc"]),
        QSORIG=np.where(use_derived, DERIVED, COLLECTED),
    )[SCORE_COLUMNS]
    return out.sort_values(["USUBJID", "RESPONDENT", "QSTESTCD", "VISIT"]).reset_index(drop=True)


def collected_score_disagreements(qs: pd.DataFrame) -> pd.DataFrame:
    """Collected scores beside items that allow scoring, differing from the derived score by more
    than SCORE_AGREEMENT_TOLERANCE (missing collected value beside a derived one: not a
    disagreement). Columns USUBJID, RESPONDENT, VISIT, QSTESTCD, _LINE, collected, derived."""
    both = _derived_and_collected(qs)
    diff = (both["collected"] - both["derived"]).abs().round(ROUND_DECIMALS)
    bad = both[diff.gt(SCORE_AGREEMENT_TOLERANCE)]
    out = bad[["USUBJID", "RESPONDENT", "VISIT", "QSTESTCD", "_LINE", "collected", "derived"]]
    return out.astype({"_LINE": "int64"}).sort_values("_LINE").reset_index(drop=True)


# --- categories --------------------------------------------------------------------------------
def categorise(values: pd.Series, cutoffs: Iterable[float], labels: Iterable[str]) -> pd.Series:
    """Ordered categories: labels[0] below cutoffs[0], labels[i] from cutoffs[i-1] (inclusive)
    up to cutoffs[i] (exclusive); NaN stays NaN."""
    bins = [-np.inf, *cutoffs, np.inf]
    return pd.cut(values.astype("float64"), bins=bins, labels=list(labels), right=False)


def fsmc_severity(values: pd.Series, paramcd: str = "FSMCTOT") -> pd.Series:
    """FSMC fatigue severity (Penner 2009): total >= 43 mild, >= 53 moderate, >= 63 severe;
    cognitive >= 22/28/34; motor >= 22/27/32; below the first cutoff: no fatigue."""
    return categorise(values, FSMC_SEVERITY_CUTOFFS[paramcd], FSMC_SEVERITY_LABELS)


def bdi_category(values: pd.Series) -> pd.Series:
    """BDI-II: 0-13 minimal, 14-19 mild, 20-28 moderate, 29-63 severe."""
    return categorise(values, BDI_CUTOFFS, BDI_LABELS)


def zbi_category(values: pd.Series) -> pd.Series:
    """ZBI-22: 0-20 little or no, 21-40 mild to moderate, 41-60 moderate to severe, 61-88 severe."""
    return categorise(values, ZBI_CUTOFFS, ZBI_LABELS)


# --- EDSS confirmed improvement -----------------------------------------------------------------
def edss_required_decrease(base: pd.Series) -> pd.Series:
    """Decrease from baseline that counts as EDSS improvement (project rule)."""
    return pd.Series(
        np.where(base >= EDSS_HIGH_BASELINE, EDSS_IMPROVEMENT_HIGH_BASELINE, EDSS_IMPROVEMENT),
        index=base.index,
    )


def edss_confirmed_improvement(adqs: pd.DataFrame) -> pd.DataFrame:
    """One row per subject with an EDSS baseline and at least one post-baseline EDSS value.

    Uses ADQS records PARAMCD EDSS, ANLFL Y, AVAL present. A post-baseline assessment is improved
    when BASE - AVAL >= edss_required_decrease(BASE); the improvement is confirmed when the
    subject's next post-baseline assessment (by AVISITN, then ADY) is improved too. Columns:
    USUBJID, BASE, NPOST (post-baseline assessments), CONFFL (Y/N), CONFDY and CONFVIS (ADY and
    AVISIT of the first assessment of a confirmed improvement; empty when none).
    """
    rec = adqs[adqs["PARAMCD"].eq("EDSS") & adqs["ANLFL"].eq("Y") & adqs["AVAL"].notna()
               & adqs["ABLFL"].ne("Y") & adqs["BASE"].notna()]
    rec = rec.sort_values(["USUBJID", "AVISITN", "ADY"])
    decrease = (rec["BASE"] - rec["AVAL"]).round(ROUND_DECIMALS)
    improved = decrease.ge(edss_required_decrease(rec["BASE"]))
    confirmed = improved & improved.groupby(rec["USUBJID"]).shift(-1, fill_value=False)
    first = rec[confirmed].groupby("USUBJID")[["ADY", "AVISIT"]].first()
    out = rec.groupby("USUBJID").agg(BASE=("BASE", "first"), NPOST=("AVAL", "size"))
    out = out.join(first.rename(columns={"ADY": "CONFDY", "AVISIT": "CONFVIS"}))
    out.insert(2, "CONFFL", np.where(out["CONFVIS"].notna(), "Y", "N"))
    return out.reset_index()
