"""PDF pages to plausible office scans: slightly rotated, grey paper, sensor noise, JPEG artefacts.

`pdf_to_scans` writes one PNG per page and an image-only PDF of all pages (no text layer), so
the OCR path can be tested on input whose true content is known. The same seed gives the same
images and the same bytes. `SCAN_VARIANTS` names the conditions offices produce: pages fed
turned 90°, 180° or 270°, skewed 2–5°, scanned at 150 dpi, under uneven light, blurred, or
saved as heavy JPEG (a landscape page is a matter of rendering: `tests.material.build`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

PAPER_LEVEL = 244  # white paper scans a little grey
INK_LEVEL = 22  # black toner scans a little light
FIXED_DATE = time.gmtime(0)


@dataclass(frozen=True)
class ScanSettings:
    """How rough the scan is; checked when built so a bad value names itself."""

    dpi: int = 200
    max_rotation_deg: float = 1.0
    noise: float = 6.0
    blur: float = 0.6
    jpeg_quality: int = 70
    min_rotation_deg: float = 0.0     # each page is turned by at least this much, either way
    turn: int = 0                     # degrees clockwise the page was fed: 0, 90, 180 or 270
    light: float = 0.0                # grey levels the paper darkens by from its lightest to its darkest part
    jpeg_quality_high: int = 0        # when set, each page's JPEG quality is drawn from jpeg_quality to this

    def __post_init__(self) -> None:
        checks = {"dpi": (72 <= self.dpi <= 600, "72 to 600"),
                  "max_rotation_deg": (0 <= self.max_rotation_deg <= 10, "0 to 10"),
                  "min_rotation_deg": (0 <= self.min_rotation_deg <= self.max_rotation_deg, "0 to max_rotation_deg"),
                  "noise": (0 <= self.noise <= 64, "0 to 64 grey levels"),
                  "blur": (0 <= self.blur <= 3, "0 to 3 pixels"),
                  "jpeg_quality": (5 <= self.jpeg_quality <= 100, "5 to 100"),
                  "jpeg_quality_high": (self.jpeg_quality_high == 0 or self.jpeg_quality <= self.jpeg_quality_high <= 100,
                                        "0 (off) or jpeg_quality to 100"),
                  "turn": (self.turn in (0, 90, 180, 270), "0, 90, 180 or 270"),
                  "light": (0 <= self.light <= 160, "0 to 160 grey levels")}
        for name, (ok, allowed) in checks.items():
            if not ok:
                raise ValueError(f"{name}={getattr(self, name)!r}: allowed values are {allowed}")


@dataclass(frozen=True)
class ScanSet:
    """What `pdf_to_scans` wrote: the image-only PDF and one PNG per page, with each page's angle."""

    pdf: Path
    pages: list[Path]
    angles: list[float]


