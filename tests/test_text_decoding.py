"""Text dumps in the encodings publishers use, and CSV as spreadsheets write it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from extractors.exceptions import UnreadableFile
from extractors.inputs import read_grid
from extractors.inputs.text import csv_to_rows, decode_text, lines_of
from tests.conftest import FIXTURES

SEED = (FIXTURES / "seed" / "2022-shanghai-disabled-persons-federation.txt").read_text(encoding="utf-8")
# The head of a form as Taiwan or Hong Kong would print it: traditional characters, Big5's repertoire.
TRADITIONAL = ("財政項目支出績效自評表\t\t\t\n（2022年度）\t\t\t\n項目名稱\t\t市殘聯系統OA維護\t\n"
               "主管部門\t\t上海市殘疾人聯合會\t實施單位\t上海市殘疾人聯合會信息中心\n"
               "\t年度資金總額\t99000.00\t30000.00\t27,000\n\t可持續影響指標\t平衡業務負載，確保系統持續運行穩定\t5\t4\n")


@pytest.mark.parametrize(("text", "encoding"), [
    (SEED, "utf-16"), (SEED, "utf-16-le"), (SEED, "utf-16-be"), (SEED, "utf-32"), (SEED, "gbk"),
    (SEED, "gb18030"), (SEED, "utf-8-sig"), (TRADITIONAL, "big5"), (TRADITIONAL, "big5hkscs"),
    (TRADITIONAL, "utf-16-le"), (TRADITIONAL, "gb18030"),
], ids=lambda value: value if len(value) < 12 else None)
def test_text_in_each_encoding_we_read_decodes_to_the_same_text(text, encoding):
    assert decode_text(text.encode(encoding)) == text


def test_a_utf16_dump_without_bom_reads_to_the_same_rows_as_utf8(tmp_path):
    (tmp_path / "u8.txt").write_bytes(SEED.encode("utf-8"))
    (tmp_path / "u16.txt").write_bytes(SEED.replace("\n", "\r\n").encode("utf-16-le"))
    rows = [(r.line, r.cells) for r in read_grid(tmp_path / "u8.txt").rows]
    assert rows and [(r.line, r.cells) for r in read_grid(tmp_path / "u16.txt").rows] == rows


@pytest.mark.parametrize(("data", "looks_like"), [
    ("プロジェクト名\t東京都庁の予算執行\n年度総額\t99000\n".encode("shift_jis"), "cp932, Japanese"),
    ("Projet: café, résumé, année\n".encode("latin-1"), "cp125"),
])
def test_text_in_an_encoding_we_cannot_read_names_the_encoding_it_looks_like(data, looks_like):
    with pytest.raises(UnreadableFile) as info:
        decode_text(data, file="x.txt")
    assert f"it looks like {looks_like}" in info.value.reason
    assert "save it as UTF-8" in info.value.reason and info.value.file == "x.txt"


def test_binary_that_looks_like_utf16_is_still_binary():
    data = bytes(value for n in range(4000) for value in (n % 7 + 1, 0))  # 16-bit counters, control codes
    with pytest.raises(UnreadableFile, match="binary content"):
        decode_text(data)


# -- CSV --------------------------------------------------------------------------------------------

def excel_csv(rows: list[list[str]]) -> str:
    """What Excel writes: CRLF rows, a cell quoted when it holds a comma, a quote or a line break."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def test_a_quoted_multiline_cell_stays_one_cell_and_rows_keep_their_starting_line():
    text = excel_csv([
        ["年度总体目标", "预期目标", "实际完成情况"],
        ["", "保障系统稳定运行；\n完成年度维护任务", "系统全年稳定运行，\n\n维护任务全部完成"],
        ["项目名称", '市残联"OA"维护', "99,000.00"],
    ])
    rows = csv_to_rows(text)
    assert [(r.line, r.cells) for r in rows] == [
        (1, ["年度总体目标", "预期目标", "实际完成情况"]),
        (2, ["", "保障系统稳定运行；完成年度维护任务", "系统全年稳定运行，维护任务全部完成"]),
        (6, ["项目名称", '市残联"OA"维护', "99,000.00"]),
    ]
    assert lines_of(text)[5].startswith("项目名称")  # the second row's cells take lines 2 to 5


def test_a_csv_cell_whose_closing_quote_is_missing_is_named_by_its_line():
    text = "项目名称,示例\n" + '年度总体目标,"保障系统稳定运行\n' + "\n".join(f"第{n}行,{n}" for n in range(60))
    with pytest.raises(UnreadableFile, match="CSV line 2: a quoted cell runs over 50 lines"):
        csv_to_rows(text)


def test_a_csv_file_reads_through_read_grid_with_its_multiline_cells(tmp_path):
    path = tmp_path / "form.csv"
    path.write_bytes(excel_csv([["项目名称", "示例项目"], ["预期目标", "第一行\n第二行"]]).encode("utf-8-sig"))
    assert [r.cells for r in read_grid(path).rows] == [["项目名称", "示例项目"], ["预期目标", "第一行第二行"]]


def test_the_csv_module_reads_what_the_old_line_by_line_reader_read(tmp_path: Path):
    """Every file the per-line reader read (no line breaks inside quotes) reads to the same rows."""
    text = '项目名称,市残联系统OA维护,,\n\n年度资金总额,"99,000.00",30000.00,"27,000"\n,,,\n'
    old = [(n, next(csv.reader([line]))) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    assert [(r.line, r.cells) for r in csv_to_rows(text)] == old
