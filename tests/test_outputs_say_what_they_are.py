"""A manuscript made from synthetic data says so where a reader looks first (the subtitle under
the title, the abstract's sentence on the reproduction check, the preview's head); one made from
the study's data says that. Read back from the staged project, as Quarto reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from test_manuscript import make_run

from helpers.pipeline import render
from helpers.pipeline.render import stage_manuscript
from helpers.report.article import DATA_NOTICE
from helpers.results.reproduction import MATCH_MEANING


def front_matter(project: Path) -> dict:
    return yaml.safe_load((project / "index.qmd").read_text(encoding="utf-8").split("---")[1])


def staged_variables(run_dir: Path) -> tuple[dict, dict]:
    project = stage_manuscript(run_dir)
    quoted = yaml.safe_load((project / "_variables.yml").read_text(encoding="utf-8"))
    return front_matter(project), quoted["data"]


def test_a_synthetic_run_says_so_under_the_title_and_in_the_abstract(tmp_path: Path) -> None:
    meta, data = staged_variables(make_run(tmp_path))  # data.source: "synthetic cohort (...)"
    assert meta["subtitle"] == "{{< var data.notice >}}"
    assert data["notice"] == DATA_NOTICE[True] and data["notice"].startswith("Synthetic data:")
    abstract = meta["abstract"]
    check = abstract.index("{{< var summary.reproduced >}}")
    assert abstract.index("{{< var data.meaning >}}") > check  # beside the check's verdict
    assert data["meaning"] == MATCH_MEANING[True] and "not that the study" in data["meaning"]


def test_a_run_on_the_study_data_says_the_opposite(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    record = json.loads((run_dir / "provenance.json").read_text())
    record["data"]["source"] = "/secure/reality-export"
    (run_dir / "provenance.json").write_text(json.dumps(record))
    _, data = staged_variables(run_dir)
    assert data == {"notice": DATA_NOTICE[False], "meaning": MATCH_MEANING[False]}
    assert "synthetic" not in data["notice"].lower()


def test_the_preview_opens_with_what_the_data_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    html = render.render(make_run(tmp_path)).outputs[0].read_text(encoding="utf-8")
    head = html.split("Quarto was not available")[0]
    assert DATA_NOTICE[True] in head
