"""The manuscript: _quarto.yml, what index.qmd embeds, cites, cross-references and quotes; the
staging of a run folder, its HTML preview without Quarto, and (where quarto is installed) the
real render to HTML, DOCX and PDF.

The run folder is a small fake made here (tiny executed notebooks written with nbformat), so
these tests need neither the pipeline nor the real notebooks; the notebook labels are the team
contract's (.team/CONTRACT.md), typed here independently of index.qmd.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from helpers.analysis import sensitivity, stats
from helpers.pipeline import keys, render
from helpers.pipeline.params import with_defaults
from helpers.pipeline.render import run_settings, stage_manuscript
from helpers.report import article, includes, manuscript
from helpers.report.methods_text import methods_markdown
from helpers.study import instruments, spec

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = (ROOT / "index.qmd").read_text(encoding="utf-8")

#: notebook -> labelled outputs (team contract, "Notebook labels")
CONTRACT_LABELS: dict[str, tuple[str, ...]] = {
    "01-disposition": (
        "tbl-disposition", "fig-flow", "tbl-disposition-country", "tbl-baseline",
        "tbl-sample-size",
    ),
    "02-patient-outcomes": (
        "tbl-outcomes-eos", "tbl-outcomes-visit", "fig-change-over-time", "tbl-fsmc-shift",
        "fig-fsmc-km", "tbl-fsmc-km", "tbl-relapses", "tbl-edss-improvement", "tbl-retreatment",
    ),
    "03-caregiver-outcomes": (
        "tbl-cg-characteristics", "tbl-cg-outcomes", "fig-cg-change", "tbl-agreement",
        "fig-bland-altman",
    ),
    "04-safety": ("tbl-ae-overview", "tbl-ae-soc-pt", "tbl-ae-year", "tbl-iar"),
    "05-sensitivity": ("tbl-sensitivity", "fig-sensitivity", "tbl-tipping-point"),
}
REQUIRED_REFERENCES = (
    "penner2009", "hobart2001", "beck1996", "atkinson2004", "smith1982", "kurtzke1983",
    "zarit1980", "ware1992", "frederiksen2024",
)
TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
SECRET = "USUBJID-P0001"  # printed by an unlabelled cell: must never reach the preview

# independent parsers (not helpers.report.article's)
EMBED = re.compile(r"\{\{< embed notebooks/([\w-]+)\.ipynb#([\w-]+) >\}\}")
VAR = re.compile(r"\{\{< var (kr|pub)\.(\w+) >\}\}")
XREF = re.compile(r"@((?:fig|tbl|sec)-[\w-]*\w)")
CITE = re.compile(r"(?<!\w)@([A-Za-z]\w*)(?![\w-])")


def published_ids() -> list[str]:
    doc = yaml.safe_load((ROOT / "study" / "published.yaml").read_text(encoding="utf-8"))
    return [entry["id"] for entries in doc.values() for entry in entries]


def generated_methods() -> str:
    return methods_markdown(with_defaults({}), "synthetic cohort (seed 1, n 5)")


# --- the fake run ---------------------------------------------------------------------------
def labelled_cell(label: str, with_output: bool = True) -> nbformat.NotebookNode:
    kind = "tbl" if label.startswith("tbl-") else "fig"
    cell = nbformat.v4.new_code_cell(
        f'#| label: {label}\n#| {kind}-cap: "Caption of {label}"\nshow_{kind}()'
    )
    if with_output:
        data = (
            {"text/markdown": f"| what | n |\n|---|---|\n| marker {label} | 1 |",
             "text/plain": f"marker {label}"}
            if kind == "tbl"
            else {"image/png": TINY_PNG, "text/plain": "<Figure>"}
        )
        cell.outputs = [nbformat.v4.new_output("display_data", data=data)]
    return cell


def write_notebook(path: Path, labels: tuple[str, ...], unexecuted: str | None = None) -> None:
    secret = nbformat.v4.new_code_cell("print(adsl.USUBJID[0])")
    secret.outputs = [nbformat.v4.new_output("stream", name="stdout", text=SECRET)]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# Notebook {path.stem}"),
        secret,
        *(labelled_cell(label, label != unexecuted) for label in labels),
    ])
    nbformat.write(nb, path)


def key_results() -> pd.DataFrame:
    values = {i: "12.3456" for i in published_ids()}
    values |= {
        "ae_top3": "Headache, Pyrexia, Rash", "fsmc_chg_eos_p": "0.0004",
        "sdmt_chg_eos_p": "0.01234", "fsmc_cri_months": "inf", "fsmc_chg_eos_median": "-7.34",
    }
    del values["cg_n"]
    return pd.DataFrame({"id": list(values), "value": list(values.values())})


def make_run(root: Path, drop_label: str | None = None, unexecuted: str | None = None) -> Path:
    run = root / "run"
    (run / "notebooks").mkdir(parents=True)
    for name, labels in CONTRACT_LABELS.items():
        kept = tuple(label for label in labels if label != drop_label)
        write_notebook(run / "notebooks" / f"{name}.ipynb", kept, unexecuted)
    key_results().to_csv(run / "key_results.csv", index=False)
    (run / "reproduction.md").write_text(
        "# Reproduction check\n\n1 of 2 published figures reproduced.\n\n"
        "| id | published | reproduced |\n|---|---|---|\n| n_enrolled | 87 | 87 |\n",
        encoding="utf-8",
    )
    (run / "provenance.json").write_text(json.dumps({
        "code": {"commit": "abc123", "dirty": False},
        "data": {"source": "synthetic cohort (seed 1, n 5)", "sha256": {"dm.csv": "0f"}},
        "python": "3.12.0",
    }), encoding="utf-8")
    (run / "params.yaml").write_text("population: COMP\nalpha: 0.01\n", encoding="utf-8")
    return run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path)


# --- sources --------------------------------------------------------------------------------
def test_quarto_yml_is_a_manuscript_project_that_executes_nothing() -> None:
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["project"]["type"] == "manuscript"
    assert config["manuscript"]["article"] == "index.qmd"
    assert config["execute"]["enabled"] is False
    assert {"html", "docx", "typst"} <= set(config["format"])
    assert (ROOT / config["bibliography"]).is_file()
    listed = {Path(nb["notebook"]).stem for nb in config["manuscript"]["notebooks"]}
    assert listed == set(CONTRACT_LABELS)


def test_every_contract_output_is_embedded_once_from_its_notebook() -> None:
    embeds = EMBED.findall(ARTICLE)
    assert len(embeds) == len(set(embeds))
    expected = {(nb, label) for nb, labels in CONTRACT_LABELS.items() for label in labels}
    assert set(embeds) == expected
    assert len(embeds) == len(re.findall(r"\{\{< embed ", ARTICLE))  # no unparsed embed


def test_every_cross_reference_has_a_label() -> None:
    body = ARTICLE.split("\n---\n", 1)[1]
    labels = {label for _, label in EMBED.findall(ARTICLE)}
    labels |= set(re.findall(r"\{#((?:sec|tbl|fig)-[\w-]*\w)", body + generated_methods()))
    refs = set(XREF.findall(body)) | set(XREF.findall(generated_methods()))
    assert refs, "index.qmd cross-references nothing"
    assert refs - labels == set()
    assert {label for _, label in EMBED.findall(ARTICLE)} - refs == set(), "an output not cited"


def test_display_items_are_numbered_in_order_of_first_citation() -> None:
    """Quarto numbers tables and figures by their place in the text: each kind's embeds must
    come in the order in which the text first cites them."""
    body = ARTICLE.split("---", 2)[-1]
    prose = EMBED.sub("", body)
    for kind in ("tbl", "fig"):
        cited = list(dict.fromkeys(r for r in XREF.findall(prose) if r.startswith(f"{kind}-")))
        placed = [label for _, label in EMBED.findall(body) if label.startswith(f"{kind}-")]
        assert cited == placed, kind


def test_main_text_words_count_prose_and_includes_only() -> None:
    article = ("# x\n\n## Introduction\n\nOne two {{< var kr.n >}}.\n\n"
               "{{< embed notebooks/a.ipynb#tbl-a >}}\n\n| a | b |\n|---|---|\n\n"
               ": Caption {#tbl-a}\n\n"
               "{{< include _m.md >}}\n\n## References\n\nNot counted.")
    assert includes.main_text_words(article, {"_m.md": "Three four five."}) == 6


def test_every_citation_is_in_references_bib() -> None:
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{(\w+),", bib, flags=re.M))
    assert set(REQUIRED_REFERENCES) <= keys
    cited = set(CITE.findall(ARTICLE + generated_methods()))
    assert cited and cited <= keys


def test_every_quoted_number_is_a_published_id() -> None:
    quoted = VAR.findall(ARTICLE)
    assert len(quoted) > 40
    assert {name for _, name in quoted} - set(published_ids()) == set()
    # the only other variables, generated: the reproduction summary, the word count, the
    # sentences of the sensitivity analyses and what the data are
    others = set(re.findall(r"\{\{< var ((?!kr\.|pub\.)[\w.]+) >\}\}", ARTICLE))
    assert others == {"summary.reproduced", "words.main", "sensitivity.agreement",
                      "sensitivity.tipping", "data.notice", "data.meaning"}
    assert len(quoted) + 6 == len(re.findall(r"\{\{< var ", ARTICLE))
    # no number typed in the results prose: every digit there belongs to a shortcode or label
    results = ARTICLE.split("## Results", 1)[1].split("## Discussion", 1)[0]
    prose = re.sub(r"\{\{<.*?>\}\}|@\S+|#+ .*|years 1, 2 and 3|BDI-II|MSIS-29|SF-36|ZBI-22|"
                   r"0[1-4]-[\w-]+", "", results)
    assert re.findall(r"\d", prose) == []


def test_real_notebooks_carry_every_embedded_label() -> None:
    """The repository's notebooks (sources, without outputs) hold each label index.qmd embeds."""
    missing_files = sorted({nb for nb, _ in EMBED.findall(ARTICLE)
                            if not (ROOT / "notebooks" / f"{nb}.ipynb").is_file()})
    if missing_files:
        pytest.skip(f"notebooks not written yet: {', '.join(missing_files)}")
    for nb, label in EMBED.findall(ARTICLE):
        source = (ROOT / "notebooks" / f"{nb}.ipynb").read_text(encoding="utf-8")
        cells = nbformat.reads(source, as_version=4).cells
        labels = {m for c in cells if c.cell_type == "code"
                  for m in re.findall(r"^#\|\s*label:\s*([\w-]+)\s*$", c.source, flags=re.M)}
        assert label in labels, f"notebooks/{nb}.ipynb has no cell `#| label: {label}`"


