"""The checks: each recomputes what a form states and turns every mismatch into a `Flag`.

A check is a small function `Form -> list[Flag]`, listed in `CHECKS` by its code. Tolerance is
one unit of the last printed digit: 89.98% for 348350/387167 = 89.974% passes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache

import regex

from schemas import format
from schemas.doubt import name_doubts
from schemas.model import Flag, Form, Indicator

EPS = 1e-9
FULL_MARKS = 100.0
REQUIRED_TEXT = {"project_name": "项目名称", "department": "主管部门", "implementing_unit": "实施单位",
                 "goal_planned": "预期目标", "goal_achieved": "实际完成情况"}
REQUIRED_NUMBERS = {"budget_full_year": "全年预算数", "budget_executed": "全年执行数", "funds_score": "资金得分"}
SCORE_FIELDS = ("funds_score", "total_score")  # not asked of a copy printed without 分值 and 得分
BUDGET_LABELS = {"initial": "年初预算数", "full_year": "全年预算数"}
LABELS = {  # what the form calls a field, for messages
    **REQUIRED_TEXT, "year": "年度", "total_score": "总分", "funds_weight": "资金分值", "execution_rate": "执行率",
    "funds_score": "资金得分", "weight": "分值", "score": "得分",
    **{f"{source}_{column}": f"{name}（{label}）" if name else label
       for source, name in (("budget", ""), ("appropriation", "当年财政拨款"), ("carryover", "上年结转资金"),
                            ("other", "其他资金"))
       for column, label in (("initial", "年初预算数"), ("full_year", "全年预算数"), ("executed", "全年执行数"))},
}
# A quantitative target: an optional comparison, a number, an optional short unit.
QUANTITY = regex.compile(r"^(?P<op>[<>＜＞≤≥]=?|[=＝]|不[低少]于|不[高多超]于|大于等于|小于等于)?\s*"
                         r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|[\p{Han}A-Za-z]{0,3})$")
AT_MOST = ("<", "＜", "≤", "不高于", "不多于", "不超于", "小于等于")


def fmt(value: float | None) -> str:
    """A figure for `expected`/`found` where the form printed none: no separators, no exponent."""
    return "" if value is None else f"{value:.10f}".rstrip("0").rstrip(".")


def _unit(form: Form, field: str, default: float = 0.01) -> float:
    printed = form.printed.get(field)
    return printed.unit if printed else default


def printed(form: Form, field: str, value: float | None) -> str:
    """The value as the form printed it (`3.00` on a 万元 form, `90.00%`); as a plain figure when
    the form's cell is not known."""
    source = form.sources.get(field)
    return source.text if source and source.text else fmt(value)


def like(found: str, value: float) -> str:
    """`value` printed the way `found` is: as many decimals, thousands separated if it is."""
    decimals = format.decimals_of(found)
    return f"{value:,.{decimals}f}" if "," in found else format.plain(value, decimals)


def flag(form: Form, check: str, field: str, expected: str, found: str, zh: str, en: str,
         severity: str = "error") -> Flag:
    return Flag(form.form_id, check, severity, zh, field, expected, found, message_en=en)


def check_total_score(form: Form) -> Iterator[Flag]:
    if form.total_score is None:
        return
    expected = (form.value("funds_score") or 0.0) + sum(i.score or 0.0 for i in form.indicators)
    if abs(expected - form.total_score) > _unit(form, "total_score") + EPS:
        found = printed(form, "total_score", form.total_score)
        yield flag(form, "total_score", "total_score", like(found, expected), found,
                   f"总分 {found} 不等于 资金得分 + 各项指标得分 = {format.score(expected)}",
                   f"总分 (total score) {found} is not 资金得分 plus the indicators' 得分 ({format.score(expected)})")


def check_weight_sum(form: Form) -> Iterator[Flag]:
    if not form.indicators or not form.scored:
        return
    found = (form.value("funds_weight") or 0.0) + sum(i.weight or 0.0 for i in form.indicators)
    if abs(found - FULL_MARKS) > 0.01 + EPS:
        yield flag(form, "weight_sum", "funds_weight", fmt(FULL_MARKS), fmt(found),
                   f"资金分值与各项指标分值合计 {format.score(found)}，应为 {format.score(FULL_MARKS)}",
                   f"资金分值 plus the indicators' 分值 add up to {format.score(found)}, "
                   f"not {format.score(FULL_MARKS)}")


