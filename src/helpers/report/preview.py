"""The HTML preview of a run, written when Quarto is not installed: the generated methods, each
executed notebook's markdown and the outputs of its labelled cells (code hidden), the
reproduction check and the provenance, as one self-contained page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import yaml

from helpers.report.article import cell_options, lookup, shown_outputs
from helpers.report.includes import (
    METHODS_FILE,
    PROVENANCE_FILE,
    REPRODUCTION_FILE,
    VARIABLES_FILE,
)

PREVIEW_FILE = "preview.html"


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


def preview_notebook(project: Path, note: str = "") -> nbformat.NotebookNode:
    """One notebook for the preview: its head (what the data are, the staged `data.notice`; and
    `note`, e.g. on the formats of an earlier
    render kept beside it), the generated methods, then each executed notebook's markdown and
    the outputs of its labelled cells only (the tables and figures of the contract, aggregates
    only; unlabelled cells are left out), then the reproduction check and provenance."""
    combined = nbformat.v4.new_notebook()

    def include(name: str, title: str) -> None:
        text = plain_markdown((project / name).read_text(encoding="utf-8"))
        combined.cells.append(nbformat.v4.new_markdown_cell(f"# {title}\n\n{text}"))

    notice = lookup(yaml.safe_load((project / VARIABLES_FILE).read_text(encoding="utf-8")),
                    "data.notice")
    combined.cells.append(nbformat.v4.new_markdown_cell(
        f"# REALITY: preview of the run's results\n\n**{notice}.**\n\n"
        "Quarto was not available, so this page joins"
        " the executed notebooks (code hidden) instead of the rendered manuscript."
        + (f"\n\n{note}" if note else "")
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
                combined.cells.append({**cell, "outputs": shown_outputs(cell)})
    include(REPRODUCTION_FILE, "Reproduction check")
    include(PROVENANCE_FILE, "Provenance")
    for number, cell in enumerate(combined.cells):  # stable ids: the same bytes on every rerun
        cell["id"] = f"cell-{number:04d}"
    return nbformat.from_dict(combined)


def write_preview(report_dir: Path, project: Path, note: str = "") -> Path:
    """report_dir/preview.html: preview_notebook(project, note) exported by nbconvert's
    HTMLExporter with every input hidden (exclude_input=True), images embedded, one
    self-contained file."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    html, _ = exporter.from_notebook_node(preview_notebook(Path(project), note))
    out = Path(report_dir) / PREVIEW_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out

