"""The golden cases of the families and the text shapes, their inputs written from their gold.

Each case folder of `fixtures/` named in `CASES` holds a hand-checked `gold.json`; this writes the
input file(s) beside it, in the shape and file kind the case stands for, the way forms of that
family are published: `python -m tests.material.cases [ROOT]` (default: the repository's
`fixtures/`). The seed's own forms are rewritten from the seed's gold, in simplified or in
traditional characters (the traditional gold is the seed's, each text converted as its cell is).
Output is the same on every run.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import opencc

from tests.material.build import SEED_GOLD, load_gold_forms
from tests.material.families import family_table
from tests.material.layout import Cell, Table
from tests.material.office import docx_to_doc, forms_to_docx, sheets_to_xlsx, tables_to_docx
from tests.material.render import tables_to_pdf
from tests.material.shapes import cell_lines, flattened, markdown, pipes, spaced, tabs, with_pinyin
from tests.material.web import PageStyle, tables_to_html

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TEXT_FIELDS = ("project_name", "department", "implementing_unit", "goal_planned", "goal_achieved")
ROW_TEXT_FIELDS = ("level1", "level2", "level3", "target", "actual", "deviation_note")
_TO_TRADITIONAL = opencc.OpenCC("s2t")
Writer = Callable[[Path, list[dict[str, Any]]], Path]


def write_text(path: Path, blocks: list[list[str]], *, encoding: str = "utf-8") -> Path:
    path.write_text("\n\n".join("\n".join(b) for b in blocks) + "\n", encoding=encoding)
    return path


def seed_markdown(folder: Path, forms: list[dict]) -> Path:
    """A Markdown conversion of the forms: the title a heading, the year in bold, a `|---|` rule."""
    blocks = []
    for table in map(family_table, forms):
        title, year = table.heading
        body = markdown(Table([], table.block, table.columns))
        blocks.append([f"## {title}", "", f"**{year}**", "", *body])
    return write_text(folder / "seed.md", blocks)


def seed_cell_lines(folder: Path, forms: list[dict]) -> Path:
    return write_text(folder / "seed-paragraphs.txt", [cell_lines(family_table(f)) for f in forms])


def seed_flattened(folder: Path, forms: list[dict]) -> Path:
    """A document-sharing site's text of the forms: its metadata first, a form a line (one on two
    lines), a page number inside a form, one funds row's figures run together."""
    meta = ["文档名称：上海市残联2022年度项目支出绩效自评表.pdf", "页数：9", "上传时间：2023-06-02", "下载积分：2"]
    lines = [" ".join(meta)]
    for i, form in enumerate(forms):
        table = family_table(form)
        if i == 1:
            lines += flattened(table, lines=2)
        elif i == 2:
            lines += flattened(table, glue="年度资金总额")
        elif i == 3:
            lines += flattened(table, inside=[(40, "第4页")])
        else:
            lines += flattened(table)
    return write_text(folder / "seed-online.txt", [lines])


def seed_spaced(folder: Path, forms: list[dict]) -> Path:
    """A PDF viewer's copy: runs of spaces, but two forms copied from the spreadsheet with tabs."""
    rng = random.Random(7)
    blocks = [tabs(family_table(f)) if i in (2, 4) else spaced(family_table(f), rng) for i, f in enumerate(forms)]
    return write_text(folder / "seed-copied.txt", blocks)


def to_traditional_form(form: dict) -> dict:
    """The gold form as a 繁体 mirror prints it: every text converted as its own cell is."""
    out = {**form, **{k: _TO_TRADITIONAL.convert(form[k]) for k in TEXT_FIELDS}}
    out["indicators"] = [{**i, **{k: _TO_TRADITIONAL.convert(i[k]) for k in ROW_TEXT_FIELDS}}
                         for i in form["indicators"]]
    return out


def traditional_table(form: dict) -> Table:
    """The form's table with every cell in traditional characters (labels too)."""
    table = family_table(form)
    block = table.block
    block.rows = [[Cell(_TO_TRADITIONAL.convert(v.text), v.value, v.fmt, v.centred) if isinstance(v, Cell) else v
                   for v in row] for row in block.rows]
    return Table([_TO_TRADITIONAL.convert(h) for h in table.heading], block, table.columns)


def seed_traditional(folder: Path, forms: list[dict]) -> Path:
    """A 繁体 mirror's tab dump, pinyin after the characters of some forms' 项目名称 and 总分."""
    blocks = []
    for i, form in enumerate(forms):
        lines = tabs(traditional_table(form))
        blocks.append(with_pinyin(lines) if i % 2 == 0 else lines)
    return write_text(folder / "seed-big5-mirror.txt", blocks)


