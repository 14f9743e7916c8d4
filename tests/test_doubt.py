"""A contradiction whose number was read with low confidence names both facts in its flag.

Forms come from the text dump of `tests.test_checks`, read as if recognised: every cell 0.99
sure except the cells given. Line numbers are the dump's: 总分 on line 18, indicators on 13–17,
得分 in column 8 (index 7).
"""

from __future__ import annotations

from schemas.checks import form_to_flags
from tests.test_checks import INDICATORS, form_of

TOTAL, SCORE_COL = 18, 7


def _flag(flags, check: str, field: str = ""):
    return next(f for f in flags if f.check == check and (not field or f.field == field))


def test_a_contradicted_total_read_with_low_confidence_names_both() -> None:
    flags = form_to_flags(form_of({(TOTAL, SCORE_COL): 0.41}, total="93.50"))
    flag = _flag(flags, "total_score")
    assert "is not 资金得分 plus the indicators' 得分" in flag.message_en
    assert "'93.50' at line 18 col 8 was read with low confidence (0.41)" in flag.message_en
    assert "不等于 资金得分 + 各项指标得分" in flag.message
    assert "「93.50」（第 18 行第 8 列）识别置信度低（0.41）" in flag.message
    assert any(f.check == "low_confidence" for f in flags)


def test_a_misread_indicator_score_is_named_in_every_sum_it_breaks() -> None:
    rows = [list(r) for r in INDICATORS]
    rows[0][6] = "6"  # 16 read as 6, unsure
    flags = form_to_flags(form_of({(13, SCORE_COL): 0.52}, indicators=rows))
    for check, field in (("total_score", "total_score"), ("indicator_score", "indicators[1].score")):
        assert "'6' at line 13 col 8 was read with low confidence (0.52)" in _flag(flags, check, field).message_en
        assert "「6」（第 13 行第 8 列）识别置信度低（0.52）" in _flag(flags, check, field).message


def test_a_contradiction_read_with_confidence_names_no_doubt() -> None:
    flags = form_to_flags(form_of({}, total="93.50"))
    assert "confidence" not in _flag(flags, "total_score").message_en
    assert "置信度" not in _flag(flags, "total_score").message


def test_a_doubtful_number_elsewhere_is_not_named() -> None:
    rows = [list(r) for r in INDICATORS]
    rows[2][6] = "5"  # 办结时间 scores 5, not 7.5: the rule flags it, and it was read surely
    flags = form_to_flags(form_of({(16, SCORE_COL): 0.3}, indicators=rows, total="90.00"))
    assert "confidence" not in _flag(flags, "indicator_score", "indicators[3].score").message_en
