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

from helpers.report import tables

#: A4 page (twips) with the PDF's margins (2.2 cm left and right, 2.5 cm top and bottom)
A4_WIDTH, A4_HEIGHT, MARGIN_X, MARGIN_Y = 11906, 16838, 1247, 1418
DOCX_PAGE = (
    f'<w:pgSz w:w="{A4_WIDTH}" w:h="{A4_HEIGHT}"/><w:pgMar w:top="{MARGIN_Y}" '
    f'w:right="{MARGIN_X}" w:bottom="{MARGIN_Y}" w:left="{MARGIN_X}" w:header="709" '
    'w:footer="709" w:gutter="0"/>'
)
DOCX_TABLE_TEXT = '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>'  # 9 pt
#: font sizes (half-points) of the reference document's styles: the title at 18 pt (pandoc's
#: 28 pt filled 40 % of the first page), captions at the 9 pt of the table text
STYLE_SIZES = {"Title": 36, "Caption": 18}
#: the theme's fonts (pandoc's reference document has Aptos, which has no metric-compatible free
#: font, so that LibreOffice sets it in the wider DejaVu Sans): body and table text in Cambria
#: (a serif as the PDF's; LibreOffice uses its metric clone Caladea), headings in Calibri
#: (Carlito); helpers.report.tables sizes columns for digits of about 0.55 em, as Cambria's
THEME_FONTS = {"minorFont": "Cambria", "majorFont": "Calibri"}
CELL_MARGINS = 2 * 108  # Word's default left + right cell margins (twips)
#: a table whose rows (as estimated_height_pt sets them) take at most half the text height of a
#: page is kept on one page with its caption; a longer one keeps its caption, header and first
#: KEEP_FIRST_ROWS rows together, then breaks between rows
SHORT_TABLE_PT = (A4_HEIGHT - 2 * MARGIN_Y) / 20 / 2
KEEP_FIRST_ROWS = 3
#: a line of table text (9 pt, single spacing) and a row's spacing above and below it, in pt
LINE_PT, ROW_SPACING_PT = 11.0, 2.0

_SECTION = re.compile(r"<w:sectPr\b.*?</w:sectPr>", re.S)
_GRID = re.compile(r"<w:tblGrid>(.*?)</w:tblGrid>", re.S)
_GRID_COL = re.compile(r'<w:gridCol w:w="(\d+)"\s*/>')
_TABLE_EDGE = re.compile(r"<w:tbl>|</w:tbl>")
_LANDSCAPE = re.compile(r'<w:pgSz w:h="11906" w:w="16838" w:orient="landscape"\s*/>')
#: a paragraph aligned left or right, then centred by a second <w:jc> (the last one wins)
_RECENTRED = re.compile(r'(<w:jc w:val="(?:left|right)"\s*/>)<w:jc w:val="center"\s*/>')
#: a table that holds no table (a data table, not a figure's or a caption's layout table)
_INNER_TABLE = re.compile(r"<w:tbl>(?:(?!<w:tbl>).)*?</w:tbl>", re.S)
_ROW = re.compile(r"<w:tr>(?:<w:trPr>(.*?)</w:trPr>)?(.*?)</w:tr>", re.S)
_CELL_TEXT = re.compile(r"<w:tc>.*?</w:tc>", re.S)
_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
#: a one-cell layout table that holds a table and its caption (Quarto's float of a table)
_LAYOUT_TABLE = re.compile(
    r"<w:tbl><w:tblPr>(?:(?!</w:tblPr>).)*</w:tblPr><w:tblGrid><w:gridCol [^>]*/></w:tblGrid>"
    r"<w:tr><w:tc><w:tcPr\s*/>((?:(?!</?w:tbl>).)*<w:tbl>(?:(?!</?w:tbl>).)*</w:tbl>"
    r"(?:(?!</?w:tbl>|</w:tc>).)*)</w:tc></w:tr></w:tbl>", re.S)
_PARAGRAPH_STYLE = re.compile(r'(<w:pStyle w:val="[^"]*"\s*/>)')
#: Quarto's caption paragraph: a centring <w:pPr>, then the caption's own (style, spacing, jc)
_CAPTION = re.compile(r'<w:pPr><w:jc w:val="center"\s*/></w:pPr><w:pPr>\s*'
                      r'<w:jc w:val="left"\s*/>\s*<w:spacing w:before="(\d+)"\s*/>\s*'
                      r'<w:pStyle w:val="(\w+)"\s*/>\s*</w:pPr>')
