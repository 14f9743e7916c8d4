"""The Excel round trip: the open flags with their evidence as a workbook reviewers fill in, and
the decisions they typed applied back.

`export` writes one sheet per check (frozen header, set widths, amounts as numbers in 元) and a
summary sheet of open flags per department. Each check's sheet ends with the decision columns:
决定 (accept / correct, or 接受 / 更正), the field and indicator to correct (the flag's own by
default), the value, a note and the reviewer. `import_decisions` applies every filled row in one
transaction through `review.decisions`: a bad row is reported with its sheet and row number and
nothing at all is applied.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from extractors.exceptions import ReviewError
from review import decisions, queries
from review.queries import FlagRow
from schemas.model import AMOUNT_FIELDS
from storage.store import Store

SUMMARY = "部门汇总"
YUAN = '#,##0.00 "元"'
# (header: Chinese, then the key the import reads, width)
COLUMNS = [("标记 flag_id", 34), ("表 form_id", 22), ("项目名称 project_name", 28), ("主管部门 department", 20),
           ("年度 year", 7), ("级别 severity", 9), ("说明 message", 60), ("字段 field", 22), ("表上 found", 14),
           ("重算 expected", 14), ("表上金额 found_yuan", 16), ("重算金额 expected_yuan", 16), ("位置 location", 22),
           ("页 page", 6), ("行 line", 6), ("工作表 sheet", 12), ("单元格 cell", 10), ("文件 archived_file", 40)]
DECISION_COLUMNS = [("决定 decision", 12), ("更正字段 correct_field", 22), ("指标序号 seq", 10), ("更正值 value", 16),
                    ("说明 note", 40), ("复核人 reviewer", 14)]
ACTIONS = {"accept": "accept", "接受": "accept", "correct": "correct", "更正": "correct"}


def _key(header: object) -> str:
    return str(header or "").rsplit(" ", 1)[-1]


def _yuan(row: FlagRow, text: str) -> float | None:
    """An amount flag's printed or recomputed figure as a number of 元."""
    if row.field not in AMOUNT_FIELDS or not text:
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value * (10000.0 if row.amount_unit == "万元" else 1.0)


def _cells(row: FlagRow, lang: str) -> list[Any]:
    return [row.flag_id, row.form_id, row.project_name, row.department, row.year, row.severity, row.text(lang),
            row.field, row.found, row.expected, _yuan(row, row.found), _yuan(row, row.expected), row.location,
            row.page or None, row.line or None, row.sheet, row.cell, row.archived_file,
            "", row.field.split("@")[0] if row.form_id else "", None, "", "", ""]


def _header(sheet: Any, columns: list[tuple[str, int]]) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.append([name for name, _ in columns])
    for number, (name, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=number)
        cell.font = Font(bold=True)
        if name in dict(DECISION_COLUMNS):
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A2"


def export(store: Store, path: Path, *, lang: str = "zh") -> int:
    """Write the open flags to `path`; returns how many."""
    from openpyxl import Workbook

    with store.connect() as db:
        rows = queries.flags(db, status="open")
    book = Workbook()
    summary = book.active
    summary.title = SUMMARY
    checks = sorted({r.check for r in rows})
    _header(summary, [("主管部门 department", 28), *((c, max(12, len(c) + 2)) for c in checks), ("合计 total", 8)])
    by_department: dict[str, list[FlagRow]] = {}
    for row in rows:
        by_department.setdefault(row.department or "（文件）", []).append(row)
    for department, flagged in sorted(by_department.items()):
        summary.append([department, *(sum(r.check == c for r in flagged) or None for c in checks), len(flagged)])
    amount_columns = [i for i, (name, _) in enumerate(COLUMNS, start=1) if name.endswith("_yuan")]
    for check in checks:
        sheet = book.create_sheet(check[:31])
        _header(sheet, COLUMNS + DECISION_COLUMNS)
        for row in (r for r in rows if r.check == check):
            sheet.append(_cells(row, lang))
            for column in amount_columns:
                sheet.cell(row=sheet.max_row, column=column).number_format = YUAN
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return len(rows)


def _read(path: Path) -> Any:
    from openpyxl import load_workbook

    if not path.is_file():
        raise ReviewError(f"no workbook at {path}")
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReviewError(f"{path.name} is not an .xlsx workbook ({type(exc).__name__}); "
                          "export one with `selfeval review export --xlsx PATH`") from None


def _filled_rows(book: Any, path: Path) -> list[tuple[str, int, dict[str, Any]]]:
    """(sheet, row number, values by column key) of every row with a decision typed in."""
    found = []
    for sheet in book.worksheets:
        if sheet.title == SUMMARY:
            continue
        lines = sheet.iter_rows(values_only=True)
        keys = [_key(h) for h in next(lines, ())]
        if "flag_id" not in keys or "decision" not in keys:
            raise ReviewError(f"{path.name}: sheet {sheet.title!r} has no flag_id and decision columns; "
                              "is it a workbook from `selfeval review export`?")
        for number, values in enumerate(lines, start=2):
            record = dict(zip(keys, values, strict=False))
            if str(record.get("decision") or "").strip():
                found.append((sheet.title, number, record))
    return found


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _apply(db: Any, record: dict[str, Any], reviewer: str) -> decisions.Outcome:
    action = ACTIONS.get(_text(record.get("decision")).lower())
    if action is None:
        raise ReviewError(f"decision {_text(record.get('decision'))!r}; write accept (接受) or correct (更正)")
    who = _text(record.get("reviewer")) or reviewer
    flag_id, note = _text(record.get("flag_id")), _text(record.get("note"))
    if action == "accept":
        return decisions.accept_in(db, flag_id, note, who, "excel")
    value = _text(record.get("value"))
    if not value:
        raise ReviewError("a correction needs the value (更正值)")
    seq = _text(record.get("seq"))
    if seq and not seq.isdigit():
        raise ReviewError(f"the indicator's seq (指标序号) is a number, not {seq!r}")
    queries.flag(db, flag_id)
    field = _text(record.get("correct_field"))
    form_id = _text(record.get("form_id"))
    return decisions.correct_in(db, form_id, field, value, int(seq) if seq else None, note, who, "excel")


def import_decisions(store: Store, path: Path, *, reviewer: str | None = None) -> list[decisions.Outcome]:
    """Apply every decision typed into the workbook, all in one transaction, or none."""
    book = _read(path)
    try:
        filled = _filled_rows(book, path)
    finally:
        book.close()
    who = decisions.reviewer_name(reviewer)
    outcomes, problems = [], []
    with store.transaction() as db:  # a bad row raises, and the transaction is rolled back whole
        for sheet, number, record in filled:
            try:
                outcomes.append(_apply(db, record, who))
            except ReviewError as exc:
                problems.append(f"sheet {sheet} row {number}: {exc}")
        if problems:
            raise ReviewError(f"{len(problems)} bad rows in {path.name}, nothing applied: " + "; ".join(problems))
        db.execute("update meta set value = value + 1 where key = 'generation'")
    return outcomes
