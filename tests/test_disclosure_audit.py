"""The disclosure audit (helpers.results.disclosure_audit): what the leak scan reads as a count
in hand-made files of every format, a clean run folder that passes and a planted leak that
fails naming its file, and disclosure.md."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
import pytest

from helpers.analysis import disclosure
from helpers.analysis.ard import combine, rows, write_ard
from helpers.results import disclosure_audit as audit

matplotlib.use("agg")
MIN_CELL = 5


def counts(text: str) -> list[int]:
    return [n for n, _, _ in audit.counts_in_text(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Pruritus 1 (5.6)", [1]),              # rule 1: n (%)
    ("Serious 3 (17%)", [3]),
    ("safety population (n = 3)", [3]),     # rule 2
    ("N=2", [2]),
    ("3 of 18", [3]),                       # rule 3: the first number only
    ("(3 of 18 patients)", [3, 18]), ("a (3 of 18", [3]),
    ("including 1 death", [1]),             # rule 4
    ("two serious events", [2]),
    ("4 patients", [4]),
    ("Never treated: 1", [1]),              # rule 5: a label and its count
    ("Lost to follow-up: 1, Withdrawal by subject:\n2", [1, 2]),
    ("Discontinued in year 1: 2", [2]),
    # never a count
    ("<5 (x)", []), ("n = <5", []), ("x (x)", []),
    ("mean 3.5 (1.2)", []), ("p = 0.03", []), ("p < 0.001", []), ("change -3 (2.1)", []),
    ("Month 3: 12.0", []), ("Month 3", []), ("Year 1", []), ("in 2024", []), ("at 12:30", []),
    ("ICC(2,1) 0.35", []), ("SF36 4", []), ("95% CI", []), ("3%", []), ("aged 34", []),
    ("at least one relapse", []), (">= 1 relapse", []), ("more than 2 patients", []),
    ("Table 2: Baseline", []), ("1/2", []),
    ("HRPQ (1 of 2)", []), ("4 of 8 main outcomes", []), ("2 of 5 analyses", []),
])  # fmt: skip
def test_what_a_text_shows_as_a_count(text: str, expected: list[int]):
    assert counts(text) == expected


def test_a_table_cell_is_a_count_by_its_column():
    table = [["Study year", "Patients", "Events", "EOS: Mild", "Published", "p", "Treatment"],
             ["1", "18", "3", "2", "1", "0.03", "Alemtuzumab courses: 1"],
             ["2", "<5", "x", "0", "2 (A)", "0.5", "Other"]]  # fmt: skip
    found = list(audit.counts_in_table(table))
    assert found == [(18, "row 1, column 'Patients'"), (3, "row 1, column 'Events'"),
                     (2, "row 1, column 'EOS: Mild'"),
                     (0, "row 2, column 'EOS: Mild'")]  # fmt: skip


def test_a_count_column_reads_every_integer_of_its_cells():
    table = [["Population (n)"], ["ENR (3)"], ["ENR (<5)"]]
    assert list(audit.counts_in_table(table)) == [(3, "row 1, column 'Population (n)'")]


def docx(path: Path, paragraphs: list[str], table: list[list[str]]) -> Path:
    """A minimal DOCX: word/document.xml with paragraphs and one table (nested in a caption
    table, as Quarto writes it)."""
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

    def p(text: str) -> str:
        return f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>"

    inner = "".join("<w:tr>" + "".join(f"<w:tc>{p(c)}</w:tc>" for c in row) + "</w:tr>"
                    for row in table)  # fmt: skip
    body = "".join(map(p, paragraphs)) + (
        f"<w:tbl><w:tr><w:tc>{p('Table 1: AEs')}<w:tbl>{inner}</w:tbl></w:tc></w:tr></w:tbl>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", f"<w:document {w}><w:body>{body}</w:body></w:document>")
    return path


def figure(path: Path, texts: list[str]) -> Path:
    """A matplotlib figure (SVG: texts drawn as paths, named in comments; PDF: real text)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(4, 3))
    for k, text in enumerate(texts):
        fig.text(0.1, 0.9 - 0.2 * k, text)
    fig.savefig(path)
    plt.close(fig)
    return path


