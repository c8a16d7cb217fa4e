"""The manuscript of a run: stage the Quarto sources beside the run's executed notebooks, render
them with Quarto when it is installed, else write an HTML preview of the notebooks' outputs.

A run folder (helpers.pipeline.runner) holds notebooks/*.ipynb (executed once by papermill),
tables/, figures/, key_results.csv (id,value), reproduction.md, provenance.json and params.yaml.
Quarto executes nothing: the article (index.qmd) embeds the labelled outputs stored in the executed
notebooks (`{{< embed notebooks/<nb>.ipynb#<label> >}}`), quotes numbers only through `{{< var
kr.<id> >}}` (key_results.csv) and `{{< var pub.<id> >}}` (study/published.yaml), and includes
generated markdown: the methods (helpers.report.methods_text), the reproduction check and the
provenance of the run.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import yaml

from helpers.pipeline.commands import python_command
from helpers.pipeline.folders import swap_in
from helpers.report.docx_layout import DocxError, fit_to_a4, write_reference_docx
from helpers.report.ledger import ledger_markdown, link_numbers
from helpers.report.methods_text import methods_markdown
from helpers.report.methods_text import run_settings as methods_run_settings
from helpers.report.tables import fmt_p, to_markdown
from helpers.results.reproduction import (
    PublishedFigure,
    format_reproduced,
    parse_value,
    read_published,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
#: the manuscript sources, at the repository root, copied into each run's staging folder
SOURCES = (
    "_quarto.yml", "index.qmd", "references.bib", "vancouver.csl", "_typst-tables.typ",
    "vector-figures.lua", "report.css",
)
STAGE_DIR = "manuscript"  # output/<run>/manuscript/: the Quarto project that is rendered
REPORT_DIR = "report"  # output/<run>/report/: what a reader opens
PREVIEW_FILE = "preview.html"
#: includes written by stage() next to index.qmd (underscore: Quarto does not render them alone)
VARIABLES_FILE = "_variables.yml"
METHODS_FILE = "_methods-generated.md"
REPRODUCTION_FILE = "_reproduction-generated.md"
PROVENANCE_FILE = "_provenance-generated.md"
DATA_AVAILABILITY_FILE = "_data-availability-generated.md"
#: shown in the DOCX only (index.qmd): pandoc's DOCX title block has no affiliations
AUTHORS_FILE = "_authors-generated.md"
REFERENCE_DOCX = "reference.docx"  # written at render time (write_reference_docx)
QUARTO_MISSING = (
    "quarto not found on PATH: the Quarto report (HTML, DOCX, PDF) was not rendered; wrote the "
    "HTML preview {preview} instead. Install Quarto with conda-forge `quarto` "
    "(environment.yml), `{pip_install}` on a machine with internet access, or the "
    "installer from https://quarto.org, then run `{render}`."
)

#: caption tokens of the notebooks' `#| tbl-cap` / `#| fig-cap`, filled in when staging:
#: {N:<population>} = its size, {EFF} = the run's efficacy population named with its size
_CAPTION_TOKEN = re.compile(r"\{(N:\w+|EFF)\}")
POPULATION_NAMES = {"ENR": "enrolled patients", "SAF": "safety population",
                    "FAS": "full analysis set", "COMP": "completers", "CG": "caregivers"}
_EMBED = re.compile(r"\{\{<\s*embed\s+([^#\s>]+)#([\w-]+)[^>]*>\}\}")
_VAR = re.compile(r"\{\{<\s*var\s+([\w.-]+)\s*>\}\}")
_CELL_OPTION = re.compile(r"^#\|\s?(.*)$")


class ManuscriptError(RuntimeError):
    """The run folder cannot give the manuscript what index.qmd asks for (names what and why)."""


@dataclass(frozen=True)
class RenderResult:
    """What render() produced: tool "quarto" or "preview", the files written, and the message
    printed (empty after a Quarto render)."""

    tool: str
    outputs: tuple[Path, ...]
    report_dir: Path
    message: str


# --- reading the article and the notebooks ------------------------------------------------------
def cell_options(source: str) -> dict[str, Any]:
    """Quarto cell options: the leading `#| key: value` lines of a code cell, read as YAML."""
    lines = []
    for line in source.splitlines():
        match = _CELL_OPTION.match(line)
        if match is None:
            break
        lines.append(match.group(1))
    options = yaml.safe_load("\n".join(lines)) if lines else None
    return options if isinstance(options, dict) else {}


def labelled_cells(notebook: Path) -> dict[str, nbformat.NotebookNode]:
    """The code cells of a notebook that carry `#| label:`, by label."""
    nb = nbformat.read(notebook, as_version=4)
    cells = {}
    for cell in nb.cells:
        label = cell_options(cell.source).get("label") if cell.cell_type == "code" else None
        if label:
            cells[str(label)] = cell
    return cells


def embeds(article: str) -> list[tuple[str, str]]:
    """(notebook path, label) of every `{{< embed >}}` of an article, in order, once each."""
    return list(dict.fromkeys(_EMBED.findall(article)))


def variables(article: str) -> list[str]:
    """Dotted names of every `{{< var >}}` of an article (e.g. "kr.n_enrolled"), once each."""
    return list(dict.fromkeys(_VAR.findall(article)))


def embed_problems(project: Path, text: str) -> list[str]:
    """Every embed of the article whose notebook or label is missing in `project`, whose cell
    holds no output, or whose table is not shown as markdown (only a markdown table becomes a
    real table in every format, a Word table in DOCX)."""
    problems = []
    cache: dict[str, dict[str, nbformat.NotebookNode]] = {}
    for notebook, label in embeds(text):
        path = project / notebook
        if not path.is_file():
            problems.append(f"{notebook}: notebook not found (embed of #{label})")
            continue
        cells = cache.setdefault(notebook, labelled_cells(path))
        if label not in cells:
            problems.append(f"{notebook}: no cell with `#| label: {label}`")
        elif not (shown := _shown_outputs(cells[label])):
            problems.append(f"{notebook}#{label}: the cell has no output (not executed?)")
        elif label.startswith("tbl-") and not any("text/markdown" in o.data for o in shown):
            problems.append(f"{notebook}#{label}: the table is not shown as markdown")
    return problems


def _shown_outputs(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """Rich outputs of a cell (display data and results; streams and errors are not shown)."""
    shown = ("display_data", "execute_result")
    return [o for o in cell.get("outputs", []) if o.output_type in shown]


# --- generated includes -------------------------------------------------------------------------
def format_key_result(figure: PublishedFigure, value: str | None) -> str:
    """A key result as the text quotes it: p-values "p = 0.012" / "p < 0.001", other numbers at
    the published decimals (helpers.results.reproduction); "not reached" for an infinite
    Kaplan-Meier median, "not computed" when missing."""
    if value is not None and value != "" and figure.id.endswith("_p"):
        p = fmt_p(float(value))
        return f"p {p}" if p.startswith("<") else f"p = {p}"
    number = parse_value(value)
    if isinstance(number, float) and math.isinf(number):
        return "not reached"
    return format_reproduced(figure, number)


def key_result_variables(
    key_results: pd.DataFrame, published: list[PublishedFigure]
) -> dict[str, dict[str, str]]:
    """_variables.yml: `kr` = this run's value of each published figure (formatted), `pub` = the
    published figure as printed. Ids of key_results.csv not in published.yaml are kept in `kr`."""
    values = dict(zip(key_results["id"], key_results["value"], strict=True))
    by_id = {fig.id: fig for fig in published}
    extra = [i for i in values if i not in by_id]
    kr = {fig.id: format_key_result(fig, values.get(fig.id)) for fig in published}
    kr |= {i: str(values[i]) for i in extra}
    return {"kr": kr, "pub": {fig.id: str(fig.published) for fig in published}}


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
    body = _EMBED.sub(" ", body)
    body = _SHORTCODE.sub(" n ", body)
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(("|", ": "))]
    return len(re.findall(r"[A-Za-z0-9][\w'.,%-]*", "\n".join(lines)))


def data_availability(provenance: Mapping[str, Any] | None) -> str:
    """The Data availability statement, from the run's provenance: the code commit and the data
    analysed, the study team's part marked as a placeholder."""
    if not provenance:
        return "**Data availability.** *provenance.json is missing from this run folder.*\n"
    commit = _lookup(provenance, "code.commit") or "unknown"
    dirty = " with uncommitted changes" if _lookup(provenance, "code.dirty") else ""
    source = _lookup(provenance, "data.source") or "the study data"
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


