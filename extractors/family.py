"""Form knowledge as data: one TOML file per form family, validated when loaded.

A family names its titles, the label aliases of every field and column (the indicator columns in
the order the form prints them), the indicator taxonomy, the lines to skip and the fuzzy
cut-offs. A family may start from another (`base = "standard"`): every table it writes replaces
the base's table whole, every table it leaves out is the base's. `Family.match` answers "which
label of this group is this cell?" exactly first, then fuzzily, and remembers its answers.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from rapidfuzz import fuzz, process

from extractors.exceptions import SettingsError
from extractors.numbers import is_figure, is_number
from extractors.text import label_key, strip_pinyin

FAMILIES_DIR = Path(__file__).parent / "families"
AUTO = "auto"  # the family setting that lets each form's title and labels choose its family

MEMO_LIMIT = 200_000  # remembered cell texts per family before the memory starts over
LEVEL1, LEVEL2 = 1, 2
NUMBER, FIGURE = 4, 8  # a cell that reads as a number; as a number or a percentage
_UNSEEN = object()
MAX_LABEL_LENGTH = 24  # no label is longer; longer cells are values and are never looked up
LABEL_GROUPS = ("labels", "goal_columns", "funds_columns", "indicator_columns")
OPTIONAL_LABELS = ("ignore",)  # rows a family reads and does not keep (项目负责人及电话, …)
REQUIRED = {
    "labels": {"project_name", "department", "implementing_unit", "funds", "funds_total", "appropriation",
               "carryover", "other", "goal_section", "indicator_section", "total"},
    "goal_columns": {"planned", "achieved"},
    "funds_columns": {"initial", "full_year", "executed", "weight", "rate", "score"},
    "indicator_columns": {"level1", "level2", "level3", "target", "actual", "weight", "score", "note"},
}
OPTIONAL_COLUMNS = {"indicator_columns": {"nature", "unit"}}


def _check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise ValueError(f"bad pattern {pattern!r}: {exc}") from exc
    return patterns


class TitleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[str] = Field(min_length=1)
    cutoff: float = Field(ge=50, le=100)
    max_extra: int = Field(ge=0, le=20)
    confirm_within: int = Field(ge=1, le=50)
    strip: list[str] = []
    row_extras: list[str] = []  # cells a title row may carry beside the title (部门：…, 公开14表)
    _check = field_validator("strip", "row_extras")(_check_patterns)

    @property
    def text(self) -> str:
        return self.texts[0]


class SkipSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patterns: list[str] = []
    _check = field_validator("patterns")(_check_patterns)


class UnitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str
    factors: dict[str, float]
    _check = field_validator("pattern")(lambda p: _check_patterns([p])[0])


class FundsSpec(BaseModel):
    """The funds block's own arithmetic: which column 执行率 divides by."""

    model_config = ConfigDict(extra="forbid")
    rate_base: str = "full_year"
    base_mark: str = ""  # a header cell carrying this pattern (`(A)` beside `执行率(B/A)`) is the base
    _check = field_validator("base_mark")(lambda p: _check_patterns([p])[0])


class FamilySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    base: str = ""
    title: TitleSpec
    skip: SkipSpec
    labels: dict[str, Any]
    goal_columns: dict[str, list[str]]
    funds_columns: dict[str, list[str]]
    indicator_columns: dict[str, list[str]]
    units: UnitSpec
    funds: FundsSpec = FundsSpec()
    grades: list[str] = []  # what may follow the total on its row (优, 良, 中, 差)
    nature_kept: list[str] = []  # 指标性质 values that are part of the target as printed (≥, ≤, =)
    taxonomy: dict[str, list[str]] = Field(min_length=1)