def _rate_base(form: Form) -> tuple[float | None, str]:
    """The amount 执行率 divides by and its label: 全年预算数, unless the form marks another (A)."""
    base = form.rate_base if form.rate_base in ("initial", "full_year") else "full_year"
    return form.value(f"budget_{base}"), BUDGET_LABELS[base]


def check_execution_rate(form: Form) -> Iterator[Flag]:
    rate, executed = form.value("execution_rate"), form.value("budget_executed")
    budget, label = _rate_base(form)
    if rate is None or not budget or executed is None:
        return
    expected = executed / budget
    if abs(expected - rate) > _unit(form, "execution_rate", 0.0001) + EPS:
        found = printed(form, "execution_rate", rate)
        yield flag(form, "execution_rate", "execution_rate", format.percent(expected), found,
                   f"执行率 {found} 不等于 全年执行数 {format.amount(executed)} ÷ {label} "
                   f"{format.amount(budget)} = {format.percent(expected)}",
                   f"执行率 (execution rate) is printed {found} but 全年执行数 {format.amount(executed)} ÷ "
                   f"{label} {format.amount(budget)} is {format.percent(expected)}")


def check_funds_score(form: Form) -> Iterator[Flag]:
    weight, score, rate = (form.value(f) for f in ("funds_weight", "funds_score", "execution_rate"))
    budget, _ = _rate_base(form)
    if rate is None and budget:
        executed = form.value("budget_executed")
        rate = None if executed is None else executed / budget
    if weight is None or score is None or rate is None:
        return
    expected = weight * min(rate, 1.0)
    if abs(expected - score) > _unit(form, "funds_score") + EPS:
        found = printed(form, "funds_score", score)
        yield flag(form, "funds_score", "funds_score", f"{expected:.2f}", found,
                   f"资金得分 {found} 不等于 分值 {format.score(weight)} × 执行率 {format.percent(rate)} = "
                   f"{expected:.2f}",
                   f"资金得分 (funds score) {found} is not 分值 {format.score(weight)} × 执行率 "
                   f"{format.percent(rate)} = {expected:.2f}")


def check_score_exceeds_weight(form: Form) -> Iterator[Flag]:
    for ind in form.indicators:
        if ind.score is not None and ind.weight is not None and ind.score > ind.weight + EPS:
            field = f"indicators[{ind.seq}].score"
            found = printed(form, field, ind.score)
            yield flag(form, "score_exceeds_weight", field, f"<= {fmt(ind.weight)}", found,
                       f"第 {ind.seq} 项指标（{ind.level3}）得分 {found} 超过其分值 {format.score(ind.weight)}",
                       f"indicator {ind.seq} ({ind.level3}) scores {found} of a 分值 of {format.score(ind.weight)}")


def _on_form(form: Form, found: str) -> tuple[str, str]:
    """What a 万元 form printed, said after an amount in 元 (zh, en); nothing on a 元 form."""
    if form.amount_unit != "万元":
        return "", ""
    return f"（表上 {found} 万元）", f" (printed {found} 万元)"


def check_budget_sources(form: Form) -> Iterator[Flag]:
    factor = format.WAN if form.amount_unit == "万元" else 1.0
    for column, label in (("initial", "年初预算数"), ("full_year", "全年预算数"), ("executed", "全年执行数")):
        total = form.value(f"budget_{column}")
        parts = [form.value(f"{s}_{column}") for s in ("appropriation", "carryover", "other")]
        if total is None or all(p is None for p in parts):
            continue
        expected = sum(p or 0.0 for p in parts)
        unit = max(_unit(form, f"budget_{column}", 1.0), 0.01) * factor
        if abs(expected - total) > unit + EPS:
            field = f"budget_{column}"
            found = printed(form, field, total / factor)
            zh, en = _on_form(form, found)
            yield flag(form, "budget_sources", field, like(found, expected / factor), found,
                       f"{label} {format.amount(total)}{zh or ' '}不等于 当年财政拨款 + 上年结转资金 + 其他资金 = "
                       f"{format.amount(expected)}",
                       f"{label} (year's total) {format.amount(total)}{en} is not 当年财政拨款 + 上年结转资金 + "
                       f"其他资金 = {format.amount(expected)}")