def _run_settings(run_dir: Path) -> dict[str, Any]:
    """The run's params.yaml as written by the runner (empty when absent)."""
    text = _read_if_exists(run_dir / "params.yaml", "the run's params file")
    return (yaml.safe_load(text) or {}) if text else {}


def sensitivity_sentences(run_dir: Path) -> dict[str, str]:
    """The Results sentences of the sensitivity analyses (helpers.sensitivity_views) from the
    run's analysis results (ard/), "agreement" and "tipping"; a note when the run has none."""
    from helpers.analysis.ard import read_ard, select
    from helpers.report import views

    results = read_ard(run_dir / "ard") if (run_dir / "ard").is_dir() else None
    if results is None or select(results, analysis="sensitivity").empty:
        return {"agreement": "The sensitivity analyses are missing from this run.", "tipping": ""}
    return {"agreement": views.sensitivity.agreement_sentence(results),
            "tipping": views.sensitivity.tipping_sentence(results)}


def _generated_includes(run_dir: Path, article: str) -> dict[str, str]:
    """File name -> content of every generated include of a run."""
    published = read_published()
    kr_path = run_dir / "key_results.csv"
    if not kr_path.is_file():
        raise ManuscriptError(f"{kr_path} not found: the run has no key results to quote")
    key_results = pd.read_csv(kr_path, dtype=str, keep_default_na=False)
    quoted = key_result_variables(key_results, published)
    reproduction = _read_if_exists(run_dir / "reproduction.md", "the reproduction check")
    provenance_text = _read_if_exists(run_dir / "provenance.json", "the provenance record")
    provenance = json.loads(provenance_text) if provenance_text else None
    data_source = _lookup(provenance, "data.source") if provenance else None
    methods = methods_markdown(_run_settings(run_dir), data_source)
    summary = _lookup(provenance, "summary") if provenance else None
    quoted["summary"] = {"reproduced": f"{summary[:1].upper()}{summary[1:]}." if summary
                         else "The reproduction check is in the appendix."}
    quoted["sensitivity"] = sensitivity_sentences(run_dir)
    quoted["words"] = {"main": str(main_text_words(article, {METHODS_FILE: methods}))}
    unknown = [v for v in variables(article) if _lookup(quoted, v) is None]
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


