"""The OCR input path: ruled page images to the rows the text reader gives.

Pages are drawn here with PIL (a small ruled table in WenQuanYi Micro Hei, a merged cell each
way), so what each row must hold is known. Tests that run the recogniser are marked `slow`.
"""

from __future__ import annotations

import socket
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from extractors.cells import Row
from extractors.exceptions import NoFormsFound, SettingsError, UnreadableFile
from extractors.ocr import cache as ocr_cache_module
from extractors.ocr import page as ocr_page
from extractors.ocr import page_image_to_rows, recognise_pages
from extractors.ocr import pages as ocr_pages
from extractors.ocr.cells import _bands, _join_thin, tables_to_cell_lines
from extractors.ocr.engine import TextLine
from extractors.ocr.grid import Table, rules_to_tables
from extractors.ocr.loose import loose_regions
from extractors.ocr.orient import even_light, ink_to_angle, runs_sideways, text_blobs, text_only
from extractors.ocr.page import loose_to_rows
from extractors.ocr.ruling import ink_to_rules, ruled_only, straighten, to_gray, to_ink
from extractors.ocr.snap import snap_label, snap_rows

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
needs_font = pytest.mark.skipif(not FONT.exists(), reason="fonts-wqy-microhei is not installed")

# A 4-column table: 项目名称's value spans three columns, 产出指标 spans two rows; the numbers
# below 分值 and 得分 hug the rule between them, and one cell holds only a dash.
CELLS = [["项目名称", "市残联系统OA维护", "", ""],
         ["一级指标", "二级指标", "分值", "得分"],
         ["产出指标", "数量指标", "10", "5"],
         ["", "质量指标", "20", "—"]]
HUG = {(2, 2): "right", (2, 3): "left", (3, 2): "right"}
MERGES = [(0, 1, 0, 3), (2, 0, 3, 0)]  # (row0, col0, row1, col1), inclusive
WIDTHS = [220, 260, 150, 150]
EXPECTED = [["财政项目支出绩效自评表"], *CELLS]


