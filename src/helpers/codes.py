"""Columns as integer codes: the vectorised building blocks that keep validation and derivation
linear in the number of qs rows (75M at 100k patients).

A categorical column already is codes plus its distinct values, so a rule or a lookup runs once
per distinct value and is gathered back onto the rows; combinations of columns become one int64
key per row, made unique by a dense table when the key space is small and by hashing otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

#: largest key space handled by a dense table (one byte per possible key) instead of hashing
DENSE_KEYS_MAX = 1 << 28
#: rows per block of whole subjects: qs rules and ADQS run block by block in bounded memory
BLOCK_ROWS = 1 << 22


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
    key in `table`, missing where absent; the result has the table's dtype, never categorical."""
    table = pd.Series(table) if isinstance(table, dict) else table
    codes, values = distinct_values(keys)
    per_value = table.set_axis(table.index.astype(object)).reindex(values.to_numpy())
    return pd.Series(per_value.to_numpy()[codes], index=keys.index, name=table.name)


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
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[key]


def row_keys(frame: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Per row, an int64 naming the combination of its values (equal values, equal key; NaN is a
    value of its own), and the size of the key space. Categorical columns give their codes
    without hashing."""
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
        return np.ravel_multi_index(codes, sizes).astype(np.int64, copy=False), int(np.prod(sizes))
    key, size = np.zeros(len(frame), dtype=np.int64), 1
    for column_codes, n in zip(codes, sizes, strict=True):
        if size * n >= 2**62:  # renumber the combinations seen so far to keep int64 exact
            key, seen = pd.factorize(key)
            size = len(seen)
        key = key * n + column_codes
        size *= n
    return key, size


def key_ids(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (sorted) and, per row, the position of its key among them: by a dense
    table when the key space is small, else by sorting."""
    if size <= DENSE_KEYS_MAX:
        return dense_unique(key, size)
    return np.unique(key, return_inverse=True, sorted=True)


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
    uniques, ids = key_ids(*row_keys(frame))
    distinct = frame.iloc[first_rows(ids, len(uniques))].reset_index(drop=True)
    categorical = [c for c in distinct if isinstance(distinct[c].dtype, pd.CategoricalDtype)]
    return distinct.astype(dict.fromkeys(categorical, object)), ids


def subject_blocks(usubjid: pd.Series, max_rows: int | None = None) -> Iterator[np.ndarray]:
    """Row positions of `usubjid` in blocks of whole subjects (missing USUBJID: a subject of its
    own), blocks in the subjects' string order, rows in file order within a block. A block holds
    fewer than `max_rows` (default BLOCK_ROWS) rows plus those of its last subject, so that
    per-subject work on a large qs runs block by block in bounded memory."""
    max_rows = BLOCK_ROWS if max_rows is None else max_rows
    codes, _ = sorted_codes(usubjid)
    rows_per_subject = np.bincount(codes + 1)
    start = np.cumsum(rows_per_subject) - rows_per_subject
    block_of_subject = start // max_rows
    if len(usubjid) == 0 or block_of_subject[-1] == 0:
        yield np.arange(len(usubjid))
        return
    block = block_of_subject.astype(np.min_scalar_type(block_of_subject[-1]))[codes + 1]
    for b in np.unique(block_of_subject):
        yield np.flatnonzero(block == b)


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
