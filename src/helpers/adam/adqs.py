"""ADQS: one row per subject x respondent x parameter (score code) x visit.

Definitions (study/data-spec.md), one named derivation each below:
- AVAL = the instrument score (helpers.study.instruments: derived from items, else collected); extra
  parameters spec.SUM_PARAMETERS (HRPQWTOT = HRPQWMIS + HRPQWRED, HRPQHTOT = HRPQHMIS + HRPQHRED).
- ADY = elapsed days of ADT from the first alemtuzumab infusion. A never-treated subject has no
  day 0: its BASELINE visit records are kept (ADY empty, AWINFL N) as that patient's baseline,
  for the baseline characteristics of enrolled patients (ENR), and enter no change (it has no
  post-baseline record); its other qs rows are left out (both counted).
- AWINFL = Y when |ADY - 30.4375 x target month| <= 31 days, N otherwise (N when undated)
  (helpers.study.time_axis.in_visit_window, the rule validation warns with).
- ABLFL = Y on the BASELINE visit record with AVAL dated on or before elapsed day 0, or of a
  never-treated subject (data-spec: still that patient's baseline).
- ANLFL = N when AVAL is missing, on a BASELINE visit record that is not a valid baseline (after
  day 0 or undated), and, with exclude_out_of_window, on out-of-window post-baseline records;
  Y otherwise. Only ANLFL = Y records enter BASE, CHG, EOSFL and CRIT1FL.
- BASE = AVAL of the baseline record (at most one per parameter, asserted), on every record of
  that subject x respondent x parameter; CHG = AVAL - BASE on post-baseline ANLFL = Y records.
- EOSFL = Y on the post-baseline ANLFL = Y record with the latest AVISITN of each subject x
  respondent x parameter (one record per visit, asserted; whether or not it has a baseline:
  change analyses also need BASE).
- AVALCAT1, BASECAT1 = FSMC fatigue severity of AVAL and of BASE (FSMC parameters only).
- CRIT1, CRIT1FL = confirmed EDSS improvement on the EDSS records that can show one (post-baseline
  ANLFL = Y with BASE).
"""

from __future__ import annotations

import polars as pl

from helpers.adam.base import FLAG, exclusion, yes_no_expr
from helpers.study import spec
from helpers.study.instruments import (
    ADMINISTRATION,
    COLLECTED,
    DERIVED,
    EDSS_HIGH_BASELINE,
    EDSS_IMPROVEMENT,
    EDSS_IMPROVEMENT_HIGH_BASELINE,
    FSMC_SEVERITY_CUTOFFS,
    FSMC_SEVERITY_LABELS,
    ORIGIN,
    SCORE_CODES,
    QsRows,
    category,
    is_edss_improved,
    scores_of_administrations,
)
from helpers.study.time_axis import in_visit_window, is_after_day0, with_subject_type

#: one parameter of one subject: the records BASE, CHG and EOSFL look across
PARAM_KEY = ["USUBJID", "RESPONDENT", "PARAMCD"]
BASELINE_VISITS = [visit for visit, month in spec.VISITS.items() if month == 0]
#: AVISIT's type: every visit, in visit order (ADQS sorts on its codes, as on AVISITN)
VISIT_TYPE = pl.Enum(list(spec.VISITS))
#: PARAMCD's type: every parameter, in string order (sorted on codes)
PARAMCD_TYPE = pl.Enum(sorted([*SCORE_CODES, *spec.SUM_PARAMETERS]))
#: a category's type (AVALCAT1, BASECAT1)
SEVERITY_TYPE = pl.Enum(list(FSMC_SEVERITY_LABELS))
EDSS = "EDSS"
#: CRIT1: the criterion CRIT1FL flags
EDSS_CRITERION = (
    f"Confirmed EDSS improvement: BASE - AVAL >= {EDSS_IMPROVEMENT:g} (>= "
    f"{EDSS_IMPROVEMENT_HIGH_BASELINE:g} when BASE >= {EDSS_HIGH_BASELINE:g}), also at the next "
    "post-baseline assessment"
)
CRITERION_TYPE = pl.Enum([EDSS_CRITERION])
ROW = "_ROW"


