"""Property: a gold form of any family, written in any text shape or file kind, extracts into exactly
what its tab dump extracts into; and so does a file whose forms change shape from one to the next.

Forms are drawn from the golden cases of every family, with other names, texts and amounts (kept
consistent, as a real form's are). Where a shape drops blank cells, a goal printed with one side
blank cannot be told from one printed with the other side blank, so drawn forms print both.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.extract import grid_to_extraction
from extractors.inputs import read_grid
from extractors.inputs.text import text_to_rows
from tests.conftest import FIXTURES, comparable, load_gold
from tests.material.families import family_table
from tests.material.office import sheets_to_xlsx, tables_to_docx
from tests.material.shapes import cell_lines, flattened, pipes, spaced, tabs, to_traditional
from tests.material.web import PageStyle, tables_to_html

CASES = ("seed", "sichuan-pipes", "yunnan-html", "hubei-xlsx", "county-flattened")
GOLD = [form for case in CASES for form in load_gold(FIXTURES / case)["forms"]]
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=2, max_size=14)
SHAPES = {
    "tabs": tabs, "pipes": pipes, "cell_lines": cell_lines,
    "spaced": lambda t: spaced(t, random.Random(len(t.block.rows))),
    "flattened": flattened, "flattened-2": lambda t: flattened(t, lines=2),
    "flattened-glued": lambda t: flattened(t, glue=t.block.rows[_funds_total_row(t)][1].text),  # type: ignore[union-attr]
}


def _funds_total_row(table) -> int:
    """The row after the funds header: 年度资金总额, 总额, …"""
    return next(r for r, row in enumerate(table.block.rows) if any(getattr(v, "text", "") in (
        "年度资金总额", "总额", "年度财政资金总额") for v in row[:2]))


def extracted(rows) -> list[dict]:
    return [comparable(form) for form in grid_to_extraction(rows, file="x", sha256="0" * 64).forms]


@st.composite
def forms(draw, max_size: int = 3) -> list[dict]:
    """Gold forms with other names, goals and amounts; 执行率 and 得分 follow the amounts."""
    picked = draw(st.lists(st.sampled_from(GOLD), min_size=1, max_size=max_size))
    out = []
    for form in picked:
        full = draw(st.integers(10_000, 10**8)) * (100 if form.get("amount_unit") == "万元" else 1)
        executed = draw(st.integers(0, full // 100)) * 100
        rate = round(executed / full, 4)
        weight = form.get("funds_weight")
        out.append({**form, "project_name": draw(CJK), "department": draw(CJK), "implementing_unit": draw(CJK),
                    "goal_planned": draw(CJK), "goal_achieved": draw(CJK),
                    "budget_full_year": float(full), "budget_executed": float(executed), "execution_rate": rate,
                    "funds_score": None if weight is None else round(weight * min(rate, 1.0), 2),
                    "appropriation_full_year": None, "appropriation_executed": None})
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forms(), st.lists(st.sampled_from(sorted(SHAPES)), min_size=3, max_size=3), st.booleans())
def test_every_text_shape_extracts_what_the_tab_dump_extracts(gold: list[dict], shapes: list[str],
                                                              traditional: bool) -> None:
    tables = [family_table(form) for form in gold]
    expected = extracted(text_to_rows("\n\n".join("\n".join(tabs(t)) for t in tables)))
    assert [f["family"] for f in expected] == [g.get("family", "standard") for g in gold]
    lines = [line for table, shape in zip(tables, shapes, strict=False) for line in ["", *SHAPES[shape](table)]]
    if traditional:  # labels and taxonomy are matched across scripts, values keep theirs
        lines = to_traditional(lines)
        expected = extracted(text_to_rows("\n".join(to_traditional(
            [line for t in tables for line in ["", *tabs(t)]]))))
    assert extracted(text_to_rows("\n".join(lines))) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forms(max_size=4), st.data())
def test_tab_blocks_turned_spaced_inside_one_file_extract_the_same(gold: list[dict], data) -> None:
    tables = [family_table(form) for form in gold]
    turned = data.draw(st.lists(st.booleans(), min_size=len(tables), max_size=len(tables)))
    tabbed = "\n\n".join("\n".join(tabs(t)) for t in tables)
    mixed = "\n\n".join("\n".join(spaced(t) if turn else tabs(t)) for t, turn in zip(tables, turned, strict=True))
    assert extracted(text_to_rows(mixed)) == extracted(text_to_rows(tabbed))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forms(), st.sampled_from(["html", "html-gbk", "xlsx", "docx"]))
def test_every_family_as_a_page_workbook_or_word_file_extracts_what_its_tab_dump_extracts(
        gold: list[dict], kind: str) -> None:
    tables = [family_table(form) for form in gold]
    expected = extracted(text_to_rows("\n\n".join("\n".join(tabs(t)) for t in tables)))
    with tempfile.TemporaryDirectory() as folder:
        if kind.startswith("html"):
            style = PageStyle(encoding="gbk", declare=False) if kind == "html-gbk" else PageStyle()
            path = tables_to_html(tables, Path(folder) / "p.html", style=style)
        elif kind == "xlsx":
            path = sheets_to_xlsx([(f"表{i + 1}", [t]) for i, t in enumerate(tables)], Path(folder) / "w.xlsx")
        else:
            path = tables_to_docx(tables, Path(folder) / "d.docx")
        assert extracted(read_grid(path).rows) == expected
