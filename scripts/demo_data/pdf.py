"""Text-layer PDFs (reportlab, invariant mode: no creation date or random document ID)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .company import COMPANY

rl_config.invariant = 1  # no creation date / random document ID in generated PDFs


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body",
        parent=base["BodyText"],
        fontName="Helvetica",
        fontSize=10.5,
        leading=14.5,
        alignment=TA_JUSTIFY,
    )
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=20, leading=24
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontName="Helvetica-Oblique", textColor=colors.HexColor("#444444")
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base["Heading1"],
            fontName="Helvetica-Bold",
            fontSize=14,
            leading=18,
            spaceBefore=10,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base["Heading2"],
            fontName="Helvetica-Bold",
            fontSize=11.5,
            leading=15,
            spaceBefore=6,
            keepWithNext=1,
        ),
        "body": body,
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=16, bulletIndent=4, spaceBefore=1),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11, alignment=0),
        "cellhead": ParagraphStyle(
            "cellhead", parent=body, fontName="Helvetica-Bold", fontSize=9, leading=11, alignment=0
        ),
    }


def render_pdf(path: Path, title: str, subtitle: str, blocks: list[tuple], *, author: str) -> None:
    """A text-layer PDF with headings, paragraphs, bullet lists and ruled tables."""

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        return [s for item in value for s in strings(item)] if isinstance(value, list | tuple) else []

    for text in strings([title, subtitle, blocks]):
        text.encode("cp1252")  # the standard PDF fonts (Helvetica) only cover cp1252
    st = _styles()
    footer = f"{COMPANY}  \u00b7  {title}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(2 * cm, 1.2 * cm, footer)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
        canvas.restoreState()

    story: list = [
        Paragraph(escape(title), st["title"]),
        Paragraph(escape(subtitle), st["subtitle"]),
        Spacer(1, 8),
    ]
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2"):
            story.append(Paragraph(escape(block[1]), st[kind]))
        elif kind == "p":
            story.append(Paragraph(escape(block[1]), st["body"]))
            story.append(Spacer(1, 4))
        elif kind in ("ul", "ol"):
            for i, item in enumerate(block[1], start=1):
                bullet = "\u2022" if kind == "ul" else f"{i}."
                story.append(Paragraph(escape(item), st["bullet"], bulletText=bullet))
            story.append(Spacer(1, 4))
        elif kind == "table":
            rows, widths = block[1], block[2]
            data = [[Paragraph(escape(c), st["cellhead"]) for c in rows[0]]]
            data += [[Paragraph(escape(c), st["cell"]) for c in row] for row in rows[1:]]
            avail = A4[0] - 4 * cm
            col_widths = [w * avail for w in widths] if widths else None
            tbl = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
            tbl.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9E2EC")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("TOPPADDING", (0, 0), (-1, -1), 3),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ]
                )
            )
            heading = []  # keep a heading directly above the table on the same page
            if story and isinstance(story[-1], Paragraph) and story[-1].style.name in ("h1", "h2"):
                heading = [story.pop()]
            story.append(KeepTogether([*heading, tbl]) if len(rows) < 25 else tbl)
            story.append(Spacer(1, 8))
        elif kind == "break":
            story.append(PageBreak())
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=title,
        author=author,
        subject=subtitle,
        creator=f"{COMPANY} document control",
        invariant=1,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