# --- methods text -----------------------------------------------------------------------------
def test_methods_state_the_code_constants_and_the_run_settings() -> None:
    settings = with_defaults({"population": "COMP", "alpha": 0.01, "country": "NOR",
                              "exclude_out_of_window": True})
    text = methods_markdown(settings, "synthetic cohort (seed 1, n 5)")
    assert f"rounded to {stats.CHANGE_DECIMALS} decimals" in text
    assert f"± {spec.VISIT_WINDOW_DAYS} days" in text
    assert "COMP population, restricted to patients of NOR" in text
    assert "significance level is 0.01" in text and "excluded from the analysis" in text
    assert "synthetic cohort (seed 1, n 5)" in text and "not the study's" in text
    assert "ZBI-22" in text and "assumes" in text
    for item in instruments.FSMC_SUBSCALE_ITEMS["FSMCCOG"]:
        assert re.search(rf"cognitive = items [\d, ]*\b{item}\b", text)


def test_methods_state_the_sensitivity_models_and_settings(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:  # fmt: skip
    monkeypatch.setattr(sensitivity, "MI_ITERATIONS", 7)
    settings = with_defaults({"sensitivity": {"imputations": 80, "seed": 11, "deltas": 9}})
    text = " ".join(methods_markdown(settings, "synthetic cohort (seed 1, n 5)").split())
    assert "(80 imputed data sets, 7 cycles each, seed 11)" in text
    assert "δ = 0, 1, …, 9 points" in text
    assert "random intercept per patient" in text and "REML" in text
    assert "observed cases at Month 36" in text


def test_methods_follow_a_changed_project_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instruments, "MSIS_MAX_MISSING_FRACTION", 0.25)
    monkeypatch.setattr(instruments, "FSMC_IMPROVEMENT_CHANGE", -12.0)
    monkeypatch.setattr(instruments, "ZBI_MAX_MISSING", 2)
    text = generated_methods()
    assert "up to 25\u00a0% of a subscale's items" in text  # the percentage unbroken
    assert "FSMC total change ≤ −12" in text
    zbi_row = next(line for line in text.splitlines() if line.startswith("| ZBI"))
    assert "up to 2 missing items" in zbi_row


