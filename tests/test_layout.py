"""The rendered manuscript as a reader gets it: the default run rendered by Quarto, then checked
on the page. From the PDF's character boxes (pdfplumber): no two characters printed over each
other, none off the page, no text below 8 pt, every row label of every embedded table present
(nothing lost at a page break). From the DOCX (its XML): every table's column widths set and no
column narrower than its longest unbreakable value at the table's font size.

Runs the whole pipeline once (module fixture) wherever `quarto` is on PATH.
"""

from __future__ import annotations

import html
import itertools
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.quarto,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH"),
]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
EMBED = re.compile(r"\{\{< embed notebooks/([\w-]+)\.ipynb#(tbl-[\w-]+) >\}\}")
MIN_PT = 8.0
#: average advance of a character in em, a generous bound for digits and lower-case text in
#: the proportional fonts Word and LibreOffice use (digits are 0.5-0.56 em)
CHAR_EM = 0.5
DEFAULT_CELL_MARGIN_TWIPS = 2 * 108  # Word's default left + right cell margins
WORD_DEFAULT_PAGE = {"w": 12240, "left": 1440, "right": 1440}  # Letter, 1-inch margins (twips)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layout")
    done = subprocess.run(
        [sys.executable, "-m", "helpers", "run", str(ROOT / "params" / "default.yaml"),
         "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out / "default"


@pytest.fixture(scope="module")
def pdf_pages(run_dir: Path) -> list:
    pdfplumber = pytest.importorskip("pdfplumber")
    with pdfplumber.open(run_dir / "report" / "index.pdf") as pdf:
        return [(page.width, page.height, page.chars, page_words(page, use_text_flow=False))
                for page in pdf.pages]


def page_words(page: object, use_text_flow: bool = True) -> list[dict]:
    """The words of a PDF page (pdfplumber), read in the direction they are printed: on a page
    set sideways (most characters turned a quarter counter-clockwise) lines run from left to
    right and characters from bottom to top."""
    chars = page.chars  # type: ignore[attr-defined]
    turned = sum(abs(c["matrix"][1]) > abs(c["matrix"][0]) for c in chars) > len(chars) / 2
    directions = {"line_dir": "ltr", "char_dir": "btt"} if turned else {}
    return page.extract_words(use_text_flow=use_text_flow, **directions)  # type: ignore[attr-defined]


def embedded_tables(run_dir: Path) -> list[Path]:
    """The CSV of every table the rendered manuscript embeds (index.qmd and its includes)."""
    project = run_dir / "manuscript"
    text = "\n".join(p.read_text(encoding="utf-8") for p in project.glob("*.qmd"))
    return [run_dir / "tables" / nb / f"{label}.csv" for nb, label in EMBED.findall(text)]


def core_box(char: dict) -> tuple[float, float, float, float]:
    """The inner part of a glyph's box (x0, x1, top, bottom): pdfplumber's boxes span the font's
    whole ascent and descent, so that neighbours on adjacent lines or kerned pairs touch."""
    dx = (char["x1"] - char["x0"]) * 0.15
    dy = (char["bottom"] - char["top"]) * 0.3
    return char["x0"] + dx, char["x1"] - dx, char["top"] + dy, char["bottom"] - dy


def overprinted(chars: list[dict]) -> list[str]:
    """Letters and digits whose inner boxes intersect (the same glyph drawn twice at one place,
    as for fake bold, does not count; kerned punctuation such as ',' before a quote is left
    out)."""
    boxes = sorted((core_box(c), c["text"]) for c in chars if c["text"].isalnum())
    found = []
    for i, ((ax0, ax1, atop, abottom), atext) in enumerate(boxes):
        for (bx0, _, btop, bbottom), btext in boxes[i + 1:]:
            if bx0 >= ax1:
                break
            same = atext == btext and abs(ax0 - bx0) < 0.5 and abs(atop - btop) < 0.5
            if not same and min(abottom, bbottom) > max(atop, btop):
                found.append(f"{atext!r}/{btext!r} at ({ax0:.0f}, {atop:.0f})")
    return found


def test_no_text_is_printed_over_other_text(pdf_pages: list) -> None:
    problems = [f"page {n}: {hit}" for n, (_, _, chars, _) in enumerate(pdf_pages, 1)
                for hit in overprinted(chars)]
    assert not problems, f"{len(problems)} overprinted characters, e.g. {problems[:10]}"


def test_no_text_leaves_the_page(pdf_pages: list) -> None:
    problems = [
        f"page {n}: {c['text']!r} at ({c['x0']:.0f}, {c['top']:.0f})"
        for n, (width, height, chars, _) in enumerate(pdf_pages, 1) for c in chars
        if c["x0"] < 0 or c["x1"] > width or c["top"] < 0 or c["bottom"] > height
    ]
    assert not problems, problems[:10]


def printed_size(char: dict) -> float:
    """A character's font size: pdfplumber's size (the height of its box), or for a character
    turned a quarter (a table set sideways: its text matrix maps x onto y) the width of its
    box."""
    a, b = char["matrix"][:2]
    return char["x1"] - char["x0"] if abs(b) > abs(a) else char["size"]


def test_no_text_is_set_below_8_pt(pdf_pages: list) -> None:
    small = [f"page {n}: {c['text']!r} {printed_size(c):.1f} pt"
             for n, (_, _, chars, _) in enumerate(pdf_pages, 1) for c in chars
             if c["text"].strip() and printed_size(c) < MIN_PT - 0.05]
    assert not small, small[:10]


def test_no_markdown_or_cell_attributes_leak_into_the_pdf(pdf_pages: list) -> None:
    """An embed Quarto could not read prints its fenced div as text (`::: {#tbl-x .cell ...`)."""
    leaks = [f"page {n}: {w['text']!r}" for n, (_, _, _, words) in enumerate(pdf_pages, 1)
             for w in words if w["text"].startswith(":::") or "quarto-private" in w["text"]
             or w["text"].startswith("{#")]
    assert not leaks, leaks[:10]


def test_every_row_label_of_every_table_is_in_the_pdf(run_dir: Path, pdf_pages: list) -> None:
    """Each label's words, as printed (helpers.report.tables.typeset), all appear as whole words
    on one page (a row overprinted at a page foot, or a word hyphenated inside a cell, fails)."""
    from helpers.report.tables import typeset

    pages = [{t for w in words for t in w["text"].replace("\u2019", "'").split()}
             for (_, _, _, words) in pdf_pages]
    tables = embedded_tables(run_dir)
    assert tables, "index.qmd embeds no table"
    missing = []
    for csv in tables:
        labels = pd.read_csv(csv, dtype=str, keep_default_na=False).iloc[:, 0]
        for label in dict.fromkeys(label.strip() for label in labels if label.strip()):
            tokens = typeset(label).split()
            if not any(all(t in page for t in tokens) for page in pages):
                missing.append(f"{csv.stem}: {label!r}")
    assert not missing, f"{len(missing)} row labels not found in the PDF: {missing[:15]}"


# --- DOCX ---------------------------------------------------------------------------------------
def docx_parts(run_dir: Path) -> tuple[ElementTree.Element, ElementTree.Element]:
    with zipfile.ZipFile(run_dir / "report" / "index.docx") as docx:
        return (ElementTree.fromstring(docx.read("word/document.xml")),
                ElementTree.fromstring(docx.read("word/styles.xml")))


def data_tables(document: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """Tables that hold data: Quarto wraps each captioned table in a one-cell layout table."""
    for table in document.iter(f"{W}tbl"):
        if sum(1 for _ in table.iter(f"{W}tbl")) == 1:  # holds no table inside
            yield table


def style_size(styles: ElementTree.Element, style_id: str | None) -> float:
    """Font size in pt of a paragraph style, following basedOn, else the document default."""
    by_id = {s.get(f"{W}styleId"): s for s in styles.iter(f"{W}style")}
    while style_id in by_id:
        style = by_id[style_id]
        size = style.find(f"{W}rPr/{W}sz")
        if size is not None:
            return int(size.get(f"{W}val")) / 2
        based = style.find(f"{W}basedOn")
        style_id = based.get(f"{W}val") if based is not None else None
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz")
    return int(default.get(f"{W}val")) / 2 if default is not None else 10.0


def cell_runs(
    cell: ElementTree.Element, styles: ElementTree.Element
) -> Iterator[tuple[str, float]]:
    """(text, font size in pt) of each run of a table cell."""
    for paragraph in cell.iter(f"{W}p"):
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        base = style_size(styles, style.get(f"{W}val") if style is not None else None)
        for run in paragraph.iter(f"{W}r"):
            size = run.find(f"{W}rPr/{W}sz")
            pt = int(size.get(f"{W}val")) / 2 if size is not None else base
            yield "".join(t.text or "" for t in run.iter(f"{W}t")), pt


def section_text_widths(document: ElementTree.Element) -> dict[int, int]:
    """id() of each top-level body element -> text width in twips of its section (page width
    less left and right margins; a section's properties close it: a paragraph's sectPr, or the
    body's last sectPr, whose page size and margins a section that leaves them out keeps)."""
    body = document.find(f"{W}body")
    final = body.find(f"{W}sectPr")

    def twips(sect: ElementTree.Element, tag: str, attr: str) -> int:
        for source in (sect, final):
            found = source.find(f"{W}{tag}")
            if found is not None and found.get(f"{W}{attr}"):
                return int(found.get(f"{W}{attr}"))
        return WORD_DEFAULT_PAGE[attr]

    widths: dict[int, int] = {}
    pending: list[ElementTree.Element] = []
    for element in body:
        pending.append(element)
        sect = element if element.tag == f"{W}sectPr" else element.find(f"{W}pPr/{W}sectPr")
        if sect is not None:
            width = (twips(sect, "pgSz", "w") - twips(sect, "pgMar", "left")
                     - twips(sect, "pgMar", "right"))
            widths.update({id(e): width for e in pending})
            pending.clear()
    return widths


def test_every_docx_section_is_a4(run_dir: Path) -> None:
    document, _ = docx_parts(run_dir)
    sections = [s for s in document.iter(f"{W}sectPr")]
    sizes = []
    for sect in sections:
        size = sect.find(f"{W}pgSz")
        sizes.append(None if size is None else
                     tuple(sorted((int(size.get(f"{W}w")), int(size.get(f"{W}h"))))))
    assert sizes and all(size == (11906, 16838) for size in sizes), sizes


def test_every_docx_table_sets_widths_that_hold_its_longest_word(run_dir: Path) -> None:
    """A column's width is its share of the table grid times the section's text width (the
    tables span the text width: tblW 100 %)."""
    document, styles = docx_parts(run_dir)
    text_width = section_text_widths(document)
    top_level = {id(t): id(e) for e in document.find(f"{W}body") for t in e.iter(f"{W}tbl")}
    tables = list(data_tables(document))
    assert tables, "the DOCX has no table"
    problems = []
    for number, table in enumerate(tables, 1):
        grid = [int(c.get(f"{W}w") or 0) for c in table.iter(f"{W}gridCol")]
        if not grid or min(grid) <= 0:
            problems.append(f"table {number}: column widths not set ({grid})")
            continue
        section = text_width[top_level[id(table)]]
        widths = [g / sum(grid) * section for g in grid]
        for row in table.iter(f"{W}tr"):
            cells = row.findall(f"{W}tc")
            if len(cells) != len(widths):
                continue  # a group row spanning the columns
            for column, cell in enumerate(cells):
                for text, pt in cell_runs(cell, styles):
                    for word in re.split(r"[\s\u200b]+", text):  # U+200B: a break point
                        need = len(word) * CHAR_EM * pt * 20 + DEFAULT_CELL_MARGIN_TWIPS
                        if need > widths[column]:
                            problems.append(f"table {number} column {column + 1}: {word!r} needs"
                                            f" {need:.0f} twips, has {widths[column]:.0f}")
    assert not problems, f"{len(problems)} problems: {problems[:12]}"


EMU_PER_TWIP = 635
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


def test_every_docx_table_and_figure_fits_the_text_width(run_dir: Path) -> None:
    """Each top-level table's grid adds up to its section's text width (not pandoc's 5.5 in for
    US Letter), and each figure is no wider than the cell that holds it (LibreOffice cuts off
    what is wider)."""
    document, _ = docx_parts(run_dir)
    text_width = section_text_widths(document)
    problems = []
    for element in document.find(f"{W}body"):
        if element.tag != f"{W}tbl":
            continue
        grid = sum(int(c.get(f"{W}w")) for c in element.find(f"{W}tblGrid"))
        if abs(grid - text_width[id(element)]) > 2:
            problems.append(f"table grid {grid} twips, text width {text_width[id(element)]}")
        for extent in element.iter(f"{WP}extent"):
            width = int(extent.get("cx")) / EMU_PER_TWIP
            if width > grid - DEFAULT_CELL_MARGIN_TWIPS:
                problems.append(f"figure {width:.0f} twips wide in a {grid}-twip cell")
    assert not problems, problems


def test_docx_table_cells_are_aligned_left_or_right_never_centred(run_dir: Path) -> None:
    """Labels left, numbers right, as the tables' alignment rows say: a cell paragraph's last
    <w:jc> wins in Word and LibreOffice, and must not be a centring one."""
    document, _ = docx_parts(run_dir)
    centred = []
    for table in data_tables(document):
        for paragraph in table.iter(f"{W}p"):
            if paragraph.find(f".//{WP}inline") is not None:
                continue  # a figure's layout table: the image is centred
            alignments = paragraph.findall(f"{W}pPr/{W}jc")
            if alignments and alignments[-1].get(f"{W}val") == "center":
                centred.append("".join(t.text or "" for t in paragraph.iter(f"{W}t")))
    assert not centred, f"{len(centred)} centred cells: {centred[:8]}"


def test_the_docx_names_every_affiliation_and_the_corresponding_e_mail(run_dir: Path) -> None:
    import yaml

    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    document, _ = docx_parts(run_dir)
    text = "".join(t.text or "" for t in document.iter(f"{W}t"))
    for affiliation in config["affiliations"]:
        assert affiliation["name"] in text
    for author in config["author"]:
        assert author["name"] in text
        if author.get("corresponding"):
            assert author["email"] in text


def test_pdf_figures_are_vector_graphics(run_dir: Path) -> None:
    """Typst gets each figure as SVG (layout.lua): the PDF holds no raster image."""
    pdfplumber = pytest.importorskip("pdfplumber")
    with pdfplumber.open(run_dir / "report" / "index.pdf") as pdf:
        images = [(page.page_number, image["name"]) for page in pdf.pages for image in page.images]
        curves = sum(len(page.curves) + len(page.lines) for page in pdf.pages)
    assert images == []
    assert curves > 100  # the figures' lines and markers are drawn as paths


def test_every_number_the_html_text_quotes_links_to_its_ledger_row(run_dir: Path) -> None:
    """The number ledger (helpers.report.ledger): each link of the text has its anchor, and each
    published figure has a row."""
    html = (run_dir / "report" / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="#(ledger-[\w-]+)"', html))
    anchors = set(re.findall(r'id="(ledger-[\w-]+)"', html))
    published = pd.read_csv(run_dir / "reproduction.csv", dtype=str)["id"]
    assert links and links <= anchors
    assert anchors == {f"ledger-{i}" for i in published}


# --- the page as a production editor reads it (issue #27) ----------------------------------
#: the printed text of a figure, at least (journals ask for 6-7 pt)
MIN_FIGURE_PT = 7.0
#: the most a page may leave empty below its last line (a page before a part, i.e. a level-2
#: heading of index.qmd, or the last page, may leave more)
MAX_EMPTY_SHARE = 0.5
PDF_MARGIN_Y = 2.5 / 2.54 * 72  # _quarto.yml: margin y 2.5 cm
PART = re.compile(r"^## (.+?)(?: \{.*\})?$", re.M)
SVG_TEXT_SCALE = re.compile(r"scale\(([\d.]+) -[\d.]+\)")  # matplotlib: glyph paths at 100 units
#: abbreviations the text defines and uses as words, though a dataset also holds them as codes
ABBREVIATIONS = {"EDSS", "FSMC", "SDMT", "HRPQ", "TSQM", "STROBE"}
EMBED_FIGURE = re.compile(r"\{\{< embed notebooks/([\w-]+)\.ipynb#(fig-[\w-]+) >\}\}")


def page_layout(pdf_path: Path) -> list[dict]:
    """Each page of a PDF: its height, whether it is landscape, the bottom of its lowest text or
    drawing inside the text area (the page number in the foot margin left out), its first line
    of text and all its text (words joined by spaces)."""
    pdfplumber = pytest.importorskip("pdfplumber")
    pages = []
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            foot = float(page.height) - PDF_MARGIN_Y + 2.0
            marks = [m for m in [*page.chars, *page.curves, *page.lines, *page.rects]
                     if float(m["bottom"]) <= foot]
            words = page_words(page)
            top = min((w["top"] for w in words), default=0.0)
            pages.append({
                "height": float(page.height),
                "landscape": page.width > page.height,
                "bottom": max((float(m["bottom"]) for m in marks), default=PDF_MARGIN_Y),
                "first": " ".join(w["text"] for w in words if abs(w["top"] - top) < 2),
                "text": " ".join(w["text"] for w in words),
            })
    return pages


@pytest.fixture(scope="module")
def pdf_layout(run_dir: Path) -> list[dict]:
    """The pages of the PDF (page_layout)."""
    return page_layout(run_dir / "report" / "index.pdf")


@pytest.fixture(scope="module")
def docx_layout_pages(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The pages of the DOCX as LibreOffice lays it out (converted to PDF; page_layout)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not on PATH")
    out = tmp_path_factory.mktemp("docx-pdf")
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out),
                    str(run_dir / "report" / "index.docx")], capture_output=True, check=True)
    return page_layout(out / "index.pdf")


def parts(run_dir: Path) -> list[str]:
    """The level-2 headings of the staged article: the parts a page may end before."""
    return PART.findall((run_dir / "manuscript" / "index.qmd").read_text(encoding="utf-8"))


def half_empty_pages(pages: list[dict], headings: list[str], exempt: Callable) -> list[str]:
    """The pages filled to less than half of their text height, but the last, those before a
    part (a level-2 heading of the article) and those `exempt(page, following)` names."""
    empty = []
    for number, (page, following) in enumerate(itertools.pairwise(pages), 1):
        if any(heading in following["first"] for heading in headings) or exempt(page, following):
            continue
        text_height = page["height"] - 2 * PDF_MARGIN_Y
        share = (page["height"] - PDF_MARGIN_Y - page["bottom"]) / text_height
        if share > MAX_EMPTY_SHARE:
            empty.append(f"page {number}: {share:.0%} empty")
    return empty


def orientation_changes(page: dict, following: dict) -> bool:
    """The page is the last before a change of orientation: the text cannot flow past the page
    break of landscape pages (a table longer than a page, the ledger; a DOCX landscape
    section)."""
    return page["landscape"] != following["landscape"]


def test_no_page_is_left_more_than_half_empty(run_dir: Path, pdf_layout: list[dict]) -> None:
    """Headings and captions kept with what follows, short tables kept whole without leaving a
    gap before them, figures and tables floating (a wide table that fits a page too, set
    sideways), floats flushed at each section: each page but the last and those before a part
    or a change of orientation is filled to at least half of its text height."""
    empty = half_empty_pages(pdf_layout, parts(run_dir), orientation_changes)
    assert not empty, empty


def test_the_page_fill_test_sees_an_empty_page() -> None:
    """half_empty_pages on made-up pages: a page whose lowest mark is at 40 % of its text height
    is named, one at 60 % is not, nor one before a part, nor one before a landscape page."""
    height = 841.9
    text = height - 2 * PDF_MARGIN_Y

    def page(filled: float, first: str = "") -> dict:
        return {"height": height, "bottom": PDF_MARGIN_Y + filled * text, "first": first,
                "landscape": False}

    pages = [page(0.4), page(0.6), page(0.4), page(0.9, "Discussion"), page(0.1), page(0.2)]
    pages[-1]["landscape"] = True
    found = half_empty_pages(pages, ["Discussion"], orientation_changes)
    assert found == ["page 1: 60% empty"]


def test_no_docx_page_is_left_more_than_half_empty(
    run_dir: Path, docx_layout_pages: list[dict]
) -> None:
    """The DOCX as LibreOffice lays it out, by the PDF's rule (a landscape section starts on a
    new page in Word, as wide tables do: the page before it is exempt)."""
    empty = half_empty_pages(docx_layout_pages, parts(run_dir), orientation_changes)
    assert not empty, empty


def blank_pages(pages: list[dict]) -> list[int]:
    """The numbers of the pages with nothing inside their text area (the page number aside)."""
    return [number for number, page in enumerate(pages, 1) if page["bottom"] <= PDF_MARGIN_Y]


def test_no_page_is_blank(pdf_layout: list[dict]) -> None:
    """No page of the PDF, the last included, is left blank."""
    assert pdf_layout and not blank_pages(pdf_layout)


def test_no_docx_page_is_blank(docx_layout_pages: list[dict]) -> None:
    """No page of the DOCX is blank: a document ending in a landscape section ends on its page
    (helpers.report.docx_layout.no_empty_last_section), not on an empty portrait one."""
    assert docx_layout_pages and not blank_pages(docx_layout_pages), blank_pages(docx_layout_pages)


def test_the_blank_page_test_sees_a_blank_page() -> None:
    """blank_pages on made-up pages: a page with one mark 1 pt into the text area is not blank,
    one with none is."""
    pages = [{"bottom": PDF_MARGIN_Y + 1.0}, {"bottom": PDF_MARGIN_Y}]
    assert blank_pages(pages) == [2]


#: a group row of the Typst source: its first cell bold, every other cell empty
TYPST_GROUP_ROW = re.compile(r"^\s*\[#strong\[[^\]]*\]\](?:, \[\])+,\s*$", re.M)


def test_no_group_row_stands_alone_in_the_pdf(run_dir: Path) -> None:
    """A group row (helpers.report.tables.group_rows) is the first line of the row it heads
    (layout.lua), so that a page cannot break between a group's name and its first row: the
    Typst source holds no row of a bold name and empty cells, and still every group's name."""
    typst = (run_dir / "manuscript" / "index.typ").read_text(encoding="utf-8")
    alone = TYPST_GROUP_ROW.findall(typst)
    assert not alone, alone[:5]
    assert "[#strong[Sex] \\" in typst


def test_wide_tables_are_set_sideways_or_on_landscape_pages(
    run_dir: Path, pdf_layout: list[dict]
) -> None:
    """Every landscape block of the article is wrapped in `sideways` (layout.lua), in place of
    Quarto's page flips: the outcomes at the end of study, on one page, are set sideways on a
    portrait page; the outcomes by visit, longer than a page, on landscape pages."""
    article = (run_dir / "manuscript" / "index.qmd").read_text(encoding="utf-8")
    typst = (run_dir / "manuscript" / "index.typ").read_text(encoding="utf-8")
    assert typst.count("#sideways[") == article.count("::: {.landscape}") > 0
    assert "#set page(flipped" not in typst
    def holding(caption: str) -> list[dict]:
        return [page for page in pdf_layout if caption in page["text"]]

    sideways = holding("Patient outcomes at baseline and end of study")
    assert len(sideways) == 1 and not sideways[0]["landscape"]
    by_visit = holding("Patient outcomes by visit")
    assert by_visit and all(page["landscape"] for page in by_visit)


#: a table of the Typst source: its header cells (pandoc's table.header), then its kind
TYPST_TABLE = re.compile(r"table\.header\((.*?)\),\n.*?kind: \"quarto-float-tbl\"", re.S)


def table_headers(typst: str) -> list[str]:
    """The header line of each table of the Typst source, in the order the tables are
    numbered: its cells' text joined by spaces, as the PDF prints a header of one line."""
    cells = [re.findall(r"\[(.*?)\],", header.group(1)) for header in TYPST_TABLE.finditer(typst)]
    return [" ".join(cell.replace("~", " ").replace("\\", "") for cell in row) for row in cells]


def pages_continuing_below_another(pages: list[dict], headers: list[str]) -> list[str]:
    """The pages on which a table's repeated header (table N, from the page after its caption
    to the page of caption N + 1) is printed below something else: a float set above the last
    rows of a long table."""
    def caption_page(number: int) -> int:
        return next((i for i, page in enumerate(pages) if f"Table {number}: " in page["text"]),
                    len(pages) - 1)

    found = []
    for number, header in enumerate(headers, 1):
        for i in range(caption_page(number) + 1, caption_page(number + 1) + 1):
            if header in pages[i]["text"] and not pages[i]["first"].startswith(header):
                found.append(f"page {i + 1}: table {number} continues below {pages[i]['first']!r}")
    return found


def test_a_long_table_continues_at_the_top_of_its_next_page(
    run_dir: Path, pdf_layout: list[dict]
) -> None:
    """A table longer than a page goes on at the top of each page it continues on, its header
    repeated: no table or figure after it is set above its last rows (a float at the top of
    the page it ends on; _typst-tables.typ sets what follows it in the text's flow)."""
    typst = (run_dir / "manuscript" / "index.typ").read_text(encoding="utf-8")
    headers = table_headers(typst)
    assert len(headers) > 20
    assert "Outcome / Analysis n Change, mean (95% CI) p Agrees with EOS" in headers, headers
    found = pages_continuing_below_another(pdf_layout, headers)
    assert not found, found


def test_the_continuation_test_sees_a_float_above_a_long_table() -> None:
    """pages_continuing_below_another on made-up pages: table 1 continues at the top of page 2
    (not named), and on page 3 below the caption of table 2 (named)."""
    header = "Outcome n p"
    pages = [{"first": "Table 1: long", "text": f"Table 1: long {header} a 1 0.1"},
             {"first": header, "text": f"{header} b 2 0.2"},
             {"first": "Table 2: short", "text": f"Table 2: short Delta p 0 0.1 {header} c 3 0.3"}]
    assert pages_continuing_below_another(pages, [header, "Delta p"]) == [
        "page 3: table 1 continues below 'Table 2: short'"]


def main_text(run_dir: Path, pdf_layout: list[dict]) -> str:
    """The PDF's text up to the supplementary appendix (title page, abstract, main text, the
    declarations and the references): where no data code or code name may appear."""
    appendix = "Supplementary appendix"
    assert appendix in parts(run_dir)
    text = []
    for page in pdf_layout:
        head, found, _ = page["text"].partition(appendix)
        text.append(head)
        if found:
            return " ".join(text)
    pytest.fail(f"no page holds the heading {appendix!r}")


def data_codes(run_dir: Path) -> set[str]:
    """Codes of the data a reader must never see: the column names of the analysis datasets,
    the parameter codes, the values of their coded columns (upper case, e.g. "FULL-TIME",
    "SPOUSE/PARTNER") and the names of the data files, less those that are also the reader's
    word for the thing (a label equal to its code, e.g. EDSS; an instrument's name, e.g.
    BDI-II)."""
    from helpers.report import labels
    from helpers.study import spec

    codes: set[str] = set()
    for csv in (run_dir / "adam").glob("*.csv"):
        adam = pd.read_csv(csv, dtype=str, keep_default_na=False)
        codes |= {c for c in adam.columns if c.isupper() and len(c) > 3}
        for column in adam.columns:
            values = set(adam[column])
            if len(values) <= 40:
                codes |= {v for v in values if len(v) > 1 and v.isupper()
                          and re.fullmatch(r"[A-Z0-9/ -]+", v)}
    codes |= set(labels.PARAM_LABELS)
    same = {code for code, label in labels.PARAM_LABELS.items() if label == code}
    return codes - same - set(spec.INSTRUMENTS) - ABBREVIATIONS


def test_the_main_text_shows_labels_not_data_codes(run_dir: Path, pdf_layout: list[dict]) -> None:
    """Reader-facing text uses the labels of helpers.report.labels: no column name, parameter
    code, coded value ("Employment: FULL-TIME", "Children living at home: Y") or data file name
    ("dm.csv") before the appendix, whose ledger and data dictionary may name them."""
    text = main_text(run_dir, pdf_layout)
    words = set(re.findall(r"[A-Z][A-Z0-9/-]*[A-Z0-9]", text))
    found = sorted(words & data_codes(run_dir))
    found += sorted(set(re.findall(r"\b\w+\.(?:csv|xpt|json)\b", text)))
    found += sorted(set(re.findall(r": [YN]\b", text)))
    assert not found, f"data codes in the main text: {found[:20]}"


#: a hyphen-minus used as a sign (a hyphen between digits, as in a date or "1-2", is not one)
HYPHEN_SIGN = re.compile(r"(?:^|[\s(\[,;:=<>])-\d[\d.]*")


def test_every_number_has_one_minus_sign(pdf_layout: list[dict]) -> None:
    """A negative number is printed with the minus sign U+2212 ("−10.0 (−31.2, 88.8)"), never
    the hyphen-minus."""
    mixed = [f"page {n}: {m.group(0)!r}" for n, page in enumerate(pdf_layout, 1)
             for m in HYPHEN_SIGN.finditer(page["text"])]
    assert not mixed, f"{len(mixed)} hyphen-minus signs, e.g. {mixed[:10]}"


def test_every_number_of_the_html_has_one_minus_sign(run_dir: Path) -> None:
    """The HTML too (Typst turns some hyphens into minus signs by itself; a browser never does):
    the numbers of the text (the key results) and of the tables carry U+2212."""
    html = (run_dir / "report" / "index.html").read_text(encoding="utf-8")
    body = re.search(r"<main.*?</main>", html, re.S).group(0)
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S))
    mixed = [m.group(0) for m in HYPHEN_SIGN.finditer(text.replace("&nbsp;", " "))]
    assert not mixed, f"{len(mixed)} hyphen-minus signs, e.g. {mixed[:10]}"


