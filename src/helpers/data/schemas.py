"""Per-column rules of data-spec.md as pandera schemas, one per file of a study data folder.

The schemas validate the *raw* cells (every cell a string, "" when empty) so that nothing is
coerced before it is checked; helpers.data.validate applies them to each column's distinct values
(every check is elementwise) and maps failures back to the rows. Each column is built by a
factory named after its data-spec type (text, code, integer, number, date); the factory
records that type in the column's metadata, which `typed_frame` uses to convert a validated frame.

Rules shared by every column: a cell holding a sentinel (spec.SENTINELS) is an error; an empty
cell is allowed unless the column is *required* (below); every other check ignores empty and
sentinel cells, so one bad cell gives one error.

Required (non-empty) columns: the keys (USUBJID everywhere, AESEQ, RESPONDENT, QSCAT, QSTESTCD,
VISIT), SITEID, the dates that place a row in time (RFICDTC, DSSTDTC, EXSTDTC, EXENDTC, QSDTC,
CESTDTC, AESTDTC), DSDECOD (empty = ongoing, an error in a final analysis), EXTRT, CEDECOD and the
AE terms (AETERM, AEDECOD, AEBODSYS). Everything else may be empty (data-spec: missing value =
empty cell). Rules across columns or files live in helpers.data.validate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import polars as pl

from helpers.data.csv_reader import LINE
from helpers.study import spec

Kind = Literal["text", "code", "int", "float", "date"]
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
DATE_FORMAT = "%Y-%m-%d"
#: data-spec accepts "other valid alpha-3 codes": any three upper-case letters is accepted
COUNTRY_PATTERN = r"[A-Z]{3}"


def distinct_values(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The distinct values of a column (object, NaN counted as a value) and, per row, the position
    of its value among them (pandas.factorize; a categorical column's own codes): a cell rule
    then runs once per distinct value."""
    if isinstance(s.dtype, pd.CategoricalDtype) and not s.hasnans:
        return s.cat.codes.to_numpy(), pd.Series(s.cat.categories.to_numpy(dtype=object))
    codes, values = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=False)
    return codes, pd.Series(values, dtype=object)


def _blank(s: pd.Series) -> pd.Series:
    """Empty or sentinel cells: skipped by the value checks (reported by their own checks)."""
    return s.eq("") | s.isin(spec.SENTINELS)


def to_number(s: pd.Series) -> pd.Series:
    """Strings -> float64; empty and unparseable cells -> NaN (callers report those)."""
    return pd.to_numeric(s.where(s.ne("")), errors="coerce").astype("float64")


def to_date(s: pd.Series) -> pd.Series:
    """Strings YYYY-MM-DD -> datetime64[ns]; empty, malformed and impossible dates -> NaT."""
    well_formed = s.str.fullmatch(DATE_PATTERN, na=False)
    return pd.to_datetime(s.where(well_formed), format=DATE_FORMAT, errors="coerce").astype(
        "datetime64[ns]"
    )


def _check(rule: str, ok: Callable[[pd.Series], pd.Series]) -> pa.Check:
    """A vectorised check passing empty and sentinel cells; `rule` completes "<COLUMN> ..."."""
    return pa.Check(lambda s: _blank(s) | ok(s), error=rule)


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" {low:g}-{high:g}"
    return "" if low is None else f" >= {low:g}"


def _in_range(x: pd.Series, low: float | None, high: float | None) -> pd.Series:
    return x.ge(-np.inf if low is None else low) & x.le(np.inf if high is None else high)


def _column(kind: Kind, checks: list[pa.Check], required: bool) -> pa.Column:
    base = [pa.Check(lambda s: ~s.isin(spec.SENTINELS), error="must not hold a sentinel code")]
    if required:
        base.append(pa.Check(lambda s: s.ne(""), error="is required (empty cell)"))
    return pa.Column(None, base + checks, metadata={"kind": kind})


def text(required: bool = False) -> pa.Column:
    """Free text."""
    return _column("text", [], required)


def code(codes: Iterable[str], required: bool = False, rule: str | None = None) -> pa.Column:
    """One of a code list, upper case exactly as listed; `rule` names a long list."""
    allowed = tuple(codes)
    check = _check(rule or f"must be one of {', '.join(allowed)}", lambda s: s.isin(allowed))
    return _column("code", [check], required)


def code_pattern(pattern: str, rule: str, required: bool = False) -> pa.Column:
    """A code that must match a regular expression (COUNTRY)."""
    return _column("code", [_check(rule, lambda s: s.str.fullmatch(pattern))], required)


