"""A scanned page's ruling lines: where the table lines run (and how to turn a page by an angle).

Lines are found by morphology: opening the inked pixels with a long flat kernel keeps the
horizontal rules and drops the text; a tall thin kernel keeps the vertical ones. Lengths are
fractions of the page, so they hold at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

H_KERNEL = 1 / 25          # of the page width: shorter horizontal strokes are text (a dash, 一)
V_KERNEL = 1 / 80          # of the page's longer side: shorter vertical strokes are text
GAP = 1 / 200              # of the page width: breaks in a rule from noise or JPEG, bridged


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def to_ink(gray: np.ndarray) -> np.ndarray:
    """Inked pixels as 255, paper as 0 (Otsu's threshold, so a grey scan works as well)."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def _open(ink: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))


def rotation(angle: float, shape: tuple[int, ...]) -> np.ndarray:
    """The 2×3 matrix that turns a page of `shape` by `angle` degrees about its centre."""
    height, width = shape[:2]
    return cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)


def straighten(image: np.ndarray, angle: float) -> np.ndarray:
    """The page turned back by its skew, the uncovered corners white."""
    height, width = image.shape[:2]
    white = 255 if image.ndim == 2 else (255,) * image.shape[2]
    return cv2.warpAffine(image, rotation(angle, image.shape), (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=white)


@dataclass(slots=True)
class Rules:
    """A straight page's line masks (255 where a rule runs) and their segments."""

    horizontal: np.ndarray
    vertical: np.ndarray
    h_segments: list[tuple[float, int, int]]  # (y, x0, x1)
    v_segments: list[tuple[float, int, int]]  # (x, y0, y1)


def _segments(mask: np.ndarray, *, vertical: bool) -> list[tuple[float, int, int]]:
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    segments = []
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        if vertical:
            segments.append((float(centroids[label][0]), int(y), int(y + h - 1)))
        else:
            segments.append((float(centroids[label][1]), int(x), int(x + w - 1)))
    return segments


def ink_to_rules(ink: np.ndarray, *, h_kernel: float = H_KERNEL, v_kernel: float = V_KERNEL,
                 gap: float = GAP) -> Rules:
    """The horizontal and vertical rules of a straight page."""
    height, width = ink.shape
    bridge = max(int(width * gap), 3)
    horizontal = _open(ink, (max(int(width * h_kernel), 20), 1))
    horizontal = cv2.morphologyEx(horizontal, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1)))
    vertical = _open(ink, (1, max(int(max(height, width) * v_kernel), 15)))
    vertical = cv2.morphologyEx(vertical, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge)))
    return Rules(horizontal, vertical, _segments(horizontal, vertical=False), _segments(vertical, vertical=True))


def _touching(mask: np.ndarray, across: np.ndarray, *, reach: int) -> np.ndarray:
    """The pieces of `mask` that touch a piece of `across` (within `reach` px)."""
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    near = cv2.dilate(across, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    keep = np.zeros(count, bool)
    keep[np.unique(labels[(near > 0) & (mask > 0)])] = True
    keep[0] = False
    return np.where(keep[labels], np.uint8(255), np.uint8(0))


def ruled_only(rules: Rules, *, reach: int = 3) -> Rules:
    """Only the rules that meet a rule running the other way: a table's lines, not a tall stroke of
    text that passed for a short vertical rule."""
    horizontal = _touching(rules.horizontal, rules.vertical, reach=reach)
    vertical = _touching(rules.vertical, rules.horizontal, reach=reach)
    return Rules(horizontal, vertical, _segments(horizontal, vertical=False), _segments(vertical, vertical=True))


def rules_to_mask(rules: Rules) -> np.ndarray:
    """Where any of the rules runs."""
    return cv2.bitwise_or(rules.horizontal, rules.vertical)
