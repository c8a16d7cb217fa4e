"""The generated includes of the manuscript, each a file written next to index.qmd (underscore:
Quarto does not render them alone): the key-result variables (_variables.yml), the methods
(helpers.report.methods_text), the number ledger or reproduction check, the provenance table,
the data availability statement and the author block (DOCX only: pandoc's DOCX title block has
no affiliations)."""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from helpers.report.article import (
    EMBED,
    ManuscriptError,
    data_variables,
    lookup,
    variables,
)
from helpers.report.ledger import ledger_markdown
from helpers.report.methods_text import methods_markdown
from helpers.report.tables import fmt_p, to_markdown, typeset
from helpers.results.reproduction import (
    PublishedFigure,
    format_reproduced,
    parse_value,
    read_published,
)

VARIABLES_FILE = "_variables.yml"
METHODS_FILE = "_methods-generated.md"
REPRODUCTION_FILE = "_reproduction-generated.md"
PROVENANCE_FILE = "_provenance-generated.md"
DATA_AVAILABILITY_FILE = "_data-availability-generated.md"
#: shown in the DOCX only (index.qmd): pandoc's DOCX title block has no affiliations
AUTHORS_FILE = "_authors-generated.md"


def format_key_result(figure: PublishedFigure, value: str | None) -> str:
    """A key result as the text quotes it (typeset: the minus sign U+2212, non-breaking spaces),
    the first case that applies: a p-value "p = 0.012" / "p < 0.001"; "not reached" for an
    infinite Kaplan-Meier median; a list of terms as prose ("headache, pyrexia and rash");
    another number at the published decimals (helpers.results.reproduction), "not computed"
    when missing."""
    if value is not None and value != "" and figure.id.endswith("_p"):
        p = fmt_p(float(value))
        return typeset(f"p {p}" if p.startswith("<") else f"p = {p}")
    number = parse_value(value)
    if isinstance(number, float) and math.isinf(number):
        return "not reached"
    if isinstance(number, str) and ", " in number:
        return prose_list(number.split(", "))
    return typeset(format_reproduced(figure, number))


def prose_list(terms: list[str]) -> str:
    """Terms (MedDRA preferred terms) as running text: lower case, the last joined by "and"."""
    words = [term.lower() for term in terms]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def key_result_variables(
    key_results: pd.DataFrame, published: list[PublishedFigure]
) -> dict[str, dict[str, str]]:
    """_variables.yml: `kr` = this run's value of each published figure (formatted), `pub` = the
    published figure as printed (typeset). Ids of key_results.csv not in published.yaml are kept in
    `kr`."""
    values = dict(zip(key_results["id"], key_results["value"], strict=True))
    by_id = {fig.id: fig for fig in published}
    extra = [i for i in values if i not in by_id]
    kr = {fig.id: format_key_result(fig, values.get(fig.id)) for fig in published}
    kr |= {i: str(values[i]) for i in extra}
    return {"kr": kr, "pub": {fig.id: typeset(str(fig.published)) for fig in published}}


def reproduction_include(reproduction_md: str) -> str:
    """reproduction.md without its own top-level title (the appendix section gives it), its
    table in the report's layout (helpers.report.tables.to_markdown)."""
    return relayout_pipe_tables(re.sub(r"\A# [^\n]*\n+", "", reproduction_md))


def relayout_pipe_tables(markdown: str) -> str:
    """Every pipe table of a markdown text (consecutive lines starting with "|": header,
    separator, rows) rewritten by helpers.report.tables.to_markdown: explicit widths, alignment."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if len(block) >= 2:
            cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block]
            out.append(to_markdown(pd.DataFrame(cells[2:], columns=cells[0])))
        else:
            out.extend(block)
        block.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            block.append(line)
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out) + "\n"


def _flatten(record: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            rows.extend(_flatten(value, f"{name}."))
        else:
            rows.append((name, json.dumps(value) if not isinstance(value, str) else value))
    return rows


def provenance_include(record: Mapping[str, Any]) -> str:
    """provenance.json as a two-column markdown table (nested keys joined with dots), without
    the steps' content keys and the code files' hashes: they are the runner's cache keys (kept in
    provenance.json for `helpers diff`), and leaving them out lets the report step be reused when
    only they change."""
    shown = {key: value for key, value in record.items() if key not in ("steps", "code_files")}
    table = pd.DataFrame(_flatten(shown), columns=["item", "value"])
    table["item"] = "`" + table["item"] + "`"
    table["value"] = table["value"].str.replace("|", "\\|", regex=False)
    return (
        "Where this run came from (provenance.json of the run folder): code commit, params file,"
        " SHA-256 of each input file and software versions.\n\n"
        + to_markdown(table)
        + "\n"
    )


_INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+)\s*>\}\}")


_SHORTCODE = re.compile(r"\{\{<.*?>\}\}", re.S)


def main_text_words(article: str, includes: Mapping[str, str]) -> int:
    """Words of the main text: from the Introduction heading to the References heading, the
    given includes inserted; tables (lines starting with "|" or a ": caption"), figure and table
    embeds, headings' markers, citations' brackets and code marks left out; a quoted number
    (`{{< var >}}`) counts as one word."""
    body = article.split("## Introduction", 1)[-1].split("## References", 1)[0]
    body = _INCLUDE.sub(lambda m: includes.get(m.group(1), ""), body)
    body = EMBED.sub(" ", body)
    body = _SHORTCODE.sub(" n ", body)
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(("|", ": "))]
    return len(re.findall(r"[A-Za-z0-9][\w'.,%-]*", "\n".join(lines)))


def data_availability(provenance: Mapping[str, Any] | None) -> str:
    """The Data availability statement, from the run's provenance: the code commit and the data
    analysed, the study team's part marked as a placeholder."""
    if not provenance:
        return "**Data availability.** *provenance.json is missing from this run folder.*\n"
    commit = lookup(provenance, "code.commit") or "unknown"
    dirty = " with uncommitted changes" if lookup(provenance, "code.dirty") else ""
    source = lookup(provenance, "data.source") or "the study data"
    if source.startswith("synthetic"):
        source = f"the {source}"
    return (
        "**Data availability.** The analysis code is available in the project repository "
        f"(commit `{commit}`{dirty}). "
        f"This report analysed {source}; the SHA-256 of every input file is listed in the "
        "provenance of the run (@sec-provenance). *Placeholder for the study team:* where and "
        "under which conditions the study data can be requested.\n"
    )