def integer(
    low: float | None = None, high: float | None = None, required: bool = False
) -> pa.Column:
    """A whole number ("3" or "3.0") within [low, high]."""

    def ok(s: pd.Series) -> pd.Series:
        x = to_number(s)
        return np.isfinite(x) & x.eq(x.round()) & _in_range(x, low, high)

    return _column("int", [_check(f"must be an integer{_range_text(low, high)}", ok)], required)


def number(
    low: float | None = None, high: float | None = None, required: bool = False
) -> pa.Column:
    """A finite number within [low, high]."""

    def ok(s: pd.Series) -> pd.Series:
        x = to_number(s)
        return np.isfinite(x) & _in_range(x, low, high)

    return _column("float", [_check(f"must be a number{_range_text(low, high)}", ok)], required)


def date(required: bool = False) -> pa.Column:
    """An ISO 8601 calendar date YYYY-MM-DD that exists (no 2021-02-30)."""
    check = _check("must be a real date YYYY-MM-DD", lambda s: to_date(s).notna())
    return _column("date", [check], required)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "dm": pa.DataFrameSchema(
        {
            "USUBJID": text(required=True),
            "SITEID": text(required=True),
            "COUNTRY": code_pattern(
                COUNTRY_PATTERN, "must be an ISO alpha-3 code (3 upper-case letters)"
            ),
            "SEX": code(spec.SEX),
            "AGE": integer(18, 80),
            "MSDURY": number(0),
            "NPRIORDMT": integer(0),
            "RFICDTC": date(required=True),
            "DSDECOD": code(spec.DSDECOD, required=True),
            "DSSTDTC": date(required=True),
            "DTHDTC": date(),
        },
        name="dm",
    ),
    "ex": pa.DataFrameSchema(
        {
            "USUBJID": text(required=True),
            "EXTRT": text(required=True),
            "EXCOURSE": integer(1),
            "EXSTDTC": date(required=True),
            "EXENDTC": date(required=True),
            "EXDOSE": number(),
        },
        name="ex",
    ),
    "qs": pa.DataFrameSchema(
        {
            "USUBJID": text(required=True),
            "RESPONDENT": code(spec.RESPONDENTS, required=True),
            "QSCAT": code(spec.INSTRUMENTS, required=True),
            "QSTESTCD": code(
                spec.TESTCD_TO_QSCAT,
                required=True,
                rule="must be an item or score code of the data-spec instrument table",
            ),
            "QSSTRESN": number(),
            "VISIT": code(spec.VISITS, required=True),
            "QSDTC": date(required=True),
        },
        name="qs",
    ),
    "ce": pa.DataFrameSchema(
        {
            "USUBJID": text(required=True),
            "CEDECOD": code(spec.CEDECOD, required=True),
            "CESTDTC": date(required=True),
        },
        name="ce",
    ),
    "ae": pa.DataFrameSchema(
        {
            "USUBJID": text(required=True),
            "AESEQ": integer(required=True),
            "AETERM": text(required=True),
            "AEDECOD": text(required=True),
            "AEBODSYS": text(required=True),
            "AESEV": code(spec.AESEV),
            "AESER": code(spec.YES_NO),
            "AEREL": code(spec.YES_NO),
            "AESTDTC": date(required=True),
            "AEENDTC": date(),
            "AEOUT": code(spec.AEOUT),
            "AEACN": code(spec.AEACN),
        },
        name="ae",
    ),
    "cg": pa.DataFrameSchema(
        {
            "USUBJID": text(required=True),
            "CGSEX": code(spec.SEX),
            "CGAGE": integer(18, 100),
            "CGREL": code(spec.CGREL),
            "CGYEARS": number(0),
            "CGEMPLOY": code(spec.CGEMPLOY),
            "CGCHILD": code(spec.YES_NO),
        },
        name="cg",
    ),
}

#: data-spec columns of each file, in data-spec order
COLUMNS: dict[str, tuple[str, ...]] = {name: tuple(s.columns) for name, s in SCHEMAS.items()}


