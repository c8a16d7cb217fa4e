"""What the readers of study data files in SAS transport (helpers.data.xpt) and CDISC
Dataset-JSON 1.1 (helpers.data.dataset_json) share: they read a file into the form that a CSV is
read into (helpers.data.csv_reader), so that one contract and the same messages apply whatever
the format (data-spec.md, File formats).

Each cell becomes the text that a CSV would hold (`cell_text`): a character value as it is, a SAS
missing or a JSON null as "" (empty), a number in its shortest round-trip form ("45", "3.5",
"0.3333333333333333"; an integral number without decimals). The texts are computed once per
distinct value of a column, never once per cell (`distinct_texts`, `text_column`). `_LINE` is
the record number (first data record = 1): the file has no lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers.data.csv_reader import LINE, code_dtype, line_dtype

#: the file endings a domain may have, in the order they are looked for
FORMATS = ("csv", "xpt", "json", "ndjson")
#: columns of RawTable.cell_errors
CELL_ERROR_COLUMNS = ["column", "line", "value", "rule"]


class FormatError(ValueError):
    """The file is not a readable XPT or Dataset-JSON file (str(e) says why)."""


@dataclass(frozen=True)
class RawTable:
    """One file read as text: `frame` has a categorical str column per contract column the file
    has, plus _LINE; `cell_errors` a row (column, line, value, rule) per cell that could not be
    read as text (a Dataset-JSON value that contradicts its column's dataType, an XPT text not
    valid in the encoding it is read in)."""

    frame: pd.DataFrame
    cell_errors: pd.DataFrame


def cell_text(value: Any) -> str:
    """The CSV text of one value, in order: "" for None or NaN; "true"/"false" for a boolean; a
    number in its shortest round-trip form (integral numbers below 2^53 without decimals); any
    other value as str() gives it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    return str(value)


#: one chunk of a column: per row the position of its value among the distinct texts (-1 =
#: missing, i.e. ""), and the distinct texts
Part = tuple[np.ndarray, Sequence[str]]


def factorized(values: np.ndarray | Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Per value the position of its distinct value (pandas.factorize: None and NaN are -1; codes
    in the smallest integer type), and the distinct values. Raises TypeError on an unhashable
    value."""
    array = values if isinstance(values, np.ndarray) else np.fromiter(values, object, len(values))
    codes, uniques = pd.factorize(array)
    return codes.astype(code_dtype(len(uniques))), uniques


def distinct_texts(values: np.ndarray | Sequence[Any]) -> Part:
    """The values of one column (or one chunk of it) as codes into their distinct texts
    (`factorized`; cell_text runs once per distinct value)."""
    codes, uniques = factorized(values)
    return codes, [cell_text(value) for value in uniques]


def text_column(parts: Sequence[Part]) -> pd.Categorical:
    """The parts of a column (distinct_texts of consecutive chunks) as one categorical str
    column, categories in order of first appearance and only those present ("" for a missing
    value)."""
    texts = np.array([t for _, part_texts in parts for t in part_texts] + [""], dtype=object)
    merged, categories = pd.factorize(texts)  # a text met in two chunks gets one code
    codes = np.empty(sum(len(c) for c, _ in parts), dtype=code_dtype(len(categories)))
    start = offset = 0
    for part_codes, part_texts in parts:
        # position -1 (missing) takes the last entry of the lookup: the code of ""
        lookup = np.append(merged[offset:offset + len(part_texts)], merged[-1])
        np.take(lookup, part_codes, out=codes[start:start + len(part_codes)])
        start, offset = start + len(part_codes), offset + len(part_texts)
    column = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object),
                                       validate=False)
    empty = merged[-1]
    return column if (codes == empty).any() else column.remove_categories(categories[empty])


def raw_frame(columns: dict[str, pd.Categorical], n_rows: int) -> pd.DataFrame:
    """The text columns plus _LINE, the record number (1..n_rows)."""
    frame = pd.DataFrame(columns, copy=False) if columns else pd.DataFrame(index=range(n_rows))
    frame[LINE] = np.arange(1, n_rows + 1, dtype=line_dtype(n_rows))
    return frame


def cell_errors(rows: Sequence[tuple[str, int, str, str]]) -> pd.DataFrame:
    """RawTable.cell_errors of (column, line, value, rule) tuples (the report sorts them)."""
    return pd.DataFrame(list(rows), columns=CELL_ERROR_COLUMNS)