def _ledger(run_dir: Path) -> pd.DataFrame | None:
    """The run's reproduction.csv (the number ledger's rows), None when absent."""
    path = run_dir / "reproduction.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else None


def _reproduction_section(run_dir: Path, reproduction_md: str | None) -> str:
    """The number ledger (helpers.report.ledger) when the run has reproduction.csv, else
    reproduction.md as it is (an older run), else a note that it is missing."""
    rows = _ledger(run_dir)
    if reproduction_md is None:
        return "*reproduction.md is missing from this run folder.*\n"
    if rows is None:
        return reproduction_include(reproduction_md)
    return ledger_markdown(reproduction_md, rows)


#: the ARD row (analysis, paramcd, stat) that holds each population's size: the disposition
#: counts of the run's enrolled patients (its country's, when it has one) and the caregivers
POPULATION_SIZES = {
    "ENR": ("disposition", "ENRFL", "n"), "SAF": ("disposition", "SAFFL", "n"),
    "FAS": ("disposition", "FASFL", "n"), "COMP": ("disposition", "COMPFL", "n"),
    "CG": ("cg_characteristics", "", "N"),
}  # fmt: skip


def caption_values(run_dir: Path) -> dict[str, str]:
    """Values of the caption tokens of a run, from its analysis results (ard/): "N:<population>"
    = the population's size (POPULATION_SIZES; the run's country only, when it has one) and
    "EFF" = the efficacy population named with its size, e.g. "full analysis set (FAS, N = 84)"."""
    from helpers.analysis.ard import read_ard, select

    if not (run_dir / "ard").is_dir():
        raise ManuscriptError(f"{run_dir / 'ard'} not found: the captions' population sizes "
                              "need the run's analysis results")
    results = read_ard(run_dir / "ard")
    values = {}
    for population, (analysis, paramcd, stat) in POPULATION_SIZES.items():
        found = select(results, analysis=analysis, paramcd=paramcd, stat=stat, group="", level="")
        if len(found) == 1:  # else a caption that needs it fails in fill_captions
            values[f"N:{population}"] = f"{found['value'].iloc[0]:.0f}"
    settings = methods_run_settings(_run_settings(run_dir))
    efficacy, country = settings["population"], settings["country"]
    where = f", {country}" if country else ""
    if f"N:{efficacy}" in values:
        values["EFF"] = (f"{POPULATION_NAMES[efficacy]} ({efficacy}{where}, "
                         f"N = {values[f'N:{efficacy}']})")
    return values


def fill_captions(notebook: Path, values: Mapping[str, str]) -> None:
    """Replace the caption tokens in a (staged) notebook file; an unknown token is an error."""
    text = notebook.read_text(encoding="utf-8")
    unknown = sorted({t for t in _CAPTION_TOKEN.findall(text) if t not in values})
    if unknown:
        raise ManuscriptError(f"{notebook.name}: unknown caption tokens {unknown}")
    notebook.write_text(_CAPTION_TOKEN.sub(lambda m: values[m.group(1)], text), encoding="utf-8")


