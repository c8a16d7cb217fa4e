"""A rendered report is never lost: `helpers render` without Quarto keeps the formats of the
previous Quarto render beside the new preview, and says when they were rendered and whether
what the render reads changed since. Run as a user would: the command line, with a stand-in
`quarto` on PATH for the first render and a PATH without it for the second."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_manuscript import fake_quarto, make_run

from helpers.cli import main

#: a stand-in for `quarto render PROJECT`: writes the HTML and PDF formats of the manuscript
RENDERS = ('mkdir -p "$2/_manuscript"\n'
           'echo "<p>rendered</p>" > "$2/_manuscript/index.html"\n'
           'echo "%PDF rendered" > "$2/_manuscript/index.pdf"')


@pytest.fixture
def rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Path:
    """A run folder rendered once by `helpers render` with a `quarto` on PATH."""
    run_dir = make_run(tmp_path)
    fake_quarto(tmp_path / "bin", RENDERS)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.chdir(tmp_path)
    assert main(["render", "run"]) == 0
    assert capsys.readouterr().out.strip() == "report: run/report/index.html, run/report/index.pdf"
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # Quarto gone
    return run_dir


def formats(report: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(report.glob("index.*"))}


def test_a_render_without_quarto_keeps_the_earlier_formats_and_says_so(
    rendered: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = rendered / "report"
    before = formats(report)
    assert main(["render", "run"]) == 0
    out = capsys.readouterr().out
    assert formats(report) == before and set(before) == {"index.html", "index.pdf"}
    assert (report / "preview.html").is_file()
    assert "quarto not found" in out
    assert "Kept beside it from an earlier render (rendered 20" in out
    assert "the inputs are unchanged since): index.html, index.pdf." in out
    assert out.strip().endswith("report: run/report/index.html, run/report/index.pdf, "
                                "run/report/preview.html")
    html = (report / "preview.html").read_text(encoding="utf-8")
    assert "Kept beside it from an earlier render" in html  # the page itself says it
    # a second render without Quarto keeps them still, with the first render's date
    assert main(["render", "run"]) == 0
    assert formats(report) == before and "rendered 20" in capsys.readouterr().out


def test_the_kept_formats_say_when_the_inputs_changed_since(
    rendered: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (rendered / "reproduction.md").open("a", encoding="utf-8") as fh:
        fh.write("| n_safety | 86 | 85 |\n")
    assert main(["render", "run"]) == 0
    out = capsys.readouterr().out
    assert "the inputs have changed since: the preview shows this run" in out
    assert formats(rendered / "report")["index.pdf"] == b"%PDF rendered\n"


def test_a_preview_alone_keeps_nothing_it_did_not_have(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_run(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.chdir(tmp_path)
    assert main(["render", "run"]) == 0
    out = capsys.readouterr().out
    assert "earlier render" not in out and out.strip().endswith("report: run/report/preview.html")
    assert sorted(p.name for p in (tmp_path / "run" / "report").iterdir()) == ["preview.html"]