def derive_param_sum(scores: pl.DataFrame, paramcd: str) -> pl.DataFrame:
    """Rows of a spec.SUM_PARAMETERS parameter (scores layout): the sum of its components, null when
    one is missing; a row wherever at least one component has a value; QSDTC = earliest date of
    the components with a value."""
    qscat, parts = spec.SUM_PARAMETERS[paramcd]
    components = scores.filter(pl.col("QSTESTCD").is_in(parts) & pl.col("QSSTRESN").is_not_null())
    return (
        components.group_by(ADMINISTRATION)
        .agg(QSSTRESN=pl.when(pl.len() == len(parts)).then(pl.col("QSSTRESN").sum()),
             QSDTC=pl.col("QSDTC").min())
        .with_columns(QSCAT=pl.lit(qscat, dtype=scores.schema["QSCAT"]),
                      QSTESTCD=pl.lit(paramcd, dtype=scores.schema["QSTESTCD"]),
                      QSORIG=pl.lit(DERIVED, dtype=ORIGIN))
        .select(scores.columns)
    )


# --- one named derivation per variable (module docstring) --------------------------------------
def derive_var_avisitn() -> pl.Expr:
    """AVISITN = target month of AVISIT (spec.VISITS)."""
    return pl.col("AVISIT").replace_strict(spec.VISITS, return_dtype=pl.Float64)


def derive_var_ady() -> pl.Expr:
    """ADY = ADT - TRTSDT in days (null when either is missing)."""
    return (pl.col("ADT") - pl.col("TRTSDT")).dt.total_days().cast(pl.Float64)


def is_in_window() -> pl.Expr:
    """AWINFL's rule: the record is in its visit window (time_axis.in_visit_window of ADY and
    AVISITN; null when undated)."""
    return in_visit_window(pl.col("ADY"), pl.col("AVISITN"))


def is_baseline() -> pl.Expr:
    """ABLFL's rule: the BASELINE visit record with AVAL, dated on or before elapsed day 0
    (time_axis.is_after_day0 false), or of a never-treated subject."""
    never_treated = pl.col("TRTSDT").is_null()
    on_or_before_day0 = ~is_after_day0(pl.col("ADY"))
    return ((pl.col("AVISITN") == 0) & pl.col("AVAL").is_not_null()
            & (on_or_before_day0.fill_null(False) | never_treated))


def is_late_baseline() -> pl.Expr:
    """A BASELINE visit record with AVAL that is not a baseline (after day 0 or undated)."""
    return (pl.col("AVISITN") == 0) & pl.col("AVAL").is_not_null() & ~is_baseline()


def is_out_of_window() -> pl.Expr:
    """A post-baseline record with AVAL outside its visit window (or undated)."""
    return ((pl.col("AVISITN") != 0) & pl.col("AVAL").is_not_null()
            & ~is_in_window().fill_null(False))


def is_analysed(exclude_out_of_window: bool) -> pl.Expr:
    """ANLFL's rule: AVAL present, not a late baseline and, with the switch, not out of window."""
    window_excluded = is_out_of_window() & exclude_out_of_window
    return pl.col("AVAL").is_not_null() & ~is_late_baseline() & ~window_excluded


def is_analysed_post_baseline() -> pl.Expr:
    """A post-baseline record with ANLFL = Y."""
    return (pl.col("AVISITN") != 0) & (pl.col("ANLFL") == "Y")


def derive_var_base() -> pl.Expr:
    """BASE = AVAL of the parameter's ABLFL = Y record, on its every record; null when it has
    none (an aggregation over the parameter's records: with_parameter_values; a parameter has
    at most one: assert_unique)."""
    return pl.col("AVAL").filter(pl.col("ABLFL") == "Y").first()


def assert_unique(records: pl.DataFrame, key: list[str], what: str) -> None:
    """Raise ValueError naming the first repeated `key` (its values) when two records of
    `records`, sorted by `key`, share it; `what` names a record in the message."""
    repeated = records.lazy().select(key).filter(
        pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(1)) for c in key)
    ).head(1).collect()
    if not repeated.is_empty():
        raise ValueError(f"ADQS has more than one {what} of {repeated.row(0, named=True)}")


def derive_var_chg() -> pl.Expr:
    """CHG = AVAL - BASE on post-baseline ANLFL = Y records, else null."""
    return pl.when(is_analysed_post_baseline()).then(pl.col("AVAL") - pl.col("BASE"))


def last_analysed_visit() -> pl.Expr:
    """The latest AVISITN of the parameter's post-baseline ANLFL = Y records (an aggregation
    over the parameter's records: with_parameter_values)."""
    return pl.col("AVISITN").filter(is_analysed_post_baseline()).max()


def derive_var_eosfl() -> pl.Expr:
    """EOSFL: the post-baseline ANLFL = Y record of the parameter with the latest AVISITN
    (LASTVISN: last_analysed_visit; a parameter has one record per visit: assert_unique)."""
    return is_analysed_post_baseline() & (pl.col("AVISITN") == pl.col("LASTVISN"))