def _lookup(variables: Mapping[str, Any], dotted: str) -> Any:
    node: Any = variables
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


# --- stage, render, preview ---------------------------------------------------------------------
def stage(run_dir: Path, sources: Path = REPO_ROOT) -> Path:
    """Build the Quarto project of a run in run_dir/manuscript/ and return its path.

    Copies SOURCES from `sources` and the run's executed notebooks (copies, so that Quarto's
    intermediate files never touch the record of the run), writes the generated includes, and
    checks that every embed of index.qmd finds its notebook, label and output
    (ManuscriptError naming each problem otherwise).
    """
    run_dir = Path(run_dir)
    if not (run_dir / "notebooks").is_dir():
        raise ManuscriptError(f"{run_dir / 'notebooks'} not found: no executed notebooks to embed")
    project = run_dir / STAGE_DIR
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    for name in SOURCES:
        shutil.copy2(Path(sources) / name, project / name)
    shutil.copytree(run_dir / "notebooks", project / "notebooks")
    if (run_dir / "figures").is_dir():  # the SVGs that vector-figures.lua gives the PDF
        shutil.copytree(run_dir / "figures", project / "figures",
                        ignore=shutil.ignore_patterns("*.png"))
    staged = sorted((project / "notebooks").glob("*.ipynb"))
    if any(_CAPTION_TOKEN.search(nb.read_text(encoding="utf-8")) for nb in staged):
        values = caption_values(run_dir)
        for notebook in staged:
            fill_captions(notebook, values)
    article = (project / "index.qmd").read_text(encoding="utf-8")
    rows = _ledger(run_dir)
    if rows is not None:  # every quoted number links to its row of the ledger
        article = link_numbers(article, rows["id"])
        (project / "index.qmd").write_text(article, encoding="utf-8")
    config = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))
    (project / AUTHORS_FILE).write_text(author_block(config), encoding="utf-8")
    for name, content in _generated_includes(run_dir, article).items():
        (project / name).write_text(content, encoding="utf-8")
    problems = embed_problems(project, article)
    if problems:
        raise ManuscriptError(
            "index.qmd embeds outputs that the run's executed notebooks do not have:\n  "
            + "\n  ".join(problems)
        )
    return project


