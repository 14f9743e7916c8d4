"""A segment's rows to a `Form`: header fields, funds block, annual goal, indicators, 总分.

Rows are recognised by the labels they carry (family aliases, matched fuzzily), and values are
read from the columns of their section's header row, allowing for rows that slid sideways.
Whatever no field takes is kept as `Form.unplaced`, for a reviewer.
"""

from __future__ import annotations

from extractors.cells import Row
from extractors.family import FIGURE, Family
from extractors.indicators import (
    MAX_SHIFT,
    IndicatorBuilder,
    Placed,
    column_spots,
    header_to_columns,
    place_facts,
    row_facts,
)
from extractors.numbers import (
    Printed,
    ValueParseError,
    parse_number,
    parse_percent,
    try_number,
)
from extractors.readings import read_funds_row
from extractors.segment import Segment
from extractors.text import join_texts, project_code, to_simplified
from schemas.model import Form, Source, Unplaced

HEAD_FIELDS = ("project_name", "department", "implementing_unit")
SOURCES = {"funds_total": "budget", "appropriation": "appropriation", "carryover": "carryover", "other": "other"}
AMOUNT_COLUMNS = ("initial", "full_year", "executed")
FUNDS_FIGURES = {"weight": "funds_weight", "rate": "execution_rate", "score": "funds_score"}
MIN_CONFIDENCE = 0.8  # a recognised cell below this is shown to a reviewer
FUNDS_FIELDS_OF = {label: {name: FUNDS_FIGURES.get(name, f"{prefix}_{name}") for name in (*AMOUNT_COLUMNS, *FUNDS_FIGURES)}
                   for label, prefix in SOURCES.items()}  # a funds row's column -> the form's field


def _row_label(row: Row, family: Family) -> str | None:
    """The row label (项目名称, 总分, …) its first or second filled cell is, if any."""
    tried = 0
    for text in row.cells:
        if text:
            if label := family.match(text, "labels"):
                return label
            tried += 1
            if tried == 2:
                break
    return None


def _labels(filled: list[tuple[int, str]], family: Family, group: str) -> list[tuple[int, str]]:
    return [(col, name) for col, text in filled if (name := family.match(text, group))]


