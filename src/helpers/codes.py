"""Columns as integer codes: the vectorised building blocks that keep validation and derivation
linear in the number of qs rows (75M at 100k patients).

A categorical column already is codes plus its distinct values, so a rule or a lookup runs once
per distinct value and is gathered back onto the rows; combinations of columns become one int64
key per row, made unique by a dense table when the keys' span is small and by sorting otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

#: keys spanning at most this many values per row are made unique by a dense table, others by
#: sorting (a dense table costs the span, a sort n log n)
DENSE_SPAN_PER_ROW = 8
#: rows per block of whole subjects: qs rules and ADQS run block by block in bounded memory
BLOCK_ROWS = 1 << 21


def distinct_values(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The distinct values of a column (object, NaN counted as a value) and, per row, the position
    of its value among them; free for a categorical column."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        values = s.cat.categories.to_numpy(dtype=object)
        missing = codes < 0
        if missing.any():
            codes = np.where(missing, len(values), codes.astype(np.intp))
            values = np.append(values, np.array([np.nan], dtype=object))
        return codes, pd.Series(values, dtype=object)
    codes, values = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=False)
    return codes, pd.Series(values, dtype=object)


def map_values(keys: pd.Series, table: pd.Series | dict) -> pd.Series:
    """`Series.map` looked up once per distinct key (same index as `keys`): the value of each row's
    key in `table`, missing where absent; the result has the table's dtype, never categorical.
    A table with an object index, used for many blocks, builds its lookup (hash table) once."""
    table = pd.Series(table) if isinstance(table, dict) else table
    codes, values = distinct_values(keys)
    per_value = table.set_axis(table.index.astype(object, copy=False)).reindex(values.to_numpy())
    return pd.Series(per_value.to_numpy()[codes], index=keys.index, name=table.name)


def is_in(values: pd.Series, allowed: pd.Index) -> np.ndarray:
    """Per row, whether its value is one of `allowed` (unique values, no NaN), looked up once per
    distinct value; `allowed`, used for many blocks, builds its lookup (hash table) once."""
    codes, distinct = distinct_values(values)
    return (allowed.get_indexer(distinct.to_numpy()) >= 0)[codes]


def with_used_categories(values: pd.Series) -> pd.Series:
    """A categorical column keeping only the categories it uses, in their order (same index):
    lookups on a block of subjects then cost the block's subjects, not the study's."""
    used, codes = key_ids(values.cat.codes.to_numpy())
    if len(used) and used[0] < 0:  # missing values (code -1): not a category
        used, codes = used[1:], codes - 1
    categories = values.cat.categories[used]
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories, validate=False),
                     index=values.index, name=values.name)


def sorted_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of `values` (-1 when missing) and the sorted distinct values they index,
    so that code order is string order (cheap when `values` is categorical already)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
        if not cat.categories.is_monotonic_increasing:
            cat = cat.reorder_categories(cat.categories.sort_values())
        return np.asarray(cat.codes), cat.categories
    codes, uniques = pd.factorize(values, sort=True)
    return codes, pd.Index(uniques)


def positions_in(categories: pd.Index, targets: pd.Index) -> np.ndarray:
    """Per category code (and -1 = missing, last): its position in `targets`, -1 if absent."""
    return np.append(targets.get_indexer(categories), -1)


def dense_unique(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(key, return_inverse=True) for keys in range(size), without sorting."""
    seen = np.zeros(size, dtype=bool)
    seen[key] = True
    uniques = np.flatnonzero(seen)
    position = np.empty(size, dtype=np.intp)  # only the pages of seen keys are written
    position[uniques] = np.arange(len(uniques))
    return uniques, position[key]


def row_keys(frame: pd.DataFrame) -> np.ndarray:
    """Per row, an int64 naming the combination of its values (equal values, equal key; NaN is a
    value of its own; keys follow the order of the columns' codes, first column most
    significant). Categorical columns give their codes without hashing."""
    codes, sizes = [], []
    for column in frame:
        s = frame[column]
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes.append(s.cat.codes.to_numpy() + 1)  # missing (-1) becomes 0
            sizes.append(len(s.cat.categories) + 1)
        else:
            column_codes, values = pd.factorize(s, use_na_sentinel=False)
            codes.append(column_codes)
            sizes.append(max(len(values), 1))
    if float(np.prod(sizes, dtype=float)) < 2.0**62:
        return np.ravel_multi_index(codes, sizes).astype(np.int64, copy=False)
    key, size = np.zeros(len(frame), dtype=np.int64), 1
    for column_codes, n in zip(codes, sizes, strict=True):
        if size * n >= 2**62:  # renumber the combinations seen so far to keep int64 exact
            key, seen = pd.factorize(key)
            size = len(seen)
        key = key * n + column_codes
        size *= n
    return key