# --- staging ----------------------------------------------------------------------------------
def test_stage_builds_the_project_with_generated_includes(run_dir: Path) -> None:
    project = stage_manuscript(run_dir)
    assert project == run_dir / "manuscript"
    for name in ("_quarto.yml", "index.qmd", "references.bib", "_methods-generated.md",
                 "_reproduction-generated.md", "_provenance-generated.md", "_variables.yml"):
        assert (project / name).is_file(), name
    copied = project / "notebooks" / "04-safety.ipynb"
    assert not copied.is_symlink()
    assert copied.read_bytes() == (run_dir / "notebooks" / "04-safety.ipynb").read_bytes()
    for include in re.findall(r"\{\{< include (\S+) >\}\}", ARTICLE):
        assert (project / include).is_file(), include

    variables = yaml.safe_load((project / "_variables.yml").read_text(encoding="utf-8"))
    assert set(variables["kr"]) == set(published_ids())
    assert variables["kr"]["fsmc_chg_eos_p"] == "p <\u00a00.001"  # typeset: never broken
    assert variables["kr"]["sdmt_chg_eos_p"] == "p =\u00a00.012"
    assert variables["kr"]["fsmc_chg_eos_median"] == "\u22127.3"  # published decimals, minus sign
    assert variables["kr"]["n_enrolled"] == "12"  # published 87: no decimals
    assert variables["kr"]["fsmc_cri_months"] == "not reached"
    assert variables["kr"]["cg_n"] == "not computed"  # missing from key_results.csv
    assert variables["kr"]["ae_top3"] == "headache, pyrexia and rash"  # as running text
    assert variables["pub"]["fsmc_chg_eos_p"] == "<\u00a00.01"

    methods = (project / "_methods-generated.md").read_text(encoding="utf-8")
    assert "COMP population" in methods and "synthetic cohort (seed 1, n 5)" in methods
    reproduction = (project / "_reproduction-generated.md").read_text(encoding="utf-8")
    assert not reproduction.startswith("#") and "| n_enrolled | 87 | 87 |" in reproduction
    provenance = (project / "_provenance-generated.md").read_text(encoding="utf-8")
    assert "`code.commit`" in provenance and "abc123" in provenance
    assert "`data.sha256.dm.csv`" in provenance