def pdf_to_greys(pdf_path: Path, dpi: int) -> list[np.ndarray]:
    """Each page rasterised to an 8-bit grey array."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        return [np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")).copy()
                for page in doc]
    finally:
        doc.close()


def rotate_grey(grey: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotated about the centre, same size, uncovered corners filled white."""
    h, w = grey.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    return cv2.warpAffine(grey, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def add_scanner_noise(grey: np.ndarray, rng: np.random.Generator, *, noise: float, blur: float) -> np.ndarray:
    """Soften, compress the range to grey paper and light toner, add gaussian noise."""
    soft: np.ndarray = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), blur) if blur > 0 else grey
    out = INK_LEVEL + soft.astype(np.float64) * (PAPER_LEVEL - INK_LEVEL) / 255
    if noise > 0:
        out = out + rng.normal(0.0, noise, size=out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def uneven_light(grey: np.ndarray, rng: np.random.Generator, *, light: float) -> np.ndarray:
    """Darkened towards one side and one corner, as a lid left open or a lamp at an angle does."""
    h, w = grey.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (xs / w - 0.5) * np.cos(direction) + (ys / h - 0.5) * np.sin(direction)
    corner = np.hypot(xs / w - rng.uniform(0, 1), ys / h - rng.uniform(0, 1))
    shade = 0.6 * (ramp - ramp.min()) / np.ptp(ramp) + 0.4 * corner / corner.max()
    return np.clip(grey.astype(np.float64) - light * shade, 0, 255).astype(np.uint8)


def turn_fed(grey: np.ndarray, degrees: int) -> np.ndarray:
    """The page as fed `degrees` clockwise."""
    return np.ascontiguousarray(np.rot90(grey, -(degrees // 90)))


def jpeg_roundtrip(grey: np.ndarray, quality: int) -> np.ndarray:
    """Encode as JPEG and decode again, keeping the block artefacts."""
    ok, data = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    return decoded


def scan_grey(grey: np.ndarray, rng: np.random.Generator, settings: ScanSettings) -> tuple[np.ndarray, float]:
    """One clean page to one scanned page and the angle it was turned by."""
    angle = float(rng.uniform(-settings.max_rotation_deg, settings.max_rotation_deg))
    if settings.min_rotation_deg:  # at least that far, either way
        angle = float(np.copysign(settings.min_rotation_deg + abs(angle) * (
            1 - settings.min_rotation_deg / settings.max_rotation_deg), angle))
    rough = add_scanner_noise(rotate_grey(grey, angle), rng, noise=settings.noise, blur=settings.blur)
    if settings.light:
        rough = uneven_light(rough, rng, light=settings.light)
    quality = settings.jpeg_quality
    if settings.jpeg_quality_high:
        quality = int(rng.integers(settings.jpeg_quality, settings.jpeg_quality_high + 1))
    return turn_fed(jpeg_roundtrip(rough, quality), settings.turn), angle


def greys_to_pdf(greys: list[np.ndarray], path: Path, *, dpi: int, quality: int) -> Path:
    """An image-only PDF, one page per image at the scan resolution, no text layer."""
    images = [Image.fromarray(g) for g in greys]
    images[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:],
                   quality=quality, title="scan", creationDate=FIXED_DATE, modDate=FIXED_DATE)
    return path


def pdf_to_scans(pdf_path: str | Path, out_dir: str | Path, *, name: str | None = None, dpi: int = 200,
                 max_rotation_deg: float = 1.0, noise: float = 6.0, blur: float = 0.6,
                 jpeg_quality: int = 70, seed: int = 0, settings: ScanSettings | None = None) -> ScanSet:
    """Scan every page of a PDF: `<name>-p1.png`, … and `<name>.pdf` (image-only) in out_dir.

    `name` defaults to `<pdf stem>-scan`. Each page is turned by its own angle drawn from
    ±max_rotation_deg; `noise` is the gaussian sigma in grey levels; `blur` the softening sigma
    in pixels. `settings` (e.g. one of `SCAN_VARIANTS`) replaces all of those when given.
    Deterministic given the seed.
    """
    settings = settings or ScanSettings(dpi=dpi, max_rotation_deg=max_rotation_deg, noise=noise, blur=blur,
                                        jpeg_quality=jpeg_quality)
    pdf_path, out_dir = Path(pdf_path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = name or f"{pdf_path.stem}-scan"
    rng = np.random.default_rng(seed)
    scans, angles, pages = [], [], []
    for number, grey in enumerate(pdf_to_greys(pdf_path, settings.dpi), start=1):
        scanned, angle = scan_grey(grey, rng, settings)
        page = out_dir / f"{name}-p{number}.png"
        Image.fromarray(scanned).save(page, dpi=(settings.dpi, settings.dpi), compress_level=1)
        scans.append(scanned)
        angles.append(angle)
        pages.append(page)
    if not scans:
        raise ValueError(f"{pdf_path} has no pages to scan")
    pdf = greys_to_pdf(scans, out_dir / f"{name}.pdf", dpi=settings.dpi, quality=settings.jpeg_quality)
    return ScanSet(pdf=pdf, pages=pages, angles=angles)


SCAN_VARIANTS: dict[str, ScanSettings] = {
    "straight-200dpi": ScanSettings(),
    "turned-90": ScanSettings(turn=90),
    "turned-180": ScanSettings(turn=180),
    "turned-270": ScanSettings(turn=270),
    "skewed-2-5": ScanSettings(min_rotation_deg=2.0, max_rotation_deg=5.0),
    "150dpi": ScanSettings(dpi=150),
    "uneven-light": ScanSettings(light=110.0),
    "blurred": ScanSettings(blur=1.4),
    "jpeg-35-45": ScanSettings(jpeg_quality=35, jpeg_quality_high=45),
}
