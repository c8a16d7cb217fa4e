"""ADQS: one row per subject x respondent x parameter (score code) x visit.

Definitions (study/data-spec.md):
- AVAL = the instrument score (helpers.scoring: derived from items, else collected); extra
  parameters HRPQWTOT = HRPQWMIS + HRPQWRED and HRPQHTOT = HRPQHMIS + HRPQHRED.
- ADY = elapsed days of ADT from the first alemtuzumab infusion; rows of never-treated subjects
  have no day 0 and are left out (counted).
- AWINFL = Y when |ADY - 30.4375 x target month| <= 31 days, N otherwise (N when undated).
- ABLFL = Y on the BASELINE visit record with AVAL dated on or before elapsed day 0.
- ANLFL = N when AVAL is missing, on a BASELINE visit record that is not a valid baseline (after
  day 0 or undated), and, with exclude_out_of_window, on out-of-window post-baseline records;
  Y otherwise. Only ANLFL = Y records enter BASE, CHG and EOSFL.
- BASE = AVAL of the baseline record, on every record of that subject x respondent x parameter;
  CHG = AVAL - BASE on post-baseline ANLFL = Y records.
- EOSFL = Y on the last (by AVISITN, then ADY) post-baseline ANLFL = Y record of each subject x
  respondent x parameter (whether or not it has a baseline; change analyses also need BASE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from helpers import spec
from helpers.adam_base import elapsed_days, exclusion, yes_no
from helpers.codes import map_values
from helpers.scoring import COLLECTED, DERIVED, score_questionnaires

#: derived parameters: code -> (instrument, component score codes summed)
SUM_PARAMETERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "HRPQWTOT": ("HRPQ", ("HRPQWMIS", "HRPQWRED")),
    "HRPQHTOT": ("HRPQ", ("HRPQHMIS", "HRPQHRED")),
}
PARAM_KEY = ["USUBJID", "RESPONDENT", "PARAMCD"]


def sum_parameters(scores: pd.DataFrame) -> pd.DataFrame:
    """Rows of SUM_PARAMETERS (scores layout): sum of the components, NaN when one is missing;
    a row wherever at least one component has a value; QSDTC = earliest component date."""
    key = ["USUBJID", "RESPONDENT", "VISIT"]
    frames = []
    for code, (qscat, parts) in SUM_PARAMETERS.items():
        comp = scores[scores["QSTESTCD"].isin(parts) & scores["QSSTRESN"].notna()]
        by = comp.groupby(key, observed=True)
        rows = by.agg(QSSTRESN=("QSSTRESN", "sum"), QSDTC=("QSDTC", "min")).reset_index()
        rows["QSSTRESN"] = rows["QSSTRESN"].where(by.size().to_numpy() == len(parts))
        constant = {"QSCAT": qscat, "QSTESTCD": code, "QSORIG": DERIVED}
        frames.append(rows.assign(**{c: pd.Categorical([v] * len(rows))
                                     for c, v in constant.items()}))
    return stack(frames)[scores.columns]


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of frames with the same columns, one after another; categorical columns stay
    categorical (union of the categories, sorted)."""
    columns = frames[0].columns
    coded = [c for c in columns if isinstance(frames[0][c].dtype, pd.CategoricalDtype)]
    out = pd.concat([f.drop(columns=coded) for f in frames], ignore_index=True)
    for c in coded:
        out[c] = union_categoricals([f[c] for f in frames], sort_categories=True)
    return out[columns]


def derive_adqs(
    qs: pd.DataFrame, day0: pd.Series, exclude_out_of_window: bool = False
) -> tuple[pd.DataFrame, list[dict]]:
    """ADQS (module docstring) and its exclusion rows. day0: TRTSDT indexed by USUBJID."""
    scores = score_questionnaires(qs)
    scores = stack([scores, sum_parameters(scores)])
    treated = scores["USUBJID"].isin(day0.dropna().index)
    untreated_qs = qs[~qs["USUBJID"].isin(day0.dropna().index)]

    adqs = scores[treated].rename(
        columns={"QSCAT": "PARCAT", "QSTESTCD": "PARAMCD", "VISIT": "AVISIT", "QSDTC": "ADT",
                 "QSSTRESN": "AVAL"}
    )
    adqs["AVISITN"] = adqs["AVISIT"].map(spec.VISITS).astype("float64")
    day0_of_row = map_values(adqs["USUBJID"], day0).astype("datetime64[ns]")
    adqs["ADY"] = elapsed_days(adqs["ADT"], day0_of_row)
    adqs = adqs.sort_values([*PARAM_KEY, "AVISITN", "ADY"], na_position="first", ignore_index=True)
    target = adqs["AVISITN"] * spec.DAYS_PER_MONTH
    in_window = (adqs["ADY"] - target).abs().le(spec.VISIT_WINDOW_DAYS)
    adqs["AWINFL"] = yes_no(in_window)

    has_value = adqs["AVAL"].notna()
    baseline_visit = adqs["AVISITN"].eq(0)
    post = ~baseline_visit
    is_base = baseline_visit & has_value & adqs["ADY"].le(0)
    late_base = baseline_visit & has_value & ~adqs["ADY"].le(0)
    window_out = post & has_value & ~in_window
    window_excluded = window_out & exclude_out_of_window
    anl = has_value & ~late_base & ~window_excluded
    adqs["ABLFL"] = yes_no(is_base)
    adqs["ANLFL"] = yes_no(anl)

    groups = [adqs[k] for k in PARAM_KEY]
    adqs["BASE"] = adqs["AVAL"].where(is_base).groupby(groups, observed=True).transform("max")
    analysed_post = post & anl
    adqs["CHG"] = (adqs["AVAL"] - adqs["BASE"]).where(analysed_post)
    last = adqs[analysed_post].groupby(PARAM_KEY, observed=True).cumcount(ascending=False).eq(0)
    adqs["EOSFL"] = yes_no(last.reindex(adqs.index, fill_value=False))

    has_post = analysed_post.groupby(groups, observed=True).transform("any")
    excluded = [
        exclusion("ADQS", "qs rows of never-treated subjects (no elapsed day 0)", untreated_qs),
        exclusion("ADQS", "score missing: items do not allow scoring",
                  adqs[~has_value & adqs["QSORIG"].eq(DERIVED)]),
        exclusion("ADQS", "score missing: collected score left empty",
                  adqs[~has_value & adqs["QSORIG"].eq(COLLECTED)]),
        exclusion("ADQS", "BASELINE visit after elapsed day 0 or undated: not a baseline",
                  adqs[late_base]),
        exclusion("ADQS", "post-baseline record outside its visit window: excluded by switch",
                  adqs[window_excluded]),
        exclusion("ADQS", "post-baseline record outside its visit window: kept, flagged",
                  adqs[window_out & ~window_excluded]),
        exclusion("ADQS", "post-baseline value without baseline: no change from baseline",
                  adqs[analysed_post & adqs["BASE"].isna()]),
        exclusion("ADQS", "baseline without post-baseline value: no change from baseline",
                  adqs[is_base & ~has_post]),
    ]
    return adqs, excluded


def subjects_with_change(adqs: pd.DataFrame, paramcd: str, respondent: str) -> pd.Index:
    """Subjects with a baseline and at least one post-baseline analysed value of a parameter."""
    rec = adqs[adqs["PARAMCD"].eq(paramcd) & adqs["RESPONDENT"].eq(respondent)]
    with_change = rec.loc[rec["CHG"].notna(), "USUBJID"]
    return pd.Index(np.sort(with_change.unique()), name="USUBJID")
