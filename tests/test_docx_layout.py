"""The DOCX mends of helpers.report.docx_layout on small hand-written WordprocessingML: A4 sections,
table grids at the text width of their section, cells keeping their column's alignment."""

from __future__ import annotations

import re

import pytest

from helpers.report import docx_layout

A4_TEXT = 11906 - 2 * 1247  # 9412 twips
LANDSCAPE_TEXT = 16838 - 2 * 1247  # 14344 twips


def grid(*widths: int) -> str:
    return "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}" />' for w in widths) + "</w:tblGrid>"


def widths(document: str) -> list[list[int]]:
    return [
        [int(w) for w in re.findall(r'w:w="(\d+)"', g)]
        for g in re.findall(r"<w:tblGrid>(.*?)</w:tblGrid>", document)
    ]


def section(landscape: bool = False) -> str:
    if landscape:
        return '<w:sectPr><w:pgSz w:h="11906" w:w="16838" w:orient="landscape" /></w:sectPr>'
    return "<w:sectPr></w:sectPr>"


def test_a_grid_is_scaled_to_the_width_in_proportion() -> None:
    scaled = docx_layout.scale_grid(grid(5464, 2456), 9412)
    got = [int(w) for w in re.findall(r'w:w="(\d+)"', scaled)]
    assert sum(got) == 9412
    assert got[0] == round(5464 * 9412 / 7920)  # 6493: the label column keeps its 69 %


def test_tables_span_the_text_width_of_their_own_section() -> None:
    """A top-level (layout) table gets the text width; a table inside it the width less the
    outer cell's margins (2 x 108 twips); a landscape section's tables its wider text."""
    portrait = (
        f"<w:tbl>{grid(7920)}<w:tr><w:tc><w:tbl>{grid(3960, 3960)}</w:tbl></w:tc></w:tr></w:tbl>"
    )
    landscape = f"<w:tbl>{grid(7920)}</w:tbl>"
    document = docx_layout.tables_to_text_width(
        docx_layout.a4_sections(
            f"{portrait}<w:p><w:pPr>{section()}</w:pPr></w:p>"
            f"{landscape}<w:p><w:pPr>{section(True)}</w:pPr></w:p>"
        )
    )
    assert widths(document) == [[A4_TEXT], [4598, 4598], [LANDSCAPE_TEXT]]
    assert sum(widths(document)[1]) == A4_TEXT - 216


def test_a_cell_keeps_its_column_alignment() -> None:
    cell = '<w:pPr><w:jc w:val="right" /><w:jc w:val="center" /></w:pPr>'
    caption = '<w:pPr><w:jc w:val="center" /></w:pPr>'  # a lone centring stays
    fixed = docx_layout.left_and_right_cells(cell + caption)
    assert fixed == '<w:pPr><w:jc w:val="right" /></w:pPr>' + caption


def test_empty_sections_get_the_a4_page_and_landscape_ones_its_margins() -> None:
    document = docx_layout.a4_sections(section() + section(True))
    assert document.count('w:w="11906" w:h="16838"') == 1
    assert document.count('w:left="1247"') == 2


BODY_SECTION = ('<w:sectPr><w:pgSz w:h="16838" w:w="11906" /><w:pgMar w:left="1247" />'
                '<w:footnotePr><w:numRestart w:val="eachSect" /></w:footnotePr></w:sectPr>')
LANDSCAPE_CLOSE = ('<w:p><w:pPr><w:sectPr><w:pgSz w:h="11906" w:w="16838" w:orient="landscape" />'
                   '<w:pgMar w:left="1000" /></w:sectPr></w:pPr></w:p>')


def test_a_document_ending_in_a_landscape_section_ends_on_its_page() -> None:
    """The paragraph closing the last section, followed only by bookmark ends and the body's
    section, goes: the body's section takes its landscape page and margins (and keeps its
    footnote properties), so no blank portrait page follows."""
    document = (f'<w:body><w:p /><w:tbl />{LANDSCAPE_CLOSE}<w:bookmarkEnd w:id="1" />'
                f"{BODY_SECTION}</w:body>")
    assert docx_layout.no_empty_last_section(document) == (
        '<w:body><w:p /><w:tbl /><w:bookmarkEnd w:id="1" /><w:sectPr><w:pgSz w:h="11906" '
        'w:w="16838" w:orient="landscape" /><w:pgMar w:left="1000" /><w:footnotePr>'
        '<w:numRestart w:val="eachSect" /></w:footnotePr></w:sectPr></w:body>')


