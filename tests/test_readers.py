"""extractors/inputs: web pages, spreadsheets, Word documents and unruled PDFs to the same rows
as a text dump, each cell able to say exactly where it stands."""

from __future__ import annotations

from dataclasses import asdict
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


def test_what_a_page_never_shows_is_not_read_into_a_cell() -> None:
    html = ("<table><tr><td>年度<!-- 旧值 99 -->资金<script>var a='总额';</script>总额</td>"
            "<td>Windows<br>Server<style>p{}</style> 2019</td></tr></table>")
    assert html_rows(html) == [["年度资金总额", "Windows Server 2019"]]


def test_text_outside_tables_is_one_cell_rows_and_layout_tables_are_not_forms() -> None:
    html = ("<html><head><title>t</title><script>var a='财政';</script></head><body>"
            "<table><tr><td><p><span>财政项目支出</span><b>绩效自评表</b></p><p>（2022年度）</p>"
            "<table><tr><td>项目名称</td><td>某某</td></tr></table></td></tr></table><div>注：单位元</div></body></html>")
    assert html_rows(html) == [["财政项目支出绩效自评表"], ["（2022年度）"], ["项目名称", "某某"], ["注：单位元"]]


FORM_TABLE = "<table><tr><td>项目名称</td><td>某某维护</td></tr><tr><td>总分</td><td>100</td></tr></table>"


@pytest.mark.parametrize(("heading", "title", "year"), ids=["span", "heading-with-year", "caption"], argvalues=[
    ("<p align=center><span>财政项目支出<br>绩效自评表</span></p><p>（2022年度）</p>", "财政项目支出绩效自评表", 2022),
    ("<h2>财政项目支出绩效自评表<br/>（2023年度）</h2>", "财政项目支出绩效自评表（2023年度）", 2023),
    ("<table><caption>财政项目支出<br>绩效自评表</caption><tr><td>单位：元</td></tr></table><p>2021年度</p>",
     "财政项目支出绩效自评表", 2021),
])
def test_a_title_broken_by_br_in_its_paragraph_is_one_line_and_starts_a_form(heading: str, title: str,
                                                                            year: int) -> None:
    rows = page_to_rows(parse_html(f"<body><div>首页 &gt; 信息公开<br>发布时间：2023-05-01</div>{heading}{FORM_TABLE}</body>"))
    texts = [r.text() for r in rows]
    assert texts[:3] == ["首页>信息公开", "发布时间：2023-05-01", title]  # loose lines of the frame stay apart
    segments = rows_to_segments(rows, load_family())
    assert len(segments) == 1 and segments[0].year == year and segments[0].preamble[0] == title


def test_a_br_inside_a_paragraph_joins_as_a_wrapped_cell_does() -> None:
    assert html_rows("<p>Windows<br>Server 2019</p><p>财政<br>\n 项目</p>") == [["Windows Server 2019"], ["财政项目"]]


@pytest.mark.parametrize("declare", ["gbk", "gb2312", None])
def test_gbk_pages_decode_by_meta_or_by_detection(declare: str | None) -> None:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={declare}">' if declare else ""
    body = "<p>财政项目支出绩效自评表</p><table><tr><td>主管部门</td><td>上海市残疾人联合会信息中心</td></tr></table>"
    text = html_to_text(f"<html><head>{meta}</head><body>{body}</body></html>".encode("gbk"))
    assert html_rows(text) == [["财政项目支出绩效自评表"], ["主管部门", "上海市残疾人联合会信息中心"]]


def test_an_undeclared_page_is_gb18030_only_when_its_bytes_can_be_nothing_else_chinese() -> None:
    from extractors.inputs.html import only_gb18030

    gbk = (FIXTURES / "html-gbk" / "seed-gbk.htm").read_bytes()
    assert only_gb18030(gbk) == gbk.decode("gb18030")
    assert only_gb18030("财政项目支出绩效自评表".encode("gbk")) is None  # short: Big5 reads it too
    assert only_gb18030("財政項目支出績效自評表".encode("big5")) is None
    assert only_gb18030("<p>财政</p>".encode("utf-16-le")) is None


def test_a_traditional_page_in_big5_is_detected() -> None:
    body = "<p>財政項目支出績效自評表</p><table><tr><td>項目資金（萬元）</td><td>實施單位</td></tr></table>"
    text = html_to_text(f"<html><body>{body}</body></html>".encode("big5"))
    assert html_rows(text) == [["財政項目支出績效自評表"], ["項目資金（萬元）", "實施單位"]]


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
    assert unparsed and "sheet 表1 cell I6" in unparsed[0].message_en and "「表1」I6 单元格" in unparsed[0].message
    assert (unparsed[0].sheet, unparsed[0].cell, unparsed[0].line) == ("表1", "I6", 6)


