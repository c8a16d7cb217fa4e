"""helpers.report.tables: number formats, privacy guard, deterministic saving, and text snapshots of
rendered tables built from the hand-made fixture (tests/adam_fixture.py).

A changed snapshot is a changed table: read the diff of tests/snapshots/*.md. To accept a
deliberate change, delete the snapshot file and run the test once (it writes it and fails).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from adam_fixture import adae, adqs, adsl

from helpers.analysis import ard, disposition, safety, stats
from helpers.analysis import change_from_baseline as cfb
from helpers.report import tables, views

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize(
    ("x", "decimals", "text"),
    [(42.25, 1, "42.2"), (42.35, 1, "42.4"), (-0.04, 1, "0.0"), (np.nan, 1, "-"),
     (np.inf, 1, "NE"), (3, 0, "3"), (-7.26, 2, "-7.26")],
)  # fmt: skip
def test_fmt_num(x: float, decimals: int, text: str) -> None:
    assert tables.fmt_num(x, decimals) == text


@pytest.mark.parametrize(
    ("p", "text"), [(0.0004, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"), (0.0123, "0.012"),
     (np.nan, "-")]
)
def test_fmt_p(p: float, text: str) -> None:
    assert tables.fmt_p(p) == text


@pytest.mark.parametrize(
    ("fraction", "decimals", "text"),
    [(0.15, 0, "15 %"), (0.1, 0, "10 %"), (0.5, 0, "50 %"), (0.724, 1, "72.4 %")],
)  # fmt: skip
def test_fmt_share(fraction: float, decimals: int, text: str) -> None:
    """A fraction as the article's percentage: its digits, a space, the sign."""
    assert tables.fmt_share(fraction, decimals) == text


def test_fmt_pair_and_n_pct() -> None:
    assert tables.fmt_pair(42.34, 24.56) == "42.3 (24.6)"
    assert tables.fmt_pair(-7.3, -56, 34) == "-7.3 (-56.0, 34.0)"
    assert tables.fmt_pair(np.nan, 1.0) == "-"
    assert tables.fmt_n_pct(44, 100 * 44 / 86) == "44 (51.2)"
    assert tables.fmt_n_pct(0, np.nan) == "0"


def test_described_cells_match_pandas() -> None:
    x = pd.Series([3.0, 1.0, np.nan, 10.0, 4.0])
    s = tables.described_cells(stats.describe(x))
    d = x.dropna()
    assert s["n"] == "4"
    assert s["Mean (SD)"] == f"{d.mean():.1f} ({d.std():.1f})"
    assert (
        s["Median (Q1, Q3)"] == f"{d.median():.1f} ({d.quantile(0.25):.1f}, {d.quantile(0.75):.1f})"
    )
    assert s["Median (min, max)"] == f"{d.median():.1f} ({d.min():.1f}, {d.max():.1f})"


@pytest.mark.parametrize("values", [[], [np.nan], [2.5], [np.nan, 7.0, 1.0]])
def test_described_cells_of_few_values_match_pandas(values: list[float]) -> None:
    d = pd.Series(values, dtype=float).dropna()
    s = tables.described_cells(stats.describe(pd.Series(values, dtype=float)))
    assert s["n"] == str(len(d))
    assert s["Mean (SD)"] == tables.fmt_pair(d.mean(), d.std())
    assert s["Median (Q1, Q3)"] == tables.fmt_pair(d.median(), d.quantile(0.25), d.quantile(0.75))


def test_category_rows_keep_empty_levels_and_missing() -> None:
    rows = ard.categories("x", "ENR", pd.Series(["F", "F", None, "F"]), ("F", "M"), paramcd="SEX")
    assert rows["level"].unique().tolist() == ["F", "M", "Missing"]
    assert tables.n_pct_cells(rows) == ["3 (75.0)", "0 (0.0)", "1 (25.0)"]


def test_identifying_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="USUBJID"):
        tables.save_table(pd.DataFrame({"USUBJID": ["P01"]}), "tbl-x", "x", tmp_path)
    with pytest.raises(ValueError, match="dates"):
        tables.to_markdown(pd.DataFrame({"d": pd.to_datetime(["2020-01-01"])}))


def test_save_table_writes_csv_and_captioned_markdown_deterministically(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"Status": ["Enrolled", f"{tables.INDENT}Reason"], "n (%)": ["6 (100.0)", "1 (16.7)"]}
    )
    md = tables.save_table(df, "tbl-demo", "Demo caption", tmp_path / "a")
    tables.save_table(df, "tbl-demo", "Demo caption", tmp_path / "b")
    assert md.read_bytes() == (tmp_path / "b" / "tbl-demo.md").read_bytes()
    text = md.read_text(encoding="utf-8")
    assert text.endswith(": Demo caption {#tbl-demo}\n")
    assert f"| {tables.INDENT}Reason" in text  # sub-row indentation survives
    assert pd.read_csv(tmp_path / "a" / "tbl-demo.csv", dtype=str).equals(df)


