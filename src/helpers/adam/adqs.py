"""ADQS: one row per subject x respondent x parameter (score code) x visit.

Definitions (study/data-spec.md):
- AVAL = the instrument score (helpers.adam.scoring: derived from items, else collected); extra
  parameters HRPQWTOT = HRPQWMIS + HRPQWRED and HRPQHTOT = HRPQHMIS + HRPQHRED.
- ADY = elapsed days of ADT from the first alemtuzumab infusion. A never-treated subject has no
  day 0: its BASELINE visit records are kept (ADY empty, AWINFL N) as that patient's baseline,
  for the baseline characteristics of enrolled patients (ENR), and enter no change (it has no
  post-baseline record); its other qs rows are left out (both counted).
- AWINFL = Y when |ADY - 30.4375 x target month| <= 31 days, N otherwise (N when undated).
- ABLFL = Y on the BASELINE visit record with AVAL dated on or before elapsed day 0, or of a
  never-treated subject (data-spec: still that patient's baseline).
- ANLFL = N when AVAL is missing, on a BASELINE visit record that is not a valid baseline (after
  day 0 or undated), and, with exclude_out_of_window, on out-of-window post-baseline records;
  Y otherwise. Only ANLFL = Y records enter BASE, CHG and EOSFL.
- BASE = AVAL of the baseline record, on every record of that subject x respondent x parameter;
  CHG = AVAL - BASE on post-baseline ANLFL = Y records.
- EOSFL = Y on the last (by AVISITN, then ADY) post-baseline ANLFL = Y record of each subject x
  respondent x parameter (whether or not it has a baseline; change analyses also need BASE).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from helpers import spec
from helpers.adam.base import elapsed_days, exclusion, yes_no
from helpers.adam.scoring import COLLECTED, DERIVED, score_questionnaires
from helpers.codes import (
    earliest_dates,
    first_rows,
    key_ids,
    map_values,
    row_keys,
    run_ids,
    sort_order,
    sorted_codes,
)
from helpers.memory import release_freed_memory

#: derived parameters: code -> (instrument, component score codes summed)
SUM_PARAMETERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "HRPQWTOT": ("HRPQ", ("HRPQWMIS", "HRPQWRED")),
    "HRPQHTOT": ("HRPQ", ("HRPQHMIS", "HRPQHRED")),
}
PARAM_KEY = ["USUBJID", "RESPONDENT", "PARAMCD"]


def sum_parameters(scores: pd.DataFrame) -> pd.DataFrame:
    """Rows of SUM_PARAMETERS (scores layout): sum of the components, NaN when one is missing;
    a row wherever at least one component has a value; QSDTC = earliest component date. Rows in
    the order of USUBJID, RESPONDENT, VISIT codes."""
    administration = ["USUBJID", "RESPONDENT", "VISIT"]
    frames = []
    for code, (qscat, parts) in SUM_PARAMETERS.items():
        comp = scores[scores["QSTESTCD"].isin(parts) & scores["QSSTRESN"].notna()]
        admins, ids = key_ids(row_keys(comp[administration]))
        n = len(admins)
        rows = comp[administration].iloc[first_rows(ids, n)].reset_index(drop=True)
        n_parts = np.bincount(ids, minlength=n)
        total = np.bincount(ids, weights=comp["QSSTRESN"].to_numpy(), minlength=n)
        rows["QSSTRESN"] = np.where(n_parts == len(parts), total, np.nan)
        rows["QSDTC"] = earliest_dates(ids, comp["QSDTC"].to_numpy(dtype="datetime64[ns]"), n)
        constant = {"QSCAT": qscat, "QSTESTCD": code, "QSORIG": DERIVED}
        frames.append(rows.assign(**{c: pd.Categorical.from_codes(np.zeros(n, np.int8), [v])
                                     for c, v in constant.items()}))
    return stack(frames)[scores.columns]


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of frames with the same columns, one after another; categorical columns stay
    categorical (union of the categories, sorted)."""
    return stack_columns({c: [f[c] for f in frames] for c in frames[0].columns})


