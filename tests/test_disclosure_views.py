"""Disclosure control in the views (issue 30, phase 2): a suppressed ARD row reaches every view
as its marker (helpers.analysis.disclosure.marked), the formatters show it in place of the
number, key results and the ledger say "suppressed", and the run's two passes (decide, then
apply) give the notebooks the whole run's decisions. Hand-made rows worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import disclosure
from helpers.analysis.ard import counts, read_ard, rows, write_ard
from helpers.report import tables, views
from helpers.report.ledger import ledger_table
from helpers.results import disclosure_audit as audit
from helpers.results import key_results, reproduction

MIN_CELL = 5
ON = {"min_cell": MIN_CELL, "ard_inside": False}


def disposition_rows(died: int, enrolled: int = 19) -> pd.DataFrame:
    """Disposition of one group: enrolled, completed, discontinued and died of `enrolled`."""
    return counts("disposition", "ENR", [("ENRFL", "", enrolled), ("COMPFL", "", 14),
                                         ("DISCFL", "", enrolled - 14), ("ONGOING", "", 0),
                                         ("DTHFL", "", died)], enrolled)  # fmt: skip


@pytest.mark.parametrize("marker", ["<5", "n<5", "x", "<3"])
def test_a_marker_is_shown_as_it_is_by_every_formatter(marker: str):
    assert tables.fmt_num(marker) == tables.fmt_count(marker) == tables.fmt_p(marker) == marker
    assert tables.fmt_pair(marker, marker, marker) == tables.fmt_n_pct(marker, marker) == marker


def test_a_shown_count_with_a_withheld_percentage():
    assert tables.fmt_n_pct(18, "x") == "18 (x)"
    assert tables.fmt_n_pct(18, 94.73) == "18 (94.7)"  # a number as before
    assert tables.fmt_count(18.0) == "18"


@pytest.mark.parametrize(("text", "expected"), [("<5", True), ("n<5", True), ("x", True),
                                                ("<12", True), ("5", False), ("x1", False),
                                                ("Headache", False), (3.0, False)])  # fmt: skip
def test_what_a_marker_is(text: object, expected: bool):
    assert disclosure.is_marker(text) is expected


def test_marked_rows_carry_the_marker_and_the_other_values_unchanged():
    out = disclosure.suppress(disposition_rows(died=1), MIN_CELL)
    shown = disclosure.marked(out, MIN_CELL)
    died = shown[shown["paramcd"].eq("DTHFL")].set_index("stat")["value"]
    assert died["n"] == "<5" and died["pct"] == "x"
    completed = shown[shown["paramcd"].eq("COMPFL")].set_index("stat")["value"]
    assert completed["n"] == 14.0
    assert disclosure.marked(out, None) is out  # off
    plain = disposition_rows(died=1)
    assert disclosure.marked(plain, MIN_CELL) is plain  # no decisions


@pytest.mark.parametrize(("died", "shown"), [(4, "<5"), (5, "5 (26.3)"), (0, "0 (0.0)")])
def test_the_disposition_table_shows_a_small_count_as_its_marker(died: int, shown: str):
    rows_ = disclosure.marked(disclosure.suppress(disposition_rows(died, 19), MIN_CELL),
                              MIN_CELL)  # fmt: skip
    table = views.disposition.disposition_table(rows_).set_index("Status")["n (%)"]
    assert table["Died"] == shown
    assert all(cell.split(" ")[0] != "4" for cell in table)  # the count itself nowhere


@pytest.mark.parametrize(("size", "expected"), [(4, "secondary"), (5, "")])
def test_a_percentage_over_a_suppressed_denominator_is_withheld(size: int, expected: str):
    # a shown n with its percentage gives N: withheld with N (here beside a 0 too)
    ard = counts("x_levels", "SAF", [("P", "a", 0)], size)
    out = disclosure.suppress(ard, MIN_CELL).set_index("stat")["suppression"]
    assert out["n"] == "" and out["pct"] == expected


def test_the_km_censored_count_is_a_derived_row_suppressed_like_a_count():
    ard = rows("fsmc_km", "FAS", {"n": 18, "events": 15, "median": 12.0, "lcl": 6.0,
                                  "ucl": 24.0}, paramcd="T", variable="AVAL")  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL).set_index("stat")
    assert out.loc["censored", "value"] == 3 and out.loc["censored", "suppression"] == "primary"
    assert out.loc["n", "suppression"] or out.loc["events", "suppression"]  # else 18 - 15
    again = disclosure.with_derived(out.reset_index())
    assert again["stat"].eq("censored").sum() == 1  # not derived twice
    table = views.efficacy.km_table(disclosure.marked(out.reset_index(), MIN_CELL))
    assert table.loc[0, "Censored, n"] == "<5"


def test_the_km_censored_count_without_disclosure_control_is_n_minus_events():
    ard = rows("fsmc_km", "FAS", {"n": 18, "events": 15, "median": 12.0, "lcl": 6.0,
                                  "ucl": 24.0}, paramcd="T")  # fmt: skip
    assert views.efficacy.km_table(ard).loc[0, "Censored, n"] == "3"


def test_small_counts_of_a_table_that_is_no_view_are_hidden_at_the_edge():
    df = pd.DataFrame({"reason": ["a", "b", "c", "d"], "n": np.array([0, 1, 4, 5])})
    hidden = tables.small_counts_hidden(df, ON)
    assert hidden["n"].tolist() == [0, "<5", "<5", 5]
    assert tables.small_counts_hidden(df, None) is df
    assert tables.small_counts_hidden(df, {"min_cell": None}) is df


def test_a_key_result_of_a_suppressed_row_is_its_marker_and_its_verdict_suppressed():
    ard = disclosure.marked(disclosure.suppress(disposition_rows(died=1), MIN_CELL), MIN_CELL)
    row = key_results.Row("disposition", "n", "DTHFL")
    assert row.pick(ard) == "<5"
    assert key_results.Row("disposition", "n", "COMPFL").pick(ard) == 14.0
    written = pd.DataFrame({"id": ["n_deaths"], "value": ["<5"]})
    published = [f for f in reproduction.read_published() if f.id == "n_deaths"]
    table = reproduction.reproduction_table(written, published)
    assert table.loc[0, "verdict"] == reproduction.SUPPRESSED
    assert table.loc[0, "reproduced"] == "<5"
    ledger = ledger_table(table).iloc[0]
    assert ledger["This run"] == "<5" and ledger["Verdict"].startswith("suppressed")
    assert reproduction.summary_line(table) == (
        "0 of 0 comparable published figures reproduced; 1 suppressed; "
        "0 of 1 not comparable with this subset")


def test_a_suppressed_rank_names_no_level():
    ard = pd.DataFrame({"analysis": "ae_pt", "stat": "rank", "level": ["A", "B", "C"],
                        "value": pd.Series([1.0, "n<5", 2.0], dtype=object)})  # fmt: skip
    assert key_results.TopLevels("ae_pt", 2).pick(ard) == "A, C"


def notebook_rows(n: int) -> dict[str, pd.DataFrame]:
    """Two notebooks of one run: disposition (01) and a table that repeats its N (04)."""
    return {"01-disposition": disposition_rows(died=n),
            "04-safety": counts("ae_overview", "SAF", [("", "Any TEAE", 12)], 19)}


def written_run(tmp_path: Path, n: int = 1) -> Path:
    for notebook, rows_ in notebook_rows(n).items():
        write_ard(rows_, tmp_path / "ard", notebook)
    return tmp_path


def test_the_second_pass_reads_the_whole_runs_decisions(tmp_path: Path):
    run = written_run(tmp_path)
    ard_dir = run / "ard"
    first = disclosure.for_views(notebook_rows(1)["01-disposition"], ON, ard_dir)  # own rows
    path = audit.decide_disclosure(run, MIN_CELL)
    assert path == disclosure.decisions_path(ard_dir) and path.is_file()
    assert "value" not in pd.read_csv(path).columns  # the decisions hold no value
    second = disclosure.for_views(notebook_rows(1)["01-disposition"], ON, ard_dir)
    whole = disclosure.suppress(read_ard(ard_dir), MIN_CELL)
    assert second["value"].map(disclosure.is_marker).sum() == whole.loc[
        whole["notebook"].eq("01-disposition"), "suppressed"].sum()
    assert first["value"].map(disclosure.is_marker).any()
    plain = notebook_rows(1)["01-disposition"]
    assert disclosure.for_views(plain, {"min_cell": None}, ard_dir) is plain  # off


def test_a_row_without_a_decision_is_refused(tmp_path: Path):
    run = written_run(tmp_path)
    audit.decide_disclosure(run, MIN_CELL)
    other = rows("not_in_the_run", "SAF", {"n": 3})
    with pytest.raises(ValueError, match="without a disclosure decision"):
        disclosure.for_views(other, ON, run / "ard")


@pytest.mark.parametrize(("inside", "blank"), [(False, True), (True, False)])
def test_apply_publishes_the_ard_and_removes_the_decisions(tmp_path: Path, inside: bool,
                                                           blank: bool):  # fmt: skip
    run = written_run(tmp_path)
    audit.decide_disclosure(run, MIN_CELL)
    suppressed = audit.apply_disclosure(run, MIN_CELL, inside)
    assert not (run / disclosure.DECISIONS).exists()
    published = read_ard(run / "ard")
    died = published[published["paramcd"].eq("DTHFL") & published["stat"].eq("n")]
    assert died["suppression"].tolist() == ["primary"]
    assert bool(died["value"].isna().all()) is blank
    assert suppressed.loc[suppressed["paramcd"].eq("DTHFL") & suppressed["stat"].eq("n"),
                          "value"].tolist() == [1.0]  # fmt: skip
    assert audit.ard_leaks(run / "ard", MIN_CELL, "ard") == [] or inside
    with pytest.raises(ValueError, match="published already"):
        audit.apply_disclosure(run, MIN_CELL, inside)


def test_apply_fails_when_the_second_pass_computed_other_rows(tmp_path: Path):
    run = written_run(tmp_path, n=1)
    audit.decide_disclosure(run, MIN_CELL)
    written_run(tmp_path, n=6)  # the second pass: 6 deaths, shown, not the decided <5
    with pytest.raises(ValueError, match="second pass"):
        audit.apply_disclosure(run, MIN_CELL, False)


def test_a_published_definition_is_no_count_of_the_run(tmp_path: Path):
    quoted = next(t for t in audit.public_texts() if "one death" in t)
    (tmp_path / "reproduction.md").write_text(f"- **n_deaths**: {quoted}.\n", encoding="utf-8")
    assert audit.scan(tmp_path, MIN_CELL) == []
    (tmp_path / "reproduction.md").write_text("the run's one death.\n", encoding="utf-8")
    assert [leak.count for leak in audit.scan(tmp_path, MIN_CELL)] == [1]


def test_control_run_decides_runs_the_second_pass_then_publishes(tmp_path: Path):
    run = written_run(tmp_path)
    seen = []

    def second_pass() -> None:  # the notebooks again: their rows, the whole run's decisions
        seen.append(disclosure.for_views(notebook_rows(1)["04-safety"], ON, run / "ard"))
        written_run(tmp_path)

    suppressed = audit.control_run(run, MIN_CELL, False, second_pass)
    assert len(seen) == 1 and not (run / disclosure.DECISIONS).exists()
    assert "suppression" in read_ard(run / "ard").columns
    assert suppressed["suppressed"].any()


def test_a_suppressed_population_size_is_its_marker_in_the_captions(tmp_path: Path):
    """Caption values read the published ARD (values of suppressed rows blank) as the views
    do: a completers' N of 2 is `<5` in "{EFF}", never `nan` or the number; N 19 as it is."""
    from helpers.report.article import caption_values

    rows_ = disposition_rows(died=0)
    rows_ = rows_.assign(value=rows_["value"].where(rows_["paramcd"].ne("COMPFL"), 2.0))
    published = disclosure.published(disclosure.suppress(rows_, MIN_CELL), ard_inside=False)
    write_ard(published, tmp_path / "ard", "01-disposition")
    values = caption_values(tmp_path, {"population": "COMP", "country": "NOR", "disclosure": ON})
    assert values["N:ENR"] == "19" and values["N:COMP"] == "<5"
    assert values["EFF"] == "completers (COMP, NOR, N = <5)"
