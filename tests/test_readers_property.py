"""Property: a gold form drawn as a web page, a workbook or a Word document, in any of the ways
publishers write them, rebuilds into exactly the form its tab dump rebuilds into."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import asdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.exceptions import UnreadableFile
from extractors.family import load_family
from extractors.inputs import read_grid
from extractors.inputs.html import cleaned
from extractors.inputs.text import text_to_rows
from extractors.rebuild import segment_to_form
from extractors.segment import rows_to_segments
from extractors.text import clean_cell
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


# -- .xls against .xlsx: the same cells in the same number formats read alike -------------------
NUMBER_FORMATS = ["General", "0", "0.0", "0.00", "#,##0", "#,##0.00", "0%", "0.00%", '"¥"#,##0.00', "0.00_);(0.00)",
                  "#,##0;[Red]-#,##0", "0.00E+00", '0.00"元"']
FORMATS = [*NUMBER_FORMATS, "yyyy-mm-dd"]
CELLS = st.one_of(
    st.tuples(st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.integers(-10**9, 10**9)), st.sampled_from(NUMBER_FORMATS)),
    st.tuples(st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31)).map(lambda d: dt.datetime(d.year, d.month, d.day)),
              st.just("yyyy-mm-dd")),
    st.tuples(st.one_of(st.booleans(), CJK), st.just("General")))
TITLE = "财政项目支出绩效自评表"


def cells_to_xls(cells: list[tuple[object, str]], path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("表1")
    sheet.write_merge(0, 0, 0, 2, TITLE)
    styles = {fmt: xlwt.easyxf(num_format_str=fmt) for fmt in FORMATS}
    for i, (value, fmt) in enumerate(cells):
        sheet.write(1 + i // 3, i % 3, value, styles[fmt])
    book.save(str(path))
    return path


def cells_to_xlsx(cells: list[tuple[object, str]], path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "表1"
    sheet["A1"] = TITLE
    sheet.merge_cells("A1:C1")
    for i, (value, fmt) in enumerate(cells):
        cell = sheet.cell(row=2 + i // 3, column=1 + i % 3, value=value)
        cell.number_format = fmt
    book.save(path)
    return path


@settings(max_examples=40, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=12))
def test_an_xls_shows_each_cell_as_the_same_xlsx_does(cells: list[tuple[object, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        xls = read_grid(cells_to_xls(cells, Path(folder) / "w.xls")).rows
        xlsx = read_grid(cells_to_xlsx(cells, Path(folder) / "w.xlsx")).rows
    assert [(r.cells, r.where(0)) for r in xls] == [(r.cells, r.where(0)) for r in xlsx]
    assert xls[0].cells == [TITLE, "", ""]


XLS_BYTES = (Path(__file__).resolve().parents[1] / "fixtures" / "xls" / "seed-sheets.xls").read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.integers(8, len(XLS_BYTES)), st.lists(st.tuples(st.integers(8, len(XLS_BYTES) - 1), st.integers(0, 255)),
                                               max_size=30))
def test_a_damaged_xls_is_read_or_refused_with_a_reason_never_a_crash(cut: int, changes: list[tuple[int, int]]) -> None:
    data = bytearray(XLS_BYTES)
    for at, byte in changes:
        data[at] = byte
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.xls"
        path.write_bytes(bytes(data[:cut]))
        try:
            grid = read_grid(path)
        except UnreadableFile as exc:
            assert "damaged.xls" in str(exc) and "\n" not in str(exc)
        else:
            assert grid.kind == "xls" and all(isinstance(c, str) for r in grid.rows for c in r.cells)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_the_html_readers_quick_clean_is_clean_cell(text: str) -> None:
    assert cleaned(text) == clean_cell(text)
