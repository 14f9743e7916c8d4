"""Recognised labels and taxonomy names snapped to the spelling their form family gives them.

A cell the family's fuzzy matcher takes for a label (项目名称, 年初预算数, 一级指标, …) is
rewritten to that label's own alias, the closest one, keeping what the family strips before
comparing (其中：…, a unit in brackets). Under an indicator header, cells of the 一级指标 and
二级指标 columns are snapped to the taxonomy with a looser cut-off, since the column says what
they must be; the other indicator columns hold free text and are left alone. Numbers are never
touched: a cell with a digit in it stays exactly as read.
"""

from __future__ import annotations

from functools import cache

from rapidfuzz import fuzz, process

from extractors.cells import Row
from extractors.family import MAX_LABEL_LENGTH, Family
from extractors.indicators import header_to_columns

LABEL_GROUPS = ("labels", "goal_columns", "funds_columns", "indicator_columns")
TAXONOMY_CUTOFF = 70.0  # rapidfuzz ratio a cell under 一级/二级指标 must reach to be taken for a taxonomy name
MAX_TAXONOMY_LENGTH = 14


@cache
def _aliases(family: Family, group: str) -> dict[str, dict[str, str]]:
    """For each name in the group, its aliases by comparison key."""
    spec = family.spec
    if group == "level1":
        named = {name: [name] for name in spec.taxonomy}
    elif group == "level2":
        named = {n: [n] for names in spec.taxonomy.values() for n in names}
    else:
        source = spec.labels if group == "labels" else getattr(spec, group)
        named = {name: list(aliases) for name, aliases in source.items() if isinstance(aliases, list)}
    return {name: {family.key(a): a for a in aliases} for name, aliases in named.items()}


def canonical_alias(text: str, family: Family, group: str) -> tuple[str, float] | None:
    """The family's own spelling of the label `text` is in `group`, and how close it is (0–100)."""
    name = family.match(text, group)
    if name is None:
        return None
    aliases = _aliases(family, group)[name]
    key = family.key(text)
    if key in aliases:
        return aliases[key], 100.0
    best = process.extractOne(key, aliases.keys(), scorer=fuzz.ratio)
    return (aliases[best[0]], float(best[1])) if best else None


def _stripped_parts(text: str, family: Family) -> tuple[str, str]:
    """What the family strips from a label before comparing it: a prefix and a suffix."""
    prefix = suffix = ""
    for pattern in family.label_strip:
        found = pattern.search(text)
        if found is None:
            continue
        if found.start() == 0:
            prefix = found.group()
        elif found.end() == len(text):
            suffix = found.group()
    return prefix, suffix


def _snappable(text: str, *, max_length: int = MAX_LABEL_LENGTH) -> bool:
    return bool(text) and len(text) <= max_length and not any(c.isdigit() for c in text)


def snap_label(text: str, family: Family, *, groups: tuple[str, ...] = LABEL_GROUPS) -> str:
    """The cell's text spelt as the family spells the label it is; unchanged if it is none.

    Text already spelt as some label of any group is kept; otherwise the closest label wins.
    """
    if not _snappable(text):
        return text
    found = [a for group in groups if (a := canonical_alias(text, family, group)) is not None]
    if not found:
        return text
    alias, score = max(found, key=lambda a: a[1])
    if score >= 100.0:
        return text
    prefix, suffix = _stripped_parts(text, family)
    return prefix + alias + suffix


def snap_taxonomy(text: str, family: Family, level: str, *, cutoff: float = TAXONOMY_CUTOFF) -> str:
    """A cell of the 一级指标 (`level1`) or 二级指标 (`level2`) column as the taxonomy spells it."""
    if not _snappable(text, max_length=MAX_TAXONOMY_LENGTH):
        return text
    names = family.level1 if level == "level1" else family.level2
    key = family.key(text)
    if key in names:
        return text
    best = process.extractOne(key, names.keys(), scorer=fuzz.ratio, score_cutoff=cutoff)
    return names[best[0]] if best else text


def snap_rows(rows: list[Row], family: Family, *, taxonomy_cutoff: float = TAXONOMY_CUTOFF) -> list[Row]:
    """Every row's labels snapped, and the taxonomy columns below an indicator header; in place."""
    levels: dict[str, int] = {}
    for row in rows:
        row.cells = [snap_label(c, family) for c in row.cells]
        header = header_to_columns(row, family)
        if header is not None:
            levels = {"level1": header["level1"], "level2": header["level2"]}
            continue
        if any(family.match(t, "labels") == "total" for _, t in row.filled()[:2]):
            levels = {}
        for level, col in levels.items():
            if 0 <= col < len(row.cells):
                row.cells[col] = snap_taxonomy(row.cells[col], family, level, cutoff=taxonomy_cutoff)
    return rows
