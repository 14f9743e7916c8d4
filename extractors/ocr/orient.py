"""A page as scanned to a page upright and straight: light evened out, skew measured and undone,
quarter turns found and undone.

Offices feed pages sideways and upside down and a few degrees askew, on grey paper under uneven
light. Each step here is cheap and reads the ink, not the text:

1. **light**: the paper's brightness is estimated on a small copy (a max filter, so text drops
   out) and divided out when it varies across the page;
2. **skew** (up to ±`MAX_SKEW`°): the angle at which the ink's row profile is sharpest — long
   rules and text lines both give sharp rows only when level — found coarse to fine;
3. **sideways**: characters of a line lie side by side, so inked blobs (characters merged into
   lines by a small closing) are wider than tall when the text runs across the page and taller
   than wide when the page is turned 90°;
4. **upside down**: rapidocr's direction classifier (the 0°/180° model shipped in its wheel)
   is asked about a dozen of the page's widest lines, not the whole page.

`Upright` keeps the transform, so boxes found on the upright page map back to the page as given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from extractors.ocr import ruling
from extractors.ocr.engine import upside_down_share

MAX_SKEW = 6.0          # degrees; scans turned further are taken as they are
MIN_SKEW = 0.05         # degrees; less is not worth a resampling
COARSE_WIDTH = 500      # px: the page is shrunk to this width for the coarse skew search
COARSE_STEP = 0.25      # degrees
FINE_WIDTH = 1000       # px: and to this width for the fine search around the coarse angle
FINE_STEP = 0.02        # degrees
LIGHT_WIDTH = 200       # px: the page is shrunk to this width to estimate the paper's brightness
LIGHT_KERNEL = 0.06     # of the page width: wider than any character, so the max filter finds paper
UNEVEN_LIGHT = 24       # grey levels of paper brightness across the page above which it is evened out
BLOB_CLOSE = 0.5        # of a character's size: the closing that joins a line's characters into one blob
SPECK = 1 / 800         # of the page's shorter side, squared: inked blobs smaller than this are noise
SAMPLE_LINES = 12       # lines shown to the direction classifier
UPSIDE_DOWN = 0.5       # share of those lines it must take for turned 180° to turn the page


@dataclass(slots=True)
class Upright:
    """The page upright and straight (grey), and the 2×3 matrix taking page pixels to it."""

    gray: np.ndarray
    matrix: np.ndarray
    turns: int = 0      # quarter turns undone, counter-clockwise
    angle: float = 0.0  # skew undone, degrees

    def to_page(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A box on the upright page as the upright box around it on the page as given."""
        if not self.turns and not self.angle:
            return box
        back = cv2.invertAffineTransform(self.matrix)
        corners = np.array([[box[0], box[1]], [box[2], box[1]], [box[0], box[3]], [box[2], box[3]]], np.float64)
        mapped = corners @ back[:, :2].T + back[:, 2]
        return (float(mapped[:, 0].min()), float(mapped[:, 1].min()),
                float(mapped[:, 0].max()), float(mapped[:, 1].max()))


def even_light(gray: np.ndarray, *, width: int = LIGHT_WIDTH, kernel: float = LIGHT_KERNEL,
               uneven: float = UNEVEN_LIGHT) -> np.ndarray:
    """The page with the paper's brightness made even, when it varies by more than `uneven` levels."""
    scale = min(1.0, width / gray.shape[1])
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    size = max(3, int(small.shape[1] * kernel) | 1)
    paper = cv2.GaussianBlur(cv2.dilate(small, np.ones((size, size), np.uint8)), (size, size), 0)
    if float(np.percentile(paper, 98) - np.percentile(paper, 2)) <= uneven:
        return gray
    paper = cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    evened = gray.astype(np.float32) * (float(np.percentile(paper, 98)) / np.maximum(paper.astype(np.float32), 1))
    return np.clip(evened, 0, 255).astype(np.uint8)


def _profile_sharpness(ys: np.ndarray, xs: np.ndarray, angle: float) -> float:
    rows = np.round(ys - xs * math.tan(math.radians(angle))).astype(np.int64)
    counts = np.bincount(rows - rows.min())
    return float(np.dot(counts, counts))


def _best_angle(ink: np.ndarray, width: int, angles: np.ndarray) -> float:
    scale = min(1.0, width / ink.shape[1])
    small = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else ink
    ys, xs = np.nonzero(small > 64)
    if len(ys) == 0:
        return 0.0
    ys, xs = ys.astype(np.float64), xs.astype(np.float64)
    return float(max(angles, key=lambda a: _profile_sharpness(ys, xs, a)))


def ink_to_angle(ink: np.ndarray, *, max_skew: float = MAX_SKEW) -> float:
    """The page's skew in degrees (positive: turned clockwise), where its rows of ink are sharpest."""
    coarse = _best_angle(ink, COARSE_WIDTH, np.arange(-max_skew, max_skew + COARSE_STEP / 2, COARSE_STEP))
    fine = np.arange(coarse - COARSE_STEP, coarse + COARSE_STEP + FINE_STEP / 2, FINE_STEP)
    return _best_angle(ink, FINE_WIDTH, fine)