def notebook(path: Path, outputs: list[dict]) -> Path:
    cell = {"cell_type": "code", "source": "print('n = 1')", "metadata": {}, "outputs": outputs,
            "execution_count": 1}  # fmt: skip
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))  # fmt: skip
    return path


def clean_run(run: Path) -> Path:
    """A run folder whose every output marks its small counts."""
    (run / "tables").mkdir(parents=True)
    (run / "tables" / "tbl-ae.md").write_text(
        "| Preferred term | Subjects, n (%) | Events |\n|:--|--:|--:|\n"
        "| Headache | 11 (61.1) | 17 |\n| Pruritus | <5 | <5 |\n"
    )
    (run / "tables" / "tbl-ae.csv").write_text(
        'Preferred term,"Subjects, n (%)",Events\nHeadache,11 (61.1),17\nPruritus,<5,<5\n'
    )
    (run / "tables" / "tbl-year.csv").write_text("Study year,Patients\n1,18\n2,16\n3,15\n")
    (run / "index.html").write_text(
        "<html><script>var a = 1 (2);</script><p>Of 18 patients, <5 died.</p><table>"
        "<tr><th>Term</th><th>Events</th></tr><tr><td>Rash</td><td>16</td></tr></table></html>"
    )
    docx(run / "index.docx", ["Of 18 patients, <5 died (Figure 1)."],
         [["Term", "Subjects, n (%)"], ["Rash", "9 (50.0)"], ["Sepsis", "<5"]])
    figure(run / "fig-flow.svg", ["Enrolled", "n = 19", "Never treated: <5"])
    figure(run / "fig-flow.pdf", ["Enrolled n = 19", "Never treated: <5"])
    notebook(run / "nb.ipynb", [{"output_type": "display_data", "metadata": {}, "data": {
        "text/markdown": "| Term | Events |\n|--|--|\n| Rash | 16 |\n",
        "text/plain": "<IPython.core.display.Markdown object>"}}])  # fmt: skip
    ard = combine([rows("ae_pt", "SAF", {"n": 3, "events": 9}, level="Rash")])
    write_ard(disclosure.published(disclosure.suppress(ard, MIN_CELL), False), run / "ard", "04")
    # person-level data and logs are never outputs
    (run / "data").mkdir()
    (run / "data" / "ae.csv").write_text("USUBJID,n\nS1,1\n")
    return run


def test_a_clean_run_folder_has_no_leak(tmp_path: Path):
    run = clean_run(tmp_path / "run")
    assert audit.scan(run, MIN_CELL) == []
    audit.check(run, MIN_CELL)


@pytest.mark.parametrize(("name", "plant"), [
    ("tables/tbl-ae.md", lambda p: p.write_text(p.read_text().replace("<5 | <5", "2 (11.1) | 2"))),
    ("tables/tbl-ae.csv", lambda p: p.write_text(p.read_text().replace("<5,<5", "<5,3"))),
    ("index.html", lambda p: p.write_text(p.read_text().replace("<5 died", "1 death"))),
    ("index.docx", lambda p: docx(p, ["Of 18 patients, 1 died."],
                                  [["Term", "Subjects, n (%)"], ["Sepsis", "1 (5.6)"]])),
    ("fig-flow.svg", lambda p: figure(p, ["Enrolled", "n = 19", "Never treated: 1"])),
    ("fig-flow.pdf", lambda p: figure(p, ["Enrolled n = 19", "Sepsis 1 (5.6)"])),
    ("nb.ipynb", lambda p: notebook(p, [{"output_type": "stream", "name": "stdout",
                                         "text": ["Deaths: 1\n"]}])),
])  # fmt: skip
def test_a_planted_leak_fails_the_check_naming_its_file(tmp_path: Path, name: str, plant):
    run = clean_run(tmp_path / "run")
    plant(run / name)
    found = audit.scan(run, MIN_CELL)
    assert {leak.file for leak in found} == {name}
    with pytest.raises(audit.DisclosureLeak, match=name.replace(".", r"\.")):
        audit.check(run, MIN_CELL)


