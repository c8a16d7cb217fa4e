"""Formatting and saving of report tables (aggregates only).

Fixed number formats, so that a table's text only changes when its numbers do:
mean (SD) "42.3 (24.6)", median (Q1, Q3) / median (min, max) "40.0 (30.0, 55.0)",
n (%) "44 (51.2)", p "< 0.001" or "0.012", missing "-". A value withheld by disclosure
control arrives as its marker text ("<5", "n<5", "x": helpers.analysis.disclosure.marked) and
every formatter shows it as it is, in place of the number (of the whole cell, for a count or
the first number of a pair). Tables are shown in notebooks as
markdown (survives HTML, DOCX and PDF) and saved as CSV + markdown with the caption.

Layout, one definition for the three formats (to_markdown): a first column that repeats its
value on consecutive rows becomes a group row with the rows indented beneath it (the usual
Table 1 layout); the first column is left-aligned, the others right-aligned so numbers line up;
column widths are set explicitly, as the dash counts of the pipe table's separator line (pandoc's
relative widths), so that no column is narrower than its longest unbreakable value at
TABLE_FONT_PT within TABLE_WIDTH_PT.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown

from helpers.analysis import ard

MISSING = "-"
#: indentation of sub-rows (non-breaking spaces: markdown renderers keep them)
INDENT = "\u00a0" * 4
#: columns that would identify an individual; a report table must not carry them
IDENTIFYING_COLUMNS = ("USUBJID", "SUBJID", "SITEID", "ADT", "TRTSDT", "EOSDT", "RFICDT", "DTHDT")


#: a view's value: a number, or the marker text of a suppressed row
Value = float | str


def fmt_num(x: Value, decimals: int = 1) -> str:
    """Fixed-decimals number; a marker as it is; "-" when missing, "NE" (not estimable) when
    infinite; no "-0.0"."""
    if isinstance(x, str):
        return x
    if x is None or pd.isna(x):
        return MISSING
    if np.isinf(x):
        return "NE"
    return f"{round(float(x), decimals) + 0.0:.{decimals}f}"


def fmt_pair(a: Value, b: Value, c: Value | None = None, decimals: int = 1) -> str:
    """ "a (b)" or "a (b, c)" with fixed decimals: mean (SD), median (Q1, Q3), estimate (CI);
    a's marker alone when a is suppressed; "-" when a is missing."""
    if isinstance(a, str):
        return a
    if a is None or pd.isna(a):
        return MISSING
    inner = fmt_num(b, decimals) if c is None else f"{fmt_num(b, decimals)}, {fmt_num(c, decimals)}"
    return f"{fmt_num(a, decimals)} ({inner})"


def fmt_count(n: Value) -> str:
    """A count as an integer ("3"); a marker as it is."""
    return n if isinstance(n, str) else f"{n:.0f}"


def fmt_n_pct(n: Value, pct: Value, decimals: int = 1) -> str:
    """ "n (%)" of a count and its percentage (an ARD cell's n and pct); n's marker alone when
    n is suppressed (its percentage follows it); "n" alone when the percentage is not
    computable (NaN: the denominator is 0)."""
    if isinstance(n, str):
        return n
    if pct is None or pd.isna(pct):
        return f"{int(n)}"
    return f"{int(n)} ({fmt_num(pct, decimals)})"


def fmt_share(fraction: float, decimals: int = 0) -> str:
    """A fraction as a percentage, as the article writes one: 0.15 -> "15 %"."""
    return f"{fmt_num(fraction * 100, decimals)} %"


