"""extractors/inputs: a text dump of a form, in any encoding a publisher uses, to rows of cells."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extractors.exceptions import FileRejected, UnreadableFile, UnsupportedFile
from extractors.inputs import READERS, read_grid
from extractors.inputs.text import text_to_rows

SEED = Path(__file__).parent.parent / "fixtures" / "seed" / "2022-shanghai-disabled-persons-federation.txt"

# The head of a form as a tab-separated dump: blank leading lines, blank cells, a wrapped cell.
DUMP_LINES = [
    "",
    "财政项目支出绩效自评表\t\t\t\t",
    "（2022年度）\t\t\t\t",
    "项目名称\t\t市残联系统OA维护\t\t",
    "",
    "主管部门\t\t上海市残疾人联合会\t实施单位\t上海市残疾人联合会信息中心",
    "\t年度资金总额\t99000.00\t30000.00\t27,000",
    "\t可持续影响指标\t平衡业务负载，确 保系统持续运行稳 定\t5\t4",
]
DUMP = "\n".join(DUMP_LINES) + "\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def cells_and_lines(path: Path) -> list[tuple[int, list[str]]]:
    return [(row.line, row.cells) for row in read_grid(path).rows]


# -- encodings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [DUMP, SEED.read_text(encoding="utf-8")], ids=["head", "seed"])
def test_utf8_bom_and_gb18030_crlf_read_to_identical_rows(tmp_path, text):
    plain = cells_and_lines(write(tmp_path, "utf8.txt", text.encode("utf-8")))
    bom = cells_and_lines(write(tmp_path, "bom.txt", text.encode("utf-8-sig")))
    gb = cells_and_lines(write(tmp_path, "gb.txt", text.replace("\n", "\r\n").encode("gb18030")))
    assert plain  # the dump is not empty
    assert bom == plain
    assert gb == plain


def test_cells_keep_their_columns_and_lose_layout_whitespace(tmp_path):
    rows = read_grid(write(tmp_path, "head.txt", DUMP.encode("utf-8"))).rows
    assert rows[0].cells == ["财政项目支出绩效自评表", "", "", "", ""]
    assert rows[2].cells == ["项目名称", "", "市残联系统OA维护", "", ""]
    assert rows[3].cell(3) == "实施单位" and rows[3].cell(4) == "上海市残疾人联合会信息中心"
    assert rows[5].cell(2) == "平衡业务负载，确保系统持续运行稳定"  # a wrap inside a cell is not a space
    assert not any(c.endswith(("\r", " ")) for row in rows for c in row.cells)


def test_a_dump_with_runs_of_spaces_splits_into_the_same_cells_as_tabs(tmp_path):
    lines = [line for line in DUMP_LINES if line]
    tabbed = read_grid(write(tmp_path, "tabs.txt", "\n".join(lines).encode("utf-8"))).rows
    spaced_text = "\n".join(line.replace("\t", "   ") for line in lines)
    spaced = read_grid(write(tmp_path, "spaces.txt", spaced_text.encode("utf-8"))).rows
    assert [[c for _, c in r.filled()] for r in spaced] == [[c for _, c in r.filled()] for r in tabbed]


def test_ideographic_space_runs_split_cells_too():
    (row,) = text_to_rows("项目名称\u3000\u3000市残联系统OA维护\u3000\u3000总分  94.00")
    assert [c for _, c in row.filled()] == ["项目名称", "市残联系统OA维护", "总分", "94.00"]


def test_a_single_space_between_latin_words_is_kept():
    (row,) = text_to_rows("服务器\tWindows Server 2019\t确 保")
    assert row.cells == ["服务器", "Windows Server 2019", "确保"]


# -- files that are no text dump --------------------------------------------------------------------

@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"   \r\n\t\n  \n", "empty"),
    (os.urandom(4096), "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + os.urandom(256), "binary"),
    (b"\x89PNG\r\n\x1a\n", "binary"),
], ids=["empty", "whitespace", "urandom", "png", "png-signature-only"])
def test_unreadable_files_are_rejected_with_a_reason(tmp_path, data, reason):
    path = write(tmp_path, "scan.txt", data)
    with pytest.raises(UnreadableFile) as info:
        read_grid(path)
    assert reason in info.value.reason
    assert info.value.file == "scan.txt"
    assert "scan.txt" in str(info.value)


@pytest.mark.parametrize("data", ["\u3000\u3000\n\u3000\n".encode(), "\u3000\r\n".encode("gb18030"),
                                  "\u00a0\n".encode()], ids=["utf8-ideographic", "gb18030-ideographic", "nbsp"])
def test_a_file_of_wide_whitespace_only_is_unreadable(tmp_path, data):
    with pytest.raises(UnreadableFile):
        read_grid(write(tmp_path, "blank.txt", data))


def test_text_in_an_unknown_encoding_is_unreadable(tmp_path):
    path = write(tmp_path, "latin.txt", "Projet: café, résumé, année\n".encode("latin-1"))
    with pytest.raises(UnreadableFile, match="encoding"):
        read_grid(path)


@pytest.mark.parametrize("name", ["form.pptx", "form.wps", "form.key", "README"])
def test_an_unsupported_suffix_names_the_suffix_and_the_supported_ones(tmp_path, name):
    path = write(tmp_path, name, DUMP.encode("utf-8"))
    with pytest.raises(UnsupportedFile) as info:
        read_grid(path)
    assert isinstance(info.value, FileRejected)
    suffix = Path(name).suffix or "(none)"
    assert suffix in info.value.reason
    assert all(kind in info.value.reason for kind in READERS)


def test_the_suffix_is_matched_case_blind(tmp_path):
    assert read_grid(write(tmp_path, "FORM.TXT", DUMP.encode("utf-8"))).rows


def test_a_csv_dump_splits_on_commas(tmp_path):
    data = '项目名称,市残联系统OA维护,,\n年度资金总额,"99,000.00",30000.00,"27,000"\n'.encode()
    rows = read_grid(write(tmp_path, "form.csv", data)).rows
    assert rows[0].cells[:2] == ["项目名称", "市残联系统OA维护"]
    assert rows[1].cells == ["年度资金总额", "99,000.00", "30000.00", "27,000"]


# -- where each row came from -----------------------------------------------------------------------

@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_row_line_is_the_files_own_line_number(tmp_path, newline):
    path = write(tmp_path, "head.txt", DUMP.replace("\n", newline).encode("gb18030"))
    file_lines = path.read_bytes().decode("gb18030").split(newline)
    rows = read_grid(path).rows
    assert [r.line for r in rows] == [n for n, line in enumerate(file_lines, 1) if line.strip()]
    for row in rows:
        assert file_lines[row.line - 1].split("\t")[0].replace(" ", "") == row.cells[0]


def test_row_lines_of_the_seed_point_at_its_lines():
    lines = SEED.read_text(encoding="utf-8").split("\n")
    for row in read_grid(SEED).rows:
        assert [c.replace(" ", "") for c in lines[row.line - 1].split("\t")] == row.cells


def test_a_form_feed_page_break_does_not_shift_line_numbers(tmp_path):
    text = "财政项目支出绩效自评表\n\f项目名称\t示例项目\n主管部门\t示例部门\n"
    rows = read_grid(write(tmp_path, "pages.txt", text.encode("utf-8"))).rows
    assert [(r.line, r.cells[0]) for r in rows] == [(1, "财政项目支出绩效自评表"), (2, "项目名称"), (3, "主管部门")]
