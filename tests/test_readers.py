"""extractors/inputs: web pages, spreadsheets, Word documents and unruled PDFs to the same rows
as a text dump, each cell able to say exactly where it stands."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.cells import Row, column_letters
from extractors.exceptions import UnreadableFile, UnsupportedFile
from extractors.family import load_family
from extractors.inputs import read_grid
from extractors.inputs.html import html_to_text, page_to_rows, parse_html
from extractors.inputs.pdf import read_pdf_grid
from extractors.rebuild import segment_to_form
from extractors.segment import rows_to_segments
from schemas.checks import form_to_flags
from tests.conftest import FIXTURES
from tests.material import load_gold_forms
from tests.material.office import forms_to_docx, forms_to_xlsx

GOLD = load_gold_forms()


def html_rows(html: str) -> list[list[str]]:
    return [r.cells for r in page_to_rows(parse_html(html))]


# -- provenance ---------------------------------------------------------------------------------
def test_where_names_the_sheet_cell_or_table_row_and_keeps_page_and_line() -> None:
    assert [column_letters(c) for c in (0, 3, 25, 26, 701, 702)] == ["A", "D", "Z", "AA", "ZZ", "AAA"]
    assert Row(["a", "b"], 7, page=2, sheet="2022表", number=7).where(1) == "sheet 2022表 cell B7"
    assert Row(["a"], 7, sheet="表1", number=7, first_col=3).where(0) == "sheet 表1 cell D7"
    assert Row(["a", "b"], 40, table=2, number=7).where(1) == "table 2 row 7 col 2"
    assert Row(["a"], 12, page=3).where(0) == "page 3 line 12 col 1"
    assert Row(["a"], 12).where() == "line 12"


# -- HTML ---------------------------------------------------------------------------------------
def test_rowspan_and_colspan_put_text_top_left_and_blanks_where_they_span() -> None:
    html = ("<table><tr><td rowspan=2>项目<br>资金</td><td colspan=2>年初&nbsp;预算数</td><td>x</td></tr>"
            "<tr><td><p><span>99000</span></p></td><td>1</td><td>2</td></tr>"
            "<tr><td colspan=4>&nbsp;</td></tr><tr><td>a</td><td rowspan=9>b</td></tr></table>")
    assert html_rows(html) == [["项目资金", "年初预算数", "", "x"], ["", "99000", "1", "2"], ["a", "b"]]


def test_text_outside_tables_is_one_cell_rows_and_layout_tables_are_not_forms() -> None:
    html = ("<html><head><title>t</title><script>var a='财政';</script></head><body>"
            "<table><tr><td><p><span>财政项目支出</span><b>绩效自评表</b></p><p>（2022年度）</p>"
            "<table><tr><td>项目名称</td><td>某某</td></tr></table></td></tr></table><div>注：单位元</div></body></html>")
    assert html_rows(html) == [["财政项目支出绩效自评表"], ["（2022年度）"], ["项目名称", "某某"], ["注：单位元"]]


@pytest.mark.parametrize("declare", ["gbk", "gb2312", None])
def test_gbk_pages_decode_by_meta_or_by_detection(declare: str | None) -> None:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={declare}">' if declare else ""
    body = "<p>财政项目支出绩效自评表</p><table><tr><td>主管部门</td><td>上海市残疾人联合会信息中心</td></tr></table>"
    text = html_to_text(f"<html><head>{meta}</head><body>{body}</body></html>".encode("gbk"))
    assert html_rows(text) == [["财政项目支出绩效自评表"], ["主管部门", "上海市残疾人联合会信息中心"]]


def test_a_wrong_meta_charset_falls_back_to_what_the_bytes_are() -> None:
    data = '<meta charset="gbk"><p>项目支出绩效自评表</p>'.encode()
    assert "项目支出绩效自评表" in html_to_text(data)


def test_html_rows_say_their_table_and_row() -> None:
    rows = read_grid(FIXTURES / "html-utf8" / "seed.html").rows
    funds = next(r for r in rows if r.cells[1:2] == ["年度资金总额"])
    assert funds.table == 1 and funds.number == 4 and funds.where(2) == "table 1 row 4 col 3"
    assert {r.table for r in rows if len(r.cells) > 1} == set(range(1, 8))


# -- spreadsheets -------------------------------------------------------------------------------
def test_xlsx_shows_numbers_as_formatted_and_merged_cells_blank() -> None:
    rows = read_grid(FIXTURES / "xlsx-sheets" / "seed-sheets.xlsx").rows
    first = [r for r in rows if r.sheet == "表1"]
    assert first[4].cells == ["项目资金（元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "", "得分"]
    assert first[5].cells == ["", "年度资金总额", "99000.00", "30000.00", "27,000", "10", "90.00%", "", "9"]
    assert first[5].where(6) == "sheet 表1 cell G6" and first[5].page == 1 and first[5].line == 6
    assert {r.sheet for r in rows} == {f"表{i}" for i in range(1, 8)}


def test_a_bad_figure_in_a_sheet_is_flagged_with_its_exact_cell(tmp_path: Path) -> None:
    form = {**GOLD[0], "funds_score": None}
    path = forms_to_xlsx([form], tmp_path / "one.xlsx")
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["表1"]["I6"] = "九分"
    book.save(path)
    family = load_family()
    segment = rows_to_segments(read_grid(path).rows, family)[0]
    flags = form_to_flags(segment_to_form(segment, family, form_id="f", source_file="one.xlsx", source_sha256="0"))
    unparsed = [f for f in flags if f.check == "unparsed_value"]
    assert unparsed and "sheet 表1 cell I6" in unparsed[0].message


def test_several_forms_on_one_sheet_keep_their_rows_apart() -> None:
    rows = read_grid(FIXTURES / "xlsx-stacked" / "seed-stacked.xlsx").rows
    titles = [r for r in rows if r.text() == "财政项目支出绩效自评表"]
    assert [(t.sheet, t.where(1)) for t in titles[:3]] == [("表1", "sheet 表1 cell B2"), ("表1", f"sheet 表1 cell B{titles[1].number}"),
                                                           ("表1", f"sheet 表1 cell B{titles[2].number}")]
    assert titles[0].number < titles[1].number < titles[2].number
    rate = next(r for r in rows if "年度资金总额" in r.cells)
    assert "90.00%" in rate.cells  # a rate typed as text stays as typed


def test_xls_is_read_by_calamine_with_merged_cells_blank() -> None:
    grid = read_grid(FIXTURES / "xls" / "seed-sheets.xls")
    assert grid.kind == "xls" and grid.pages == 7
    head = [r for r in grid.rows if r.sheet == "表1"][:3]
    assert head[2].cells == ["项目名称", "", "市残联系统OA维护", "", "", "", "", "", ""]


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "not an Excel workbook"),
    ("broken.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Excel workbook"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a Word document"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "save it as .docx"),
    ("empty.html", b"  \n", "empty file"),
])
def test_bad_office_files_say_why_in_one_line(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises((UnreadableFile, UnsupportedFile)) as caught:
        read_grid(tmp_path / name)
    assert reason in str(caught.value) and name in str(caught.value) and "\n" not in str(caught.value)


# -- Word ---------------------------------------------------------------------------------------
def test_docx_gridspan_and_vmerge_become_blanks_and_title_paragraphs_rows(tmp_path: Path) -> None:
    rows = read_grid(forms_to_docx(GOLD[:1], tmp_path / "one.docx")).rows
    assert [r.cells for r in rows[:2]] == [["财政项目支出绩效自评表"], ["（2022年度）"]]
    assert rows[2].cells == ["项目名称", "", "市残联系统OA维护", "", "", "", "", "", ""]
    funds = rows[3:9]
    assert [r.cells[0] for r in funds] == ["主管部门", "项目资金（元）", "", "", "", ""]
    assert rows[5].where(1) == "table 1 row 4 col 2" and rows[5].cells[1] == "年度资金总额"


def test_docx_grid_before_shifts_a_row_right() -> None:
    from lxml import etree

    from extractors.inputs.docx import W, table_rows

    xml = (f'<w:tbl xmlns:w="{W}"><w:tr><w:trPr><w:gridBefore w:val="2"/></w:trPr>'
           '<w:tc><w:p><w:r><w:t>总</w:t></w:r><w:r><w:br/><w:t>分</w:t></w:r></w:p></w:tc></w:tr></w:tbl>')
    assert table_rows(etree.fromstring(xml)) == [["", "", "总分"]]


# -- PDFs without rules -------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["pdf-unruled/seed-unruled.pdf", "pdf-hrules/seed-hrules.pdf"])
def test_unruled_pages_give_the_rows_of_the_ruled_page(case: str) -> None:
    """Every row with its texts in order; each text in its own column, except a text centred over
    three or more merged columns, which no rule places: it stands in the column it starts in."""
    ruled = read_pdf_grid(FIXTURES / "pdf-wqy" / "seed-wqy.pdf").rows
    other = read_pdf_grid(FIXTURES / case).rows
    assert [(r.page, [t for _, t in r.filled()]) for r in other] == [(r.page, [t for _, t in r.filled()]) for r in ruled]
    moved = [(r.cells, s.cells) for r, s in zip(ruled, other, strict=True) if r.cells != s.cells]
    assert all(t in ("预期目标", "实际完成情况") for a, b in moved for t, _ in zip(a, b, strict=False) if False) or \
        {t for a, b in moved for (i, t) in enumerate(a) if t and b[i] != t} <= {"预期目标", "实际完成情况", "总分"}
