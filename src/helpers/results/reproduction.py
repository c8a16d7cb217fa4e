"""The reproduction check: every published figure beside the value this run recomputed.

Published figures and their match rules come from study/published.yaml (a copy of the study's
shared file). Rules:
  exact  - equal when both are rounded to the published decimals (text: equal strings)
  abs:X  - |reproduced - published| <= X
  cond   - the reproduced value satisfies the published condition: "< a", "<= a", "> a",
           ">= a" or "in [a, b]" (bounds included)
A value that could not be computed (empty) never matches.

What a published value is, as published.yaml records it (`basis`): printed in its source; not
printed but inferred from printed figures (`inferred:` gives the reason); or printed otherwise
than it is compared (a note "A prints '10.0' ..." gives the printed text and the convention).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import yaml

from helpers.analysis import disclosure

PUBLISHED_YAML = Path(__file__).resolve().parents[3] / "study" / "published.yaml"
COLUMNS = ["id", "section", "what", "source", "population", "n", "published", "basis",
           "reproduced", "match_rule", "verdict", "ard_row", "method", "notebook", "cell"]
#: the efficacy population of the published analysis (published.yaml: patient outcomes are
#: "FAS ... unless stated"); the default params analyse it
PUBLISHED_POPULATION = "FAS"
NOT_COMPARABLE = "not comparable"
#: the verdict of a figure whose value disclosure control withholds (shown as its marker)
SUPPRESSED = "suppressed"
#: the sources as study/published.yaml describes them (its header)
SOURCES = ("A = the 2024 article's abstract (study/abstract.txt); B = the earlier baseline report "
           "of the same study (interim data; see study/published.yaml)")

_PRINTED = re.compile(r"\bprints '([^']+)'")
#: a sentence of a published.yaml note that asks the ledger to do something (done, not shown)
_INSTRUCTION = re.compile(r"\s*\bShow [^.]*\.")
#: what a match means, by the kind of data the run analysed (the head of reproduction.md and
#: of the manuscript's ledger)
MATCH_MEANING = {
    True: ("**Synthetic data, not the study's.** These figures were recomputed from a synthetic"
           " cohort whose distributions were calibrated to the published figures: a match shows"
           " that each definition is implemented and runs end to end, not that the study's"
           " results are reproduced."),
    False: ("**The study's data.** These figures were recomputed from the study data export: a"
            " match means that the published figure follows from the data by the definition"
            " given."),
}
_CONDITION = re.compile(r"^\s*(<=|>=|<|>)\s*(-?[\d.]+)\s*$")
_INTERVAL = re.compile(r"^\s*in\s*\[\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*\]\s*$")

#: words of an id spelled out for the "what" column, when published.yaml gives no definition
_WORDS = {
    "n": "number",
    "pct": "%",
    "bl": "baseline",
    "chg": "change",
    "eos": "at EOS",
    "sd": "SD",
    "p": "p-value",
    "cg": "caregiver",
    "msis": "MSIS-29",
    "phys": "physical",
    "psych": "psychological",
    "fsmc": "FSMC total",
    "sdmt": "SDMT",
    "bdi": "BDI-II",
    "edss": "EDSS",
    "tsqm": "TSQM",
    "glo": "global satisfaction",
    "eff": "effectiveness",
    "se": "side effects",
    "con": "convenience",
    "min": "min",
    "max": "max",
    "sf36": "SF-36",
    "pcs": "PCS",
    "mcs": "MCS",
    "re": "role-emotional",
    "ae": "AE",
    "msdur": "MS duration",
    "npriordmt": "prior DMTs",
    "y1": "year 1",
    "y2": "year 2",
    "y3": "year 3",
}


@dataclass(frozen=True)
class PublishedFigure:
    """One entry of published.yaml."""

    id: str
    section: str
    source: str
    published: str | float | int
    match: str
    definition: str | None
    note: str | None
    inferred: str | None = None


def read_published(path: Path = PUBLISHED_YAML) -> list[PublishedFigure]:
    """Every published figure, in the file's order."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        PublishedFigure(
            id=entry["id"],
            section=section,
            source=entry["source"],
            published=entry["published"],
            match=str(entry["match"]),
            definition=entry.get("def"),
            note=entry.get("note"),
            inferred=entry.get("inferred"),
        )
        for section, entries in doc.items()
        for entry in entries
    ]


