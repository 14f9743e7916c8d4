"""Property test: whatever bytes arrive — random, a truncated or damaged PDF, the seed text mutated —
read → segment → rebuild → check returns forms and flags or raises one of the project's errors.

Any other exception is a bug of ours (`internal error` in a run) and fails the test.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.exceptions import SelfevalError
from extractors.family import load_family
from extractors.inputs import READERS, read_grid
from extractors.rebuild import segment_to_form
from extractors.segment import rows_to_segments
from schemas.checks import form_to_flags
from tests.conftest import FIXTURES

SEED = next((FIXTURES / "seed").glob("*.txt")).read_bytes()


def first_page(source: Path) -> bytes:
    """A one-page PDF of a fixture's first page (fonts and all), so each example reads fast."""
    from io import BytesIO

    import pypdfium2

    whole, single, out = pypdfium2.PdfDocument(str(source)), pypdfium2.PdfDocument.new(), BytesIO()
    single.import_pages(whole, [0])
    single.save(out)
    return out.getvalue()


PDF = first_page(FIXTURES / "pdf-wqy" / "seed-wqy.pdf")
FAMILY = load_family()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def through_every_stage(data: bytes, name: str) -> None:
    """The pure path on one file; only `SelfevalError` may escape."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            grid = read_grid(path)
            for segment in rows_to_segments(grid.rows, FAMILY):
                form = segment_to_form(segment, FAMILY, form_id="x", source_file=name, source_sha256="0")
                form_to_flags(form)
        except SelfevalError:
            pass


@st.composite
def mutated(draw: st.DrawFn, source: bytes, *, edits: int = 8) -> bytes:
    """`source` with a few bytes changed, removed or inserted, and perhaps cut short."""
    data = bytearray(source)
    for _ in range(draw(st.integers(1, edits))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["set", "delete", "insert"]))
        if kind == "set":
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at: at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
    if draw(st.booleans()):
        del data[draw(st.integers(0, len(data))):]
    return bytes(data)


@SETTINGS
@given(st.binary(max_size=4096), st.sampled_from(sorted(READERS)))
def test_random_bytes_of_any_kind_raise_only_our_errors(data, suffix):
    through_every_stage(data, f"random{suffix}")


@SETTINGS
@given(mutated(SEED), st.sampled_from(["utf-8", "gb18030", "utf-16-le", "big5"]),
       st.sampled_from([".txt", ".csv"]))
def test_mutated_seed_text_raises_only_our_errors(data, encoding, suffix):
    text = data.decode("utf-8", errors="replace")
    through_every_stage(text.encode(encoding, errors="replace"), f"seed{suffix}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.integers(0, len(PDF)).map(lambda cut: PDF[:cut]), mutated(PDF, edits=4)))
def test_truncated_or_damaged_pdfs_raise_only_our_errors(data):
    """A page whose text layer the damage spoils is rendered, but not recognised: OCR reads pixels,
    not the file's bytes, and takes a second a page."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("extractors.ocr.recognise_pages", lambda images, page_numbers, **_: [[] for _ in images])
        through_every_stage(data, "form.pdf")


def office_files() -> dict[str, bytes]:
    """The first gold form as a workbook and as a Word document."""
    from tests.material import load_gold_forms
    from tests.material.office import forms_to_docx, forms_to_xlsx

    with tempfile.TemporaryDirectory() as folder:
        forms_to_xlsx(load_gold_forms()[:1], Path(folder) / "form.xlsx")
        forms_to_docx(load_gold_forms()[:1], Path(folder) / "form.docx")
        return {p.suffix: p.read_bytes() for p in Path(folder).iterdir()}


OFFICE = office_files()


@st.composite
def mutated_inside(draw: st.DrawFn, suffix: str) -> bytes:
    """A workbook or document, zipped intact, with one of its XML parts damaged."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(OFFICE[suffix]))
    names = source.namelist()
    victim = draw(st.sampled_from([n for n in names if n.endswith(".xml")]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in names:
            data = source.read(name)
            target.writestr(name, draw(mutated(data, edits=6)) if name == victim else data)
    return out.getvalue()


@SETTINGS
@given(st.sampled_from([".xlsx", ".docx"]).flatmap(lambda suffix: st.tuples(st.just(suffix), mutated_inside(suffix))))
def test_workbooks_and_documents_with_damaged_parts_raise_only_our_errors(case):
    suffix, data = case
    through_every_stage(data, f"form{suffix}")
