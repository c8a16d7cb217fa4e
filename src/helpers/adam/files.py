"""The analysis datasets' documented columns, and their CSV files (write_adam, read_adam).

`COLUMNS` below is the one place where every dataset's columns are documented (name, kind,
definition); the derivations live in helpers.adam (derive, adsl, adqs, adae, adtte), the relapse
rule in helpers.adam.base, the time axis in helpers.study.time_axis, the instrument scores in
helpers.study.instruments. This module needs only pandas and the constants of helpers.study.spec,
so that a notebook reads the analysis datasets without importing the derivations.

Time axis: elapsed day 0 = first alemtuzumab EXSTDTC; months = days / 30.4375; study year k =
days in (365.25(k-1), 365.25k], day 0 in year 1. CSV files: rows sorted by the dataset's key,
columns in the order of COLUMNS, floats as their shortest round-trip text (reading the file
back gives the same float64, so a reviewer recomputing from the files gets our numbers), dates
YYYY-MM-DD, empty cell = missing, "\\n" line ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from helpers.study import spec

Kind = Literal["str", "num", "int", "date"]
DATE_FORMAT = "%Y-%m-%d"


@dataclass(frozen=True)
class Column:
    """One documented column of an analysis dataset."""

    name: str
    kind: Kind
    definition: str


def _cols(*rows: tuple[str, Kind, str]) -> tuple[Column, ...]:
    return tuple(Column(*row) for row in rows)


_YN = "Y/N"


def _population(code: str) -> str:
    """A population flag's definition: the population's (spec.POPULATIONS), Y/N."""
    return f"{code}: {spec.POPULATIONS[code].definition}, {_YN}"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


#: when an AE is infusion-associated (ADAE IARFL; the methods text quotes it)
IAR_WINDOW = (f"onset from the first to {_days(spec.IAR_DAYS_AFTER_INFUSION)} after the last "
              "infusion day of any alemtuzumab course")
COLUMNS: dict[str, tuple[Column, ...]] = {
    "adsl": _cols(
        ("USUBJID", "str", "patient id"),
        ("SITEID", "str", "site"),
        ("COUNTRY", "str", "ISO alpha-3 country"),
        ("SEX", "str", "F/M"),
        ("AGE", "num", "years at enrolment"),
        ("MSDURY", "num", "years since MS diagnosis"),
        ("NPRIORDMT", "num", "prior disease-modifying therapies"),
        ("RFICDT", "date", "informed consent (enrolment)"),
        ("TRTSDT", "date", "first alemtuzumab infusion = elapsed day 0; empty if never treated"),
        ("EOSDT", "date", "end of study (DSSTDTC)"),
        ("EOSDY", "num", "elapsed days of EOSDT"),
        ("EOSSTT", "str", "COMPLETED / DISCONTINUED / ONGOING (DSDECOD empty)"),
        ("DCSREAS", "str", "DSDECOD when not COMPLETED"),
        ("DSRAEFL", "str", "discontinued because of an adverse event: DSDECOD "
                           + " or ".join(spec.DSDECOD_AE) + ", " + _YN),
        ("DTHFL", "str", "Y when DTHDTC present"),
        ("DTHDT", "date", "date of death"),
        ("ENRFL", "str", f"ENR: {spec.POPULATIONS['ENR'].definition}: Y"),
        ("SAFFL", "str", _population("SAF")),
        ("FASFL", "str", _population("FAS") + " (post-baseline: analysed, ANLFL Y)"),
        ("COMPFL", "str", _population("COMP")),
        ("NALEMCRS", "num", "alemtuzumab courses in ex"),
        ("RETRTFL", "str", "a course >= 3 (retreatment), " + _YN),
        ("RETRTDY", "num", "elapsed day of the first course >= 3 start"),
        ("OTHTRTFL", "str", "another disease-modifying therapy in ex, " + _YN),
        ("NREL", "num", "relapses after day 0 and not after EOSDT (empty if never treated)"),
        ("YRSSTUDY", "num", "EOSDY / 365.25"),
        ("CGFL", "str", "caregiver row in cg.csv, " + _YN),
        ("CGPOPFL", "str", _population("CG")),
        ("CGSEX", "str", "caregiver sex"),
        ("CGAGE", "num", "caregiver age"),
        ("CGREL", "str", "caregiver relation to patient"),
        ("CGYEARS", "num", "years as caregiver"),
        ("CGEMPLOY", "str", "caregiver employment"),
        ("CGCHILD", "str", "children living at home, Y/N"),
    ),
    "adqs": _cols(
        ("USUBJID", "str", "patient id"),
        ("RESPONDENT", "str", "PATIENT / CAREGIVER"),
        ("PARCAT", "str", "instrument (QSCAT)"),
        ("PARAMCD", "str", "score code; plus HRPQWTOT, HRPQHTOT (sum of missed + reduced)"),
        ("AVISIT", "str", "scheduled visit"),
        ("AVISITN", "num", "target month of the visit"),
        ("ADT", "date", "assessment date (earliest item date for derived scores)"),
        ("ADY", "num", "elapsed days of ADT"),
        ("AVAL", "num", "score; empty when not derivable and not collected"),
        ("AVALCAT1", "str", "FSMC parameters: fatigue severity of AVAL (labels and cutoffs per "
                            "PARAMCD: instruments.FSMC_SEVERITY_LABELS, FSMC_SEVERITY_CUTOFFS, "
                            "lower bound inclusive); empty on other parameters or without AVAL"),
        ("BASE", "num", "AVAL of the baseline record, on every record of the parameter"),
        ("BASECAT1", "str", "FSMC parameters: fatigue severity of BASE (as AVALCAT1); empty on "
                            "other parameters or without BASE"),
        ("CHG", "num", "AVAL - BASE on post-baseline ANLFL Y records"),
        ("ABLFL", "str", "Y on the BASELINE visit record with AVAL on or before day 0"),
        ("EOSFL", "str", "Y on the post-baseline ANLFL Y record with the latest AVISITN"),
        ("AWINFL", "str", "Y when |ADY - 30.4375 x AVISITN| <= 31, N outside or undated"),
        ("QSORIG", "str", "DERIVED (from items or components) / COLLECTED (score given alone)"),
        ("ANLFL", "str", "N when AVAL empty, BASELINE visit after day 0 or undated, or "
                         "out-of-window post-baseline under the exclusion switch; else Y"),
        ("CRIT1", "str", "EDSS post-baseline ANLFL Y records with BASE: the criterion of CRIT1FL "
                         "(confirmed EDSS improvement); empty on other records"),
        ("CRIT1FL", "str", "on the records of CRIT1: Y when BASE - AVAL >= 1.0 (>= 0.5 when BASE "
                           ">= 5.5; instruments.EDSS_IMPROVEMENT, EDSS_HIGH_BASELINE) on this "
                           "record and on the next such record (by AVISITN), else N; empty on "
                           "other records"),
    ),
    "adae": _cols(
        ("USUBJID", "str", "patient id"),
        ("AESEQ", "num", "AE sequence number"),
        ("AEDECOD", "str", "MedDRA preferred term"),
        ("AEBODSYS", "str", "MedDRA system organ class"),
        ("AESEV", "str", "MILD / MODERATE / SEVERE"),
        ("AESER", "str", "serious, Y/N"),
        ("AEREL", "str", "related to alemtuzumab, Y/N"),
        ("AEOUT", "str", "outcome"),
        ("AEACN", "str", "action taken"),
        ("ASTDT", "date", "onset"),
        ("AENDT", "date", "end (empty if ongoing)"),
        ("ASTDY", "num", "elapsed days of onset"),
        ("TRTEMFL", "str", "treatment-emergent: ASTDY >= 0, " + _YN),
        ("AYEAR", "num", "study year of onset (day 0 in year 1); empty before day 0"),
        ("IARFL", "str", f"infusion-associated: {IAR_WINDOW}, " + _YN),
    ),
    "adtte": _cols(
        ("USUBJID", "str", "patient id"),
        ("PARAMCD", "str", "TTFSMCI (FAS), TTREL (SAF), RELY1-RELY3 (SAF in study at the start "
                           "of year k)"),
        ("PARAM", "str", "parameter label"),
        ("AVAL", "num", "months to event or censoring (TT*); relapses in year k (RELYk)"),
        ("CNSR", "num", "0 event, 1 censored; empty for RELYk"),
        ("ADY", "num", "elapsed day of event or censoring; RELYk: min(EOSDY, 365.25k)"),
    ),
    "exclusions": _cols(
        ("dataset", "str", "analysis dataset the records do not enter (or enter flagged)"),
        ("reason", "str", "why"),
        ("n_records", "int", "records concerned (qs rows, ADaM records or subjects)"),
        ("n_subjects", "int", "distinct subjects concerned"),
    ),
}
#: row order of each CSV
SORT_KEYS: dict[str, list[str]] = {
    "adsl": ["USUBJID"],
    "adqs": ["USUBJID", "RESPONDENT", "PARAMCD", "AVISITN", "ADY"],
    "adae": ["USUBJID", "AESEQ"],
    "adtte": ["USUBJID", "PARAMCD"],
    "exclusions": [],  # kept in derivation order (fixed list of reasons)
}


@dataclass(frozen=True)
class Adam:
    """The analysis datasets of one run, conformed (`conform`: columns of derive.COLUMNS, rows
    in SORT_KEYS order), as derive_adam and read_adam return them. Text columns are categorical
    from derive_adam (a few bytes per cell on a large study) and object from read_adam (what the
    notebooks use); the values are the same."""

    adsl: pd.DataFrame
    adqs: pd.DataFrame
    adae: pd.DataFrame
    adtte: pd.DataFrame
    exclusions: pd.DataFrame


def conform(df: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Documented columns in documented order and types, rows sorted by SORT_KEYS (text in
    string order, missing first). Text stays categorical or object (NaN when missing); a frame
    that already conforms comes back without its columns being copied."""
    cols = COLUMNS[dataset]
    if not df.index.equals(pd.RangeIndex(len(df))):
        df = df.reset_index(drop=True)
    typed = {c.name: _typed(df[c.name], c.kind) for c in cols}
    keys = pd.DataFrame({k: _string_order(typed[k]) for k in SORT_KEYS[dataset]})
    if _is_sorted(keys):
        return pd.DataFrame({c.name: _text(typed[c.name]) if c.kind == "str" else typed[c.name]
                             for c in cols}, copy=False)
    order = keys.sort_values(list(keys), kind="mergesort", na_position="first").index.to_numpy()
    return pd.DataFrame({c.name: _text(typed[c.name].take(order).reset_index(drop=True))
                         if c.kind == "str" else typed[c.name].to_numpy()[order] for c in cols})


