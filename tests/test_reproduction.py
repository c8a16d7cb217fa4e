"""Match rules of the reproduction check, against hand-worked cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.reproduction import (
    PublishedFigure,
    judge,
    published_decimals,
    read_published,
    reproduction_markdown,
    reproduction_table,
    satisfies,
    summary_line,
)


def fig(published, match, id_="x") -> PublishedFigure:
    return PublishedFigure(id_, "s", "A", published, match, None, None)


@pytest.mark.parametrize(
    ("value", "condition", "expected"),
    [
        (0.009, "< 0.01", True),
        (0.01, "< 0.01", False),
        (0.05, ">= 0.05", True),
        (0.049, ">= 0.05", False),
        (0.2, "> 0.05", True),
        (0.05, "<= 0.05", True),
        (10.8, "in [10.8, 13.2]", True),
        (13.2, "in [10.8, 13.2]", True),
        (13.3, "in [10.8, 13.2]", False),
        (4.0, "in [3, 5]", True),
    ],
)
def test_conditions(value, condition, expected):
    assert satisfies(value, condition) is expected


def test_unknown_condition_is_an_error():
    with pytest.raises(ValueError, match="not of a known form"):
        satisfies(1.0, "about 3")


@pytest.mark.parametrize(
    ("published", "match", "value", "expected"),
    [
        (72.4, "exact", 72.41379, True),  # 63/87
        (72.4, "exact", 72.34, False),
        (87, "exact", 87.0, True),
        (86, "exact", 85.0, False),
        (36.4, "abs:1.0", 37.4, True),
        (36.4, "abs:1.0", 37.5, False),
        (-7.3, "abs:0.5", -7.0, True),
        ("< 0.01", "cond", 0.004, True),
        ("< 0.01", "cond", math.nan, False),
        ("Headache, Pyrexia, Rash", "exact", "Headache, Pyrexia, Rash", True),
        ("Headache, Pyrexia, Rash", "exact", "Headache, Rash, Pyrexia", False),
    ],
)
def test_judge(published, match, value, expected):
    assert judge(fig(published, match), value) is expected


def test_published_decimals():
    assert [published_decimals(v) for v in (87, 72.4, -56.0, 4.5, 0.05)] == [0, 1, 1, 1, 2]


def test_table_has_one_row_per_published_figure_and_missing_values_differ():
    published = [fig(87, "exact", "n_enrolled"), fig("< 0.01", "cond", "fsmc_chg_eos_p")]
    key_results = pd.DataFrame({"id": ["n_enrolled"], "value": ["87"]})
    table = reproduction_table(key_results, published)
    assert table["verdict"].tolist() == ["match", "differs"]
    assert table["reproduced"].tolist() == ["87", "not computed"]
    assert summary_line(table) == "1 of 2 published figures reproduced"
    assert "1 of 2 published figures reproduced" in reproduction_markdown(table)


def test_published_yaml_is_read_completely():
    figures = read_published()
    ids = [f.id for f in figures]
    assert len(ids) == len(set(ids))
    assert {"n_enrolled", "ae_top3", "n_planned", "cg_burden_chg_eos_p"} <= set(ids)
    for f in figures:  # every rule is one judge() knows
        assert f.match in ("exact", "cond") or f.match.startswith("abs:")


def test_study_copy_equals_the_shared_study_files():
    """study/ holds copies of the study's shared documents; they must not drift."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shared = root.parent / "shared" / "study"
    if not shared.is_dir():
        pytest.skip("no shared/study folder beside this checkout")
    for name in ("published.yaml", "data-spec.md", "instruments.md", "abstract.txt"):
        assert (root / "study" / name).read_bytes() == (shared / name).read_bytes(), name
