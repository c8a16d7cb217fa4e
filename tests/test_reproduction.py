"""Match rules of the reproduction check, against hand-worked cases."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from helpers.results.reproduction import (
    PublishedFigure,
    basis,
    judge,
    published_decimals,
    read_published,
    reproduction_markdown,
    reproduction_table,
    satisfies,
    shown_note,
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
    assert summary_line(table) == "1 of 2 published figures reproduced; differs: fsmc_chg_eos_p"
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
    assert "| n_enrolled | 87 | 87 | exact | match | ENR (84) |" in _unpadded(text)
    assert ("| n_enrolled | row of n_enrolled | stats.describe | tbl-outcomes-eos"
            " (02-patient-outcomes) |") in _unpadded(text)


def _unpadded(markdown: str) -> str:
    return re.sub(r" +\|", " |", re.sub(r"\| +", "| ", markdown))


def test_the_check_says_what_a_match_means_on_its_data():
    table = reproduction_table(pd.DataFrame({"id": ["n_enrolled"], "value": ["87"]}),
                               [fig(87, "exact", "n_enrolled")])
    synthetic = reproduction_markdown(table, "synthetic cohort (seed 1, n 87)", synthetic=True)
    real = reproduction_markdown(table, "/secure/export", synthetic=False)
    head = synthetic.split("| id")[0]
    assert "Synthetic data, not the study's" in head and "calibrated" in head
    assert "Synthetic" not in real and "the study data export" in real.split("| id")[0]


@pytest.mark.parametrize(
    ("entry", "expected_basis", "expected_note"),
    [
        ({"inferred": "44/38/30 of 86"}, "inferred from A: 44/38/30 of 86", ""),
        ({"note": "A prints '10.0' while its text reports improvement; the sign is taken as lost."
                  " Show the printed value beside ours."}, "printed in A as 10.0",
         "A prints '10.0' while its text reports improvement; the sign is taken as lost."),
        ({"note": "B had n=67"}, "printed in A", "B had n=67"),
        ({}, "printed in A", ""),
    ],
)
def test_the_basis_of_a_published_value_is_published_yaml_s(entry, expected_basis,
                                                            expected_note):
    figure = PublishedFigure("x", "s", "A", 1.0, "exact", None, entry.get("note"),
                             entry.get("inferred"))
    assert (basis(figure), shown_note(figure)) == (expected_basis, expected_note)


def test_published_yaml_marks_the_inferred_and_the_sign_convention():
    figures = {f.id: f for f in read_published()}
    assert basis(figures["n_safety"]).startswith("inferred from A")
    assert basis(figures["cg_msis_phys_chg_eos_median"]) == "printed in A as 10.0"
    assert basis(figures["n_enrolled"]) == "printed in A"


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