def author_block(config: Mapping[str, Any]) -> str:
    """The authors, their numbered affiliations and the corresponding author's e-mail of
    _quarto.yml (`author`, `affiliations`) as markdown lines."""
    affiliations = {a["id"]: a for a in config.get("affiliations", [])}
    numbers: dict[str, int] = {}
    names = []
    for author in config.get("author", []):
        refs = [numbers.setdefault(a["ref"], len(numbers) + 1)
                for a in author.get("affiliations", [])]
        marks = ",".join(str(n) for n in refs) + (",\\*" if author.get("corresponding") else "")
        names.append(f"{author['name']}^{marks}^" if marks else author["name"])
    lines = [", ".join(names), ""]
    for ref, number in numbers.items():
        place = affiliations.get(ref, {})
        where = ", ".join(place.get(k) for k in ("name", "city", "country") if place.get(k))
        lines += [f"^{number}^ {where}", ""]
    lines += [f"\\* Corresponding author: {a['name']}, <{a['email']}>"
              for a in config.get("author", []) if a.get("corresponding") and a.get("email")]
    return "\n".join(lines).strip() + "\n"


def _read_if_exists(path: Path, what: str) -> str | None:
    if path.is_file():
        return path.read_text(encoding="utf-8")
    warnings.warn(f"{path} not found: the manuscript says that {what} is missing", stacklevel=3)
    return None


def sensitivity_sentences(run_dir: Path) -> dict[str, str]:
    """The Results sentences of the sensitivity analyses (helpers.report.views.sensitivity) from
    the run's analysis results (ard/), "agreement" and "tipping"; a note when the run has none."""
    from helpers.analysis.ard import read_ard, select
    from helpers.report import views

    results = read_ard(run_dir / "ard") if (run_dir / "ard").is_dir() else None
    if results is None or select(results, analysis="sensitivity").empty:
        return {"agreement": "The sensitivity analyses are missing from this run.", "tipping": ""}
    return {"agreement": views.sensitivity.agreement_sentence(results),
            "tipping": views.sensitivity.tipping_sentence(results)}


def generated_includes(
    run_dir: Path, article: str, settings: Mapping[str, Any]
) -> dict[str, str]:
    """File name -> content of every generated include of a run (settings: the run's params,
    every key given, for the methods)."""
    published = read_published()
    kr_path = run_dir / "key_results.csv"
    if not kr_path.is_file():
        raise ManuscriptError(f"{kr_path} not found: the run has no key results to quote")
    key_results = pd.read_csv(kr_path, dtype=str, keep_default_na=False)
    quoted = key_result_variables(key_results, published)
    reproduction = _read_if_exists(run_dir / "reproduction.md", "the reproduction check")
    provenance_text = _read_if_exists(run_dir / "provenance.json", "the provenance record")
    provenance = json.loads(provenance_text) if provenance_text else None
    data_source = lookup(provenance, "data.source") if provenance else None
    methods = methods_markdown(settings, data_source)
    summary = lookup(provenance, "summary") if provenance else None
    quoted["summary"] = {"reproduced": f"{summary[:1].upper()}{summary[1:]}." if summary
                         else "The reproduction check is in the appendix."}
    quoted["sensitivity"] = sensitivity_sentences(run_dir)
    quoted["data"] = data_variables(data_source)  # synthetic or the study's: title, abstract
    quoted["words"] = {"main": str(main_text_words(article, {METHODS_FILE: methods}))}
    unknown = [v for v in variables(article) if lookup(quoted, v) is None]
    if unknown:
        raise ManuscriptError(f"index.qmd quotes unknown variables: {', '.join(unknown)}")
    return {
        VARIABLES_FILE: yaml.safe_dump(quoted, sort_keys=False, allow_unicode=True),
        METHODS_FILE: methods,
        DATA_AVAILABILITY_FILE: data_availability(provenance),
        REPRODUCTION_FILE: _reproduction_section(run_dir, reproduction),
        PROVENANCE_FILE: provenance_include(provenance)
        if provenance
        else "*provenance.json is missing from this run folder.*\n",
    }


def ledger_rows(run_dir: Path) -> pd.DataFrame | None:
    """The run's reproduction.csv (the number ledger's rows), None when absent."""
    path = run_dir / "reproduction.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else None


def _reproduction_section(run_dir: Path, reproduction_md: str | None) -> str:
    """The number ledger (helpers.report.ledger) when the run has reproduction.csv, else
    reproduction.md as it is (an older run), else a note that it is missing."""
    rows = ledger_rows(run_dir)
    if reproduction_md is None:
        return "*reproduction.md is missing from this run folder.*\n"
    if rows is None:
        return reproduction_include(reproduction_md)
    return ledger_markdown(reproduction_md, rows)

