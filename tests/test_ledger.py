"""The number ledger: one anchored row per published figure, and every quoted number linked."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.report import ledger, tables


def reproduction() -> pd.DataFrame:
    return pd.DataFrame([{
        "id": "fsmc_chg_eos_p", "section": "patient_outcomes", "what": "Wilcoxon p",
        "source": "A", "population": "FAS", "n": "84", "published": "< 0.01",
        "basis": "printed in A", "reproduced": "0.0004", "match_rule": "cond", "verdict": "match",
        "ard_row": "outcomes / FSMCTOT / CHG / EOS / p", "method": "stats.signed_rank_test",
        "notebook": "02-patient-outcomes", "cell": "tbl-outcomes-eos", "note": "",
    }])  # fmt: skip


def test_a_ledger_row_holds_the_anchor_and_where_the_number_comes_from() -> None:
    row = ledger.ledger_table(reproduction()).iloc[0].tolist()
    assert row == [
        "[fsmc_\u200bchg_\u200beos_\u200bp]{#ledger-fsmc_chg_eos_p}", "Wilcoxon p", "FAS (n = 84)",
        "0.0004", "< 0.01 (A)", "match",
        "ARD row outcomes / FSMCTOT / CHG / EOS / p; computed by "
        "stats.\u200bsigned_\u200brank_\u200btest; "
        "shown in tbl-outcomes-eos (02-patient-outcomes)",
    ]


def test_a_long_reference_may_break_after_a_dot_underscore_or_sign_never_in_a_number() -> None:
    """The ledger's longest names ("stats.planned_sample_size(effect_size=0.4, ...") break
    between their parts, so that its column need not be as wide as they are."""
    shown = ledger.breakable("stats.planned_sample_size(effect_size=0.4, alpha=0.05)")
    assert shown.split(ledger.ZERO_WIDTH_SPACE) == [
        "stats.", "planned_", "sample_", "size(", "effect_", "size=0.4, alpha=0.05)"]
    assert max(len(w) for w in tables._BREAKS.split(shown)) < len("effect_size=0.4,")


@pytest.mark.parametrize(
    ("published", "basis", "shown"),
    [
        ("86", "inferred from A: 44/38/30 of 86", "86 (inferred from A: 44/38/30 of 86)"),
        ("-10.0", "printed in A as 10.0", "-10.0 (A prints 10.0)"),
        ("< 0.01", "printed in A", "< 0.01 (A)"),
    ],
)
def test_the_published_value_says_whether_it_was_printed(published, basis, shown) -> None:
    table = ledger.ledger_table(reproduction().assign(published=published, basis=basis))
    assert table.iloc[0]["Published (source)"] == shown


def test_quoted_numbers_of_known_figures_link_to_their_row() -> None:
    article = ("p was {{< var kr.fsmc_chg_eos_p >}} (published {{< var pub.fsmc_chg_eos_p >}});"
               " {{< var words.main >}} words; {{< var kr.not_in_ledger >}}")
    linked = ledger.link_numbers(article, ["fsmc_chg_eos_p"])
    assert linked == (
        "p was [{{< var kr.fsmc_chg_eos_p >}}](#ledger-fsmc_chg_eos_p) (published "
        "[{{< var pub.fsmc_chg_eos_p >}}](#ledger-fsmc_chg_eos_p)); {{< var words.main >}} words;"
        " {{< var kr.not_in_ledger >}}"
    )


def test_the_ledger_section_keeps_the_opening_and_drops_the_plain_table() -> None:
    md = ("# Reproduction check\n\nData: x.\n\n1 of 1 published figures reproduced.\n\n"
          "| id |\n|---|\n| a |\n")
    text = ledger.ledger_markdown(md, reproduction())
    assert text.startswith("Data: x.\n\n1 of 1 published figures reproduced.\n\n| Number")
    assert "| a |" not in text and "{#ledger-fsmc_chg_eos_p}" in text
