"""The checks: each recomputes what a form states and turns every mismatch into a `Flag`.

A check is a small function `Form -> list[Flag]`, listed in `CHECKS` by its code. Tolerance is
one unit of the last printed digit: 89.98% for 348350/387167 = 89.974% passes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache

import regex

from schemas.doubt import name_doubts
from schemas.model import Flag, Form, Indicator

EPS = 1e-9
FULL_MARKS = 100.0
REQUIRED_TEXT = {"project_name": "项目名称", "department": "主管部门", "implementing_unit": "实施单位",
                 "goal_planned": "预期目标", "goal_achieved": "实际完成情况"}
REQUIRED_NUMBERS = {"budget_full_year": "全年预算数", "budget_executed": "全年执行数", "funds_score": "资金得分"}
SCORE_FIELDS = ("funds_score", "total_score")  # not asked of a copy printed without 分值 and 得分
BUDGET_LABELS = {"initial": "年初预算数", "full_year": "全年预算数"}
# A quantitative target: an optional comparison, a number, an optional short unit.
QUANTITY = regex.compile(r"^(?P<op>[<>＜＞≤≥]=?|[=＝]|不[低少]于|不[高多超]于|大于等于|小于等于)?\s*"
                         r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|[\p{Han}A-Za-z]{0,3})$")
AT_MOST = ("<", "＜", "≤", "不高于", "不多于", "不超于", "小于等于")


def fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _unit(form: Form, field: str, default: float = 0.01) -> float:
    printed = form.printed.get(field)
    return printed.unit if printed else default


def check_total_score(form: Form) -> Iterator[Flag]:
    if form.total_score is None:
        return
    expected = (form.value("funds_score") or 0.0) + sum(i.score or 0.0 for i in form.indicators)
    if abs(expected - form.total_score) > _unit(form, "total_score") + EPS:
        yield Flag(form.form_id, "total_score", "error",
                   f"总分 {fmt(form.total_score)} is not 资金得分 plus the indicators' 得分 ({fmt(expected)})",
                   "total_score", fmt(expected), fmt(form.total_score))


def check_weight_sum(form: Form) -> Iterator[Flag]:
    if not form.indicators or not form.scored:
        return
    found = (form.value("funds_weight") or 0.0) + sum(i.weight or 0.0 for i in form.indicators)
    if abs(found - FULL_MARKS) > 0.01 + EPS:
        yield Flag(form.form_id, "weight_sum", "error",
                   f"资金分值 plus the indicators' 分值 add up to {fmt(found)}, not {fmt(FULL_MARKS)}",
                   "funds_weight", fmt(FULL_MARKS), fmt(found))


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
        yield Flag(form.form_id, "execution_rate", "error",
                   f"执行率 is printed {rate:.2%} but 全年执行数 ÷ {label} is {expected:.2%}",
                   "execution_rate", f"{expected:.4f}", f"{rate:.4f}")


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
        yield Flag(form.form_id, "funds_score", "error",
                   f"资金得分 {fmt(score)} is not 分值 {fmt(weight)} × 执行率 {rate:.2%} = {expected:.2f}",
                   "funds_score", f"{expected:.2f}", fmt(score))


def check_score_exceeds_weight(form: Form) -> Iterator[Flag]:
    for ind in form.indicators:
        if ind.score is not None and ind.weight is not None and ind.score > ind.weight + EPS:
            yield Flag(form.form_id, "score_exceeds_weight", "error",
                       f"indicator {ind.seq} ({ind.level3}) scores {fmt(ind.score)} of a 分值 of {fmt(ind.weight)}",
                       f"indicators[{ind.seq}].score", f"<= {fmt(ind.weight)}", fmt(ind.score))


def check_budget_sources(form: Form) -> Iterator[Flag]:
    for column, label in (("initial", "年初预算数"), ("full_year", "全年预算数"), ("executed", "全年执行数")):
        total = form.value(f"budget_{column}")
        parts = [form.value(f"{s}_{column}") for s in ("appropriation", "carryover", "other")]
        if total is None or all(p is None for p in parts):
            continue
        expected = sum(p or 0.0 for p in parts)
        unit = max(_unit(form, f"budget_{column}", 1.0), 0.01) * (10000 if form.amount_unit == "万元" else 1)
        if abs(expected - total) > unit + EPS:
            yield Flag(form.form_id, "budget_sources", "error",
                       f"{label} 年度资金总额 {fmt(total)} is not 当年财政拨款 + 上年结转资金 + 其他资金 = {fmt(expected)}",
                       f"budget_{column}", fmt(expected), fmt(total))


def check_missing_field(form: Form) -> Iterator[Flag]:
    for field, label in REQUIRED_TEXT.items():
        if not getattr(form, field):
            yield Flag(form.form_id, "missing_field", "error", f"{label} is blank", field)
    for field, label in REQUIRED_NUMBERS.items():
        if form.value(field) is None and not any(f == field for f, _, _ in form.unparsed) and \
                (form.scored or field not in SCORE_FIELDS):
            yield Flag(form.form_id, "missing_field", "error", f"{label} is blank", field)
    if form.year is None:
        yield Flag(form.form_id, "missing_field", "error", "the form's year (20XX 年度) is not printed", "year")
    if form.total_score is None and form.scored:
        yield Flag(form.form_id, "missing_field", "error", "总分 is blank", "total_score")
    if not form.indicators:
        yield Flag(form.form_id, "missing_field", "error", "the form has no 绩效指标 rows", "indicators")


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
            yield Flag(form.form_id, "indicator_score", "warning",
                       f"indicator {ind.seq} ({ind.level3}): target {ind.target}, actual {ind.actual} gives "
                       f"{expected:.2f} of {fmt(ind.weight)} by the rule, but {fmt(ind.score)} is printed",
                       f"indicators[{ind.seq}].score", f"{expected:.2f}", fmt(ind.score))


def check_unplaced_text(form: Form) -> Iterator[Flag]:
    for k, item in enumerate(form.unplaced, start=1):
        yield Flag(form.form_id, "unplaced_text", "warning",
                   f"text at {item.where} was not placed in any field: {item.text[:60]}", f"unplaced[{k}]",
                   "", item.text)


def check_unparsed_value(form: Form) -> Iterator[Flag]:
    for field, text, where in form.unparsed:
        yield Flag(form.form_id, "unparsed_value", "error",
                   f"{field} at {where} is not a number: {text!r}", f"{field}@{where}", "", text)


def check_low_confidence(form: Form) -> Iterator[Flag]:
    for k, item in enumerate(form.doubtful, start=1):
        yield Flag(form.form_id, "low_confidence", "warning",
                   f"text at {item.where} was recognised with low confidence: {item.text[:60]}",
                   f"doubtful[{k}]", "", item.text)


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


def file_flag(check: str, message: str, where: str, text: str, source_file: str, source_sha256: str) -> Flag:
    """A warning about the file itself, joined to `files` by `source_sha256`."""
    return Flag("", check, "warning", message, where, "", text, source_file, source_sha256)


def form_to_flags(form: Form, checks: dict[str, Callable[[Form], Iterator[Flag]]] = CHECKS) -> list[Flag]:
    """Every flag every check raises on the form, in check order, each naming the form's file; a
    contradiction names the doubtful reads of the numbers it used."""
    flags = name_doubts(form, [flag for check in checks.values() for flag in check(form)])
    for flag in flags:
        flag.source_file, flag.source_sha256 = form.source_file, form.source_sha256
    return flags

