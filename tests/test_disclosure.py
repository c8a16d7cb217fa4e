"""Disclosure control of ARD rows (helpers.analysis.disclosure) on hand-made tables worked out
by hand: each rule at its edge and just past it."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.analysis import disclosure
from helpers.analysis.ard import combine, rows

MIN_CELL = 5


def reasons(ard: pd.DataFrame, **keys: str) -> list[str]:
    """The suppression of the rows matching `keys`, in ARD order."""
    mask = pd.Series(True, index=ard.index)
    for name, value in keys.items():
        mask &= ard[name].eq(value)
    return ard.loc[mask, "suppression"].tolist()


def counted(analysis: str, cells: dict[tuple[str, str], float], stat: str = "n",
            **keys: str) -> pd.DataFrame:  # fmt: skip
    """One ARD row per (group, level) cell of a count table."""
    return combine(rows(analysis, "SAF", {stat: v}, group=g, level=lv, **keys)
                   for (g, lv), v in cells.items())  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), [(0, ""), (1, "primary"), (4, "primary"),
                                                 (5, ""), (6, "")])  # fmt: skip
def test_a_count_from_1_to_min_cell_minus_1_is_primary_0_and_min_cell_are_shown(value, expected):
    ard = rows("some_count", "SAF", {"n": value, "events": value, "N": value, "at_risk": value})
    assert set(disclosure.suppress(ard, MIN_CELL)["suppression"]) == {expected}


def test_the_sample_size_recomputation_counts_no_person():
    ard = rows("sample_size", "", {"n": 3})
    assert reasons(disclosure.suppress(ard, MIN_CELL)) == [""]


@pytest.mark.parametrize(("n", "expected"), [(0, ""), (4, "primary"), (5, "")])
def test_statistics_of_a_group_smaller_than_min_cell_are_primary(n, expected):
    stats = {"n": n, "mean": 1.5, "sd": 0.5, "median": 1.0, "min": 1.0, "max": 2.0, "p": 0.2}
    ard = rows("outcomes", "FAS", stats, paramcd="X", variable="CHG", visit="MONTH 3")
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, stat="mean") == reasons(out, stat="max") == reasons(out, stat="p") == [
        expected
    ]


def test_a_baseline_mean_at_a_visit_is_of_the_persons_with_a_change_there():
    # BASE at MONTH 3 describes the 4 persons with CHG at MONTH 3, not the 9 at baseline
    ard = combine([
        rows("outcomes", "FAS", {"n": 4, "mean": 2.0}, paramcd="X", variable="CHG",
             visit="MONTH 3"),
        rows("outcomes", "FAS", {"mean": 3.0}, paramcd="X", variable="BASE", visit="MONTH 3"),
        rows("outcomes", "FAS", {"n": 9, "mean": 3.1}, paramcd="X", variable="AVAL",
             visit="BASELINE"),
        # the smallest p over visits: its visit is blank, so the smallest n over visits counts
        rows("outcomes", "FAS", {"p_min": 0.01}, paramcd="X", variable="CHG"),
    ])  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, variable="BASE") == ["primary"]
    assert reasons(out, variable="AVAL") == ["", ""]
    assert reasons(out, stat="p_min") == ["primary"]


def test_kaplan_meier_numbers_at_risk_and_their_probabilities():
    ard = combine(rows("fsmc_km_curve", "FAS", {"cum": c, "at_risk": r}, paramcd="T", group=t)
                  for t, c, r in (("0.0", 0.0, 12), ("3.0", 0.2, 5), ("6.0", 0.5, 4)))  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, group="3.0") == ["", ""]
    assert reasons(out, group="6.0") == ["primary", "primary"]


def test_kaplan_meier_persons_had_the_event_or_were_censored():
    # n 18 = events 16 + censored 2: the 2 censored would be 18 - 16, so the events go
    ard = rows("fsmc_km", "FAS", {"n": 18, "events": 16, "censored": 2, "median": 12.0},
               paramcd="T")  # fmt: skip
    assert reasons(disclosure.suppress(ard, MIN_CELL)) == ["", "secondary", "primary", ""]


def test_a_row_with_one_small_cell_and_its_total():
    # F 2 + M 10 = N 12: with N shown, F = 12 - M, so M goes too (2 cells); N stays
    ard = combine(rows("baseline", "FAS", {"n": n, "N": 12, "pct": 100 * n / 12}, paramcd="SEX",
                       level=level) for level, n in (("F", 2), ("M", 10)))  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, level="F") == ["primary", "", "primary"]
    assert reasons(out, level="M") == ["secondary", "", "secondary"]


def test_a_row_with_one_small_cell_and_a_zero_takes_the_non_zero_cell():
    # F 2 + M 10 + Missing 0 = 12: suppressing the 0 protects F as well as M does, but tells
    # that F holds the whole difference, so the non-zero M is taken
    ard = combine(rows("baseline", "FAS", {"n": n, "N": 12}, paramcd="SEX", level=level)
                  for level, n in (("F", 2), ("M", 10), ("Missing", 0)))  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, stat="n") == ["primary", "secondary", ""]


def test_a_2x2_with_one_small_cell_and_its_margins_suppresses_the_4_inner_cells():
    # A/A 2  A/B 10 | 12      2 primary; its row and column each need a second cell: B/A 8
    # B/A 8  B/B 20 | 28      (smallest), then A/B 10 (row A), then B/B 20 closes row B and
    # 10     30     | 40      column B at once: 4 cells, every margin shown
    cells = {("A", "A"): 2, ("A", "B"): 10, ("A", "Total"): 12,
             ("B", "A"): 8, ("B", "B"): 20, ("B", "Total"): 28,
             ("Total", "A"): 10, ("Total", "B"): 30, ("Total", "Total"): 40}  # fmt: skip
    out = disclosure.suppress(counted("fsmc_shift", cells, paramcd="FSMCTOT"), MIN_CELL)
    got = dict(zip(zip(out["group"], out["level"], strict=True), out["suppression"], strict=True))
    assert got == {("A", "A"): "primary", ("A", "B"): "secondary", ("B", "A"): "secondary",
                   ("B", "B"): "secondary", ("A", "Total"): "", ("B", "Total"): "",
                   ("Total", "A"): "", ("Total", "B"): "", ("Total", "Total"): ""}  # fmt: skip
    suppressed = set(out.index[out["suppressed"]])
    assert disclosure.recoverable(disclosure.relations(out), suppressed) == set()
    # with one inner cell fewer, the small cell is recoverable again
    assert 0 in disclosure.recoverable(disclosure.relations(out), suppressed - {4})


def test_a_hierarchy_soc_pt():
    # SOC S1: one PT (P1): the SOC shows the PT's persons, so both go (3, primary)
    # SOC S2: PTs P2 (9 events, 7 persons) and P3 (3 events, 2 persons): the SOC's 12 events
    # are 9 + 3, so one more goes: the SOC's 12 (one row) rather than P2's 9 (two rows: ae_pt
    # shows it too); persons are not additive (a person may have both PTs): they stay
    soc = {("S1", ""): (3, 3), ("S1", "P1"): (3, 3),
           ("S2", ""): (8, 12), ("S2", "P2"): (7, 9), ("S2", "P3"): (2, 3)}  # fmt: skip
    ard = combine([
        *(rows("ae_soc_pt", "SAF", {"n": n, "events": e}, group=g, level=lv)
          for (g, lv), (n, e) in soc.items()),
        *(rows("ae_pt", "SAF", {"n": n, "events": e}, level=lv)
          for (g, lv), (n, e) in soc.items() if lv),
    ])  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, analysis="ae_soc_pt", group="S1") == ["primary"] * 4
    assert reasons(out, analysis="ae_soc_pt", group="S2", level="") == ["", "secondary"]
    assert reasons(out, analysis="ae_soc_pt", level="P2") == ["", ""]
    assert reasons(out, analysis="ae_pt", level="P2") == ["", ""]
    assert reasons(out, analysis="ae_pt", level="P3") == ["primary", "primary"]


def test_a_count_goes_with_every_row_that_shows_it():
    # the only SOC: its 12 events are also the overview's (12 = 12), P2's 9 also ae_pt's: the
    # two candidates cost 2 rows each, so the smaller value goes, with its copy in ae_pt
    ard = combine([
        rows("ae_overview", "SAF", {"events": 12}, level="Any TEAE"),
        *(rows("ae_soc_pt", "SAF", {"events": e}, group="S2", level=lv)
          for lv, e in (("", 12), ("P2", 9), ("P3", 3))),
        *(rows("ae_pt", "SAF", {"events": e}, level=lv) for lv, e in (("P2", 9), ("P3", 3))),
    ])  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, level="P2") == ["secondary", "secondary"]
    assert reasons(out, level="P3") == ["primary", "primary"]
    assert reasons(out, level="") == reasons(out, level="Any TEAE") == [""]


def test_a_single_pt_soc_with_many_persons_is_shown_with_its_pt():
    ard = combine(rows("ae_soc_pt", "SAF", {"n": 6}, group="S1", level=lv) for lv in ("", "P1"))
    assert reasons(disclosure.suppress(ard, MIN_CELL)) == ["", ""]


def test_two_small_cells_of_a_row_protect_each_other():
    # F 3 (primary) + M 4 (primary) = N 7: 7 is the sum of two unknowns, N stays shown
    ard = combine(rows("baseline", "FAS", {"n": n, "N": 7}, paramcd="SEX", level=level)
                  for level, n in (("F", 3), ("M", 4)))  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, stat="n") == ["primary", "primary"]
    assert reasons(out, stat="N") == ["", ""]
    ard = combine(rows("baseline", "FAS", {"n": n, "N": 7}, paramcd="SEX", level=level)
                  for level, n in (("F", 3), ("M", 4), ("Missing", 0)))  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, stat="N") == ["", "", ""]


def test_a_relation_that_does_not_hold_is_no_subtraction():
    # 2 + 10 != 13: N is not the levels' sum here, so no second cell is needed
    ard = combine(rows("baseline", "FAS", {"n": n, "N": 13}, paramcd="SEX", level=level)
                  for level, n in (("F", 2), ("M", 10)))  # fmt: skip
    assert len(disclosure.broken(ard)) == 1
    assert reasons(disclosure.suppress(ard, MIN_CELL), stat="n") == ["primary", ""]


def test_a_relapse_rate_follows_its_events():
    ard = combine(rows("relapses", "SAF", {"N": 20, "n": 3, "pct": 15.0, "events": e,
                                           "exposure": 19.5, "estimate": e / 19.5}, group=g)
                  for g, e in (("Year 1", 4), ("Year 2", 6), ("Overall", 10)))  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    assert reasons(out, group="Year 1") == ["", "primary", "primary", "primary", "", "primary"]
    # 4 + 6 = 10: Year 2's events go with Year 1's, and its rate with them
    assert reasons(out, group="Year 2", stat="events") == ["secondary"]
    assert reasons(out, group="Year 2", stat="estimate") == ["secondary"]


def test_min_cell_below_2_is_refused():
    with pytest.raises(ValueError, match="below 2"):
        disclosure.suppress(rows("x", "SAF", {"n": 1}), 1)


def test_views_show_a_marker_never_the_number():
    ard = combine([rows("baseline", "FAS", {"n": 2, "N": 12, "pct": 100 * 2 / 12},
                        paramcd="SEX", level="F"),
                   rows("baseline", "FAS", {"n": 10, "N": 12, "pct": 100 * 10 / 12},
                        paramcd="SEX", level="M"),
                   rows("baseline", "FAS", {"n": 3, "mean": 40.5}, paramcd="AGE")])  # fmt: skip
    out = disclosure.suppress(ard, MIN_CELL)
    row = {(r["level"], r["paramcd"], r["stat"]): r for _, r in out.iterrows()}
    assert disclosure.shown("2 (16.7)", row[("F", "SEX", "n")], MIN_CELL) == "<5"
    assert disclosure.shown("10 (83.3)", row[("M", "SEX", "n")], MIN_CELL) == "x"
    assert disclosure.shown("16.7", row[("F", "SEX", "pct")], MIN_CELL) == "x"
    assert disclosure.shown("40.5", row[("", "AGE", "mean")], MIN_CELL) == "n<5"
    assert disclosure.shown("12", row[("F", "SEX", "N")], MIN_CELL) == "12"
    assert disclosure.shown("2 (16.7)", row[("F", "SEX", "n")], None) == "2 (16.7)"


@pytest.mark.parametrize(("inside", "blank"), [(True, False), (False, True)])
def test_the_ard_file_keeps_suppressed_values_only_inside(inside: bool, blank: bool):
    out = disclosure.suppress(rows("x", "SAF", {"n": 2, "N": 12}), MIN_CELL)
    written = disclosure.published(out, ard_inside=inside)
    assert math.isnan(written["value"].iloc[0]) is blank
    assert written["value"].iloc[1] == 12
