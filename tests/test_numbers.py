"""extractors/numbers.py: the printed numbers, percentages and years of a form.

Examples come from real forms; the property tests hold the parsers to their contract: a value,
None, or `ValueParseError` for any text at all, and a formatted number reads back as printed.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from extractors.exceptions import ValueParseError
from extractors.numbers import Printed, parse_number, parse_percent, parse_year

FULL_WIDTH = str.maketrans("0123456789,.%", "０１２３４５６７８９，．％")

# Any text, without code points Python's own Unicode database has no entry for ("Cn"):
# those are exercised on purpose by `test_digits_newer_than_pythons_unicode_raise_our_error`.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cn")), max_size=40)
# Text made of what a number cell holds, so the parsers' inner branches are reached often.
NUMBERISH = st.text(st.sampled_from("0123456789０１２３４５６７８９,.，．%％+-— 　元分年度()（）"), max_size=16)


# -- examples -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "decimals"), [
    ("27,000", 27000.0, 0),
    ("99000.00", 99000.0, 2),
    ("348,350", 348350.0, 0),
    ("9.71", 9.71, 2),
    ("２７０００", 27000.0, 0),          # full-width digits
    ("２７，０００．５", 27000.5, 1),      # full-width separators too
    (" 1 000 ", 1000.0, 0),             # layout spaces inside a cell
    ("94.00分", 94.0, 2),               # a score with its unit
    ("25000元", 25000.0, 0),            # an amount with its unit
    ("-1,250.5", -1250.5, 1),
    ("0", 0.0, 0),
])
def test_parse_number_examples(text, value, decimals):
    assert parse_number(text) == Printed(value, decimals)


@pytest.mark.parametrize("text", ["", "   ", None, "—", "——", "-", "/", "无", "不适用", "N/A"])
def test_blank_and_not_applicable_cells_are_none(text):
    assert parse_number(text) is None
    assert parse_percent(text) is None


@pytest.mark.parametrize("text", ["九万", "1,0000", "12,34", "1.", "+", "0x10", "1e5", "约3万", "3-5"])
def test_parse_number_rejects_text_that_is_no_number(text):
    with pytest.raises(ValueParseError) as info:
        parse_number(text, field="budget_executed")
    assert info.value.field == "budget_executed"
    assert text in str(info.value)


def test_printed_unit_is_one_unit_of_the_last_digit():
    assert parse_number("99000.00").unit == pytest.approx(0.01)
    assert parse_number("9.7").unit == pytest.approx(0.1)
    assert parse_number("27,000").unit == 1.0


@pytest.mark.parametrize(("text", "value", "decimals"), [
    ("90.00%", 0.9, 4),
    ("89.98%", 0.8998, 4),
    ("100%", 1.0, 2),
    ("９７．１０％", 0.971, 4),  # full width
    ("97.10", 0.971, 4),          # printed without its sign
    ("0.9", 0.9, 1),              # already a fraction
])
def test_parse_percent_examples(text, value, decimals):
    parsed = parse_percent(text)
    assert parsed.value == pytest.approx(value)
    assert parsed.decimals == decimals


@pytest.mark.parametrize("text", ["%", "—%", "九成", "90 %%"])
def test_parse_percent_rejects_what_is_no_percentage(text):
    with pytest.raises(ValueParseError):
        parse_percent(text)


@pytest.mark.parametrize(("text", "year"), [
    ("(2022 年度)", 2022),
    ("（２０２２年度）", 2022),
    ("2022年度财政项目支出绩效自评表", 2022),
    ("财政项目支出绩效自评表（2021年度）", 2021),
    ("2019 年 度", 2019),
])
def test_parse_year_examples(text, year):
    assert parse_year(text) == year


@pytest.mark.parametrize("text", ["", "财政项目支出绩效自评表", "二〇二二年度", "12022年", "第 2 页", "2022"])
def test_parse_year_without_a_year_raises(text):
    with pytest.raises(ValueParseError):
        parse_year(text)


@pytest.mark.parametrize(("parse", "text"), [
    (parse_number, "\U0001ccf1"),            # OUTLINED DIGIT ONE
    (parse_number, "\U00011bf1,000"),        # SUNUWAR DIGIT ONE
    (parse_percent, "\U0001ccf9\U0001ccf0%"),
    (parse_year, "20\U0001ccf2\U0001ccf2年度"),
])
def test_digits_newer_than_pythons_unicode_raise_our_error(parse, text):
    try:
        parse(text)
    except ValueParseError:
        pass


# -- properties -----------------------------------------------------------------------------------

def _value_none_or_our_error(parse, text):
    try:
        result = parse(text)
    except ValueParseError:
        return
    assert result is None or (isinstance(result, Printed) and isinstance(result.value, float)
                              and result.decimals >= 0)


@given(st.one_of(ANY_TEXT, NUMBERISH))
@example("1" + "0" * 400)
def test_parse_number_returns_a_value_or_raises_our_error(text):
    _value_none_or_our_error(parse_number, text)


@given(st.one_of(ANY_TEXT, NUMBERISH.map(lambda t: t + "%")))
def test_parse_percent_returns_a_value_or_raises_our_error(text):
    _value_none_or_our_error(parse_percent, text)


@given(st.one_of(ANY_TEXT, NUMBERISH))
def test_parse_year_returns_a_year_or_raises_our_error(text):
    try:
        year = parse_year(text)
    except ValueParseError:
        return
    assert isinstance(year, int) and 1900 <= year <= 2099


@st.composite
def printed_numbers(draw):
    """(text, value, decimals): a number formatted as a form prints it."""
    decimals = draw(st.integers(0, 4))
    scaled = draw(st.integers(-10**12, 10**12))
    number = scaled / 10**decimals
    text = f"{number:,.{decimals}f}" if draw(st.booleans()) else f"{number:.{decimals}f}"
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return text, float(f"{number:.{decimals}f}"), decimals


@given(printed_numbers())
def test_a_formatted_number_parses_back_with_its_decimals(case):
    text, value, decimals = case
    parsed = parse_number(text)
    assert parsed.value == value
    assert parsed.decimals == decimals


@given(printed_numbers().filter(lambda c: not c[0].startswith("-")))
def test_a_formatted_percentage_parses_back_as_a_fraction(case):
    text, value, decimals = case
    parsed = parse_percent(text + "%")
    assert parsed.value == pytest.approx(value / 100, rel=1e-12, abs=1e-15)
    assert parsed.decimals == decimals + 2


@given(st.integers(1900, 2099), st.sampled_from(["({} 年度)", "（{}年度）", "{}年度财政项目支出绩效自评表",
                                                 "财政项目支出绩效自评表（{}年度）"]), st.booleans())
def test_a_printed_year_is_found(year, template, full_width):
    text = template.format(year)
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert parse_year(text) == year
