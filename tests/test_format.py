"""schemas/format.py: places said by `Row.where` split back into the flags' evidence columns, and
numbers as a reviewer reads them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from extractors.cells import Row, column_letters
from schemas.format import amount, decimals_of, percent, place_parts, place_zh, plain

SHEET_NAMES = st.text(st.sampled_from("表2022年 度Sheet_-（）"), min_size=1, max_size=12).map(str.strip).filter(bool)


@given(page=st.integers(0, 999), line=st.integers(1, 10**5), col=st.one_of(st.none(), st.integers(0, 60)))
def test_a_page_or_text_place_splits_into_page_line_and_column(page, line, col):
    parts = place_parts(Row(["x"], line=line, page=page).where(col))
    assert (parts.page, parts.line, parts.sheet) == (page, line, "")
    assert parts.cell == ("" if col is None else f"col {col + 1}")


@given(sheet=SHEET_NAMES, number=st.integers(1, 10**6), first=st.integers(0, 30), col=st.integers(0, 30))
def test_a_sheet_place_splits_into_sheet_and_cell_address(sheet, number, first, col):
    row = Row(["x"], line=number, sheet=sheet, number=number, first_col=first)
    parts = place_parts(row.where(col))
    assert parts == (0, number, sheet, f"{column_letters(first + col)}{number}")
    assert place_parts(row.where()) == (0, number, sheet, "")


@given(table=st.integers(1, 50), number=st.integers(1, 500), col=st.one_of(st.none(), st.integers(0, 20)))
def test_a_table_place_keeps_its_table(table, number, col):
    parts = place_parts(Row(["x"], line=1, table=table, number=number).where(col))
    assert parts.line == number and parts.cell.startswith(f"table {table}")


@given(st.text(max_size=30))
def test_any_text_gives_parts_or_blanks_and_a_chinese_place(text):
    parts = place_parts(text)
    assert isinstance(parts.page, int) and isinstance(parts.cell, str)
    assert isinstance(place_zh(text), str)


def test_places_in_chinese():
    assert place_zh("page 2 line 14 col 3") == "第 2 页第 14 行第 3 列"
    assert place_zh("sheet 2022表 cell D7") == "工作表「2022表」D7 单元格"
    assert place_zh("table 2 row 7 col 3") == "第 2 个表格第 7 行第 3 列"


@given(st.floats(min_value=0, max_value=1e13, allow_nan=False))
def test_amounts_are_never_printed_with_an_exponent(value):
    for text in (amount(value), plain(value), percent(value / 1e13)):
        assert "e" not in text.lower()
    assert amount(value).endswith(" 元") and float(amount(value)[:-2].replace(",", "")) == round(value, 2)


def test_decimals_as_printed():
    assert [decimals_of(t) for t in ("3.00", "27,000", "90.00%", "9.5", "100")] == [2, 0, 2, 1, 0]