def published_decimals(value: float | int | str) -> int:
    """Decimals printed in a published number (72.4 -> 1, 87 -> 0)."""
    exponent = Decimal(str(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def satisfies(value: float, condition: str) -> bool:
    """Whether value meets a published condition such as "< 0.01" or "in [10.8, 13.2]"."""
    if (m := _INTERVAL.match(condition)) is not None:
        return float(m.group(1)) <= value <= float(m.group(2))
    if (m := _CONDITION.match(condition)) is None:
        raise ValueError(f"published condition {condition!r} is not of a known form")
    op, bound = m.group(1), float(m.group(2))
    return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[op]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def judge(figure: PublishedFigure, value: object) -> bool:
    """Apply the figure's match rule to a reproduced value."""
    if _is_missing(value):
        return False
    if isinstance(figure.published, str) and figure.match == "exact":
        return str(value) == figure.published
    number = float(value)  # type: ignore[arg-type]
    if figure.match == "cond":
        return satisfies(number, str(figure.published))
    if figure.match == "exact":
        decimals = published_decimals(figure.published)
        return round(number, decimals) == round(float(figure.published), decimals)
    if figure.match.startswith("abs:"):
        return abs(number - float(figure.published)) <= float(figure.match[4:]) + 1e-12
    raise ValueError(f"{figure.id}: unknown match rule {figure.match!r}")


def format_reproduced(figure: PublishedFigure, value: object) -> str:
    """The reproduced value as a reader compares it: at the published decimals; p-values and
    conditions with three significant figures ("0.00123")."""
    if _is_missing(value):
        return "not computed"
    if isinstance(value, str) and not _is_number(value):
        return value
    number = float(value)  # type: ignore[arg-type]
    if figure.match == "cond":
        return f"{number:.3g}"
    return f"{number:.{published_decimals(figure.published)}f}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def describe(figure: PublishedFigure) -> str:
    """A short reader's label: published.yaml's definition, else the id spelled out."""
    if figure.definition:
        return figure.definition
    return " ".join(_WORDS.get(word, word) for word in figure.id.split("_"))


def basis(figure: PublishedFigure) -> str:
    """What the published value is, the first case that applies: "inferred from <source>: <reason>"
    (not printed; published.yaml `inferred`); "printed in <source> as <text>" when its note says
    the source prints it otherwise ("A prints '10.0' ...": the value compared is published.yaml's,
    the convention is the note's); else "printed in <source>"."""
    if figure.inferred:
        return f"inferred from {figure.source}: {figure.inferred}"
    printed = _PRINTED.search(figure.note or "")
    if printed is not None:
        return f"printed in {figure.source} as {printed.group(1)}"
    return f"printed in {figure.source}"


def printed_otherwise(basis_text: str) -> str:
    """The text a source prints for a value it prints otherwise than it is compared ("10.0"
    from basis "printed in A as 10.0"); "" for any other basis. The one reader of `basis`'s
    wording besides "inferred" at its start."""
    printed = re.search(r"^printed in \S+ as (.+)$", basis_text)
    return printed.group(1) if printed else ""


def shown_note(figure: PublishedFigure) -> str:
    """The figure's published.yaml note as the ledger shows it: its sentences that ask the ledger
    to show something ("Show the printed value beside ours.") are carried out (`basis`), not
    printed."""
    return _INSTRUCTION.sub("", figure.note or "").strip()


def subset_reason(population: str, run_population: str, country: str | None) -> str:
    """Why a published figure cannot be compared with this run ("" when it can): the published
    figures describe every patient of the three countries, and the efficacy figures the
    PUBLISHED_POPULATION; a run on one country, or with another efficacy population (e.g.
    completers) for a figure of that population, analyses a subset."""
    if country:
        return f"a subset: the patients of {country} only"
    if run_population != PUBLISHED_POPULATION and run_population in population.split(", "):
        return f"a subset: {run_population} instead of {PUBLISHED_POPULATION}"
    return ""


def reproduction_table(
    key_results: pd.DataFrame, published: list[PublishedFigure],
    ledger: pd.DataFrame | None = None, run_population: str = PUBLISHED_POPULATION,
    country: str | None = None,
) -> pd.DataFrame:
    """One row per published figure (published.yaml order): COLUMNS, plus `note`.

    key_results: columns id, value (as written to key_results.csv). An id missing from it is
    reported as "not computed" and differs. ledger: where each id's value comes from
    (helpers.results.key_results.ledger_rows: population, n, ARD row, method, notebook, cell); ""
    where unknown. run_population, country: the run's efficacy population and country; a
    figure this run computes on a subset (subset_reason) is judged NOT_COMPARABLE, the reason
    in `note`.
    """
    values = dict(zip(key_results["id"], key_results["value"], strict=True))
    sources = {} if ledger is None else ledger.set_index("id").to_dict("index")
    rows = []
    for fig in published:
        value = parse_value(values.get(fig.id))
        origin = sources.get(fig.id, {})
        subset = subset_reason(origin.get("population", ""), run_population, country)
        verdict = (SUPPRESSED if disclosure.is_marker(value) else
                   "match" if judge(fig, value) else "differs")  # fmt: skip
        rows.append(
            {
                "id": fig.id,
                "section": fig.section,
                "what": describe(fig),
                "source": fig.source,
                **{c: origin.get(c, "") for c in ("population", "n", "ard_row", "method",
                                                  "notebook", "cell")},
                "published": str(fig.published),
                "basis": basis(fig),
                "reproduced": format_reproduced(fig, value),
                "match_rule": fig.match,
                "verdict": NOT_COMPARABLE if subset and verdict != SUPPRESSED else verdict,
                "note": "; ".join(x for x in (subset, shown_note(fig)) if x),
            }
        )
    return pd.DataFrame(rows, columns=[*COLUMNS, "note"])


def parse_value(value: object) -> object:
    """key_results.csv values arrive as text or numbers; numbers become float."""
    if isinstance(value, str) and _is_number(value):
        return float(value)
    return value


def summary_line(table: pd.DataFrame) -> str:
    """E.g. "75 of 75 published figures reproduced"; "74 of 75 published figures reproduced;
    differs: n_planned" (the ids that differ, in published.yaml's order); on a subset run "60
    of 60 comparable published figures reproduced; 15 of 75 not comparable with this subset";
    figures withheld by disclosure control (verdict SUPPRESSED) are not compared either and
    counted apart ("; 3 suppressed")."""
    matched = int((table["verdict"] == "match").sum())
    subset = int((table["verdict"] == NOT_COMPARABLE).sum())
    withheld = int((table["verdict"] == SUPPRESSED).sum())
    differs = table.loc[table["verdict"].eq("differs"), "id"].tolist()
    named = f"; differs: {', '.join(differs)}" if differs else ""
    named += f"; {withheld} {SUPPRESSED}" if withheld else ""
    if subset == withheld == 0:
        return f"{matched} of {len(table)} published figures reproduced{named}"
    return (f"{matched} of {len(table) - subset - withheld} comparable published figures "
            f"reproduced{named}; {subset} of {len(table)} not comparable with this subset")


#: reproduction.md's tables: the verdicts, then where each number comes from
VERDICT_COLUMNS = {"id": "id", "published": "published", "reproduced": "reproduced",
                   "match_rule": "rule", "verdict": "verdict", "size": "population (n)"}
ORIGIN_COLUMNS = {"id": "id", "ard_row": "ARD row (ard/<notebook>.csv)", "method": "computed by",
                  "shown": "shown in"}


def _published_mark(basis_text: str) -> str:
    """What the verdict table adds to a published value: " (inferred)" for an inferred one,
    " (printed 10.0)" for one printed otherwise than it is compared (basis)."""
    if basis_text.startswith("inferred"):
        return " (inferred)"
    printed = printed_otherwise(basis_text)
    return f" (printed {printed})" if printed else ""


def reproduction_markdown(table: pd.DataFrame, data: str = "", synthetic: bool = True) -> str:
    """reproduction.md: what the data are (`data`) and what a match means on them
    (MATCH_MEANING), the sources, the summary line; then, in published.yaml's order, a table of
    verdicts (published value, reproduced value, match rule, verdict, population and n; a figure
    that differs in bold, an inferred value marked), a table of where each number comes from (its
    ARD row, the function that computed it, the notebook cell that shows it), and each figure's
    definition, basis and notes."""
    r = table.fillna("").astype(str)
    shown = r.assign(
        verdict=r["verdict"].replace({"differs": "**differs**"}),
        published=r["published"] + r["basis"].map(_published_mark),
        size=r["population"] + r["n"].map(lambda n: f" ({n})" if n else ""),
        shown=r["cell"] + r["notebook"].map(lambda nb: f" ({nb})" if nb else ""),
    )
    notes = [f"- **{x.id}**: {x.what}. Published value {x.basis}."
             + (f" {x.note[0].upper()}{x.note[1:].rstrip('.')}." if x.note else "")
             for x in r.itertuples(index=False)]
    opening = f"Data: {data}.\n\n" if data else ""
    return (
        f"# Reproduction check\n\n{opening}{MATCH_MEANING[synthetic]}\n\nSources: {SOURCES}."
        f"\n\n{summary_line(table)}.\n\n"
        + shown[list(VERDICT_COLUMNS)].rename(columns=VERDICT_COLUMNS).to_markdown(index=False)
        + "\n\n## Where each number comes from\n\n"
        + shown[list(ORIGIN_COLUMNS)].rename(columns=ORIGIN_COLUMNS).to_markdown(index=False)
        + "\n\n## Definitions and notes\n\n" + "\n".join(notes) + "\n"
    )


def write_reproduction(table: pd.DataFrame, folder: Path, data: str = "",
                       synthetic: bool = True) -> None:
    """reproduction.csv and reproduction.md in `folder` (deterministic bytes); `data` says what
    the data are, `synthetic` whether they are the synthetic cohort (reproduction_markdown)."""
    table.to_csv(folder / "reproduction.csv", index=False, lineterminator="\n")
    (folder / "reproduction.md").write_text(reproduction_markdown(table, data, synthetic),
                                            encoding="utf-8")
