"""Formatting and saving of report tables (aggregates only).

Fixed number formats, so that a table's text only changes when its numbers do:
mean (SD) "42.3 (24.6)", median (Q1, Q3) / median (min, max) "40.0 (30.0, 55.0)",
n (%) "44 (51.2)", p "<0.001" or "0.012", missing "-". Tables are shown in notebooks as
markdown (survives HTML, DOCX and PDF) and saved as CSV + markdown with the caption.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown

MISSING = "-"
#: indentation of sub-rows (non-breaking spaces: markdown renderers keep them)
INDENT = "\u00a0" * 4
#: columns that would identify an individual; a report table must not carry them
IDENTIFYING_COLUMNS = ("USUBJID", "SUBJID", "SITEID", "ADT", "TRTSDT", "EOSDT", "RFICDT", "DTHDT")


def fmt_num(x: float, decimals: int = 1) -> str:
    """Fixed-decimals number; "-" when missing, "NE" (not estimable) when infinite; no "-0.0"."""
    if x is None or pd.isna(x):
        return MISSING
    if np.isinf(x):
        return "NE"
    return f"{round(float(x), decimals) + 0.0:.{decimals}f}"


def fmt_pair(a: float, b: float, c: float | None = None, decimals: int = 1) -> str:
    """ "a (b)" or "a (b, c)" with fixed decimals: mean (SD), median (Q1, Q3), estimate (CI);
    "-" when a is missing."""
    if a is None or pd.isna(a):
        return MISSING
    inner = fmt_num(b, decimals) if c is None else f"{fmt_num(b, decimals)}, {fmt_num(c, decimals)}"
    return f"{fmt_num(a, decimals)} ({inner})"


def fmt_n_pct(n: int, denominator: int, decimals: int = 1) -> str:
    """ "n (%)" with % = 100 n / denominator; "0" when the denominator is 0."""
    if denominator == 0:
        return f"{int(n)}"
    return f"{int(n)} ({fmt_num(100.0 * n / denominator, decimals)})"


def fmt_p(p: float) -> str:
    """p-value: "<0.001" below 0.001, else 3 decimals; "-" when not computable."""
    if p is None or pd.isna(p):
        return MISSING
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def continuous_stats(values: pd.Series, decimals: int = 1) -> dict[str, str]:
    """n, mean (SD), median (Q1, Q3) and median (min, max) of the non-missing values.

    SD with ddof=1; quartiles by linear interpolation (pandas' and numpy's default). Computed
    with numpy on the array (the same arithmetic as pandas' reductions, without their per-call
    overhead: the change tables call this hundreds of times).
    """
    x = pd.to_numeric(values, errors="raise").dropna().to_numpy(dtype=float)
    if x.size == 0:
        return {"n": "0", "Mean (SD)": MISSING, "Median (Q1, Q3)": MISSING,
                "Median (min, max)": MISSING}  # fmt: skip
    sd = x.std(ddof=1) if x.size > 1 else np.nan
    median = np.median(x)
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return {
        "n": f"{x.size}",
        "Mean (SD)": fmt_pair(x.mean(), sd, decimals=decimals),
        "Median (Q1, Q3)": fmt_pair(median, q1, q3, decimals),
        "Median (min, max)": fmt_pair(median, x.min(), x.max(), decimals),
    }


def category_counts(values: pd.Series, levels: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """n (%) of each level (denominator = all values, missing shown as its own level if any)."""
    counts = values.fillna("Missing").value_counts()
    order = [*levels, *sorted(set(counts.index) - set(levels))]
    n = counts.reindex(order, fill_value=0)
    return pd.DataFrame(
        {"level": order, "n (%)": [fmt_n_pct(k, len(values)) for k in n.to_numpy()]}
    )


def assert_aggregate(df: pd.DataFrame) -> None:
    """Refuse a table that carries identifying columns or dates (report tables are aggregates)."""
    bad = [c for c in df.columns if str(c).upper() in IDENTIFYING_COLUMNS]
    bad += [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
    if bad:
        raise ValueError(f"table carries identifying columns or dates: {bad}")


def to_markdown(df: pd.DataFrame) -> str:
    """Pipe table of the cells as they are: no re-parsing of numbers (formats survive) and
    leading INDENT kept (tabulate strips whitespace unless preserve_whitespace)."""
    assert_aggregate(df)
    return df.astype(str).to_markdown(index=False, disable_numparse=True, preserve_whitespace=True)


def show(df: pd.DataFrame) -> Markdown:
    """Notebook display of a table as markdown (renders in HTML and survives DOCX/PDF)."""
    return Markdown(to_markdown(df))


def save_table(df: pd.DataFrame, table_id: str, caption: str, tables_dir: str | Path) -> Path:
    """Write <table_id>.csv and <table_id>.md (pipe table + pandoc caption) in tables_dir.

    Bytes are deterministic: UTF-8, "\\n" line ends, cells written as formatted. Returns the .md.
    """
    out = Path(tables_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = to_markdown(df)
    df.astype(str).to_csv(out / f"{table_id}.csv", index=False, lineterminator="\n")
    path = out / f"{table_id}.md"
    path.write_text(f"{md}\n\n: {caption} {{#{table_id}}}\n", encoding="utf-8")
    return path


def publish(df: pd.DataFrame, table_id: str, caption: str, tables_dir: str | Path) -> Markdown:
    """save_table, then return the notebook display of the same table."""
    save_table(df, table_id, caption, tables_dir)
    return show(df)
