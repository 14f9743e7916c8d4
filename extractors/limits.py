"""What reading one file may cost: the limits, one validated settings object, and their checks.

Each limit has a default a real form never reaches, can be changed through the environment
(`SELFEVAL_MAX_PAGE_PT=8000`), and is checked before the step it guards: the file's size before
it is read, a PDF's page count before its pages are parsed, a page's size before it is rendered,
an image's pixels before they are decoded, and every PDF stream while it is inflated. A file over
a limit is rejected with a reason that names the limit and its setting. The seconds per file and
the resident memory per worker are enforced by the run (`flows.workers`), which ends a worker that
passes them.

Every `SELFEVAL_MAX_*` variable is one of these limits: a run builds them once when it starts
(`flows.settings.Settings.limits`), so a bad value or an unknown name stops it there, and
`in_force` makes them the limits of the files it reads, wherever they are read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from extractors.exceptions import LimitExceeded, SettingsError, UnreadableFile

ENV_PREFIX = "SELFEVAL_"
MiB = 1 << 20
TEXT_SUFFIXES = (".txt", ".tsv", ".csv", ".html", ".htm")  # read whole into memory, ~15× their size
_UNITS = {"": 1, "K": 1 << 10, "M": MiB, "G": 1 << 30}


def _byte_count(value: Any) -> Any:
    """`268435456`, `256M`, `256MiB` or `2G` to bytes; anything else is left for the validator."""
    if not isinstance(value, str):
        return value
    text = value.strip().upper().removesuffix("IB").removesuffix("B")
    unit = text[-1:] if text[-1:] in _UNITS else ""
    number = text[: len(text) - len(unit)].strip()
    return int(float(number) * _UNITS[unit]) if number.replace(".", "", 1).isdigit() else value


Bytes = Annotated[int, BeforeValidator(_byte_count)]


class Limits(BaseModel):
    """One file's budget; the environment variable of a field is `SELFEVAL_` + its name upper-cased."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_file_bytes: Bytes = Field(256 * MiB, ge=1, le=1 << 40, description="bytes per file, before reading")
    max_text_bytes: Bytes = Field(64 * MiB, ge=1, le=1 << 40,
                                  description="bytes per text dump or web page (read, they take ~15× that in memory)")
    max_pdf_pages: int = Field(1000, ge=1, le=1_000_000, description="pages per PDF, before parsing them")
    max_page_pt: float = Field(5000.0, ge=72, le=14_400, description="a page's longer side in points (1/72 inch)")
    max_page_pixels: int = Field(60_000_000, ge=1_000_000, le=2_000_000_000,
                                 description="pixels of a scanned page rendered for recognition")
    max_image_pixels: int = Field(80_000_000, ge=1_000_000, le=2_000_000_000,
                                  description="pixels per image, from its header, before decoding")
    max_stream_bytes: Bytes = Field(64 * MiB, ge=MiB, le=1 << 40,
                                    description="one PDF stream, inflated (a whole embedded CJK font is 10–20 MiB)")
    max_content_bytes: Bytes = Field(4 * MiB, ge=64 << 10, le=1 << 40,
                                     description="a PDF page's drawing instructions, inflated, before they are parsed "
                                                 "(a dense form page has about 0.1 MiB; pdfminer parses ~1 MiB/s)")
    max_decoded_bytes: Bytes = Field(512 * MiB, ge=MiB, le=1 << 40,
                                     description="all PDF streams of one file, inflated")
    max_sheet_cells: int = Field(2_000_000, ge=1000, le=20_000_000_000,
                                 description="cells of a spreadsheet's used range, before it is read")
    max_unzipped_bytes: Bytes = Field(256 * MiB, ge=MiB, le=1 << 40,
                                      description="a zip-based file's (.xlsx, .docx) parts, unzipped, by its directory")
    max_seconds_per_file: float = Field(120.0, gt=0, le=86_400,
                                        description="seconds reading one file may take (enforced by the run)")
    max_worker_mb: int = Field(2048, ge=256, le=1 << 20,
                               description="MB resident in a worker reading files, with the processes it started "
                                           "(enforced by the run)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **values: Any) -> Limits:
        """Limits from `SELFEVAL_MAX_*` variables, then keyword values; a bad one, or a variable
        of that prefix that names no limit, is named."""
        environ = os.environ if environ is None else environ
        unknown = sorted(k for k in environ if k.startswith(ENV_PREFIX + "MAX_") and k not in _ENV_NAMES)
        if unknown:
            raise SettingsError(f"no limit {unknown[0]}; the limits are {', '.join(_ENV_NAMES)}", field=unknown[0])
        merged: dict[str, Any] = {name: environ[env_name(name)] for name in cls.model_fields if env_name(name) in environ}
        merged.update({k: v for k, v in values.items() if v is not None})
        try:
            return cls(**merged)
        except ValidationError as exc:
            raise _bad_setting(exc) from None


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


_ENV_NAMES = [env_name(name) for name in Limits.model_fields]
_IN_FORCE: ContextVar[Limits | None] = ContextVar("limits_in_force", default=None)


def current() -> Limits:
    """The limits of the file being read: those a run put in force, else the environment's."""
    return _IN_FORCE.get() or Limits.from_env()


@contextmanager
def in_force(limits: Limits) -> Iterator[Limits]:
    """Make `limits` the ones every check uses, in this thread or task, until the block ends."""
    token = _IN_FORCE.set(limits)
    try:
        yield limits
    finally:
        _IN_FORCE.reset(token)


def _bad_setting(exc: ValidationError) -> SettingsError:
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    field = Limits.model_fields.get(name)
    if field is None:
        return SettingsError(f"no limit {name!r}; limits: {', '.join(map(env_name, Limits.model_fields))}",
                             field=name)
    low = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None),
               next((m.gt for m in field.metadata if getattr(m, "gt", None) is not None), None))
    high = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), None)
    return SettingsError(f"bad setting {env_name(name)}={error.get('input')!r}: {error['msg']}; "
                         f"allowed: {low:g} to {high:g} ({field.description})", field=env_name(name))


