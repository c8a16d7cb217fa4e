"""What the article asks of a run, read from index.qmd and the executed notebooks: the embeds
(`{{< embed notebooks/<nb>.ipynb#<label> >}}`) and the labelled cells they point to, the quoted
variables (`{{< var kr.<id> >}}`), and the caption tokens of the notebooks' `#| tbl-cap` /
`#| fig-cap`, filled in from the run's analysis results."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nbformat
import yaml

#: caption tokens of the notebooks' `#| tbl-cap` / `#| fig-cap`, filled in when staging:
#: {N:<population>} = its size, {EFF} = the run's efficacy population named with its size
CAPTION_TOKEN = re.compile(r"\{(N:\w+|EFF)\}")
POPULATION_NAMES = {"ENR": "enrolled patients", "SAF": "safety population",
                    "FAS": "full analysis set", "COMP": "completers", "CG": "caregivers"}
EMBED = re.compile(r"\{\{<\s*embed\s+([^#\s>]+)#([\w-]+)[^>]*>\}\}")
_VAR = re.compile(r"\{\{<\s*var\s+([\w.-]+)\s*>\}\}")
_CELL_OPTION = re.compile(r"^#\|\s?(.*)$")


#: the manuscript's subtitle (`{{< var data.notice >}}`), by whether the run's data are synthetic
DATA_NOTICE = {
    True: ("Synthetic data: every number in this report was computed from a synthetic cohort, "
           "not from the study's patients"),
    False: "Computed from the REALITY study data export",
}


def data_variables(source: str | None) -> dict[str, str]:
    """The manuscript's `data` variables for a run whose provenance names the data `source`
    (provenance.json data.source: "synthetic cohort (seed ..., n ...)" for the synthetic cohort,
    the data folder's path for real data; None, unknown: said as synthetic, the safe side):
    `notice` (the subtitle, DATA_NOTICE) and `meaning` (what a match of the reproduction check
    means on those data, helpers.results.reproduction.MATCH_MEANING, for the abstract)."""
    from helpers.results.reproduction import MATCH_MEANING

    synthetic = source is None or source.startswith("synthetic cohort")
    return {"notice": DATA_NOTICE[synthetic], "meaning": MATCH_MEANING[synthetic]}


class ManuscriptError(RuntimeError):
    """The run folder cannot give the manuscript what index.qmd asks for (names what and why)."""


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
    return list(dict.fromkeys(EMBED.findall(article)))


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
        elif not (shown := shown_outputs(cells[label])):
            problems.append(f"{notebook}#{label}: the cell has no output (not executed?)")
        elif label.startswith("tbl-") and not any("text/markdown" in o.data for o in shown):
            problems.append(f"{notebook}#{label}: the table is not shown as markdown")
    return problems


def shown_outputs(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """Rich outputs of a cell (display data and results; streams and errors are not shown)."""
    shown = ("display_data", "execute_result")
    return [o for o in cell.get("outputs", []) if o.output_type in shown]



#: the ARD row (analysis, paramcd, stat) that holds each population's size: the disposition
#: counts of the run's enrolled patients (its country's, when it has one) and the caregivers
POPULATION_SIZES = {
    "ENR": ("disposition", "ENRFL", "n"), "SAF": ("disposition", "SAFFL", "n"),
    "FAS": ("disposition", "FASFL", "n"), "COMP": ("disposition", "COMPFL", "n"),
    "CG": ("cg_characteristics", "", "N"),
}  # fmt: skip



def caption_values(run_dir: Path, settings: Mapping[str, Any]) -> dict[str, str]:
    """Values of the caption tokens of a run, from its analysis results (ard/): "N:<population>"
    = the population's size (POPULATION_SIZES; the run's country only, when it has one) and
    "EFF" = the efficacy population (settings `population`, its country `country`) named with
    its size, e.g. "full analysis set (FAS, N = 84)". With disclosure control (settings
    `disclosure.min_cell`) a suppressed size is its marker ("N = <5"), as every view shows it."""
    from helpers.analysis.ard import read_ard, select
    from helpers.analysis.disclosure import marked

    if not (run_dir / "ard").is_dir():
        raise ManuscriptError(f"{run_dir / 'ard'} not found: the captions' population sizes "
                              "need the run's analysis results")
    results = marked(read_ard(run_dir / "ard"), settings["disclosure"]["min_cell"])
    values = {}
    for population, (analysis, paramcd, stat) in POPULATION_SIZES.items():
        found = select(results, analysis=analysis, paramcd=paramcd, stat=stat, group="", level="")
        if len(found) == 1:  # else a caption that needs it fails in fill_captions
            size = found["value"].iloc[0]
            values[f"N:{population}"] = size if isinstance(size, str) else f"{size:.0f}"
    efficacy, country = settings["population"], settings["country"]
    where = f", {country}" if country else ""
    if f"N:{efficacy}" in values:
        values["EFF"] = (f"{POPULATION_NAMES[efficacy]} ({efficacy}{where}, "
                         f"N = {values[f'N:{efficacy}']})")
    return values


def fill_captions(notebook: Path, values: Mapping[str, str]) -> None:
    """Replace the caption tokens in a (staged) notebook file; an unknown token is an error."""
    text = notebook.read_text(encoding="utf-8")
    unknown = sorted({t for t in CAPTION_TOKEN.findall(text) if t not in values})
    if unknown:
        raise ManuscriptError(f"{notebook.name}: unknown caption tokens {unknown}")
    notebook.write_text(CAPTION_TOKEN.sub(lambda m: values[m.group(1)], text), encoding="utf-8")


def fill_run_captions(run_dir: Path, notebooks: Iterable[Path], settings: Mapping[str, Any]
                      ) -> None:
    """Fill in the caption tokens of a run's notebook files (executed or staged) with the run's
    caption_values, computed only when a notebook holds a token."""
    with_tokens = [nb for nb in notebooks if CAPTION_TOKEN.search(nb.read_text(encoding="utf-8"))]
    if with_tokens:
        values = caption_values(run_dir, settings)
        for notebook in with_tokens:
            fill_captions(notebook, values)


def lookup(variables: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted name of nested mappings ("kr.n_enrolled"), None when absent."""
    node: Any = variables
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node