def _is_sorted(keys: pd.DataFrame) -> bool:
    """Whether the rows are in the order of their columns (missing first; categorical by code)."""
    if keys.empty:  # no rows, or no sort keys
        return True
    earlier = np.zeros(len(keys) - 1, dtype=bool)  # row i < row i+1 on some earlier column
    tied = np.ones(len(keys) - 1, dtype=bool)  # row i == row i+1 on every column so far
    for column in keys:
        s = keys[column]
        values = s.cat.codes.to_numpy() if isinstance(s.dtype, pd.CategoricalDtype) else (
            np.nan_to_num(s.to_numpy(dtype="float64"), nan=-np.inf))
        this, following = values[:-1], values[1:]
        earlier |= tied & (this < following)
        tied &= this == following
    return bool((earlier | tied).all())


def _text(values: pd.Series) -> pd.Series | np.ndarray:
    """Categorical text as it is; other text as object, NaN when missing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    return values.astype(object).where(values.notna()).to_numpy()


def _typed(values: pd.Series, kind: Kind) -> pd.Series:
    """A column as its documented kind (no copy when it is already); text stays as it is."""
    if values.dtype == {"date": "datetime64[ns]", "num": "float64", "int": "int64"}.get(kind):
        return values
    if kind == "date":
        return pd.to_datetime(values, format=DATE_FORMAT).astype("datetime64[ns]", copy=False)
    if kind == "num":
        return pd.to_numeric(values).astype("float64", copy=False)
    if kind == "int":
        return pd.to_numeric(values).astype("int64", copy=False)
    return values


def _string_order(values: pd.Series) -> pd.Series:
    """A sort key: text as categorical with its categories in string order; numbers as they are."""
    if values.dtype == object:
        return values.astype("category")  # categories sorted
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if not categories.is_monotonic_increasing:
            return values.cat.reorder_categories(categories.sort_values())
    return values


def write_adam(adam: Adam, folder: Path) -> None:
    """adsl.csv, adqs.csv, adae.csv, adtte.csv, exclusions.csv in `folder` (created), with
    deterministic bytes: conformed columns and rows, floats as their shortest round-trip text
    (pandas' default), DATE_FORMAT, "\\n"."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for dataset in COLUMNS:
        getattr(adam, dataset).to_csv(
            folder / f"{dataset}.csv",
            index=False,
            date_format=DATE_FORMAT,
            lineterminator="\n",
            encoding="utf-8",
        )


def read_adam(folder: Path) -> Adam:
    """Inverse of write_adam: every cell typed per COLUMNS (dates parsed, empty = missing)."""
    frames = {}
    for dataset, cols in COLUMNS.items():
        raw = pd.read_csv(
            Path(folder) / f"{dataset}.csv",
            dtype={c.name: str for c in cols if c.kind in ("str", "date")},
            keep_default_na=False,
            na_values=[""],
            float_precision="round_trip",
            encoding="utf-8",
        )
        frames[dataset] = conform(raw, dataset)
    return Adam(**frames)
