"""The certificate a partner earns: a PDF and a PNG with their name, the pack's title, the
date and a verification code, in a Unicode font so every name prints as written."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

# DejaVu covers the Latin letters of Indonesian names (and far more); Debian's
# fonts-dejavu-core puts it here
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
# no 0/O or 1/I/L: a code read aloud or typed from paper is not misread
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INK = (34, 49, 63)
ACCENT = (196, 120, 24)


class FontMissing(RuntimeError):
    """No Unicode font to print names with (install fonts-dejavu-core)."""


def font(name: str) -> Path:
    for base in FONT_DIRS:
        if (base / name).is_file():
            return base / name
    raise FontMissing(f"{name} not found in {', '.join(map(str, FONT_DIRS))}; "
                      "install fonts-dejavu-core")


def new_code() -> str:
    """A verification code like `K7QM-3XPA` (31^8: not guessable in practice)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


@dataclass(frozen=True)
class CertText:
    """What the certificate says, in the partner's language."""

    heading: str  # "Sertifikat"
    given_to: str  # "diberikan kepada"
    completed: str  # "atas keberhasilan menyelesaikan"
    name: str
    program: str
    issued: str  # the date in words
    code_line: str  # "Kode verifikasi: K7QM-3XPA"


def pdf(text: CertText) -> bytes:
    doc = FPDF(orientation="L", unit="mm", format="A4")
    doc.set_auto_page_break(False)
    doc.add_page()
    doc.add_font("DejaVu", "", str(font(REGULAR)))
    doc.add_font("DejaVu", "B", str(font(BOLD)))
    doc.set_draw_color(*ACCENT)
    doc.set_line_width(2)
    doc.rect(10, 10, 277, 190)
    doc.set_text_color(*INK)
    lines = ((text.heading, "B", 36, 40), (text.given_to, "", 16, 70),
             (text.name, "B", 32, 88), (text.completed, "", 16, 112),
             (text.program, "B", 22, 126), (text.issued, "", 14, 156),
             (text.code_line, "", 12, 176))
    for value, style, size, y in lines:
        doc.set_font("DejaVu", style, size)
        doc.set_xy(15, y)
        doc.cell(267, size * 0.5, value, align="C")
    return bytes(doc.output())


def png(text: CertText, width: int = 1600) -> bytes:
    height = width * 210 // 297
    img = Image.new("RGB", (width, height), (255, 253, 248))
    draw = ImageDraw.Draw(img)
    k = width / 297  # pixels per millimetre of the PDF's page
    draw.rectangle((10 * k, 10 * k, 287 * k, 200 * k), outline=ACCENT, width=int(2 * k))
    lines = ((text.heading, BOLD, 36, 40), (text.given_to, REGULAR, 16, 70),
             (text.name, BOLD, 32, 88), (text.completed, REGULAR, 16, 112),
             (text.program, BOLD, 22, 126), (text.issued, REGULAR, 14, 156),
             (text.code_line, REGULAR, 12, 176))
    for value, face, size, y in lines:
        typeface = ImageFont.truetype(str(font(face)), int(size * 0.3528 * k))  # pt to px
        box = draw.textbbox((0, 0), value, font=typeface)
        draw.text(((width - (box[2] - box[0])) / 2, y * k), value, font=typeface, fill=INK)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


MONTHS = {"id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
                 "September", "Oktober", "November", "Desember"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December")}


def date_words(day: date, lang: str) -> str:
    return f"{day.day} {MONTHS.get(lang, MONTHS['en'])[day.month - 1]} {day.year}"