GOAL_SIDES = {"goal_planned": "planned goal", "goal_achieved": "achieved goal"}  # English of REQUIRED_TEXT's


def _missing(form: Form, field: str, label: str) -> Flag:
    if form.goal_side_unknown and field in GOAL_SIDES:  # the one goal text may belong here
        other = next(k for k in GOAL_SIDES if k != field)
        return flag(form, "missing_field", field, "", "",
                    f"{label} 未填写；此表的复制格式去掉了空白格，年度总体目标只留下一段文字，看不出它原在哪一栏"
                    f"（已按{REQUIRED_TEXT[other]}读入，可能属于{label}）",
                    f"{label} is blank; this copy dropped its blank cells and the annual goal keeps one text whose "
                    f"column is lost (read as the {GOAL_SIDES[other]}; it may be the {GOAL_SIDES[field]})")
    return flag(form, "missing_field", field, "", "", f"{label} 未填写", f"{label} is blank")


def check_missing_field(form: Form) -> Iterator[Flag]:
    for field, label in REQUIRED_TEXT.items():
        if not getattr(form, field):
            yield _missing(form, field, label)
    for field, label in REQUIRED_NUMBERS.items():
        if form.value(field) is None and not any(f == field for f, _, _ in form.unparsed) and \
                (form.scored or field not in SCORE_FIELDS):
            yield _missing(form, field, label)
    if form.year is None:
        yield flag(form, "missing_field", "year", "", "", "表上没有年度（20XX 年度）",
                   "the form's year (20XX 年度) is not printed")
    if form.total_score is None and form.scored:
        yield _missing(form, "total_score", "总分")
    if not form.indicators:
        yield flag(form, "missing_field", "indicators", "", "", "表中没有绩效指标行", "the form has no 绩效指标 rows")


@lru_cache(maxsize=4096)  # targets and actuals repeat (≥95%, 100%, =0次)
def quantity(text: str) -> tuple[str, float, str] | None:
    """`>=12次` -> ('>=', 12.0, '次'); None for text that is no plain quantity."""
    match = QUANTITY.match("".join(unicodedata.normalize("NFKC", text).split()))
    if not match:
        return None
    return match["op"] or "", float(match["num"]), match["unit"]


def expected_indicator_score(ind: Indicator) -> float | None:
    """The rule's score for a quantitative indicator, or None where the rule does not apply."""
    target, actual = quantity(ind.target), quantity(ind.actual)
    if not target or not actual or actual[0] or ind.weight is None:
        return None
    (op, goal, unit), (_, got, got_unit) = target, actual
    if got_unit and unit and got_unit != unit:
        return None
    # `=0次` (no faults) can only be missed upwards: a zero target is an upper bound.
    at_most = op.startswith(AT_MOST) or (op in ("=", "＝") and goal == 0)
    met = got <= goal if at_most else got >= goal
    if met:
        return ind.weight
    if at_most:
        return ind.weight * goal / got if got else ind.weight
    return ind.weight * got / goal if goal else ind.weight


def check_indicator_score(form: Form) -> Iterator[Flag]:
    for ind in form.indicators:
        expected = expected_indicator_score(ind)
        if expected is None or ind.score is None:
            continue
        unit = ind.score_printed.unit if ind.score_printed else 1.0
        if abs(expected - ind.score) > unit + EPS:
            field = f"indicators[{ind.seq}].score"
            found = printed(form, field, ind.score)
            yield flag(form, "indicator_score", field, f"{expected:.2f}", found,
                       f"第 {ind.seq} 项指标（{ind.level3}）：指标值 {ind.target}，实际完成值 {ind.actual}，按规则应得 "
                       f"{expected:.2f} 分（分值 {format.score(ind.weight)}），表上为 {found}",
                       f"indicator {ind.seq} ({ind.level3}): target {ind.target}, actual {ind.actual} gives "
                       f"{expected:.2f} of {format.score(ind.weight)} by the rule, but {found} is printed",
                       "warning")


