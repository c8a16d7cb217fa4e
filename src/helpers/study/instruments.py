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

import math
from collections.abc import Callable, Iterable

import polars as pl

from helpers.study import spec
from helpers.study.spec import LINE

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
#: QSORIG's type: one byte a row
ORIGIN = pl.Enum([COLLECTED, DERIVED])
SCORE_COLUMNS = ["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "VISIT", "QSDTC", "QSSTRESN",
                 "QSORIG"]
ROUND_DECIMALS = 9  # float noise (100*5/36 - 100*3/36) is removed before comparisons
#: every score code of every instrument (the QSTESTCD of a score row), sorted
SCORE_CODES = sorted(code for ins in spec.INSTRUMENTS.values() for code in ins.scores)
#: a score's QSTESTCD and QSCAT types: every score code and instrument, in string order
SCORE_CODE_TYPE = pl.Enum(SCORE_CODES)
INSTRUMENT_TYPE = pl.Enum(sorted(spec.INSTRUMENTS))
#: key of one score of one administration, most significant first (= output row order)
SCORE_KEY = ["USUBJID", "RESPONDENT", "QSTESTCD", "VISIT", "QSCAT"]
#: one administration of an instrument
ADMINISTRATION = ["USUBJID", "RESPONDENT", "VISIT"]
#: typed qs (helpers.data.schemas.polars_typed_frame), or a lazy selection of its rows
QsRows = pl.DataFrame | pl.LazyFrame


def item_codes(qscat: str, numbers: Iterable[int]) -> tuple[str, ...]:
    """Item codes of an instrument by item number, e.g. ("FSMC01", "FSMC04")."""
    prefix = next(iter(spec.INSTRUMENTS[qscat].items))[:-2]
    return tuple(f"{prefix}{i:02d}" for i in numbers)


# --- Scores as expressions over the item rows of one administration -----------------------------
# Each expression is evaluated in a group_by over the administrations (USUBJID, RESPONDENT, VISIT)
# of one instrument's item rows: pl.col("QSTESTCD") is the item code, pl.col("QSSTRESN") its value
# (null when not answered). Each is a sum over the rows (the engine's fast aggregation).
def is_answered(items: tuple[str, ...]) -> pl.Expr:
    """The row is one of `items` and answered."""
    return pl.col("QSTESTCD").is_in(list(items)) & pl.col("QSSTRESN").is_not_null()


def n_answered(items: tuple[str, ...]) -> pl.Expr:
    """How many of `items` are answered."""
    return is_answered(items).sum()


def sum_answered(items: tuple[str, ...]) -> pl.Expr:
    """Sum of the answered items among `items`."""
    return pl.when(is_answered(items)).then(pl.col("QSSTRESN")).sum()


def prorated_sum(items: tuple[str, ...], max_missing: int) -> pl.Expr:
    """Sum of `items`; with 1..max_missing items missing, each is imputed by the mean of the
    answered items; with more missing (or none answered), null."""
    n_missing = len(items) - n_answered(items)
    total = sum_answered(items)
    return (pl.when((n_missing <= max_missing) & (n_answered(items) > 0))
            .then(total + n_missing * (total / n_answered(items))))


def msis_subscale(items: tuple[str, ...]) -> pl.Expr:
    """MSIS-29 subscale 0-100 = 100 x (sum - n) / (4n), n = items of the subscale; missing items
    imputed by the answered items' mean when at most MSIS_MAX_MISSING_FRACTION are missing."""
    n = len(items)
    max_missing = math.floor(n * MSIS_MAX_MISSING_FRACTION)
    # 4n as a per-administration value, not a constant: Polars divides by a constant as a product
    # with its reciprocal, up to 1 ULP off the IEEE 754 quotient (pola-rs/polars#23741)
    four_n = 4.0 * (n_answered(items) + (n - n_answered(items)))
    return 100.0 * (prorated_sum(items, max_missing) - n) / four_n


def rescaled_sum(items: tuple[str, ...], max_missing: int) -> pl.Expr:
    """TSQM domain 0-100 = (sum of answered items - their lowest possible sum) / (their highest
    possible sum - their lowest possible sum) x 100; null with more than max_missing missing."""
    ranges = spec.INSTRUMENTS["TSQM"].items

    def possible_sum(end: int) -> pl.Expr:  # end 0: lowest, 1: highest
        return pl.sum_horizontal(float(ranges[code][end]) * n_answered((code,)) for code in items)

    lowest, highest = possible_sum(0), possible_sum(1)
    return (pl.when((len(items) - n_answered(items) <= max_missing) & (n_answered(items) > 0))
            .then(100.0 * (sum_answered(items) - lowest) / (highest - lowest)))


