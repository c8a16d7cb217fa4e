"""The number ledger of the manuscript: every number the text quotes, where it comes from.

Each published figure's row of the run's reproduction check (reproduction.csv: the ARD row, the
definition, population and n, the function that computed it, the notebook and labelled cell
that show it, the published value and the verdict) becomes a row of a supplementary table with
an anchor (`#ledger-<id>`), and every number the article quotes (`{{< var kr.<id> >}}`, and the
published value `{{< var pub.<id> >}}`) links to its row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from helpers.report.tables import LANDSCAPE_WIDTH_PT, to_markdown
from helpers.results.reproduction import printed_otherwise

_QUOTED = re.compile(r"\{\{<\s*var\s+(kr|pub)\.([\w-]+)\s*>\}\}")
#: the ledger's columns as the manuscript shows them (ledger_table)
HEADERS = ("Number", "What (definition)", "Population (n)", "This run", "Published (source)",
           "Verdict", "Where it comes from")  # fmt: skip
#: where a long reference ("stats.planned_sample_size(effect_size=0.4", "analysis=cg_agreement",
#: "cg_msis_psych_chg_eos_median") may break: after a ".", "_", "(" or "=" between letters
_BREAK_AFTER = re.compile(r"(?<=[A-Za-z_][._(=])(?=[A-Za-z])")
ZERO_WIDTH_SPACE = "\u200b"


def breakable(reference: str) -> str:
    """A code reference with a zero-width space (a line break opportunity in Typst, Word and
    browsers, invisible in print) at each `_BREAK_AFTER` point, so that the ledger's columns
    need not be as wide as its longest name."""
    return _BREAK_AFTER.sub(ZERO_WIDTH_SPACE, reference)


def anchor(figure_id: str) -> str:
    """The id of a figure's ledger row (an HTML anchor, a DOCX bookmark, a Typst label)."""
    return f"ledger-{figure_id}"


def _origin(row: pd.Series) -> str:
    """ "ARD row ...; computed by ...; shown in <cell> (<notebook>)", the parts the row has."""
    parts = [f"ARD row {row['ard_row']}" if row["ard_row"] else "",
             f"computed by {row['method']}" if row["method"] else "",
             f"shown in {row['cell']} ({row['notebook']})" if row["cell"] else ""]
    return breakable("; ".join(part for part in parts if part))


def _published(row: pd.Series) -> str:
    """The published value with its source as published.yaml records it (reproduction.basis):
    "87 (A)", "86 (inferred from A: ...)", "-10.0 (A prints 10.0)"."""
    basis = row["basis"]
    if basis.startswith("inferred"):
        return f"{row['published']} ({basis})"
    printed = printed_otherwise(basis)
    shown = f"{row['source']} prints {printed}" if printed else row["source"]
    return f"{row['published']} ({shown})"


def ledger_table(reproduction: pd.DataFrame) -> pd.DataFrame:
    """One row per published figure (reproduction.csv, text columns), in HEADERS: the id with
    its anchor, the definition, population and n, our value, the published value and source
    (printed, printed otherwise, or inferred: `_published`),
    the verdict (with the reason when not comparable), and where the number comes from: its
    ARD row (ard/<notebook>.csv), the function that computed it and the labelled cell
    (notebook) that shows it; the id and the references may break (`breakable`)."""
    r = reproduction.fillna("").astype(str)
    n = r["n"].map(lambda x: f" (n = {x})" if x else "")
    columns = [
        "[" + r["id"].map(breakable) + "]{#" + r["id"].map(anchor) + "}",
        r["what"],
        r["population"] + n,
        r["reproduced"],
        r.apply(_published, axis=1),
        r["verdict"] + r["note"].map(lambda x: f": {x}" if x else ""),
        r.apply(_origin, axis=1),
    ]
    return pd.DataFrame(dict(zip(HEADERS, columns, strict=True)))


def ledger_markdown(reproduction_md: str, reproduction: pd.DataFrame) -> str:
    """The ledger section's body: reproduction.md's opening (data, sources, summary; not its
    title nor its table) and the ledger table (helpers.report.tables.to_markdown), its columns
    set for the landscape page it is printed on."""
    opening = re.sub(r"\A# [^\n]*\n+", "", reproduction_md).split("\n|", 1)[0].rstrip()
    return f"{opening}\n\n{to_markdown(ledger_table(reproduction), LANDSCAPE_WIDTH_PT)}\n"


def link_numbers(article: str, ids: Iterable[str]) -> str:
    """Every quoted number of a figure that has a ledger row, as a link to that row."""
    known = set(ids)

    def link(m: re.Match) -> str:
        return f"[{m.group(0)}](#{anchor(m.group(2))})" if m.group(2) in known else m.group(0)

    return _QUOTED.sub(link, article)
