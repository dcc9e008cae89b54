"""Generate the DocQA demo document set for the fictional company Northwind Robotics GmbH.

Run from the project root::

    .venv/bin/python scripts/make_demo_data.py

Writes 26 files into ``data/docs/`` (hr, finance, engineering, it-security, general). The output is
deterministic: fixed dates, fixed random seeds, PDF "invariant" mode and normalised ZIP timestamps, so
re-running produces byte-identical files. Everything is fictional and free to redistribute.

``data/acl.yaml``, ``data/users.yaml`` and ``data/README.md`` are maintained by hand next to the output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import re
import shutil
import textwrap
import time
import zipfile
from email.message import EmailMessage
from email.policy import SMTPUTF8
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pptx import Presentation
from pptx.dml.color import RGBColor as PptxRGB
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.util import Inches
from pptx.util import Pt as PptxPt
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

rl_config.invariant = 1  # no creation date / random document ID in generated PDFs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "data" / "docs"

COMPANY = "Northwind Robotics GmbH"
DOMAIN = "northwind-robotics.example"
MUNICH_ADDRESS = "Friedenstraße 22, 81671 München"
LEIPZIG_ADDRESS = "Torgauer Straße 231, 04347 Leipzig"
SWITCHBOARD_MUC = "+49 89 5508 2000"
SWITCHBOARD_LEJ = "+49 341 7713 500"
SERVICE_DESK_EXT = "4357"
SERVICE_DESK_PHONE = "+49 89 5508 24357"
SECURITY_HOTLINE = "+49 89 5508 24999"

# Headcount on 30 June 2025 by department and site. Used by several documents so they agree.
HEADCOUNT = [
    # department, cost centre, Munich, Leipzig
    ("Software Engineering", "CC-2100", 78, 22),
    ("Hardware & Production", "CC-3100", 12, 58),
    ("Customer Service & Field Ops", "CC-3300", 14, 26),
    ("Sales & Marketing", "CC-4100", 34, 4),
    ("Product Management", "CC-2300", 11, 1),
    ("Finance", "CC-1200", 9, 2),
    ("People & HR", "CC-1300", 7, 3),
    ("IT & Security", "CC-1400", 9, 3),
    ("Management & Legal", "CC-1100", 13, 2),
]
HEADCOUNT_MUC = sum(row[2] for row in HEADCOUNT)
HEADCOUNT_LEJ = sum(row[3] for row in HEADCOUNT)
HEADCOUNT_TOTAL = HEADCOUNT_MUC + HEADCOUNT_LEJ

ZIP_STAMP = (2025, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------------------------------
# A tiny document model: a list of blocks, rendered to PDF, DOCX, Markdown or HTML.
# --------------------------------------------------------------------------------------------------


def h1(text: str) -> tuple:
    return ("h1", text)


def h2(text: str) -> tuple:
    return ("h2", text)


def p(text: str) -> tuple:
    return ("p", " ".join(text.split()))


def ul(*items: str) -> tuple:
    return ("ul", [" ".join(item.split()) for item in items])


def ol(*items: str) -> tuple:
    return ("ol", [" ".join(item.split()) for item in items])


def table(rows: list[list[str]], widths: list[float] | None = None) -> tuple:
    return ("table", [[str(cell) for cell in row] for row in rows], widths)


def brk() -> tuple:
    return ("break",)


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


def _core_props(props: Any, *, title: str, author: str, stamp: dt.datetime) -> None:
    props.title = title
    props.author = author
    props.last_modified_by = author
    props.created = stamp
    props.modified = stamp
    props.revision = 1
    props.comments = "Fictional demo document generated by scripts/make_demo_data.py"


def normalize_zip(path: Path, stamp: dt.datetime) -> None:
    """Rewrite an OOXML container with fixed ZIP timestamps and fixed core-property dates."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(
                        rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{iso}\g<2>", text
                    )
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=ZIP_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())


def render_docx(
    path: Path, title: str, subtitle: str, blocks: list[tuple], *, author: str, stamp: dt.datetime
) -> None:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    section = doc.sections[0]
    section.header.paragraphs[0].text = f"{COMPANY} \u2013 {title}"
    section.footer.paragraphs[0].text = "Internal \u2013 fictional demo document"
    doc.add_heading(title, 0)
    meta = doc.add_paragraph()
    run = meta.add_run(subtitle)
    run.italic = True
    run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            doc.add_heading(block[1], level=1)
        elif kind == "h2":
            doc.add_heading(block[1], level=2)
        elif kind == "p":
            para = doc.add_paragraph(block[1])
            para.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        elif kind in ("ul", "ol"):
            style = "List Bullet" if kind == "ul" else "List Number"
            for item in block[1]:
                doc.add_paragraph(item, style=style)
        elif kind == "table":
            rows = block[1]
            tbl = doc.add_table(rows=len(rows), cols=len(rows[0]))
            tbl.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    cell = tbl.cell(r, c)
                    cell.text = value
                    if r == 0:
                        for run in cell.paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph()
        elif kind == "break":
            doc.add_page_break()
    _core_props(doc.core_properties, title=title, author=author, stamp=stamp)
    doc.save(str(path))
    normalize_zip(path, stamp)


def _md_table(rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(rows[0]), "|" + "|".join("---" for _ in rows[0]) + "|"]
    out += [line(row) for row in rows[1:]]
    return "\n".join(out)


def render_md(path: Path, title: str, subtitle: str, blocks: list[tuple]) -> None:
    out = [f"# {title}", "", f"_{subtitle}_", ""]
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out += [f"## {block[1]}", ""]
        elif kind == "h2":
            out += [f"### {block[1]}", ""]
        elif kind == "p":
            out += [block[1], ""]
        elif kind == "ul":
            out += [f"- {item}" for item in block[1]] + [""]
        elif kind == "ol":
            out += [f"{i}. {item}" for i, item in enumerate(block[1], start=1)] + [""]
        elif kind == "table":
            out += [_md_table(block[1]), ""]
        elif kind == "code":
            out += ["```" + block[2], block[1].strip("\n"), "```", ""]
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


def code(text: str, lang: str = "bash") -> tuple:
    return ("code", text, lang)


HTML_CSS = """
body { font-family: Arial, Helvetica, sans-serif; max-width: 920px; margin: 2em auto;
       color: #222; line-height: 1.45; }
header { border-bottom: 3px solid #1f4e79; margin-bottom: 1.5em; }
h1 { color: #1f4e79; } h2 { color: #1f4e79; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border: 1px solid #888; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #d9e2ec; }
footer { margin-top: 3em; font-size: 0.85em; color: #666; border-top: 1px solid #ccc; }
"""