def _notebook_content(path: Path) -> list[Any]:
    """What the article can show of an executed notebook: each cell's type, source and outputs
    (papermill's and nbclient's timings and the notebook's metadata left out)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [[c["cell_type"], c["source"], c.get("outputs", [])] for c in cells]


def report_key(run_dir: Path) -> str:
    """Content key of the report step: SHA-256 of everything the render reads (the staged
    Quarto project: sources, generated includes, figures, the executed notebooks' cells and
    outputs), the code that renders (this module, helpers.report.docx_layout) and the Quarto version
    (None without Quarto: the preview). Stages the project (stage) as a side effect."""
    project = stage(run_dir)
    content: dict[str, Any] = {}
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        name = str(path.relative_to(project))
        content[name] = (_notebook_content(path) if path.suffix == ".ipynb"
                         else hashlib.sha256(path.read_bytes()).hexdigest())
    code = Path(__file__).parent
    content["code"] = [(code / m).read_text(encoding="utf-8")
                       for m in ("manuscript.py", "docx_layout.py")]
    quarto = shutil.which("quarto")
    content["quarto"] = (subprocess.run([quarto, "--version"], capture_output=True, text=True)
                         .stdout.strip() if quarto else None)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _quarto_output_dir(project: Path) -> Path:
    config = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))
    return project / config["project"].get("output-dir", "_manuscript")


def render(run_dir: Path, *, display_dir: Path | None = None) -> RenderResult:
    """Stage the manuscript, then render it with Quarto (HTML, DOCX, PDF via Typst) into
    run_dir/report/; without Quarto print one message and write report/preview.html.

    Any form of run_dir works (relative or absolute): Quarto is given the absolute project path.
    The new report is written beside the old one and swapped in only when complete, so a failed
    render (ManuscriptError naming Quarto's message) leaves the previous report/ byte-identical.

    display_dir: the run folder as the message should name it (the runner renders in a staging
    folder that it moves into place afterwards); default run_dir.
    """
    shown = Path(display_dir) if display_dir is not None else Path(run_dir)
    run_dir = Path(run_dir).resolve()
    project = stage(run_dir)
    report = run_dir / REPORT_DIR
    fresh = run_dir / f".{REPORT_DIR}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    quarto = shutil.which("quarto")
    if quarto is None:
        write_preview(fresh, project)
        swap_in(fresh, report)
        preview = report / PREVIEW_FILE
        message = QUARTO_MISSING.format(
            preview=shown / preview.relative_to(run_dir),
            pip_install=python_command("-m pip install quarto-cli"),
            render=python_command(f"-m helpers render {shown}"),
        )
        print(message, flush=True)
        return RenderResult("preview", (preview,), report, message)
    try:
        write_reference_docx(quarto, project / REFERENCE_DOCX)
    except DocxError as exc:
        raise ManuscriptError(str(exc)) from exc
    done = subprocess.run(
        [quarto, "render", str(project)], cwd=project, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ManuscriptError(
            f"quarto render failed in {project} (the previous {shown / REPORT_DIR} is kept):\n"
            + _quarto_message(done.stderr + done.stdout)
        )
    shutil.copytree(_quarto_output_dir(project), fresh)
    fit_to_a4(fresh / "index.docx")
    swap_in(fresh, report)
    outputs = tuple(sorted(p for p in report.glob("index.*") if p.is_file()))
    return RenderResult("quarto", outputs, report, "")


def _quarto_message(output: str, limit: int = 4000) -> str:
    """Quarto's own error lines (those from the first ERROR on), else the tail of its output."""
    start = output.find("ERROR")
    return (output[start:] if start >= 0 else output)[-limit:].strip()


def _caption_cell(label: str, options: Mapping[str, Any]) -> nbformat.NotebookNode:
    """Anchor (id = label) and caption shown above a labelled output in the preview."""
    kind = "Table" if label.startswith("tbl-") else "Figure"
    caption = options.get("tbl-cap") or options.get("fig-cap") or ""
    return nbformat.v4.new_markdown_cell(
        f'<div id="{label}" class="labelled-output"></div>\n\n**{kind} `{label}`.** {caption}'
    )


_PANDOC_CAPTION = re.compile(r"^: (.*?)[ \t]*\{#[\w-]+\}[ \t]*$", re.M)
_CITATION = re.compile(r"\[@([\w-]+)\]")


def plain_markdown(text: str) -> str:
    """Quarto-only markdown made readable for nbconvert: a table caption line
    `: caption {#tbl-x}` becomes `Table: caption`, a citation `[@key]` becomes `(key)`."""
    return _CITATION.sub(r"(\1)", _PANDOC_CAPTION.sub(r"*Table: \1*", text))


def preview_notebook(project: Path) -> nbformat.NotebookNode:
    """One notebook for the preview: the generated methods, then each executed notebook's
    markdown and the outputs of its labelled cells only (the tables and figures of the contract,
    aggregates only; unlabelled cells are left out), then the reproduction check and provenance."""
    combined = nbformat.v4.new_notebook()

    def include(name: str, title: str) -> None:
        text = plain_markdown((project / name).read_text(encoding="utf-8"))
        combined.cells.append(nbformat.v4.new_markdown_cell(f"# {title}\n\n{text}"))

    combined.cells.append(nbformat.v4.new_markdown_cell(
        "# REALITY: preview of the run's results\n\nQuarto was not available, so this page joins"
        " the executed notebooks (code hidden) instead of the rendered manuscript."
    ))
    include(METHODS_FILE, "Methods")
    for path in sorted((project / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if "language_info" in nb.metadata:
            combined.metadata.setdefault("language_info", nb.metadata.language_info)
        combined.cells.append(nbformat.v4.new_markdown_cell(f"# Notebook `{path.name}`"))
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                combined.cells.append(cell)
                continue
            options = cell_options(cell.source) if cell.cell_type == "code" else {}
            if options.get("label"):
                combined.cells.append(_caption_cell(str(options["label"]), options))
                combined.cells.append({**cell, "outputs": _shown_outputs(cell)})
    include(REPRODUCTION_FILE, "Reproduction check")
    include(PROVENANCE_FILE, "Provenance")
    for number, cell in enumerate(combined.cells):  # stable ids: the same bytes on every rerun
        cell["id"] = f"cell-{number:04d}"
    return nbformat.from_dict(combined)


def write_preview(report_dir: Path, project: Path) -> Path:
    """report_dir/preview.html: preview_notebook() exported by nbconvert's HTMLExporter with
    every input hidden (exclude_input=True), images embedded, one self-contained file."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    html, _ = exporter.from_notebook_node(preview_notebook(Path(project)))
    out = Path(report_dir) / PREVIEW_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