def stack_columns(parts: dict[str, list[pd.Series]], release_memory: bool = False) -> pd.DataFrame:
    """A frame of each column's parts one after another (categoricals: union of the categories,
    sorted). `parts` is emptied column by column, so that a column's parts are freed as soon as
    they are joined; with `release_memory` their pages also go back to the OS at once (for a
    large join: peak memory the result plus one column's parts)."""
    out = {}
    for column in list(parts):
        pieces = parts.pop(column)
        if isinstance(pieces[0].dtype, pd.CategoricalDtype):
            out[column] = _joined_categoricals(pieces)
        else:
            out[column] = np.concatenate([p.to_numpy() for p in pieces])
        del pieces
        if release_memory:
            release_freed_memory()
    return pd.DataFrame(out, copy=False)


def _joined_categoricals(pieces: list[pd.Series]) -> pd.Categorical:
    """Categoricals one after another, categories their union, sorted. Pieces whose sorted
    categories are all equal (a code column of the blocks of one qs) or follow one another (their
    USUBJID: blocks of subjects in string order) are joined by their codes, without hashing."""
    categories = [p.cat.categories for p in pieces]
    if all(c.is_monotonic_increasing for c in categories):
        if all(c.equals(categories[0]) for c in categories[1:]):
            codes = np.concatenate([p.cat.codes.to_numpy() for p in pieces])
            return pd.Categorical.from_codes(codes, dtype=pieces[0].dtype)
        used = [c for c in categories if len(c)]
        if all(before[-1] < after[0] for before, after in pairwise(used)):
            offsets = np.cumsum([0, *map(len, categories[:-1])])
            codes = np.concatenate([
                np.where(p.cat.codes < 0, -1, p.cat.codes.to_numpy(dtype=np.int64) + offset)
                for p, offset in zip(pieces, offsets, strict=True)
            ])
            return pd.Categorical.from_codes(codes, categories=categories[0].append(categories[1:]),
                                             validate=False)
    return union_categoricals(pieces, sort_categories=True)


