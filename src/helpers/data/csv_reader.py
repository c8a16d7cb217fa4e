"""Read one CSV of a study data folder into categorical string columns, nothing coerced.

Every cell stays the exact string of the file ("" when empty); each column is categorical, so
that each distinct string is stored once and every rule is checked once per distinct value.
pyarrow parses the file on all cores into dictionary-encoded columns (75M rows of qs.csv in a
few GiB); the strings are decoded from UTF-8 once per distinct value. The file is first parsed
as if it had no double quote (the faster parse); if it has one, it is parsed again by its quotes.

Line numbers (`_LINE`) are those of the file: the header is line 1 and a cell with line breaks
inside quotes moves the next rows down. A line with every cell empty is a row of "" (validation
warns about it). A row with more or fewer fields than the header is not read: it is returned as
a ragged row (its line and field count) for validation to report.
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from helpers.study.spec import LINE

#: bytes of the file parsed per task; several tasks run at once
BLOCK_BYTES = 1 << 24
#: every cell as dictionary-encoded bytes (decoded once per distinct value)
CELL_TYPE = pa.dictionary(pa.int32(), pa.binary())


class CsvFormatError(ValueError):
    """The file is not a comma-separated file with one header row (str(e) says why)."""


@dataclass(frozen=True)
class RawCsv:
    """One CSV: `frame` has a categorical str column per header name plus _LINE (`line_dtype`);
    `ragged` has a row (line, fields) per line whose field count differs from the header's."""

    frame: pd.DataFrame
    ragged: pd.DataFrame


def line_dtype(last_line: int) -> type[np.signedinteger]:
    """int32 for the line numbers of any file of fewer than 2^31 lines (half the memory of int64
    on 75M rows), else int64."""
    return np.int32 if last_line < np.iinfo(np.int32).max else np.int64