def sichuan_pipes(folder: Path, forms: list[dict]) -> Path:
    """The department's page saved as text: pipe rows, long cells broken over two lines."""
    return write_text(folder / "sichuan-2022-saved-page.txt", [pipes(family_table(f)) for f in forms])


def sichuan_pdf(folder: Path, forms: list[dict]) -> Path:
    return tables_to_pdf([family_table(f) for f in forms], folder / "sichuan-2022.pdf",
                         title="部门预算项目支出绩效自评表")


def yunnan_html(folder: Path, forms: list[dict]) -> Path:
    """The 公开表 page of the department's site, GBK without a meta charset."""
    return tables_to_html([family_table(f) for f in forms], folder / "gongkai14.htm",
                          style=PageStyle(encoding="gbk", declare=False), title="2022年度部门决算公开表")


def yunnan_cell_lines(folder: Path, forms: list[dict]) -> Path:
    """The same page through an HTML-to-text tool: one cell a line."""
    return write_text(folder / "gongkai14.txt", [cell_lines(family_table(f)) for f in forms])


def hubei_xlsx(folder: Path, forms: list[dict]) -> Path:
    return sheets_to_xlsx([(f"表{i + 1}", [family_table(f)]) for i, f in enumerate(forms)], folder / "zipingbiao.xlsx")


def hubei_docx(folder: Path, forms: list[dict]) -> Path:
    return tables_to_docx([family_table(f) for f in forms], folder / "zipingbiao.docx")


def hubei_doc(folder: Path, forms: list[dict]) -> Path:
    """The attachment as many offices still send it: Word 97–2003, saved from the .docx."""
    with tempfile.TemporaryDirectory() as work:
        return docx_to_doc(tables_to_docx([family_table(f) for f in forms], Path(work) / "zipingbiao.docx"),
                           folder / "zipingbiao.doc")


def seed_doc(folder: Path, forms: list[dict]) -> Path:
    with tempfile.TemporaryDirectory() as work:
        return docx_to_doc(forms_to_docx(forms, Path(work) / "seed.docx"), folder / "seed.doc")


def county_flattened(folder: Path, forms: list[dict]) -> Path:
    """A county's forms from a document-sharing site: metadata, a form a line (one on two lines,
    its funds figures run together), page chrome between."""
    meta = ["青川县2022年度项目绩效目标自评表.doc", "上传者：qcxczj", "上传时间：2023-04-12", "浏览326次"]
    lines = [" ".join(meta)]
    for i, form in enumerate(forms):
        table = family_table(form)
        lines += flattened(table, lines=2, glue="年度资金总额") if i == 1 else flattened(table, after=[f"第{i + 1}页"])
    return write_text(folder / "qingchuan-2022.txt", [lines])


CASES: dict[str, tuple[str, Writer]] = {  # case folder: (whose gold, writer)
    "seed-markdown": ("seed", seed_markdown),
    "seed-cell-lines": ("seed", seed_cell_lines),
    "seed-flattened": ("seed", seed_flattened),
    "seed-spaced": ("seed", seed_spaced),
    "seed-traditional": ("seed-traditional", seed_traditional),
    "sichuan-pipes": ("sichuan", sichuan_pipes),
    "sichuan-pdf": ("sichuan", sichuan_pdf),
    "yunnan-html": ("yunnan", yunnan_html),
    "yunnan-cell-lines": ("yunnan", yunnan_cell_lines),
    "hubei-xlsx": ("hubei", hubei_xlsx),
    "hubei-docx": ("hubei", hubei_docx),
    "hubei-doc": ("hubei", hubei_doc),
    "seed-doc": ("seed", seed_doc),
    "county-flattened": ("county", county_flattened),
}


def case_forms(root: Path, case: str) -> list[dict]:
    """The forms a case's input is written from: the seed's gold, or the case's own."""
    owner = CASES[case][0]
    if owner.startswith("seed"):
        forms = load_gold_forms(SEED_GOLD)
        return forms if owner == "seed" else [to_traditional_form(f) for f in forms]
    return json.loads((root / case / "gold.json").read_text(encoding="utf-8"))["forms"]


def write_family_fixtures(root: Path = FIXTURES) -> list[Path]:
    """Write the input of every case in `CASES` under root; returns the files written."""
    written = []
    for case, (_, write) in CASES.items():
        folder = root / case
        folder.mkdir(parents=True, exist_ok=True)
        written.append(write(folder, case_forms(root, case)))
    return written


if __name__ == "__main__":
    for path in write_family_fixtures(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES):
        print(path)
