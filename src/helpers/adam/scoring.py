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
from helpers.codes import earliest_dates, key_ids, positions_in, row_keys, sorted_codes

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
SCORE_COLUMNS = ["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "VISIT", "QSDTC", "QSSTRESN",
                 "QSORIG"]
ROUND_DECIMALS = 9  # float noise (100*5/36 - 100*3/36) is removed before comparisons
#: every score code of every instrument (the QSTESTCD of a score row), sorted
SCORE_CODES = pd.Index(sorted(code for ins in spec.INSTRUMENTS.values() for code in ins.scores))
#: key of one score of one administration, most significant first (= output row order)
SCORE_KEY = ["USUBJID", "RESPONDENT", "QSTESTCD", "VISIT", "QSCAT"]


def item_codes(qscat: str, numbers: Iterable[int]) -> tuple[str, ...]:
    """Item codes of an instrument by item number, e.g. ("FSMC01", "FSMC04")."""
    prefix = next(iter(spec.INSTRUMENTS[qscat].items))[:-2]
    return tuple(f"{prefix}{i:02d}" for i in numbers)


def _block(wide: pd.DataFrame, items: tuple[str, ...]) -> np.ndarray:
    """The columns `items` of `wide` as a float array, NaN where not answered."""
    return wide.reindex(columns=list(items)).to_numpy(dtype="float64")


def _where(ok: np.ndarray, value: np.ndarray, wide: pd.DataFrame) -> pd.Series:
    return pd.Series(np.where(ok, value, np.nan), index=wide.index)


def prorated_sum(wide: pd.DataFrame, items: tuple[str, ...], max_missing: int) -> pd.Series:
    """Sum of `items`; with 1..max_missing items missing, each is imputed by the mean of the
    answered items; with more missing, NaN."""
    block = _block(wide, items)
    n_answered = (~np.isnan(block)).sum(axis=1)
    n_missing = len(items) - n_answered
    answered_sum = np.nansum(block, axis=1)
    mean = answered_sum / np.maximum(n_answered, 1)
    ok = (n_missing <= max_missing) & (n_answered > 0)
    return _where(ok, answered_sum + n_missing * mean, wide)


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
    low, high = (np.array([ranges[c][i] for c in items], dtype="float64") for i in (0, 1))
    answered = ~np.isnan(block)
    lowest, highest = answered @ low, answered @ high
    n_answered = answered.sum(axis=1)
    ok = (len(items) - n_answered <= max_missing) & (n_answered > 0)
    with np.errstate(invalid="ignore", divide="ignore"):  # no item answered: not ok anyway
        value = 100.0 * (np.nansum(block, axis=1) - lowest) / (highest - lowest)
    return _where(ok, value, wide)


def tsqm_side_effects(wide: pd.DataFrame) -> pd.Series:
    """TSQM side effects: 100 when item 4 = no (TSQM_NO_SIDE_EFFECTS), else items 5-8 rescaled."""
    from_items = rescaled_sum(wide, item_codes("TSQM", (5, 6, 7, 8)), TSQM_MAX_MISSING_PER_DOMAIN)
    no_side_effects = _block(wide, ("TSQM04",))[:, 0] == TSQM_NO_SIDE_EFFECTS
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


class _Coded:
    """qs as integer codes: one int64 key per column combination, decodable back to columns.

    Codes are shifted by one so that a missing value (-1) has its own place in a key."""

    def __init__(self, qs: pd.DataFrame) -> None:
        coded = {c: sorted_codes(qs[c]) for c in ("USUBJID", "RESPONDENT", "QSCAT", "VISIT",
                                                   "QSTESTCD")}
        self.codes = {c: codes for c, (codes, _) in coded.items()}
        self.categories = {c: cats for c, (_, cats) in coded.items()}
        # score rows are keyed by their score code (position in SCORE_CODES)
        self.test_codes, self.test_categories = coded["QSTESTCD"]
        self.codes["QSTESTCD"] = positions_in(self.test_categories, SCORE_CODES)[self.test_codes]
        self.categories["QSTESTCD"] = SCORE_CODES
        self.value = qs["QSSTRESN"].to_numpy(dtype="float64")
        self.date = qs["QSDTC"].to_numpy(dtype="datetime64[ns]")
        self.line = qs["_LINE"].to_numpy()

    def shape(self, columns: list[str]) -> tuple[int, ...]:
        return tuple(len(self.categories[c]) + 1 for c in columns)

    def key(self, columns: list[str], codes: dict[str, np.ndarray]) -> np.ndarray:
        """One int64 per row of `codes`, ordered like the columns (first most significant)."""
        return np.ravel_multi_index([codes[c] + 1 for c in columns], self.shape(columns))

    def decode(self, columns: list[str], key: np.ndarray) -> dict[str, np.ndarray]:
        """Inverse of `key`: the codes of each column."""
        return dict(zip(columns, (c - 1 for c in np.unravel_index(key, self.shape(columns))),
                        strict=True))

    def column(self, name: str, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=self.categories[name])


