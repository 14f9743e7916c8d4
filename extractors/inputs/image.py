"""Page images (.png, .jpg, .jpeg): one scanned page, recognised by `extractors.ocr`."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np

from extractors.cells import Grid
from extractors.exceptions import UnreadableFile
from extractors.limits import check_image_pixels, pillow_bomb_to_limit


def file_to_image(data: bytes, *, file: str = "") -> np.ndarray:
    """Image bytes to an upright RGB array (a camera's EXIF turn applied)."""
    from io import BytesIO

    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise UnreadableFile("empty file", file=file)
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)  # our own limit is checked
    try:
        with Image.open(BytesIO(data)) as image:
            check_image_pixels(image.width, image.height, file=file)
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except Image.DecompressionBombError as exc:
        raise pillow_bomb_to_limit(exc, file=file) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableFile(f"damaged or unknown image ({type(exc).__name__})", file=file) from None


def read_image_grid(path: Path) -> Grid:
    from extractors.ocr import recognise_pages

    data = path.read_bytes()
    image = file_to_image(data, file=path.name)
    rows = recognise_pages([(hashlib.sha256(data).hexdigest(), image)], page_numbers=[1], workers=1)[0]
    return Grid(file=path.name, kind="image", rows=rows, pages=1)