def with_parameter_values(records: pl.DataFrame, **values: pl.Expr) -> pl.DataFrame:
    """`records` with `values` (aggregations over the records of one parameter, PARAM_KEY) on
    each record of the parameter, as a window over PARAM_KEY would give: each parameter
    aggregated once, the values looked up by the records' key columns only."""
    per_parameter = records.lazy().group_by(PARAM_KEY).agg(**values)
    looked_up = (records.lazy().select(PARAM_KEY)
                 .join(per_parameter, on=PARAM_KEY, how="left", nulls_equal=True,
                       maintain_order="left")
                 .drop(PARAM_KEY).collect(engine="streaming"))
    # in one chunk, as the records' columns (else each later step re-chunks all of them)
    return records.with_columns(looked_up.rechunk())


def derive_var_trtsdt(day0: pl.DataFrame) -> pl.Expr:
    """TRTSDT = the date of the subject's first alemtuzumab infusion (day0: USUBJID, TRTSDT),
    null when never treated."""
    trtsdt = day0["TRTSDT"].cast(pl.Date)
    return pl.col("USUBJID").replace_strict(day0["USUBJID"], trtsdt, default=None)


def fsmc_severity(value: str) -> pl.Expr:
    """FSMC fatigue severity of column `value` (SEVERITY_TYPE), the first case that applies:
    on an FSMC parameter (a key of instruments.FSMC_SEVERITY_CUTOFFS), instruments.category of
    the value by that parameter's cutoffs and FSMC_SEVERITY_LABELS (null when the value is);
    null on the other parameters."""
    return pl.coalesce(
        pl.when(pl.col("PARAMCD") == paramcd).then(
            category(pl.col(value), cutoffs, FSMC_SEVERITY_LABELS))
        for paramcd, cutoffs in FSMC_SEVERITY_CUTOFFS.items())


def derive_var_avalcat1() -> pl.Expr:
    """AVALCAT1 = fsmc_severity of AVAL (FSMC parameters; null elsewhere)."""
    return fsmc_severity("AVAL")


def derive_var_basecat1() -> pl.Expr:
    """BASECAT1 = fsmc_severity of BASE (FSMC parameters; null elsewhere and without BASE)."""
    return fsmc_severity("BASE")


def is_edss_evaluated() -> pl.Expr:
    """The EDSS records that can show an improvement: post-baseline ANLFL = Y with BASE."""
    return ((pl.col("PARAMCD") == EDSS) & is_analysed_post_baseline()
            & pl.col("BASE").is_not_null())


def derive_var_crit1fl(records: pl.DataFrame) -> pl.Series:
    """CRIT1FL = confirmed EDSS improvement, per record (FLAG; records sorted by PARAM_KEY and
    AVISITN, one record per visit), the first case that applies:
    - null on records that are not is_edss_evaluated;
    - Y when the record is improved (instruments.is_edss_improved of BASE and AVAL) and so is
      the parameter's next is_edss_evaluated record (by AVISITN);
    - N otherwise (not improved, or the last evaluated record, or the next not improved)."""
    evaluated = (records.lazy().select(*PARAM_KEY, "BASE", "AVAL", evaluated=is_edss_evaluated())
                 .with_row_index(ROW).filter("evaluated")
                 .with_columns(improved=is_edss_improved(pl.col("BASE"), pl.col("AVAL"))))
    flags = evaluated.select(
        ROW, CRIT1FL=yes_no_expr(pl.col("improved")
                                 & pl.col("improved").shift(-1).over(PARAM_KEY).fill_null(False))
    ).collect()
    column = pl.repeat(None, len(records), dtype=FLAG, eager=True).alias("CRIT1FL")
    return column.scatter(flags[ROW], flags["CRIT1FL"])


def is_in_adqs(day0: pl.DataFrame) -> pl.Expr:
    """The qs rows ADQS is derived from: every row of a treated subject (in day0), and the
    BASELINE visit rows of a never-treated subject."""
    return (pl.col("USUBJID").is_in(day0["USUBJID"].implode())
            | pl.col("VISIT").is_in(BASELINE_VISITS))


