"""helpers.analysis.ard: rows, the deterministic writer (shortest round-trip floats) and
look-ups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import ard


def _example() -> pd.DataFrame:
    return ard.combine([
        ard.rows("outcomes", "FAS", {"mean": 1 / 3, "p": 1e-17, "sd": np.nan}, paramcd="X",
                 visit="EOS", method="m"),
        ard.rows("km", "FAS", {"median": np.inf}, paramcd="T"),
        ard.n_pct("disp", "ENR", pd.Series([True, False, True, True])),
    ])


def test_rows_have_the_stable_columns_and_full_precision(tmp_path: Path) -> None:
    results = _example()
    assert list(results.columns) == list(ard.COLUMNS)
    path = ard.write_ard(results, tmp_path, "nb")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(ard.COLUMNS)
    assert lines[1].endswith(",mean,0.3333333333333333,m")  # repr: shortest round trip
    back = ard.read_ard(tmp_path)
    assert back["value"].iloc[0] == 1 / 3 and back["value"].iloc[1] == 1e-17
    assert np.isnan(back["value"].iloc[2]) and np.isinf(back["value"].iloc[3])
    assert back["notebook"].eq("nb").all()


def test_the_writer_gives_the_same_bytes_twice(tmp_path: Path) -> None:
    a = ard.write_ard(_example(), tmp_path / "a", "nb").read_bytes()
    assert a == ard.write_ard(_example(), tmp_path / "b", "nb").read_bytes()


def test_n_pct_counts_the_condition_over_the_rows() -> None:
    results = _example()
    assert ard.value(results, analysis="disp", stat="n") == 3
    assert ard.value(results, analysis="disp", stat="N") == 4
    assert ard.value(results, analysis="disp", stat="pct") == 75.0


def test_a_statistic_is_one_row(tmp_path: Path) -> None:
    twice = ard.combine([_example(), _example()])
    with pytest.raises(ValueError, match="share their keys"):
        ard.write_ard(twice, tmp_path, "nb")
    with pytest.raises(KeyError, match="2 ARD rows"):
        ard.value(twice, analysis="outcomes", stat="mean")