def over(limits: Limits, field: str, what: str, *, file: str = "", unit: str = "") -> LimitExceeded:
    """The rejection for `what` being over the limit `field`, which names its setting."""
    return LimitExceeded(f"{what}, over the {limit_text(limits, field, unit)}", file=file, limit=env_name(field))


def limit_text(limits: Limits, field: str, unit: str = "") -> str:
    """`5000 pt limit (SELFEVAL_MAX_PAGE_PT)`: the limit's value and the setting that changes it."""
    value = getattr(limits, field)
    shown = (size_text(value) if unit == "bytes" else f"{value:g}{unit}" if isinstance(value, float)
             else f"{value:,}{unit}")
    return f"{shown} limit ({env_name(field)})"


def size_text(count: float) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:,.1f} {unit}".replace(".0 ", " ")
    return f"{count:,.0f} bytes"


# -- the checks, each called with one line before the step it guards ---------------------------------

def check_file_size(path: Path, limits: Limits | None = None) -> None:
    """Any file: its size on disk (none is empty) before a reader opens it, and a zip's parts as its
    directory lists them.

    Python's zipfile inflates a part no further than the size the directory gives it, so checking
    those sizes bounds what a workbook or document can unzip to.
    """
    limits = limits or current()
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile("empty file (0 bytes)", file=path.name)
    if size > limits.max_file_bytes:
        raise over(limits, "max_file_bytes", f"the file is {size_text(size)}", file=path.name, unit="bytes")
    if path.suffix.lower() in TEXT_SUFFIXES and size > limits.max_text_bytes:
        raise over(limits, "max_text_bytes", f"the file is {size_text(size)}", file=path.name, unit="bytes")
    unzipped = _unzipped_size(path)
    if unzipped > limits.max_unzipped_bytes:
        raise over(limits, "max_unzipped_bytes", f"the file's zipped parts unzip to {size_text(unzipped)}",
                   file=path.name, unit="bytes")


def _unzipped_size(path: Path) -> int:
    """The sum of a zip's parts' sizes from its directory; 0 for a file that is no zip."""
    import zipfile

    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            return 0
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0  # the reader names the damage


