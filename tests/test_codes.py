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
    blocks = list(codes.subject_blocks(subjects, max_rows))
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


@pytest.mark.parametrize("dense_max", [1, codes.DENSE_KEYS_MAX])
def test_distinct_rows_by_dense_table_or_hashing(monkeypatch, subjects, dense_max):
    monkeypatch.setattr(codes, "DENSE_KEYS_MAX", dense_max)
    frame = pd.DataFrame({"s": subjects, "x": np.arange(len(subjects)) % 3})
    distinct, ids = codes.distinct_rows(frame)
    rebuilt = distinct.iloc[ids].reset_index(drop=True)
    expected = frame.astype({"s": object})
    pd.testing.assert_frame_equal(rebuilt, expected)
    assert len(distinct) == len(expected.drop_duplicates())