#: mathematics and code written in ASCII where the reader expects typography and words
ASCII_MATHEMATICS = re.compile(
    r"\+/-|<=|>=|\bsqrt\(|\b\w+\(\w+(?:\.\w+)* ?= ?"  # ±, ≤, ≥, √, a call with an argument
    r"|\b(?:scipy|numpy|pandas|statsmodels|lifelines|pingouin)\.\w+"  # a code name
)


def test_mathematics_is_typeset_and_methods_named_in_words(
    run_dir: Path, pdf_layout: list[dict]
) -> None:
    """The text writes ±, √, ≤ and ≥ and names a method and its software in words with a
    reference, never "+/-", "sqrt(n)", "<=", `scipy.stats.wilcoxon` or
    `survfit(conf.type = "log-log")` (the appendix's ledger names the functions)."""
    found = [m.group(0) for m in ASCII_MATHEMATICS.finditer(main_text(run_dir, pdf_layout))]
    assert not found, f"ASCII mathematics or code in the text: {found[:15]}"


def test_every_column_header_of_every_table_is_in_the_pdf(
    run_dir: Path, pdf_layout: list[dict]
) -> None:
    """A grouped table (helpers.report.tables.group_rows) keeps the headers of both columns it
    folds into one ("Effect size (d) / Power"): each header of each embedded table's CSV appears,
    all its words on one page."""
    from helpers.report.tables import typeset

    pages = [set(page["text"].split()) for page in pdf_layout]
    missing = []
    for csv in embedded_tables(run_dir):
        for header in pd.read_csv(csv, dtype=str, nrows=0).columns:
            tokens = typeset(header).split()
            if not any(all(t in page for t in tokens) for page in pages):
                missing.append(f"{csv.stem}: {header!r}")
    assert not missing, f"{len(missing)} column headers not in the PDF: {missing[:15]}"


