"""A stream of cells with no rows left — a flattened copy, or one cell a line — back into rows.

Label-driven: the labels of every family cut the stream into a form's parts — its title and year,
the head (项目名称, 主管部门, 实施单位), the funds header and rows, the goal, the indicator header,
the indicator rows and the total — and each part is written back as the rows a table dump would
give, cells under the header labels they belong to, so segmenting and rebuilding read it like any
other text. Where blank cells are gone, what stands where is read back:

- a funds row by the form's arithmetic (`extractors.readings`);
- indicator rows by the indicator header's columns and what each column holds
  (`extractors.packed`);
- the goal's texts left to right: one text alone is 预期目标.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from extractors.catalog import Catalog
from extractors.cells import Row
from extractors.numbers import NOT_APPLICABLE, is_figure
from extractors.packed import Cell, indicator_rows
from extractors.readings import is_numeric_token, read_funds_row
from extractors.text import join_texts

HEAD = frozenset({"project_name", "department", "implementing_unit", "ignore"})
SOURCES = frozenset({"funds_total", "appropriation", "carryover", "other"})
YEAR = regex.compile(r"^[（(\[【]?\s*(?:19|20)\d{2}\s*年度?\s*[)）\]】]?$")
UNIT = regex.compile(r"^[（(]?\s*(?:(?:金[额額])?[单單]位\s*[:：])?\s*(?:万元|萬元|元)\s*[)）]?$")
MIN_HEADER = 3  # column labels in a row that make it a header
MAX_WRAPS, WRAP_PART = 4, 8  # a label cut by wraps: at most this many parts of at most this many characters


@dataclass(slots=True)
class Token:
    text: str
    line: int


class _Stream:
    """Reads the tokens in order, writing the rows a table dump of them would have."""

    def __init__(self, tokens: list[Token], catalog: Catalog) -> None:
        self.catalog = catalog
        self.tokens = self.rejoined([t for t in tokens if not self.is_chrome(t.text)])
        self.i = 0
        self.rows: list[Row] = []
        self.funds: tuple[str, ...] = ()
        self.columns: tuple[str, ...] = ()

    def is_word(self, text: str) -> bool:
        """A label of any kind or a taxonomy name, exactly."""
        return self.catalog.is_row_label(text) or bool(self.catalog.taxonomy(text)) or bool(YEAR.match(text))

    def rejoined(self, tokens: list[Token]) -> list[Token]:
        """Labels and years a wrap cut at its space (`绩效 指标`, `(2022 年度)`) made whole again."""
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            for k in range(MAX_WRAPS, 1, -1):
                parts = tokens[i:i + k]
                if len(parts) == k and all(len(p.text) <= WRAP_PART for p in parts) and \
                        not self.is_word(parts[0].text) and self.is_word("".join(p.text for p in parts)):
                    out.append(Token("".join(p.text for p in parts), parts[0].line))
                    i += k
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out

    def emit(self, cells: list[str], line: int) -> None:
        self.rows.append(Row(cells=cells, line=line, packed=True))  # cells in order: the stream kept no columns

    def label(self, k: int, group: str = "labels") -> str | None:
        return self.catalog.exact(self.tokens[k].text, group) if k < len(self.tokens) else None

    def is_title(self, k: int) -> bool:
        found = self.catalog.title(self.tokens[k].text)
        return found is not None

    def header_at(self, k: int, group: str) -> int:
        """How many column labels of the group stand in a row from token k."""
        n = 0
        while k + n < len(self.tokens) and self.label(k + n, group):
            n += 1
        return n

    def structural(self, k: int) -> bool:
        """A token that starts another part of the form."""
        return self.is_title(k) or any(self.label(k, g) for g in ("labels", "funds_columns", "goal_columns",
                                                                    "indicator_columns"))

    def values(self, k: int) -> list[Token]:
        end = k
        while end < len(self.tokens) and not self.structural(end):
            end += 1
        return self.tokens[k:end]

    def read(self) -> list[Row]:
        while self.i < len(self.tokens):
            self.step()
        return self.rows

    def step(self) -> None:
        token, i = self.tokens[self.i], self.i
        name = self.label(i)
        if self.is_title(i):
            self.emit([token.text], token.line)
            self.i += 1
            if self.i < len(self.tokens) and YEAR.match(self.tokens[self.i].text):
                self.emit([self.tokens[self.i].text], self.tokens[self.i].line)
                self.i += 1
        elif name in HEAD:
            self.head(i)
        elif name == "funds" or (name is None and self.header_at(i, "funds_columns") >= MIN_HEADER):
            self.funds_header(i + (name == "funds"))
        elif name in SOURCES and self.funds:
            self.funds_row(name)
        elif name == "goal_section" or self.label(i, "goal_columns"):
            self.goal(i)
        elif name == "indicator_section" or self.header_at(i, "indicator_columns") >= MIN_HEADER:
            self.indicators(i + (name == "indicator_section"))
        elif name == "total":
            self.total()
        else:
            self.emit([token.text], token.line)
            self.i += 1

    def head(self, i: int) -> None:
        """项目名称, 主管部门, 实施单位 each with the cells up to the next label; where a text layer
        printed the labels in a run and their values after them (项目名称 主管部门 实施单位 X Y Z),
        as many values as labels are paired with them in order."""
        labels = [i]
        while labels[-1] + 1 < len(self.tokens) and self.label(labels[-1] + 1) in HEAD:
            labels.append(labels[-1] + 1)
        values = self.values(labels[-1] + 1)
        if len(labels) > 1 and len(values) == len(labels):
            for k, value in zip(labels, values, strict=True):
                self.emit([self.tokens[k].text, value.text], self.tokens[k].line)
            self.i = labels[-1] + 1 + len(values)
            return
        values = self.values(i + 1)
        self.emit([self.tokens[i].text, *(v.text for v in values)], self.tokens[i].line)
        self.i = i + 1 + len(values)

    def funds_header(self, k: int) -> None:
        start = self.tokens[self.i]
        cells = [start.text if k > self.i else "", ""]
        if k < len(self.tokens) and UNIT.match(self.tokens[k].text):
            cells[0] += self.tokens[k].text
            k += 1
        names = []
        while k < len(self.tokens) and (name := self.label(k, "funds_columns")):
            names.append(name)
            cells.append(self.tokens[k].text)
            k += 1
        self.funds = tuple(names)
        self.emit(cells, start.line)
        self.i = k

    def funds_row(self, name: str) -> None:
        token = self.tokens[self.i]
        k = self.i + 1
        while k < len(self.tokens) and is_numeric_token(self.tokens[k].text) and not self.structural(k):
            k += 1
        values = [t.text for t in self.tokens[self.i + 1:k]]
        reading = read_funds_row(values, self.funds) if values else {}
        self.emit(["", token.text, *(reading.get(c, "") for c in self.funds)], token.line)
        self.i = k

    def goal(self, k: int) -> None:
        start = self.tokens[k]
        header = {"": ""}
        while k < len(self.tokens) and (self.label(k) == "goal_section" or self.label(k, "goal_columns")):
            header[self.label(k, "goal_columns") or ""] = self.tokens[k].text
            k += 1
        texts = self.values(k)
        self.i = k + len(texts)
        self.emit([header[""], header.get("planned", ""), header.get("achieved", "")], start.line)
        halves = len(texts) // 2
        if len(texts) > 2 and len(texts) % 2 == 0 and \
                [t.text for t in texts[:halves]] == [t.text for t in texts[halves:]]:  # the same text twice
            texts = [Token(join_texts([t.text for t in texts[:halves]]), texts[0].line)] * 2
        if texts:
            self.emit(["", *(t.text for t in texts)], texts[0].line)

    def indicators(self, k: int) -> None:
        start = self.tokens[self.i]
        label = start.text if k > self.i else ""
        names, texts = [], []
        while k < len(self.tokens) and (name := self.label(k, "indicator_columns")):
            names.append(name)
            texts.append(self.tokens[k].text)
            k += 1
        self.columns = tuple(names)
        self.emit([label, *texts], start.line)
        end = k
        while end < len(self.tokens) and not (self.is_title(end) or self.label(end) == "total"
                                             or self.header_at(end, "indicator_columns") >= MIN_HEADER):
            end += 1
        body = self.tokens[k:end]
        for first, row in indicator_rows([self.cell(t.text) for t in body], self.columns) if self.columns else []:
            self.emit(["", *(row.get(c, "") for c in self.columns)], body[first].line)
        self.i = end

    def is_chrome(self, text: str) -> bool:
        """A page number or running line between the cells (第 2 页): no cell of the form."""
        return not is_figure(text) and text not in NOT_APPLICABLE and self.catalog.is_skipped_line(text)

    def cell(self, text: str) -> Cell:
        kind = self.catalog.taxonomy(text)
        return Cell(text, is_figure(text) or text in NOT_APPLICABLE, bool(kind & 1), bool(kind & 2))

    def total(self) -> None:
        token = self.tokens[self.i]
        k = self.i + 1
        numbers, grade = [], ""
        while k < len(self.tokens) and is_figure(self.tokens[k].text):
            numbers.append(self.tokens[k].text)
            k += 1
        if k < len(self.tokens) and self.catalog.grade(self.tokens[k].text):
            grade = self.tokens[k].text
            k += 1
        cells = [token.text] + [""] * len(self.columns)
        if "score" in self.columns and numbers:
            cells[1 + self.columns.index("score")] = numbers[-1]
            if len(numbers) > 1 and "weight" in self.columns:
                cells[1 + self.columns.index("weight")] = numbers[-2]
            if grade:
                cells.append(grade)
        else:
            cells = [token.text, *numbers] + ([grade] if grade else [])
        self.emit(cells, token.line)
        self.i = k


def tokens_to_rows(tokens: list[Token], catalog: Catalog) -> list[Row]:
    """The rows a table dump of the stream's cells would have given."""
    return _Stream(tokens, catalog).read()