def test_the_audit_writes_disclosure_md_then_fails_on_a_leak(tmp_path: Path):
    run = clean_run(tmp_path / "run")
    ard = disclosure.suppress(rows("ae_pt", "SAF", {"n": 3, "events": 9}, level="Rash"), 5)
    assert audit.audit_run(run, ard, MIN_CELL) == run / "disclosure.md"
    assert "Leak scan: no count from 1 to 4" in (run / "disclosure.md").read_text()
    (run / "tables" / "tbl-ae.md").write_text("Rash 3 (16.7)\n")
    with pytest.raises(audit.DisclosureLeak, match=r"tables/tbl-ae.md: line 1, offset 5: 3 in"):
        audit.audit_run(run, ard, MIN_CELL)
    text = (run / "disclosure.md").read_text()
    assert "Leak scan: 1 counts below 5 shown:\n\n- tables/tbl-ae.md: line 1, offset 5\n" in text


def test_the_ard_leaks_unless_it_stays_inside(tmp_path: Path):
    run = tmp_path / "run"
    ard = disclosure.suppress(rows("ae_pt", "SAF", {"n": 3, "events": 9}, level="Rash"), 5)
    write_ard(disclosure.published(ard, ard_inside=True), run / "ard", "04-safety")
    [leak] = audit.scan(run, MIN_CELL)
    assert (leak.file, leak.count) == ("ard/04-safety.csv", 3)
    assert audit.scan(run, MIN_CELL, ard_inside=True) == []


def test_min_cell_is_the_edge_of_a_leak(tmp_path: Path):
    (tmp_path / "t.md").write_text("Rash 4 (22.2)\nPyrexia 5 (27.8)\n")
    assert [leak.count for leak in audit.scan(tmp_path, MIN_CELL)] == [4]
    assert [leak.count for leak in audit.scan(tmp_path, 4)] == []


def test_disclosure_md_counts_each_rule_per_analysis():
    ard = combine(rows("baseline", "FAS", {"n": n, "N": 12}, paramcd="SEX", level=level)
                  for level, n in (("F", 2), ("M", 10)))  # fmt: skip
    text = audit.disclosure_markdown(disclosure.suppress(ard, MIN_CELL), MIN_CELL, [])
    assert "| baseline | 4 | 1 | 1 |" in text
    assert "no count from 1 to 4 is shown" in text
    assert "    2. Primary, counts:" in text
    assert "do not hold in these data (no subtraction): 0." in text
    broken = combine(rows("baseline", "FAS", {"n": n, "N": 13}, paramcd="SEX", level=level)
                     for level, n in (("F", 2), ("M", 10)))  # fmt: skip
    text = audit.disclosure_markdown(disclosure.suppress(broken, MIN_CELL), MIN_CELL, [])
    assert "- baseline/SEX/F/N != baseline/SEX/F/n + baseline/SEX/M/n" in text
    leak = audit.Leak("tables/t.md", "line 1", 2, "Rash 2 (11.1)")
    text = audit.disclosure_markdown(disclosure.suppress(ard, MIN_CELL), MIN_CELL, [leak])
    assert "- tables/t.md: line 1\n" in text
    assert "Rash 2" not in text


@pytest.mark.parametrize(("name", "content", "expected"), [
    # a PDF table's columns share its text lines: a public text's words beside another column's
    ("ledger.md", "the one death: x) comparable: by helpers\nThere was one death in NOR.", [1]),
    # a no-break space (typeset "≥ 1") is a space: a threshold, and the public text matches
    ("ledger.md", "| What (definition) |\n|---|\n| % of subjects in study at the start of year "
                  "k with ≥\u00a01 relapse in study year k (data-spec.md, Relapses) |", []),
    ("preview.html", '<h2><span class="header-section-number">4</span> Relapses</h2>'
                     "<p>4 relapses</p>", [4]),
])  # fmt: skip
def test_public_words_no_break_spaces_and_section_numbers(tmp_path: Path, name: str,
                                                          content: str, expected: list[int]):
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert [leak.count for leak in audit.leaks_in(tmp_path / name, MIN_CELL, name)] == expected


def test_the_staged_quarto_project_is_not_an_output(tmp_path: Path):
    """manuscript/ is the project whose render is report/ (read); its caches hold Quarto's."""
    for folder in ("manuscript/.quarto", "report"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "README.md").write_text("Never treated: 1\n", encoding="utf-8")
    assert [leak.file for leak in audit.scan(tmp_path, MIN_CELL)] == ["report/README.md"]
