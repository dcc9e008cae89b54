"""The scanned document: rendered to images, "scanned" (tone, rotation, specks, blur, JPEG), saved as
an image-only PDF (hr/code-of-conduct-2019-scanned.pdf)."""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .company import MUNICH_ADDRESS, SWITCHBOARD_MUC

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SCAN_DPI = 200
SCAN_W, SCAN_H = 1654, 2339  # A4 at 200 dpi


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:  # fonts-dejavu missing: Pillow's built-in scalable font
        return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _signature(draw: ImageDraw.ImageDraw, x: int, y: int, rng: random.Random, width: int = 360) -> None:
    """A scribbled handwritten signature."""
    points = []
    for i in range(60):
        t = i / 59
        points.append(
            (
                x + t * width + rng.uniform(-6, 6),
                y + 28 * math.sin(t * 17 + rng.uniform(-0.4, 0.4)) * (1 - 0.5 * t) + rng.uniform(-5, 5),
            )
        )
    draw.line(points, fill=40, width=4, joint="curve")
    draw.line([(x + 20, y + 38), (x + width * 0.8, y + 30)], fill=60, width=3)


def _scan_page(spec: list[tuple], rng: random.Random, angle: float) -> Image.Image:
    """spec items: (kind, payload). Returns a grayscale 'scanned' page."""
    page = Image.new("L", (SCAN_W, SCAN_H), 255)
    draw = ImageDraw.Draw(page)
    fonts = {
        "letterhead": _font("DejaVuSans-Bold.ttf", 46),
        "address": _font("DejaVuSans.ttf", 24),
        "title": _font("DejaVuSerif-Bold.ttf", 52),
        "subtitle": _font("DejaVuSerif.ttf", 28),
        "head": _font("DejaVuSerif-Bold.ttf", 35),
        "para": _font("DejaVuSerif.ttf", 32),
        "small": _font("DejaVuSerif.ttf", 25),
        "hand": _font("DejaVuSerif-Italic.ttf", 34),
    }
    left, right = 170, SCAN_W - 170
    y = 150
    for kind, payload in spec:
        if kind == "rule":
            draw.line([(left, y), (right, y)], fill=30, width=3)
            y += 30
        elif kind == "gap":
            y += payload
        elif kind == "signatures":
            for i, (name, role) in enumerate(payload):
                x = left + i * 700
                _signature(draw, x + 10, y + 10, rng)
                draw.line([(x, y + 80), (x + 520, y + 80)], fill=30, width=2)
                draw.text((x, y + 92), name, font=fonts["small"], fill=20)
                draw.text((x, y + 126), role, font=fonts["small"], fill=20)
            y += 200
        elif kind == "stamp":
            stamp = Image.new("L", (560, 230), 255)
            sd = ImageDraw.Draw(stamp)
            sd.rectangle([4, 4, 555, 225], outline=90, width=6)
            for j, line in enumerate(payload):
                sd.text((30, 22 + j * 66), line, font=_font("DejaVuSans-Bold.ttf", 40), fill=90)
            stamp = stamp.rotate(-6, expand=True, fillcolor=255)
            page.paste(stamp, (980, y), mask=stamp.point(lambda v: 255 if v < 200 else 0))
            y += stamp.height + 20
        else:
            font = fonts[kind]
            for line in _wrap(draw, payload, font, right - left):
                draw.text((left, y), line, font=font, fill=25 if kind != "hand" else 55)
                y += int(font.size * 1.42)
            y += 14 if kind in ("para", "small") else 8
    if y > SCAN_H - 120:
        raise ValueError(f"scanned page overflows: y={y}")

    # Paper tone: smooth low-frequency variation, slightly darker towards one edge.
    tone = Image.new("L", (12, 17))
    tone.putdata([int(238 + rng.uniform(-5, 5)) for _ in range(12 * 17)])
    tone = tone.resize((SCAN_W, SCAN_H), Image.Resampling.BICUBIC)
    paper = Image.composite(tone, page, page.point(lambda v: 255 if v > 200 else 0))
    # Specks and a faint scanner streak.
    draw = ImageDraw.Draw(paper)
    for _ in range(450):
        x, yy = rng.randrange(SCAN_W), rng.randrange(SCAN_H)
        r = rng.choice([1, 1, 1, 2, 2, 3])
        draw.ellipse([x - r, yy - r, x + r, yy + r], fill=rng.randrange(70, 180))
    streak_x = rng.randrange(300, SCAN_W - 300)
    draw.line([(streak_x, 0), (streak_x, SCAN_H)], fill=225, width=2)
    paper = paper.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=200)
    return paper.filter(ImageFilter.GaussianBlur(0.7))


