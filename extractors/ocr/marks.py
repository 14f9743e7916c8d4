"""Marks the recogniser is not asked about: a lone dash (—, "not applicable") in a cell.

A cell whose only ink is one short flat bar holds a dash, as the text reader would show it; the
recogniser would as likely read it as 一 or -.
"""

from __future__ import annotations

DASH = "—"
DASH_SCORE = 0.9     # the confidence a dash found this way is given
MIN_WIDTH = 0.4      # of a text line's height: shorter bars are specks or hyphens
MAX_WIDTH = 2.5
MAX_THICKNESS = 0.25


def is_dash(width: float, height: float, line_height: float) -> bool:
    """Whether ink of this width and height, on a page whose lines are `line_height` high, is a dash."""
    return (MIN_WIDTH * line_height <= width <= MAX_WIDTH * line_height
            and height <= MAX_THICKNESS * line_height and width >= 3 * height)