def figure_sizes(run_dir: Path) -> Iterator[tuple[str, float, float]]:
    """(label, printed width in pt, smallest text size in pt as printed) of every figure the
    article embeds: the SVG's text sizes (glyph-path scale x 100) times the printed width (the
    width of the notebook's image output, CSS px) over the SVG's width."""
    import nbformat

    text = (run_dir / "manuscript" / "index.qmd").read_text(encoding="utf-8")
    for notebook, label in EMBED_FIGURE.findall(text):
        nb = nbformat.read(run_dir / "notebooks" / f"{notebook}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if f"#| label: {label}\n" in c.source + "\n")
        image = next(o for o in cell.outputs if "image/png" in o.get("data", {}))
        printed = float(image["metadata"]["image/png"]["width"]) * 72 / 96
        svg = (run_dir / "figures" / notebook / f"{label}.svg").read_text(encoding="utf-8")
        width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg).group(1))
        sizes = [float(s) * 100 for s in SVG_TEXT_SCALE.findall(svg)]
        yield label, printed, min(sizes) * printed / width


def test_figure_text_is_at_least_7_pt_as_printed(run_dir: Path) -> None:
    """Each figure is drawn for its printed width (helpers.report.figures: the text width or one
    column), so that its smallest text prints at MIN_FIGURE_PT or more."""
    sizes = list(figure_sizes(run_dir))
    assert sizes, "index.qmd embeds no figure"
    small = [f"{label}: {pt:.1f} pt" for label, _, pt in sizes if pt < MIN_FIGURE_PT - 0.05]
    assert not small, small