def test_a_landscape_section_followed_by_text_is_kept() -> None:
    """A section closed before more text (a paragraph after it) is left as it is."""
    text = "<w:p><w:r><w:t>end</w:t></w:r></w:p>"
    document = f"<w:body>{LANDSCAPE_CLOSE}{text}{BODY_SECTION}</w:body>"
    assert docx_layout.no_empty_last_section(document) == document


def cell(text: str) -> str:
    return (f'<w:tc><w:tcPr /><w:p><w:pPr><w:pStyle w:val="Compact" /></w:pPr>'
            f"<w:r><w:t>{text}</w:t></w:r></w:p></w:tc>")


def data_table(rows: list[list[str]], columns: list[int]) -> str:
    body = "".join("<w:tr>" + "".join(cell(t) for t in row) + "</w:tr>" for row in rows)
    return f"<w:tbl><w:tblPr />{grid(*columns)}{body}</w:tbl>"


CAPTION = '<w:p><w:pPr><w:pStyle w:val="TableCaption" /></w:pPr><w:r><w:t>Table 1</w:t></w:r></w:p>'


def layout_table(content: str) -> str:
    return (f"<w:tbl><w:tblPr><w:tblW w:type=\"pct\" w:w=\"5000\" /></w:tblPr>{grid(9412)}"
            f"<w:tr><w:tc><w:tcPr />{content}</w:tc></w:tr></w:tbl>")


def test_a_captioned_table_leaves_its_layout_table_and_a_figure_keeps_it() -> None:
    """Quarto's one-cell layout table around a caption and a table is removed (caption, then the
    table); the one around a figure (no table inside) stays, and so does the text around."""
    table = data_table([["a", "1"]], [4706, 4706])
    figure = layout_table('<w:p><w:r><w:drawing /></w:r></w:p>' + CAPTION)
    document = f"{figure}<w:p />{layout_table(CAPTION + table + '<w:p />')}<w:p />"
    assert docx_layout.tables_out_of_layout_tables(document) == (
        f"{figure}<w:p />{CAPTION}{table}<w:p /><w:p />")


def test_a_row_is_as_high_as_its_fullest_cell() -> None:
    """At 9 pt and 0.55 em a character (4.95 pt), a column of 1,216 twips (60.8 pt less 10.8 pt
    of margins: 50 pt) holds 10 characters a line: 10 fill one line, 11 need two, 21 three."""
    rows = [["x" * 10, "y"], ["x" * 11, ""], ["x" * 21, "y"]]
    height = docx_layout.estimated_height_pt(data_table(rows, [1216, 1216]))
    line, spacing = docx_layout.LINE_PT, docx_layout.ROW_SPACING_PT
    assert height == pytest.approx((1 + 2 + 3) * line + 3 * spacing)


def test_a_table_of_half_a_page_is_kept_whole_and_a_longer_one_breaks() -> None:
    """A table whose rows fit in half a page keeps every row but the last with the next one; one
    row more (past SHORT_TABLE_PT) keeps only its first KEEP_FIRST_ROWS rows with the next."""
    per_row = docx_layout.LINE_PT + docx_layout.ROW_SPACING_PT
    fit = int(docx_layout.SHORT_TABLE_PT // per_row)
    short = docx_layout.rows_kept_whole(data_table([["a", "1"]] * fit, [4706, 4706]))
    long = docx_layout.rows_kept_whole(data_table([["a", "1"]] * (fit + 1), [4706, 4706]))
    assert short.count("<w:cantSplit />") == fit
    assert short.count("<w:keepNext />") == 2 * (fit - 1)  # two cells a row
    assert long.count("<w:keepNext />") == 2 * docx_layout.KEEP_FIRST_ROWS


def test_the_theme_sets_body_and_headings_in_fonts_with_free_metric_clones() -> None:
    theme = ('<a:majorFont><a:latin typeface="Aptos Display" panose="0211"/></a:majorFont>'
             '<a:minorFont>\n  <a:latin typeface="Aptos" panose="0211"/></a:minorFont>')
    assert docx_layout.theme_fonts(theme) == (
        '<a:majorFont><a:latin typeface="Calibri"/></a:majorFont>'
        '<a:minorFont>\n  <a:latin typeface="Cambria"/></a:minorFont>')