def key_ids(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (sorted) and, per row, the position of its key among them: by a dense
    table over the keys' span (lowest to highest) when it is small for the rows, else by sorting.
    """
    if len(key) == 0:
        return np.unique(key, return_inverse=True)
    low = key.min()
    span = int(key.max() - low) + 1
    if span > DENSE_SPAN_PER_ROW * len(key):
        return np.unique(key, return_inverse=True)
    uniques, ids = dense_unique(key - low, span)
    return uniques + low, ids


def first_rows(ids: np.ndarray, n_ids: int) -> np.ndarray:
    """Per id in range(n_ids), the position of its first row."""
    first = np.zeros(n_ids, dtype=np.intp)
    first[ids[::-1]] = np.arange(len(ids))[::-1]
    return first


def earliest_dates(ids: np.ndarray, dates: np.ndarray, n_ids: int) -> np.ndarray:
    """Per id in range(n_ids), the earliest of its datetime64[ns] `dates` (NaT when it has none)."""
    no_date = np.iinfo(np.int64).max
    earliest = np.full(n_ids, no_date)
    np.minimum.at(earliest, ids, np.where(np.isnat(dates), no_date, dates.view("int64")))
    earliest[earliest == no_date] = np.iinfo(np.int64).min  # NaT
    return earliest.view("datetime64[ns]")


def distinct_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct rows of `frame` (categoricals as object, index 0..k-1) and, per row of
    `frame`, the position of its distinct row: a rule then runs once per distinct row."""
    uniques, ids = key_ids(row_keys(frame))
    distinct = frame.iloc[first_rows(ids, len(uniques))].reset_index(drop=True)
    categorical = [c for c in distinct if isinstance(distinct[c].dtype, pd.CategoricalDtype)]
    return distinct.astype(dict.fromkeys(categorical, object)), ids


def subject_blocks(usubjid: pd.Series, max_rows: int | None = None) -> Iterator[slice | np.ndarray]:
    """Row positions of `usubjid` in blocks of whole subjects (missing USUBJID: a subject of its
    own), blocks in the subjects' string order, rows in file order within a block: a slice when
    they are consecutive (always so in a file sorted by subject, missing first; `frame.iloc[block]`
    is then a view, not a copy), else an array. A block holds fewer than `max_rows` (default
    BLOCK_ROWS) rows plus those of its last subject, so that per-subject work on a large qs runs
    block by block in bounded memory."""
    max_rows = BLOCK_ROWS if max_rows is None else max_rows
    codes, categories = sorted_codes(usubjid)
    sorted_by_subject = bool((codes[1:] >= codes[:-1]).all())
    if sorted_by_subject:  # each subject's first row, found without a pass over every row
        # the needles in the codes' dtype: numpy would otherwise cast all the codes (75M rows)
        first_row = np.searchsorted(codes, np.arange(-1, len(categories), dtype=codes.dtype))
    else:  # where each subject's rows would start were the rows sorted by subject
        rows_per_subject = np.bincount(codes + 1, minlength=len(categories) + 1)
        first_row = np.cumsum(rows_per_subject) - rows_per_subject
    block_of_subject = first_row // max_rows
    numbers, first_subject = np.unique(block_of_subject, return_index=True)
    if sorted_by_subject or len(numbers) == 1:
        starts = [*first_row[first_subject]] if sorted_by_subject else [0]
        ends = [*starts[1:], len(codes)]
        yield from (slice(int(a), int(b)) for a, b in zip(starts, ends, strict=True))
        return
    block = block_of_subject.astype(np.min_scalar_type(numbers[-1]))[codes + 1]
    for number in numbers:
        rows = np.flatnonzero(block == number)
        consecutive = rows[-1] - rows[0] == len(rows) - 1
        yield slice(int(rows[0]), int(rows[-1]) + 1) if consecutive else rows


def subject_block(frame: pd.DataFrame, rows: slice | np.ndarray) -> pd.DataFrame:
    """The rows of one block of `subject_blocks`, a categorical USUBJID keeping only the block's
    subjects (with_used_categories); no other column is copied when `rows` is a slice."""
    block = frame.iloc[rows]
    if not isinstance(block["USUBJID"].dtype, pd.CategoricalDtype):
        return block
    columns = {c: block[c] for c in block}
    columns["USUBJID"] = with_used_categories(block["USUBJID"])
    return pd.DataFrame(columns, copy=False)


def sort_order(codes: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Stable order of the rows by integer code columns (codes in range(size), first column most
    significant): one sort of int64 keys that carry the row position in their low bits."""
    key = np.ravel_multi_index(codes, sizes).astype(np.int64)
    shift = max(len(key) - 1, 1).bit_length()
    if float(np.prod(sizes, dtype=float)) * 2.0**shift >= 2.0**62:
        return np.argsort(key, kind="stable")
    return np.sort((key << shift) | np.arange(len(key))) & ((1 << shift) - 1)


def run_ids(key: np.ndarray) -> np.ndarray:
    """Per row, the number of the run of equal keys it is in (0, 1, ...; rows in order)."""
    starts = np.ones(len(key), dtype=bool)
    starts[1:] = key[1:] != key[:-1]
    return np.cumsum(starts) - 1
