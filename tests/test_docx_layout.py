"""The DOCX mends of helpers.report.docx_layout on small hand-written WordprocessingML: A4 sections,
table grids at the text width of their section, cells keeping their column's alignment."""

from __future__ import annotations

import re

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
