"""extractors/segment.py: cutting a file's rows into one segment per form.

Documents are built as tab-separated dumps from a small form block, so every expectation is
known from the construction: which lines are a form's rows and which are page furniture.
"""

from __future__ import annotations

import pytest

from extractors.family import load_family
from extractors.inputs.text import text_to_rows
from extractors.rebuild import segment_to_form
from extractors.segment import Segment, rows_to_segments

FAMILY = load_family()
TITLE = "财政项目支出绩效自评表"
YEAR = "(2022 年度)"


def form_body(project: str = "残疾人辅助器具适配", total: str = "92") -> list[str]:
    """A form's rows from 项目名称 to 总分, as dump lines."""
    return [
        f"项目名称\t\t{project}\t\t\t\t\t\t",
        "主管部门\t\t上海市残疾人联合会\t\t\t实施单位\t\t上海市残疾人辅助器具资源中心\t",
        "项目资金 (元)\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分\t",
        "\t年度资金总额\t100000.00\t100000.00\t90,000\t10\t90.00%\t9\t",
        "绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施",
        "\t产出指标\t数量指标\t适配人数\t>=100人\t100人\t90\t83\t",
        f"总分\t\t\t\t\t\t100\t{total}\t",
    ]


def form_block(title: str | None = TITLE, year: str | None = YEAR, **body: str) -> list[str]:
    return [line for line in (title, year) if line is not None] + form_body(**body)


def segments_of(lines: list[str]) -> list[Segment]:
    return rows_to_segments(text_to_rows("\n".join(lines) + "\n"), FAMILY)


def line_numbers(start: int, count: int) -> list[int]:
    """1-based file line numbers of the dump's lines[start:start + count]."""
    return list(range(start + 1, start + count + 1))


def seg_lines(segment: Segment) -> list[int]:
    return [row.line for row in segment.rows]


# -- what starts a form -------------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "year"), [
    (TITLE, YEAR),
    ("财政项目支出绩效自评衣", YEAR),                       # a wrong character (OCR)
    ("财政项目支出绩效自表", YEAR),                         # a missing character
    ("财政项目支绩效自评表", YEAR),
    ("财政项目支出绩效自评表（2022年度）", None),           # title and year on one line
    ("财政项目支出绩效自评表(2022 年度)", None),
    ("2022年度财政项目支出绩效自评表", None),
    ("（２０２２年度）财政项目支出绩效自评表", None),       # full-width digits and brackets
    ("【财政项目支出绩效自评表】", YEAR),
    ("附件2：财政项目支出绩效自评表", YEAR),
    ("附件2：2022年度财政项目支出绩效自评表", None),
    ("财政项目 支出绩效 自评表", YEAR),                     # spaces inside
    ("财 政 项 目 支 出 绩 效 自 评 表", "（2022年度）"),
    ("财政项目支出绩效自评表\t\t\t\t\t单位：元", YEAR),     # the unit on the title line
])
def test_a_damaged_title_starts_a_form(title, year):
    lines = ["上海市残疾人联合会2022年度项目支出绩效自评结果", *form_block(title, year)]
    (segment,) = segments_of(lines)
    body_start = 2 + (year is not None)
    assert segment.title_line == 2
    assert segment.year == 2022
    assert seg_lines(segment) == line_numbers(body_start, len(form_body()))
    assert segment.notes == []


@pytest.mark.parametrize("title", [
    "请各单位按要求认真填写财政项目支出绩效自评表，并于3月底前报送。",
    "根据财政项目支出绩效自评表，本项目总体完成良好",
    "本单位已按要求填写财政项目支出绩效自评表",
    "关于开展财政项目支出绩效自评工作的通知",
    "部门整体支出绩效自评表",
    "2022年度部门整体支出绩效自评表",
    "附件3：部门整体支出绩效自评表",
    pytest.param("财政项目支出绩效目标表"),
    pytest.param("财政项目支出绩效评价表"),
])
def test_a_line_that_is_not_the_title_starts_no_form(title):
    """Even with a whole form body after it, a non-title line does not make it a form."""
    assert segments_of(form_block(title, YEAR)) == []


def test_a_title_needs_a_project_name_row_within_the_confirm_window():
    within = FAMILY.spec.title.confirm_within
    filler = [f"填报说明第{n}条\t按实际情况填写" for n in range(1, within + 1)]
    # 项目名称 is the `within`-th row after the title: still a form.
    (segment,) = segments_of(["2022年度" + TITLE, *filler[:within - 1], *form_body()])
    assert segment.year == 2022
    assert segment.rows[-1].cells[0] == "总分"
    # One row further away: not a form.
    assert segments_of(["2022年度" + TITLE, *filler, *form_body()]) == []