class Family:
    """A validated form family with compiled patterns and memoised label matching."""

    def __init__(self, spec: FamilySpec) -> None:
        self.spec = spec
        self.name = spec.name
        labels = dict(spec.labels)
        self.label_strip = [regex.compile(p) for p in _check_patterns(labels.pop("strip", []))]
        self.label_cutoff = float(labels.pop("cutoff", 85))
        self.groups: dict[str, dict[str, str]] = {}
        for group in LABEL_GROUPS:
            aliases = labels if group == "labels" else getattr(spec, group)
            self.groups[group] = {self.key(a): name for name, names in aliases.items() for a in names}
        self.indicator_order = tuple(spec.indicator_columns)
        self.level1 = {self.key(name): name for name in spec.taxonomy}
        self.level2 = {self.key(n): n for names in spec.taxonomy.values() for n in names}
        self.parent = {n: [p for p, ns in spec.taxonomy.items() if n in ns] for ns in spec.taxonomy.values() for n in ns}
        self.title_strip = [regex.compile(p) for p in spec.title.strip]
        self.title_extras = [regex.compile(p) for p in spec.title.row_extras]
        self.titles = {label_key(t) for t in spec.title.texts}
        self.skip = [regex.compile(p) for p in spec.skip.patterns]
        self.unit_pattern = regex.compile(spec.units.pattern)
        self.base_mark = regex.compile(spec.funds.base_mark) if spec.funds.base_mark else None
        self.grades = {label_key(g): g for g in spec.grades}
        self.nature_kept = {label_key(n) for n in spec.nature_kept}
        self.alias_keys = {key: (group, name) for group, table in self.groups.items() for key, name in table.items()}
        self._memo: dict[tuple[str, str], str | None] = {}
        self._kinds: dict[str, int] = {}
        self._bits: dict[str, int] = {}
        self._printed: dict[tuple[str, str], str] = {}

    def key(self, text: str) -> str:
        key = label_key(text)
        for pattern in getattr(self, "label_strip", ()):
            key = pattern.sub("", key)
        return key

    def match(self, text: str, group: str) -> str | None:
        """The name of the label in `group` that `text` is, or None."""
        memo_key = (group, text)
        known = self._memo.get(memo_key, _UNSEEN)
        if known is not _UNSEEN:
            return known  # type: ignore[return-value]
        if len(text) > MAX_LABEL_LENGTH and (len(text) > 4 * MAX_LABEL_LENGTH
                                             or len(strip_pinyin(text)) > MAX_LABEL_LENGTH):
            return None
        table = self.level1 if group == "level1" else self.level2 if group == "level2" else self.groups[group]
        key = self.key(text)
        found = table.get(key)
        if found is None and 2 <= len(key) <= 14 and not any(c.isdigit() for c in key):
            best = process.extractOne(key, table.keys(), scorer=fuzz.ratio, score_cutoff=self.label_cutoff)
            found = table[best[0]] if best else None
        if len(self._memo) >= MEMO_LIMIT:  # a long `selfeval serve` sees endless distinct cells
            self._memo.clear()
        self._memo[memo_key] = found
        return found

    def taxonomy_kind(self, text: str) -> int:
        """LEVEL1 | LEVEL2 bits: whether the cell names a 一级 and/or a 二级指标 (成本指标 is both)."""
        kind = self._kinds.get(text)
        if kind is None:
            kind = (LEVEL1 if self.match(text, "level1") else 0) | (LEVEL2 if self.match(text, "level2") else 0)
            if len(self._kinds) >= MEMO_LIMIT:
                self._kinds.clear()
            self._kinds[text] = kind
        return kind

    def cell_bits(self, text: str) -> int:
        """What a non-blank cell is: NUMBER and FIGURE for a number, FIGURE for a percentage, and
        the `taxonomy_kind` of any other cell; worked out once per distinct text."""
        bits = self._bits.get(text)
        if bits is None:
            if is_number(text):
                bits = NUMBER | FIGURE
            else:
                bits = (FIGURE if is_figure(text) else 0) | self.taxonomy_kind(text)
            if len(self._bits) >= MEMO_LIMIT:
                self._bits.clear()
            self._bits[text] = bits
        return bits

    def taxonomy_text(self, text: str, group: str) -> str:
        """A 一级/二级指标 cell as the form prints the name (its own characters, no pinyin, no
        `（50分）`); the taxonomy's spelling where the cell is a damaged copy of it."""
        found = self._printed.get((group, text))
        if found is None:
            if len(self._printed) >= MEMO_LIMIT:
                self._printed.clear()
            found = self._printed[(group, text)] = self._taxonomy_text(text, group)
        return found

    def _taxonomy_text(self, text: str, group: str) -> str:
        name = self.match(text, group)
        if name is None:
            return text
        printed = strip_pinyin(text)
        for pattern in self.label_strip:
            printed = pattern.sub("", printed)
        return printed if self.key(printed) == self.key(name) else name

    def grade(self, text: str) -> str | None:
        """The grade a total row ends in (优, 良, …), as printed, or None."""
        return text if self.grades and label_key(text) in self.grades else None

    def is_skipped_line(self, text: str) -> bool:
        return any(p.search(text) for p in self.skip)


def family_names() -> list[str]:
    """The families of `extractors/families/`, the standard one first."""
    names = sorted(p.stem for p in FAMILIES_DIR.glob("*.toml") if not p.stem.startswith("_"))
    return sorted(names, key=lambda n: n != "standard")


def _raw(name: str) -> tuple[dict[str, Any], Path]:
    path = Path(name) if name.endswith(".toml") else FAMILIES_DIR / f"{name}.toml"
    if not path.exists() or path.stem.startswith("_"):
        known = ", ".join(family_names())
        raise SettingsError(f"no form family {name!r}; known families: {AUTO}, {known}", field="family")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"invalid form family: {exc}".splitlines()[0], file=str(path)) from exc
    base = raw.get("base")
    if isinstance(base, str) and base:
        if base == path.stem:
            raise SettingsError("a family cannot be its own base", file=str(path))
        raw = {**_raw(base)[0], **raw}
    return raw, path


@cache
def load_family(name: str = "standard") -> Family:
    """Load and validate `families/<name>.toml` (or a path to such a file)."""
    raw, path = _raw(name)
    try:
        spec = FamilySpec.model_validate(raw)
    except (ValidationError, ValueError) as exc:
        raise SettingsError(f"invalid form family: {exc}".splitlines()[0], file=str(path)) from exc
    for group, required in REQUIRED.items():
        section = spec.labels if group == "labels" else getattr(spec, group)
        missing = required - set(section)
        unknown = set(section) - required - OPTIONAL_COLUMNS.get(group, set()) - {"strip", "cutoff", *OPTIONAL_LABELS}
        if missing:
            raise SettingsError(f"[{group}] lacks {', '.join(sorted(missing))}", file=str(path))
        if unknown and group != "labels":
            raise SettingsError(f"[{group}] has unknown columns {', '.join(sorted(unknown))}", file=str(path))
    return Family(spec)
