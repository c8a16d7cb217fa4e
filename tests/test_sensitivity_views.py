"""helpers.sensitivity_views: the table, tipping-point table, figure and sentences are views of
hand-written ARD rows of analysis "sensitivity"."""

from __future__ import annotations

import math

import pandas as pd

from helpers.analysis import ard, sensitivity
from helpers.report import views


def cell(paramcd: str, group: str, estimate: float, lcl: float, ucl: float, level: str = "",
         visit: str = "EOS") -> pd.DataFrame:  # fmt: skip
    return ard.rows("sensitivity", "FAS", {"n": 10, "estimate": estimate, "lcl": lcl, "ucl": ucl,
                                           "p": 0.01}, paramcd=paramcd, variable="CHG",
                    visit=visit, group=group, level=level)  # fmt: skip


def results(disagree: bool = False, tipping: float = 2.0) -> pd.DataFrame:
    rows = [cell("EDSS", "OC", -0.5, -1.2, 0.2) if disagree and (code, approach) == ("EDSS", "OC")
            else cell(code, approach, -2.0, -3.0, -1.0)
            for code in ("FSMCTOT", "EDSS") for approach in sensitivity.APPROACHES]
    rows += [cell("FSMCTOT", "MI_DELTA", -2.0 + d, -3.0 + d, -1.0 + d, level=str(d))
             for d in (0, 1, 2, 3, 10)]
    rows.append(ard.rows("sensitivity", "FAS", {"tipping_point": tipping}, paramcd="FSMCTOT",
                         variable="CHG", group="MI_DELTA"))
    return ard.combine(rows)


def test_table_has_one_row_per_outcome_and_approach_in_order() -> None:
    table = views.sensitivity.sensitivity_table(results())
    assert len(table) == 2 * len(sensitivity.APPROACHES)
    assert list(table["Outcome"].unique()) == ["FSMC total", "EDSS"]
    assert list(table["Analysis"][:len(sensitivity.APPROACHES)]) == list(
        sensitivity.APPROACHES.values())
    assert table["Change, mean (95% CI)"].iloc[0] == "-2.0 (-3.0, -1.0)"
    assert table["Change, mean (95% CI)"].iloc[-1] == "-2.00 (-3.00, -1.00)"  # EDSS: 2 decimals
    assert set(table["Agrees with EOS"]) == {"yes"}


def test_an_approach_whose_ci_contains_zero_disagrees_and_is_named() -> None:
    found = results(disagree=True)
    table = views.sensitivity.sensitivity_table(found)
    edss_oc = table[table["Outcome"].eq("EDSS")
                    & table["Analysis"].eq(sensitivity.APPROACHES["OC"])]  # fmt: skip
    assert list(edss_oc["Agrees with EOS"]) == ["no"]
    sentence = views.sensitivity.agreement_sentence(found)
    assert "1 of 2 main outcomes agreed" in sentence
    assert "EDSS (observed cases at Month 36)" in sentence
    assert "all 2 main outcomes agreed" in views.sensitivity.agreement_sentence(results())


def test_tipping_table_orders_deltas_numerically_and_the_sentence_names_the_point() -> None:
    table = views.sensitivity.tipping_table(results())
    assert list(table["Delta (points)"]) == ["0", "1", "2", "3", "10"]
    assert "shifted by 2 points" in views.sensitivity.tipping_sentence(results())
    never = views.sensitivity.tipping_sentence(results(tipping=math.inf))
    assert "up to 10 points" in never


def test_forest_has_one_panel_per_outcome() -> None:
    fig = views.sensitivity.forest(results())
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["FSMC total", "EDSS"]


def test_an_approach_not_computed_is_neither_agreement_nor_disagreement() -> None:
    found = results()
    lmm = found["paramcd"].eq("EDSS") & found["group"].eq("LMM") & found["stat"].ne("n")
    found.loc[lmm, "value"] = float("nan")
    table = views.sensitivity.sensitivity_table(found)
    row = table[table["Outcome"].eq("EDSS") & table["Analysis"].eq(sensitivity.APPROACHES["LMM"])]
    assert list(row["Agrees with EOS"]) == ["-"]
    sentence = views.sensitivity.agreement_sentence(found)
    assert "all 2 main outcomes agreed" in sentence
    assert sentence.endswith("Not computable: EDSS (the mixed model).")