class FormBuilder:
    """Walks a segment's rows once, section by section."""

    def __init__(self, family: Family, form: Form, max_shift: int = MAX_SHIFT) -> None:
        self.family = family
        self.form = form
        self.max_shift = max_shift
        self.section = "head"
        self.funds_cols: dict[str, int] = {}
        self.funds_label_col: int | None = None
        self.goal_cols: dict[str, int] = {}
        self.indicator_cols: dict[str, int] | None = None
        self.spots: tuple[int, ...] = ()  # the `column_spots` of `spots_of`, the indicator columns last used
        self.spots_of: dict[str, int] | None = None
        self.goal: dict[str, list[str]] = {"planned": [], "achieved": []}
        self.indicators = IndicatorBuilder(family)
        self.factor = 1.0

    # -- one method per kind of row -------------------------------------------------------
    def head_row(self, row: Row, labels: list[tuple[int, str]]) -> None:
        """项目名称 / 主管部门 / 实施单位: each label takes the cells up to the next label."""
        values: dict[str, list[str]] = {}
        first: dict[str, int] = {}
        current = None
        label_cols = {col for col, _ in labels}
        for col, text in row.filled():
            if col in label_cols:
                current = dict(labels)[col]
                values.setdefault(current, [])
            elif current:
                values[current].append(text)
                first.setdefault(current, col)
        for name, parts in values.items():
            setattr(self.form, name, join_texts(parts))
            self.form.sources[name] = Source(join_texts(parts), row.where(first.get(name)))

    def funds_header(self, row: Row, found: list[tuple[int, str]]) -> None:
        self.funds_cols = {name: col for col, name in found}
        self.set_unit(row.text())
        self.section = "funds"
        mark = self.family.base_mark
        if mark is not None:  # the form says what 执行率 divides by: the column it marks (A)
            marked = [name for col, name in found if name != "rate" and mark.search(row.cell(col))]
            self.form.rate_base = marked[0] if len(marked) == 1 else self.family.spec.funds.rate_base
        else:
            self.form.rate_base = self.family.spec.funds.rate_base

    def set_unit(self, text: str) -> bool:
        match = self.family.unit_pattern.search(text)
        if not match:
            return False
        unit = to_simplified(next(g for g in match.groups() if g))  # 萬元 is 万元
        self.form.amount_unit = unit
        self.factor = self.family.spec.units.factors[unit]
        return True

    def funds_shift(self, row: Row, label: str, columns: list[int]) -> int:
        """How far a funds row slid from its header's columns.

        A row slides with its label: how far the label moved from where the block's first row
        had it (once that row was placed) is the likeliest shift, which settles rows whose blanks
        fit two places. No value may stand on or left of the row's own label.
        """
        cells = row.cells
        bits_of = self.family.cell_bits
        numeric = [bool(c) and bool(bits_of(c) & FIGURE) for c in cells]
        n = len(numeric)
        match = self.family.match
        label_col = next((c for c, t in enumerate(cells) if t and match(t, "labels") == label), -1)
        moved = None if self.funds_label_col is None else label_col - self.funds_label_col

        def fit(s: int) -> float:
            found = sum(numeric[c + s] for c in columns if 0 <= c + s < n)
            return (found - sum(1 for c in columns if c + s <= label_col) + (0.5 if s == moved else 0.0)
                    - 0.01 * abs(s))

        shift = 0 if self._stands(cells, numeric, columns, label_col, moved) else \
            max(range(-self.max_shift, self.max_shift + 1), key=fit)
        if self.funds_label_col is None:
            self.funds_label_col = label_col - shift
        return shift

    @staticmethod
    def _stands(cells: list[str], numeric: list[bool], columns: list[int], label_col: int, moved: int | None) -> bool:
        """Whether every figure of the row already stands under a column (nothing to search)."""
        if moved not in (0, None) or label_col >= min(columns, default=0):
            return False
        n, under = len(cells), 0
        for c in columns:
            if c < n:
                if numeric[c]:
                    under += 1
                elif cells[c]:
                    return False
        return under == sum(numeric)

    def funds_texts(self, row: Row, label: str) -> dict[str, tuple[str, int]]:
        """The row's printed figure under each funds column, and its column in the row."""
        names = AMOUNT_COLUMNS + (("weight", "rate", "score") if label == "funds_total" else ())
        cols = {n: self.funds_cols[n] for n in names if n in self.funds_cols}
        if row.packed and (values := self.packed_values(row, label)) and len(values) < len(self.funds_cols):
            # blank cells dropped (spaced text): read the figures back by the row's own arithmetic
            order = tuple(sorted(self.funds_cols, key=lambda n: self.funds_cols[n]))
            read = read_funds_row([t for _, t in values], order)
            return {n: (read.get(n, ""), values[0][0]) for n in cols}
        shift = self.funds_shift(row, label, list(cols.values()))
        return {name: (row.cell(col + shift), col + shift) for name, col in cols.items()}

    def packed_values(self, row: Row, label: str) -> list[tuple[int, str]]:
        """The cells after the row's label."""
        filled = row.filled()
        start = next((i for i, (_, t) in enumerate(filled) if self.family.match(t, "labels") == label), 0) + 1
        return filled[start:]

    def funds_row(self, row: Row, label: str) -> None:
        """年度资金总额 and its source rows, read under the funds header's columns."""
        fields = FUNDS_FIELDS_OF[label]
        for name, (text, col) in self.funds_texts(row, label).items():
            field = fields[name]
            self.form.sources[field] = Source(text, row.where(col))
            try:
                value = parse_percent(text, field=field) if name == "rate" else parse_number(text, field=field)
            except ValueParseError:
                self.form.unparsed.append((field, text, row.where(col)))
                continue
            self.store(field, value, scale=name in AMOUNT_COLUMNS)

    def store(self, field: str, value: Printed | None, *, scale: bool) -> None:
        if value is None:
            self.form.amounts[field] = None
            return
        self.form.amounts[field] = value.value * self.factor if scale else value.value
        self.form.printed[field] = value

    def goal_header(self, found: list[tuple[int, str]]) -> None:
        self.goal_cols = {name: col for col, name in found}
        self.section = "goal"

    def goal_row(self, row: Row) -> None:
        """Goal text: of two texts on a row the left is 预期目标 and the right 实际完成情况; a lone
        text belongs to the header column it stands nearest (so a row slid a column keeps its side)."""
        texts = [(c, t) for c, t in row.filled() if self.family.match(t, "labels") != "goal_section"]
        if len(texts) == 2:
            self.goal["planned"].append(texts[0][1])
            self.goal["achieved"].append(texts[1][1])
            return
        planned, achieved = self.goal_cols.get("planned"), self.goal_cols.get("achieved")
        if (row.packed or len(row.cells) == 1) and len(texts) == 1 and planned is not None and achieved is not None:
            self.form.goal_side_unknown = True  # a text in order or alone on its line, not in its column
        for i, (col, text) in enumerate(texts):
            if planned is not None and achieved is not None:
                side = "achieved" if abs(col - achieved) < abs(col - planned) else "planned"
            elif achieved is not None:
                side = "achieved" if col >= achieved else "planned"
            else:
                side = "planned" if i == 0 else "achieved"
            self.goal[side].append(text)

    def total_row(self, row: Row) -> None:
        """总分: the 得分 total, the last number on the row; a lone number under 分值 is no score.
        A grade after it (优, 良, …) is the form's grade."""
        numbers = [(c, n) for c, t in row.filled() if (n := try_number(t)) is not None]
        cols = self.indicator_cols
        if len(numbers) == 1 and cols and "weight" in cols and \
                abs(numbers[0][0] - cols["weight"]) < abs(numbers[0][0] - cols.get("score", cols["weight"] + 1)):
            numbers = []
        if numbers:
            self.form.total_score = numbers[-1][1].value
            self.form.printed["total_score"] = numbers[-1][1]
            self.form.sources["total_score"] = Source(row.cell(numbers[-1][0]), row.where(numbers[-1][0]))
        for col, text in row.filled()[1:]:
            if try_number(text) is not None:
                continue
            if (grade := self.family.grade(text)) is not None:
                self.form.grade = grade
            else:
                self.unplaced(row, text, col)

    def unplaced(self, row: Row, text: str, col: int | None = None) -> None:
        self.form.unplaced.append(Unplaced(text, row.where(col)))

    # -- the walk -----------------------------------------------------------------------------
    def row(self, row: Row) -> None:
        family = self.family
        label = _row_label(row, family)
        if label == "total":
            self.total_row(row)
            return
        if label == "ignore":
            return
        if self.section == "indicators":
            self.indicator_row(row, labelled=label is not None)
            return
        filled = row.filled()
        if label in HEAD_FIELDS:
            self.head_row(row, [(c, n) for c, n in _labels(filled, family, "labels") if n in HEAD_FIELDS])
        elif label in SOURCES and self.funds_cols:
            self.funds_row(row, label)
        elif len(found := _labels(filled, family, "indicator_columns")) >= 3:
            self.indicator_cols = header_to_columns(row, family)
            self.section = "indicators"
        elif len(found := _labels(filled, family, "funds_columns")) >= 3:
            self.funds_header(row, found)
        elif found := _labels(filled, family, "goal_columns"):
            self.goal_header(found)
        elif self.section == "goal" or label == "goal_section":
            self.section = "goal"
            self.goal_row(row)
        elif not self.set_unit(row.text()):
            for col, text in row.filled():
                self.unplaced(row, text, col)

    def indicator_row(self, row: Row, *, labelled: bool = True) -> None:
        facts = row_facts(row, self.family, labelled=labelled)
        if not facts.has_number():  # the header again, on a continued page?
            repeated = header_to_columns(row, self.family)
            if repeated is not None:
                self.indicator_cols = repeated
                return
        cols = self.indicator_cols
        if cols is None:
            return
        if self.spots_of is not cols:
            self.spots, self.spots_of = column_spots(cols), cols
        placed = place_facts(facts, cols, packed=row.packed, max_shift=self.max_shift, spots=self.spots)
        before = len(self.indicators.indicators)
        if not self.indicators.add(row, placed):
            for col, text in row.filled():
                self.unplaced(row, text, col)
        elif len(self.indicators.indicators) > before:
            self.indicator_sources(row, cols, placed)

    def indicator_sources(self, row: Row, cols: dict[str, int], placed: Placed) -> None:
        """Where the indicator just added printed its 分值 and 得分: the cell holding that text,
        the nearest to where the row's shift puts the column."""
        seq = len(self.indicators.indicators)
        for name in ("weight", "score"):
            text = placed.cells.get(name, "")
            if name in cols and text:
                col = guess = cols[name] + placed.shift
                if row.cell(guess) != text:  # a packed row: its cells are not in their columns
                    col = min((c for c, t in enumerate(row.cells) if t == text), key=lambda c: abs(c - guess),
                              default=guess)
                self.form.sources[f"indicators[{seq}].{name}"] = Source(text, row.where(col))

    def finish(self) -> Form:
        scores = {"weight", "score"}
        self.form.scored = bool(scores & set(self.funds_cols) or scores & set(self.indicator_cols or ()))
        self.form.project_code = project_code(self.form.project_name)
        self.form.goal_planned = join_texts(self.goal["planned"])
        self.form.goal_achieved = join_texts(self.goal["achieved"])
        self.form.indicators = self.indicators.indicators
        self.form.unparsed.extend(self.indicators.unparsed)
        return self.form


