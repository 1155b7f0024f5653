"""Scanned pages drawn for the OCR tests: Chinese text on a white page, as PNG or as an image-only PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _image(lines: list[str], size: tuple[int, int] = (1400, 200), points: int = 64) -> object:
    from PIL import Image, ImageDraw, ImageFont

    if not FONT.exists():
        pytest.skip("no CJK font to draw the test scan with")
    image = Image.new("L", size, 255)
    font = ImageFont.truetype(str(FONT), points)
    for i, line in enumerate(lines):
        ImageDraw.Draw(image).text((40, 60 + i * points * 1.6), line, font=font, fill=0)
    return image


def text_png(text: str) -> bytes:
    buf = io.BytesIO()
    _image([text]).save(buf, format="PNG")  # type: ignore[attr-defined]
    return buf.getvalue()


def scan_pdf(pages: list[list[str]], footer_text: str = "- {} -") -> bytes:
    """An image-only PDF, one A4 page per list of lines, each page with a small real text footer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    for number, lines in enumerate(pages, start=1):
        image = _image(lines, (2480, 3508), 90)
        pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        pdf.setFont("STSong-Light", 9)
        pdf.drawCentredString(A4[0] / 2, 30, footer_text.format(number))
        pdf.showPage()
    pdf.save()
    return buf.getvalue()
