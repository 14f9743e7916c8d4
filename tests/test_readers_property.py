"""Property: a gold form drawn as a web page, a workbook or a Word document, in any of the ways
publishers write them, rebuilds into exactly the form its tab dump rebuilds into."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.family import load_family
from extractors.inputs import read_grid
from extractors.inputs.text import text_to_rows
from extractors.rebuild import segment_to_form
from extractors.segment import rows_to_segments
from tests.material import load_gold_forms
from tests.material.layout import form_to_table, tables_to_dump
from tests.material.office import SheetStyle, sheets_to_xlsx, tables_to_docx
from tests.material.web import PageStyle, tables_to_html

GOLD = load_gold_forms()
FIELDS_LEFT_OUT = {"form_id", "source_file", "source_sha256", "source_line", "source_page", "printed", "unplaced"}
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=2, max_size=14)


def extracted(rows) -> list[dict]:
    family = load_family()
    out = []
    for segment in rows_to_segments(rows, family):
        form = asdict(segment_to_form(segment, family, form_id="f", source_file="x", source_sha256="0"))
        for indicator in form["indicators"]:
            for key in ("source_line", "source_page", "weight_printed", "score_printed"):
                indicator.pop(key, None)
        out.append({k: v for k, v in form.items() if k not in FIELDS_LEFT_OUT})
    return out


@st.composite
def forms(draw) -> list[dict]:
    picked = draw(st.lists(st.sampled_from(GOLD), min_size=1, max_size=3))
    out = []
    for form in picked:
        budget = draw(st.integers(1, 10**7))
        executed = draw(st.integers(0, budget))
        out.append({**form, "project_name": draw(CJK), "department": draw(CJK),
                    "budget_full_year": float(budget), "budget_executed": float(executed),
                    "execution_rate": round(executed / budget, 4),
                    "funds_score": draw(st.sampled_from([0, 2.5, 9.71, 10]))})
    return out


KINDS = st.sampled_from(["html", "xlsx", "docx"])
PAGES = st.builds(PageStyle, encoding=st.sampled_from(["utf-8", "gbk"]), declare=st.booleans(),
                  paragraphs=st.booleans(), nbsp_blanks=st.booleans(), br_labels=st.booleans(), frame=st.booleans())
SHEETS = st.builds(SheetStyle, rate_as_text=st.booleans(), first_col=st.integers(1, 4), first_row=st.integers(1, 5))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forms(), KINDS, PAGES, SHEETS, st.integers(1, 3))
def test_every_kind_rebuilds_what_the_tab_dump_rebuilds(gold: list[dict], kind: str, page: PageStyle,
                                                      sheet: SheetStyle, per_sheet: int) -> None:
    tables = [form_to_table(form) for form in gold]
    expected = extracted(text_to_rows(tables_to_dump(tables)))
    assert len(expected) == len(gold)
    with tempfile.TemporaryDirectory() as folder:
        if kind == "html":
            path = tables_to_html(tables, Path(folder) / "p.html", style=page)
        elif kind == "xlsx":
            groups = [(f"表{i + 1}", tables[i:i + per_sheet]) for i in range(0, len(tables), per_sheet)]
            path = sheets_to_xlsx(groups, Path(folder) / "w.xlsx", style=sheet)
        else:
            path = tables_to_docx(tables, Path(folder) / "d.docx")
        assert extracted(read_grid(path).rows) == expected