def header_names(path: Path) -> list[str]:
    """The header row's names. Raises UnicodeDecodeError (not UTF-8) or CsvFormatError (empty
    file, empty or repeated names)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        names = next(csv.reader(f), None)
    if not names:
        raise CsvFormatError("the file is empty")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated or "" in names:
        raise CsvFormatError(f"header names must be unique and non-empty: {repeated or ['']}")
    return names


def _parse(
    path: Path, names: list[str], threads: bool, quoting: bool
) -> tuple[pa.Table, list[tuple]]:
    """The rows with as many fields as the header, and (row number, fields, text) of the others.
    Row numbers (header = 1) are known only when `threads` is False. Without `quoting`, a double
    quote is an ordinary character (the faster parse, exact for a file that has none); with it, a
    quoted cell may hold commas and line breaks."""
    ragged: list[tuple] = []

    def keep_ragged(row: pacsv.InvalidRow) -> str:
        ragged.append((row.number, row.actual_columns, row.text))
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=threads, block_size=BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(
            quote_char='"' if quoting else False,
            newlines_in_values=quoting,
            ignore_empty_lines=False,
            invalid_row_handler=keep_ragged,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, CELL_TYPE), strings_can_be_null=False
        ),
    )
    return table, ragged


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """Dictionary-encoded bytes (one dictionary per parsed block) -> categorical str, categories
    in order of first appearance. Each block's codes are translated into the column's and written
    straight into the result, so that converting a column needs no more memory than its result.
    Raises UnicodeDecodeError on bad UTF-8."""
    chunks = [chunk for chunk in column.chunks if len(chunk)]
    values = [np.array([v.decode("utf-8") for v in c.dictionary.to_pylist()], dtype=object)
              for c in chunks]
    categories = pd.Index(pd.unique(np.concatenate(values)) if values else [], dtype=object)
    codes = np.empty(len(column), dtype=code_dtype(len(categories)))
    end = 0
    for chunk, chunk_values in zip(chunks, values, strict=True):
        start, end = end, end + len(chunk)
        in_column = categories.get_indexer(chunk_values).astype(codes.dtype)
        np.take(in_column, chunk.indices.to_numpy(), out=codes[start:end])
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def code_dtype(n_categories: int) -> type[np.signedinteger]:
    """The smallest signed integer type for codes 0..n-1 and -1 (pandas' own choice)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _line_breaks(column: pd.Categorical) -> np.ndarray | None:
    """Per row, the line breaks inside its cell (counted once per distinct value); None if none."""
    per_value = np.array([value.count("\n") for value in column.categories], dtype=np.int64)
    return per_value[column.codes] if per_value.any() else None


def read_csv(path: Path) -> RawCsv:
    """One CSV of a study data folder (module docstring). Raises UnicodeDecodeError when it is
    not UTF-8 and CsvFormatError when it has no usable header row."""
    names = header_names(path)
    frame, ragged = _unquoted_frame(path, names) or _frame(path, names, quoting=True)
    in_cells = [b for b in map(_line_breaks, frame.values()) if b is not None]
    breaks = np.sum(in_cells, axis=0) if in_cells else None
    return _numbered(pd.DataFrame(frame, copy=False), breaks, ragged)


def _unquoted_frame(
    path: Path, names: list[str]
) -> tuple[dict[str, pd.Categorical], list[tuple]] | None:
    """_frame read as if the file had no double quote (the faster parse), or None when it has
    one (in a cell, a ragged row or the header), so that it must be read by its quotes."""
    try:
        frame, ragged = _frame(path, names, quoting=False)
    except CsvFormatError:
        return None
    texts = chain(("".join(column.categories) for column in frame.values()),
                  (text for _, _, text in ragged))  # each column's distinct cells, joined
    if any('"' in text for text in texts):
        return None
    return frame, ragged


def _frame(
    path: Path, names: list[str], quoting: bool
) -> tuple[dict[str, pd.Categorical], list[tuple]]:
    """The columns (categorical str) of the rows with as many fields as the header, and the
    ragged rows (row number, fields, text)."""
    try:
        table, ragged = _parse(path, names, threads=True, quoting=quoting)
        if ragged:  # rare: read again on one thread, which knows the row numbers
            table, ragged = _parse(path, names, threads=False, quoting=quoting)
    except pa.ArrowInvalid as e:
        raise CsvFormatError(str(e).strip()) from e
    if table.column_names != names:
        raise CsvFormatError(f"header not understood: {table.column_names} is not {names}")
    columns = dict(zip(names, table.columns, strict=True))
    del table  # each column's memory is returned once it is converted
    with ThreadPoolExecutor() as pool:  # arrow and numpy let go of the GIL here
        converted = pool.map(lambda name: _categorical(columns.pop(name)), names)
        frame = dict(zip(names, converted, strict=True))
    pa.default_memory_pool().release_unused()  # the arrow table is gone: return its pages
    return frame, ragged


def _numbered(frame: pd.DataFrame, breaks: np.ndarray | None, ragged: list[tuple]) -> RawCsv:
    """Add _LINE to the rows read (`breaks`: line breaks inside each row's cells, None when there
    are none), and the lines of the ragged rows (skipped by the parser)."""
    if not ragged and breaks is None:
        frame[LINE] = np.arange(2, len(frame) + 2, dtype=line_dtype(len(frame) + 1))
        return RawCsv(frame, pd.DataFrame({"line": [], "fields": []}, dtype="int64"))
    ragged = sorted(ragged)  # by row number
    n_rows = len(frame) + len(ragged)
    skipped = np.zeros(n_rows, dtype=bool)
    skipped[[number - 2 for number, _, _ in ragged]] = True
    all_breaks = np.zeros(n_rows, dtype=np.int64)
    all_breaks[~skipped] = 0 if breaks is None else breaks
    all_breaks[skipped] = [text.count("\n") for _, _, text in ragged]
    line = 2 + np.arange(n_rows) + (all_breaks.cumsum() - all_breaks)
    frame[LINE] = line[~skipped].astype(line_dtype(line[-1]))
    fields = [n_fields for _, n_fields, _ in ragged]
    return RawCsv(frame, pd.DataFrame({"line": line[skipped], "fields": fields}, dtype="int64"))
