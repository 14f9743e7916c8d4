"""Inputs the pipeline must set aside with a reason: damaged, locked, empty, or holding no form."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate

from tests.material.render import WQY_PATH, Font, forms_to_pdf, register_font

NOTICE_TITLE = "关于开展2022年度项目支出绩效自评工作的通知"
NOTICE = ("各预算单位：根据《中华人民共和国预算法》和全面实施预算绩效管理的有关要求，现就做好2022年度"
          "项目支出绩效自评工作通知如下。各单位应对照年初设定的绩效目标，客观公正地评价项目资金使用和"
          "目标完成情况，如实填报绩效自评表，并于规定时间内报送。自评结果将作为改进管理和安排以后年度"
          "预算的重要依据。")
TRUNCATE_AT = 0.3  # share of a real PDF's bytes kept in broken.pdf


def truncated_pdf(source: Path, path: Path, *, keep: float = TRUNCATE_AT) -> Path:
    """The first part of a real PDF's bytes: a header and some objects, no page tree, no trailer."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def encrypted_pdf(forms: list[dict], path: Path, *, password: str = "secret") -> Path:
    """A real form PDF that opens only with a user password."""
    return forms_to_pdf(forms, path, encrypt=password)


def empty_pdf(path: Path) -> Path:
    """A well-formed PDF whose page tree has no pages, written byte by byte."""
    return raw_pdf(path, [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def prose_pdf(path: Path, *, font: Font = "wqy") -> Path:
    """A page of Chinese prose with no table: a PDF that is readable but holds no form."""
    name = register_font(font)
    title = ParagraphStyle("notice-title", fontName=name, fontSize=15, leading=22, alignment=1)
    body = ParagraphStyle("notice", fontName=name, fontSize=11, leading=18, wordWrap="CJK", firstLineIndent=22)
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm,
                            topMargin=25 * mm, bottomMargin=25 * mm, invariant=True)
    doc.build([Paragraph(NOTICE_TITLE, title), Paragraph(NOTICE, body)])
    return path


def prose_png(path: Path, *, width: int = 1240, size: int = 30) -> Path:
    """An image of Chinese prose with no table: a picture OCR can read that holds no form."""
    font = ImageFont.truetype(str(WQY_PATH), size, index=0)
    margin, leading = size * 2, int(size * 1.6)
    lines = wrap_to_width(NOTICE, font, width - 2 * margin)
    image = Image.new("L", (width, margin * 2 + leading * (len(lines) + 2)), color=250)
    draw = ImageDraw.Draw(image)
    draw.text((width // 2, margin), NOTICE_TITLE, font=font, fill=20, anchor="mt")
    for number, line in enumerate(lines, start=2):
        draw.text((margin, margin + leading * number), line, font=font, fill=20)
    image.save(path)
    return path


def wrap_to_width(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Cut text into lines no wider than width (CJK text may break between any two characters)."""
    lines = [""]
    for char in text:
        if lines[-1] and font.getlength(lines[-1] + char) > width:
            lines.append("")
        lines[-1] += char
    return lines


# -- hostile files: built byte by byte at test time, a few MB at most on disk ------------------------

LINE = b"A line of text long enough to be a text layer"
TEXT = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % LINE
HELVETICA = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"


def raw_pdf(path: Path, objects: list[bytes], *, trailer: bytes = b"/Root 1 0 R") -> Path:
    """A PDF of the given object bodies (object 1 first), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    path.write_bytes(bytes(out))
    return path


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def one_page_pdf(path: Path, content: bytes, *, size: tuple[float, float] = (595, 842),
                 resources: bytes = b"<< >>", extra: list[bytes] | None = None,
                 content_filter: bytes = b"") -> Path:
    """Catalog, pages, one page and its content stream (objects 1–4); `extra` objects follow as 5, 6, …"""
    return raw_pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources %s /Contents 4 0 R >>"
        % (size[0], size[1], resources),
        stream(content, content_filter),
        *(extra or []),
    ])


def huge_page_pdf(path: Path, *, points: float = 20_000) -> Path:
    """One square page `points` wide, with a line of text on it."""
    return one_page_pdf(path, b"BT /F1 12 Tf 72 72 Td (big page) Tj ET", size=(points, points),
                        resources=b"<< /Font << /F1 5 0 R >> >>",
                        extra=[b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])


def zlib_bomb(decoded: int, *, fill: bytes = b" ", chunk: int = 1 << 20) -> bytes:
    """A zlib stream that inflates to `decoded` bytes of `fill`, about a thousandth of that in size.

    One chunk is compressed once with a full flush (byte-aligned, no back reference across it)
    and repeated; the checksum is computed as zlib would, so the stream is valid to its end.
    """
    import zlib

    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = block.compress(fill * (chunk // len(fill))) + block.flush(zlib.Z_FULL_FLUSH)
    count = decoded // chunk
    adler = 1
    data = fill * (chunk // len(fill))
    for _ in range(count):
        adler = zlib.adler32(data, adler)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    return b"\x78\xda" + piece * count + end + adler.to_bytes(4, "big")


def bomb_pdf(path: Path, *, decoded: int = 5 << 30) -> Path:
    """One page whose content stream is flate-compressed and inflates to `decoded` bytes (5 GiB)."""
    return one_page_pdf(path, zlib_bomb(decoded), content_filter=b"/Filter /FlateDecode")


def operand_flood_pdf(path: Path, *, decoded: int = 16 << 20) -> Path:
    """One page whose content stream, a few KB compressed, is `decoded` bytes of "0 0 0 …" (millions of
    operands, no operator): within the stream limit, but minutes of parsing."""
    return one_page_pdf(path, zlib_bomb(decoded, fill=b"0 "), content_filter=b"/Filter /FlateDecode")


def xobject_loop_pdf(path: Path) -> Path:
    """A page with a line of text that draws a form XObject that draws itself."""
    return one_page_pdf(path, b"BT /F1 12 Tf 72 720 Td (%s) Tj ET /X0 Do" % LINE,
                        resources=b"<< /XObject << /X0 5 0 R >> /Font << /F1 6 0 R >> >>", extra=[
        stream(b"BT /F1 12 Tf 72 72 Td (loop) Tj ET /X0 Do",
               b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] "
               b"/Resources << /XObject << /X0 5 0 R >> /Font << /F1 6 0 R >> >>"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def page_tree_loop_pdf(path: Path) -> Path:
    """A page tree whose node lists itself among its kids, beside one page with a line of text."""
    return raw_pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 2 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents 4 0 R >>" % HELVETICA,
        stream(TEXT),
        b"<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 2 0 R] /Count 1 >>",
    ])


def deep_nesting_pdf(path: Path, *, depth: int = 100_000) -> Path:
    """Arrays nested `depth` deep, in the content stream before a line of text and as a page attribute."""
    nested = b"[" * depth + b"]" * depth
    return raw_pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents 4 0 R /Deep 5 0 R >>"
        % HELVETICA,
        stream(nested + b" pop " + TEXT),
        nested,
    ])


def many_pages_pdf(path: Path, *, pages: int = 2000, content: bytes = TEXT, resources: bytes = HELVETICA) -> Path:
    """`pages` pages sharing one content stream (a line of text): a long document in a small file."""
    first_page = 4
    kids = b" ".join(b"%d 0 R" % (first_page + n) for n in range(pages))
    return raw_pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        stream(content),
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents 3 0 R >>" % resources] * pages,
    ])


def blank_scan_pdf(path: Path, *, pages: int = 20) -> Path:
    """A scan of blank sheets: pages with no text layer and nothing drawn."""
    return many_pages_pdf(path, pages=pages, content=b"", resources=b"<< >>")


def huge_image_pdf(path: Path, *, side: int = 100_000) -> Path:
    """A page (with no text) that draws an image whose header claims `side`² pixels."""
    return one_page_pdf(path, b"q 595 0 0 842 0 0 cm /Im0 Do Q", resources=b"<< /XObject << /Im0 5 0 R >> >>",
                        extra=[stream(zlib_bomb(1 << 20, fill=b"\xff"),
                                      b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                                      b"/BitsPerComponent 8 /Filter /FlateDecode" % (side, side))])


def png_claiming(path: Path, width: int, height: int, *, bits: int = 1, rows: int | None = None) -> Path:
    """A grey PNG whose header says width × height; `rows` rows of white follow (all when None)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\xff" * ((width * bits + 7) // 8)
    packer = zlib.compressobj(9)
    written = height if rows is None else rows
    body = b"".join(packer.compress(row) for _ in range(written)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bits, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def unknown_filter_pdf(path: Path) -> Path:
    """One page whose content stream is compressed with a filter no reader knows."""
    return one_page_pdf(path, b"BT ET", content_filter=b"/Filter /NoSuchDecode")


def sparse_file(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of `size` bytes that takes almost no disk: `head`, then a hole the size of the rest."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


def sparse_xlsx(path: Path) -> Path:
    """A workbook of two cells, A1 (the title) and XFD1048576, the last cell a sheet can have: 5 KB
    on disk, 17 billion cells to a reader that walks the used range."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "财政项目支出绩效自评表"
    workbook.active["XFD1048576"] = "x"
    workbook.save(path)
    return path


def sparse_xls(path: Path) -> Path:
    """An old-format workbook of two cells, A1 and IV65536 (its last cell): 6 KB, 16.8 million cells."""
    import xlwt

    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("表1")
    sheet.write(0, 0, "财政项目支出绩效自评表")
    sheet.write(65535, 255, "x")
    workbook.save(str(path))
    return path


def zip_bomb_xlsx(path: Path, *, padding: int = 300 << 20) -> Path:
    """A real workbook whose sheet XML is padded with `padding` bytes of white space before its end
    tag: a few hundred KB zipped, hundreds of MB to parse. Written a megabyte at a time."""
    import zipfile

    import openpyxl

    plain = path.with_suffix(".plain.xlsx")
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "财政项目支出绩效自评表"
    workbook.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, data)
                continue
            head, end = data.rsplit(b"</worksheet>", 1)
            with target.open(info.filename, "w", force_zip64=True) as part:
                part.write(head)
                for _ in range(padding >> 20):
                    part.write(b" " * (1 << 20))
                part.write(b"</worksheet>" + end)
    plain.unlink()
    return path
