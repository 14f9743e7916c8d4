"""Page images (.png, .jpg, .jpeg, .bmp, and .tif/.tiff of one page or many, as office scanners
write them): each page recognised by `extractors.ocr`, the pages of a long scan a batch at a time."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from extractors.cells import Grid, Row
from extractors.exceptions import UnreadableFile
from extractors.inputs.pdf import PAGES_IN_MEMORY  # decoded pages held at once, as for a scanned PDF
from extractors.limits import check_image_pixels, current, over, pillow_bomb_to_limit

SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def _open(data: bytes, *, file: str) -> Any:
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    if not data:
        raise UnreadableFile("empty file", file=file)
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)  # our own limit is checked
    try:
        return Image.open(BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise pillow_bomb_to_limit(exc, file=file) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableFile(f"damaged or unknown image ({type(exc).__name__})", file=file) from None


def _upright(image: Any, *, file: str) -> np.ndarray:
    """The image's current frame as an upright RGB array (a camera's EXIF turn applied)."""
    from PIL import Image, ImageOps

    check_image_pixels(image.width, image.height, file=file)
    try:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except Image.DecompressionBombError as exc:
        raise pillow_bomb_to_limit(exc, file=file) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnreadableFile(f"damaged or unknown image ({type(exc).__name__})", file=file) from None


def file_to_image(data: bytes, *, file: str = "", page: int = 1) -> np.ndarray:
    """Image bytes to an upright RGB array of one of its pages (the first by default)."""
    with _open(data, file=file) as image:
        try:
            image.seek(page - 1)
        except (EOFError, OSError, ValueError):
            raise UnreadableFile(f"the image has no page {page}", file=file) from None
        return _upright(image, file=file)


def image_pages(data: bytes, *, file: str = "") -> Iterator[tuple[int, str, np.ndarray]]:
    """(page number, cache key, upright RGB array) of each page, the count checked against the
    page limit before any page is decoded."""
    limits = current()
    with _open(data, file=file) as image:
        count = getattr(image, "n_frames", 1)
        if count > limits.max_pdf_pages:
            raise over(limits, "max_pdf_pages", f"the image has {count:,} pages", file=file, unit="-page")
        digest = hashlib.sha256(data).hexdigest()
        for index in range(count):
            try:
                image.seek(index)
            except (EOFError, OSError) as exc:
                raise UnreadableFile(f"damaged image: page {index + 1} of {count} cannot be read "
                                     f"({type(exc).__name__})", file=file) from None
            yield index + 1, digest if count == 1 else f"{digest}:{index + 1}", _upright(image, file=file)


def read_image_grid(path: Path) -> Grid:
    from extractors.ocr import recognise_pages

    rows: list[Row] = []
    batch: list[tuple[int, str, np.ndarray]] = []
    pages = 0

    def recognise() -> None:
        numbers = [number for number, _, _ in batch]
        read = recognise_pages([(key, page) for _, key, page in batch], page_numbers=numbers,
                               workers=1 if pages == 1 else None)
        rows.extend(row for page_rows in read for row in page_rows)
        batch.clear()

    for page in image_pages(path.read_bytes(), file=path.name):
        batch.append(page)
        pages += 1
        if len(batch) == PAGES_IN_MEMORY:
            recognise()
    if batch:
        recognise()
    return Grid(file=path.name, kind="image", rows=rows, pages=pages)