def derive_adqs(
    qs: pl.DataFrame, day0: pl.DataFrame, exclude_out_of_window: bool = False
) -> tuple[pl.DataFrame, list[dict]]:
    """ADQS (module docstring) and its exclusion rows. qs: typed qs; day0: USUBJID, TRTSDT (the
    first infusion of each treated subject). Rows sorted by USUBJID, RESPONDENT, PARAMCD,
    AVISITN (string order, missing first; AVISIT in visit order)."""
    day0 = with_subject_type(day0, qs.schema["USUBJID"])
    # eager steps, each adding columns to the records (one chunk a column throughout)
    adqs = (
        _sorted_records(qs.lazy().filter(is_in_adqs(day0)))
        .with_columns(TRTSDT=derive_var_trtsdt(day0))
        .with_columns(AVISITN=derive_var_avisitn(), ADY=derive_var_ady())
        .with_columns(AWINFL=yes_no_expr(is_in_window()), ABLFL=yes_no_expr(is_baseline()),
                      ANLFL=yes_no_expr(is_analysed(exclude_out_of_window)))
    )
    assert_unique(adqs, [*PARAM_KEY, "AVISIT"], "record per visit")
    assert_unique(adqs.filter(pl.col("ABLFL") == "Y"), PARAM_KEY, "baseline record (ABLFL Y)")
    adqs = with_parameter_values(adqs, BASE=derive_var_base(), LASTVISN=last_analysed_visit())
    adqs = adqs.with_columns(EOSFL=yes_no_expr(derive_var_eosfl()), CHG=derive_var_chg(),
                             AVALCAT1=derive_var_avalcat1(), BASECAT1=derive_var_basecat1())
    crit1fl = derive_var_crit1fl(adqs)
    adqs = adqs.with_columns(
        crit1fl, CRIT1=pl.when(crit1fl.is_not_null()).then(pl.lit(EDSS_CRITERION,
                                                                   dtype=CRITERION_TYPE)))
    return adqs.drop("TRTSDT", "LASTVISN"), _exclusions(qs, day0, adqs, exclude_out_of_window)


def _sorted_records(qs: QsRows) -> pl.DataFrame:
    """The scores of qs and the spec.SUM_PARAMETERS as ADQS records (PARCAT, PARAMCD, AVISIT, ADT,
    AVAL, QSORIG), sorted by USUBJID, RESPONDENT, PARAMCD, AVISIT (visit order = AVISITN's)."""
    scores = scores_of_administrations(qs).with_columns(pl.col("QSTESTCD").cast(PARAMCD_TYPE))
    sums = [derive_param_sum(scores, code).lazy() for code in spec.SUM_PARAMETERS]
    return (
        pl.concat([scores.lazy(), *sums])
        .with_columns(pl.col("VISIT").cast(VISIT_TYPE))
        .rename({"QSCAT": "PARCAT", "QSTESTCD": "PARAMCD", "VISIT": "AVISIT", "QSDTC": "ADT",
                 "QSSTRESN": "AVAL"})
        .sort([*PARAM_KEY, "AVISIT"], nulls_last=False)
        .collect(engine="in-memory")  # one chunk a column (the streaming engine's are many)
    )


def _exclusions(qs: pl.DataFrame, day0: pl.DataFrame, adqs: pl.DataFrame,
                exclude_out_of_window: bool) -> list[dict]:
    """The exclusion rows of ADQS: records left out, or kept but flagged, and why."""
    untreated_qs = (qs.lazy().filter(~is_in_adqs(day0)).select("USUBJID")
                    .collect(engine="streaming"))
    never_treated = pl.col("TRTSDT").is_null()
    no_value = pl.col("AVAL").is_null()
    window_out = is_out_of_window()
    reasons = {
        "baseline of never-treated subjects: ENR baseline characteristics only":
            (pl.col("ABLFL") == "Y") & never_treated,
        "score missing: items do not allow scoring": no_value & (pl.col("QSORIG") == DERIVED),
        "score missing: collected score left empty": no_value & (pl.col("QSORIG") == COLLECTED),
        "BASELINE visit after elapsed day 0 or undated: not a baseline": is_late_baseline(),
        "post-baseline record outside its visit window: excluded by switch":
            window_out & exclude_out_of_window,
        "post-baseline record outside its visit window: kept, flagged":
            window_out & (not exclude_out_of_window),
        "post-baseline value without baseline: no change from baseline":
            is_analysed_post_baseline() & pl.col("BASE").is_null(),
    }
    # a parameter has an analysed post-baseline record if and only if it has one EOSFL = Y record
    with_post = adqs.lazy().filter(pl.col("EOSFL") == "Y").select(PARAM_KEY)
    baseline_only = (adqs.lazy().filter(pl.col("ABLFL") == "Y").select(PARAM_KEY)
                     .join(with_post, on=PARAM_KEY, how="anti").collect())
    return [
        exclusion("ADQS", "qs rows of never-treated subjects after BASELINE (no elapsed day 0)",
                  untreated_qs),
        *(exclusion("ADQS", reason, adqs.lazy().filter(rule).select("USUBJID").collect())
          for reason, rule in reasons.items()),
        exclusion("ADQS", "baseline without post-baseline value: no change from baseline",
                  baseline_only),
    ]
