"""Integer-code building blocks (helpers.codes), each against a plain pandas/numpy computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import codes


@pytest.fixture
def subjects() -> pd.Series:
    rng = np.random.default_rng(3)
    names = np.array([f"S{i:03d}" for i in rng.permutation(40)], dtype=object)
    values = rng.choice(names, size=500).astype(object)
    values[rng.choice(500, size=7, replace=False)] = np.nan
    return pd.Series(pd.Categorical(values))


@pytest.mark.parametrize("max_rows", [1, 37, 120, 10_000])
def test_subject_blocks_partition_the_rows_into_whole_subjects(subjects, max_rows):
    blocks = [np.arange(len(subjects))[b] for b in codes.subject_blocks(subjects, max_rows)]
    everything = np.concatenate(blocks)
    assert np.array_equal(np.sort(everything), np.arange(len(subjects)))
    labels = subjects.astype(object).fillna("<missing>")
    owner = {}
    for number, rows in enumerate(blocks):
        assert np.all(np.diff(rows) > 0)  # file order within a block
        for subject in set(labels.iloc[rows]):
            assert owner.setdefault(subject, number) == number  # a subject in one block only
        assert len(rows) < max_rows + labels.value_counts().max()
    order = [min(labels.iloc[rows].replace("<missing>", "")) for rows in blocks]
    assert order == sorted(order)  # blocks follow the subjects' string order


def test_subject_blocks_of_a_file_sorted_by_subject_are_slices(subjects):
    ordered = subjects.sort_values(na_position="first", ignore_index=True)
    blocks = list(codes.subject_blocks(ordered, 37))
    assert len(blocks) > 1 and all(isinstance(b, slice) for b in blocks)
    assert np.array_equal(np.r_[tuple(blocks)], np.arange(len(ordered)))


def test_sort_order_matches_a_stable_lexicographic_sort():
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 7, 1000), rng.integers(0, 3, 1000)
    expected = pd.DataFrame({"a": a, "b": b}).sort_values(["a", "b"], kind="stable").index
    assert np.array_equal(codes.sort_order([a, b], [7, 3]), expected.to_numpy())


def test_run_ids_number_runs_of_equal_keys():
    key = np.array([4, 4, 1, 1, 1, 4, 9])
    expected = (pd.Series(key) != pd.Series(key).shift()).cumsum() - 1
    assert codes.run_ids(key).tolist() == expected.tolist()


def test_map_values_is_series_map_with_a_plain_dtype(subjects):
    table = pd.Series({"S001": 1.5, "S002": 2.5, "S017": -1.0})
    got = codes.map_values(subjects, table)
    expected = subjects.astype(object).map(table).astype("float64")
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert got.dtype == np.float64


@pytest.mark.parametrize("span_per_row", [0, codes.DENSE_SPAN_PER_ROW])
@pytest.mark.parametrize("low", [0, 10**12])
def test_key_ids_is_numpy_unique_with_inverse(monkeypatch, span_per_row, low):
    monkeypatch.setattr(codes, "DENSE_SPAN_PER_ROW", span_per_row)
    key = low + np.random.default_rng(2).integers(0, 300, 200)
    uniques, ids = codes.key_ids(key)
    expected_uniques, expected_ids = np.unique(key, return_inverse=True)
    assert np.array_equal(uniques, expected_uniques)
    assert np.array_equal(ids, expected_ids)
    assert [len(a) for a in codes.key_ids(key[:0])] == [0, 0]


@pytest.mark.parametrize("span_per_row", [0, codes.DENSE_SPAN_PER_ROW])
def test_distinct_rows_by_dense_table_or_sorting(monkeypatch, subjects, span_per_row):
    monkeypatch.setattr(codes, "DENSE_SPAN_PER_ROW", span_per_row)
    frame = pd.DataFrame({"s": subjects, "x": np.arange(len(subjects)) % 3})
    distinct, ids = codes.distinct_rows(frame)
    rebuilt = distinct.iloc[ids].reset_index(drop=True)
    expected = frame.astype({"s": object})
    pd.testing.assert_frame_equal(rebuilt, expected)
    assert len(distinct) == len(expected.drop_duplicates())


def test_is_in_is_series_isin(subjects):
    allowed = pd.Index(["S001", "S017", "S999"], dtype=object)
    expected = subjects.isin(allowed).to_numpy()
    assert np.array_equal(codes.is_in(subjects, allowed), expected)
    assert np.array_equal(codes.is_in(subjects.astype(object), allowed), expected)


def test_subject_block_keeps_the_rows_and_only_the_block_subjects(subjects):
    frame = pd.DataFrame({"USUBJID": subjects, "x": np.arange(len(subjects))})
    for rows in codes.subject_blocks(subjects, 60):
        block = codes.subject_block(frame, rows)
        expected = frame.iloc[rows]
        pd.testing.assert_frame_equal(block.astype({"USUBJID": object}),
                                      expected.astype({"USUBJID": object}))
        used = set(expected["USUBJID"].dropna())
        assert set(block["USUBJID"].cat.categories) == used
        assert block["USUBJID"].cat.categories.is_monotonic_increasing
