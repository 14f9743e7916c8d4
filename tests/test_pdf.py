"""PDF input: text-layer pages read by pdfplumber, bad PDFs set aside with their reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pdfplumber
import pytest

from extractors.exceptions import UnreadableFile
from extractors.family import load_family
from extractors.inputs import read_grid
from extractors.inputs.pdf import has_text_layer, read_pdf_grid
from extractors.rebuild import segment_to_form
from extractors.segment import rows_to_segments
from flows.pipeline import ingest_file
from flows.settings import Settings
from storage.inbox import sha256_of
from storage.warehouse import Warehouse
from tests.conftest import FIXTURES
from tests.material import bad, load_gold_forms

WQY = FIXTURES / "pdf-wqy" / "seed-wqy.pdf"
SPLIT = FIXTURES / "pdf-split" / "seed-split.pdf"


def test_text_layer_pages_are_not_recognised(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a page with a text layer went to OCR")

    monkeypatch.setattr("extractors.ocr.recognise_pages", refuse, raising=False)
    grid = read_pdf_grid(WQY)
    assert grid.pages == 8 and grid.rows
    with pdfplumber.open(WQY) as pdf:
        assert all(has_text_layer(page) for page in pdf.pages)


def test_rows_keep_page_and_cell_boxes() -> None:
    grid = read_pdf_grid(SPLIT)
    pages = {row.page for row in grid.rows}
    assert pages == set(range(1, grid.pages + 1))
    table_rows = [r for r in grid.rows if len(r.cells) > 1]
    assert all(r.boxes is not None and len(r.boxes) == len(r.cells) for r in table_rows)
    filled_boxes = [b for r in table_rows for c, b in zip(r.cells, r.boxes or [], strict=True) if c]
    assert all(b is not None and b[0] < b[2] and b[1] < b[3] for b in filled_boxes)


def test_merged_cells_and_wraps_become_blank_cells_and_joined_text() -> None:
    rows = read_pdf_grid(WQY).rows
    assert not any("\n" in cell for row in rows for cell in row.cells)
    name_row = next(r for r in rows if r.cells and r.cells[0] == "项目名称")
    assert name_row.cells[2:] and name_row.cells[3:] == [""] * (len(name_row.cells) - 3)


def test_continued_indicator_table_fills_levels_across_the_page_break() -> None:
    """seed-split breaks every indicator table inside a 一级指标 group, header repeated."""
    family = load_family()
    segments = rows_to_segments(read_pdf_grid(SPLIT).rows, family)
    gold = {f["project_name"]: f for f in load_gold_forms()}
    assert len(segments) == len(gold)
    for segment in segments:
        form = segment_to_form(segment, family, form_id="f", source_file="s", source_sha256="0")
        assert len({r.page for r in segment.rows}) == 2, "each form spans two pages"
        expected = gold[form.project_name]["indicators"]
        assert [(i.level1, i.level2, i.level3) for i in form.indicators] == \
               [(g["level1"], g["level2"], g["level3"]) for g in expected]
        assert {i.source_page for i in form.indicators} == {r.page for r in segment.rows}


@pytest.fixture(scope="module")
def bad_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    forms = load_gold_forms()[:1]
    return {
        "broken.pdf": bad.truncated_pdf(WQY, folder / "broken.pdf"),
        "encrypted.pdf": bad.encrypted_pdf(forms, folder / "encrypted.pdf"),
        "empty.pdf": bad.empty_pdf(folder / "empty.pdf"),
        "noform.pdf": bad.prose_pdf(folder / "noform.pdf"),
    }


@pytest.mark.parametrize(("name", "reason"), [
    ("broken.pdf", "damaged PDF"),
    ("encrypted.pdf", "encrypted PDF"),
    ("empty.pdf", "PDF has no pages"),
])
def test_unreadable_pdfs_say_why(bad_pdfs: dict[str, Path], name: str, reason: str) -> None:
    with pytest.raises(UnreadableFile) as caught:
        read_grid(bad_pdfs[name])
    assert reason in str(caught.value) and name in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_pdfs_are_rejected_and_the_rest_of_the_inbox_loads(bad_pdfs: dict[str, Path], workdir: Path) -> None:
    inbox = workdir / "inbox"
    for path in [*bad_pdfs.values(), WQY]:
        shutil.copy(path, inbox / path.name)
    warehouse = Warehouse(workdir / "warehouse").create()
    settings = Settings.build(inbox=inbox, warehouse=warehouse.root)
    outcomes = {p.name: ingest_file(p, sha256_of(p), warehouse, settings) for p in sorted(inbox.iterdir())}

    assert outcomes["seed-wqy.pdf"].status == "loaded" and outcomes["seed-wqy.pdf"].forms == 7
    for name in bad_pdfs:
        assert outcomes[name].status == "rejected", name
        assert (workdir / "rejected" / name).exists()
        assert (workdir / "rejected" / f"{name}.reason.txt").read_text(encoding="utf-8").strip() == outcomes[name].reason
    assert "no 财政项目支出绩效自评表" in outcomes["noform.pdf"].reason
    ledger = warehouse.read("files")
    assert sorted(ledger["file_name"]) == sorted(outcomes)
    assert list(inbox.iterdir()) == []


@pytest.mark.slow
def test_a_mixed_pdf_is_read_page_by_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Page 1 with its text layer, page 2 a scan: only the scan is recognised, both forms load."""
    import pypdfium2

    import extractors.ocr as ocr
    from tests.material.scan import pdf_to_scans

    scans = pdf_to_scans(WQY, tmp_path / "scans", seed=3)
    mixed = pypdfium2.PdfDocument.new()
    mixed.import_pages(pypdfium2.PdfDocument(str(WQY)), [0])
    mixed.import_pages(pypdfium2.PdfDocument(str(scans.pdf)), [1])
    mixed.save(str(tmp_path / "mixed.pdf"))

    recognised: list[int] = []
    real = ocr.recognise_pages

    def spy(pages, *, page_numbers, **kwargs):
        recognised.extend(page_numbers)
        return real(pages, page_numbers=page_numbers, **kwargs)

    monkeypatch.setattr(ocr, "recognise_pages", spy)
    grid = read_pdf_grid(tmp_path / "mixed.pdf")
    assert recognised == [2]
    family = load_family()
    forms = [segment_to_form(s, family, form_id="f", source_file="mixed.pdf", source_sha256="0")
             for s in rows_to_segments(grid.rows, family)]
    gold = load_gold_forms()
    assert [f.project_name for f in forms] == [gold[0]["project_name"], gold[1]["project_name"]]
    assert [f.source_page for f in forms] == [1, 2]
    assert forms[0].confidence == 1.0 and forms[1].confidence < 1.0
