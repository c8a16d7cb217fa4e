"""Rendering a run's manuscript: stage the Quarto project (helpers.report.manuscript) with the
run's settings, render it with Quarto (HTML, DOCX, PDF via Typst) when it is installed, else
write the HTML preview (helpers.report.preview), and swap the new report/ in whole.

A rendered report is never lost: a render without Quarto keeps the formats of the previous
Quarto render (index.html, .docx, .pdf and their support files) beside the new preview.html, and
says that they are from an earlier render, when it was made (report/render.json, written at each
Quarto render) and whether what the render reads has changed since."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from helpers.pipeline.commands import python_command
from helpers.pipeline.folders import REPORT_DIR, swap_in
from helpers.pipeline.keys import digest, project_content
from helpers.pipeline.params import with_defaults
from helpers.report.article import ManuscriptError
from helpers.report.docx_layout import DocxError, fit_to_a4, write_reference_docx
from helpers.report.manuscript import stage
from helpers.report.preview import PREVIEW_FILE, write_preview

REFERENCE_DOCX = "reference.docx"  # written at render time (write_reference_docx)
#: report/render.json: when the Quarto render was made and the key of what it read
STAMP_FILE = "render.json"
QUARTO_MISSING = (
    "quarto not found on PATH: the Quarto report (HTML, DOCX, PDF) was not rendered; wrote the "
    "HTML preview {preview} instead. Install Quarto with conda-forge `quarto` "
    "(environment.yml), `{pip_install}` on a machine with internet access, or the "
    "installer from https://quarto.org, then run `{render}`."
)


EARLIER_RENDER = (
    "Kept beside it from an earlier render ({date}; {changed}): {formats}."
)


@dataclass(frozen=True)
class RenderResult:
    """What render() produced: tool "quarto" or "preview", the files written, the formats of an
    earlier Quarto render kept beside a preview (`kept`), the message printed (empty after a
    Quarto render), and `shown`: the report's files as the user names them (the run folder as
    given, the formats first)."""

    tool: str
    outputs: tuple[Path, ...]
    report_dir: Path
    message: str
    kept: tuple[Path, ...] = ()
    shown: tuple[Path, ...] = ()



def run_settings(run_dir: Path) -> dict[str, Any]:
    """The run's params.yaml with the defaults of helpers.pipeline.params filled in (every key;
    the defaults alone, with a warning, when the run folder has no params.yaml)."""
    path = Path(run_dir) / "params.yaml"
    if not path.is_file():
        warnings.warn(f"{path} not found: the manuscript states the default settings",
                      stacklevel=2)
        return with_defaults({}, "params.yaml")
    return with_defaults(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, "params.yaml")


def stage_manuscript(run_dir: Path) -> Path:
    """The run's Quarto project staged with its settings (helpers.report.manuscript.stage)."""
    return stage(run_dir, run_settings(run_dir))


def _quarto_output_dir(project: Path) -> Path:
    config = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))
    return project / config["project"].get("output-dir", "_manuscript")


def render(run_dir: Path, *, display_dir: Path | None = None) -> RenderResult:
    """Stage the manuscript, then render it with Quarto (HTML, DOCX, PDF via Typst) into
    run_dir/report/ with its stamp (STAMP_FILE); without Quarto write report/preview.html,
    keeping the formats of the previous Quarto render (earlier_render), and print one message
    that says so.

    Any form of run_dir works (relative or absolute): Quarto is given the absolute project path.
    The new report is written beside the old one and swapped in only when complete, so a failed
    render (ManuscriptError naming Quarto's message) leaves the previous report/ byte-identical.

    display_dir: the run folder's own place, as the message names it (the runner renders in a
    staging folder that it moves there afterwards): its report/ is the previous report; default
    run_dir.
    """
    shown = Path(display_dir) if display_dir is not None else Path(run_dir)
    run_dir = Path(run_dir).resolve()
    project = stage_manuscript(run_dir)
    inputs = digest(project_content(project))
    report = run_dir / REPORT_DIR
    fresh = run_dir / f".{REPORT_DIR}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    quarto = shutil.which("quarto")
    if quarto is None:
        earlier = earlier_render(shown / REPORT_DIR, inputs)
        if earlier:
            shutil.copytree(shown / REPORT_DIR, fresh,
                            ignore=shutil.ignore_patterns(PREVIEW_FILE))
        write_preview(fresh, project, note=earlier)
        swap_in(fresh, report)
        preview = report / PREVIEW_FILE
        kept = _formats(report) if earlier else ()
        message = QUARTO_MISSING.format(
            preview=shown / preview.relative_to(run_dir),
            pip_install=python_command("-m pip install quarto-cli"),
            render=python_command(f"-m helpers render {shown}"),
        ) + (f" {earlier}" if earlier else "")
        print(message, flush=True)
        return RenderResult("preview", (preview,), report, message, kept,
                            _as_shown((*kept, preview), run_dir, shown))
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
    rendered = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    (fresh / STAMP_FILE).write_text(json.dumps({"rendered": rendered, "inputs": inputs}) + "\n",
                                    encoding="utf-8")
    swap_in(fresh, report)
    outputs = _formats(report)
    return RenderResult("quarto", outputs, report, "", (), _as_shown(outputs, run_dir, shown))


def _formats(report: Path) -> tuple[Path, ...]:
    """The manuscript formats in a report folder (index.html, index.docx, index.pdf)."""
    return tuple(sorted(p for p in report.glob("index.*") if p.is_file()))


def _as_shown(paths: tuple[Path, ...], run_dir: Path, shown: Path) -> tuple[Path, ...]:
    return tuple(shown / p.relative_to(run_dir) for p in paths)


def earlier_render(report: Path, inputs: str) -> str:
    """The sentence on the formats an earlier Quarto render left in `report` (EARLIER_RENDER:
    its date from STAMP_FILE, and whether `inputs`, the key of what this render read, differs
    from the one it read), or empty when there are none."""
    formats = _formats(report)
    if not formats:
        return ""
    stamp_file = report / STAMP_FILE
    stamp = json.loads(stamp_file.read_text(encoding="utf-8")) if stamp_file.is_file() else {}
    if not stamp:
        changed = "whether the inputs changed since is not known"
    elif stamp["inputs"] == inputs:
        changed = "the inputs are unchanged since"
    else:
        changed = "the inputs have changed since: the preview shows this run"
    date = f"rendered {stamp['rendered']}" if stamp else "date not recorded"
    return EARLIER_RENDER.format(date=date, changed=changed,
                                 formats=", ".join(p.name for p in formats))


def _quarto_message(output: str, limit: int = 4000) -> str:
    """Quarto's own error lines (those from the first ERROR on), else the tail of its output."""
    start = output.find("ERROR")
    return (output[start:] if start >= 0 else output)[-limit:].strip()