def is_code_repeated(codes: Iterable[str]) -> pl.Expr:
    """One of `codes` (QSTESTCD) is given more than once (a sum per code: cheaper than distinct
    counts)."""
    return pl.any_horizontal((pl.col("QSTESTCD") == code).sum() > 1 for code in codes)


def item_value(code: str) -> pl.Expr:
    """The value of one item (null when absent or not answered; an item is given at most once
    per administration)."""
    return pl.when(pl.col("QSTESTCD") == code).then(pl.col("QSSTRESN")).max()


# --- The scores, one named derivation each (instruments.md) ----------------------------------
def derive_param_fsmctot() -> pl.Expr:
    """FSMC total = sum of items 1-20 (none missing: FSMC_MAX_MISSING)."""
    return prorated_sum(item_codes("FSMC", range(1, 21)), FSMC_MAX_MISSING)


def derive_param_fsmccog() -> pl.Expr:
    """FSMC cognitive = sum of its ten items (FSMC_SUBSCALE_ITEMS), none missing."""
    return prorated_sum(item_codes("FSMC", FSMC_SUBSCALE_ITEMS["FSMCCOG"]), FSMC_MAX_MISSING)


def derive_param_fsmcmot() -> pl.Expr:
    """FSMC motor = sum of its ten items (FSMC_SUBSCALE_ITEMS), none missing."""
    return prorated_sum(item_codes("FSMC", FSMC_SUBSCALE_ITEMS["FSMCMOT"]), FSMC_MAX_MISSING)


def derive_param_bditot() -> pl.Expr:
    """BDI-II total = sum of items 1-21 (none missing: BDI_MAX_MISSING)."""
    return prorated_sum(item_codes("BDI-II", range(1, 22)), BDI_MAX_MISSING)


def derive_param_msisphys() -> pl.Expr:
    """MSIS-29 physical = items 1-20 as msis_subscale."""
    return msis_subscale(item_codes("MSIS-29", range(1, 21)))


def derive_param_msispsy() -> pl.Expr:
    """MSIS-29 psychological = items 21-29 as msis_subscale."""
    return msis_subscale(item_codes("MSIS-29", range(21, 30)))


def derive_param_tsqmeff() -> pl.Expr:
    """TSQM effectiveness = items 1-3 rescaled (rescaled_sum), one may be missing."""
    return rescaled_sum(item_codes("TSQM", (1, 2, 3)), TSQM_MAX_MISSING_PER_DOMAIN)


def derive_param_tsqmse() -> pl.Expr:
    """TSQM side effects = 100 when item 4 = no side effects (TSQM_NO_SIDE_EFFECTS), else items
    5-8 rescaled (rescaled_sum), one may be missing."""
    from_items = rescaled_sum(item_codes("TSQM", (5, 6, 7, 8)), TSQM_MAX_MISSING_PER_DOMAIN)
    no_side_effects = item_value("TSQM04") == TSQM_NO_SIDE_EFFECTS
    return pl.when(no_side_effects).then(100.0).otherwise(from_items)


def derive_param_tsqmcon() -> pl.Expr:
    """TSQM convenience = items 9-11 rescaled (rescaled_sum), one may be missing."""
    return rescaled_sum(item_codes("TSQM", (9, 10, 11)), TSQM_MAX_MISSING_PER_DOMAIN)


def derive_param_tsqmglo() -> pl.Expr:
    """TSQM global satisfaction = items 12-14 rescaled (rescaled_sum), one may be missing."""
    return rescaled_sum(item_codes("TSQM", (12, 13, 14)), TSQM_MAX_MISSING_PER_DOMAIN)


def derive_param_zbitot() -> pl.Expr:
    """ZBI total = sum of items 1-22 (none missing: ZBI_MAX_MISSING)."""
    return prorated_sum(item_codes("ZBI", range(1, 23)), ZBI_MAX_MISSING)


ScoreRule = Callable[[], pl.Expr]
#: instrument -> score code -> its derivation from the instrument's items
SCORING_RULES: dict[str, dict[str, ScoreRule]] = {
    "FSMC": {"FSMCTOT": derive_param_fsmctot, "FSMCCOG": derive_param_fsmccog,
             "FSMCMOT": derive_param_fsmcmot},
    "BDI-II": {"BDITOT": derive_param_bditot},
    "MSIS-29": {"MSISPHYS": derive_param_msisphys, "MSISPSY": derive_param_msispsy},
    "TSQM": {"TSQMEFF": derive_param_tsqmeff, "TSQMSE": derive_param_tsqmse,
             "TSQMCON": derive_param_tsqmcon, "TSQMGLO": derive_param_tsqmglo},
    "ZBI": {"ZBITOT": derive_param_zbitot},
}
#: score codes of the instruments scored from their items (SCORING_RULES)
ITEM_SCORE_CODES = [code for rules in SCORING_RULES.values() for code in rules]


