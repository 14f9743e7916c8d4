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
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


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
