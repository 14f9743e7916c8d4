"""A benchmark corpus: the seed's forms again and again, with other names, amounts and scores.

The seed dump is read once by the project's own stages to learn where each form keeps its
project name, year, amounts, 执行率, 得分 and 总分 (line and tab column). Every generated form
is a seed form with those cells rewritten, so it keeps the seed's layout, wraps and slides:

- amounts are multiplied by a whole number, so every sum and rate the seed had still holds
  (and the two forms whose 年度资金总额 disagrees with its sources still disagree);
- where the seed's 执行率 and 资金得分 are consistent, 全年执行数 is redrawn and 执行率,
  资金得分 and 总分 are recomputed to stay consistent;
- 得分 of indicators that no rule recomputes (non-quantitative) is redrawn at or below its
  分值, and 总分 follows.

So a generated form raises the flags its seed form raises, and only those.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

import regex

from extractors.cells import Row
from extractors.family import Family, load_family
from extractors.inputs import read_grid
from extractors.numbers import parse_number, try_number
from extractors.rebuild import segment_to_form
from extractors.segment import Segment, rows_to_segments
from schemas.checks import expected_indicator_score, form_to_flags
from schemas.model import Form

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "2022-shanghai-disabled-persons-federation.txt"
PREFIXES = ("", "浦东新区", "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
            "宝山区", "嘉定区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区")
SUFFIXES = ("", "", "（二期）", "（续建）", "（运维）", "专项")
YEARS = tuple(range(2019, 2025))
_YEAR = regex.compile(r"(?:19|20)\d{2}(?=\s*年)")

Cell = tuple[int, int]  # (line in the form, tab column)


@dataclass
class Template:
    """One seed form's lines and the cells a generated copy rewrites."""

    lines: list[list[str]]
    name: Cell
    year_line: int | None
    amounts: list[Cell]
    total: Cell
    funds_score: Cell
    rate: Cell | None = None  # set when 执行率 and 资金得分 may be redrawn
    executed: list[Cell] = field(default_factory=list)
    full_year: float = 0.0
    funds_weight: float = 0.0
    scores: list[tuple[Cell, float]] = field(default_factory=list)  # free 得分 cells and their 分值


def _numeric_cols(cells: list[str]) -> list[int]:
    return [c for c, text in enumerate(cells) if text and try_number(text.removesuffix("%")) is not None]


def _rows_by_label(segment: Segment, family: Family) -> dict[str, Row]:
    """The first row of the form that each label (项目名称, 年度资金总额, 总分, …) starts."""
    rows: dict[str, Row] = {}
    for row in segment.rows:
        label = next((name for _, text in row.filled()[:2] if (name := family.match(text, "labels"))), None)
        if label:
            rows.setdefault(label, row)
    return rows


def _template(raw: list[list[str]], segment: Segment, form: Form, family: Family) -> Template:
    """Where the seed form keeps the cells a copy rewrites, as (line in the form, tab column)."""
    first = segment.title_line
    rows = _rows_by_label(segment, family)
    name_row, funds, total = rows["project_name"], rows["funds_total"], rows["total"]
    label_col = next(c for c, t in name_row.filled() if family.match(t, "labels") == "project_name")
    name_col = next(c for c, _ in name_row.filled() if c > label_col)
    cols = _numeric_cols(funds.cells)
    if len(cols) != 6:
        raise RuntimeError(f"seed form at line {first}: 年度资金总额 row has {len(cols)} numbers, not 6")
    initial, full, executed, _, rate, score = cols
    sources = [rows[s] for s in ("appropriation", "carryover", "other") if s in rows]
    amounts = [(funds.line - first, c) for c in (initial, full, executed)]
    amounts += [(r.line - first, c) for r in sources for c in (initial, full, executed) if try_number(r.cell(c))]
    template = Template(raw, (name_row.line - first, name_col),
                        next((i for i, cells in enumerate(raw[:3]) if _YEAR.search("".join(cells))), None),
                        amounts, (total.line - first, _numeric_cols(total.cells)[-1]), (funds.line - first, score))
    if not {flag.check for flag in form_to_flags(form)} & {"execution_rate", "funds_score"}:
        template.rate = (funds.line - first, rate)
        template.full_year = form.value("budget_full_year") or 0.0
        template.funds_weight = form.value("funds_weight") or 0.0
        spent = form.value("budget_executed")
        template.executed = [(r.line - first, executed) for r in [funds, *sources]
                             if (n := try_number(r.cell(executed))) and n.value == spent]
    template.scores = _free_scores(segment, form)
    return template


def _free_scores(segment: Segment, form: Form) -> list[tuple[Cell, float]]:
    """The 得分 cells (printed whole) of indicators no rule recomputes, with their 分值."""
    at = {row.line: row for row in segment.rows}
    free = []
    for ind in form.indicators:
        cells = at[ind.source_line].cells
        num = _numeric_cols(cells)
        if len(num) < 2 or ind.weight is None or ind.score is None or expected_indicator_score(ind) is not None:
            continue
        printed = parse_number(cells[num[-1]])
        if printed and printed.decimals == 0 and printed.value == ind.score and try_number(cells[num[-2]]):
            free.append(((ind.source_line - segment.title_line, num[-1]), ind.weight))
    return free


