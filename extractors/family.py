"""Form knowledge as data: one TOML file per form family, validated when loaded.

A family names the title, the label aliases of every field and column, the indicator taxonomy,
the lines to skip and the fuzzy cut-offs. `Family.match` answers "which label of this group is
this cell?" exactly first, then fuzzily, and remembers its answers.
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
from extractors.text import label_key

FAMILIES_DIR = Path(__file__).parent / "families"

MEMO_LIMIT = 200_000  # remembered cell texts per family before the memory starts over
LEVEL1, LEVEL2 = 1, 2
MAX_LABEL_LENGTH = 24  # no label is longer; longer cells are values and are never looked up
LABEL_GROUPS = ("labels", "goal_columns", "funds_columns", "indicator_columns")
REQUIRED = {
    "labels": {"project_name", "department", "implementing_unit", "funds", "funds_total", "appropriation",
               "carryover", "other", "goal_section", "indicator_section", "total"},
    "goal_columns": {"planned", "achieved"},
    "funds_columns": {"initial", "full_year", "executed", "weight", "rate", "score"},
    "indicator_columns": {"level1", "level2", "level3", "target", "actual", "weight", "score", "note"},
}


def _check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise ValueError(f"bad pattern {pattern!r}: {exc}") from exc
    return patterns


class TitleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=4)
    cutoff: float = Field(ge=50, le=100)
    max_extra: int = Field(ge=0, le=20)
    confirm_within: int = Field(ge=1, le=50)
    not_titles: list[str] = []
    strip: list[str] = []
    _check = field_validator("strip")(_check_patterns)


class SkipSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patterns: list[str] = []
    _check = field_validator("patterns")(_check_patterns)


class UnitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str
    factors: dict[str, float]
    _check = field_validator("pattern")(lambda p: _check_patterns([p])[0])


class FamilySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    title: TitleSpec
    skip: SkipSpec
    labels: dict[str, Any]
    goal_columns: dict[str, list[str]]
    funds_columns: dict[str, list[str]]
    indicator_columns: dict[str, list[str]]
    units: UnitSpec
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
        self.level1 = {self.key(name): name for name in spec.taxonomy}
        self.level2 = {self.key(n): n for names in spec.taxonomy.values() for n in names}
        self.parent = {n: [p for p, ns in spec.taxonomy.items() if n in ns] for ns in spec.taxonomy.values() for n in ns}
        self.title_strip = [regex.compile(p) for p in spec.title.strip]
        self.skip = [regex.compile(p) for p in spec.skip.patterns]
        self.unit_pattern = regex.compile(spec.units.pattern)
        self._memo: dict[tuple[str, str], str | None] = {}
        self._kinds: dict[str, int] = {}

    def key(self, text: str) -> str:
        key = label_key(text)
        for pattern in getattr(self, "label_strip", ()):
            key = pattern.sub("", key)
        return key

    def match(self, text: str, group: str) -> str | None:
        """The name of the label in `group` that `text` is, or None."""
        if len(text) > MAX_LABEL_LENGTH:
            return None
        memo_key = (group, text)
        if memo_key in self._memo:
            return self._memo[memo_key]
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

    def is_skipped_line(self, text: str) -> bool:
        return any(p.search(text) for p in self.skip)


@cache
def load_family(name: str = "standard") -> Family:
    """Load and validate `families/<name>.toml` (or a path to such a file)."""
    path = Path(name) if name.endswith(".toml") else FAMILIES_DIR / f"{name}.toml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in FAMILIES_DIR.glob("*.toml")))
        raise SettingsError(f"no form family {name!r}; known families: {known}", field="family")
    try:
        spec = FamilySpec.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError, ValueError) as exc:
        raise SettingsError(f"invalid form family: {exc}".splitlines()[0], file=str(path)) from exc
    for group, required in REQUIRED.items():
        section = spec.labels if group == "labels" else getattr(spec, group)
        missing = required - set(section)
        if missing:
            raise SettingsError(f"[{group}] lacks {', '.join(sorted(missing))}", file=str(path))
    return Family(spec)