def check_unplaced_text(form: Form) -> Iterator[Flag]:
    for k, item in enumerate(form.unplaced, start=1):
        yield flag(form, "unplaced_text", f"unplaced[{k}]", "", item.text,
                   f"{format.place_zh(item.where)}的文字未能归入任何字段：{item.text[:60]}",
                   f"text at {item.where} was not placed in any field: {item.text[:60]}", "warning")


def check_unparsed_value(form: Form) -> Iterator[Flag]:
    for field, text, where in form.unparsed:
        yield flag(form, "unparsed_value", f"{field}@{where}", "", text,
                   f"{format.place_zh(where)}的 {LABELS.get(field, field)} 不是数字：「{text}」",
                   f"{field} at {where} is not a number: {text!r}")


def check_low_confidence(form: Form) -> Iterator[Flag]:
    for k, item in enumerate(form.doubtful, start=1):
        yield flag(form, "low_confidence", f"doubtful[{k}]", "", item.text,
                   f"{format.place_zh(item.where)}的文字识别置信度低：{item.text[:60]}",
                   f"text at {item.where} was recognised with low confidence: {item.text[:60]}", "warning")


CHECKS: dict[str, Callable[[Form], Iterator[Flag]]] = {
    "total_score": check_total_score,
    "weight_sum": check_weight_sum,
    "execution_rate": check_execution_rate,
    "funds_score": check_funds_score,
    "score_exceeds_weight": check_score_exceeds_weight,
    "budget_sources": check_budget_sources,
    "missing_field": check_missing_field,
    "indicator_score": check_indicator_score,
    "unplaced_text": check_unplaced_text,
    "unparsed_value": check_unparsed_value,
    "low_confidence": check_low_confidence,
}


FILE_CHECKS = {  # findings about a file rather than one of its forms: form_id "", warnings
    "title_without_form": "a line looks like a form title but starts no form (the reason says why)",
    "other_document": "a document that is no project form (部门整体, 目标申报表, 指标表, 自评报告): not loaded",
}


def file_flag(check: str, message: str, where: str, text: str, source_file: str, source_sha256: str,
              message_en: str = "") -> Flag:
    """A warning about the file itself, joined to `files` by `source_sha256`."""
    flag = Flag("", check, "warning", message, where, "", text, source_file, source_sha256, message_en or message)
    return with_evidence(flag, where)


def with_evidence(flag: Flag, where: str) -> Flag:
    """The flag with the evidence columns of the place `where` (in place)."""
    flag.page, flag.line, flag.sheet, flag.cell = format.place_parts(where)
    flag.location = where
    return flag


def flag_place(form: Form, flag: Flag) -> str:
    """Where the value a flag is about stands: its cell, else its indicator's row, else the
    form's title."""
    if flag.check in ("unplaced_text", "low_confidence"):
        items = form.unplaced if flag.check == "unplaced_text" else form.doubtful
        k = int(flag.field.split("[")[1].rstrip("]"))
        return items[k - 1].where
    if flag.check == "unparsed_value":
        return flag.field.split("@", 1)[1]
    source = form.sources.get(flag.field)
    if source is not None:
        return source.where
    seq = regex.match(r"indicators\[(\d+)\]", flag.field)
    row = next((i for i in form.indicators if seq and i.seq == int(seq[1])), None)
    line, page = (row.source_line, row.source_page) if row else (form.source_line, form.source_page)
    return (f"page {page} " if page else "") + f"line {line}" if line else ""


def form_to_flags(form: Form, checks: dict[str, Callable[[Form], Iterator[Flag]]] = CHECKS) -> list[Flag]:
    """Every flag every check raises on the form, in check order, each naming the form's file; a
    contradiction names the doubtful reads of the numbers it used."""
    flags = name_doubts(form, [flag for check in checks.values() for flag in check(form)])
    for flag in flags:
        flag.source_file, flag.source_sha256 = form.source_file, form.source_sha256
        with_evidence(flag, flag_place(form, flag))
    return flags