def draw_page(cells: list[list[str]] = CELLS, merges: list[tuple[int, int, int, int]] = MERGES, *,
              title: str = "财政项目支出绩效自评表", size: tuple[int, int] = (1100, 700)) -> np.ndarray:
    """A white page with a centred title and a ruled table, as an RGB array."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 28)
    if title:
        draw.text(((size[0] - draw.textlength(title, font=font)) / 2, 60), title, fill="black", font=font)
    xs = list(np.cumsum([120, *WIDTHS]))
    ys = [160 + 70 * r for r in range(len(cells) + 1)]
    owner = {(r, c): m for m in merges for r in range(m[0], m[2] + 1) for c in range(m[1], m[3] + 1)}
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            r0, c0, r1, c1 = owner.get((r, c), (r, c, r, c))
            if (r, c) != (r0, c0):
                continue
            box = (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])
            draw.rectangle(box, outline="black", width=3)
            width = max(draw.textlength(line, font=font) for line in text.split("\n"))
            x = {"right": box[2] - width - 4, "left": box[0] + 5}.get(HUG.get((r, c), ""), (box[0] + box[2] - width) / 2)
            top = (box[1] + box[3]) / 2 - 16 * (text.count("\n") + 1)
            draw.multiline_text((x, top), text, fill="black", font=font, spacing=2)
    return np.asarray(image)


def draw_prose(size: tuple[int, int] = (1100, 500)) -> np.ndarray:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 28)
    for i, line in enumerate(["关于做好年度预算执行工作的通知", "各单位要按照要求及时报送有关材料。"]):
        draw.text((100, 100 + 60 * i), line, fill="black", font=font)
    return np.asarray(image)


def turn(image: np.ndarray, degrees: float) -> np.ndarray:
    """The page as scanned turned clockwise by `degrees`."""
    return straighten(image, -degrees)


def cells_of(rows: list[Row]) -> list[list[str]]:
    return [row.cells for row in rows]


@pytest.fixture(scope="module")
def engine():
    return ocr_pages.shared_engine()


@pytest.fixture
def ocr_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ocr_cache_module.CACHE_ENV, str(tmp_path / "ocr-cache"))
    monkeypatch.setattr(ocr_cache_module, "_memory", {})
    return tmp_path / "ocr-cache"


# -- without the recogniser ---------------------------------------------------------------------
@needs_font
@pytest.mark.parametrize("degrees", [0.0, 1.0])
def test_grid_and_merged_cells_come_from_the_rules(degrees: float) -> None:
    page = turn(draw_page(), degrees)
    ink = to_ink(to_gray(page))
    straight = to_ink(to_gray(straighten(page, ink_to_angle(ink))))
    [table] = rules_to_tables(ink_to_rules(straight))
    assert table.shape == (4, 4)
    assert [table.anchor(0, c) for c in range(4)] == [(0, 0), (0, 1), (0, 1), (0, 1)]
    assert [table.anchor(r, 0) for r in range(4)] == [(0, 0), (1, 0), (2, 0), (2, 0)]
    assert table.anchor(3, 1) == (3, 1)


@needs_font
@pytest.mark.parametrize("degrees", [-5.0, -2.5, -1.0, 0.4, 3.0, 5.0])
def test_skew_up_to_five_degrees_is_measured_from_the_rows_of_ink(degrees: float) -> None:
    ink = to_ink(to_gray(turn(draw_page(), degrees)))
    assert ink_to_angle(ink) == pytest.approx(degrees, abs=0.1)


def _text_of(gray: np.ndarray) -> np.ndarray:
    ink = to_ink(gray)
    return text_only(ink, ruled_only(ink_to_rules(ink)))


@needs_font
@pytest.mark.parametrize(("turns", "sideways"), [(0, False), (1, True), (2, False), (3, True)])
def test_text_fed_a_quarter_turn_runs_sideways(turns: int, sideways: bool) -> None:
    gray = np.ascontiguousarray(np.rot90(to_gray(draw_page()), turns))
    assert runs_sideways(text_blobs(_text_of(gray))) is sideways


@needs_font
def test_uneven_light_is_evened_before_the_ink_is_found() -> None:
    clean = to_gray(draw_page())
    ys, xs = np.mgrid[0:clean.shape[0], 0:clean.shape[1]]
    dark = np.clip(clean.astype(np.float64) * (1 - 0.55 * xs / clean.shape[1]) - 0.1 * ys / clean.shape[0] * 60,
                   0, 255).astype(np.uint8)
    want = to_ink(clean) > 0

    def overlap(gray: np.ndarray) -> float:
        got = to_ink(gray) > 0
        return float((got & want).sum() / (got | want).sum())

    assert overlap(dark) < 0.5  # one threshold for the whole page takes the dark side for ink
    assert overlap(even_light(dark)) > 0.9


@given(st.lists(st.booleans(), max_size=80), st.floats(min_value=4, max_value=40))
def test_bands_cover_the_ink_in_order_and_never_overlap(profile: list[bool], typical: float) -> None:
    bands = _bands(np.asarray(profile))
    assert [i for a, b in bands for i in range(a, b)] == [i for i, inked in enumerate(profile) if inked]
    joined = _join_thin(bands, typical)
    assert all(a < b <= c for (a, b), (c, _) in zip(joined, joined[1:], strict=False))
    assert {i for a, b in bands for i in range(a, b)} <= {i for a, b in joined for i in range(a, b)}


def test_text_outside_the_tables_is_boxed_where_it_is() -> None:
    text = np.zeros((1000, 800), np.uint8)
    text[40:60, 300:500] = 255     # a title
    text[70:85, 350:450] = 255     # the year, close below it
    text[200:600, 100:700] = 255   # inside the table: not loose text
    text[900:915, 380:420] = 255   # a page number far below
    table = [Table([100.0, 700.0], [200.0, 600.0], np.zeros((1, 1), np.int64))]
    boxes = loose_regions(text, table, typical=20)
    assert len(boxes) == 2
    (x0, y0, x1, y1), (_, f0, _, f1) = boxes
    assert x0 < 300 and x1 > 500 and y0 < 40 and 85 < y1 < 200 and f0 > 600 and f1 > 915


def test_thin_bands_of_one_line_are_joined_and_lines_stay_apart() -> None:
    assert _join_thin([(0, 3), (11, 14), (22, 25)], typical=25) == [(0, 25)]  # 三
    assert _join_thin([(0, 25), (31, 56)], typical=25) == [(0, 25), (31, 56)]  # two lines
    assert _join_thin([(0, 4), (7, 25)], typical=25) == [(0, 25)]  # 六: a dot above its body
    assert _join_thin([(0, 4), (7, 25), (31, 56)], typical=25) == [(0, 25), (31, 56)]


@needs_font
def test_a_wrapped_cell_is_cut_into_its_lines() -> None:
    cells = [row[:] for row in CELLS]
    cells[3][1] = "质量\n指标"
    text = _text_of(to_gray(draw_page(cells)))
    [table] = rules_to_tables(ruled_only(ink_to_rules(to_ink(to_gray(draw_page(cells))))))
    lines, typical = tables_to_cell_lines(text, [table])
    assert [line.cell for line in lines].count((3, 1)) == 2
    assert 20 <= typical <= 40


def test_the_page_pool_names_a_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="SELFEVAL_OCR_WORKERS=0: allowed 1 to 64"):
        ocr_pages.PoolSettings(0)
    monkeypatch.setenv(ocr_pages.WORKERS_ENV, "two")
    monkeypatch.setattr(ocr_pages, "_settings", None)
    with pytest.raises(SettingsError, match="SELFEVAL_OCR_WORKERS='two': not a whole number"):
        ocr_pages.pool_settings()
    monkeypatch.setenv(ocr_pages.WORKERS_ENV, "2")
    monkeypatch.setattr(ocr_pages.os, "cpu_count", lambda: 2)
    settings = ocr_pages.pool_settings()
    assert (settings.workers, settings.threads_each(2), settings.threads_each(1)) == (2, 1, 2)
    ocr_pages.configure(workers=1, threads=1)  # as a file pool's worker would
    assert ocr_pages.pool_settings() == ocr_pages.PoolSettings(1, 1)


def test_a_page_with_no_rules_has_no_table() -> None:
    assert rules_to_tables(ink_to_rules(np.zeros((400, 600), np.uint8))) == []


def test_labels_are_snapped_numbers_never(family) -> None:
    assert snap_label("偏差原因分析及改进措拖", family) == "偏差原因分析及改进措施"
    assert snap_label("实际完成值", family) == "实际完成值"  # an exact label of another group stays
    assert snap_label("1O", family) == "1O"
    assert snap_label("市残联系统OA维护", family) == "市残联系统OA维护"


def test_taxonomy_is_snapped_only_under_its_header(family) -> None:
    rows = [Row(["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"], 1),
            Row(["", "产出指示", "数量指杯", "数量指杯", "=12次", "12", "1O", "10"], 2),
            Row(["总分", "", "", "", "", "", "100", "95"], 3),
            Row(["", "产出指示", "数量指杯"], 4)]
    snapped = cells_of(snap_rows(rows, family))
    assert snapped[1][1:4] == ["产出指标", "数量指标", "数量指杯"]
    assert snapped[1][6] == "1O"
    assert snapped[3] == ["", "产出指示", "数量指杯"]


def test_a_page_recognised_once_is_not_recognised_again(ocr_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def spy(image: np.ndarray, engine: object, *, page: int) -> list[Row]:
        calls.append(page)
        return [Row(["财政项目支出绩效自评表"], 1, page)]

    monkeypatch.setattr(ocr_pages, "read_page", spy)
    monkeypatch.setattr(ocr_pages, "shared_engine", lambda: object())
    image = np.full((20, 20, 3), 255, np.uint8)
    first = recognise_pages([("k1", image), ("k1", image)], page_numbers=[3, 4], workers=1)
    assert calls == [3]
    assert [rows[0].page for rows in first] == [3, 4]
    monkeypatch.setattr(ocr_cache_module, "_memory", {})  # a new process: only the disk remembers
    again = recognise_pages([("k1", image)], page_numbers=[7], workers=1)
    assert calls == [3]
    assert cells_of(again[0]) == [["财政项目支出绩效自评表"]] and again[0][0].page == 7
    assert len(list(ocr_cache.rglob("*.json"))) == 1


def test_text_outside_tables_is_a_row_per_line_parted_only_at_wide_gaps() -> None:
    pieces = [TextLine("财政项目支出", 0.9, (300, 50, 480, 80)), TextLine("绩效自评表", 1.0, (490, 52, 640, 80)),
              TextLine("(2022年度)", 1.0, (420, 100, 560, 130)), TextLine("单位：元", 0.8, (900, 102, 1010, 130))]
    rows = [row for _, row in loose_to_rows(pieces, page=1)]
    assert cells_of(rows) == [["财政项目支出绩效自评表"], ["(2022年度)", "单位：元"]]
    assert rows[0].confidence == [pytest.approx(0.95)] and rows[1].boxes == [(420, 100, 560, 130), (900, 102, 1010, 130)]


def test_a_damaged_image_is_rejected(tmp_path: Path) -> None:
    from extractors.inputs import read_grid

    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    with pytest.raises(UnreadableFile, match="damaged"):
        read_grid(path)


# -- with the recogniser ------------------------------------------------------------------------
@pytest.mark.slow
def test_building_the_engine_touches_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    from extractors.ocr.engine import image_to_text_lines, make_engine

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the OCR engine tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    image = np.full((120, 500, 3), 255, np.uint8)
    cv2.putText(image, "2022", (20, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 0), 4)
    assert [t.text for t in image_to_text_lines(image, make_engine(threads=1))] == ["2022"]


@pytest.mark.slow
@needs_font
@pytest.mark.parametrize(("degrees", "gray"), [(0.0, False), (1.0, True)])
def test_a_ruled_page_becomes_the_text_readers_rows(engine, degrees: float, gray: bool) -> None:
    page = turn(draw_page(), degrees)
    rows = page_image_to_rows(cv2.cvtColor(page, cv2.COLOR_RGB2GRAY) if gray else page, page=2, engine=engine)
    assert cells_of(rows) == EXPECTED
    assert [(r.line, r.page) for r in rows] == [(i, 2) for i in range(1, 6)]
    merged = rows[1]  # 项目名称 row: the value's box spans three grid columns
    assert merged.boxes is not None and merged.confidence is not None
    assert merged.boxes[1][2] - merged.boxes[1][0] > 2.5 * (merged.boxes[2][2] - merged.boxes[2][0])
    assert merged.confidence[2] == 1.0 and 0.5 < merged.confidence[1] <= 1.0


def _centres(rows: list[Row]) -> dict[str, tuple[float, float]]:
    return {text: ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for row in rows
            for text, b in zip(row.cells, row.boxes or [], strict=True) if text and b}


@pytest.mark.slow
@needs_font
@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_page_fed_turned_reads_as_upright_and_keeps_its_own_boxes(engine, turns: int) -> None:
    upright = turn(draw_page(), 1.5)
    fed = np.ascontiguousarray(np.rot90(upright, turns))
    rows = page_image_to_rows(fed, page=1, engine=engine)
    assert cells_of(rows) == EXPECTED
    height, width = upright.shape[:2]
    back = {1: lambda x, y: (y, width - 1 - x), 2: lambda x, y: (width - 1 - x, height - 1 - y),
            3: lambda x, y: (height - 1 - y, x)}[turns]
    mine = _centres(page_image_to_rows(upright, page=1, engine=engine))
    for text, (x, y) in _centres(rows).items():  # each cell's box is where that cell is on the page fed
        assert back(*mine[text]) == pytest.approx((x, y), abs=8), text


@pytest.mark.slow
@needs_font
def test_a_cell_read_in_doubt_is_read_again_from_full_page_detection(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    real_read, detected = ocr_page.read_cell_lines, []

    def garbled(*args, **kwargs):
        reads = real_read(*args, **kwargs)
        [key] = [k for k, line in reads.items() if line.text == "质量指标"]
        reads[key] = TextLine("质量揩杯", 0.31, reads[key].box)
        return reads

    def spy(*args, **kwargs):
        detected.append(1)
        return real_detect(*args, **kwargs)

    real_detect = ocr_page.image_to_text_lines
    monkeypatch.setattr(ocr_page, "read_cell_lines", garbled)
    monkeypatch.setattr(ocr_page, "image_to_text_lines", spy)
    rows = page_image_to_rows(draw_page(), page=1, engine=engine)
    assert detected and cells_of(rows) == EXPECTED


@pytest.mark.slow
@needs_font
def test_a_page_with_no_table_is_lines_of_text_and_no_form(engine, tmp_path: Path, ocr_cache: Path) -> None:
    from extractors.family import load_family
    from extractors.inputs import read_grid
    from flows.pipeline import grid_to_forms

    rows = page_image_to_rows(draw_prose(), page=1, engine=engine)
    assert cells_of(rows) == [["关于做好年度预算执行工作的通知"], ["各单位要按照要求及时报送有关材料。"]]
    path = tmp_path / "notice.png"
    Image.fromarray(draw_prose()).save(path)
    grid = read_grid(path)
    assert grid.kind == "image" and cells_of(grid.rows) == cells_of(rows)
    with pytest.raises(NoFormsFound):
        grid_to_forms(grid.rows, load_family(), file=path.name, sha256="0" * 64, max_shift=3)


@pytest.mark.slow
@needs_font
def test_pages_recognised_in_two_workers_match_one(engine, ocr_cache: Path) -> None:
    pages = [("plain", draw_page()), ("turned", turn(draw_page(), -0.8))]
    try:
        rows = recognise_pages(pages, page_numbers=[1, 2], workers=2, min_pool_pages=2)
    finally:
        ocr_pages.close_workers()
    assert [cells_of(r) for r in rows] == [EXPECTED, EXPECTED]
    assert [r[0].page for r in rows] == [1, 2]


# -- page images of many pages ------------------------------------------------------------------
def _tiff(path: Path, pages: list[np.ndarray]) -> Path:
    first, *rest = [Image.fromarray(page) for page in pages]
    first.save(path, save_all=True, append_images=rest, compression="tiff_deflate")
    return path


@pytest.mark.slow
@needs_font
def test_a_tiff_of_many_pages_is_read_page_by_page(tmp_path: Path, ocr_cache: Path) -> None:
    """Office scanners write a whole document to one TIFF: every page is read, in order, each
    row saying its page; a page turned in the feeder is set upright as in a PDF."""
    from extractors.inputs import read_grid

    other = [["项目名称", "综合行政服务平台", "", ""], *CELLS[1:]]
    path = _tiff(tmp_path / "scan.tif", [draw_page(), np.rot90(draw_page(other)).copy()])
    grid = read_grid(path)
    assert (grid.kind, grid.pages) == ("image", 2)
    assert cells_of([r for r in grid.rows if r.page == 1]) == EXPECTED
    assert cells_of([r for r in grid.rows if r.page == 2]) == [["财政项目支出绩效自评表"], *other]


def test_a_tiff_over_the_page_limit_is_refused_before_any_page_is_decoded(tmp_path: Path, monkeypatch) -> None:
    from extractors.exceptions import LimitExceeded
    from extractors.inputs import read_grid

    monkeypatch.setenv("SELFEVAL_MAX_PDF_PAGES", "2")
    blank = np.full((40, 40, 3), 255, np.uint8)
    with pytest.raises(LimitExceeded, match=r"scan\.tiff: the image has 3 pages, over the 2-page limit "
                                            r"\(SELFEVAL_MAX_PDF_PAGES\)"):
        read_grid(_tiff(tmp_path / "scan.tiff", [blank] * 3))
