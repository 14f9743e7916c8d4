"""Families chosen per form, documents that are no forms, and nothing dropped without a word.

Forms come from the golden cases of each family, drawn by `tests/material`; each expectation is
what the form's own gold says, or what a document's title says it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.catalog import load_catalog
from extractors.exceptions import NoFormsFound, SettingsError
from extractors.extract import grid_to_extraction
from extractors.family import family_names, load_family
from extractors.inputs.text import text_to_rows
from extractors.text import label_key, strip_pinyin
from flows.pipeline import ingest_file
from flows.settings import Settings
from storage.inbox import sha256_of
from storage.warehouse import Warehouse
from tests.conftest import FIXTURES, load_gold
from tests.material.families import family_table, split_target
from tests.material.shapes import tabs

CASES = {"standard": "seed", "sichuan": "sichuan-pipes", "yunnan": "yunnan-html", "hubei": "hubei-xlsx",
         "county": "county-flattened"}
GOLD = {family: load_gold(FIXTURES / case)["forms"] for family, case in CASES.items()}
DEPARTMENT_WHOLE = ["部门整体支出绩效自评表", "（2022年度）", "部门名称\t上海市残疾人联合会", "年度预算申请\t\t100\t90",
                    "年度总体目标\t完成年度工作任务", "总分\t100\t92"]
TARGETS = ["2023年度项目支出绩效目标申报表", "项目名称\t残疾人辅助器具适配", "主管部门\t上海市残疾人联合会",
           "年度绩效目标\t完成适配1000人次", "一级指标\t二级指标\t三级指标\t指标值"]
INDICATOR_TABLE = ["项目支出绩效评价指标表", "一级指标\t二级指标\t三级指标\t分值\t评分标准", "决策\t项目立项\t立项依据充分性\t3\t充分得3分"]
REPORT = ["2022年度项目支出绩效自评报告", "一、项目基本情况", "本项目于2022年1月启动，全年预算30万元，执行27万元。",
          "二、绩效目标完成情况", "项目完成了年度全部目标，总体运行平稳。"]


def dump(forms: list[dict]) -> list[str]:
    return [line for form in forms for line in ["", *tabs(family_table(form))]]


def extract(lines: list[str], family: str | None = None):
    return grid_to_extraction(text_to_rows("\n".join(lines)), family, file="f.txt", sha256="0" * 64)


# -- the family of each form -----------------------------------------------------------------------

def test_every_family_file_loads_with_its_columns_in_printed_order() -> None:
    assert family_names()[0] == "standard" and set(CASES) <= set(family_names())
    assert load_family("county").indicator_order.index("weight") < load_family("county").indicator_order.index("target")
    assert {"nature", "unit"} <= set(load_family("sichuan").indicator_order)


def test_one_file_of_every_family_gives_each_form_its_family() -> None:
    forms = [form for family in CASES for form in GOLD[family][:1]]
    found = extract(dump(forms)).forms
    assert [f.family for f in found] == [g.get("family", "standard") for g in forms]
    assert [f.project_name for f in found] == [g["project_name"] for g in forms]


def test_a_forced_family_rebuilds_every_form_with_it() -> None:
    forms = [GOLD["standard"][0], GOLD["hubei"][0]]
    assert {f.family for f in extract(dump(forms), "standard").forms} == {"standard"}


def test_an_unknown_family_is_a_settings_error_naming_the_known_ones() -> None:
    with pytest.raises(SettingsError) as info:
        load_family("guangdong")
    assert all(name in info.value.reason for name in family_names())


@pytest.mark.parametrize("family", ["sichuan", "yunnan"])
def test_a_target_printed_in_three_columns_is_one_target(family: str) -> None:
    forms = extract(dump(GOLD[family])).forms
    targets = [i.target for f in forms for i in f.indicators]
    assert targets == [i["target"] for g in GOLD[family] for i in g["indicators"]]
    assert "≥1200个" in targets or "≥12项" in targets
    assert all(not t.startswith("定性") for t in targets)  # 定性 says what kind, it is no comparison


def test_split_target_reads_back_what_the_form_prints() -> None:
    assert split_target("≥95%") == ("≥", "95", "%")
    assert split_target("≤1.8元") == ("≤", "1.8", "元")
    assert split_target("有效支撑") == ("定性", "有效支撑", "")


def test_a_grade_after_the_total_is_kept() -> None:
    assert [f.grade for f in extract(dump(GOLD["yunnan"])).forms] == [g["grade"] for g in GOLD["yunnan"]]


def test_rate_divides_by_the_column_the_form_marks_a() -> None:
    hubei, beijing = extract(dump(GOLD["hubei"])).forms
    assert (hubei.rate_base, beijing.rate_base) == ("initial", "full_year")
    assert not [f for form in (hubei, beijing) for f in form_flags(form) if f.check == "execution_rate"]


def test_a_copy_without_scores_asks_for_no_score() -> None:
    unscored = extract(dump(GOLD["county"][2:])).forms[0]
    assert not unscored.scored and unscored.total_score is None
    assert {f.field for f in form_flags(unscored)} & {"total_score", "funds_score", "funds_weight"} == set()


def form_flags(form):
    from schemas.checks import form_to_flags

    return form_to_flags(form)


# -- traditional characters and pinyin -------------------------------------------------------------

def test_labels_match_across_scripts_and_pinyin_while_values_keep_theirs() -> None:
    assert label_key("項(xiàng)目名(míng)稱") == label_key("项目名称") == "项目名称"
    assert strip_pinyin("項(xiàng)目(A)") == "項目(A)"  # a letter mark is no pinyin
    family = load_family()
    assert family.match("項(xiàng)目(mù)名(míng)稱(chēng)", "labels") == "project_name"
    assert family.taxonomy_text("產出指標（50分）", "level1") == "產出指標"
    assert load_catalog().title("2022年度財政項目支出績效自評表") is not None


# -- documents that are no project forms -----------------------------------------------------------

@pytest.mark.parametrize(("lines", "kind"), [(DEPARTMENT_WHOLE, "部门整体"), (TARGETS, "绩效目标申报表"),
                                             (INDICATOR_TABLE, "绩效评价指标表"), (REPORT, "自评报告")])
def test_a_file_of_only_another_document_is_rejected_saying_what_it_is(lines: list[str], kind: str) -> None:
    with pytest.raises(NoFormsFound) as info:
        extract(lines)
    assert kind in info.value.reason and "holds only" in info.value.reason


def test_another_document_beside_forms_is_not_loaded_and_is_reported() -> None:
    forms = GOLD["standard"][:2]
    found = extract([*dump(forms[:1]), "", *DEPARTMENT_WHOLE, *TARGETS, *dump(forms[1:])])
    assert [f.project_name for f in found.forms] == [g["project_name"] for g in forms]
    assert [f.check for f in found.flags] == ["other_document", "other_document"]
    assert all(f.form_id == "" and f.severity == "warning" and f.source_file == "f.txt" for f in found.flags)


# -- nothing dropped without a word ----------------------------------------------------------------

def test_a_title_that_starts_no_form_is_reported_with_its_line() -> None:
    lines = ["财政项目支出绩效自评表", "（2022年度）", "（本页无正文）", *[f"说明第{n}条" for n in range(9)], *dump(GOLD["standard"][:1])]
    found = extract(lines)
    assert len(found.forms) == 1
    (flag,) = found.flags
    assert (flag.check, flag.field, flag.found) == ("title_without_form", "line 1", "财政项目支出绩效自评表")
    assert "项目名称" in flag.message


def test_a_file_without_a_form_names_its_nearest_candidate_and_what_it_lacks() -> None:
    with pytest.raises(NoFormsFound) as info:
        extract(["关于报送2022年度项目支出绩效自评结果的通知", "各单位：", "请于3月31日前报送。"])
    reason = info.value.reason
    assert "line 1" in reason and "score" in reason and "项目支出绩效自评表" in reason
    assert "项目名称" in reason and "总分" in reason


def test_file_level_flags_join_the_files_ledger(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "inbox" / "mixed.txt"
    path.write_text("\n".join([*dump(GOLD["standard"][:1]), "", *REPORT]) + "\n", encoding="utf-8")
    warehouse = Warehouse(tmp_path / "warehouse").create()
    settings = Settings.build(inbox=tmp_path / "inbox", warehouse=warehouse.root)
    outcome = ingest_file(path, sha256_of(path), warehouse, settings)
    assert outcome.status == "loaded" and outcome.flags["other_document"] == 1
    flags, files = warehouse.read("flags"), warehouse.read("files")
    file_flags = flags[flags["form_id"] == ""]
    assert list(file_flags["check"]) == ["other_document"]
    joined = file_flags.merge(files, left_on="source_sha256", right_on="sha256")
    assert list(joined["file_name"]) == ["mixed.txt"]
    assert set(flags["source_file"]) == {"mixed.txt"}
    forms = warehouse.read("forms")
    assert list(forms["family"]) == ["standard"] and list(forms["grade"]) == [""]

