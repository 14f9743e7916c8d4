"""Numbers and places as a reviewer reads them, in Chinese and in English.

Amounts get thousands separators and their unit (`30,000.00 元`), never an exponent; a figure is
quoted as the form printed it (`3.00` on a 万元 form); a place a reader wrote as `page 2 line 14
col 3` is split into its parts (the flags' evidence columns) and said in Chinese (`第 2 页第 14 行第 3 列`).
"""

from __future__ import annotations

from typing import NamedTuple

import regex

WAN = 10000.0  # 元 in a 万元
_PLACE = regex.compile(
    r"^(?:sheet (?P<sheet>.+) (?:cell (?P<letters>[A-Z]+)(?P<row>\d+)|row (?P<sheet_row>\d+))"
    r"|table (?P<table>\d+) row (?P<table_row>\d+)(?: col (?P<table_col>\d+))?"
    r"|(?:page (?P<page>\d+) )?line (?P<line>\d+)(?: col (?P<col>\d+))?)$")


def amount(value: float | None, unit: str = "元") -> str:
    """`30,000.00 元`; an amount is always in 元 unless `unit` says otherwise."""
    return "—" if value is None else f"{value:,.2f} {unit}"


def plain(value: float | None, decimals: int = 2) -> str:
    """A figure as a cell would print it: no separators, no exponent (`99000.00`)."""
    return "" if value is None else f"{value:.{decimals}f}"


def score(value: float | None) -> str:
    """A score without needless zeros: `9`, `9.71`, `94.5`."""
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text or "0"


def percent(fraction: float | None, decimals: int = 2) -> str:
    return "—" if fraction is None else f"{fraction * 100:,.{decimals}f}%"


def decimals_of(text: str) -> int:
    """The digits a printed figure has after its point: `3.00` -> 2, `27,000` -> 0."""
    digits = text.strip().rstrip("%％元分").replace(",", "")
    return len(digits.rsplit(".", 1)[1]) if "." in digits else 0


class Place(NamedTuple):
    """A place split into the flags' evidence columns."""

    page: int
    line: int
    sheet: str
    cell: str


def place_parts(where: str) -> Place:
    """`page 2 line 14 col 3` -> (2, 14, "", "col 3"); `sheet 2022表 cell D7` -> (0, 7, "2022表", "D7");
    `table 2 row 7 col 3` -> (0, 7, "", "table 2 col 3"); anything else -> blanks."""
    found = _PLACE.match(where.strip())
    if found is None:
        return Place(0, 0, "", "")
    if found["sheet"] is not None:
        row = int(found["row"] or found["sheet_row"])
        return Place(0, row, found["sheet"], f"{found['letters']}{row}" if found["letters"] else "")
    if found["table"] is not None:
        col = f" col {found['table_col']}" if found["table_col"] else ""
        return Place(0, int(found["table_row"]), "", f"table {found['table']}{col}")
    return Place(int(found["page"] or 0), int(found["line"]), "", f"col {found['col']}" if found["col"] else "")


def place_zh(where: str) -> str:
    """The place said in Chinese: `第 2 页第 14 行第 3 列`, `工作表 2022表 D7 单元格`, `第 2 个表格第 7 行`."""
    found = _PLACE.match(where.strip())
    if found is None:
        return where
    if found["sheet"] is not None:
        if found["letters"]:
            return f"工作表「{found['sheet']}」{found['letters']}{found['row']} 单元格"
        return f"工作表「{found['sheet']}」第 {found['sheet_row']} 行"
    if found["table"] is not None:
        col = f"第 {found['table_col']} 列" if found["table_col"] else ""
        return f"第 {found['table']} 个表格第 {found['table_row']} 行{col}"
    page = f"第 {found['page']} 页" if found["page"] else ""
    col = f"第 {found['col']} 列" if found["col"] else ""
    return f"{page}第 {found['line']} 行{col}"