def _check_snapshot(name: str, df: pd.DataFrame) -> None:
    text = tables.to_markdown(df) + "\n"
    path = SNAPSHOTS / f"{name}.md"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.fail(f"snapshot {path.name} written; review it and rerun")
    assert text == path.read_text(encoding="utf-8")


def test_snapshot_disposition() -> None:
    _check_snapshot("tbl-disposition",
                    views.disposition.disposition_table(disposition.disposition_ard(adsl())))


def test_snapshot_outcomes_eos() -> None:
    fas = adsl().query("FASFL == 'Y'")["USUBJID"]
    params = ["FSMCTOT", "MSISPHYS"]
    records = cfb.analysed_records(adqs(), fas, "PATIENT", params)
    results = cfb.summary_ard(records, params, "outcomes", "FAS")
    summary = views.change_from_baseline.summarise(results, params)
    _check_snapshot("tbl-outcomes-eos", views.change_from_baseline.eos_table(summary))


def test_snapshot_ae_soc_pt() -> None:
    saf = adsl().query("SAFFL == 'Y'")
    results = safety.soc_pt_ard(safety.teae(adae(), saf), len(saf))
    _check_snapshot("tbl-ae-soc-pt", views.safety.soc_pt_table(results))


# --- layout: group rows, alignment, explicit widths -------------------------------------------
def test_group_rows_give_the_table_1_layout() -> None:
    long = pd.DataFrame({
        "Characteristic": ["Age (years)", "Age (years)", "Sex, n (%)"],
        "Statistic": ["n", "Mean (SD)", "Female"],
        "All (N=3)": ["3", "40.0 (2.0)", "2 (66.7)"],
    })
    shown = tables.group_rows(long)
    i = tables.INDENT
    assert shown.to_dict("list") == {  # the group and label headers both kept
        "Characteristic / Statistic": ["**Age (years)**", f"{i}n", f"{i}Mean (SD)",
                                       "**Sex, n (%)**", f"{i}Female"],
        "All (N=3)": ["", "3", "40.0 (2.0)", "", "2 (66.7)"],
    }
    no_repeat = long.drop_duplicates("Characteristic")
    assert tables.group_rows(no_repeat).equals(no_repeat)


def test_separator_sets_alignment_and_widths_that_hold_the_longest_word() -> None:
    df = pd.DataFrame({"Parameter": ["MSIS-29 psychological", "FSMC total"],
                       "p": ["< 0.001", "0.829"], "Comment": ["x " * 150, "y"]})
    separator = tables.to_markdown(df).splitlines()[1].strip("|").split("|")
    assert separator[0].startswith(":") and separator[1].endswith(":")  # text left, numbers right
    dashes = [len(cell.strip(":")) + 1 for cell in separator]
    assert sum(dashes) > 72  # pandoc applies relative widths only to a wide pipe table
    widths = tables.column_widths(df)
    assert sum(widths) == pytest.approx(1.0)
    em = tables.CHAR_EM * tables.TABLE_FONT_PT
    for share, longest in zip(widths, [len("psychological"), len("< 0.001"), len("Comment")],
                              strict=True):
        assert share * tables.TABLE_WIDTH_PT >= longest * em  # the longest word fits
    assert widths[2] > widths[0] > widths[1]  # the long text column takes the space left


def test_a_table_that_fits_gets_its_natural_widths() -> None:
    df = pd.DataFrame({"Status": ["Completed"], "n (%)": ["63 (72.4)"]})
    pad = tables.CELL_PADDING_PT
    need = [9 * tables.CHAR_EM * tables.TABLE_FONT_PT + pad] * 2  # "Completed", "63 (72.4)"
    assert tables.column_widths(df) == pytest.approx([n / sum(need) for n in need])


def test_numbers_keep_one_line_before_labels_get_more_room() -> None:
    """A long label column must not push a statistic such as "58.0 (22.0, 96.0)" onto two
    lines while the numbers fit on one at the labels' least width."""
    label = "HRPQ household work lost, total (hours per week) " * 3
    stat = "-58.0 (-22.0, 96.0)"
    df = pd.DataFrame({"Parameter": [label], **{f"Statistic {i}": [stat] for i in range(3)}})
    widths = tables.column_widths(df)
    natural = len(stat) * tables.CHAR_EM * tables.TABLE_FONT_PT  # the one-line width
    for share in widths[1:]:
        assert share * tables.TABLE_WIDTH_PT >= natural
    em = tables.CHAR_EM * tables.TABLE_FONT_PT
    assert widths[0] * tables.TABLE_WIDTH_PT >= len("household") * em  # its longest word fits