def test_stage_is_deterministic(run_dir: Path) -> None:
    def snapshot() -> dict[str, bytes]:
        project = stage_manuscript(run_dir)
        return {str(p.relative_to(project)): p.read_bytes()
                for p in sorted(project.rglob("*")) if p.is_file()}

    assert snapshot() == snapshot()


def test_stage_names_a_missing_label(tmp_path: Path) -> None:
    run = make_run(tmp_path, drop_label="fig-fsmc-km")
    expected = r"02-patient-outcomes\.ipynb.*fig-fsmc-km"
    with pytest.raises(article.ManuscriptError, match=expected):
        stage_manuscript(run)


def test_stage_names_an_output_that_was_not_executed(tmp_path: Path) -> None:
    run = make_run(tmp_path, unexecuted="tbl-iar")
    with pytest.raises(article.ManuscriptError, match=r"04-safety.ipynb#tbl-iar.*no output"):
        stage_manuscript(run)


def test_stage_names_a_table_not_shown_as_markdown(run_dir: Path) -> None:
    path = run_dir / "notebooks" / "01-disposition.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "label: tbl-baseline" in c.source)
    cell.outputs[0].data = {"text/plain": "a DataFrame's text only"}
    nbformat.write(nb, path)
    with pytest.raises(article.ManuscriptError, match=r"tbl-baseline: .* not shown as markdown"):
        stage_manuscript(run_dir)