#: a text of a matplotlib SVG (drawn as paths, each text named in a comment before them)
SVG_TEXT = re.compile(r"<!-- (.*?) -->")


def test_figure_text_has_one_minus_sign_and_typeset_mathematics(run_dir: Path) -> None:
    """Axis labels, titles and ticks of every figure of the run as printed: the minus sign
    U+2212 and ≤, ≥, ± ("change ≤ −9"), never "<= -9"."""
    found = []
    for svg in sorted((run_dir / "figures").rglob("*.svg")):
        for text in map(html.unescape, SVG_TEXT.findall(svg.read_text(encoding="utf-8"))):
            if HYPHEN_SIGN.search(text) or ASCII_MATHEMATICS.search(text):
                found.append(f"{svg.stem}: {text!r}")
    assert not found, found


def test_docx_tables_repeat_their_header_and_never_split_a_row(run_dir: Path) -> None:
    """Every data table's first row is a header row repeated on each page (tblHeader), and no
    row breaks across a page (cantSplit; helpers.report.docx_layout.rows_kept_whole)."""
    document, _ = docx_parts(run_dir)
    problems = []
    for number, table in enumerate(data_tables(document), 1):
        rows = table.findall(f"{W}tr")
        if len(rows[0].findall(f"{W}tc")) < 2:
            continue  # a figure's one-cell layout table
        if rows[0].find(f"{W}trPr/{W}tblHeader") is None:
            problems.append(f"table {number}: no header row")
        split = sum(row.find(f"{W}trPr/{W}cantSplit") is None for row in rows)
        if split:
            problems.append(f"table {number}: {split} rows may split")
    assert not problems, problems