def test_a_table_on_a_landscape_page_gives_its_long_text_the_extra_width() -> None:
    """Set for LANDSCAPE_WIDTH_PT (the ledger), a column that fits keeps its width and the long
    text column takes the whole of the wider page's rest."""
    df = pd.DataFrame({"Number": ["fsmc_chg_eos_p"], "Where": ["ARD row analysis " * 40]})
    for width in (tables.TABLE_WIDTH_PT, tables.LANDSCAPE_WIDTH_PT):
        number, where = (share * width for share in tables.column_widths(df, width))
        assert number == pytest.approx(len("fsmc_chg_eos_p") * tables.CHAR_EM
                                       * tables.TABLE_FONT_PT + tables.CELL_PADDING_PT)
        assert where == pytest.approx(width - number)


def test_a_zero_width_space_is_where_a_long_word_may_break() -> None:
    df = pd.DataFrame({"Where": ["stats.\u200bplanned_\u200bsample_\u200bsize"], "n": ["1"]})
    least = tables._text_width(df.iloc[0, 0], longest_word=True)
    assert least == pytest.approx(len("planned_") * tables.CHAR_EM * tables.TABLE_FONT_PT)


@pytest.mark.parametrize(
    ("cells", "numeric"),
    [
        (["87 (100.0)", "-7.5 (-56.0, 34.0)", "< 0.001"], True),
        (["0.897", "1.07e-10", "12%"], True),
        (["02-patient-outcomes", "04-safety"], False),  # starts with digits, is a name
        (["Headache", "SF-36"], False),
    ],
)
def test_number_columns_are_told_from_names_that_start_with_digits(cells, numeric) -> None:
    df = pd.DataFrame({"Label": ["a"] * len(cells), "Value": cells})
    separator = tables.to_markdown(df).splitlines()[1].strip("|").split("|")
    assert separator[1].endswith(":") is numeric  # numbers right-aligned, names left


def test_a_span_counts_as_its_text_when_widths_are_set() -> None:
    plain = pd.DataFrame({"Number": ["fsmc_chg_eos_p"], "Value": ["1"]})
    anchored = pd.DataFrame({"Number": ["[fsmc_chg_eos_p]{#ledger-fsmc_chg_eos_p}"],
                             "Value": ["1"]})
    assert tables.column_widths(anchored) == tables.column_widths(plain)


@pytest.mark.parametrize(
    ("cell", "printed"),
    [
        ("-10.0 (-31.2, 88.8)", "\u221210.0\u00a0(\u221231.2,\u00a088.8)"),
        ("< 0.001", "<\u00a00.001"),
        ("p < 0.001", "p <\u00a00.001"),
        ("72.4 %", "72.4\u00a0%"),
        (">= 1 relapse", "\u2265\u00a01 relapse"),
        ("mean +/- SD", "mean \u00b1 SD"),
        ("20 (1-5)", "20\u00a0(1\u20135)"),
        ("SF-36; 02-safety; 1.07e-10; 2026-12-07", "SF-36; 02-safety; 1.07e-10; 2026-12-07"),
        ("-", "-"),
    ],
)
def test_typeset_prints_one_minus_sign_and_keeps_numbers_on_one_line(cell, printed) -> None:
    assert tables.typeset(cell) == printed
    assert tables.typeset(printed) == printed  # idempotent: a table laid out again is unchanged


def test_a_table_set_landscape_is_sized_for_the_landscape_width(tmp_path) -> None:
    """publish sizes the saved markdown and the notebook display alike: for LANDSCAPE_WIDTH_PT
    a wide table's text columns get more room than at the portrait width."""
    wide = pd.DataFrame({"Parameter": ["HRPQ household work lost, total (h) and more words"],
                         **{f"Statistic {i}": ["−10.0 (−31.2, 88.8)"] for i in range(4)}})
    portrait = tables.publish(wide, "tbl-x", "X", tmp_path / "p").data
    landscape = tables.publish(wide, "tbl-x", "X", tmp_path / "l",
                               width_pt=tables.LANDSCAPE_WIDTH_PT).data
    assert landscape != portrait
    assert (tmp_path / "l" / "tbl-x.md").read_text(encoding="utf-8").startswith(landscape)
    assert landscape == tables.to_markdown(wide, tables.LANDSCAPE_WIDTH_PT)
    text_share = tables.column_widths(wide, tables.LANDSCAPE_WIDTH_PT)[0]
    assert text_share > tables.column_widths(wide)[0]  # the room goes to the text column