#: the title block's author paragraphs (the article's author block, helpers.report.manuscript,
#: names them with their affiliations)
_AUTHOR = re.compile(r'<w:p>(?:(?!</w:p>).)*?<w:pStyle w:val="Author"\s*/>.*?</w:p>', re.S)
#: the paragraph that closes the body's last section, followed by nothing but bookmark ends and
#: the body's own (last, empty) section
_CLOSING_SECTION = re.compile(
    r"<w:p>\s*<w:pPr>\s*<w:sectPr>(?P<page>(?:(?!</w:sectPr>).)*)</w:sectPr>\s*</w:pPr>\s*</w:p>"
    r"(?P<tail>(?:\s|<w:bookmarkEnd [^>]*/>)*)<w:sectPr>(?P<body>(?:(?!</w:sectPr>).)*)</w:sectPr>"
    r"(?P<end>\s*</w:body>)", re.S)
_PAGE_SIZE = re.compile(r"<w:pgSz\b[^>]*/>")
_PAGE_MARGINS = re.compile(r"<w:pgMar\b[^>]*/>")


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
    it), the theme's fonts of THEME_FONTS (theme_fonts)."""
    done = subprocess.run(
        [quarto, "pandoc", "-o", str(path), "--print-default-data-file", "reference.docx"],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise DocxError(f"quarto pandoc could not write {path.name}: {done.stderr[-2000:]}")
    _rewrite_part(path, "word/document.xml",
                  lambda text: re.sub(r"<w:sectPr>", f"<w:sectPr>{DOCX_PAGE}", text, count=1))
    _rewrite_part(path, "word/styles.xml",
                  lambda text: style_sizes(re.sub(r'(w:styleId="Compact">.*?</w:pPr>)',
                                                  rf"\1{DOCX_TABLE_TEXT}", text, count=1,
                                                  flags=re.S)))
    _rewrite_part(path, "word/theme/theme1.xml", theme_fonts)
    return path


def theme_fonts(theme: str) -> str:
    """A DOCX theme with the Latin typeface of each font of THEME_FONTS (its panose removed,
    which described the font replaced)."""
    for font, typeface in THEME_FONTS.items():
        theme = re.sub(rf'(<a:{font}>\s*)<a:latin [^>]*/>', rf'\1<a:latin typeface="{typeface}"/>',
                       theme, count=1)
    return theme


def style_sizes(styles: str) -> str:
    """The reference document's styles with the font sizes of STYLE_SIZES (a style's own <w:sz>
    and <w:szCs> replaced, or set when it has none)."""
    for style_id, half_points in STYLE_SIZES.items():
        size = f'<w:sz w:val="{half_points}" /><w:szCs w:val="{half_points}" />'

        def resize(match: re.Match, size: str = size) -> str:
            style = re.sub(r'<w:sz w:val="\d+"\s*/>\s*<w:szCs w:val="\d+"\s*/>', "", match.group(0))
            if "<w:rPr>" in style:
                return style.replace("<w:rPr>", f"<w:rPr>{size}", 1)
            return style.replace("</w:style>", f"<w:rPr>{size}</w:rPr></w:style>")

        styles = re.sub(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', resize, styles,
                        count=1, flags=re.S)
    return styles


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


def tables_out_of_layout_tables(document: str) -> str:
    """A captioned table as its caption paragraph followed by the table itself: Quarto sets both
    in the one cell of a layout table, whose single row holds the whole table (LibreOffice then
    starts such a table on a new page, and keeps no row with the next one)."""
    return _LAYOUT_TABLE.sub(r"\1", document)


def left_and_right_cells(document: str) -> str:
    """Table cells keep their column's alignment (labels left, numbers right): Quarto adds a
    second, centring <w:jc> after the one pandoc writes from the table's alignment row."""
    return _RECENTRED.sub(r"\1", document)


def _keep_with_next(row: str) -> str:
    """A row whose paragraphs are each kept with the next paragraph (Word: with the next row)."""
    return _PARAGRAPH_STYLE.sub(r"\1<w:keepNext />", row)


def _is_group_row(row: str) -> bool:
    """A group row of helpers.report.tables.group_rows: text in its first cell only."""
    cells = ["".join(_TEXT.findall(cell)).strip() for cell in _CELL_TEXT.findall(row)]
    return len(cells) > 1 and bool(cells[0]) and not any(cells[1:])


def estimated_height_pt(table: str) -> float:
    """The height of a data table's rows as set at tables.TABLE_FONT_PT: each row as many lines
    as its fullest cell needs (the cell's text at tables.CHAR_EM per character, over its grid
    column less the cell margins; at least one line), LINE_PT a line and ROW_SPACING_PT a
    row."""
    columns = [int(w) / 20 - CELL_MARGINS / 20 for w in _GRID_COL.findall(table)]
    per_char = tables.CHAR_EM * tables.TABLE_FONT_PT
    height = 0.0
    for row in _ROW.finditer(table):
        cells = ["".join(_TEXT.findall(cell)) for cell in _CELL_TEXT.findall(row.group(2))]
        lines = [-(-len(text) * per_char // max(width, per_char))
                 for text, width in zip(cells, columns, strict=False)]
        height += max([1, *lines]) * LINE_PT + ROW_SPACING_PT
    return height


def rows_kept_whole(table: str) -> str:
    """A data table's rows as a production editor wants them: no row split across pages
    (cantSplit), the header row repeated on every page (tblHeader, as pandoc writes it), and
    rows kept with the next one (keepNext) where a break would strand them: every row but the
    last of a table of at most SHORT_TABLE_PT (estimated_height_pt: the table stays on one
    page), the first KEEP_FIRST_ROWS rows of a longer one, and a group row with the first row of
    its group."""
    rows = list(_ROW.finditer(table))
    short = estimated_height_pt(table) <= SHORT_TABLE_PT
    pieces, start = [], 0
    for number, row in enumerate(rows):
        properties = (row.group(1) or "").replace("<w:cantSplit />", "")
        body = row.group(2)
        last = number == len(rows) - 1
        if not last and (short or number < KEEP_FIRST_ROWS or _is_group_row(body)):
            body = _keep_with_next(body)
        pieces += [table[start:row.start()],
                   f"<w:tr><w:trPr><w:cantSplit />{properties}</w:trPr>{body}</w:tr>"]
        start = row.end()
    return "".join([*pieces, table[start:]])


def captions_kept_with_tables(document: str) -> str:
    """Quarto's caption paragraph, which carries two <w:pPr> (a centring one first, so that its
    own style, Image or Table Caption, was ignored), as one <w:pPr> in schema order, kept with
    the table or figure it captions."""
    return _CAPTION.sub(r'<w:pPr><w:pStyle w:val="\2" /><w:keepNext /><w:spacing w:before="\1" />'
                        r'<w:jc w:val="left" /></w:pPr>', document)


def no_empty_last_section(document: str) -> str:
    """A document whose last block closes a section (Quarto's landscape div around the
    provenance) ends in that section: the closing paragraph is removed and the body's section
    takes its page size and margins, where the empty section after it printed a blank last
    page."""
    def merged(closing: re.Match) -> str:
        body = closing["body"]
        for element in (_PAGE_SIZE, _PAGE_MARGINS):
            if own := element.search(closing["page"]):
                body = element.sub(lambda _, own=own: own.group(0), body, count=1)
        return f"{closing['tail']}<w:sectPr>{body}</w:sectPr>{closing['end']}"
    return _CLOSING_SECTION.sub(merged, document, count=1)


def mend(document: str) -> str:
    """The document part mended: tables_out_of_layout_tables, a4_sections,
    no_empty_last_section, tables_to_text_width, left_and_right_cells,
    rows_kept_whole for every data table, captions_kept_with_tables, and the title block's
    author paragraphs removed (the author block names the authors once)."""
    document = no_empty_last_section(a4_sections(tables_out_of_layout_tables(document)))
    document = left_and_right_cells(tables_to_text_width(document))
    document = _INNER_TABLE.sub(lambda table: rows_kept_whole(table.group(0)), document)
    return _AUTHOR.sub("", captions_kept_with_tables(document))


def fit_to_a4(docx: Path) -> None:
    """Mend a rendered DOCX in place (`mend`); nothing when the file does not exist."""
    if docx.is_file():
        _rewrite_part(docx, "word/document.xml", mend)