def derived_scores(qs: QsRows) -> pl.DataFrame:
    """Scores from items: per administration (USUBJID, RESPONDENT, VISIT) holding an item row of
    a scored instrument (QSCAT = the instrument, QSTESTCD one of its items), one row per score of
    the instrument (derived null when the items do not allow scoring). Columns SCORE_KEY
    (QSTESTCD SCORE_CODE_TYPE, QSCAT INSTRUMENT_TYPE, the others of qs's types), derived,
    derived_dtc (earliest item date). An item given twice in one administration is an error
    (ValueError)."""
    frames = []
    for qscat, rules in SCORING_RULES.items():
        item_rows = qs.lazy().filter(
            (pl.col("QSCAT") == qscat)
            & pl.col("QSTESTCD").is_in(list(spec.INSTRUMENTS[qscat].items)))
        scores = item_rows.group_by(ADMINISTRATION).agg(
            pl.col("QSDTC").min().alias("derived_dtc"),
            is_code_repeated(spec.INSTRUMENTS[qscat].items).alias("repeated_item"),
            *(rule().cast(pl.Float64).alias(code) for code, rule in rules.items())
        ).collect(engine="streaming")
        if scores["repeated_item"].any():
            raise ValueError("qs has an item more than once in one administration")
        frames.append(
            scores.unpivot(index=[*ADMINISTRATION, "derived_dtc"], on=list(rules),
                           variable_name="QSTESTCD", value_name="derived")
            .select(*ADMINISTRATION, pl.col("QSTESTCD").cast(SCORE_CODE_TYPE),
                    QSCAT=pl.lit(qscat, dtype=INSTRUMENT_TYPE), derived="derived",
                    derived_dtc="derived_dtc")
            .select(*SCORE_KEY, "derived", "derived_dtc"))
    return pl.concat(frames)


def _score_rows(qs: QsRows) -> pl.LazyFrame:
    """The score rows of qs (QSTESTCD a score code), QSTESTCD and QSCAT as the scores' types."""
    return qs.lazy().filter(pl.col("QSTESTCD").is_in(SCORE_CODES)).with_columns(
        pl.col("QSTESTCD").cast(SCORE_CODE_TYPE), pl.col("QSCAT").cast(INSTRUMENT_TYPE))


def collected_scores(qs: QsRows) -> pl.DataFrame:
    """Score rows of qs (QSTESTCD a score code): SCORE_KEY (as derived_scores), collected,
    collected_dtc, collected_row (True: a score row is there; null after a join where there is
    none). A score given twice in one administration is an error (ValueError)."""
    rows = _score_rows(qs)
    repeated = (rows.group_by([*ADMINISTRATION, "QSCAT"])
                .agg(repeated=is_code_repeated(SCORE_CODES)).filter("repeated")
                .collect(engine="streaming"))
    if not repeated.is_empty():
        raise ValueError("qs has a score more than once in one administration")
    return rows.select(*SCORE_KEY, collected="QSSTRESN", collected_dtc="QSDTC",
                       collected_row=pl.lit(True)).collect(engine="streaming")


def derived_and_collected(qs: QsRows) -> pl.LazyFrame:
    """Every score of every administration, derived and collected side by side (a full join on
    SCORE_KEY; collected_row null where no score row was collected), rows in no set order.
    Only scores of instruments scored from items (ITEM_SCORE_CODES) can have both: the other
    collected scores are added beside the join (derived null), so the join holds only the
    former. Lazy, so that the caller's selection is computed in the same pass."""
    collected = collected_scores(qs).lazy()
    of_items = pl.col("QSTESTCD").is_in(ITEM_SCORE_CODES)
    both = derived_scores(qs).lazy().join(collected.filter(of_items), on=SCORE_KEY, how="full",
                                          coalesce=True, nulls_equal=True)
    return pl.concat([both, collected.filter(~of_items)], how="diagonal")