def test_docx_cells_never_break_inside_a_number(run_dir: Path) -> None:
    """"−10.0 (−31.2, 88.8)", "< 0.001" and "72.4 %" are held together by non-breaking spaces
    (helpers.report.tables.typeset): no plain space inside a number, an interval or a p-value."""
    document, _ = docx_parts(run_dir)
    breakable = re.compile(r"\d \([\u2212-]?\d|[<>=\u2264\u2265] \d|\d, [\u2212-]?\d|\d %")
    found = []
    for table in data_tables(document):
        if len(table.find(f"{W}tr").findall(f"{W}tc")) < 2:
            continue  # a figure's one-cell layout table
        for cell in table.iter(f"{W}tc"):
            text = "".join(t.text or "" for t in cell.iter(f"{W}t"))
            found += [text for _ in breakable.finditer(text)][:1]
    assert not found, f"{len(found)} cells may break inside a number: {found[:10]}"


def test_docx_title_block_names_the_authors_once_and_captions_are_table_sized(
    run_dir: Path,
) -> None:
    """The title at most 18 pt (pandoc's 28 pt filled 40 % of the first page), each author
    named once (the author block, not Quarto's title block too), captions no larger than the
    9 pt table text."""
    import yaml

    document, styles = docx_parts(run_dir)
    assert style_size(styles, "Title") <= 18
    assert style_size(styles, "ImageCaption") <= 9 and style_size(styles, "TableCaption") <= 9
    text = "".join(t.text or "" for t in document.iter(f"{W}t"))
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    for author in config["author"]:
        assert text.count(author["name"]) == 1 + (author.get("corresponding") is True), author