def code_of_conduct_scan(out: Path) -> None:
    letterhead = [
        ("letterhead", "NORTHWIND ROBOTICS GmbH"),
        ("address", f"{MUNICH_ADDRESS}  ·  Tel. {SWITCHBOARD_MUC}  ·  HRB 214789 Amtsgericht München"),
        ("rule", None),
    ]
    page1 = letterhead + [
        ("gap", 20),
        ("title", "CODE OF CONDUCT"),
        ("subtitle", "Edition 2019  ·  Document CoC-2019  ·  Version 1.3  ·  Issued 11 March 2019"),
        ("gap", 30),
        ("head", "1. Purpose and scope"),
        (
            "para",
            "This Code of Conduct sets out the standards of behaviour that Northwind Robotics expects from "
            "all managing directors, employees, temporary staff and interns at the Munich and Leipzig sites. "
            "It enters into force on 1 April 2019 and replaces the Guidelines for Business Conduct of 2016.",
        ),
        ("head", "2. Gifts and hospitality"),
        (
            "para",
            "Employees may accept gifts from business partners only up to a value of EUR 40 per occasion. "
            "The total value of gifts received from one business partner must not exceed EUR 150 per "
            "calendar year. Cash, vouchers and gift cards must never be accepted, regardless of their value.",
        ),
        (
            "para",
            "Invitations to events such as sports matches, concerts or trade fair evenings with a "
            "value above "
            "EUR 100 require prior written approval by your manager and the compliance officer. Every gift "
            "or invitation above EUR 25 must be entered in the gift register within 5 working days. Gifts "
            "to public officials are not permitted at all.",
        ),
        ("head", "3. Conflicts of interest"),
        (
            "para",
            "Secondary employment must be notified to HR in writing at least 4 weeks before it begins. "
            "Shareholdings of more than 2 percent in a supplier, customer or competitor must be disclosed to "
            "the compliance officer. Nobody may take part in a hiring or purchasing decision that concerns "
            "a close relative or partner.",
        ),
    ]
    page2 = letterhead + [
        ("gap", 20),
        ("head", "4. Fair competition and anti-corruption"),
        (
            "para",
            "We never agree prices, territories or customers with competitors. Conversations with "
            "competitors at trade fairs or association meetings are limited to general topics and are "
            "documented in a short note to the compliance officer. Facilitation payments are prohibited.",
        ),
        ("head", "5. Confidentiality and company property"),
        (
            "para",
            "Technical drawings, source code, customer layouts and prices are trade secrets. They may only "
            "be shared with customers and suppliers who have signed a non-disclosure agreement. Company "
            "property is to be treated with care and used for business purposes.",
        ),
        ("head", "6. Safety first"),
        (
            "para",
            "Nobody may disable, bridge or bypass the safety functions of a robot, such as the emergency "
            "stop or the laser scanner protective fields. Every accident and every near miss must be "
            "reported to the safety officer (extension 3112) within 24 hours.",
        ),
        ("head", "7. Reporting concerns"),
        (
            "para",
            "Concerns about possible breaches of this Code can be raised with your manager, with HR or "
            "directly with the compliance officer, Stefan Maurer (extension 2150). Reports are treated "
            "confidentially. Breaches of this Code can lead to disciplinary measures up to termination.",
        ),
    ]
    page3 = letterhead + [
        ("gap", 20),
        ("head", "8. Adoption"),
        (
            "para",
            "The management board adopted this Code of Conduct on 11 March 2019. It is handed to every "
            "employee and to every new hire on the first working day. Managers explain it to their teams "
            "by 30 June 2019.",
        ),
        ("gap", 10),
        ("para", "Munich, 11 March 2019"),
        ("gap", 40),
        (
            "signatures",
            [("Dr. Katharina Brandt", "Managing Director (CEO)"), ("Tobias Lenz", "Managing Director (CTO)")],
        ),
        ("gap", 40),
        ("stamp", ["RECEIVED", "People & HR", "13 MAR 2019"]),
        ("gap", 20),
        ("hand", "Copy sent to Leipzig site on 14.03.2019 - S.K."),
    ]
    rng = random.Random(2019)
    pages = [_scan_page(spec, rng, angle) for spec, angle in ((page1, 0.45), (page2, -0.6), (page3, 0.3))]
    stamp = time.strptime("2019-03-13 10:24:00", "%Y-%m-%d %H:%M:%S")
    pages[0].save(
        out / "code-of-conduct-2019-scanned.pdf",
        save_all=True,
        append_images=pages[1:],
        resolution=SCAN_DPI,
        quality=55,
        title="Scan 2019-03-13 10:24",
        author="KM-C458 Scanner, HR Munich",
        creator="KM-C458 Scanner",
        producer="Scan2PDF",
        creationDate=stamp,
        modDate=stamp,
    )
