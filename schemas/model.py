"""The form as rebuilt from its segment, before it becomes table rows.

Numbers keep how they were printed (`Printed.decimals`) in `Form.printed`, so the checks can
allow one unit of the last printed digit. Every value can say where it came from (`sources`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from extractors.numbers import Printed

AMOUNT_FIELDS = tuple(
    f"{source}_{column}"
    for source in ("budget", "appropriation", "carryover", "other")
    for column in ("initial", "full_year", "executed")
)
FUNDS_FIELDS = ("funds_weight", "execution_rate", "funds_score")
TEXT_FIELDS = ("project_name", "department", "implementing_unit", "goal_planned", "goal_achieved")


class Source(NamedTuple):
    """Where a value stands in its file and the text printed there: `Row.where(col)` of its cell
    (`page 2 line 14 col 3`, `sheet 2022表 cell D7`, `table 2 row 7 col 3`)."""

    text: str
    where: str


@dataclass(slots=True)
class Indicator:
    seq: int
    level1: str = ""
    level2: str = ""
    level3: str = ""
    target: str = ""
    actual: str = ""
    weight: float | None = None
    score: float | None = None
    deviation_note: str = ""
    weight_printed: Printed | None = None
    score_printed: Printed | None = None
    source_line: int = 0
    source_page: int = 0


@dataclass(slots=True)
class Unplaced:
    """Text of a form's segment that no field took."""

    text: str
    where: str


@dataclass(slots=True)
class Form:
    form_id: str
    source_file: str
    source_sha256: str
    year: int | None = None
    project_name: str = ""
    project_code: str = ""  # the 项目编码 the printed name begins with, if any
    department: str = ""
    implementing_unit: str = ""
    amount_unit: str = "元"
    goal_planned: str = ""
    goal_achieved: str = ""
    total_score: float | None = None
    grade: str = ""  # what a total row prints after the total (优, 良, 中, 差)
    family: str = ""  # the form family it was rebuilt with
    rate_base: str = "full_year"  # the amount 执行率 divides by: 全年预算数, or what the form marks (A)
    scored: bool = True  # False for a copy printed without any 分值 or 得分 column
    goal_side_unknown: bool = False  # one goal text in a copy that dropped its blank cells: its column is lost
    amounts: dict[str, float | None] = field(default_factory=dict)
    printed: dict[str, Printed] = field(default_factory=dict)
    indicators: list[Indicator] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    unparsed: list[tuple[str, str, str]] = field(default_factory=list)  # (field, text, where)
    doubtful: list[Unplaced] = field(default_factory=list)  # cells recognised with low confidence
    source_line: int = 0
    source_page: int = 0
    confidence: float = 1.0
    # where each value was read: `budget_full_year`, `indicators[3].score`, `total_score`, …
    sources: dict[str, Source] = field(default_factory=dict)

    def value(self, name: str) -> float | None:
        """An amount or funds figure by its table column name."""
        return self.amounts.get(name)


@dataclass(slots=True)
class Flag:
    form_id: str  # "" for a finding about the file rather than one of its forms
    check: str
    severity: str
    message: str
    field: str = ""
    expected: str = ""
    found: str = ""
    source_file: str = ""
    source_sha256: str = ""
    message_en: str = ""
    # the evidence: where the value the flag is about stands (see `schemas.evidence`)
    page: int = 0
    line: int = 0
    sheet: str = ""
    cell: str = ""
    location: str = ""

    @property
    def flag_id(self) -> str:
        owner = self.form_id or f"{self.source_sha256[:16]}-file"
        return f"{owner}:{self.check}:{self.field}" if self.field else f"{owner}:{self.check}"