def check_sheet_cells(rows: int, columns: int, sheet: str, *, file: str = "", limits: Limits | None = None) -> None:
    """A sheet's used range (A1 to its last cell), before its cells are read one by one."""
    limits = limits or current()
    if rows * columns > limits.max_sheet_cells:
        raise over(limits, "max_sheet_cells", f"sheet {sheet!r} spans {rows:,} rows × {columns:,} columns",
                   file=file, unit="-cell")


def read_text_bytes(path: Path, limits: Limits | None = None) -> bytes:
    """A text dump's bytes, never more than the limit, even if the file grows while it is read."""
    limits = limits or current()
    cap = limits.max_text_bytes
    with path.open("rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        size = max(path.stat().st_size, len(data))
        raise over(limits, "max_text_bytes", f"a text dump of {size_text(size)}", file=path.name, unit="bytes")
    return data


def check_page_points(width: float, height: float, page: int, *, file: str = "",
                      limits: Limits | None = None) -> None:
    """A PDF page's size, read from its MediaBox before its content is parsed or rendered."""
    limits = limits or current()
    if max(width, height) > limits.max_page_pt:
        raise over(limits, "max_page_pt", f"page {page} is {width:.0f}×{height:.0f} pt", file=file, unit=" pt")


def check_page_pixels(width: float, height: float, page: int, *, dpi: float, file: str = "",
                      limits: Limits | None = None) -> None:
    """A scanned page's pixels at the render resolution, before it is rendered."""
    limits = limits or current()
    columns, rows = round(width * dpi / 72), round(height * dpi / 72)
    if columns * rows > limits.max_page_pixels:
        raise over(limits, "max_page_pixels", f"page {page} is {columns:,}×{rows:,} pixels at {dpi:g} dpi",
                   file=file, unit="-pixel")


def check_page_content(page: Any, number: int, *, file: str = "", limits: Limits | None = None) -> None:
    """A PDF page's content streams, inflated (within the stream limits) but not yet parsed.

    pdfminer parses drawing instructions at about a megabyte a second, so a page of millions of
    operands is rejected here rather than parsed for minutes.
    """
    from pdfminer.pdftypes import resolve1, stream_value

    limits = limits or current()
    size = sum(len(stream_value(part).get_data()) for part in resolve1(page.page_obj.contents) or [])
    if size > limits.max_content_bytes:
        raise over(limits, "max_content_bytes", f"page {number}'s drawing instructions are {size_text(size)}",
                   file=file, unit="bytes")


def check_image_pixels(width: int, height: int, *, file: str = "", limits: Limits | None = None) -> None:
    """An image's size, from its header, before its pixels are decoded."""
    limits = limits or current()
    if width * height > limits.max_image_pixels:
        raise over(limits, "max_image_pixels", f"the image is {width:,}×{height:,} pixels", file=file,
                   unit="-pixel")


def pillow_bomb_to_limit(exc: Exception, *, file: str = "", limits: Limits | None = None) -> LimitExceeded:
    """Pillow's own guard (twice its MAX_IMAGE_PIXELS) fired before ours: the same limit, named as ours."""
    limits = limits or current()
    pixels = next((int(n) for n in re.findall(r"\((\d+) pixels\)", str(exc))), 0)
    if pixels > limits.max_image_pixels:
        return over(limits, "max_image_pixels", f"the image is {pixels:,} pixels", file=file, unit="-pixel")
    return LimitExceeded(f"the image is {pixels:,} pixels, over Pillow's decompression-bomb guard", file=file)


def check_pdf_pages(document: Any, *, file: str = "", limits: Limits | None = None) -> None:
    """A PDF's page count, walking its page tree no further than the limit, before any page is parsed."""
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdftypes import resolve1

    limits = limits or current()
    if sum(1 for _ in islice(PDFPage.create_pages(document), limits.max_pdf_pages + 1)) <= limits.max_pdf_pages:
        return
    declared = resolve1(resolve1(document.catalog.get("Pages")).get("Count"))
    count = f"{declared:,}" if isinstance(declared, int) and declared > limits.max_pdf_pages else "more than"
    raise over(limits, "max_pdf_pages", f"the PDF has {count} pages" if count != "more than" else
               f"the PDF has more than {limits.max_pdf_pages:,} pages", file=file, unit="-page")
