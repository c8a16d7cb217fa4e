"""Match rules of the reproduction check, against hand-worked cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.results.reproduction import (
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


def _ledger(populations: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"id": i, "population": p, "n": "84", "ard_row": f"row of {i}",
                          "method": "stats.describe", "notebook": "02-patient-outcomes",
                          "cell": "tbl-outcomes-eos"} for i, p in populations.items()])


def test_each_row_says_where_its_number_comes_from():
    published = [fig(87, "exact", "n_enrolled")]
    table = reproduction_table(pd.DataFrame({"id": ["n_enrolled"], "value": ["87"]}), published,
                               _ledger({"n_enrolled": "ENR"}))
    row = table.iloc[0]
    assert (row["population"], row["n"], row["ard_row"], row["method"], row["cell"]) == (
        "ENR", "84", "row of n_enrolled", "stats.describe", "tbl-outcomes-eos")
    text = reproduction_markdown(table)
    for column in ("population", "ard_row", "method", "notebook", "cell"):
        assert column in text.splitlines()[-3]  # the header row of the table


@pytest.mark.parametrize(
    ("run_population", "country", "expected"),
    [
        ("FAS", None, ["match", "match"]),  # the published analysis: both comparable
        ("COMP", None, ["match", "not comparable"]),  # completers: the FAS figure is a subset
        ("FAS", "NOR", ["not comparable", "not comparable"]),  # one country: every figure
    ],
)
def test_a_subset_run_says_which_figures_it_cannot_compare(run_population, country, expected):
    published = [fig(87, "exact", "n_enrolled"), fig(-7.3, "abs:0.5", "fsmc_chg_eos_median")]
    values = pd.DataFrame({"id": ["n_enrolled", "fsmc_chg_eos_median"], "value": ["87", "-7.5"]})
    ledger = _ledger({"n_enrolled": "ENR", "fsmc_chg_eos_median": run_population})
    table = reproduction_table(values, published, ledger, run_population, country)
    assert table["verdict"].tolist() == expected
    assert table.loc[table["verdict"].eq("not comparable"), "note"].str.startswith("a subset").all()
    summary = summary_line(table)
    if "not comparable" in expected:
        compared = expected.count("match")
        assert summary == (f"{compared} of {compared} comparable published figures reproduced; "
                           f"{2 - compared} of 2 not comparable with this subset")
    else:
        assert summary == "2 of 2 published figures reproduced"