def test_several_forms_on_one_sheet_keep_their_rows_apart() -> None:
    rows = read_grid(FIXTURES / "xlsx-stacked" / "seed-stacked.xlsx").rows
    titles = [r for r in rows if r.text() == "财政项目支出绩效自评表"]
    assert [(t.sheet, t.where(1)) for t in titles[:3]] == [("表1", "sheet 表1 cell B2"), ("表1", f"sheet 表1 cell B{titles[1].number}"),
                                                           ("表1", f"sheet 表1 cell B{titles[2].number}")]
    assert titles[0].number < titles[1].number < titles[2].number
    rate = next(r for r in rows if "年度资金总额" in r.cells)
    assert "90.00%" in rate.cells  # a rate typed as text stays as typed


def test_xls_shows_numbers_as_the_sheet_prints_them_and_merged_cells_blank() -> None:
    grid = read_grid(FIXTURES / "xls" / "seed-sheets.xls")
    assert grid.kind == "xls" and grid.pages == 7
    first = [r for r in grid.rows if r.sheet == "表1"]
    assert first[2].cells == ["项目名称", "", "市残联系统OA维护", "", "", "", "", "", ""]
    assert first[5].cells == ["", "年度资金总额", "99000.00", "30000.00", "27,000", "10", "90.00%", "", "9"]
    assert first[5].where(6) == "sheet 表1 cell G6" and first[-1].cells[-2] == "94.00"


def forms_of(path: Path) -> list[dict]:
    family = load_family()
    return [{k: v for k, v in asdict(segment_to_form(s, family, form_id="f", source_file="x", source_sha256="0")).items()
             if k != "source_file"} for s in rows_to_segments(read_grid(path).rows, family)]


def test_an_xls_rebuilds_what_the_xlsx_it_was_saved_from_rebuilds_printed_figures_too() -> None:
    """Each figure's printed form (90.00%, 27,000) sets the precision the checks allow."""
    xls = forms_of(FIXTURES / "xls" / "seed-sheets.xls")
    assert len(xls) == 7 and xls == forms_of(FIXTURES / "xlsx-sheets" / "seed-sheets.xlsx")
    assert xls[0]["printed"]["execution_rate"] == {"value": 0.9, "decimals": 4}  # 90.00%, not 0.9


def xls_with_sign(tmp_path: Path, record: int) -> Path:
    """The committed .xls with its first record after the workbook's BOF turned into `record`."""
    data = bytearray((FIXTURES / "xls" / "seed-sheets.xls").read_bytes())
    bof = data.index(bytes.fromhex("0908100000060500"))  # BIFF8 workbook globals BOF, 16 bytes long
    data[bof + 20:bof + 22] = record.to_bytes(2, "little")
    (tmp_path / "locked.xls").write_bytes(bytes(data))
    return tmp_path / "locked.xls"


def test_an_encrypted_xls_or_xlsx_is_refused_saying_so(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="encrypted workbook: save it without a password"):
        read_grid(xls_with_sign(tmp_path, 0x002F))  # FILEPASS: the workbook is encrypted
    data = bytearray((FIXTURES / "xls" / "seed-sheets.xls").read_bytes())
    entry = data.index("Workbook".encode("utf-16-le"))  # the OLE directory entry of the workbook stream
    data[entry:entry + 34] = "EncryptedPackage\0".encode("utf-16-le")  # as Excel names a locked .xlsx's
    data[entry + 64:entry + 66] = (34).to_bytes(2, "little")
    (tmp_path / "locked.xlsx").write_bytes(bytes(data))
    with pytest.raises(UnreadableFile, match="locked.xlsx: encrypted workbook"):
        read_grid(tmp_path / "locked.xlsx")


def test_an_xls_that_is_an_xlsx_or_a_web_page_is_read_as_what_it_is(tmp_path: Path) -> None:
    xlsx = tmp_path / "renamed.xls"
    xlsx.write_bytes((FIXTURES / "xlsx-sheets" / "seed-sheets.xlsx").read_bytes())
    assert read_grid(xlsx).kind == "xlsx" and len(forms_of(xlsx)) == 7
    page = tmp_path / "export.xls"
    page.write_bytes((FIXTURES / "html-gbk" / "seed-gbk.htm").read_bytes())
    assert read_grid(page).kind == "html" and len(forms_of(page)) == 7
    xml = tmp_path / "2003.xls"
    xml.write_text('<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>')
    with pytest.raises(UnsupportedFile, match="Excel 2003 XML spreadsheet named .xls: open it"):
        read_grid(xml)


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "not an Excel workbook"),
    ("broken.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Excel workbook"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a Word document"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "LibreOffice could not open it as a .doc"),
    ("random.doc", bytes(range(256)) * 4, "not a Word document"),
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