def fmt_p(p: Value) -> str:
    """p-value as journals print it: "< 0.001" below 0.001, else 3 decimals; a marker as it
    is; "-" when not computable."""
    if isinstance(p, str):
        return p
    if p is None or pd.isna(p):
        return MISSING
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def described_cells(described: dict[str, Value], decimals: int = 1) -> dict[str, str]:
    """n, mean (SD), median (Q1, Q3) and median (min, max) as table cells, from the statistics
    of helpers.analysis.stats.describe (or their ARD rows); "-" when there are no values."""
    d = described
    if not d["n"]:
        return {"n": "0", "Mean (SD)": MISSING, "Median (Q1, Q3)": MISSING,
                "Median (min, max)": MISSING}  # fmt: skip
    return {
        "n": fmt_count(d["n"]),
        "Mean (SD)": fmt_pair(d["mean"], d["sd"], decimals=decimals),
        "Median (Q1, Q3)": fmt_pair(d["median"], d["q1"], d["q3"], decimals),
        "Median (min, max)": fmt_pair(d["median"], d["min"], d["max"], decimals),
    }


def cell_value(results: pd.DataFrame, **keys: str) -> Value:
    """The value of the one row matching `keys` (helpers.analysis.ard.select), a marker as it
    is; KeyError naming the keys when not exactly one."""
    found = ard.select(results, **keys)
    if len(found) != 1:
        raise KeyError(f"{len(found)} ARD rows match {keys}, expected 1")
    value = found["value"].iloc[0]
    return value if isinstance(value, str) else float(value)


def small_counts_hidden(df: pd.DataFrame, settings: dict[str, object] | None) -> pd.DataFrame:
    """A table of counts that is no ARD view (the ADaM exclusions) as disclosure control shows
    it: with `settings` (the params' disclosure block) on, every integer cell from 1 to
    min_cell - 1 as "<min_cell" (primary suppression only: such a table shows no total to
    subtract from); off (None, or min_cell None): the table unchanged."""
    min_cell = None if settings is None else settings.get("min_cell")
    if min_cell is None:
        return df

    def cell(x: object) -> object:
        small = isinstance(x, int | np.integer) and 1 <= x < min_cell  # type: ignore[operator]
        return f"<{min_cell}" if small else x

    return df.map(cell)


def n_pct_cells(cells: pd.DataFrame) -> list[str]:
    """ "n (%)" of each (paramcd, level) cell of ARD rows with stats n and pct
    (helpers.analysis.ard.counts, n_pct), in the rows' order."""
    shown = []
    for _, cell in cells.groupby(["paramcd", "level"], sort=False):
        stat = cell.set_index("stat")["value"]
        shown.append(fmt_n_pct(stat["n"], stat["pct"]))
    return shown


