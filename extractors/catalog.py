"""Every form family at once: which line is whose title, which documents are not forms, and
which family a form's own labels say it is.

A file is cut into forms with the titles and labels of all families together, so no option is
needed; each form is then rebuilt with the family its title and header labels match best
(`choose`), unless one family is forced (`--family`). Titles of other documents published beside
the forms (部门整体, 目标申报表, 指标表, 自评报告; `families/_documents.toml`) are recognised so that
they are never taken for a form.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache

import regex
from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz

from extractors.cells import Row
from extractors.family import (
    AUTO,
    FAMILIES_DIR,
    LEVEL1,
    LEVEL2,
    MAX_LABEL_LENGTH,
    Family,
    family_names,
    load_family,
)
from extractors.text import label_key, to_simplified

DOCUMENTS_FILE = FAMILIES_DIR / "_documents.toml"
TITLE_MARKS = regex.compile("[评評表绩績]")  # a title, however damaged, keeps one of these
SENTENCE_MARKS = frozenset("，。；！？、,;!?")
TITLE_WEIGHT = 3  # a title only one family prints counts as this many of its labels
DOCUMENT_MAX_EXTRA = 4
NEAREST_FLOOR = 40.0  # below this a line is not named as the nearest thing to a title
MEMO_LIMIT = 100_000
_UNSEEN = object()


class DocumentKind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    what: str
    titles: tuple[str, ...] = Field(min_length=1)


class DocumentsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentKind]


@dataclass(frozen=True, slots=True)
class TitleMatch:
    """The title a line is nearest and how near (rapidfuzz ratio after stripping)."""

    title: str
    score: float
    family: Family | None = None  # the family printing that title; None for another document
    document: DocumentKind | None = None


class Catalog:
    """The families a file's forms may belong to, and the documents that are no forms."""

    def __init__(self, families: tuple[Family, ...], documents: tuple[DocumentKind, ...],
                 forced: Family | None = None) -> None:
        self.families = families
        self.documents = documents
        self.forced = forced
        self.primary = forced or families[0]
        strips = dict.fromkeys(p for f in families for p in f.spec.title.strip)
        self.title_strip = [regex.compile(p) for p in strips]
        self.title_extras = list({p.pattern: p for f in families for p in f.title_extras}.values())
        self.skip = list({p.pattern: p for f in families for p in f.skip}.values())
        # families that strip the same parts off a label share one comparison key
        self._key_groups: dict[tuple[str, ...], dict[str, tuple[int, ...]]] = {}
        for i, f in enumerate(families):
            keys = self._key_groups.setdefault(tuple(p.pattern for p in f.label_strip), {})
            for key in f.alias_keys:
                keys[key] = (*keys.get(key, ()), i)
        self._strips = {strip: [regex.compile(p) for p in strip] for strip in self._key_groups}
        self.confirm_within = max(f.spec.title.confirm_within for f in families)
        self._form_titles = [(label_key(t), t, f) for f in families for t in f.spec.title.texts]
        self._doc_titles = [(label_key(t), t, d) for d in documents for t in d.titles]
        longest = max(len(k) for k, _, _ in self._form_titles + self._doc_titles)
        self.title_line_max = longest + max(f.spec.title.max_extra for f in families) + 24
        row_labels = {k: n for f in families for k, (g, n) in f.alias_keys.items() if g == "labels" and n != "ignore"}
        self._label_finder = regex.compile("|".join(regex.escape(k) for k in sorted(row_labels, key=len, reverse=True)))
        self._label_names = row_labels
        words = {k for f in families for k in (*f.alias_keys, *f.level1, *f.level2) if len(k) >= 3}
        self._word_finder = regex.compile("|".join(regex.escape(k) for k in sorted(words, key=len, reverse=True)))
        self._titles: dict[str, TitleMatch | None] = {}
        self._labels: dict[tuple[str, str], str | None] = {}
        self._owners: dict[str, tuple[int, ...]] = {}
        self._votes: dict[str, tuple[int, ...]] = {}  # the `owners` a cell votes for in `choose`

    # -- titles -----------------------------------------------------------------------------------
    def _stripped(self, text: str) -> str:
        key = label_key(text)
        for pattern in self.title_strip:
            key = pattern.sub("", key)
        return key

    def nearest_title(self, text: str) -> TitleMatch:
        """The form or document title the line is nearest, whatever its length."""
        key = self._stripped(text)
        best = TitleMatch("", 0.0)
        for title_key, title, owner in [*self._form_titles, *self._doc_titles]:
            score = 100.0 if key == title_key else fuzz.ratio(key, title_key)
            if score > best.score:
                family = owner if isinstance(owner, Family) else None
                document = owner if isinstance(owner, DocumentKind) else None
                best = TitleMatch(title, score, family, document)
        return best

    def title(self, text: str) -> TitleMatch | None:
        """What title the line is — a form's (`family` set) or another document's — or None."""
        if not text or len(text) > self.title_line_max or not TITLE_MARKS.search(text):
            return None
        if text in self._titles:
            return self._titles[text]
        found = self._title(text)
        if len(self._titles) >= MEMO_LIMIT:
            self._titles.clear()
        self._titles[text] = found
        return found

    def _title(self, text: str) -> TitleMatch | None:
        key = self._stripped(text)
        if SENTENCE_MARKS.intersection(key):
            return None
        form = self._best(key, self._form_titles)
        document = self._best(key, self._doc_titles)
        if document is not None and (form is None or document.score >= form.score):
            return document
        return form

    def _best(self, key: str, titles: list) -> TitleMatch | None:
        best: TitleMatch | None = None
        for title_key, title, owner in titles:
            is_family = isinstance(owner, Family)
            extra = owner.spec.title.max_extra if is_family else DOCUMENT_MAX_EXTRA
            cutoff = owner.spec.title.cutoff if is_family else owner_cutoff(self.families)
            if len(key) > len(title_key) + extra:
                continue
            score = 100.0 if key == title_key else fuzz.ratio(key, title_key)
            if score >= cutoff and (best is None or score > best.score):
                best = TitleMatch(title, score, owner if is_family else None, None if is_family else owner)
        return best

    def is_title_row(self, row: Row) -> TitleMatch | None:
        """The title a row holds alone (one or two cells, or letter-spaced), beside any title-row
        extras the families allow (部门：…, 公开14表)."""
        text = row.text()
        if not text or len(text) > 4 * self.title_line_max or not TITLE_MARKS.search(text):
            return None
        filled = [t for t in row.cells if t]
        if sum(1 for cell in filled if len(cell) > 2) > 2 + len(self.title_extras):  # a header or body row
            return None
        if len(filled) > 2 and self.title_extras:
            filled = [t for t in filled if not any(p.search(t) for p in self.title_extras)]
            text = "".join(filled)
        if len(filled) > 2 and any(len(cell) > 2 for cell in filled):
            return None
        return self.title(text)

    # -- labels ---------------------------------------------------------------------------------------
    def match(self, text: str, group: str) -> str | None:
        """The label of `group` any family takes the cell for: an exact alias first, then fuzzily."""
        memo_key = (group, text)
        known = self._labels.get(memo_key, _UNSEEN)
        if known is not _UNSEEN:
            return known  # type: ignore[return-value]
        found = next((name for f in self.families if (name := f.groups[group].get(f.key(text)))), None) \
            if len(text) <= MAX_LABEL_LENGTH else None
        if found is None:
            found = next((name for f in self.families if (name := f.match(text, group))), None)
        if len(self._labels) >= MEMO_LIMIT:
            self._labels.clear()
        self._labels[memo_key] = found
        return found

    def exact(self, text: str, group: str) -> str | None:
        """The label of `group` the cell is exactly (after folding), in any family; no fuzzy match."""
        return next((name for f in self.families if (name := f.groups[group].get(f.key(text)))), None)

    def is_row_label(self, text: str) -> bool:
        """Whether the whole text is, exactly, a label of some family (any group)."""
        return len(text) <= MAX_LABEL_LENGTH and bool(self.owners(text))

    def labels_in(self, text: str) -> int:
        """How many distinct row labels (项目名称, 年度资金总额, 总分, …) the text holds anywhere."""
        folded = to_simplified(unicodedata.normalize("NFKC", text))
        return len({self._label_names[m] for m in self._label_finder.findall(folded)})

    def taxonomy(self, text: str) -> int:
        """LEVEL1 | LEVEL2 bits of a cell that is exactly a taxonomy name of some family."""
        kind = 0
        for f in self.families:
            key = f.key(text)
            kind |= (LEVEL1 if key in f.level1 else 0) | (LEVEL2 if key in f.level2 else 0)
        return kind

    def grade(self, text: str) -> str | None:
        return next((g for f in self.families if (g := f.grade(text))), None)

    def words_in(self, text: str) -> int:
        """How many labels of any kind — row labels, column headers, taxonomy names — the text holds."""
        return len(self._word_finder.findall(to_simplified(unicodedata.normalize("NFKC", text))))

    def is_skipped_line(self, text: str) -> bool:
        return any(p.search(text) for p in self.skip)

    # -- which family -------------------------------------------------------------------------------
    def owners(self, text: str) -> tuple[int, ...]:
        """Indexes of the families that print this cell as one of their labels, exactly."""
        found = self._owners.get(text)
        if found is None:
            found = ()
            folded = label_key(text)
            for strip, keys in self._key_groups.items():
                key = folded
                for pattern in self._strips[strip]:
                    key = pattern.sub("", key)
                found += keys.get(key, ())
            if len(self._owners) >= MEMO_LIMIT:
                self._owners.clear()
            self._owners[text] = found
        return found

    def choose(self, rows: list[Row], title: TitleMatch | None = None) -> Family:
        """The family whose labels the form prints most of, its title counting too; the first
        family listed wins a tie."""
        if self.forced is not None or len(self.families) == 1:
            return self.primary
        hits = [0] * len(self.families)
        votes = self._votes
        for text in set().union(*(row.cells for row in rows)):
            found = votes.get(text)
            if found is None:
                found = self._cell_votes(text)
            for i in found:
                hits[i] += 1
        if title is not None and title.family is not None:  # a title several families print adds to each
            for i, f in enumerate(self.families):
                hits[i] += TITLE_WEIGHT if label_key(title.title) in f.titles else 0
        return self.families[max(range(len(self.families)), key=lambda i: (hits[i], -i))]

    def _cell_votes(self, text: str) -> tuple[int, ...]:
        """The families a cell counts for in `choose`: none for a blank, long or numbered cell."""
        found = self.owners(text) if text and len(text) <= MAX_LABEL_LENGTH and not text[0].isdigit() else ()
        if len(self._votes) >= MEMO_LIMIT:
            self._votes.clear()
        self._votes[text] = found
        return found


def owner_cutoff(families: tuple[Family, ...]) -> float:
    """The cut-off another document's title must reach: the loosest any family allows its own."""
    return min(f.spec.title.cutoff for f in families)


@cache
def load_documents() -> tuple[DocumentKind, ...]:
    spec = DocumentsSpec.model_validate(tomllib.loads(DOCUMENTS_FILE.read_text(encoding="utf-8")))
    return tuple(spec.documents)


@cache
def load_catalog(family: str = AUTO) -> Catalog:
    """Every family, each form choosing its own; or every family's titles with one family forced."""
    families = tuple(load_family(name) for name in family_names())
    forced = None if family == AUTO else load_family(family)
    if forced is not None and forced.name not in {f.name for f in families}:
        families = (forced, *families)
    return Catalog(families, load_documents(), forced)