def _confidence(form: Form, rows: list[Row], min_confidence: float) -> None:
    """The form's mean recognition confidence, and the cells read with too little of it."""
    scores = []
    for row in rows:
        if row.confidence is None:
            continue
        for col, text in row.filled():
            score = row.confidence[col]
            scores.append(score)
            if score < min_confidence:
                form.doubtful.append(Unplaced(f"{text} (confidence {score:.2f})", row.where(col)))
    form.confidence = sum(scores) / len(scores) if scores else 1.0


def segment_to_form(segment: Segment, family: Family, *, form_id: str, source_file: str,
                    source_sha256: str, max_shift: int = MAX_SHIFT,
                    min_confidence: float = MIN_CONFIDENCE) -> Form:
    """Rebuild one form from its segment."""
    first = segment.rows[0] if segment.rows else None
    form = Form(form_id=form_id, source_file=source_file, source_sha256=source_sha256, year=segment.year,
                source_line=segment.title_line, source_page=first.page if first else 0)
    form.family = family.name
    builder = FormBuilder(family, form, max_shift)
    for text in segment.preamble:  # 单位：万元 may stand beside the title or the year
        builder.set_unit(text)
    for row in segment.rows:
        builder.row(row)
    _confidence(form, segment.rows, min_confidence)
    return builder.finish()
