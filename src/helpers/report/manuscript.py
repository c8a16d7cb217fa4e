"""Staging the manuscript of a run: the Quarto project in output/<run>/manuscript/, built from
the repository's sources, the run's executed notebooks and the generated includes.

A run folder holds notebooks/*.ipynb (executed once by papermill), tables/, figures/, ard/,
key_results.csv (id,value), reproduction.md/.csv, provenance.json and params.yaml. Quarto
executes nothing: the article (index.qmd) embeds the labelled outputs stored in the executed
notebooks (helpers.report.article), quotes numbers only through `{{< var kr.<id> >}}`
(key_results.csv) and `{{< var pub.<id> >}}` (study/published.yaml), and includes generated
markdown (helpers.report.includes). Rendering it is the pipeline's job (helpers.pipeline.render).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from helpers.report.article import ManuscriptError, embed_problems, fill_run_captions
from helpers.report.includes import AUTHORS_FILE, author_block, generated_includes, ledger_rows
from helpers.report.ledger import link_numbers

REPO_ROOT = Path(__file__).resolve().parents[3]
#: the manuscript sources, at the repository root, copied into each run's staging folder
SOURCES = (
    "_quarto.yml", "index.qmd", "references.bib", "vancouver.csl", "_typst-tables.typ",
    "layout.lua", "report.css",
)

STAGE_DIR = "manuscript"  # output/<run>/manuscript/: the Quarto project that is rendered


def stage(run_dir: Path, settings: Mapping[str, Any], sources: Path = REPO_ROOT) -> Path:
    """Build the Quarto project of a run in run_dir/manuscript/ and return its path.

    Copies SOURCES from `sources` and the run's executed notebooks (copies, so that Quarto's
    intermediate files never touch the record of the run), fills in the notebooks' caption
    tokens, writes the generated includes, and checks that every embed of index.qmd finds its
    notebook, label and output (ManuscriptError naming each problem otherwise). settings: the
    run's params with every key given (the captions' efficacy population and country, the
    methods).
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
    if (run_dir / "figures").is_dir():  # the SVGs that layout.lua gives the PDF
        shutil.copytree(run_dir / "figures", project / "figures",
                        ignore=shutil.ignore_patterns("*.png"))
    fill_run_captions(run_dir, sorted((project / "notebooks").glob("*.ipynb")), settings)
    article = (project / "index.qmd").read_text(encoding="utf-8")
    rows = ledger_rows(run_dir)
    if rows is not None:  # every quoted number links to its row of the ledger
        article = link_numbers(article, rows["id"])
        (project / "index.qmd").write_text(article, encoding="utf-8")
    config = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))
    (project / AUTHORS_FILE).write_text(author_block(config), encoding="utf-8")
    for name, content in generated_includes(run_dir, article, settings).items():
        (project / name).write_text(content, encoding="utf-8")
    problems = embed_problems(project, article)
    if problems:
        raise ManuscriptError(
            "index.qmd embeds outputs that the run's executed notebooks do not have:\n  "
            + "\n  ".join(problems)
        )
    return project

