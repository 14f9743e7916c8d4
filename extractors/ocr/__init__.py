"""Scanned pages to rows: the same cell grid the text reader gives, read from ruling lines and OCR.

A page is first turned upright and straight (`orient`: light evened, skew to ±6°, quarter and
half turns); its ruling lines give the tables' grids (`ruling`, `grid`); each cell is cropped,
cut into lines and recognised in one batch (`cells`), text outside the tables is detected only
where there is ink (`loose`), and a cell whose read looks wrong is read again from full-page
detection (`page`). A page with no ruled table is read by full-page detection.

`page_image_to_rows` reads one page image; `recognise_pages` reads many across the page pool's
processes (`pages`: `configure`, `close_workers`) and never recognises a page it has seen before
(`cache`). Both snap labels and taxonomy names to the form family's spelling; numbers are left
exactly as read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from extractors.cells import Row
from extractors.family import Family, load_family
from extractors.ocr.page import read_page
from extractors.ocr.pages import MIN_POOL_PAGES, close_workers, configure, recognise_pages_raw, shared_engine
from extractors.ocr.snap import snap_rows

__all__ = ["close_workers", "configure", "page_image_to_rows", "recognise_pages"]


def page_image_to_rows(image: np.ndarray, *, page: int, family: Family | None = None,
                       engine: Any = None) -> list[Row]:
    """One page image (H×W×3 RGB or H×W gray, uint8) to rows in reading order."""
    rows = read_page(image, engine if engine is not None else shared_engine(), page=page)
    return snap_rows(rows, family or load_family())


def recognise_pages(pages: list[tuple[str, np.ndarray]], *, page_numbers: list[int], workers: int | None = None,
                    family: Family | None = None, min_pool_pages: int = MIN_POOL_PAGES) -> list[list[Row]]:
    """Rows of each (cache key, image) page, in order; pages seen before are not recognised again.

    New pages are shared among `workers` processes (default: the pool's setting, see
    `extractors.ocr.pages`; each loads the engine once), unless there are fewer than
    `min_pool_pages` of them or `workers` is 1: then they are read in this process.
    """
    family = family or load_family()
    raw = recognise_pages_raw(pages, page_numbers=page_numbers, workers=workers, min_pool_pages=min_pool_pages)
    return [snap_rows(rows, family) for rows in raw]