def _items_wide(coded: _Coded, rows: np.ndarray, position: np.ndarray, n_items: int,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Item rows of one instrument -> administrations (USUBJID, RESPONDENT, VISIT key, sorted),
    their values (one column per item, NaN when absent) and earliest item date."""
    admin_cols = ["USUBJID", "RESPONDENT", "VISIT"]
    admin_key = coded.key(admin_cols, {c: coded.codes[c][rows] for c in admin_cols})
    admins, admin = key_ids(admin_key)
    cell = admin * n_items + position
    if np.bincount(cell).max(initial=0) > 1:
        raise ValueError("qs has an item more than once in one administration")
    values = np.full(len(admins) * n_items, np.nan)
    values[cell] = coded.value[rows]
    earliest = earliest_dates(admin, coded.date[rows], len(admins))
    return admins, values.reshape(len(admins), n_items), earliest


def _derived(coded: _Coded) -> pd.DataFrame:
    """Scores from items: one row per administration with items x score code of the instrument
    (derived NaN when the items do not allow scoring); derived_dtc = earliest item date.
    Columns: key (SCORE_KEY), derived, derived_dtc."""
    frames = [pd.DataFrame({"key": np.zeros(0, "int64"), "derived": np.zeros(0),
                            "derived_dtc": np.zeros(0, "datetime64[ns]")})]
    # per row: the scored instrument its test code is an item of (-1: none), and its position
    item_of = [pd.Index(list(spec.INSTRUMENTS[qscat].items)) for qscat in SCORING_RULES]
    instrument_of_code = np.full(len(coded.test_categories) + 1, -1, dtype=np.int8)
    position_of_code = np.zeros(len(coded.test_categories) + 1, dtype=np.int8)
    for k, items in enumerate(item_of):
        position = positions_in(coded.test_categories, items)
        instrument_of_code[position >= 0] = k
        position_of_code[position >= 0] = position[position >= 0]
    row_instrument = instrument_of_code[coded.test_codes]
    for k, (qscat, rules) in enumerate(SCORING_RULES.items()):
        item_codes_ = item_of[k]
        instrument = coded.categories["QSCAT"].get_indexer([qscat])[0]
        rows = np.flatnonzero((row_instrument == k) & (coded.codes["QSCAT"] == instrument))
        if instrument < 0 or rows.size == 0:
            continue
        position = position_of_code[coded.test_codes[rows]].astype(np.intp)
        admins, values, earliest = _items_wide(coded, rows, position, len(item_codes_))
        wide = pd.DataFrame(values, columns=item_codes_)
        admin = coded.decode(["USUBJID", "RESPONDENT", "VISIT"], admins)
        for code, rule in rules.items():
            codes = {**admin, "QSCAT": np.full(len(admins), instrument),
                     "QSTESTCD": np.full(len(admins), SCORE_CODES.get_loc(code))}
            frames.append(pd.DataFrame({"key": coded.key(SCORE_KEY, codes),
                                        "derived": rule(wide).to_numpy(dtype="float64"),
                                        "derived_dtc": earliest}))
    return pd.concat(frames, ignore_index=True)


def _collected(coded: _Coded) -> pd.DataFrame:
    """Score rows of qs (QSTESTCD a score code): key (SCORE_KEY), collected, collected_dtc,
    _LINE."""
    rows = np.flatnonzero(coded.codes["QSTESTCD"] >= 0)
    return pd.DataFrame({
        "key": coded.key(SCORE_KEY, {c: coded.codes[c][rows] for c in SCORE_KEY}),
        "collected": coded.value[rows],
        "collected_dtc": coded.date[rows],
        "_LINE": coded.line[rows].astype("float64"),  # NaN beside derived-only scores
    })


_MISSING = {"f": np.nan, "M": np.datetime64("NaT", "ns"), "b": False}


def _scatter(size: int, at: np.ndarray, values: np.ndarray) -> np.ndarray:
    """An array of `size` missing values (NaN, NaT or False by dtype), `values` at `at`."""
    out = np.full(size, _MISSING[values.dtype.kind], dtype=values.dtype)
    out[at] = values
    return out


def _derived_and_collected(qs: pd.DataFrame) -> tuple[pd.DataFrame, _Coded]:
    """Every score of every administration, with its derived and collected value side by side
    (an outer join on the key, SCORE_KEY), sorted by key."""
    coded = _Coded(qs)
    derived, collected = _derived(coded), _collected(coded)
    all_keys = np.concatenate([derived["key"], collected["key"]])
    key = np.sort(all_keys)  # sorting beats hashing here; searchsorted finds each row's key
    key = np.concatenate([key[:1], key[1:][key[1:] != key[:-1]]])
    where = np.searchsorted(key, all_keys)
    at = {"derived": where[: len(derived)], "collected": where[len(derived):]}
    if np.bincount(at["collected"]).max(initial=0) > 1:
        raise ValueError("qs has a score more than once in one administration")
    has_collected = _scatter(len(key), at["collected"], np.ones(len(collected), dtype=bool))
    both = {"key": key, "has_collected": has_collected}
    for name, frame in (("derived", derived), ("collected", collected)):
        both |= {c: _scatter(len(key), at[name], frame[c].to_numpy())
                 for c in frame.columns.drop("key")}
    both = pd.DataFrame(both)
    return both, coded


def _key_columns(coded: _Coded, key: np.ndarray, columns: list[str]) -> dict[str, pd.Categorical]:
    codes = coded.decode(SCORE_KEY, key)
    return {c: coded.column(c, codes[c]) for c in columns}


def score_questionnaires(qs: pd.DataFrame) -> pd.DataFrame:
    """One row per USUBJID x RESPONDENT x VISIT x score code of typed qs.

    QSSTRESN = the score derived from items where the items allow scoring (QSORIG DERIVED), else
    the collected score row (QSORIG COLLECTED, NaN when left empty); administrations whose items
    do not allow scoring and carry no collected score keep a row with QSSTRESN NaN and QSORIG
    DERIVED, so that the caller can count them. QSDTC: earliest item date (DERIVED) or the score
    row's date (COLLECTED). Rows sorted by USUBJID, RESPONDENT, QSTESTCD, VISIT; the code
    columns are categorical (categories sorted).
    """
    both, coded = _derived_and_collected(qs)
    use_derived = both["derived"].notna() | ~both["has_collected"]
    out = pd.DataFrame({
        **_key_columns(coded, both["key"].to_numpy(), SCORE_KEY),
        "QSDTC": both["derived_dtc"].where(use_derived, both["collected_dtc"]),
        "QSSTRESN": both["derived"].where(use_derived, both["collected"]),
        "QSORIG": pd.Categorical.from_codes(np.where(use_derived, 0, 1), [DERIVED, COLLECTED]),
    })
    return out[SCORE_COLUMNS]


#: score codes of the instruments scored from their items (SCORING_RULES)
ITEM_SCORE_CODES = [code for rules in SCORING_RULES.values() for code in rules]


def _with_collected_item_scores(qs: pd.DataFrame) -> pd.DataFrame:
    """The rows of the administrations that hold a row of an ITEM_SCORE_CODES score."""
    admins, admin = key_ids(row_keys(qs[["USUBJID", "RESPONDENT", "VISIT", "QSCAT"]]))
    chosen = np.zeros(len(admins), dtype=bool)
    chosen[admin[qs["QSTESTCD"].isin(ITEM_SCORE_CODES).to_numpy()]] = True
    return qs[chosen[admin]]


def collected_score_disagreements(qs: pd.DataFrame) -> pd.DataFrame:
    """Collected scores beside items that allow scoring, differing from the derived score by more
    than SCORE_AGREEMENT_TOLERANCE (missing collected value beside a derived one: not a
    disagreement). Columns USUBJID, RESPONDENT, VISIT, QSTESTCD, _LINE, collected, derived.

    Only administrations (USUBJID, RESPONDENT, VISIT, QSCAT) that hold a collected score of an
    instrument scored from items can disagree, so only their rows are scored."""
    both, coded = _derived_and_collected(_with_collected_item_scores(qs))
    diff = (both["collected"] - both["derived"]).abs().round(ROUND_DECIMALS)
    bad = both[diff.gt(SCORE_AGREEMENT_TOLERANCE)]
    columns = ["USUBJID", "RESPONDENT", "VISIT", "QSTESTCD"]
    out = pd.DataFrame({
        **{c: np.asarray(v, dtype=object)
           for c, v in _key_columns(coded, bad["key"].to_numpy(), columns).items()},
        "_LINE": bad["_LINE"].to_numpy(dtype="int64"),
        "collected": bad["collected"].to_numpy(),
        "derived": bad["derived"].to_numpy(),
    })
    return out.sort_values("_LINE").reset_index(drop=True)


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