def test_stage_rejects_a_variable_that_is_not_a_key_result(run_dir: Path, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in manuscript.SOURCES:
        shutil.copy2(ROOT / name, sources / name)
    with (sources / "index.qmd").open("a", encoding="utf-8") as fh:
        fh.write("\nTyped {{< var kr.not_an_id >}}.\n")
    with pytest.raises(article.ManuscriptError, match=r"kr\.not_an_id"):
        manuscript.stage(run_dir, run_settings(run_dir), sources=sources)


def test_stage_needs_key_results(run_dir: Path) -> None:
    (run_dir / "key_results.csv").unlink()
    with pytest.raises(article.ManuscriptError, match=r"key_results\.csv"):
        stage_manuscript(run_dir)


# --- render without Quarto: the preview -------------------------------------------------------
def test_render_without_quarto_writes_a_preview_of_every_labelled_output(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    result = render.render(run_dir)
    out = capsys.readouterr().out
    assert result.tool == "preview"
    assert out.count("quarto not found") == 1 and "conda-forge" in out and "quarto-cli" in out
    preview = run_dir / "report" / "preview.html"
    assert result.outputs == (preview,)
    html = preview.read_text(encoding="utf-8")
    for labels in CONTRACT_LABELS.values():
        for label in labels:
            assert f'id="{label}"' in html, label
            assert f"Caption of {label}" in html, label
            if label.startswith("tbl-"):
                assert re.search(rf"<td>marker {label}</td>", html), label
    n_figures = sum(label.startswith("fig-") for labels in CONTRACT_LABELS.values()
                    for label in labels)
    assert html.count(TINY_PNG) == n_figures
    assert SECRET not in html  # unlabelled cells are left out
    assert "show_tbl()" not in html and "#| label" not in html  # code hidden
    assert "Reproduction check" in html and "abc123" in html


def test_preview_is_deterministic(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    first = render.render(run_dir).outputs[0].read_bytes()
    assert render.render(run_dir).outputs[0].read_bytes() == first


# --- the real render --------------------------------------------------------------------------
@pytest.mark.quarto
@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
def test_quarto_renders_html_docx_and_pdf_with_word_tables(run_dir: Path) -> None:
    result = render.render(run_dir)
    report = run_dir / "report"
    assert result.tool == "quarto"
    for name in ("index.html", "index.docx", "index.pdf"):
        assert (report / name).is_file(), name
    with zipfile.ZipFile(report / "index.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    n_tables = sum(label.startswith("tbl-") for labels in CONTRACT_LABELS.values()
                   for label in labels)
    assert document.count("<w:tbl>") >= n_tables
    assert "Caption of tbl-baseline" in document
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "?var:" not in html and "?@" not in html  # every variable and reference resolved


def test_preview_markdown_drops_quarto_only_syntax():
    from helpers.report.preview import plain_markdown

    text = "| a |\n|---|\n| 1 |\n\n: Analysis populations. {#tbl-populations}\n\nSee [@penner2009]."
    assert plain_markdown(text) == (
        "| a |\n|---|\n| 1 |\n\n*Table: Analysis populations.*\n\nSee (penner2009)."
    )


# --- render: any path, and a failure keeps the previous report ------------------------------------
def fake_quarto(bin_dir: Path, script: str) -> None:
    """A `quarto` on PATH that runs `script` (sh) instead of Quarto; `quarto pandoc -o FILE`
    writes an empty zip as the reference document."""
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / "quarto"
    empty_zip = "{ printf 'PK\\005\\006'; head -c 18 /dev/zero; }"
    reference = f'if [ "$1" = pandoc ]; then {empty_zip} > "$3"; exit 0; fi'
    exe.write_text(f"#!/bin/sh\n{reference}\n{script}\n", encoding="utf-8")
    exe.chmod(0o755)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_render_accepts_a_relative_run_dir(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quarto gets the project as an absolute path (a relative one, resolved again inside the
    project, found no input files)."""
    fake_quarto(tmp_path / "bin", 'case "$2" in /*) ;; *) echo "ERROR: No valid input files" >&2;'
                                  ' exit 1;; esac\nmkdir -p "$2/_manuscript"\n'
                                  'echo ok > "$2/_manuscript/index.html"')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.chdir(run_dir.parent)
    result = render.render(Path(run_dir.name))
    assert result.tool == "quarto"
    assert (run_dir / "report" / "index.html").read_text() == "ok\n"


@pytest.mark.parametrize("partial", [False, True])
def test_a_failed_render_keeps_the_previous_report(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partial: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from helpers.cli import main

    previous = run_dir / "report"
    (previous / "index_files").mkdir(parents=True)
    (previous / "index.html").write_text("the previous report", encoding="utf-8")
    (previous / "index_files" / "figure.png").write_bytes(b"\x89PNG old")
    before = snapshot(previous)
    half = 'mkdir -p "$2/_manuscript"; echo half > "$2/_manuscript/index.html"\n'
    writes = half if partial else ""
    fake_quarto(tmp_path / "bin", f'{writes}echo "ERROR: Typst compile failed: boom" >&2\nexit 1')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    with pytest.raises(article.ManuscriptError, match="Typst compile failed: boom"):
        render.render(run_dir)
    assert snapshot(previous) == before
    assert main(["render", str(run_dir)]) == 1
    err = capsys.readouterr().err
    assert "step render failed" in err and "Typst compile failed: boom" in err
    assert snapshot(previous) == before
    assert not list(run_dir.glob(".report*"))  # nothing half-written left beside it


def test_caption_tokens_are_filled_from_the_run(run_dir: Path) -> None:
    """N of each population from the run's ARD rows (disposition n of each flag, caregivers N),
    written here by hand; the efficacy population and country come from the run's params.yaml
    (COMP, no country in the fake run)."""
    (run_dir / "ard").mkdir()
    columns = ["analysis", "population", "paramcd", "variable", "visit", "group", "level",
               "stat", "value", "method"]  # fmt: skip
    rows = [["disposition", "ENR", flag, "", "", "", "", "n", n, ""]
            for flag, n in (("ENRFL", 5), ("SAFFL", 4), ("FASFL", 3), ("COMPFL", 2))]
    rows.append(["disposition", "ENR", "SAFFL", "", "", "DNK", "", "n", 9, ""])  # a country's
    pd.DataFrame(rows, columns=columns).to_csv(run_dir / "ard" / "01-disposition.csv",
                                               index=False)
    pd.DataFrame([["cg_characteristics", "CG", "", "", "", "", "", "N", 1, ""]],
                 columns=columns).to_csv(run_dir / "ard" / "03-caregiver-outcomes.csv",
                                         index=False)
    notebook = run_dir / "notebooks" / "04-safety.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[-1].source = nb.cells[-1].source.replace(
        "Caption of tbl-iar", "Safety (N = {N:SAF}); efficacy in the {EFF}; caregivers {N:CG}")
    nbformat.write(nb, notebook)
    project = stage_manuscript(run_dir)
    cells = article.labelled_cells(project / "notebooks" / "04-safety.ipynb")
    caption = article.cell_options(cells["tbl-iar"].source)["tbl-cap"]
    assert caption == "Safety (N = 4); efficacy in the completers (COMP, N = 2); caregivers 1"
    nb.cells[-1].source = nb.cells[-1].source.replace("{N:CG}", "{N:XYZ}")
    nbformat.write(nb, notebook)
    with pytest.raises(article.ManuscriptError, match="N:XYZ"):
        stage_manuscript(run_dir)


def test_author_block_numbers_affiliations_in_order_of_first_mention() -> None:
    config = {
        "author": [
            {"name": "B. Second", "affiliations": [{"ref": "x"}]},
            {"name": "A. First", "corresponding": True, "email": "a@example.org",
             "affiliations": [{"ref": "y"}, {"ref": "x"}]},
        ],
        "affiliations": [{"id": "y", "name": "Uni Y", "country": "Norway"},
                         {"id": "x", "name": "Hospital X", "city": "Aarhus"}],
    }
    assert includes.author_block(config).splitlines() == [
        "B. Second^1^, A. First^2,1,\\*^", "", "^1^ Hospital X, Aarhus", "", "^2^ Uni Y, Norway",
        "", "\\* Corresponding author: A. First, <a@example.org>",
    ]


def test_the_docx_shows_the_authors_affiliations_from_quarto_yml(run_dir: Path) -> None:
    """Pandoc's DOCX title block has authors only: index.qmd includes the generated block in
    the DOCX (and only there)."""
    project = stage_manuscript(run_dir)
    block = (project / includes.AUTHORS_FILE).read_text(encoding="utf-8")
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    for affiliation in config["affiliations"]:
        assert affiliation["name"] in block
    assert re.search(r'::: \{\.content-visible when-format="docx"\}\n\{\{< include '
                     + re.escape(includes.AUTHORS_FILE) + r" >\}\}\n:::", ARTICLE)


def test_the_report_key_follows_what_the_render_reads_only(run_dir: Path) -> None:
    """Same run folder -> same key; a notebook's timings (papermill metadata) do not count; a
    changed output or key result does."""
    key = keys.report_key(run_dir)
    notebook = run_dir / "notebooks" / "04-safety.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["papermill"] = {"start_time": "2026-12-03T10:00:00", "duration": 1.5}
    nbformat.write(nb, notebook)
    assert keys.report_key(run_dir) == key
    nb.cells[-1].outputs[0]["data"]["text/markdown"] += "\n| changed | 1 |"
    nbformat.write(nb, notebook)
    changed = keys.report_key(run_dir)
    assert changed != key
    results = run_dir / "key_results.csv"
    text = results.read_text(encoding="utf-8")
    results.write_text(text.replace("12.3456", "45.6", 1), encoding="utf-8")
    assert keys.report_key(run_dir) not in (key, changed)


def test_the_runner_keys_every_manuscript_source() -> None:
    """A changed source (the CSS, the Lua filter, ...) must make the run render again."""
    from helpers.pipeline.keys import MANUSCRIPT_FILES

    assert set(manuscript.SOURCES) <= set(MANUSCRIPT_FILES)


@pytest.mark.parametrize(
    ("terms", "text"),
    [(["Headache"], "headache"), (["Headache", "Rash"], "headache and rash"),
     (["Headache", "Pyrexia", "Rash"], "headache, pyrexia and rash")],
)
def test_a_list_of_terms_reads_as_running_text(terms: list[str], text: str) -> None:
    assert includes.prose_list(terms) == text


def test_the_data_availability_names_the_synthetic_cohort_with_its_article() -> None:
    record = {"code": {"commit": "abc", "dirty": False},
              "data": {"source": "synthetic cohort (seed 1, n 5)"}}
    assert "This report analysed the synthetic cohort (seed 1, n 5);" in (
        includes.data_availability(record))
    record["data"]["source"] = "/secure/export"
    assert "This report analysed /secure/export;" in includes.data_availability(record)
