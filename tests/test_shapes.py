"""extractors/shapes.py, flattened.py, readings.py: the shapes a copied form arrives in, read back.

Whole forms in every shape are the property tests' and golden cases' business; these pin down
the rules each shape is read by, on small made-up lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import regex

from extractors.extract import grid_to_extraction
from extractors.inputs import READERS, read_grid
from extractors.inputs.text import text_to_rows
from extractors.readings import read_funds_row, splits
from schemas.checks import form_to_flags
from tests.conftest import FIXTURES, load_gold
from tests.material.families import family_table
from tests.material.shapes import flattened

FUNDS = ("initial", "full_year", "executed", "weight", "rate", "score")
SEED = load_gold(FIXTURES / "seed")["forms"]


def cells(text: str) -> list[list[str]]:
    return [[c for c in row.cells if c] for row in text_to_rows(text)]


def test_pipe_rows_keep_their_blank_cells_and_join_a_cell_broken_over_two_lines() -> None:
    text = "| 项目名称 |  | 某某经费 |  |\n|---|---|---|---|\n| 偏差原因 | 受疫情影响\n部分活动延期 | 5 | 4 |\n"
    rows = text_to_rows(text)
    assert [r.cells for r in rows] == [["项目名称", "", "某某经费", ""], ["偏差原因", "受疫情影响部分活动延期", "5", "4"]]
    assert [r.line for r in rows] == [1, 3]


def test_an_escaped_bar_stays_inside_its_cell() -> None:
    assert cells("| 指标值 | A\\|B | 5 |") == [["指标值", "A|B", "5"]]


def test_lines_without_a_forms_labels_stay_lines_of_one_cell() -> None:
    text = "关于报送自评结果的通知\n\n各单位：\n\n请于3月31日前报送。\n"
    assert cells(text) == [["关于报送自评结果的通知"], ["各单位："], ["请于3月31日前报送。"]]


def test_tab_rows_then_spaced_rows_in_one_file_are_each_split_their_way() -> None:
    text = "项目名称\t\t某某经费\n主管部门  某某局  实施单位  某某中心\n"
    assert cells(text) == [["项目名称", "某某经费"], ["主管部门", "某某局", "实施单位", "某某中心"]]


def test_markdown_files_are_read_as_pipe_rows(tmp_path: Path) -> None:
    assert ".md" in READERS
    path = tmp_path / "form.md"
    path.write_text("## 财政项目支出绩效自评表\n\n| 项目名称 | 某某经费 |\n|---|---|\n", encoding="utf-8")
    assert [r.cells for r in read_grid(path).rows] == [["##财政项目支出绩效自评表"], ["项目名称", "某某经费"]]


# -- figures that lost their places ----------------------------------------------------------------

def test_figures_with_blanks_between_go_where_the_arithmetic_puts_them() -> None:
    assert read_funds_row(["30000", "27000", "10", "90.00%", "9"], FUNDS) == {
        "full_year": "30000", "executed": "27000", "weight": "10", "rate": "90.00%", "score": "9"}


def test_figures_with_nothing_to_check_fill_the_columns_from_the_left() -> None:
    assert read_funds_row(["99000", "99000", "—"], FUNDS) == {"initial": "99000", "full_year": "99000", "executed": "—"}


@pytest.mark.parametrize(("run", "columns", "expected"), [
    ("202010100.00%10", FUNDS[1:], ["20", "20", "10", "100.00%", "10"]),
    ("427167.00387167.00348,3501089.98%9", FUNDS, ["427167.00", "387167.00", "348,350", "10", "89.98%", "9"]),
])
def test_a_run_of_figures_is_cut_where_one_reading_is_best(run: str, columns: tuple, expected: list[str]) -> None:
    assert list(read_funds_row([run], columns).values()) == expected


@pytest.mark.parametrize("run", ["1111111", "20201099.00%10"])
def test_a_run_no_single_reading_settles_stays_whole(run: str) -> None:
    assert read_funds_row([run], FUNDS) == {"initial": run}


def test_cutting_a_run_never_makes_leading_zeros_or_a_percent_inside_a_number() -> None:
    found = splits("100.00%0", 3)
    assert ("100.00%", "0") in found and ("10", "0.00%", "0") in found
    for pieces in found:
        assert not any(regex.match(r"^0\d", p) or "%" in p[:-1] for p in pieces)


def test_a_run_that_does_not_settle_is_flagged_as_a_value_that_does_not_parse() -> None:
    form = {**SEED[0], "budget_full_year": 99000.0, "budget_executed": 99000.0, "execution_rate": 1.0,
            "funds_score": 10.0}
    line = " ".join(flattened(family_table(form), glue="年度资金总额"))
    # 11 11 11 or 1111 1 1: both spend all of 全年预算数, so 100.00% and 10 of 10 hold either way
    line = line.replace("99000.0099000.0099,000.0010100.00%10", "11111110100.00%10")
    (found,) = grid_to_extraction(text_to_rows(line), file="f.txt", sha256="0" * 64).forms
    flags = [f for f in form_to_flags(found) if f.check == "unparsed_value"]
    assert [f.found for f in flags] == ["11111110100.00%10"]


# -- flattened copies --------------------------------------------------------------------------------

def test_page_chrome_inside_a_flattened_form_is_no_cell_of_it() -> None:
    table = family_table(SEED[0])
    plain = grid_to_extraction(text_to_rows(" ".join(flattened(table))), file="f", sha256="0" * 64).forms
    chrome = " ".join(flattened(table, inside=[(30, "第2页"), (60, "共3页")]))
    assert grid_to_extraction(text_to_rows(chrome), file="f", sha256="0" * 64).forms[0].indicators == plain[0].indicators


def test_two_forms_on_one_line_are_two_forms() -> None:
    line = " ".join(flattened(family_table(SEED[0])) + flattened(family_table(SEED[4])))
    found = grid_to_extraction(text_to_rows(line), file="f", sha256="0" * 64).forms
    assert [f.project_name for f in found] == [SEED[0]["project_name"], SEED[4]["project_name"]]


def test_head_labels_printed_before_their_values_are_paired_in_order() -> None:
    """A PDF's text layer in reading order may give the labels first, then the values."""
    line = " ".join(flattened(family_table(SEED[0])))
    head = f"项目名称 {SEED[0]['project_name']} 主管部门 {SEED[0]['department']} 实施单位 {SEED[0]['implementing_unit']}"
    assert head in line
    scrambled = line.replace(head, f"项目名称 主管部门 实施单位 {SEED[0]['project_name']} {SEED[0]['department']} "
                                   f"{SEED[0]['implementing_unit']}")
    (form,) = grid_to_extraction(text_to_rows(scrambled), file="f", sha256="0" * 64).forms
    assert (form.project_name, form.department, form.implementing_unit) == (
        SEED[0]["project_name"], SEED[0]["department"], SEED[0]["implementing_unit"])


def test_a_label_a_wrap_cut_at_its_space_is_one_label_again() -> None:
    line = " ".join(flattened(family_table(SEED[1])))
    wrapped = line.replace("年度总体目标", "年度 总体 目标").replace("绩效指标 一级指标", "绩效 指标 一级指标")
    assert wrapped != line
    (plain,) = grid_to_extraction(text_to_rows(line), file="f", sha256="0" * 64).forms
    (found,) = grid_to_extraction(text_to_rows(wrapped), file="f", sha256="0" * 64).forms
    assert (found.goal_planned, found.indicators) == (plain.goal_planned, plain.indicators)
