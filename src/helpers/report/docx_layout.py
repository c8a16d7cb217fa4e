"""The DOCX of the manuscript laid out for A4, as Word and LibreOffice open it.

Pandoc (through Quarto) writes a DOCX for US Letter: each table's grid adds up to 7,920 twips
(5.5 in), figures and tables sit in one-cell layout tables of that width (an image wider than
the cell is cut off on the right), Quarto's landscape sections carry a page size but no margins,
and table cells get a second, centring alignment after the column's own. `write_reference_docx`
gives pandoc an A4 reference document; `fit_to_a4` mends the rendered file.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

#: A4 page (twips) with the PDF's margins (2.2 cm left and right, 2.5 cm top and bottom)
A4_WIDTH, A4_HEIGHT, MARGIN_X, MARGIN_Y = 11906, 16838, 1247, 1418
DOCX_PAGE = (
    f'<w:pgSz w:w="{A4_WIDTH}" w:h="{A4_HEIGHT}"/><w:pgMar w:top="{MARGIN_Y}" '
    f'w:right="{MARGIN_X}" w:bottom="{MARGIN_Y}" w:left="{MARGIN_X}" w:header="709" '
    'w:footer="709" w:gutter="0"/>'
)
DOCX_TABLE_TEXT = '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>'  # 9 pt
CELL_MARGINS = 2 * 108  # Word's default left + right cell margins (twips)

_SECTION = re.compile(r"<w:sectPr\b.*?</w:sectPr>", re.S)
_GRID = re.compile(r"<w:tblGrid>(.*?)</w:tblGrid>", re.S)
_GRID_COL = re.compile(r'<w:gridCol w:w="(\d+)"\s*/>')
_TABLE_EDGE = re.compile(r"<w:tbl>|</w:tbl>")
_LANDSCAPE = re.compile(r'<w:pgSz w:h="11906" w:w="16838" w:orient="landscape"\s*/>')
#: a paragraph aligned left or right, then centred by a second <w:jc> (the last one wins)
_RECENTRED = re.compile(r'(<w:jc w:val="(?:left|right)"\s*/>)<w:jc w:val="center"\s*/>')


class DocxError(RuntimeError):
    """pandoc could not write the reference document."""


def _rewrite_part(docx: Path, part: str, change: Callable[[str], str]) -> None:
    """Apply `change` to the XML text of one part of a DOCX, keeping every other part."""
    with zipfile.ZipFile(docx) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)


def write_reference_docx(quarto: str, path: Path) -> Path:
    """The DOCX reference document: pandoc's default (`quarto pandoc --print-default-data-file
    reference.docx`) with an A4 page (DOCX_PAGE in the body's section properties) and the
    paragraph style of table cells, Compact, at 9 pt (helpers.report.tables sizes columns for
    it)."""
    done = subprocess.run(
        [quarto, "pandoc", "-o", str(path), "--print-default-data-file", "reference.docx"],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise DocxError(f"quarto pandoc could not write {path.name}: {done.stderr[-2000:]}")
    _rewrite_part(path, "word/document.xml",
                  lambda text: re.sub(r"<w:sectPr>", f"<w:sectPr>{DOCX_PAGE}", text, count=1))
    _rewrite_part(path, "word/styles.xml",
                  lambda text: re.sub(r'(w:styleId="Compact">.*?</w:pPr>)',
                                      rf"\1{DOCX_TABLE_TEXT}", text, count=1, flags=re.S))
    return path


def a4_sections(document: str) -> str:
    """Every section on the A4 page and margins of DOCX_PAGE: Quarto's landscape divs close the
    sections before them with empty section properties (Word and LibreOffice then use their own
    default, US Letter) and their own with a page size but no margins."""
    margins = DOCX_PAGE[DOCX_PAGE.index("<w:pgMar"):]
    document = document.replace("<w:sectPr></w:sectPr>", f"<w:sectPr>{DOCX_PAGE}</w:sectPr>")
    return _LANDSCAPE.sub(lambda m: m.group(0) + margins, document)


def text_width(section: str) -> int:
    """Page width less the left and right margins of a section's properties (twips)."""

    def twips(tag: str, attr: str, default: int) -> int:
        found = re.search(rf'<w:{tag}\b[^>]*\bw:{attr}="(\d+)"', section)
        return int(found.group(1)) if found else default

    return (twips("pgSz", "w", A4_WIDTH) - twips("pgMar", "left", MARGIN_X)
            - twips("pgMar", "right", MARGIN_X))


def scale_grid(grid: str, width: int) -> str:
    """A table grid's columns scaled to add up to `width` twips, in the same proportions (the
    rounding remainder goes to the last column)."""
    columns = [int(w) for w in _GRID_COL.findall(grid)]
    total = sum(columns)
    if not columns or total <= 0:
        return grid
    scaled = [round(w * width / total) for w in columns]
    scaled[-1] += width - sum(scaled)
    return "".join(f'<w:gridCol w:w="{w}" />' for w in scaled)


def tables_to_text_width(document: str) -> str:
    """Every table grid scaled to the text width of its section: a top-level table (a figure's
    or table's layout table) to the text width, a table inside one to the text width less the
    outer cell's margins; tables stay at 100 % of their container (tblW pct 5000)."""
    pieces, start = [], 0
    for section in _SECTION.finditer(document):
        width = text_width(section.group(0))
        chunk = document[start:section.end()]
        depth_at = _depths(chunk)

        def scaled(grid: re.Match, width: int = width, depth_at: dict = depth_at) -> str:
            inner = width - CELL_MARGINS * (depth_at(grid.start()) - 1)
            return f"<w:tblGrid>{scale_grid(grid.group(1), inner)}</w:tblGrid>"

        pieces.append(_GRID.sub(scaled, chunk))
        start = section.end()
    pieces.append(document[start:])
    return "".join(pieces)


def _depths(chunk: str) -> Callable[[int], int]:
    """Position in `chunk` -> how many tables enclose it."""
    edges = [(m.start(), 1 if m.group(0) == "<w:tbl>" else -1) for m in _TABLE_EDGE.finditer(chunk)]

    def depth(position: int) -> int:
        return sum(step for at, step in edges if at < position)

    return depth


def left_and_right_cells(document: str) -> str:
    """Table cells keep their column's alignment (labels left, numbers right): Quarto adds a
    second, centring <w:jc> after the one pandoc writes from the table's alignment row."""
    return _RECENTRED.sub(r"\1", document)


def fit_to_a4(docx: Path) -> None:
    """Mend a rendered DOCX in place (a4_sections, tables_to_text_width,
    left_and_right_cells); nothing when the file does not exist."""
    if docx.is_file():
        _rewrite_part(docx, "word/document.xml",
                      lambda text: left_and_right_cells(tables_to_text_width(a4_sections(text))))
