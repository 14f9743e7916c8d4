"""Text outside every table (the title, the year, a unit, a page number): found by the detector,
but only where there is ink outside the tables, not over the whole page.

The ink left when the tables' boxes are blanked is cut into regions where rows of empty paper
part it; the detector runs on each region's crop at the scale it would see the whole page at,
and the lines it finds are recognised together.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from extractors.ocr.engine import DET_MAX_SIDE, TextLine, crops_to_texts, image_to_boxes
from extractors.ocr.grid import Table

REGION_GAP = 3.0   # typical line heights of empty paper that part two regions of loose text
MARGIN = 1.0       # typical line heights of paper kept round a region for the detector
MIN_SCORE = 0.5    # a loose line recognised with less confidence than this is noise, as rapidocr drops it


def _without_tables(text: np.ndarray, tables: list[Table], *, pad: int = 3) -> np.ndarray:
    loose = text.copy()
    for table in tables:
        loose[max(int(table.ys[0]) - pad, 0):int(table.ys[-1]) + pad + 1,
              max(int(table.xs[0]) - pad, 0):int(table.xs[-1]) + pad + 1] = 0
    return loose


def loose_regions(text: np.ndarray, tables: list[Table], typical: float, *,
                  gap: float = REGION_GAP, margin: float = MARGIN) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) round the page's ink outside its tables, top to bottom."""
    loose = _without_tables(text, tables)
    rows = np.flatnonzero(loose.any(axis=1))
    if len(rows) == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) > gap * typical)
    starts = np.concatenate([[rows[0]], rows[breaks + 1]])
    ends = np.concatenate([rows[breaks], [rows[-1]]])
    pad = int(margin * typical) + 2
    height, width = text.shape
    boxes = []
    for top, bottom in zip(starts.tolist(), ends.tolist(), strict=True):
        cols = np.flatnonzero(loose[top:bottom + 1].any(axis=0))
        boxes.append((max(int(cols[0]) - pad, 0), max(top - pad, 0),
                      min(int(cols[-1]) + pad + 1, width), min(bottom + pad + 1, height)))
    return boxes


def _crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    from rapidocr.utils.process_img import get_rotate_crop_image

    return get_rotate_crop_image(image, quad.copy())


def read_loose(gray: np.ndarray, text: np.ndarray, tables: list[Table], typical: float, engine: Any, *,
               min_score: float = MIN_SCORE) -> list[TextLine]:
    """Every line of text outside the tables, recognised, with its box on the page."""
    scale = min(1.0, DET_MAX_SIDE / max(gray.shape))
    found: list[tuple[np.ndarray, tuple[float, float, float, float]]] = []
    for x0, y0, x1, y1 in loose_regions(text, tables, typical):
        region = gray[y0:y1, x0:x1].copy()
        for table in tables:  # the tables' own ink stays out of the detector's view
            _blank(region, table, x0, y0)
        rgb = cv2.cvtColor(region, cv2.COLOR_GRAY2RGB)
        shown = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        for quad in image_to_boxes(shown, engine):
            quad = quad / scale
            xs, ys = quad[:, 0] + x0, quad[:, 1] + y0
            found.append((_crop_quad(rgb, quad), (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))))
    reads = crops_to_texts([crop for crop, _ in found], engine)
    return [TextLine(text_, score, box) for (_, box), (text_, score) in zip(found, reads, strict=True)
            if text_ and score >= min_score]


def _blank(region: np.ndarray, table: Table, x0: int, y0: int, *, paper: int = 255) -> None:
    a, b = max(int(table.xs[0]) - x0, 0), max(int(table.xs[-1]) - x0 + 1, 0)
    c, d = max(int(table.ys[0]) - y0, 0), max(int(table.ys[-1]) - y0 + 1, 0)
    region[c:d, a:b] = paper
