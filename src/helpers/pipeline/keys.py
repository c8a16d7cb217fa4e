"""Content keys: what decides each step's result, as SHA-256 digests (helpers.pipeline.steps
says which inputs each step's key covers). A step whose key equals the one recorded in the
previous run's provenance.json is reused; `helpers diff` names the inputs and keys that differ.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from helpers.pipeline.notebooks import NOTEBOOKS, notebook_source
from helpers.pipeline.params import RunParams
from helpers.pipeline.provenance import REPO_ROOT, sha256_file, sha256_folder

#: files whose content decides every step's result besides its own inputs
CODE_FILES = ("src/helpers/**/*.py", "requirements.lock")


#: what the manuscript reads from the repository (helpers.report.manuscript.SOURCES +
#: published.yaml)
MANUSCRIPT_FILES = ("_quarto.yml", "index.qmd", "references.bib", "vancouver.csl",
                    "_typst-tables.typ", "layout.lua", "report.css",
                    "study/published.yaml")

#: the code that turns the staged Quarto project into the report (the staging code's effect is
#: in the staged project itself)
RENDER_CODE = ("src/helpers/pipeline/render.py", "src/helpers/report/preview.py",
               "src/helpers/report/docx_layout.py")


def digest(obj: Any) -> str:
    """SHA-256 of obj as sorted-key JSON (anything not JSON as its str)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def glob_hashes(patterns: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 of every repository file matching the patterns, by path from the repository."""
    return {
        str(p.relative_to(REPO_ROOT)): sha256_file(p)
        for pattern in patterns
        for p in sorted(REPO_ROOT.glob(pattern))
        if p.is_file()
    }


def code_key() -> str:
    """Content key of the helper code and the pinned environment."""
    return digest(glob_hashes(CODE_FILES))


def data_key(params: RunParams) -> Any:
    """What identifies the input data without reading it into pandas: the synthetic settings,
    or the SHA-256 of every study data file of the given folder."""
    if params.uses_synthetic_data:
        return {"synthetic": params["synthetic"]}
    return data_file_hashes(Path(params["data"]))


def data_file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every study data file of a folder (each format of data-spec.md), by name."""
    from helpers.data.formats import FORMATS

    hashes = {fmt: sha256_folder(folder, f"*.{fmt}") for fmt in FORMATS}
    return dict(sorted(item for by_name in hashes.values() for item in by_name.items()))


def run_key(params: RunParams) -> str:
    """Key of the whole run: params, data, code, notebooks, manuscript and whether Quarto is
    available (installing it changes what the report step produces)."""
    return digest(
        {
            "params": params.values,
            "data": data_key(params),
            "code": code_key(),
            "notebooks": {nb: sha256_file(notebook_source(nb)) for nb in NOTEBOOKS},
            "manuscript": glob_hashes(MANUSCRIPT_FILES),
            "quarto": shutil.which("quarto") is not None,
        }
    )

def _notebook_content(path: Path) -> list[Any]:
    """What the article can show of an executed notebook: each cell's type, source and outputs
    (papermill's and nbclient's timings and the notebook's metadata left out)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [[c["cell_type"], c["source"], c.get("outputs", [])] for c in cells]


def project_content(project: Path) -> dict[str, Any]:
    """What a render reads of a staged Quarto project, by file (SHA-256; for an executed
    notebook its cells and outputs, timings left out), with the code that renders (RENDER_CODE)
    as "code"."""
    content: dict[str, Any] = {}
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        name = str(path.relative_to(project))
        content[name] = (_notebook_content(path) if path.suffix == ".ipynb"
                         else hashlib.sha256(path.read_bytes()).hexdigest())
    content["code"] = [(REPO_ROOT / m).read_text(encoding="utf-8") for m in RENDER_CODE]
    return content


def report_key(run_dir: Path) -> str:
    """Content key of the report step: SHA-256 of everything the render reads (the staged
    Quarto project: sources, generated includes, figures, the executed notebooks' cells and
    outputs), the code that renders (RENDER_CODE) and the Quarto version (None without Quarto:
    the preview). Stages the project (helpers.pipeline.render.stage_manuscript) as a side
    effect."""
    from helpers.pipeline.render import stage_manuscript

    content = project_content(stage_manuscript(run_dir))
    quarto = shutil.which("quarto")
    content["quarto"] = (subprocess.run([quarto, "--version"], capture_output=True, text=True)
                         .stdout.strip() if quarto else None)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