def seed_templates(seed: Path = SEED) -> list[Template]:
    """The seed's forms as templates, in file order."""
    family = load_family()
    raw = [line.split("\t") for line in seed.read_text(encoding="utf-8").splitlines()]
    templates = []
    for segment in rows_to_segments(read_grid(seed).rows, family):
        form = segment_to_form(segment, family, form_id="seed", source_file=seed.name, source_sha256="")
        last = segment.rows[-1].line
        templates.append(_template(raw[segment.title_line - 1:last], segment, form, family))
    return templates


def like(printed: str, value: float) -> str:
    """`value` written the way `printed` is: same decimals, thousands commas kept."""
    text = printed.strip()
    decimals = len(text.rsplit(".", 1)[1]) if "." in text else 0
    return f"{value:,.{decimals}f}" if "," in text else f"{value:.{decimals}f}"


def _trimmed(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _value(text: str) -> float:
    printed = parse_number(text)
    return printed.value if printed else 0.0


@dataclass
class Generated:
    text: str
    total_score: float
    budget_full_year: float


def generate_form(template: Template, rng: random.Random, serial: int = 0) -> Generated:
    """A copy of the template's form with other name, year, amounts and scores; `serial` makes
    the name its own (forms with one name, department and year are one form re-issued)."""
    lines = [list(cells) for cells in template.lines]

    def get(cell: Cell) -> str:
        return lines[cell[0]][cell[1]]

    def put(cell: Cell, text: str) -> None:
        lines[cell[0]][cell[1]] = text

    put(template.name, rng.choice(PREFIXES) + get(template.name).strip() + rng.choice(SUFFIXES) + f"{serial}号")
    if template.year_line is not None:
        lines[template.year_line] = [_YEAR.sub(str(rng.choice(YEARS)), c) for c in lines[template.year_line]]
    k = rng.randint(1, 40)
    for cell in template.amounts:
        put(cell, like(get(cell), _value(get(cell)) * k))
    total = _value(get(template.total))
    full_year = template.full_year * k
    if template.rate is not None and full_year:
        executed = round(full_year * rng.uniform(0.5, 1.0)) if rng.random() < 0.7 else full_year
        rate = round(executed / full_year * 100, 2)
        score = round(template.funds_weight * min(rate / 100, 1.0), 2)
        total += score - _value(get(template.funds_score))
        for cell in template.executed:
            put(cell, like(get(cell), executed))
        put(template.rate, f"{rate:.2f}%")
        put(template.funds_score, _trimmed(score))
    for cell, weight in template.scores:
        new = weight if rng.random() < 0.6 else max(0, weight - rng.randint(1, max(1, int(weight) // 4)))
        total += new - _value(get(cell))
        put(cell, f"{new:.0f}")
    put(template.total, like(get(template.total), round(total, 2)))
    text = "\n".join("\t".join(cells) for cells in lines)
    return Generated(text, round(total, 2), _value(get(template.amounts[1])))


@dataclass
class Corpus:
    folder: Path
    files: int = 0
    forms: int = 0
    gb18030_files: int = 0
    bytes: int = 0
    total_score: float = 0.0
    budget_full_year: float = 0.0


def write_corpus(folder: Path, *, files: int, forms_per_file: int, seed: int = 2022,
                 gb18030_every: int = 5) -> Corpus:
    """`files` dumps of `forms_per_file` forms each, tab-separated like the seed; every
    `gb18030_every`-th file in GB18030, the rest UTF-8."""
    rng = random.Random(seed)
    templates = seed_templates()
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(folder)
    hashes = set()
    for i in range(files):
        forms = [generate_form(rng.choice(templates), rng, corpus.forms + k) for k in range(forms_per_file)]
        text = "\n\n" + "\n\n".join(f.text for f in forms) + "\n"
        gb = gb18030_every > 0 and i % gb18030_every == gb18030_every - 1
        data = text.encode("gb18030" if gb else "utf-8")
        digest = hashlib.sha256(data).hexdigest()
        if digest in hashes:
            raise RuntimeError(f"file {i} repeats an earlier file's bytes: choose another --seed")
        hashes.add(digest)
        (folder / f"bench-{i:04d}.txt").write_bytes(data)
        corpus.files += 1
        corpus.forms += len(forms)
        corpus.gb18030_files += gb
        corpus.bytes += len(data)
        corpus.total_score += sum(f.total_score for f in forms)
        corpus.budget_full_year += sum(f.budget_full_year for f in forms)
    return corpus


def reshape_text(text: str, shape: str) -> str:
    """A tab dump rewritten in another shape copies take: `spaced` (runs of spaces, blank cells
    dropped), `pipes` (`| a | b |`) or `flattened` (each block between blank lines on one line,
    cells joined by one space)."""
    lines = text.split("\n")
    if shape == "spaced":
        return "\n".join("  ".join(c for c in line.split("\t") if c.strip()) for line in lines)
    if shape == "pipes":
        return "\n".join("| " + " | ".join(line.split("\t")) + " |" if line.strip() else "" for line in lines)
    blocks, block = [], []
    for line in [*lines, ""]:
        if line.strip():
            block += [c.strip() for c in line.split("\t") if c.strip()]
        elif block:
            blocks.append(" ".join(block))
            block = []
    return "\n\n".join(blocks) + "\n"


def reshape_corpus(corpus: Corpus, shape: str) -> None:
    """Rewrite every file of the corpus in the shape, each in its own encoding."""
    for path in sorted(corpus.folder.glob("*.txt")):
        data = path.read_bytes()
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("gb18030"), "gb18030"
        path.write_bytes(reshape_text(text, shape).encode(encoding))
