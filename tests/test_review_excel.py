"""The Excel round trip: the open flags exported, decisions typed in with openpyxl as a reviewer
would, imported; a workbook with a bad row, or no workbook at all, changes nothing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from flows.cli import main
from tests.conftest import FIXTURES


@pytest.fixture
def warehouse(workdir) -> Path:
    """The 万元 PDF loaded: amounts printed as 3.00 (万元) in its flags."""
    from flows.runs import run_inbox
    from flows.settings import Settings
    from flows.workers import in_process

    shutil.copy(FIXTURES / "pdf-wanyuan" / "seed-wanyuan.pdf", workdir / "inbox" / "wanyuan.pdf")
    settings = Settings.build(inbox=workdir / "inbox", warehouse=workdir / "warehouse", settle_seconds=0)
    run_inbox(settings, in_process(settings))
    return workdir / "warehouse"


def exported(warehouse: Path, tmp_path: Path, capsys) -> Path:
    path = tmp_path / "review.xlsx"
    assert main(["review", "export", "--xlsx", str(path), "--warehouse", str(warehouse)]) == 0
    assert "3 open flags written" in capsys.readouterr().out
    return path


def columns(sheet) -> dict[str, int]:
    return {str(c.value).rsplit(" ", 1)[-1]: c.column for c in sheet[1]}


def rows_by_flag(sheet) -> dict[str, int]:
    at = columns(sheet)["flag_id"]
    return {sheet.cell(row=r, column=at).value: r for r in range(2, sheet.max_row + 1)}


def store_state(warehouse: Path) -> tuple:
    with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
        return (db.execute("select * from decisions").fetchall(),
                db.execute("select flag_id, status from flags order by 1").fetchall(),
                db.execute("select * from forms order by form_id").fetchall())


def test_the_export_is_a_workbook_a_reviewer_can_read(warehouse, tmp_path, capsys):
    book = load_workbook(exported(warehouse, tmp_path, capsys))
    assert book.sheetnames == ["部门汇总", "budget_sources", "missing_field"]
    summary = book["部门汇总"]
    assert [c.value for c in summary[2]] == ["上海市残疾人联合会", 2, 1, 3]
    sheet = book["budget_sources"]
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["G"].width == 60
    at = columns(sheet)
    flags = pd.read_parquet(warehouse / "flags").set_index("flag_id")
    for flag_id, row in rows_by_flag(sheet).items():
        assert sheet.cell(row=row, column=at["found"]).value == flags.loc[flag_id, "found"]
        found = sheet.cell(row=row, column=at["found_yuan"])
        assert found.value == pytest.approx(float(flags.loc[flag_id, "found"]) * 10000)  # printed 万元, kept in 元
        assert found.number_format == '#,##0.00 "元"'
        assert sheet.cell(row=row, column=at["page"]).value == flags.loc[flag_id, "page"]
        assert sheet.cell(row=row, column=at["archived_file"]).value == flags.loc[flag_id, "archived_file"]
        assert "万元" in sheet.cell(row=row, column=at["message"]).value


def test_decisions_typed_into_the_workbook_are_imported(warehouse, tmp_path, capsys):
    path = exported(warehouse, tmp_path, capsys)
    book = load_workbook(path)
    sheet = book["budget_sources"]
    at, rows = columns(sheet), rows_by_flag(sheet)
    first, second = sorted(rows)
    sheet.cell(row=rows[first], column=at["decision"], value="接受")
    sheet.cell(row=rows[first], column=at["note"], value="原表如此")
    sheet.cell(row=rows[first], column=at["reviewer"], value="表格复核")
    sheet.cell(row=rows[second], column=at["decision"], value="correct")
    sheet.cell(row=rows[second], column=at["correct_field"], value="appropriation_full_year")
    sheet.cell(row=rows[second], column=at["value"], value=38.7167)  # typed as a number, in the form's 万元
    book.save(path)

    assert main(["review", "import", "--xlsx", str(path), "--warehouse", str(warehouse)]) == 0
    assert "2 decisions applied" in capsys.readouterr().out
    with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
        taken = db.execute("select action, flag_id, field, new_value, reviewer, via from decisions "
                           "order by decision_id").fetchall()
    assert taken[0] == ("accept", first, "budget_full_year", "accepted", "表格复核", "excel")
    assert taken[1][0] == "correct" and taken[1][2:4] == ("appropriation_full_year", "38.7167 万元")
    flags = pd.read_parquet(warehouse / "flags").set_index("flag_id")
    assert flags.loc[first, "status"] == "accepted" and flags.loc[second, "status"] == "corrected"
    forms = pd.read_parquet(warehouse / "forms").set_index("form_id")
    assert forms.loc[second.split(":")[0], "appropriation_full_year"] == pytest.approx(387167)


@pytest.mark.parametrize(("fill", "message"), [
    ({"decision": "maybe"}, "sheet budget_sources row {row}: decision 'maybe'"),
    ({"decision": "correct", "correct_field": "budget_full_year", "value": "三万"}, "row {row}: "
     "budget_full_year takes an amount"),
    ({"decision": "correct", "correct_field": "score", "seq": 42, "value": 5}, "row {row}: no indicator 42"),
    ({"decision": "correct", "correct_field": "nothing", "value": 5}, "row {row}: unknown field 'nothing'"),
])
def test_a_bad_row_is_named_and_nothing_is_applied(warehouse, tmp_path, capsys, fill, message):
    path = exported(warehouse, tmp_path, capsys)
    book = load_workbook(path)
    sheet = book["budget_sources"]
    at, rows = columns(sheet), rows_by_flag(sheet)
    good, bad = sorted(rows)
    sheet.cell(row=rows[good], column=at["decision"], value="accept")  # a good row beside it: not applied either
    for name, value in fill.items():
        sheet.cell(row=rows[bad], column=at[name], value=value)
    book.save(path)
    before = store_state(warehouse)
    assert main(["review", "import", "--xlsx", str(path), "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert "1 bad rows in review.xlsx, nothing applied" in err and message.format(row=rows[bad]) in err
    assert err.count("\n") == 1 and store_state(warehouse) == before


def test_a_file_that_is_no_workbook_is_refused(warehouse, tmp_path, capsys):
    path = tmp_path / "review.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    before = store_state(warehouse)
    assert main(["review", "import", "--xlsx", str(path), "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert "review.xlsx is not an .xlsx workbook" in err and err.count("\n") == 1
    assert store_state(warehouse) == before