def assert_aggregate(df: pd.DataFrame) -> None:
    """Refuse a table that carries identifying columns or dates (report tables are aggregates)."""
    bad = [c for c in df.columns if str(c).upper() in IDENTIFYING_COLUMNS]
    bad += [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
    if bad:
        raise ValueError(f"table carries identifying columns or dates: {bad}")


#: the width tables are sized for: the A4 text width of the PDF and the DOCX (16.6 cm, 470.6 pt;
#: helpers.report.docx_layout scales each DOCX table to it) less 11.6 pt to spare; and the font
#: size of table text (the Typst header and the DOCX reference document set it)
TABLE_WIDTH_PT = 459.0
TABLE_FONT_PT = 9.0
#: the same for a table on a landscape page (the ledger): wider by the A4 sides' difference
LANDSCAPE_WIDTH_PT = TABLE_WIDTH_PT + (29.7 - 21.0) / 2.54 * 72
#: advance of one character in em (a bound for digits and text in proportional fonts) and the
#: padding of a cell (left + right), in pt
CHAR_EM = 0.55
CELL_PADDING_PT = 12.0
#: dashes of the separator line: over pandoc's 72 columns, so that it applies relative widths
SEPARATOR_DASHES = 200


def group_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Table 1 layout: when the first column repeats its value on consecutive rows, each run
    becomes a group row (the value in bold, other cells empty) followed by its rows, with the
    second column indented by INDENT as their label; the first column is dropped and its header
    kept. A table whose first column never repeats is returned unchanged."""
    if df.shape[1] < 3 or len(df) == 0:
        return df
    first = df.iloc[:, 0].astype(str)
    starts = first.ne(first.shift())
    if starts.all():
        return df
    group, label = df.columns[0], df.columns[1]
    header = f"{group} / {label}"
    rest = df.columns[2:]
    rows = []
    for start, (_, row) in zip(starts, df.iterrows(), strict=True):
        if start:
            rows.append({header: f"**{row.iloc[0]}**", **{c: "" for c in rest}})
        rows.append({header: f"{INDENT}{row[label]}", **{c: row[c] for c in rest}})
    return pd.DataFrame(rows, columns=[header, *rest])


NBSP = "\u00a0"
MINUS = "\u2212"
#: (pattern, replacement) applied in order by `typeset`
_TYPESET = (
    (re.compile(r"(?<![\w.)\]])-(?=\.?\d)"), MINUS),  # a sign, not a hyphen ("SF-36", "1e-10")
    (re.compile(r"(?<![\w.\u2212-])(\d+(?:\.\d+)?)-(?=\d+(?:\.\d+)?(?![\w.-]))"),
     "\\1\u2013"),  # a range "1-5" (not a date "2026-12-07")
    (re.compile(r"\+/-"), "\u00b1"),
    (re.compile(r"<=(?=[ \d])"), "\u2264"),
    (re.compile(r">=(?=[ \d])"), "\u2265"),
    (re.compile(r"(?<![^\s(=])([<>=\u2264\u2265\u00b1]) (?=[\u2212\d])"), rf"\1{NBSP}"),
    (re.compile(r"(?<=\d) (?=\(?[\u2212\u2013\d.]+[,)])"), NBSP),  # "10.0 (" of an interval
    (re.compile(r"(?<=\d), (?=[\u2212\d])"), f",{NBSP}"),  # "(-31.2, 88.8)"
    (re.compile(r"(?<=\d) (?=%)"), NBSP),  # "72.4 %"
)


def typeset(text: str) -> str:
    """A cell as printed: the minus sign U+2212 for a sign ("-10.0", "(-31.2"; not the hyphen of
    "SF-36", "02-safety" or "1e-10"), the en dash of a range ("1–5"; not in a date), ±, ≤ and
    ≥ for "+/-", "<=" and ">=", and non-breaking
    spaces wherever a line break would split a number from what belongs to it: "< 0.001",
    "= 80" (a line may break before the sign), "10.0 (-31.2, 88.8)", "72.4 %". Idempotent."""
    for pattern, replacement in _TYPESET:
        text = pattern.sub(replacement, text)
    return text


_SPAN = re.compile(r"\[([^\]]*)\]\{[^}]*\}")  # a pandoc span "[text]{#id}" shows as "text"
_BREAKS = re.compile(r"[ \t\n\u200b]+")  # where a line may break: not at a non-breaking space


def _text_width(text: str, longest_word: bool) -> float:
    text = _SPAN.sub(r"\1", str(text))
    words = _BREAKS.split(text.replace(INDENT, "    ")) if longest_word else [text]
    return max((len(w) for w in words), default=0) * CHAR_EM * TABLE_FONT_PT


def column_widths(df: pd.DataFrame, width_pt: float = TABLE_WIDTH_PT) -> list[float]:
    """Relative column widths (sum 1) of a table at TABLE_FONT_PT in `width_pt` (TABLE_WIDTH_PT,
    or LANDSCAPE_WIDTH_PT for a table on a landscape page).

    Each column needs at least its longest word (header included) plus padding. When every
    cell fits on one line the widths are the cells' natural widths. Otherwise numbers come
    first: the number columns (helpers.report.tables._is_numeric, all but the first) get their
    natural width, so that "58.0 (22.0, 96.0)" never wraps, and the text columns share what is left
    in proportion to how much more their longest cell needs; when even that does not fit, the space
    left after every column's least goes to all columns in that proportion."""
    cells = [[str(c), *df[c].astype(str)] for c in df.columns]
    least = np.array([max(_text_width(x, True) for x in col) for col in cells]) + CELL_PADDING_PT
    natural = np.array([max(_text_width(x, False) for x in col) for col in cells])
    natural = np.maximum(natural + CELL_PADDING_PT, least)
    numbers = np.array([i > 0 and _is_numeric(df.iloc[:, i]) for i in range(df.shape[1])])
    first = np.where(numbers, natural, least)
    if natural.sum() <= width_pt or natural.sum() == least.sum():
        widths = natural
    elif first.sum() <= width_pt and (natural - first).sum() > 0:
        spare = width_pt - first.sum()
        widths = first + spare * (natural - first) / (natural - first).sum()
    else:
        spare = max(width_pt - least.sum(), 0.0)
        widths = least + spare * (natural - least) / (natural - least).sum()
    return list(widths / widths.sum())


def _is_numeric(values: pd.Series) -> bool:
    """A column of numbers and statistics: most non-empty cells start with a number (after a
    sign, "<" or "("), ended by a space, ")", "%", "," or the cell's end (text such as
    "Headache" or "02-patient-outcomes" does not)."""
    cells = values.astype(str).str.strip().replace({MISSING: ""})
    cells = cells[cells != ""]
    number = r"^[<>\u2264\u2265+\u2212-]?\s?\(?\d[\d.]*(e-?\d+)?(\s|\)|%|,|$)"
    return len(cells) > 0 and cells.str.match(number).mean() >= 0.5


def to_markdown(df: pd.DataFrame, width_pt: float = TABLE_WIDTH_PT) -> str:
    """Pipe table in the layout described in the module docstring, its columns set for
    `width_pt` (column_widths). Cells are written as they are, typeset (`typeset`: minus signs,
    mathematics, non-breaking spaces; no re-parsing of numbers, leading INDENT kept); "|"
    inside a cell is escaped."""
    assert_aggregate(df)
    shown = group_rows(df.astype(str)).map(typeset)
    shown.columns = [typeset(str(c)) for c in shown.columns]
    widths = column_widths(shown, width_pt)
    dashes = [max(3, round(w * SEPARATOR_DASHES)) for w in widths]
    right = [i > 0 and _is_numeric(shown.iloc[:, i]) for i in range(shown.shape[1])]
    separator = [("-" * (n - 1) + ":") if r else (":" + "-" * (n - 1))
                 for n, r in zip(dashes, right, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    body = [line(list(row)) for row in shown.itertuples(index=False)]
    return "\n".join([line(list(shown.columns)), "|" + "|".join(separator) + "|", *body])


def show(df: pd.DataFrame, width_pt: float = TABLE_WIDTH_PT) -> Markdown:
    """Notebook display of a table as markdown (renders in HTML and survives DOCX/PDF), its
    columns sized for `width_pt` (LANDSCAPE_WIDTH_PT for a table the article sets landscape)."""
    return Markdown(to_markdown(df, width_pt))


def save_table(df: pd.DataFrame, table_id: str, caption: str, tables_dir: str | Path,
               width_pt: float = TABLE_WIDTH_PT) -> Path:
    """Write <table_id>.csv and <table_id>.md (pipe table + pandoc caption) in tables_dir.

    Bytes are deterministic: UTF-8, "\\n" line ends, cells written as formatted. Returns the .md.
    """
    out = Path(tables_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = to_markdown(df, width_pt)
    df.astype(str).to_csv(out / f"{table_id}.csv", index=False, lineterminator="\n")
    path = out / f"{table_id}.md"
    path.write_text(f"{md}\n\n: {caption} {{#{table_id}}}\n", encoding="utf-8")
    return path


def publish(df: pd.DataFrame, table_id: str, caption: str, tables_dir: str | Path,
            width_pt: float = TABLE_WIDTH_PT) -> Markdown:
    """save_table, then return the notebook display of the same table, both sized for
    `width_pt`."""
    save_table(df, table_id, caption, tables_dir, width_pt)
    return show(df, width_pt)