def derive_adqs(
    qs: pd.DataFrame, day0: pd.Series, exclude_out_of_window: bool = False
) -> tuple[pd.DataFrame, list[dict]]:
    """ADQS (module docstring) and its exclusion rows. day0: TRTSDT indexed by USUBJID."""
    scores = score_questionnaires(qs)
    scores = stack([scores, sum_parameters(scores)])
    day0_of_score = map_values(scores["USUBJID"], day0).astype("datetime64[ns]")
    kept = day0_of_score.notna() | _baseline_visit(scores["VISIT"])
    untreated_qs = qs.loc[map_values(qs["USUBJID"], day0).isna().to_numpy()
                          & ~_baseline_visit(qs["VISIT"]).to_numpy(), ["USUBJID"]]

    adqs = scores[kept].rename(
        columns={"QSCAT": "PARCAT", "QSTESTCD": "PARAMCD", "VISIT": "AVISIT", "QSDTC": "ADT",
                 "QSSTRESN": "AVAL"}
    )
    adqs["AVISITN"] = map_values(adqs["AVISIT"], spec.VISITS).astype("float64")
    adqs["ADY"] = elapsed_days(adqs["ADT"], day0_of_score[kept])
    adqs, parameter = _in_parameter_order(adqs)
    never_treated = map_values(adqs["USUBJID"], day0).isna()
    target = adqs["AVISITN"] * spec.DAYS_PER_MONTH
    in_window = (adqs["ADY"] - target).abs().le(spec.VISIT_WINDOW_DAYS)
    adqs["AWINFL"] = yes_no(in_window)

    has_value = adqs["AVAL"].notna()
    baseline_visit = adqs["AVISITN"].eq(0)
    post = ~baseline_visit
    is_base = baseline_visit & has_value & (adqs["ADY"].le(0) | never_treated)
    late_base = baseline_visit & has_value & ~is_base
    window_out = post & has_value & ~in_window
    window_excluded = window_out & exclude_out_of_window
    anl = has_value & ~late_base & ~window_excluded
    adqs["ABLFL"] = yes_no(is_base)
    adqs["ANLFL"] = yes_no(anl)

    n_parameters = int(parameter.max(initial=-1)) + 1
    base = np.full(n_parameters, np.nan)
    baseline = is_base.to_numpy()
    base[parameter[baseline]] = adqs["AVAL"].to_numpy()[baseline]  # one per parameter at most
    adqs["BASE"] = base[parameter]
    analysed_post = (post & anl).to_numpy()
    adqs["CHG"] = (adqs["AVAL"] - adqs["BASE"]).where(analysed_post)
    rows = np.flatnonzero(analysed_post)  # in AVISITN order within each parameter
    last = rows[np.append(parameter[rows][1:] != parameter[rows][:-1], True)]
    eos = np.zeros(len(adqs), dtype=bool)
    eos[last] = True
    adqs["EOSFL"] = yes_no(pd.Series(eos, index=adqs.index))
    has_post = np.zeros(n_parameters, dtype=bool)
    has_post[parameter[rows]] = True
    has_post = pd.Series(has_post[parameter], index=adqs.index)
    subjects = adqs[["USUBJID"]]  # what an exclusion row counts
    excluded = [
        exclusion("ADQS", "qs rows of never-treated subjects after BASELINE (no elapsed day 0)",
                  untreated_qs),
        exclusion("ADQS", "baseline of never-treated subjects: ENR baseline characteristics only",
                  subjects[is_base & never_treated]),
        exclusion("ADQS", "score missing: items do not allow scoring",
                  subjects[~has_value & adqs["QSORIG"].eq(DERIVED)]),
        exclusion("ADQS", "score missing: collected score left empty",
                  subjects[~has_value & adqs["QSORIG"].eq(COLLECTED)]),
        exclusion("ADQS", "BASELINE visit after elapsed day 0 or undated: not a baseline",
                  subjects[late_base]),
        exclusion("ADQS", "post-baseline record outside its visit window: excluded by switch",
                  subjects[window_excluded]),
        exclusion("ADQS", "post-baseline record outside its visit window: kept, flagged",
                  subjects[window_out & ~window_excluded]),
        exclusion("ADQS", "post-baseline value without baseline: no change from baseline",
                  subjects[analysed_post & adqs["BASE"].isna()]),
        exclusion("ADQS", "baseline without post-baseline value: no change from baseline",
                  subjects[is_base & ~has_post]),
    ]
    return adqs, excluded


def _baseline_visit(visit: pd.Series) -> pd.Series:
    """Per row, whether the visit is the BASELINE visit (target month 0)."""
    return map_values(visit, spec.VISITS).eq(0)


def _in_parameter_order(adqs: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """ADQS rows sorted by USUBJID, RESPONDENT, PARAMCD (string order, missing first) and AVISITN
    (the row order of ADQS; (USUBJID, RESPONDENT, PARAMCD, AVISIT) is unique, as the qs key is,
    so ADY never breaks a tie), and per row the number of its parameter (PARAM_KEY) run."""
    coded = [sorted_codes(adqs[c]) for c in PARAM_KEY]
    months = np.sort(np.unique(list(spec.VISITS.values())))
    visit = np.searchsorted(months, adqs["AVISITN"].fillna(-1).to_numpy()) + 1  # NaN first
    codes = [c + 1 for c, _ in coded]
    sizes = [len(categories) + 1 for _, categories in coded]
    order = sort_order([*codes, visit], [*sizes, len(months) + 2])
    parameter = run_ids(np.ravel_multi_index([c[order] for c in codes], sizes))
    return adqs.take(order).reset_index(drop=True), parameter


def subjects_with_change(adqs: pd.DataFrame, paramcd: str, respondent: str) -> pd.Index:
    """Subjects with a baseline and at least one post-baseline analysed value of a parameter."""
    rec = adqs[adqs["PARAMCD"].eq(paramcd) & adqs["RESPONDENT"].eq(respondent)]
    with_change = rec.loc[rec["CHG"].notna(), "USUBJID"]
    return pd.Index(np.sort(with_change.unique()), name="USUBJID")