def scores_of_administrations(qs: QsRows) -> pl.DataFrame:
    """score_questionnaires' rows in no set order (for a caller that sorts them its own way)."""
    both = derived_and_collected(qs)
    use_derived = pl.col("derived").is_not_null() | pl.col("collected_row").is_null()
    return both.select(
        *SCORE_KEY,
        QSDTC=pl.when(use_derived).then("derived_dtc").otherwise("collected_dtc"),
        QSSTRESN=pl.when(use_derived).then("derived").otherwise("collected"),
        QSORIG=pl.when(use_derived).then(pl.lit(DERIVED, dtype=ORIGIN))
        .otherwise(pl.lit(COLLECTED, dtype=ORIGIN)),
    ).select(SCORE_COLUMNS).collect(engine="streaming")


def score_questionnaires(qs: pl.DataFrame) -> pl.DataFrame:
    """One row per USUBJID x RESPONDENT x VISIT x score code of typed qs (columns SCORE_COLUMNS).

    QSSTRESN = the score derived from items where the items allow scoring (QSORIG DERIVED), else
    the collected score row (QSORIG COLLECTED, null when left empty); administrations whose items
    do not allow scoring and carry no collected score keep a row with QSSTRESN null and QSORIG
    DERIVED, so that the caller can count them. QSDTC: earliest item date (DERIVED) or the score
    row's date (COLLECTED). Rows sorted by USUBJID, RESPONDENT, QSTESTCD, VISIT (string order,
    missing first).
    """
    return scores_of_administrations(qs).sort(SCORE_KEY, nulls_last=False)


def collected_score_disagreements(qs: pl.DataFrame) -> pl.DataFrame:
    """Collected scores beside items that allow scoring, differing from the derived score by more
    than SCORE_AGREEMENT_TOLERANCE (missing collected value beside a derived one: not a
    disagreement). `qs` has _LINE (a row's line in its file). Columns USUBJID, RESPONDENT,
    VISIT, QSTESTCD, _LINE (the collected score row's), collected, derived, rows by _LINE.

    Only administrations (USUBJID, RESPONDENT, VISIT, QSCAT) that hold a collected score of an
    instrument scored from items can disagree, so only their rows are scored."""
    administration = [*ADMINISTRATION, "QSCAT"]
    with_collected = qs.lazy().filter(pl.col("QSTESTCD").is_in(ITEM_SCORE_CODES))
    rows = qs.lazy().join(with_collected.select(administration).unique(), on=administration,
                          how="semi", nulls_equal=True).collect(engine="streaming")
    difference = (pl.col("collected") - pl.col("derived")).abs().round(ROUND_DECIMALS)
    # a score row's key is unique (collected_scores), so each disagreement has one line
    line_of_score = _score_rows(rows).select(*SCORE_KEY, LINE)
    return (derived_and_collected(rows)
            .filter(difference > SCORE_AGREEMENT_TOLERANCE)
            .join(line_of_score, on=SCORE_KEY, how="left", nulls_equal=True)
            .select("USUBJID", "RESPONDENT", "VISIT", "QSTESTCD", LINE, "collected", "derived")
            .sort(LINE).collect(engine="streaming"))


# --- categories ----------------------------------------------------------------------------------
def category(value: pl.Expr, cutoffs: tuple[float, ...], labels: tuple[str, ...]) -> pl.Expr:
    """The category of `value` (type pl.Enum(labels)), the first case that applies:
    labels[-1] from the last cutoff (inclusive); labels[i] from cutoffs[i-1] (inclusive) up to
    cutoffs[i]; labels[0] below cutoffs[0]; null when `value` is null."""
    def label(i: int) -> pl.Expr:
        return pl.lit(labels[i], dtype=pl.Enum(list(labels)))

    chain = pl.when(value >= cutoffs[-1]).then(label(len(cutoffs)))
    for i in range(len(cutoffs) - 1, 0, -1):
        chain = chain.when(value >= cutoffs[i - 1]).then(label(i))
    return chain.when(value.is_not_null()).then(label(0))


# --- EDSS improvement ----------------------------------------------------------------------------
def edss_required_decrease(base: pl.Expr) -> pl.Expr:
    """Decrease from baseline that is an EDSS improvement (project rule), the first case that
    applies: EDSS_IMPROVEMENT_HIGH_BASELINE (0.5) when base >= EDSS_HIGH_BASELINE (5.5);
    EDSS_IMPROVEMENT (1.0) otherwise."""
    return (pl.when(base >= EDSS_HIGH_BASELINE).then(EDSS_IMPROVEMENT_HIGH_BASELINE)
            .otherwise(EDSS_IMPROVEMENT))


def is_edss_improved(base: pl.Expr, value: pl.Expr) -> pl.Expr:
    """An EDSS assessment is improved: base - value (rounded to ROUND_DECIMALS) >=
    edss_required_decrease(base); null when either is null."""
    return (base - value).round(ROUND_DECIMALS) >= edss_required_decrease(base)