# -- what belongs to no form --------------------------------------------------------------------------

PAGE_NUMBERS = ["- 3 -", "第 2 页", "2/5", "— 12 —", "第 2 页，共 5 页", "7", "\t\t\t- 4 -\t\t"]


@pytest.mark.parametrize("page_number", PAGE_NUMBERS)
def test_cover_notes_and_page_numbers_never_leak_into_a_form(page_number):
    cover = ["上海市残疾人联合会", "2022年度部门决算", "项目支出绩效自评结果公开", page_number]
    first, second = form_block(project="市残联系统OA维护"), form_block(project="中国残联统计工作")
    notes = ["注：1. 本表金额单位为元。", "填表人：张三\t\t联系电话：021-12345678", page_number]
    # a page number inside each form: after its funds row and after its indicator row
    first = first[:6] + [page_number] + first[6:]
    second = second[:8] + [page_number] + second[8:]
    lines = [*cover, *first, *notes, *second, "说明：以上数据未经审计。"]
    segments = segments_of(lines)
    assert len(segments) == 2
    furniture = {n for n, line in enumerate(lines, 1) if line in cover or line in notes or line == page_number
                 or line.startswith("说明")}
    for segment, block, start in ((segments[0], first, len(cover)), (segments[1], second,
                                                                      len(cover) + len(first) + len(notes))):
        expected = [start + i + 1 for i, line in enumerate(block)
                    if i >= 2 and line != page_number]  # after title and year, without the page number
        assert seg_lines(segment) == expected
        assert not furniture.intersection(seg_lines(segment))


def test_a_row_of_two_number_cells_is_no_page_number():
    lines = form_block()
    lines[7:8] = ["\t产出指标\t数量指标\t适配人数\t>=100人\t100人\t\t\t", "\t\t\t\t\t\t90\t83\t"]
    (segment,) = segments_of(lines)
    assert seg_lines(segment) == line_numbers(2, len(lines) - 2)


def test_a_form_ends_at_its_total_row():
    lines = [*form_block(), "审核意见\t\t同意", "单位负责人：李四"]
    (segment,) = segments_of(lines)
    assert segment.rows[-1].cells[0] == "总分"
    assert seg_lines(segment)[-1] == len(form_block())


def test_a_form_whose_title_was_lost_still_becomes_a_segment():
    first = form_block(project="市残联系统OA维护")
    second = form_body(project="综合行政服务平台")  # no title, no year: lost at a page break
    lines = [*first, "- 2 -", *second]
    segments = segments_of(lines)
    assert len(segments) == 2
    lost = segments[1]
    assert lost.rows[0].cells[2] == "综合行政服务平台"
    assert lost.title_line == len(first) + 2
    assert seg_lines(lost) == line_numbers(len(first) + 1, len(second))
    assert lost.year == 2022  # the file's forms share their year
    assert lost.notes and "title" in lost.notes[0]
    assert segments[0].notes == []


def test_several_forms_are_cut_in_file_order():
    projects = ["项目甲", "项目乙", "项目丙"]
    lines = [line for p in projects for line in ["", *form_block(project=p)]]
    segments = segments_of(lines)
    assert [s.ordinal for s in segments] == [1, 2, 3]
    assert [s.rows[0].cells[2] for s in segments] == projects


def test_a_title_repeated_on_a_cover_page_adds_no_empty_form():
    lines = ["附件2", TITLE, "（2022年度）", "- 1 -", *form_block()]
    segments = segments_of(lines)
    assert len(segments) == 1
    assert all(s.rows for s in segments)


def test_a_letter_spaced_title_in_a_space_separated_dump_starts_a_form():
    lines = ["财  政  项  目  支  出  绩  效  自  评  表", "（2022年度）",
             "项目名称      残疾人辅助器具适配",
             "主管部门      上海市残疾人联合会      实施单位      上海市残疾人辅助器具资源中心",
             "总分      100      92"]
    assert [s.year for s in segments_of(lines)] == [2022]


def test_the_unit_printed_beside_the_year_is_not_lost():
    lines = [TITLE, "（2022年度）\t\t\t\t\t\t单位：万元", *form_body()]
    lines[4] = "项目资金\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分\t"
    lines[5] = "\t年度资金总额\t10.00\t10.00\t9.00\t10\t90.00%\t9\t"
    (segment,) = segments_of(lines)
    form = segment_to_form(segment, FAMILY, form_id="f", source_file="f.txt", source_sha256="0" * 64)
    assert form.amount_unit == "万元"
    assert form.value("budget_full_year") == 100000.0