def empty_rows(raw: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is empty (blank lines, lines of commas): not data."""
    blank = np.ones(len(raw), dtype=bool)
    for column in raw.columns.drop(LINE):
        blank &= raw[column].eq("").to_numpy()
    return pd.Series(blank, index=raw.index)


def kind(file: str, column: str) -> Kind:
    """The data-spec type of a column."""
    return SCHEMAS[file].columns[column].metadata["kind"]


def _missing_text(values: pd.Series) -> pd.Series:
    return values.where(values.ne(""))


CONVERTERS: dict[Kind, Callable[[pd.Series], pd.Series]] = {
    "int": to_number,
    "float": to_number,
    "date": to_date,
    "code": _missing_text,
    "text": _missing_text,
}


def _as_category(cells: pd.Series, codes: np.ndarray, values: pd.Series) -> pd.Categorical:
    """Code or text cells (and their distinct values + codes) -> categorical, NaN when empty;
    a categorical column without empty cells is returned as it is (no copy)."""
    if isinstance(cells.dtype, pd.CategoricalDtype) and not cells.cat.categories.isin([""]).any():
        return cells.array
    keep = (values.notna() & values.ne("")).to_numpy()
    renumber = np.where(keep, np.cumsum(keep) - 1, -1).astype(codes.dtype)
    return pd.Categorical.from_codes(
        renumber[codes], categories=pd.Index(values[keep], dtype=object), validate=False
    )


def _converted(
    file: str, raw: pd.DataFrame, errors: Literal["raise", "coerce"]
) -> Iterator[tuple[str, np.ndarray, pd.Series, pd.Series]]:
    """Each data-spec column of a raw frame: name, row codes, distinct values and those values
    converted to the column's type (CONVERTERS). errors="raise" fails, once every column is
    converted, on a cell that does not convert (ValueError naming the columns)."""
    lost: list[str] = []
    for column in COLUMNS[file]:
        codes, values = distinct_values(raw[column])
        converted = CONVERTERS[kind(file, column)](values)
        lost_value = (converted.isna() & values.ne("")).to_numpy()
        if errors == "raise" and lost_value.any() and lost_value[codes].any():
            lost.append(column)
        yield column, codes, values, converted
    if lost:
        raise ValueError(f"{file}: cells that do not convert in {', '.join(lost)}")


def typed_frame(
    file: str,
    raw: pd.DataFrame,
    errors: Literal["raise", "coerce"],
) -> pd.DataFrame:
    """The data-spec columns of one raw frame (plus _LINE) converted to their types, same index.

    Dates -> datetime64[ns] (NaT when empty), int and float -> float64 (NaN when empty), codes and
    text -> categorical (NaN when empty). Each distinct value is converted once. errors="raise"
    fails on any cell that does not convert (use on validated data); "coerce" turns such cells
    into NaN/NaT (for cross-file checks on data whose bad cells are reported elsewhere).
    """
    out: dict[str, np.ndarray | pd.Categorical] = {}
    for column, codes, values, converted in _converted(file, raw, errors):
        if kind(file, column) in ("code", "text"):
            out[column] = _as_category(raw[column], codes, values)
        else:
            out[column] = converted.to_numpy()[codes]
    out[LINE] = raw[LINE].to_numpy()
    return pd.DataFrame(out, index=raw.index, copy=False)


def polars_typed_frame(
    file: str,
    raw: pd.DataFrame,
    errors: Literal["raise", "coerce"],
) -> pl.DataFrame:
    """typed_frame as a Polars frame (for the large qs): each column is its converted distinct
    values gathered by the rows' codes. Code and text -> Enum of the column's values in string
    order (a byte a cell for fewer than 256 values; sorts and groups by its integer codes, in text
    order), date -> Date, int and float -> Float64 (null when empty), _LINE as it is.

    No row is converted twice, and the gathers hold little besides their result (a whole-column
    gather held twice the typed qs at 100k patients): numbers are gathered by numpy, in an array
    that Polars takes over; the others by the streaming engine, a few hundred thousand rows at a
    time.
    """
    columns = []
    for column, codes, _, converted in _converted(file, raw, errors):
        if kind(file, column) in ("int", "float"):
            columns.append(pl.Series(column, converted.to_numpy()[codes], nan_to_null=True))
        else:
            columns.append(_gathered(column, _polars_values(kind(file, column), converted), codes))
    return pl.DataFrame([*columns, pl.Series(LINE, raw[LINE].to_numpy())])


def _gathered(name: str, values: pl.Series, codes: np.ndarray) -> pl.Series:
    """values[codes] in the streaming engine, as one chunk (a column of many chunks makes later
    rules join them over and over)."""
    return (pl.DataFrame({name: codes}).lazy().select(pl.lit(values).gather(name).alias(name))
            .collect(engine="streaming").to_series().rechunk())


def _polars_values(column_kind: Kind, converted: pd.Series) -> pl.Series:
    """Converted distinct code, text or date values (CONVERTERS) as a Polars Series of the
    column's type."""
    if column_kind == "date":
        return pl.Series(converted.to_numpy()).cast(pl.Date)
    dtype = pl.Enum(sorted(converted.dropna()))
    return pl.Series(converted.where(converted.notna(), None).tolist(), dtype=dtype)