def text_only(ink: np.ndarray, rules: ruling.Rules, *, speck: float = SPECK) -> np.ndarray:
    """The ink with the rules and the specks of noise taken out: text, and marks like a dash."""
    rules_mask = cv2.dilate(ruling.rules_to_mask(rules), np.ones((5, 5), np.uint8))
    text = cv2.bitwise_and(ink, cv2.bitwise_not(rules_mask))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < max(3.0, (min(ink.shape) * speck) ** 2)
    small[0] = False
    if small.any():
        text[small[labels]] = 0
    return text


def glyph_size(text: np.ndarray) -> float:
    """The size of a character on the page: the larger side of its bigger inked pieces."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    sides = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    return float(np.percentile(sides, 75)) if len(sides) else 0.0


def text_blobs(text: np.ndarray, *, close: float = BLOB_CLOSE) -> np.ndarray:
    """(x, y, w, h) of each blob of text: characters closed into words and lines."""
    size = max(3, int(glyph_size(text) * close))
    closed = cv2.morphologyEx(text, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    blobs = stats[1:, :4]
    return blobs[(blobs[:, 2] > 2 * size) | (blobs[:, 3] > 2 * size)]


def runs_sideways(blobs: np.ndarray) -> bool:
    """Whether the text runs down the page (turned 90°): its blobs are mostly taller than wide."""
    if len(blobs) == 0:
        return False
    logs = np.log(blobs[:, 2].astype(np.float64) / blobs[:, 3])
    weights = blobs[:, 2].astype(np.float64) * blobs[:, 3]
    return float(np.dot(logs, weights)) < 0


def line_samples(gray: np.ndarray, blobs: np.ndarray, *, count: int = SAMPLE_LINES) -> list[np.ndarray]:
    """RGB crops of the page's widest one-line blobs (not too thin, not too tall), for the classifier."""
    if len(blobs) == 0:
        return []
    heights = blobs[:, 3]
    typical = float(np.median(heights))
    lines = blobs[(heights < 2 * typical) & (heights > 0.5 * typical) & (blobs[:, 2] >= 2 * heights)]
    crops = []
    for x, y, w, h in lines[np.argsort(-lines[:, 2])][:count]:
        pad = max(2, int(h) // 4)
        crop = gray[max(y - pad, 0):y + h + pad, max(x - pad, 0):x + w + pad]
        crops.append(cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB))
    return crops


def _turn(gray: np.ndarray, turns: int) -> tuple[np.ndarray, np.ndarray]:
    """The page turned `turns` quarter turns counter-clockwise, and the matrix of that turn."""
    height, width = gray.shape[:2]
    turned = np.ascontiguousarray(np.rot90(gray, turns))
    matrix = {0: [[1, 0, 0], [0, 1, 0]], 1: [[0, 1, 0], [-1, 0, width - 1]],
              2: [[-1, 0, width - 1], [0, -1, height - 1]], 3: [[0, -1, height - 1], [1, 0, 0]]}[turns % 4]
    return turned, np.asarray(matrix, np.float64)


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The 2×3 matrix of `inner` then `outer`."""
    full = np.vstack([outer, [0, 0, 1]]) @ np.vstack([inner, [0, 0, 1]])
    return full[:2]


@dataclass(slots=True)
class Inked:
    """An upright page's ink, rules and text: what the grid and the cell reader work from."""

    upright: Upright
    ink: np.ndarray
    rules: ruling.Rules
    text: np.ndarray


def _inked(upright: Upright) -> Inked:
    ink = ruling.to_ink(upright.gray)
    rules = ruling.ruled_only(ruling.ink_to_rules(ink))
    return Inked(upright, ink, rules, text_only(ink, rules))


def _turned(page: Inked, turns: int) -> Inked:
    gray, matrix = _turn(page.upright.gray, turns)
    upright = Upright(gray, _compose(matrix, page.upright.matrix), (page.upright.turns + turns) % 4,
                      page.upright.angle)
    return _inked(upright)


def straighten_page(gray: np.ndarray, *, max_skew: float = MAX_SKEW, min_skew: float = MIN_SKEW) -> Upright:
    """The page (grey) with its light evened out and its skew undone."""
    gray = even_light(gray)
    angle = ink_to_angle(ruling.to_ink(gray), max_skew=max_skew)
    if abs(angle) < min_skew or abs(angle) >= max_skew:
        return Upright(gray, np.asarray([[1, 0, 0], [0, 1, 0]], np.float64))
    return Upright(ruling.straighten(gray, angle), ruling.rotation(angle, gray.shape), angle=angle)


def page_to_upright(gray: np.ndarray, engine: Any, *, upside_down: float = UPSIDE_DOWN) -> Inked:
    """The page evened, straightened and turned upright, with its ink, rules and text."""
    page = _inked(straighten_page(gray))
    blobs = text_blobs(page.text)
    if runs_sideways(blobs):
        page = _turned(page, 1)
        blobs = text_blobs(page.text)
    if upside_down_share(line_samples(page.upright.gray, blobs), engine) > upside_down:
        page = _turned(page, 2)
    return page