def test_the_html_table_of_contents_lists_every_section(run_dir: Path) -> None:
    """Every numbered section and the appendix (supplement, number ledger, provenance) is in
    the HTML's table of contents."""
    html = (run_dir / "report" / "index.html").read_text(encoding="utf-8")
    toc = re.search(r'<nav id="TOC".*?</nav>', html, re.S)
    assert toc, "the HTML has no table of contents"
    listed = set(re.findall(r'href="#([\w-]+)"', toc.group(0)))
    sections = set(re.findall(r'<section id="([\w-]+)" class="level[23]', html))
    assert sections and sections <= listed, sorted(sections - listed)


def test_the_html_links_each_other_format_once_by_its_name(run_dir: Path) -> None:
    """The HTML's other formats are the DOCX and the PDF, each linked once under the name
    _quarto.yml gives it (Quarto adds its own "MS Word" and "Typst" links unless told not to)."""
    html = (run_dir / "report" / "index.html").read_text(encoding="utf-8")
    formats = re.search(r'<div class="quarto-alternate-formats">.*?</div></div></div>', html, re.S)
    assert formats, "the HTML lists no other formats"
    links = re.findall(r'<a href="([^"]+)"><i class="bi [\w-]+"></i>([^<]+)</a>', formats.group(0))
    assert links == [("index.docx", "Word (DOCX)"), ("index.pdf", "PDF")], links


@pytest.mark.parametrize("kind", ["Table", "Figure"])
def test_tables_and_figures_are_printed_in_their_numbered_order(
    pdf_layout: list[dict], kind: str
) -> None:
    """Floating tables and figures never overtake each other, nor does a long table (which
    starts where it stands) overtake the floats before it: read page by page, the captions run
    Table 1, Table 2, ..., each once."""
    text = " ".join(page["text"] for page in pdf_layout)
    numbers = [int(n) for n in re.findall(rf"\b{kind} (\d+): ", text)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) > 3, numbers