def render_html(path: Path, title: str, subtitle: str, blocks: list[tuple]) -> None:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title)} \u2013 {escape(COMPANY)}</title>",
        f"<style>{HTML_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f'<p class="company">{escape(COMPANY)} \u00b7 Intranet</p>',
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta"><em>{escape(subtitle)}</em></p>',
        "</header>",
        "<main>",
    ]
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out.append(f"<h2>{escape(block[1])}</h2>")
        elif kind == "h2":
            out.append(f"<h3>{escape(block[1])}</h3>")
        elif kind == "p":
            out.append(f"<p>{escape(block[1])}</p>")
        elif kind in ("ul", "ol"):
            out.append(f"<{kind}>")
            out += [f"  <li>{escape(item)}</li>" for item in block[1]]
            out.append(f"</{kind}>")
        elif kind == "table":
            rows = block[1]
            out.append("<table>")
            out.append("  <thead><tr>" + "".join(f"<th>{escape(c)}</th>" for c in rows[0]) + "</tr></thead>")
            out.append("  <tbody>")
            for row in rows[1:]:
                out.append("    <tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
            out.append("  </tbody>")
            out.append("</table>")
        elif kind == "code":
            out.append(f"<pre><code>{escape(block[1].strip())}</code></pre>")
    out += [
        "</main>",
        f"<footer>{escape(COMPANY)} \u00b7 {escape(MUNICH_ADDRESS)} \u00b7 fictional demo content</footer>",
        "</body>",
        "</html>",
    ]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def write_xlsx(
    path: Path, sheets: list[tuple[str, list[list], list[int]]], *, title: str, stamp: dt.datetime
) -> None:
    """sheets: (name, rows with the header first, column widths)."""
    wb = Workbook()
    wb.remove(wb.active)
    header_fill = PatternFill("solid", fgColor="D9E2EC")
    for name, rows, widths in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    cell.number_format = (
                        "0.0%" if isinstance(cell.value, float) and abs(cell.value) < 1 else "#,##0"
                    )
                elif isinstance(cell.value, str) and len(cell.value) > 40:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    wb.properties.title = title
    wb.properties.creator = COMPANY
    wb.properties.lastModifiedBy = COMPANY
    wb.properties.created = stamp
    wb.save(str(path))
    normalize_zip(path, stamp)


def reflow(body: str, width: int = 74) -> str:
    """Wrap an e-mail body like a mail client: paragraphs and list items at ``width`` characters."""
    out = []
    for para in body.strip("\n").split("\n\n"):
        lines = para.split("\n")
        if all(len(line) <= width for line in lines):
            out.append(para)
        elif any(line.startswith(" ") or re.match(r"(\d+\.|-) ", line) for line in lines):
            items: list[str] = []
            for line in lines:
                if re.match(r"\s*(\d+\.|-) ", line) or not items or line.startswith("    "):
                    items.append(line)
                else:
                    items[-1] += " " + line.strip()
            wrapped = []
            for item in items:
                indent = " " * len(re.match(r"\s*(?:(?:\d+\.|-)\s)?", item).group(0))
                if item.startswith("    "):  # preformatted line
                    wrapped.append(item)
                else:
                    wrapped.append(
                        textwrap.fill(item, width, subsequent_indent=indent, break_on_hyphens=False)
                    )
            out.append("\n".join(wrapped))
        else:
            out.append(textwrap.fill(" ".join(para.split()), width, break_on_hyphens=False))
    return "\n\n".join(out)


def write_eml(
    path: Path,
    *,
    sender: str,
    to: str,
    subject: str,
    date: str,
    message_id: str,
    body: str,
    attachments: list[tuple[str, str, str, bytes]] = (),
    cc: str | None = None,
) -> None:
    """attachments: (filename, maintype, subtype, data)."""
    msg = EmailMessage(policy=SMTPUTF8)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = message_id
    msg["X-Mailer"] = "Northwind Mail Gateway 4.2"
    msg.set_content(reflow(body) + "\n", cte="8bit")
    for filename, maintype, subtype, data in attachments:
        if maintype == "text":  # readable in the raw file
            msg.add_attachment(data.decode("ascii"), subtype=subtype, filename=filename, cte="7bit")
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if msg.is_multipart():
        msg.set_boundary("=_northwind_" + re.sub(r"[^a-z0-9]", "", message_id.lower())[:24])
    path.write_bytes(msg.as_bytes())


# --------------------------------------------------------------------------------------------------
# HR
# --------------------------------------------------------------------------------------------------


def staff_handbook(out: Path) -> None:
    blocks = [
        h1("1. Welcome to Northwind Robotics"),
        p(f"""Welcome aboard. This handbook explains how we work together at {COMPANY}: working time,
        time off, pay, learning, equipment and the rules that keep our colleagues, customers and robots safe.
        It applies to all employees at both sites, Munich and Leipzig, unless a works agreement
        (Betriebsvereinbarung) or your individual contract says otherwise; in that case the works agreement
        or the contract takes precedence. Specific topics such as remote work, parental leave, expenses,
        travel, passwords and acceptable use of IT are governed by separate policies, which you find on the
        intranet and in the document assistant."""),
        p("""This is version 2024.1 of the handbook, issued on 15 January 2024 by the People & HR team and
        agreed with the works council on 9 January 2024. It replaces version 2022.2. If anything in here is
        unclear, ask your HR business partner before you act on your own interpretation."""),
        h1("2. About the company"),
        p("""Northwind Robotics was founded in 2014 in Munich by Dr. Katharina Brandt (CEO) and Tobias Lenz
        (CTO). We build autonomous mobile robots for warehouses and factories, the NW-200 "Carrier" and the
        NW-600 "Lifter", and the cloud software FleetOS that plans their missions. Our headquarters in Munich
        houses software engineering, product management, sales and the central functions. The Leipzig site,
        opened in 2018, is home to assembly and production, the customer service centre and field operations.
        Andrea Vogel (COO) is the site lead in Leipzig."""),
        p("""At the end of 2023 our customers ran more than 140 warehouses in 11 countries with our
        robots. Every robot we ship is someone's colleague on a warehouse floor, which is why safety,
        quality and honest communication come first in everything we do."""),
        h1("3. Working time"),
        h2("3.1 Regular hours and core hours"),
        p("""The regular working time for full-time employees is 40 hours per week, Monday to Friday.
        Part-time arrangements are agreed individually in writing. We work with flexible working time:
        you can start between 07:00 and 10:00 and finish between 15:00 and 20:00, as long as you are available
        during core hours. Core hours are 10:00 to 15:00 from Monday to Thursday and 10:00 to 13:00 on
        Fridays. Production and field service staff in Leipzig work in shifts according to the shift plan
        published two weeks in advance; core hours do not apply to them."""),
        h2("3.2 Time recording and flexitime account"),
        p("""All employees record their working time in PeopleHub, our HR portal, on the day the work is done
        and no later than the following working day. Hours worked above or below the contractual time go to
        your flexitime account. The account may show at most 40 hours of credit and at most 20 hours of
        debit. Credit above 40 hours expires at the end of each month unless your manager has approved
        overtime in advance (see 3.3). Breaks of at least 30 minutes after six hours and of 45 minutes after
        nine hours are mandatory by law and are deducted automatically."""),
        h2("3.3 Overtime"),
        p("""Overtime is work that your manager orders or approves in advance and that goes beyond the
        flexitime limits. Approved overtime is compensated with time off in lieu at a ratio of 1:1. If it
        cannot be taken as time off within three months, it is paid out with the next payroll at 125% of
        the hourly rate. Employees in salary band L5 and above and all managers with personnel
        responsibility are not entitled to overtime pay; their overtime is covered by their salary."""),
        h1("4. Vacation and public holidays"),
        p("""Full-time employees working a five-day week receive 30 working days of paid vacation per
        calendar year. Part-time employees receive a proportional entitlement based on their working days
        per week. In addition, 24 December and 31 December are paid company days off at both sites. Public
        holidays follow the state in which your site is located: Bavaria for Munich and Saxony for Leipzig.
        The holiday calendar for the current and next year is published in the general documents area."""),
        p("""Vacation is requested in PeopleHub. Requests for more than five consecutive working days must be
        submitted at least four weeks in advance; shorter requests at least three working days in advance.
        Your manager answers within five working days. We encourage everyone to take at least ten consecutive
        working days once a year to properly recover. Vacation that you could not take in the calendar year
        may be carried over until 31 March of the following year; after that date it expires unless you could
        not take it because of illness or parental leave."""),
        h1("5. Sickness and absence"),
        p(
            """If you are unable to work because of illness, inform your manager and HR (hr@"""
            + DOMAIN
            + """) before 09:30 on the first day of absence, by phone, chat or e-mail. If the absence lasts
        longer than two calendar days, you need a medical certificate from the third calendar day onward.
        In Germany the doctor transmits the certificate electronically to the health insurer (eAU); you only
        need to tell HR that a certificate exists. Your salary continues to be paid for up to six weeks per
        illness, after which the statutory health insurance pays sickness benefit."""
        ),
        p("""If a child under 12 is ill and needs care, you may take up to 5 paid working days per
        child per year with a doctor's note, in addition to the statutory child sickness benefit
        (Kinderkrankengeld). Medical appointments should be scheduled outside core hours where
        possible."""),
        h1("6. Probation, notice and leaving"),
        p("""The first six months of employment are a probation period. During probation, either side may
        terminate the contract with two weeks' notice. Your manager holds a probation review in month five
        at the latest. After probation, the notice period is three months to the end of a calendar month
        for both sides, unless the statutory notice period for the employer is longer. Terminations must be
        in writing with a handwritten signature; e-mail is not sufficient."""),
        p("""When you leave, you return your laptop, phone, security key, access badge and any other company
        property within five working days after your last working day. You receive a qualified employment
        reference (qualifiziertes Arbeitszeugnis) within two weeks after your last day."""),
        h1("7. Pay and payroll"),
        p("""Salaries are paid monthly in arrears on the last banking day of the month. Payslips are available
        in PeopleHub from the 25th of the month. Salaries are reviewed once a year; adjustments take effect on
        1 April. Changes to your bank details or tax class must be entered in PeopleHub by the 10th of a month
        to be taken into account for that month's payroll. A 13th salary is not paid; instead, eligible
        employees take part in the annual bonus programme, which pays out in April for the previous
        financial year."""),
        h1("8. Learning and development"),
        p("""Every employee has an individual learning budget of EUR 1,200 per calendar year and three paid
        learning days per year for courses, conferences, certifications or books. The budget is not
        transferable to the next year. Requests above EUR 500 need the approval of your manager in
        PeopleHub before you book. German and English language courses are offered free of charge at both
        sites and do not count against your budget. If the company pays more than EUR 3,000 for a single
        qualification, a pro-rata repayment clause applies if you leave within 24 months."""),
        h1("9. Company equipment"),
        p(
            """You receive a laptop, a headset and a FIDO2 security key on your first day. Employees on an
        on-call rota or in field service also receive a company smartphone. Equipment remains the property of
        the company. Report loss or theft immediately to the IT service desk (extension """
            + SERVICE_DESK_EXT
            + """) and, for the security key or a laptop, also to the IT security hotline. Private use
            of company equipment is allowed within the limits of the acceptable use policy."""
        ),
        h1("10. Conduct, speaking up and data protection"),
        p("""We expect honest, respectful and lawful behaviour from everyone. The rules on gifts,
        hospitality, conflicts of interest and fair competition are set out in our Code of Conduct (the
        2019 edition signed by the management board is still valid and is filed in the HR documents area).
        Harassment or discrimination of any kind is not tolerated."""),
        p("""If you observe a breach of law or of our policies, raise it with your manager, HR or the works
        council. You can also report confidentially, and if you wish anonymously, to our external
        ombudsperson under the Whistleblower Protection Act (HinSchG): Dr. Eva Lindner, Lindner & Partner
        Rechtsanwälte, reachable by phone on +49 89 2130 7788 or through the reporting portal linked on the
        intranet. Reports are acknowledged within seven days. Nobody who reports in good faith will suffer
        any disadvantage."""),
        p(
            """Personal data of customers, colleagues and applicants may only be processed for the purpose for
        which it was collected. Questions go to our data protection officer at privacy@"""
            + DOMAIN
            + """. Confidential documents must not be stored on private devices or in private cloud
        storage."""
        ),
        h1("11. Who to contact"),
        table(
            [
                ["Topic", "Contact", "How to reach"],
                ["Contracts, pay, absences", "People & HR team", f"hr@{DOMAIN}, PeopleHub ticket"],
                ["HR business partner Munich", "Miriam Scholz", f"miriam.scholz@{DOMAIN}"],
                ["HR business partner Leipzig", "Jana Herrmann", f"jana.herrmann@{DOMAIN}"],
                ["Chief People Officer", "Sabine Krüger", f"sabine.krueger@{DOMAIN}"],
                ["Works council (chair)", "Thomas Richter", f"betriebsrat@{DOMAIN}"],
                ["IT service desk", "IT & Security", f"extension {SERVICE_DESK_EXT}, help.{DOMAIN}"],
                ["Whistleblowing (external)", "Dr. Eva Lindner", "+49 89 2130 7788"],
                ["Data protection", "Data protection officer", f"privacy@{DOMAIN}"],
            ],
            [0.34, 0.28, 0.38],
        ),
    ]
    render_pdf(
        out / "staff-handbook.pdf",
        "Staff Handbook",
        "Version 2024.1 \u2013 issued 15 January 2024 \u2013 owner: People & HR (Sabine Krüger)",
        blocks,
        author="People & HR",
    )


def parental_leave_policy(out: Path) -> None:
    blocks = [
        h1("1. Purpose and scope"),
        p("""This policy describes the leave and financial support available to employees of Northwind
        Robotics who become parents through birth, adoption or foster care. It complements the statutory
        rules of the German Maternity Protection Act (MuSchG) and the Federal Parental Allowance and Parental
        Leave Act (BEEG). Where the law gives you more, the law applies. The policy applies to all employees
        with a permanent or fixed-term contract at the Munich and Leipzig sites, including part-time staff.
        Working students and interns are covered by the statutory rules only."""),
        h1("2. Maternity protection"),
        p("""Expectant mothers should inform HR as soon as they know the expected date of delivery, so that we
        can carry out the workplace risk assessment required by law. This is particularly important for
        colleagues in production, assembly and field service in Leipzig, where certain tasks (lifting loads
        above 10 kg, work at the battery test stations) are not permitted during pregnancy. The statutory
        protection period starts six weeks before the expected date of delivery and ends eight weeks after
        birth (twelve weeks for premature or multiple births). During this time you receive maternity benefit
        from the health insurer plus the employer's top-up to your average net salary."""),
        h1("3. Parental leave (Elternzeit)"),
        p("""Each parent is entitled to up to three years of unpaid parental leave per child, of which up to
        24 months can be taken between the child's third and eighth birthday. Parental leave must be
        requested in writing with a handwritten signature. For leave that starts before the child's third
        birthday, the request must reach HR at least seven weeks before the start; for leave between the
        third and eighth birthday, at least thirteen weeks before. Please state in the request how you intend
        to distribute the leave over the first two years."""),
        p("""During parental leave you may work part-time for up to 32 hours per week, either at Northwind
        Robotics or, with our consent, for another employer. Requests for part-time work during parental
        leave are answered within four weeks. Your employment contract and your seniority continue during
        parental leave; your vacation entitlement is reduced by one twelfth for each full calendar month of
        leave without part-time work, as permitted by law."""),
        h1("4. Company benefits for parents"),
        p("""In addition to the statutory entitlements, Northwind Robotics offers the following benefits. They
        apply to employees who have been with the company for at least 12 months on the day of birth or
        adoption, except the childcare subsidy, which is available from the first day of employment."""),
        table(
            [
                ["Benefit", "Who", "Amount", "Duration / timing"],
                [
                    "Parental allowance top-up",
                    "Primary caregiver on parental leave",
                    "Top-up of the statutory Elterngeld to 80% of previous net salary",
                    "First 8 weeks of parental leave",
                ],
                [
                    "Partner leave",
                    "Second parent (any gender)",
                    "10 working days at full pay",
                    "Within 8 weeks after birth or adoption",
                ],
                [
                    "Childcare subsidy",
                    "All parents with children in daycare",
                    "EUR 150 per month per child, tax-free",
                    "Until the child starts school",
                ],
                [
                    "Keep-in-touch days",
                    "Employees on parental leave",
                    "Paid at daily rate",
                    "Up to 10 days per leave period, voluntary",
                ],
                [
                    "Return bonus",
                    "Parents returning after at least 6 months of leave",
                    "EUR 1,000 gross",
                    "Paid with the third salary after return",
                ],
            ],
            [0.2, 0.27, 0.3, 0.23],
        ),
        p("""The parental allowance top-up is calculated by payroll on the basis of the Elterngeld notice
        (Elterngeldbescheid) you submit. Please upload the notice in PeopleHub within four weeks of receiving
        it; the top-up is paid retroactively. Partner leave is requested in PeopleHub like vacation with the
        absence type "Partner leave" and can be split into at most two blocks. The childcare subsidy is
        paid with the monthly salary against a copy of the daycare contract (Kita-Vertrag) and the monthly
        fee notice."""),
        h1("5. Returning to work"),
        p("""Four weeks before your planned return, your manager invites you to a return meeting to discuss
        your role, working hours and any training you may need. You return to the same job or, if that is not
        possible, to an equivalent position with the same pay band. A phased return with reduced hours for up
        to three months is possible in agreement with your manager. Nursing mothers are entitled to paid
        breaks for breastfeeding; a quiet room is available on the 4th floor in Munich (room 4.17) and in the
        Leipzig office building next to the first-aid room."""),
        h1("6. Contacts"),
        p(f"""Your contact for all questions about maternity protection, parental leave and the company
        benefits is our parental leave coordinator Miriam Scholz (HR business partner Munich,
        miriam.scholz@{DOMAIN}). Employees in Leipzig may also contact Jana Herrmann
        (jana.herrmann@{DOMAIN}). This policy was last reviewed on 3 February 2025 and is valid from
        1 March 2025."""),
    ]
    render_docx(
        out / "parental-leave-policy.docx",
        "Parental Leave Policy",
        "Version 2.1 \u2013 valid from 1 March 2025 \u2013 owner: People & HR",
        blocks,
        author="People & HR",
        stamp=dt.datetime(2025, 2, 3, 9, 0),
    )


def remote_work_2023(out: Path) -> None:
    blocks = [
        p("""Document ID: HR-POL-007. Version 1.0. Effective from 1 March 2023. Approved by the management
        board on 14 February 2023 after consultation with the works council. Owner: People & HR."""),
        h1("1. Purpose"),
        p("""Since 2020 many of us have worked partly from home. This policy turns the temporary
        arrangements of the pandemic years into permanent rules. It aims to combine the focus time of
        working from home with the collaboration, onboarding and team spirit that only happen when we
        meet in person."""),
        h1("2. Scope"),
        p("""The policy applies to all employees whose work can be done outside company premises. It does not
        apply to production, assembly, warehouse and field service roles in Leipzig, whose work requires
        presence on site or at customer sites, nor to apprentices in their first year of training."""),
        h1("3. Number of remote days"),
        p("""Full-time employees may work from home on up to two days per week. Part-time employees may work
        from home pro rata to their working days, rounded down to whole days. Remote days cannot be saved up
        or carried over to a later week. Tuesday and Thursday are core office days on which all teams are
        expected on site; remote days should therefore be taken on Monday, Wednesday or Friday. Managers may
        agree team-specific patterns within this framework."""),
        h1("4. Place of work"),
        p("""Remote work means working from your registered home address in Germany. Working from another
        address in Germany (for example a holiday home) is possible after informing your manager. Working
        from abroad is not permitted under this policy because of tax, social security and data protection
        risks."""),
        h1("5. Availability"),
        p("""On remote days the same working time rules apply as in the office, including core hours and time
        recording. You must be reachable by phone and chat during core hours and be able to come to the office
        at one day's notice if your manager asks you to."""),
        h1("6. Equipment and costs"),
        p("""You work with your company laptop and headset. For additional equipment for your home workplace,
        such as a monitor, office chair, desk lamp or docking station, the company reimburses up to EUR 500
        against receipts. The budget can be used once every three years and is claimed through the expense
        tool under the category "Home office equipment". Items bought with the budget become your property.
        There is no allowance for internet, electricity or heating costs; the statutory home office tax
        allowance (Homeoffice-Pauschale) can be claimed in your personal tax return."""),
        h1("7. Occupational safety and data protection"),
        p("""Before your first remote day, complete the home workplace self-check in PeopleHub. Confidential
        documents must not be printed at home. Your screen must be locked whenever you leave the laptop, and
        conversations about confidential topics must not be audible to other people in your household.
        Connect to internal systems only through the company VPN."""),
        h1("8. Approval"),
        p("""Remote work is requested by submitting the form "Remote work agreement" in PeopleHub, which your
        manager approves. The agreement can be terminated by either side with one month's notice, for
        example if the work results or team collaboration suffer. Disputes are resolved with the involvement
        of HR and, on request, the works council."""),
    ]
    render_pdf(
        out / "remote-work-policy-2023.pdf",
        "Remote Work Policy",
        "HR-POL-007 \u2013 Version 1.0 \u2013 effective from 1 March 2023",
        blocks,
        author="People & HR",
    )


def remote_work_2025(out: Path) -> None:
    blocks = [
        p("""Document ID: HR-POL-007. Version 2.0. Effective from 1 April 2025. This version supersedes
        Version 1.0 of the Remote Work Policy (effective 1 March 2023) in full. Approved by the management
        board on 10 March 2025 after agreement with the works council (works agreement BV-2025-02).
        Owner: People & HR (Sabine Krüger)."""),
        h1("What changes compared with Version 1.0"),
        ul(
            "Up to three remote days per week instead of two.",
            "Equipment budget raised from EUR 500 to EUR 750 per three years.",
            "New monthly internet allowance of EUR 25.",
            "Wednesday replaces Tuesday and Thursday as the common office day (anchor day).",
            "Working from other EU countries is now possible for up to 20 working days per calendar year.",
        ),
        h1("1. Scope"),
        p("""The policy applies to all employees whose work can be done outside company premises. It does not
        apply to production, assembly, warehouse and field service roles in Leipzig, nor to apprentices in
        their first year of training. Employees in their probation period may work remotely on at most one day
        per week during their first three months."""),
        h1("2. Number of remote days"),
        p("""Full-time employees may work remotely on up to three days per week. Part-time employees
        may work remotely pro rata to their working days, rounded down to whole days. Remote days
        cannot be saved up or carried over to a later week. Wednesday is the company-wide anchor day on
        which every team meets in the office; all-hands meetings, team workshops and onboarding
        sessions are scheduled on Wednesdays. Teams may agree one additional fixed office day."""),
        h1("3. Place of work"),
        p("""Remote work is normally done from your home address in Germany. In addition, you may work from
        another member state of the European Union for up to 20 working days per calendar year. Such periods
        must be requested from HR in PeopleHub at least 10 working days in advance so that the A1 certificate
        for social security can be applied for. Working from countries outside the EU, including Switzerland
        and the United Kingdom, is not permitted."""),
        h1("4. Equipment and allowances"),
        p("""The company reimburses up to EUR 750 against receipts for equipment for your home workplace, such
        as a monitor, office chair, desk or docking station. The budget can be used once every three years.
        Employees who already received up to EUR 500 under Version 1.0 of this policy may claim the
        difference up to EUR 250 until 31 December 2025; the three-year period is not restarted by this
        top-up claim. In addition, employees with a remote work agreement receive an internet allowance of
        EUR 25 per month, paid tax-free with the salary."""),
        h1("5. Availability and working time"),
        p("""The working time rules of the staff handbook apply on remote days, including core hours and time
        recording in PeopleHub. You must be reachable by phone and chat during core hours and be able to come
        to the office at one day's notice if your manager asks you to."""),
        h1("6. Occupational safety and data protection"),
        p("""Complete the home workplace self-check in PeopleHub before your first remote day and renew
        it every two years. Confidential documents must not be printed outside the office. Use the
        company VPN for all internal systems and never use public Wi-Fi without it. Lock your screen
        whenever you leave the laptop."""),
        h1("7. Approval and transition"),
        p("""Remote work is agreed with the form "Remote work agreement 2025" in PeopleHub and approved
        by your manager. Agreements approved under Version 1.0 remain valid until 30 June 2025 and must
        be re-confirmed in PeopleHub by that date; otherwise they end automatically. Either side may
        terminate an agreement with one month's notice. Questions go to your HR business partner."""),
    ]
    render_docx(
        out / "remote-work-policy-2025.docx",
        "Remote Work Policy",
        "HR-POL-007 \u2013 Version 2.0 \u2013 effective from 1 April 2025 \u2013 supersedes Version "
        "1.0 (2023)",
        blocks,
        author="People & HR",
        stamp=dt.datetime(2025, 3, 10, 12, 0),
    )


def salary_bands(out: Path) -> None:
    bands = [
        ("Software Engineering", "L1", "Junior Software Engineer", 52000, 58000, 64000),
        ("Software Engineering", "L2", "Software Engineer", 60000, 68000, 76000),
        ("Software Engineering", "L3", "Senior Software Engineer", 72000, 82000, 92000),
        ("Software Engineering", "L4", "Staff Software Engineer", 88000, 98000, 108000),
        ("Software Engineering", "L5", "Principal Engineer", 102000, 114000, 126000),
        ("Software Engineering", "L6", "Director of Engineering", 120000, 135000, 150000),
        ("Hardware Engineering", "L1", "Junior Hardware Engineer", 48000, 54000, 60000),
        ("Hardware Engineering", "L2", "Hardware Engineer", 56000, 63000, 70000),
        ("Hardware Engineering", "L3", "Senior Hardware Engineer", 68000, 77000, 86000),
        ("Hardware Engineering", "L4", "Lead Hardware Engineer", 82000, 91000, 100000),
        ("Hardware Engineering", "L5", "Head of Hardware", 96000, 107000, 118000),
        ("Production & Assembly", "P1", "Production Associate", 34000, 37500, 41000),
        ("Production & Assembly", "P2", "Robotics Technician", 39000, 43500, 48000),
        ("Production & Assembly", "P3", "Senior Robotics Technician", 45000, 50000, 55000),
        ("Production & Assembly", "P4", "Shift Lead", 51000, 56500, 62000),
        ("Production & Assembly", "P5", "Production Manager", 64000, 72000, 80000),
        ("Customer Service & Field Ops", "L1", "Field Service Technician", 40000, 45000, 50000),
        ("Customer Service & Field Ops", "L2", "Senior Field Service Technician", 46000, 51500, 57000),
        ("Customer Service & Field Ops", "L3", "Service Team Lead", 54000, 60000, 66000),
        ("Customer Service & Field Ops", "L4", "Service Manager", 66000, 74000, 82000),
        ("Sales", "L2", "Account Executive (base salary)", 58000, 65000, 72000),
        ("Sales", "L3", "Senior Account Executive (base salary)", 70000, 78000, 86000),
        ("Sales", "L4", "Sales Director (base salary)", 90000, 100000, 110000),
        ("General & Administrative", "L1", "Specialist", 44000, 49000, 54000),
        ("General & Administrative", "L2", "Senior Specialist", 52000, 58000, 64000),
        ("General & Administrative", "L3", "Team Lead", 62000, 69000, 76000),
        ("General & Administrative", "L4", "Head of Function", 78000, 88000, 98000),
    ]
    rows: list[list] = [
        ["Job family", "Level", "Example title", "Min (EUR)", "Midpoint (EUR)", "Max (EUR)", "Location basis"]
    ]
    for family, level, title, lo, mid, hi in bands:
        basis = "Leipzig" if family == "Production & Assembly" else "Munich (Leipzig: x 0.92)"
        rows.append([family, level, title, lo, mid, hi, basis])
    bonus = [
        ["Level", "Bonus target (% of base salary)", "Payout", "Notes"],
        ["L1 / P1-P2", "5%", "April, for previous year", "Company component only"],
        ["L2 / P3", "5%", "April, for previous year", "Company component only"],
        ["L3 / P4", "8%", "April, for previous year", "50% company result, 50% individual goals"],
        ["L4 / P5", "10%", "April, for previous year", "50% company result, 50% individual goals"],
        ["L5", "12%", "April, for previous year", "60% company result, 40% individual goals"],
        ["L6", "15%", "April, for previous year", "70% company result, 30% individual goals"],
        [
            "Sales (all levels)",
            "OTE split 70/30",
            "Quarterly commission",
            "No company bonus; accelerator 1.5x above 110% quota",
        ],
    ]
    notes = [
        ["Topic", "Rule"],
        [
            "Confidentiality",
            "CONFIDENTIAL - People & HR only. Do not forward or share with managers as a file.",
        ],
        ["Validity", "Bands valid from 1 January 2025 to 31 December 2025."],
        [
            "Approval",
            "Approved by Sabine Krüger (Chief People Officer) and Martin Hoffmann (CFO) on 9 December 2024.",
        ],
        [
            "Leipzig location factor",
            "For all job families except Production & Assembly, Leipzig ranges are the "
            "Munich figures multiplied by 0.92 and rounded to the nearest EUR 500.",
        ],
        [
            "Offers above midpoint",
            "Offers above the band midpoint require approval by the Chief People Officer.",
        ],
        ["Offers above max", "Offers above the band maximum require approval by the CEO and CFO."],
        [
            "Annual review",
            "Bands are reviewed every November against the Mercer and Kienbaum benchmark data; "
            "the 2025 market movement budget is 3.5% of base salaries.",
        ],
        [
            "Part-time",
            "All figures are annual gross base salaries for 40 hours per week; pro rata for part-time.",
        ],
    ]
    write_xlsx(
        out / "salary-bands-2025.xlsx",
        [
            ("Bands", rows, [30, 7, 38, 12, 15, 12, 26]),
            ("Bonus targets", bonus, [20, 30, 26, 52]),
            ("Notes", notes, [24, 100]),
        ],
        title="Salary bands 2025 (confidential)",
        stamp=dt.datetime(2024, 12, 9, 16, 0),
    )


def disciplinary_procedure(out: Path) -> None:
    blocks = [
        p("""Document ID: HR-PRO-012. Version 1.3, valid from 1 September 2024. CONFIDENTIAL: for
        People & HR and managers advised by HR. Agreed with the works council on 22 August 2024. Owner:
        Sabine Krüger."""),
        h1("1. Principles"),
        p("""Disciplinary measures are a last resort. Most performance or conduct problems can be
        solved through clear feedback and support. When a formal measure is necessary, it must be fair,
        consistent, documented and proportionate. Managers never start a formal disciplinary step
        without first involving their HR business partner. The works council's rights of information
        and co-determination are respected at every stage."""),
        h1("2. Stages"),
        table(
            [
                ["Stage", "When", "Who decides", "Documentation / retention"],
                [
                    "1. Informal conversation",
                    "First minor issue (e.g. repeated lateness, missed deadlines)",
                    "Line manager",
                    "Short note in the manager's files, not in the personnel file",
                ],
                [
                    "2. Formal feedback meeting",
                    "Issue continues after the informal conversation",
                    "Line manager with HR business partner",
                    "Written summary in the personnel file, removed after 12 months",
                ],
                [
                    "3. Written warning (Abmahnung)",
                    "Breach of contractual duties that is repeated or serious",
                    "Head of department and HR",
                    "Personnel file; removed after 24 months without further incident",
                ],
                [
                    "4. Termination",
                    "Repeated breach after a warning, or gross misconduct",
                    "CEO and Chief People Officer",
                    "Works council hearing under section 102 BetrVG before notice is given",
                ],
            ],
            [0.22, 0.3, 0.2, 0.28],
        ),
        h1("3. Investigation"),
        p("""Before any formal measure, HR investigates the facts. The employee concerned is always heard and
        may bring a member of the works council to the meeting. The investigation must be completed within
        15 working days of HR becoming aware of the issue; in cases that may justify a termination without
        notice, the two-week deadline of section 626 BGB applies and the investigation must be prioritised
        accordingly. Witness statements are recorded in writing and signed."""),
        p("""During an investigation of suspected gross misconduct the employee may be released from work with
        full pay for up to 10 working days. Access to IT systems may be suspended by the Head of IT on the
        written request of the Chief People Officer."""),
        h1("4. Written warnings"),
        p("""A written warning must describe the specific behaviour, the date, the contractual duty that was
        breached and the consequences of a repeat. It is handed over in person, with a second person from HR
        present, and the employee confirms receipt by signature. The works council is informed within three
        working days after the warning is issued. The employee may submit a written response, which is added
        to the personnel file. Warnings are removed from the personnel file after 24 months if there has been
        no further incident of the same kind."""),
        h1("5. Gross misconduct"),
        p("""Examples of gross misconduct that can lead to termination without prior warning include theft or
        fraud (including falsified expense claims or time records), violence or threats, sexual harassment,
        deliberately bypassing the safety functions of a robot, working under the influence of alcohol or
        drugs in production areas, and the intentional disclosure of trade secrets."""),
        h1("6. Appeals"),
        p("""An employee may appeal against a written warning within four weeks to the Chief People Officer.
        The appeal is decided by a manager who was not involved in the original decision, within 10 working
        days of receipt."""),
    ]
    render_pdf(
        out / "disciplinary-procedure.pdf",
        "Disciplinary Procedure",
        "HR-PRO-012 \u2013 Version 1.3 \u2013 confidential: People & HR only",
        blocks,
        author="People & HR",
    )


def onboarding_checklist(out: Path) -> None:
    blocks = [
        p("""This checklist is used by HR, IT, the hiring manager and the onboarding buddy for every new
        employee at Munich and Leipzig. The HR business partner tracks it in PeopleHub; each task has one
        owner. New employees can use it to see what to expect."""),
        h1("Before the first day"),
        table(
            [
                ["When", "Task", "Owner"],
                [
                    "Contract signed",
                    "Create employee record and PeopleHub account; send welcome e-mail",
                    "HR",
                ],
                [
                    "15 working days before start",
                    "Hiring manager names an onboarding buddy from the team",
                    "Manager",
                ],
                ["10 working days before start", "Order laptop, headset and FIDO2 security key", "IT"],
                [
                    "5 working days before start",
                    "Book desk, create access badge request, add to team channels",
                    "Manager",
                ],
                ["3 working days before start", "Send first-week schedule and arrival instructions", "HR"],
            ]
        ),
        h1("Day 1"),
        ul(
            "09:30 welcome at reception (Munich: 3rd floor; Leipzig: office building B).",
            "Collect access badge; badge photo is taken at reception.",
            "IT handover of laptop and security key, first login and MFA enrolment with IT (about 45 "
            "minutes).",
            "Welcome session with HR: handbook, PeopleHub, time recording, payroll data.",
            "Lunch with the onboarding buddy (paid by the company, up to EUR 25 per person).",
            "Leipzig production and field service staff: safety briefing and issue of S3 safety shoes.",
        ),
        h1("First week"),
        ul(
            "Complete the security awareness e-learning (mandatory, within 14 days of the start date).",
            "Complete the data protection training (mandatory, within 14 days of the start date).",
            "Set up the VPN client following the VPN setup guide.",
            "Read the Code of Conduct, the acceptable use policy and the password and MFA policy.",
            "First 1:1 with the manager: agree goals for the probation period.",
        ),
        h1("First 90 days"),
        ul(
            "Weekly 1:1 with the manager during the first month, then every two weeks.",
            "Day 30: buddy check-in and feedback survey from HR.",
            "Day 45: product training 'Robots and FleetOS in 90 minutes' (held on the first "
            "Wednesday of each month).",
            "Day 90: mid-probation review with the manager, documented in PeopleHub.",
            "Engineers: first on-call shadow shift after 8 weeks at the earliest; no primary on-call "
            "in probation.",
        ),
        h1("End of probation"),
        ul(
            "Month 5: probation review with the manager and HR; the decision is documented before "
            "the end of month 5.",
            "HR confirms the end of probation in writing.",
        ),
    ]
    render_md(
        out / "onboarding-checklist.md",
        "Onboarding Checklist",
        "People & HR \u2013 last updated 12 May 2025",
        blocks,
    )


# --------------------------------------------------------------------------------------------------
# The scanned document: rendered to images, "scanned" (tone, rotation, specks, blur, JPEG), image-only PDF.
# --------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------
# Finance
# --------------------------------------------------------------------------------------------------

PER_DIEM = [
    [
        "Destination",
        "Country",
        "Per diem full day (EUR)",
        "Per diem partial day (EUR)",
        "Hotel cap per night (EUR)",
    ],
    ["Munich", "Germany", "28", "14", "160"],
    ["Leipzig", "Germany", "28", "14", "110"],
    ["Berlin", "Germany", "28", "14", "140"],
    ["Hamburg", "Germany", "28", "14", "145"],
    ["Other cities in Germany", "Germany", "28", "14", "120"],
    ["Vienna", "Austria", "50", "33", "170"],
    ["Zurich", "Switzerland", "64", "43", "230"],
    ["Paris", "France", "58", "39", "210"],
    ["London", "United Kingdom", "66", "44", "240"],
    ["Warsaw", "Poland", "34", "23", "120"],
    ["New York", "USA", "66", "44", "310"],
    ["Other international destinations", "-", "45", "30", "180"],
]


def expense_policy(out: Path) -> None:
    blocks = [
        p("""Document ID: FIN-POL-002. Version 4.2. Effective from 1 January 2025. Owner: Finance (Martin
        Hoffmann, CFO). Applies to all employees of Northwind Robotics GmbH who incur business expenses."""),
        h1("1. Principles"),
        p("""We spend company money as carefully as if it were our own. Business expenses are reimbursed when
        they are necessary for the job, reasonable in amount and documented with an original receipt or an
        electronic invoice. Expenses are claimed in SpendLine, our expense tool, which is available in the
        browser and as a mobile app. Private expenses, fines, and costs caused by violations of traffic
        rules are never reimbursed."""),
        h1("2. Submitting claims"),
        p("""Submit each claim within 30 days after the expense or the end of the trip. Photograph or upload
        every receipt in SpendLine; paper originals must be kept for 10 days after approval in case of a spot
        check and can then be discarded. Claims submitted more than 90 days after the expense are rejected
        unless the CFO grants an exception. Reimbursements are paid with the next payroll run if the claim is
        approved by the 20th of the month. Receipts in a foreign currency are converted at the exchange rate
        of the day of the expense, or at the rate on your credit card statement."""),
        h1("3. Per diem rates and hotel limits"),
        p("""For business trips you receive a daily allowance (per diem) for meals instead of reimbursement of
        individual meal receipts. The full-day rate applies to calendar days on which you are away from home
        and from your first place of work for 24 hours. The partial-day rate applies to the day of arrival and
        the day of departure of a trip with an overnight stay, and to one-day trips of more than 8 hours.
        Hotel costs are reimbursed up to the cap per night shown in the table, including city tax but
        excluding breakfast. The rates are reviewed every January."""),
        table(PER_DIEM, [0.3, 0.18, 0.17, 0.17, 0.18]),
        p("""If a meal is provided free of charge by the company, a customer or the hotel, the per diem
        is reduced: by 20% of the full-day rate for breakfast and by 40% of the full-day rate each for
        lunch and dinner. Trips of 8 hours or less give no per diem. If the hotel cap cannot be met,
        for example because of a trade fair in the city, book through the travel portal and attach the
        portal's confirmation that no cheaper room was available; the line manager may then approve up
        to 30% above the cap."""),
        h1("4. Transport"),
        p("""Use the most economical means of transport, taking travel time into account. Train travel is
        reimbursed in second class; first class is allowed for journeys with a scheduled duration of more than
        four hours. Flights are booked in economy class. Use of a private car for business trips is reimbursed
        at EUR 0.30 per kilometre; trips of more than 600 km return need prior approval by the line manager.
        Taxi and ride-hailing costs are reimbursed when public transport is not reasonably available, for
        example late at night, with heavy luggage or equipment, or when the time saved is significant.
        Parking fees and tolls are reimbursed against receipts. Details on booking are in the Travel Booking
        Procedure."""),
        h1("5. Entertainment and other expenses"),
        p("""Business meals with customers or partners are reimbursed up to EUR 70 per person including drinks
        and tip; the receipt must state the names of all participants, their companies and the business
        purpose. Internal team events are paid from the team budget of EUR 150 per employee per year and must
        be approved in advance by the head of department. Alcohol is reimbursed only as part of a customer
        meal. Tips of up to 10% are reimbursed. Mobile phone costs for private phones are not reimbursed;
        employees who need a phone for their work receive a company phone."""),
        h1("6. Corporate credit cards"),
        p("""Employees who travel on business more than six times per year may request a corporate credit
        card (Visa Business) with a monthly limit of EUR 5,000. Card transactions are imported into SpendLine
        automatically; you still have to attach receipts and submit the monthly statement by the 5th working
        day of the following month. Cash withdrawals are allowed only abroad and up to EUR 300 per trip."""),
        h1("7. Approval limits"),
        p("""Each expense claim is approved in SpendLine by the person responsible for the cost centre.
        Claims up to EUR 1,000 are approved by the line manager. Claims above EUR 1,000 and up to EUR
        5,000 require approval by the head of department. Claims above EUR 5,000 require approval by
        the CFO. Nobody may approve their own expenses; expenses of a head of department are approved
        by the CFO, and those of the CFO by the CEO. Finance checks every claim for completeness and
        compliance before payment and samples 10% of approved claims for a detailed audit every month."""),
        h1("8. Contacts"),
        p(f"""Questions about this policy and about SpendLine go to the travel and expenses team in Finance,
        Olga Petrova (expenses@{DOMAIN}, extension 2207)."""),
    ]
    render_pdf(
        out / "expense-policy.pdf",
        "Travel and Expense Policy",
        "FIN-POL-002 \u2013 Version 4.2 \u2013 effective from 1 January 2025 \u2013 owner: Finance",
        blocks,
        author="Finance",
    )


def q3_budget(out: Path) -> None:
    opex = {
        "CC-2100": (3420000, 3512400, "Contractor spend for NW-600 firmware: 3 external engineers Jul-Sep"),
        "CC-3100": (2860000, 2794300, "Lower material cost after new battery supplier contract"),
        "CC-3300": (1050000, 1118750, "Overtime and travel for follow-up site visits after INC-2025-041"),
        "CC-4100": (1380000, 1296200, "LogiMAT follow-up campaign moved to Q4"),
        "CC-2300": (410000, 402900, ""),
        "CC-1200": (265000, 259800, ""),
        "CC-1300": (290000, 301450, "Recruiting agency fees for two field service hires"),
        "CC-1400": (520000, 547600, "Early renewal of Microsoft 365 E5 licences"),
        "CC-1100": (610000, 588300, "Legal fees lower than planned"),
    }
    rows: list[list] = [
        [
            "Department",
            "Cost centre",
            "Q3 budget (EUR)",
            "Q3 actual (EUR)",
            "Variance (EUR)",
            "Variance (%)",
            "Comment",
        ]
    ]
    total_b = total_a = 0
    for dept, cc, _muc, _lej in HEADCOUNT:
        budget, actual, comment = opex[cc]
        total_b += budget
        total_a += actual
        rows.append(
            [dept, cc, budget, actual, actual - budget, round((actual - budget) / budget, 4), comment]
        )
    rows.append(
        [
            "Total",
            "",
            total_b,
            total_a,
            total_a - total_b,
            round((total_a - total_b) / total_b, 4),
            "Q3 2025 final",
        ]
    )
    hires = {  # (budget 30 Sep Munich, Leipzig), (actual 30 Sep Munich, Leipzig)
        "CC-2100": ((82, 23), (81, 23)),
        "CC-3100": ((12, 62), (12, 61)),
        "CC-3300": ((14, 29), (14, 28)),
        "CC-4100": ((35, 4), (34, 4)),
        "CC-2300": ((12, 1), (12, 1)),
        "CC-1200": ((9, 2), (9, 2)),
        "CC-1300": ((7, 3), (7, 3)),
        "CC-1400": ((10, 3), (9, 3)),
        "CC-1100": ((13, 2), (13, 2)),
    }
    head: list[list] = [
        [
            "Department",
            "Site",
            "Headcount 30 Jun 2025",
            "Budget headcount 30 Sep 2025",
            "Actual headcount 30 Sep 2025",
            "Open requisitions",
        ]
    ]
    for dept, cc, muc, lej in HEADCOUNT:
        (b_muc, b_lej), (a_muc, a_lej) = hires[cc]
        head.append([dept, "Munich", muc, b_muc, a_muc, b_muc - a_muc])
        head.append([dept, "Leipzig", lej, b_lej, a_lej, b_lej - a_lej])
    head.append(
        [
            "Total",
            "Both sites",
            HEADCOUNT_TOTAL,
            sum(sum(v[0]) for v in hires.values()),
            sum(sum(v[1]) for v in hires.values()),
            sum(sum(v[0]) - sum(v[1]) for v in hires.values()),
        ]
    )
    capex = [
        ["Capex ID", "Item", "Department", "Site", "Amount (EUR)", "Status", "Approved by"],
        [
            "CX-25-031",
            "Torque test bench for assembly line 3",
            "Hardware & Production",
            "Leipzig",
            184000,
            "Ordered, delivery 14 Oct 2025",
            "Andrea Vogel",
        ],
        [
            "CX-25-032",
            "Test fleet of 6 NW-600 robots for the customer acceptance lab",
            "Software Engineering",
            "Munich",
            312000,
            "Delivered",
            "Tobias Lenz",
        ],
        [
            "CX-25-033",
            "Laptop refresh, 60 units",
            "IT & Security",
            "Both sites",
            93600,
            "Delivered",
            "Jan Kowalski",
        ],
        [
            "CX-25-034",
            "UPS replacement for the Munich server room",
            "IT & Security",
            "Munich",
            46500,
            "Approved, installation in Q4",
            "Martin Hoffmann",
        ],
        [
            "CX-25-035",
            "Electric forklift 1.6 t for goods-in",
            "Hardware & Production",
            "Leipzig",
            38900,
            "Delivered",
            "Andrea Vogel",
        ],
        [
            "CX-25-036",
            "Video conferencing kits for 8 meeting rooms",
            "IT & Security",
            "Munich",
            27200,
            "Postponed to Q4 2025",
            "Jan Kowalski",
        ],
        [
            "CX-25-037",
            "6 EV charging points in the Leipzig car park",
            "Management & Legal",
            "Leipzig",
            54000,
            "In approval",
            "-",
        ],
        ["Total", "", "", "", 756200, "", ""],
    ]
    assert sum(r[4] for r in capex[1:-1]) == capex[-1][4]
    write_xlsx(
        out / "q3-2025-budget.xlsx",
        [
            ("Opex by department", rows, [30, 12, 16, 16, 15, 13, 60]),
            ("Headcount", head, [30, 12, 16, 18, 18, 14]),
            ("Capex", capex, [11, 52, 24, 12, 14, 30, 16]),
        ],
        title="Q3 2025 budget vs actual",
        stamp=dt.datetime(2025, 10, 7, 17, 30),
    )


def travel_booking_procedure(out: Path) -> None:
    blocks = [
        p("""Document ID: FIN-PRO-004. Version 2.0, valid from 1 January 2025. Owner: Finance, travel and
        expenses team. This procedure explains how business trips are approved and booked. What is reimbursed
        and up to which amount is defined in the Travel and Expense Policy (FIN-POL-002)."""),
        h1("1. Before you book: approval"),
        p("""Every business trip needs the approval of your line manager before anything is booked. Domestic
        trips are approved with the travel request in the travel portal TravelDesk; the request contains the
        purpose, destination, dates and estimated costs. International trips additionally require the approval
        of the head of department. Trips to countries outside the EU, the EEA, Switzerland and the United
        Kingdom must also be registered with IT & Security at least 10 working days before departure, because
        you will travel with a loaner laptop and a clean phone instead of your own devices."""),
        h1("2. Booking channel"),
        p("""All flights, trains, hotels and rental cars are booked through TravelDesk, which is
        operated by our travel agency Reisebüro Alpina. Bookings made outside TravelDesk are only
        reimbursed if they were at least 10% cheaper than the cheapest comparable offer in the portal
        at the time of booking; attach a screenshot as evidence. The agency can also be reached by
        phone on weekdays from 08:00 to 19:00 at +49 89 5550 1234. Outside these hours, the 24/7
        emergency line +49 89 5550 1299 helps with missed connections, cancellations and rebooking."""),
        h1("3. Rail"),
        p("""Rail is the preferred means of transport for domestic trips and for destinations that can
        be reached in five hours or less, for example Munich to Leipzig (about 3 h 15 min with the ICE)
        or Munich to Vienna. Tickets are booked with the company's Deutsche Bahn business customer
        account, which gives an additional discount. Employees who travel by train more than eight
        times a year receive a BahnCard 50 (second class) paid by the company; request it from the
        travel and expenses team. Seat reservations are always allowed."""),
        h1("4. Flights"),
        p("""Flights are booked in economy class at least 14 days before departure whenever the travel date is
        known. Premium economy may be booked for flights with a scheduled flight time of more than 8 hours.
        Business class requires the prior written approval of the CFO. Choose the lowest fare that is
        reasonable in terms of schedule, with at most one stopover; flexible fares are only booked when a
        change of dates is likely. Miles and loyalty points may be kept privately, but must not influence the
        choice of airline."""),
        h1("5. Hotels"),
        p("""Hotels are booked through TravelDesk, which shows the negotiated company rates first. The
        hotel cap per night depends on the destination and is listed in the table in section 3 of the
        Travel and Expense Policy; the portal flags rooms above the cap. At both company sites, use the
        partner hotels: in Munich the Hotel Isarblick (5 minutes' walk from the office), in Leipzig the
        Parkhotel Messe (shuttle to the site every 30 minutes in the morning). Cancel rooms you no
        longer need before the free cancellation deadline; no-show fees caused by late cancellation are
        charged to the cost centre."""),
        h1("6. Rental cars"),
        p("""Rental cars are booked only when rail or public transport is not practical, for example
        for visits to customer warehouses outside cities or when transporting robot spare parts. Book
        the compact class (VW Golf or similar) through TravelDesk; the company contract with Sixt
        includes full insurance, so do not buy additional insurance at the counter. Refuel before
        returning the car. Electric cars are preferred where charging is possible at the destination."""),
        h1("7. Travel insurance and emergencies"),
        p("""All employees on business trips are covered by the company's group travel insurance,
        including medical treatment abroad and repatriation, under policy number NWR-TRV-2025-0815. In
        an emergency abroad call the insurer's assistance service on +49 89 5550 1777 (24/7) and inform
        your manager. Lost or stolen company devices must be reported immediately to the IT security
        hotline."""),
        h1("8. After the trip"),
        p("""Submit your expense claim in SpendLine within 30 days after the end of the trip. Bookings
        made through TravelDesk are invoiced centrally and must not be claimed again. Unused tickets
        must be returned through TravelDesk so that the refund can be processed."""),
    ]
    render_docx(
        out / "travel-booking-procedure.docx",
        "Travel Booking Procedure",
        "FIN-PRO-004 \u2013 Version 2.0 \u2013 valid from 1 January 2025 \u2013 owner: Finance",
        blocks,
        author="Finance",
        stamp=dt.datetime(2024, 12, 18, 10, 0),
    )


APPROVAL_LIMITS_CSV = [
    ["category", "approver", "from_eur", "to_eur", "notes"],
    ["Expense claim", "Line manager", "0", "1500", ""],
    ["Expense claim", "Head of department", "1500.01", "7500", ""],
    ["Expense claim", "CFO", "7500.01", "", "Expenses of the CFO are approved by the CEO"],
    ["Purchase order", "Cost centre owner", "0", "5000", "Only within the approved cost centre budget"],
    ["Purchase order", "Head of department", "5000.01", "25000", ""],
    ["Purchase order", "CFO", "25000.01", "100000", ""],
    [
        "Purchase order",
        "CFO and CEO (dual approval)",
        "100000.01",
        "",
        "Reported to the advisory board quarterly",
    ],
    ["Capex", "CFO after review by Head of Controlling", "0", "", "Every capex item needs a CX number first"],
    ["IT hardware and software", "Head of IT (co-approval)", "0", "", "In addition to the approver above"],
    ["Contracts longer than 12 months", "Legal (co-approval)", "0", "", "In addition to the approver above"],
]


def cfo_email(out: Path) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(APPROVAL_LIMITS_CSV)
    body = f"""
Dear budget owners and heads of department,

as announced in the leadership meeting on 8 September, we are updating our approval limits. Our business
has grown considerably since the current limits were set in 2021, and too many routine claims and orders
are waiting for approvals at a level that adds no real control. At the same time the auditors asked us
to tighten the rules for very large purchase orders and for IT purchases.

The new limits apply to all expense claims and purchase orders submitted on or after 1 October 2025.
Claims and orders submitted before that date are approved under the old rules. The attached file
approval-limits-2025-10.csv contains the complete new matrix; SpendLine and the purchasing module in our
ERP will be switched over by Controlling during the weekend of 27/28 September.

Three points I would like to highlight:

1. The limits for line managers and heads of department on expense claims go up.
2. Very large purchase orders will need two signatures.
3. All IT hardware and software purchases now need a co-approval by IT, whatever the amount, so that we
   stop buying licences twice and every device ends up in the asset inventory.

The Travel and Expense Policy (FIN-POL-002) will be updated to version 4.3 in Q4; until then this e-mail and
its attachment take precedence over section 7 of the policy. Please pass this on to your teams where
relevant. Questions go to Lukas Baumann (Head of Controlling) or to me.

Best regards
Martin Hoffmann
Chief Financial Officer
{COMPANY} | {MUNICH_ADDRESS}
martin.hoffmann@{DOMAIN} | {SWITCHBOARD_MUC}
"""
    write_eml(
        out / "2025-09-15-cfo-new-approval-limits.eml",
        sender=f"Martin Hoffmann <martin.hoffmann@{DOMAIN}>",
        to=f"Budget Owners <budget-owners@{DOMAIN}>",
        cc=f"Lukas Baumann <lukas.baumann@{DOMAIN}>",
        subject="New approval limits for expenses and purchase orders (1 Oct 2025)",
        date="Mon, 15 Sep 2025 08:42:17 +0200",
        message_id=f"<20250915084217.cfo-approval-limits@{DOMAIN}>",
        body=body,
        attachments=[("approval-limits-2025-10.csv", "text", "csv", buf.getvalue().encode("utf-8"))],
    )


def month_end_close(out: Path) -> None:
    blocks = [
        p("""Internal procedure of the Finance team (FIN-PRO-001, version 3.1, last updated 4 June 2025,
        owner: Lukas Baumann, Head of Controlling). The monthly close is completed on working day 6 (WD6);
        quarter-end closes follow the same calendar with the additional steps marked (Q)."""),
        h1("Close calendar"),
        table(
            [
                ["Working day", "Task", "Owner"],
                ["WD-2", "Reminder to budget owners: goods receipts and open purchase orders", "Controlling"],
                [
                    "WD1",
                    "Cut-off for supplier invoices received by 12:00; payroll journal posted",
                    "Accounting",
                ],
                ["WD2", "Accruals for services received but not invoiced; bank reconciliation", "Accounting"],
                [
                    "WD3",
                    "Inventory valuation Leipzig (raw materials, WIP, finished robots)",
                    "Accounting Leipzig",
                ],
                ["WD3", "Revenue recognition for FleetOS subscriptions and robot deliveries", "Controlling"],
                ["WD4", "Reconciliation of customer prepayments and deposits for robot orders", "Accounting"],
                [
                    "WD5",
                    "Cost centre reports to budget owners; variance comments due by 16:00",
                    "Controlling",
                ],
                [
                    "WD6",
                    "Reporting package to the CFO; (Q) quarterly package to the advisory board",
                    "Controlling",
                ],
            ]
        ),
        h1("Rules"),
        ul(
            "Accruals are only booked for amounts of EUR 5,000 or more per supplier and month; "
            "smaller amounts are expensed when invoiced.",
            "Variances above 5% and at least EUR 20,000 against budget need a written comment from "
            "the budget owner.",
            "Manual journal entries above EUR 50,000 require four-eyes approval in the ERP by the "
            "Head of Controlling.",
            "Revenue for robot sales is recognised on signed site acceptance (SAT), not on shipment.",
            "The period in the ERP is locked at 18:00 on WD5; later corrections go into the following month.",
        ),
        h1("Quarter-end additions (Q)"),
        ul(
            "Physical stock count in Leipzig on the last Friday of the quarter, supervised by Controlling.",
            "Review of capex projects: status and capitalisation of finished assets.",
            "Update of the rolling forecast for the next four quarters.",
            "Audit firm Berger Treuhand receives the quarterly trial balance by WD8.",
        ),
    ]
    render_md(
        out / "month-end-close-procedure.md", "Month-End Close Procedure", "Finance \u2013 internal", blocks
    )


# --------------------------------------------------------------------------------------------------
# Engineering
# --------------------------------------------------------------------------------------------------


def oncall_runbook(out: Path) -> None:
    blocks = [
        p("""Runbook for the FleetOS on-call rota. Owner: Felix Neumann (SRE lead). Last reviewed 2
        July 2025 after INC-2025-041. If you are on call and something is on fire, jump straight to
        "First 15 minutes"."""),
        h1("Rota and handover"),
        p("""The rota is weekly. Handover is on Monday at 10:00 CET in the #oncall-handover channel and in a
        15-minute call: the outgoing primary summarises open incidents, silenced alerts and risky deployments.
        Every week has a primary and a secondary on call. The primary acknowledges pages; the secondary takes
        over if the primary does not acknowledge, and helps during SEV1 and SEV2 incidents. Engineers join the
        rota after their probation period and after one shadow shift. Swaps are arranged between engineers and
        entered in PagerDuty by the person giving away the shift."""),
        p("""On-call compensation: EUR 300 flat per week on the primary rota, EUR 150 per week on the
        secondary rota, plus EUR 60 per hour of active incident work outside 08:00-20:00 on weekdays
        and at any time at weekends and on public holidays. Active hours are recorded in PeopleHub
        under "On-call incident work" with the incident ID."""),
        h1("Severity levels"),
        table(
            [
                ["Severity", "Definition", "Acknowledge within", "Status updates", "Example"],
                [
                    "SEV1",
                    "Robots stopped or unsafe at one or more customer sites; data loss",
                    "5 minutes",
                    "Every 30 minutes",
                    "Command channel down, robots in safe stop",
                ],
                [
                    "SEV2",
                    "Major feature degraded for many customers, robots still operating",
                    "15 minutes",
                    "Every 60 minutes",
                    "Mission planning latency > 10 s",
                ],
                [
                    "SEV3",
                    "Minor degradation or single customer affected, workaround exists",
                    "2 hours",
                    "Daily",
                    "Analytics dashboard stale",
                ],
                ["SEV4", "No customer impact", "Next business day", "In the ticket", "Staging cluster down"],
            ]
        ),
        h1("Escalation"),
        ol(
            "PagerDuty pages the primary. No acknowledgement after 10 minutes: the secondary is paged.",
            "No acknowledgement after 20 minutes: the engineering manager on duty is paged.",
            "For every SEV1, the primary names an incident commander (IC) immediately; the IC is "
            "never the person "
            "doing the hands-on fixing. Default IC during office hours is Felix Neumann, otherwise "
            "the secondary.",
            "SEV1 lasting longer than 60 minutes: the IC informs Priya Raman (VP Engineering), who "
            "informs the "
            "CTO and customer success.",
            "Customer communication for SEV1 goes out on status.northwind-robotics.example within 30 minutes "
            "of the first page, written by customer success on duty.",
        ),
        h1("First 15 minutes"),
        ol(
            "Acknowledge the page and open an incident in PagerDuty with severity; this creates the Slack "
            "channel #inc-<id>.",
            "Check the FleetOS overview dashboard in Grafana (dashboard 'FleetOS / Global health').",
            "Check recent deployments in Argo CD; if a deployment in the last 2 hours correlates, roll back "
            "first and investigate later.",
            "Confirm robot safety: robots that lose the command channel go into safe stop after 3 seconds. "
            "They must not be restarted remotely until the cause is understood.",
        ),
        h1("Common alerts and remediation"),
        h2("MqttBrokerUnavailable"),
        p("""The MQTT broker cluster (3 nodes, namespace fleetos-messaging) no longer accepts
        connections from edge gateways. Check the broker pods and the certificate expiry first; since
        INC-2025-041 an expired intermediate certificate is the first suspect."""),
        code(
            """kubectl -n fleetos-messaging get pods -l app=mqtt-broker
kubectl -n fleetos-messaging logs statefulset/mqtt-broker --since=15m | grep -i -E 'tls|handshake'
# Certificate expiry of the broker chain (leaf and intermediate):
kubectl -n fleetos-messaging get certificate
openssl s_client -connect mqtt.fleetos.internal:8883 -showcerts </dev/null | openssl x509 -noout -enddate"""
        ),
        h2("RobotHeartbeatLost"),
        p("""More than 5% of the robots at a site have not sent a heartbeat for 60 seconds. Usually a
        problem of the on-site edge gateway (NW Edge Box) or the customer's network. Check the gateway
        status in the fleet console; if the gateway is offline, customer success calls the site contact
        listed in the CRM. Do not restart robots remotely."""),
        h2("MapSyncLagHigh"),
        p("""The map service lags more than 60 seconds behind edge updates. Restart the map-sync
        worker; if the lag does not recover within 10 minutes, escalate to the Navigation team channel."""),
        code("kubectl -n fleetos rollout restart deployment/map-sync-worker"),
        h2("MissionPlannerLatencyHigh"),
        p("""p95 planning latency above 2 seconds for 10 minutes. Check the Postgres connection pool
        and scale the planner horizontally (maximum 24 replicas)."""),
        code("kubectl -n fleetos scale deployment/mission-planner --replicas=16"),
        h1("After the incident"),
        p("""Every SEV1 and SEV2 gets a blameless postmortem within 5 working days, using the template
        in the engineering wiki. Action items are tracked in Jira with the label 'postmortem' and
        reviewed in the weekly reliability meeting on Thursdays at 14:00."""),
    ]
    render_md(out / "on-call-runbook.md", "FleetOS On-Call Runbook", "Engineering \u2013 SRE team", blocks)


def architecture_slides(out: Path) -> None:
    prs = Presentation()
    prs.slide_width = Inches(13.333)
    prs.slide_height = Inches(7.5)
    title_layout, content_layout, title_only = (
        prs.slide_layouts[0],
        prs.slide_layouts[1],
        prs.slide_layouts[5],
    )

    def bullets(
        slide: Any,
        items: list[str],
        left: float = 0.6,
        top: float = 1.5,
        width: float = 12.1,
        height: float = 5.5,
    ) -> None:
        body = slide.placeholders[1]
        body.left, body.top, body.width, body.height = (
            Inches(left),
            Inches(top),
            Inches(width),
            Inches(height),
        )
        tf = body.text_frame
        tf.text = items[0]
        for item in items[1:]:
            level = 1 if item.startswith("- ") else 0
            para = tf.add_paragraph()
            para.text = item[2:] if level else item
            para.level = level
        for para in tf.paragraphs:
            for run in para.runs:
                run.font.size = PptxPt(22 if para.level == 0 else 18)

    def notes(slide: Any, text: str) -> None:
        slide.notes_slide.notes_text_frame.text = " ".join(text.split())

    def fix_title(slide: Any) -> None:
        slide.shapes.title.left, slide.shapes.title.top = Inches(0.6), Inches(0.4)
        slide.shapes.title.width, slide.shapes.title.height = Inches(12.1), Inches(1.0)

    # 1 Title
    s = prs.slides.add_slide(title_layout)
    s.shapes.title.text = "FleetOS Platform Architecture Overview"
    s.placeholders[1].text = "Engineering all-hands \u2013 Priya Raman, VP Engineering \u2013 September 2025"
    notes(
        s,
        """Welcome. This deck is the reference overview of the FleetOS platform for new engineers and for the
    architecture review on 18 September 2025. It covers the system context, the core services, the data flow,
    deployment, security and the 2026 roadmap.""",
    )

    # 2 System context diagram
    s = prs.slides.add_slide(title_only)
    s.shapes.title.text = "System context"
    fix_title(s)
    boxes = [
        ("Robots\nNW-200 Carrier\nNW-600 Lifter", 0.6),
        ("NW Edge Box\n(on site, k3s)\nlocal mission cache", 3.7),
        ("FleetOS Cloud\nAWS eu-central-1\n(Frankfurt)", 6.8),
        ("Customer systems\nWMS / ERP\nSAP EWM, Manhattan", 9.9),
    ]
    shapes = []
    for label, left in boxes:
        shape = s.shapes.add_shape(
            MSO_SHAPE.ROUNDED_RECTANGLE, Inches(left), Inches(2.6), Inches(2.8), Inches(1.8)
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = PptxRGB(0x1F, 0x4E, 0x79)
        shape.text_frame.text = label
        for para in shape.text_frame.paragraphs:
            for run in para.runs:
                run.font.size = PptxPt(16)
                run.font.color.rgb = PptxRGB(0xFF, 0xFF, 0xFF)
        shapes.append(shape)
    for a, b, label in zip(
        shapes[:-1], shapes[1:], ["Wi-Fi / 5G, mTLS", "MQTT over TLS :8883", "REST + webhooks"], strict=True
    ):
        conn = s.shapes.add_connector(
            MSO_CONNECTOR.STRAIGHT, a.left + a.width, a.top + a.height // 2, b.left, b.top + b.height // 2
        )
        conn.line.width = PptxPt(2.5)
        tb = s.shapes.add_textbox(a.left + a.width - Inches(0.3), Inches(4.6), Inches(1.6), Inches(0.8))
        tb.text_frame.text = label
        tb.text_frame.paragraphs[0].runs[0].font.size = PptxPt(12)
    tb = s.shapes.add_textbox(Inches(0.6), Inches(5.6), Inches(12), Inches(1.2))
    tb.text_frame.text = (
        "About 2,400 robots at 168 customer sites are connected; each site runs one NW Edge Box "
        "(two at sites with more than 40 robots)."
    )
    tb.text_frame.paragraphs[0].runs[0].font.size = PptxPt(16)
    notes(
        s,
        """Robots talk only to the edge box on site, never directly to the cloud. The edge box keeps a
        local mission cache of 15 minutes so that robots keep working if the cloud link drops; what it
        cannot do without the cloud is accept new orders from the WMS. Sites with more than 40 robots
        get a second edge box in hot standby.""",
    )

    # 3 Core services table
    s = prs.slides.add_slide(title_only)
    s.shapes.title.text = "Core services"
    fix_title(s)
    rows = [
        ["Service", "Responsibility", "Language", "Owner team", "SLO (monthly)"],
        ["fleet-api", "Public REST API, customer integrations, webhooks", "Go", "Platform", "99.95%"],
        ["mission-planner", "Assigns transport orders, plans routes", "Rust", "Navigation", "99.9%"],
        ["mqtt-broker / mqtt-bridge", "Command channel to edge boxes", "Go (bridge)", "Platform", "99.95%"],
        ["map-service", "Site maps, zones, map sync to edge", "Python", "Navigation", "99.5%"],
        ["telemetry-ingest", "Receives robot telemetry, writes to ClickHouse", "Go", "Data", "99.5%"],
        ["fleet-console", "Web UI for customers and support", "TypeScript", "Frontend", "99.9%"],
    ]
    shape = s.shapes.add_table(len(rows), len(rows[0]), Inches(0.6), Inches(1.6), Inches(12.1), Inches(4.2))
    col_widths = [2.6, 4.4, 1.6, 1.7, 1.8]
    for i, width in enumerate(col_widths):
        shape.table.columns[i].width = Inches(width)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = shape.table.cell(r, c)
            cell.text = value
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = PptxPt(15)
                    run.font.bold = r == 0
    notes(
        s,
        """Six core services, each with one owning team. The SLOs are measured monthly by the SRE team. The
    mission planner is the only Rust service; it was rewritten from Python in 2023 to bring p95 planning
    latency under 300 milliseconds. The mqtt-broker is a managed EMQX cluster with three nodes; the bridge
    is our own Go service that translates between MQTT topics and internal events.""",
    )

    # 4 Data flow
    s = prs.slides.add_slide(content_layout)
    s.shapes.title.text = "Data flow and storage"
    fix_title(s)
    bullets(
        s,
        [
            "Robots send telemetry at 10 Hz to the edge box",
            "- Edge box downsamples to 1 Hz before sending to the cloud",
            "About 2.3 billion telemetry messages per day reach telemetry-ingest",
            "Hot storage: ClickHouse, 13 months retention",
            "- Raw telemetry archived in S3 for 30 days, then deleted",
            "Transactional data (orders, missions, maps): PostgreSQL 16 on Amazon RDS",
            "- Point-in-time recovery window: 14 days",
            "Customer data stays in the EU (Frankfurt region)",
        ],
    )
    notes(
        s,
        """Emphasise the 10 Hz to 1 Hz downsampling: full-rate data never leaves the site unless support
    enables a 30-minute debug capture for a single robot. Retention periods are agreed with legal and written
    into the customer data processing agreement.""",
    )

    # 5 Deployment
    s = prs.slides.add_slide(content_layout)
    s.shapes.title.text = "Deployment and release"
    fix_title(s)
    bullets(
        s,
        [
            "Amazon EKS across 3 availability zones in eu-central-1",
            "Infrastructure as code with Terraform; GitOps with Argo CD",
            "Release train every second Tuesday",
            "- Code freeze Monday 12:00; canary to 5% of sites for 24 hours",
            "Edge boxes run k3s and update in customer-approved maintenance windows",
            "Robot firmware releases quarterly, signed and staged per site",
        ],
    )
    notes(
        s,
        """The release train is every second Tuesday. The canary group contains about 5% of sites,
    including our own acceptance lab in Munich and two friendly customer sites. A release is promoted if error
    budgets are not burned faster than 2x during the canary period.""",
    )

    # 6 Security
    s = prs.slides.add_slide(content_layout)
    s.shapes.title.text = "Security architecture"
    fix_title(s)
    bullets(
        s,
        [
            "mTLS everywhere: robot to edge box, edge box to cloud",
            "- Device certificates from our internal CA, valid 90 days, renewed automatically",
            "- Intermediate and root certificates monitored since INC-2025-041",
            "Customer SSO for fleet-console via OIDC / SAML",
            "Secrets in AWS Secrets Manager, never in Git",
            "Yearly external penetration test; last one in May 2025, no critical findings",
        ],
    )
    notes(
        s,
        """After the June outage we added expiry monitoring for every certificate in the chain, not only leaf
    certificates. Alerts fire 30 days and again 7 days before expiry.""",
    )

    # 7 Roadmap
    s = prs.slides.add_slide(content_layout)
    s.shapes.title.text = "Roadmap 2026"
    fix_title(s)
    bullets(
        s,
        [
            "Q1 2026: replace EMQX with NATS JetStream for the command channel",
            "Q2 2026: disaster recovery region eu-west-1 (Ireland)",
            "- Targets: RPO 15 minutes, RTO 4 hours",
            "Q3 2026: multi-site fleet optimisation for customers with several warehouses",
            "Q4 2026: public API v3 with event streaming",
        ],
    )
    notes(
        s,
        """The NATS migration is the biggest platform project of 2026 and is owned by the Platform team; the
    budget request is part of the 2026 planning round. Dates are targets, not commitments to customers.""",
    )

    _core_props(
        prs.core_properties,
        title="FleetOS Platform Architecture Overview",
        author="Priya Raman",
        stamp=dt.datetime(2025, 9, 12, 15, 0),
    )
    path = out / "architecture-overview.pptx"
    prs.save(str(path))
    normalize_zip(path, dt.datetime(2025, 9, 12, 15, 0))


def postmortem(out: Path) -> None:
    blocks = [
        h1("Summary"),
        table(
            [
                ["Field", "Value"],
                ["Incident ID", "INC-2025-041"],
                ["Severity", "SEV1"],
                ["Date", "Tuesday, 17 June 2025"],
                ["Duration", "2 hours 47 minutes (06:12-08:59 CEST)"],
                ["Impact", "41 customer sites of 17 customers; about 1,180 robots in safe stop"],
                ["Incident commander", "Felix Neumann"],
                ["Author", "Felix Neumann, with Platform team"],
                ["Status", "Action items in progress (review on 1 October 2025)"],
            ]
        ),
        p("""On 17 June 2025 the FleetOS command channel was unavailable for 41 customer sites in
        Germany, Austria and the Netherlands. Edge boxes could not establish TLS connections to the
        MQTT broker cluster because an intermediate certificate in the broker's certificate chain had
        expired at 06:00 CEST. Robots at the affected sites completed their current missions from the
        local cache and then went into safe stop. No robot behaved unsafely and no data was lost. Sites
        that had kept an established connection overnight were not affected until they reconnected."""),
        h1("Timeline (CEST)"),
        table(
            [
                ["Time", "Event"],
                ["06:00", "Intermediate certificate 'NW Fleet Intermediate CA 2' expires"],
                ["06:12", "Alert MqttBrokerUnavailable fires; primary on call (Jonas Weber) is paged"],
                ["06:19", "Page acknowledged; SEV2 declared"],
                [
                    "06:41",
                    "First customer call (logistics centre in Erfurt); upgraded to SEV1, IC Felix Neumann",
                ],
                ["07:05", "Status page updated; customer success informs all affected customers"],
                ["07:38", "TLS handshake errors identified in the broker logs"],
                ["08:10", "Root cause confirmed: expired intermediate certificate"],
                ["08:31", "New intermediate issued from offline root CA and deployed to all 3 broker nodes"],
                ["08:59", "All edge boxes reconnected; robots released by site staff; incident resolved"],
            ]
        ),
        h1("Root cause"),
        p("""The broker certificates are issued by cert-manager, which renews leaf certificates
        automatically. The intermediate certificate, however, had been created manually in 2022 with a
        validity of three years and installed as a static Kubernetes secret. Neither cert-manager nor
        our monitoring covered it: the certificate expiry alert only checked leaf certificates. The
        runbook did not mention certificates as a possible cause of MqttBrokerUnavailable, which cost
        about 80 minutes of diagnosis."""),
        h1("What went well"),
        ul(
            "Robots behaved exactly as designed: missions from the local cache were completed, then "
            "safe stop.",
            "Customer success had the status page updated within 30 minutes of the SEV1 declaration.",
            "Issuing a new intermediate from the offline root CA worked on the first attempt.",
        ),
        h1("What went wrong"),
        ul(
            "The incident was first classified as SEV2 although robots were stopped; the SEV1 criteria were "
            "not applied until a customer called.",
            "There was no inventory of manually managed certificates.",
            "Sites needed staff on site to release robots from safe stop, which prolonged the impact at two "
            "night-shift warehouses by another 40 minutes.",
        ),
        h1("Customer impact and credits"),
        p("""The monthly availability of the command channel in June was 99.61%, below the contractual SLA of
        99.9%. Service credits of EUR 38,400 in total were issued to the 17 affected customers with the July
        invoices. Customer success held follow-up calls with all affected customers by 27 June 2025."""),
        h1("Action items"),
        table(
            [
                ["ID", "Action", "Owner", "Due", "Status"],
                [
                    "AI-1",
                    "Monitor expiry of every certificate in all chains (alerts at 30 and 7 days)",
                    "Felix Neumann",
                    "30 Jun 2025",
                    "Done",
                ],
                [
                    "AI-2",
                    "Move the intermediate CA into cert-manager with automatic renewal",
                    "Platform team",
                    "31 Jul 2025",
                    "Done",
                ],
                [
                    "AI-3",
                    "Runbook: add certificate checks to MqttBrokerUnavailable",
                    "Felix Neumann",
                    "4 Jul 2025",
                    "Done",
                ],
                [
                    "AI-4",
                    "Clarify SEV1 criteria in on-call training; any stopped robots = SEV1",
                    "Priya Raman",
                    "31 Jul 2025",
                    "Done",
                ],
                [
                    "AI-5",
                    "Remote release of robots from safe stop after cloud outages (with site consent)",
                    "Navigation team",
                    "31 Dec 2025",
                    "In progress",
                ],
                [
                    "AI-6",
                    "Inventory of all manually managed secrets and certificates",
                    "IT & Security",
                    "30 Sep 2025",
                    "In progress",
                ],
            ]
        ),
    ]
    render_docx(
        out / "postmortem-2025-06-17-fleet-outage.docx",
        "Postmortem: FleetOS command channel outage (INC-2025-041)",
        "Blameless postmortem \u2013 published 24 June 2025 \u2013 Engineering / SRE",
        blocks,
        author="Felix Neumann",
        stamp=dt.datetime(2025, 6, 24, 11, 0),
    )


def coding_standards(out: Path) -> None:
    blocks = [
        p("""These standards apply to all code written at Northwind Robotics: FleetOS cloud services,
        the edge box software, robot firmware, internal tools and scripts. They are maintained by the
        engineering guild and published for everyone, including colleagues outside engineering who
        write scripts or automation. Version 3.4, last updated 28 April 2025, owner: Priya Raman (VP
        Engineering)."""),
        h1("Languages and tooling"),
        table(
            [
                ["Language", "Formatter", "Linter", "Minimum test coverage", "Used for"],
                ["Go", "gofmt", "golangci-lint", "75%", "fleet-api, mqtt-bridge, telemetry-ingest"],
                ["Rust", "rustfmt", "clippy (deny warnings)", "80%", "mission-planner"],
                ["Python", "ruff format", "ruff", "80%", "map-service, data tooling, scripts"],
                ["TypeScript", "prettier", "eslint", "70%", "fleet-console"],
                [
                    "C++ (firmware)",
                    "clang-format",
                    "clang-tidy + MISRA C++ subset",
                    "85% (safety modules 100% branch)",
                    "Robot firmware",
                ],
            ]
        ),
        p("""Coverage thresholds are enforced in CI for new and changed code. Formatting is never
        discussed in code review: if the formatter accepts it, it is fine."""),
        h1("Code review"),
        ul(
            "Every change goes through a pull request; direct pushes to main are blocked.",
            "One approval is required; changes to safety-critical paths (firmware/safety, motion control, "
            "emergency stop handling) require two approvals, one of them from a safety-certified engineer.",
            "Keep pull requests small: aim for fewer than 400 changed lines. Larger changes need a "
            "short design "
            "note linked in the description.",
            "Reviewers respond within one working day. The author merges after approval and green CI.",
        ),
        h1("Commits and branches"),
        ul(
            "Branch names: feature/NW-1234-short-description, fix/NW-1234-short-description.",
            "Commit messages follow Conventional Commits (feat:, fix:, docs:, refactor:, test:, chore:).",
            "Every commit references a Jira ticket ID in the body.",
        ),
        h1("Dependencies and licences"),
        p("""Allowed licences for dependencies: MIT, Apache-2.0, BSD-2-Clause, BSD-3-Clause, ISC and
        MPL-2.0. GPL and AGPL licensed code must never be included in robot firmware or in the edge box
        image; for other uses ask legal first. Dependencies are updated by Renovate; security updates
        are merged within 7 days for critical and 30 days for high severity vulnerabilities."""),
        h1("Secrets and configuration"),
        p("""Never commit secrets, tokens or customer data. Secrets live in AWS Secrets Manager (cloud)
        or the edge box's TPM-backed store. A pre-commit hook with gitleaks runs on every commit; CI
        fails if a secret is detected, and the secret must be rotated even if the commit was never
        pushed."""),
        h1("Documentation"),
        p("""Every service has a README with purpose, owner team, how to run it locally and links to
        dashboards and runbooks. Public functions of libraries have docstrings. Architecture decisions
        are recorded as ADRs in the repository under docs/adr."""),
    ]
    render_html(
        out / "coding-standards.html", "Coding Standards", "Engineering guild \u2013 version 3.4", blocks
    )


# --------------------------------------------------------------------------------------------------
# IT security
# --------------------------------------------------------------------------------------------------


def password_mfa_policy(out: Path) -> None:
    blocks = [
        p("""Document ID: SEC-POL-003. Version 3.0. Effective from 1 February 2025; replaces version
        2.2 of 1 October 2022. Owner: Emre Yilmaz, Chief Information Security Officer (CISO). Applies
        to all employees, contractors and service accounts with access to Northwind Robotics systems."""),
        h1("1. Why this policy exists"),
        p("""Stolen or guessed passwords are the most common way attackers get into companies like
        ours. A single compromised account can give access to customer site layouts, robot firmware
        signing or payroll data. This policy therefore combines long passwords, a password manager and
        phishing-resistant multi-factor authentication (MFA). It follows the recommendations of the BSI
        IT-Grundschutz and NIST SP 800-63B."""),
        h1("2. Password requirements"),
        table(
            [
                ["Account type", "Minimum length", "Rotation", "Notes"],
                [
                    "Personal user account",
                    "14 characters",
                    "Only on suspicion of compromise",
                    "Passphrases of 4+ random words are recommended",
                ],
                [
                    "Administrator account",
                    "20 characters",
                    "Only on suspicion of compromise",
                    "Separate from the personal account; FIDO2 key mandatory",
                ],
                [
                    "Service account",
                    "32 characters, randomly generated",
                    "Every 12 months and when staff leave",
                    "Stored only in the password manager vault of the owning team",
                ],
                [
                    "Robot / edge box local admin",
                    "24 characters, unique per device",
                    "On every firmware release",
                    "Managed by the fleet provisioning service",
                ],
            ]
        ),
        p("""Passwords are checked against a list of known breached passwords when they are set;
        passwords found on the list are rejected. Passwords must not contain the company name, your
        name or your username. The same password must never be used for a company account and a private
        service. We no longer require periodic password changes for personal accounts, because forced
        rotation leads to weaker passwords; you must, however, change your password immediately if you
        suspect that it has become known to someone else."""),
        h1("3. Password manager"),
        p("""Every employee receives a Bitwarden account in the company organisation. All work
        passwords that are not covered by single sign-on are stored there. Shared credentials are
        stored in team collections, never sent by e-mail or chat. The Bitwarden master password must be
        at least 16 characters long and must not be used anywhere else. If you forget it, the IT
        service desk can start an account recovery after verifying your identity in person or by video
        call."""),
        h1("4. Multi-factor authentication"),
        p("""MFA is mandatory for all accounts on all systems that support it, including e-mail and
        Microsoft 365, the VPN, PeopleHub, SpendLine, GitHub, AWS and the fleet console. The following
        methods are accepted:"""),
        ul(
            "FIDO2 security key (YubiKey 5 NFC). Issued to every employee on the first day; mandatory for "
            "administrators, Finance, People & HR and everyone with production access to FleetOS.",
            "Microsoft Authenticator app with number matching, for all other employees as a second method.",
        ),
        p("""SMS and voice call codes are no longer accepted as of 1 February 2025, because they can be
        intercepted through SIM swapping. Every employee registers two methods, for example the
        security key and the app, so that losing one does not lock them out."""),
        h1("5. Account lockout and sessions"),
        p("""After 10 failed login attempts an account is locked for 15 minutes. After three lockouts
        within 24 hours the account stays locked until it is unlocked by the IT service desk. Laptops
        lock the screen automatically after 5 minutes of inactivity. Single sign-on sessions expire
        after 12 hours; sessions on administrative consoles expire after 1 hour."""),
        h1("6. Lost or compromised credentials"),
        p(f"""If you lose your security key or your phone, or suspect that a password or MFA method has
        been compromised, report it within 24 hours to the IT service desk (extension
        {SERVICE_DESK_EXT}) and, outside office hours, to the IT security hotline {SECURITY_HOTLINE}.
        The service desk blocks the lost key and issues a replacement; replacement keys are handed out
        at the IT desk in Munich (3rd floor) or Leipzig (building B, ground floor) against your ID
        card."""),
        h1("7. Exceptions and enforcement"),
        p("""Exceptions, for example for legacy systems that cannot enforce MFA, must be requested from
        the CISO in writing with a risk assessment. They are granted for at most 90 days and reviewed
        before any extension. Violations of this policy may lead to the suspension of access and to
        disciplinary measures."""),
    ]
    render_pdf(
        out / "password-mfa-policy.pdf",
        "Password and Multi-Factor Authentication Policy",
        "SEC-POL-003 \u2013 Version 3.0 \u2013 effective from 1 February 2025 \u2013 owner: CISO",
        blocks,
        author="IT & Security",
    )


def acceptable_use_policy(out: Path) -> None:
    blocks = [
        p("""Document ID: SEC-POL-001. Version 2.3, valid from 1 July 2024. Owner: Emre Yilmaz (CISO).
        This policy applies to everyone who uses IT systems, devices, networks or accounts provided by
        Northwind Robotics, including contractors and interns."""),
        h1("1. Company devices and accounts"),
        p("""Company laptops, phones and accounts are provided for business purposes. Reasonable
        private use, such as checking private e-mail or online banking during a break, is allowed as
        long as it does not interfere with your work, does not create costs for the company and does
        not violate this policy. Do not store large private files (photos, videos, music libraries) on
        company devices; company devices are backed up and may be wiped or replaced at any time.
        Devices must not be used by family members or other persons."""),
        h1("2. Software"),
        p("""Install software only from the Company Portal (Self Service) catalogue. Software that is
        not in the catalogue can be requested through the IT service desk; IT checks the licence and
        security before approval, usually within five working days. Browser extensions are limited to
        the approved list. Cracked or unlicensed software, peer-to-peer file sharing clients,
        cryptocurrency mining and tools designed to bypass security controls (for example proxies that
        tunnel around the VPN) are strictly forbidden."""),
        h1("3. Generative AI tools"),
        p("""Use the company's internal assistant NW Assist for work with internal or confidential
        information; it runs in our own Azure tenant in the EU and does not use our data for training.
        Public AI chatbots and code assistants that are not approved may only be used with public
        information. Never paste source code, customer data, site layouts, personal data or financial
        figures into them. AI-generated code is reviewed like any other code, and you remain
        responsible for the result."""),
        h1("4. E-mail, chat and internet"),
        p("""Company e-mail and Slack are for business communication. Automatic forwarding of company
        e-mail to private accounts is blocked and must not be circumvented. Do not open unexpected
        attachments and report suspicious messages as described in the phishing report procedure.
        Access to websites with illegal, pornographic, extremist or gambling content is blocked and
        forbidden."""),
        h1("5. Removable media and cloud storage"),
        p("""USB storage devices are blocked on company laptops by default. Engineers who need USB
        access for robot firmware flashing get an exception for encrypted company USB drives, approved
        by their manager and IT security. Company data may only be stored in approved services:
        Microsoft 365 (OneDrive, SharePoint, Teams), GitHub, Confluence and Jira. Private cloud storage
        such as personal Dropbox or Google Drive accounts must not be used for company data."""),
        h1("6. Private devices (BYOD)"),
        p("""Private smartphones may be used for e-mail, Teams and Slack only through the Microsoft
        Intune app protection, which keeps company data in a separate, encrypted container. IT can wipe
        this container but never your private data. Private laptops and tablets must not be used to
        access internal systems."""),
        h1("7. Monitoring"),
        p("""Northwind Robotics does not monitor the content of your communication. To protect the
        company, security tools log connections, detect malware and block dangerous websites. These
        logs are kept for 90 days and are only evaluated in the case of a concrete security incident or
        a justified suspicion, with the involvement of the works council and the data protection
        officer, as agreed in works agreement BV-2021-04."""),
        h1("8. Violations"),
        p("""Violations of this policy can lead to the withdrawal of access rights and to disciplinary
        measures. If you are not sure whether something is allowed, ask the IT service desk before you
        do it."""),
    ]
    render_html(
        out / "acceptable-use-policy.html",
        "Acceptable Use Policy for IT Systems",
        "SEC-POL-001 \u2013 version 2.3 \u2013 valid from 1 July 2024",
        blocks,
    )


def phishing_procedure(out: Path) -> None:
    text = f"""PHISHING REPORT PROCEDURE
{COMPANY} - IT & Security
Document ID: SEC-PRO-005, version 1.4, last updated 20 January 2025
Owner: Emre Yilmaz (CISO)
======================================================================

WHY THIS MATTERS
Nine out of ten successful attacks on companies start with an e-mail. Attackers send fake invoices,
fake parcel notifications, fake Microsoft 365 login pages and, increasingly, messages that pretend to come
from our own management ("CEO fraud"). You are our best sensor: report anything that looks odd. A false
alarm costs us two minutes; a missed attack can cost weeks.

HOW TO RECOGNISE A SUSPICIOUS MESSAGE
- The sender address does not match the name, or the domain is slightly misspelled
  (for example northwind-robotlcs.example or northwindrobotics-support.com).
- The message creates time pressure ("within 2 hours", "your account will be deleted").
- You are asked to log in, open an attachment, enable macros, or scan a QR code.
- A "manager" asks for a confidential bank transfer, gift cards or a change of supplier bank details.
- External e-mails are marked with the banner [EXTERNAL] at the top. A message that claims to come from
  a colleague but carries this banner is suspicious.

STEP 1 - REPORT
In Outlook (desktop, web or mobile), select the message and click the "Report Phishing" button in the
ribbon. This sends the message with all technical headers to the security team and removes it from your
inbox. If the button is not available, forward the message AS AN ATTACHMENT to
phishing@{DOMAIN}. Suspicious text messages or phone calls are reported in the same mailbox with a
screenshot or a short description.

STEP 2 - DO NOT INTERACT
Do not click links, do not open attachments, do not reply and do not forward the message to colleagues
"as a warning". The security team will warn everyone if necessary.

STEP 3 - IF YOU ALREADY CLICKED OR ENTERED DATA
Do not be embarrassed - speed matters more than anything else.
  a) If you entered your password: change it immediately at https://account.{DOMAIN}
     from a different device if possible.
  b) Call the IT security hotline {SECURITY_HOTLINE} (24/7) within 30 minutes and say
     "possible phishing compromise". During office hours you can also call the IT service desk on
     extension {SERVICE_DESK_EXT}.
  c) If you opened an attachment or the laptop behaves strangely: disconnect from the network (switch off
     Wi-Fi, unplug the cable) but do NOT switch off the laptop, so that evidence is preserved.
  d) If you approved an MFA prompt you did not start yourself: report this as well; it means someone
     knows your password.

STEP 4 - PAYMENT FRAUD
Requests to change supplier bank details or to make urgent payments are always verified by Finance with a
call-back to a phone number already on file - never to a number in the e-mail. If you have already
initiated a payment, call Finance (Olga Petrova, extension 2207, or Lukas Baumann, extension 2210)
immediately; a bank recall is only possible within the first hours.

WHAT HAPPENS NEXT
The Security Operations Centre (SOC), operated for us by an external partner around the clock, analyses
every report. You receive an automatic confirmation immediately and a result ("harmless", "spam" or
"phishing") within 4 working hours. Confirmed phishing messages are removed from all mailboxes in the
company.

PHISHING SIMULATIONS
IT & Security sends simulated phishing e-mails to all employees once a month. Reporting a simulation
counts as success. Employees who click on a simulation are assigned a 10-minute e-learning module.
Our target is a click rate below 5% and a reporting rate above 60%. In Q2 2025 the click rate was
4.1% and the reporting rate 57%. The best reporter of each quarter receives a EUR 50 voucher.

CONTACTS
IT security hotline (24/7) ........ {SECURITY_HOTLINE}
IT service desk .................... extension {SERVICE_DESK_EXT}, help.{DOMAIN}
Phishing mailbox ................... phishing@{DOMAIN}
CISO ............................... Emre Yilmaz, emre.yilmaz@{DOMAIN}
"""
    (out / "phishing-report-procedure.txt").write_text(text, encoding="utf-8")


def vpn_guide(out: Path) -> None:
    blocks = [
        p(f"""How to set up and use the company VPN, NW Connect, on company laptops. NW Connect is
        based on WireGuard. Maintained by IT & Security (Jan Kowalski, Head of IT); last updated 3
        March 2025. For help, open a ticket at help.{DOMAIN} or call the IT service desk on extension
        {SERVICE_DESK_EXT} (Monday to Friday, 08:00-18:00)."""),
        h1("When you need the VPN"),
        ul(
            "Always when you work outside the office and access internal systems (PeopleHub, SpendLine, "
            "Confluence, Jira, file shares, the fleet console admin area).",
            "Always on untrusted networks such as hotels, trains, airports and cafés; the client switches on "
            "automatically when it detects an untrusted network (always-on mode).",
            "Not needed for Microsoft 365, Slack and Bitwarden; they are protected by single sign-on "
            "and MFA.",
        ),
        h1("Gateways"),
        table(
            [
                ["Gateway", "Hostname", "Port", "Use"],
                ["Munich", f"vpn-muc.{DOMAIN}", "UDP 51820", "Default for all employees"],
                ["Leipzig", f"vpn-lej.{DOMAIN}", "UDP 51820", "Leipzig staff; fallback for everyone"],
                [
                    "Fallback (TCP)",
                    f"vpn-tcp.{DOMAIN}",
                    "TCP 443",
                    "Networks that block UDP, e.g. some hotels",
                ],
            ]
        ),
        p("""NW Connect uses split tunnelling: only traffic to the internal networks 10.40.0.0/16 (Munich),
        10.60.0.0/16 (Leipzig) and 10.80.0.0/16 (AWS) goes through the tunnel. Internet traffic goes directly
        out, except on untrusted networks, where full tunnelling is enforced."""),
        h1("Setup on Windows"),
        ol(
            "Open the Company Portal and install 'NW Connect'. Administrator rights are not needed.",
            "Start NW Connect and click 'Sign in'. Log in with your company account and confirm with your "
            "security key or the authenticator app.",
            "The client downloads your personal WireGuard profile. Choose the gateway Munich unless "
            "you work in "
            "Leipzig.",
            "Click 'Connect'. The tray icon turns green when the tunnel is up.",
        ),
        h1("Setup on macOS"),
        ol(
            "Open Self Service and install 'NW Connect'.",
            "When macOS asks to allow the VPN configuration, click 'Allow' and enter your Mac password.",
            "Sign in with your company account and MFA, choose the gateway and click 'Connect'.",
        ),
        h1("Setup on Linux (engineering laptops)"),
        p("""Engineering laptops with Ubuntu 24.04 use the WireGuard tools directly. The profile is
        downloaded from the self-service page and is valid for 12 hours; after that you need to
        authenticate again."""),
        code(
            f"""sudo apt install wireguard-tools
# download your profile (opens the browser for SSO + MFA)
nw-connect login --gateway vpn-muc.{DOMAIN}
sudo wg-quick up nwconnect
# check the tunnel
sudo wg show nwconnect
ping -c 3 confluence.internal.{DOMAIN}"""
        ),
        h1("Re-authentication"),
        p("""VPN sessions last 12 hours. After that, NW Connect asks you to sign in again with MFA.
        Idle connections without traffic are disconnected after 30 minutes."""),
        h1("Troubleshooting"),
        table(
            [
                ["Symptom", "What to do"],
                [
                    "Client shows 'Handshake did not complete'",
                    "Your network probably blocks UDP; switch to the gateway 'Fallback (TCP)'.",
                ],
                [
                    "Connected, but internal sites do not load",
                    "Disconnect and reconnect; check that the laptop date "
                    "and time are correct; flush DNS (Windows: ipconfig /flushdns).",
                ],
                [
                    "MFA prompt does not arrive",
                    "Use the security key instead of the app; check that the phone has network access.",
                ],
                [
                    "Hotel Wi-Fi login page does not appear",
                    "Pause NW Connect for 5 minutes in the tray menu, log in to "
                    "the hotel Wi-Fi, then resume.",
                ],
                [
                    "Very slow connection",
                    "Choose the gateway closest to you; avoid the TCP fallback if UDP works.",
                ],
            ]
        ),
    ]
    render_md(
        out / "vpn-setup-guide.md",
        "VPN Setup Guide (NW Connect)",
        "IT & Security \u2013 how-to guide",
        blocks,
    )


# --------------------------------------------------------------------------------------------------
# General
# --------------------------------------------------------------------------------------------------


def company_overview(out: Path) -> None:
    facts = [
        ["Field", "Value"],
        ["Legal name", COMPANY],
        ["Registered office", f"{MUNICH_ADDRESS}, Germany"],
        ["Commercial register", "HRB 214789, Amtsgericht München"],
        ["VAT ID", "DE 318 442 907"],
        ["Founded", "2014, Munich"],
        ["Founders", "Dr. Katharina Brandt and Tobias Lenz"],
        ["Sites", "Munich (headquarters) and Leipzig (production, service centre, field operations)"],
        ["Employees (30 June 2025)", HEADCOUNT_TOTAL],
        ["Employees in Munich (30 June 2025)", HEADCOUNT_MUC],
        ["Employees in Leipzig (30 June 2025)", HEADCOUNT_LEJ],
        ["Revenue 2024 (EUR million)", "58.4"],
        ["Revenue H1 2025 (EUR million)", "32.7"],
        [
            "Products",
            "NW-200 Carrier (payload 200 kg), NW-600 Lifter (payload 600 kg, launched March 2025), FleetOS",
        ],
        ["Customer sites (September 2025)", 168],
        ["Robots in operation (September 2025)", "about 2,400"],
        ["Countries with customers", 11],
        ["Financial year", "Calendar year"],
        ["Auditor", "Berger Treuhand GmbH Wirtschaftsprüfungsgesellschaft"],
        ["Works council", "Joint works council for both sites, 9 members, chair Thomas Richter"],
    ]
    leadership = [
        ["Name", "Role", "Site", "In role since"],
        ["Dr. Katharina Brandt", "Chief Executive Officer (CEO), co-founder", "Munich", "2014"],
        ["Tobias Lenz", "Chief Technology Officer (CTO), co-founder", "Munich", "2014"],
        ["Martin Hoffmann", "Chief Financial Officer (CFO)", "Munich", "2022"],
        ["Andrea Vogel", "Chief Operating Officer (COO), site lead Leipzig", "Leipzig", "2018"],
        ["Sabine Krüger", "Chief People Officer", "Munich", "2019"],
        ["Emre Yilmaz", "Chief Information Security Officer (CISO)", "Munich", "2023"],
        ["Priya Raman", "VP Engineering", "Munich", "2021"],
        ["Lukas Baumann", "Head of Controlling", "Munich", "2020"],
        ["Jan Kowalski", "Head of IT", "Munich", "2019"],
        ["Nadine Fischer", "Office manager Munich", "Munich", "2017"],
        ["Ralf Schubert", "Facility and safety manager Leipzig", "Leipzig", "2018"],
    ]
    sites = [
        ["Site", "Address", "Opened", "Headcount 30 Jun 2025", "Main functions", "Switchboard"],
        [
            "Munich (HQ)",
            MUNICH_ADDRESS,
            "2014",
            HEADCOUNT_MUC,
            "Software engineering, product, sales & marketing, central functions",
            SWITCHBOARD_MUC,
        ],
        [
            "Leipzig",
            LEIPZIG_ADDRESS,
            "2018",
            HEADCOUNT_LEJ,
            "Assembly & production, customer service centre, field operations",
            SWITCHBOARD_LEJ,
        ],
    ]
    by_dept = [["Department", "Cost centre", "Munich", "Leipzig", "Total"]]
    by_dept += [[d, cc, m, lj, m + lj] for d, cc, m, lj in HEADCOUNT]
    by_dept.append(["Total", "", HEADCOUNT_MUC, HEADCOUNT_LEJ, HEADCOUNT_TOTAL])
    write_xlsx(
        out / "company-overview.xlsx",
        [
            ("Key facts", facts, [36, 90]),
            ("Leadership", leadership, [24, 50, 12, 14]),
            ("Sites", sites, [14, 36, 10, 22, 66, 20]),
            ("Headcount by department", by_dept, [32, 12, 10, 10, 10]),
        ],
        title="Northwind Robotics company overview",
        stamp=dt.datetime(2025, 7, 8, 9, 0),
    )


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def holidays(out: Path) -> None:
    rows = [["date", "weekday", "name", "day_off_munich_bavaria", "day_off_leipzig_saxony", "note"]]
    for year in (2025, 2026):
        easter = _easter(year)
        nov23 = dt.date(year, 11, 23)
        repentance = nov23 - dt.timedelta(days=(nov23.weekday() - 2) % 7 or 7)  # Wednesday before 23 Nov
        entries = [
            (dt.date(year, 1, 1), "New Year's Day", "yes", "yes", ""),
            (dt.date(year, 1, 6), "Epiphany (Heilige Drei Könige)", "yes", "no", ""),
            (easter - dt.timedelta(days=2), "Good Friday", "yes", "yes", ""),
            (easter + dt.timedelta(days=1), "Easter Monday", "yes", "yes", ""),
            (dt.date(year, 5, 1), "Labour Day", "yes", "yes", ""),
            (easter + dt.timedelta(days=39), "Ascension Day", "yes", "yes", ""),
            (easter + dt.timedelta(days=50), "Whit Monday", "yes", "yes", ""),
            (easter + dt.timedelta(days=60), "Corpus Christi (Fronleichnam)", "yes", "no", ""),
            (dt.date(year, 8, 15), "Assumption Day (Mariä Himmelfahrt)", "yes", "no", ""),
            (dt.date(year, 10, 3), "Day of German Unity", "yes", "yes", ""),
            (dt.date(year, 10, 31), "Reformation Day", "no", "yes", ""),
            (dt.date(year, 11, 1), "All Saints' Day", "yes", "no", ""),
            (repentance, "Day of Repentance and Prayer (Buß- und Bettag)", "no", "yes", ""),
            (dt.date(year, 12, 24), "Christmas Eve", "yes", "yes", "Company day off (not a public holiday)"),
            (dt.date(year, 12, 25), "Christmas Day", "yes", "yes", ""),
            (dt.date(year, 12, 26), "Second Day of Christmas", "yes", "yes", ""),
            (dt.date(year, 12, 31), "New Year's Eve", "yes", "yes", "Company day off (not a public holiday)"),
        ]
        for day, name, muc, lej, note in sorted(entries):
            if day.weekday() >= 5 and not note:
                note = "Falls on a weekend"
            rows.append([day.isoformat(), day.strftime("%A"), name, muc, lej, note])
    with (out / "holidays-2025-2026.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def office_locations(out: Path) -> None:
    blocks = [
        p("""This guide describes our two sites, how to get there and which facilities are available. It is
        maintained by the office management in Munich (Nadine Fischer) and the facility management in Leipzig
        (Ralf Schubert). Last updated 1 August 2025."""),
        h1("Munich headquarters"),
        p(f"""Address: {MUNICH_ADDRESS} (Werksviertel, 5 minutes' walk from München Ostbahnhof, S-Bahn
        and U5). We occupy floors 3 to 6 of the building. Reception is on the 3rd floor and is staffed
        Monday to Friday from 08:00 to 18:00; the switchboard number is {SWITCHBOARD_MUC}. On 30 June
        2025, {HEADCOUNT_MUC} employees were based in Munich: software engineering, product management,
        sales and marketing and the central functions."""),
        table(
            [
                ["Floor", "What you find there"],
                ["3", "Reception, IT desk, canteen, large meeting room 'Zugspitze' (40 people)"],
                [
                    "4",
                    "People & HR, Finance, management, quiet room 4.17, meeting rooms 'Isar' (12) "
                    "and 'Eisbach' (6)",
                ],
                ["5", "Software engineering, product management, focus booths"],
                ["6", "Sales & marketing, customer acceptance lab with the NW-600 test fleet, roof terrace"],
            ]
        ),
        h2("Access, parking and mobility"),
        p("""The building is open from 06:00 to 22:00 with your access badge; outside these hours
        access has to be requested from the office manager. The underground car park has 38 spaces for
        Northwind Robotics, 12 of them with EV charging points. Spaces are booked in the Desk & Parking
        app at most 14 days in advance; employees with a disability parking permit have two reserved
        spaces. There is a secured bike room with 60 places and showers in the basement."""),
        h2("Canteen and coffee"),
        p("""The canteen on the 3rd floor is operated by an external caterer and serves lunch from
        11:30 to 14:00. Northwind Robotics subsidises every lunch by EUR 3.50; the subsidy is applied
        automatically when you pay with your badge. Coffee, tea, water and fruit are free in all
        kitchens."""),
        h1("Leipzig site"),
        p(f"""Address: {LEIPZIG_ADDRESS} (tram line 3, stop Torgauer Platz, then 6 minutes on foot).
        The site consists of the production hall (building A, 4,200 square metres) with the assembly
        lines 1 and 2 and the battery test area, and the office building B with the customer service
        centre, field operations and training rooms. Assembly line 3 is being installed and will start
        operation in November 2025. Reception in building B is staffed Monday to Friday from 07:00 to
        17:00; switchboard {SWITCHBOARD_LEJ}. On 30 June 2025, {HEADCOUNT_LEJ} employees were based in
        Leipzig."""),
        h2("Safety in the production hall"),
        p("""Safety shoes of class S3 and high-visibility vests are mandatory in building A, also for
        visitors and office staff. Shoes are issued free of charge by the facility team on the first
        day. Robots in the test area move autonomously: always use the marked walkways and never enter
        the fenced test zone while the amber lights are flashing. Every accident and near miss is
        reported to the facility and safety manager Ralf Schubert."""),
        h2("Parking, lunch and facilities"),
        p("""The site has 120 free parking spaces for employees and visitors and 4 EV charging points;
        6 more are planned. There is no canteen in Leipzig. Instead, employees receive a digital meal
        voucher of EUR 6.50 for every working day on site, credited to the lunch app. The kitchen in
        building B has a microwave, fridge and free coffee. Training rooms 'Auensee' (16 people) and
        'Pleiße' (8 people) can be booked by all employees."""),
        h1("Visitors"),
        p("""Register visitors in the visitor system at least 24 hours in advance, so that a badge and,
        in Leipzig, the safety briefing can be prepared. Visitors sign the confidentiality declaration
        at reception and must be accompanied at all times. Customer visits to the Leipzig production
        hall need the approval of the COO or the production manager."""),
        h1("Wi-Fi"),
        p("""Employees connect company laptops to the network 'NW-Corp', which uses certificates and
        connects automatically. Private phones and visitors use 'NW-Guest'; reception hands out guest
        vouchers that are valid for 7 days. Robots and test equipment use separate networks; do not
        connect anything else to them."""),
        h1("Travelling between the sites"),
        p("""Munich and Leipzig are about 3 hours 15 minutes apart by ICE. Travel between the sites is
        booked as a business trip through the travel portal. Both sites have two hot desks reserved for
        colleagues from the other site; book them in the Desk & Parking app."""),
    ]
    render_docx(
        out / "office-locations-and-facilities.docx",
        "Office Locations and Facilities",
        "Munich headquarters and Leipzig site \u2013 updated 1 August 2025",
        blocks,
        author="Office management",
        stamp=dt.datetime(2025, 8, 1, 10, 0),
    )


def all_hands_email(out: Path) -> None:
    body = f"""
Dear colleagues,

it is time for our autumn all-hands. Please block the date:

    Thursday, 25 September 2025, 14:00-15:30 CEST
    Munich: meeting room Zugspitze (3rd floor) - Leipzig: watch party in training room Auensee
    Livestream for everyone else: link in the calendar invitation, recording available for 30 days

Agenda
1. H1 2025 results and outlook (Martin Hoffmann)
2. NW-600 Lifter: the first six months in the market (Andrea Vogel)
3. FleetOS reliability after the June incident (Priya Raman)
4. Assembly line 3 in Leipzig (Andrea Vogel)
5. People topics: new hires, remote work rules, staff survey (Sabine Krüger)
6. Your questions

A few highlights in advance. Our revenue in the first half of 2025 was EUR 32.7 million, 18 percent more
than in H1 2024. We went live at 23 new customer sites, and the NW-600 Lifter, launched in March, has
already been ordered by 9 customers. On 30 June we were {HEADCOUNT_TOTAL} colleagues, {HEADCOUNT_MUC} in
Munich and {HEADCOUNT_LEJ} in Leipzig, and we plan to welcome about 20 more by the end of the year, most of
them in Leipzig, where assembly line 3 will start operation in November and increase our capacity from
110 to 160 robots per month.

Please send your questions in advance through Slido (event code #NW2509) by Monday, 22 September. You can
ask anonymously. Questions that we cannot answer in the session will be answered in writing on the intranet
within a week.

After the all-hands we celebrate the autumn with an Oktoberfest get-together on the roof terrace in Munich
from 16:00 and with a barbecue in front of building B in Leipzig from 15:45. Vegetarian and vegan options
are available at both sites.

See you there!

Katharina

Dr. Katharina Brandt
Chief Executive Officer
{COMPANY}
"""
    write_eml(
        out / "2025-09-02-all-hands-announcement.eml",
        sender=f"Dr. Katharina Brandt <katharina.brandt@{DOMAIN}>",
        to=f"All Employees <all@{DOMAIN}>",
        subject="Save the date: All-Hands on 25 September 2025",
        date="Tue, 02 Sep 2025 09:05:44 +0200",
        message_id=f"<20250902090544.all-hands-autumn@{DOMAIN}>",
        body=body,
    )


def benefits_faq(out: Path) -> None:
    qa = [
        (
            "Pension",
            "Does the company contribute to a company pension?",
            """Yes. If you convert part of your salary into the company pension scheme (betriebliche
            Altersversorgung, through our provider Allianz Direktversicherung), Northwind Robotics adds
            20% of the converted amount, plus a flat EUR 50 per month once you have passed your
            probation period. You can start, change or stop the conversion in PeopleHub with effect
            from the first day of the following month.""",
        ),
        (
            "Mobility",
            "Does the company pay for public transport?",
            """Yes. Every employee can get the Deutschlandticket as a job ticket. The company pays the
            full price of the ticket (currently EUR 58 per month), so it is free for you. Order it in
            PeopleHub by the 10th of a month to receive it for the following month.""",
        ),
        (
            "Mobility",
            "Can I lease a bike?",
            """Yes. Through JobRad you can lease up to two bikes or e-bikes with a total list price of
            up to EUR 8,000 by salary conversion over 36 months. The company pays the full insurance
            and service package for you. At the end of the lease you can buy the bike at the residual
            value offered by JobRad.""",
        ),
        (
            "Health",
            "Is there a gym or sports offer?",
            """Yes. With the EGYM Wellpass you can use more than 10,000 gyms, swimming pools and yoga
            studios in Germany. You pay EUR 25 per month, the company pays the rest. The membership
            runs monthly and can be cancelled at the end of any month.""",
        ),
        (
            "Health",
            "Is there support if I go through a difficult time?",
            """Yes. Our Employee Assistance Programme offers free, confidential counselling by phone
            24/7 and up to six sessions with a psychologist per topic, also for your family members
            living in your household. The company never learns who uses the service.""",
        ),
        (
            "Food",
            "Is lunch subsidised?",
            """In Munich, every lunch in the canteen on the 3rd floor is subsidised by EUR 3.50. In
            Leipzig, where there is no canteen, you receive a digital meal voucher of EUR 6.50 for
            every working day on site.""",
        ),
        (
            "Family",
            "What support is there for parents?",
            """Parents receive a childcare subsidy of EUR 150 per month per child for daycare until the
            child starts school, from the first day of employment. There is also a top-up of the
            parental allowance, 10 days of paid partner leave and a return bonus. All details are in
            the Parental Leave Policy.""",
        ),
        (
            "Learning",
            "How much can I spend on training?",
            """Each employee has a learning budget of EUR 1,200 per calendar year and three paid
            learning days. Language courses in German and English are free and do not count against the
            budget.""",
        ),
        (
            "Time off",
            "Do I get extra vacation days for long service?",
            """Yes. After 5 years of service you receive one additional vacation day per year, and
            after 10 years two additional days, on top of the 30 days in the staff handbook. The extra
            days apply from the calendar year in which the anniversary falls.""",
        ),
        (
            "Time off",
            "Can I take a sabbatical?",
            """After 3 years of service you can take an unpaid sabbatical of 1 to 3 months once every
            five years, with your manager's approval. Apply at least 4 months before the planned start.
            Your company pension and health insurance are continued during the sabbatical, but you pay
            the employee contributions yourself.""",
        ),
        (
            "Referrals",
            "Is there a bonus for recommending a new colleague?",
            """Yes. If someone you recommended is hired and passes the probation period, you receive a
            referral bonus of EUR 2,500 gross, paid with the next salary. Referrals of directors and of
            former employees who left less than 12 months ago are excluded. Submit referrals through
            the careers page with your name in the 'Referred by' field.""",
        ),
        (
            "Equipment",
            "Can I buy my old laptop when it is replaced?",
            """Yes. Laptops that are replaced after the regular lifetime of four years can be bought by
            the employee who used them for EUR 150, after IT has securely wiped them. Phones are not
            sold to employees.""",
        ),
    ]
    blocks: list[tuple] = [
        p(f"""Answers to the questions People & HR hears most often about employee benefits at
        {COMPANY}. The benefits apply to all employees with a permanent or fixed-term contract at both
        sites; for working students and interns only the mobility, food and health offers apply. Last
        updated 1 July 2025. If your question is not answered here, write to hr@{DOMAIN}."""),
    ]
    current = None
    for topic, question, answer in qa:
        if topic != current:
            blocks.append(h1(topic))
            current = topic
        blocks.append(h2(question))
        blocks.append(p(answer))
    render_html(
        out / "benefits-faq.html", "Benefits FAQ", "People & HR \u2013 last updated 1 July 2025", blocks
    )


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------

GENERATORS = {
    "hr": [
        staff_handbook,
        parental_leave_policy,
        remote_work_2023,
        remote_work_2025,
        salary_bands,
        disciplinary_procedure,
        onboarding_checklist,
        code_of_conduct_scan,
    ],
    "finance": [expense_policy, q3_budget, travel_booking_procedure, cfo_email, month_end_close],
    "engineering": [oncall_runbook, architecture_slides, postmortem, coding_standards],
    "it-security": [password_mfa_policy, acceptable_use_policy, phishing_procedure, vpn_guide],
    "general": [company_overview, holidays, office_locations, all_hands_email, benefits_faq],
}


def main() -> None:
    if DOCS.exists():
        shutil.rmtree(DOCS)
    for folder, generators in GENERATORS.items():
        out = DOCS / folder
        out.mkdir(parents=True)
        for generate in generators:
            generate(out)
    files = sorted(path for path in DOCS.rglob("*") if path.is_file())
    total = sum(path.stat().st_size for path in files)
    for path in files:
        print(f"{path.stat().st_size:>9,}  {path.relative_to(ROOT)}")
    print(f"{len(files)} files, {total / 1_000_000:.2f} MB")


if __name__ == "__main__":
    main()
