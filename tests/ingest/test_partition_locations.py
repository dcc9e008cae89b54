"""Every chunk names the place a reader goes to find its fact, in every format (real partitioner on
the shared messy files, read in place from ../shared/data; files made in tmp for what they lack)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from ingest.chunk import Chunk, chunk_elements
from ingest.partition import partition_file, text_line_spans
from tests.conftest import SHARED_DATA

MESSY = SHARED_DATA / "messy"


def words(text: str) -> int:
    return len(text.split())


@functools.cache
def chunks_of(path: Path) -> list[Chunk]:
    result = partition_file(path)
    assert result.status == "ok", (path, result.reason)
    return chunk_elements(result.elements, words)


def chunk_with(path: Path, needle: str) -> Chunk:
    found = [c for c in chunks_of(path) if needle in c.text]
    assert found, f"{needle!r} not in any chunk of {path.name}"
    return found[0]


@pytest.mark.integration
def test_pdf_chunks_name_the_physical_page_and_the_printed_label(tmp_path: Path) -> None:
    """A report whose two front-matter pages are numbered i, ii and whose body starts again at 1."""
    import pypdf
    from pypdf.constants import PageLabelStyle
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    plain = tmp_path / "plain.pdf"
    c = canvas.Canvas(str(plain), pagesize=A4)
    texts = ["Foreword by the board of directors.", "Contents of this annual report.",
             "Revenue rose to 4.2 billion euros in 2024.", "Headcount reached 12,400 employees."]  # fmt: skip
    for text in texts:
        c.drawString(72, 760, text)
        c.showPage()
    c.save()
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.set_page_label(0, 1, style=PageLabelStyle.LOWERCASE_ROMAN)
    writer.set_page_label(2, 3, style=PageLabelStyle.DECIMAL, start=1)
    labelled = tmp_path / "report.pdf"
    with labelled.open("wb") as fh:
        writer.write(fh)

    result = partition_file(labelled)
    assert result.status == "ok" and result.pages == 4
    assert {e.page: e.page_label for e in result.elements} == {1: "i", 2: "ii", 3: "1", 4: "2"}
    chunks = chunk_elements(result.elements, words, min_tokens=1)
    where = {c.text: c.location for c in chunks}
    assert where["Foreword by the board of directors."] == "p. 1 (printed i)"
    assert where["Revenue rose to 4.2 billion euros in 2024."] == "p. 3 (printed 1)"
    assert where["Headcount reached 12,400 employees."] == "p. 4 (printed 2)"
    assert all((c.page_start, c.page_end) == (c.loc.pages) for c in chunks)  # page_start/_end as before
    # a PDF without labels of its own: the physical page only
    (plain_chunk, *_) = chunk_elements(partition_file(plain).elements, words, min_tokens=1)
    assert plain_chunk.location == "p. 1"


@pytest.mark.integration
def test_slides_are_cited_as_slides() -> None:
    deck = MESSY / "office" / "sample-presentation.pptx"
    assert chunk_with(deck, "This is the second content slide").location == "slide 3"
    assert chunk_with(deck, "| Table |").location == "slide 4"
    notes = MESSY / "office" / "powerpoint_sample.pptx"
    # slide 2 holds a few words only and joins slide 3's chunk (tiny fragments are merged): it says so
    assert chunk_with(notes, "Final notes on the third slide").location == "slides 2–3"


@pytest.mark.integration
def test_spreadsheet_chunks_name_sheet_rows_and_columns() -> None:
    cups = MESSY / "office" / "stanley-cups.xlsx"
    since_67 = [c for c in chunks_of(cups) if c.kind == "table" and c.loc.sheet == "Stanley Cups Since 67"]
    (table,) = since_67
    # Team | Location | Stanley Cups is row 2 of the sheet, Blues..Maple Leafs rows 3-5
    assert table.location == "sheet Stanley Cups Since 67, rows 3–5"
    assert table.columns == ("Team", "Location", "Stanley Cups")
    # Nestlé: header rows 6-7 joined, a blank row, data rows 9-17, the total in row 18
    nestle = MESSY / "office" / "2023-half-year-analyses-by-segment.xlsx"
    zone = chunk_with(nestle, "| Zone NA |")
    assert zone.loc.sheet == "OS-Rev.and results 30 06 2023" and zone.loc.rows[0] == 9
    assert zone.location.startswith("sheet OS-Rev.and results 30 06 2023, rows 9–")
    total = [c for c in chunks_of(nestle) if "| Total |" in c.text and c.loc.sheet == zone.loc.sheet]
    assert total and total[0].loc.rows[1] == 18


@pytest.mark.integration
def test_csv_chunks_name_their_rows() -> None:
    csv_file = MESSY / "office" / "csv-comma.csv"
    (table,) = [c for c in chunks_of(csv_file) if c.kind == "table"]
    assert table.location == "rows 2–6"  # the header is row 1, five customers follow
    assert table.columns[:3] == ("Index", "Customer Id", "First Name")
    semicolons = MESSY / "office" / "semicolon-delimited.csv"
    assert all(c.location.startswith("row") for c in chunks_of(semicolons))


@pytest.mark.integration
@pytest.mark.parametrize("name", ["fake-email-attachment.eml", "fake-email-attachment.msg"])
def test_e_mail_chunks_name_the_message_and_the_attachment(name: str) -> None:
    mail = MESSY / "email" / name
    body = chunk_with(mail, "Subject: Fake email with attachment")
    assert body.location == "e-mail 'Fake email with attachment'"
    attached = chunk_with(mail, "Hey this is a fake attachment!")
    assert attached.location == "e-mail 'Fake email with attachment' › attachment fake-attachment.txt, line 1"
    assert attached.loc.attachments == ("fake-attachment.txt",)


@pytest.mark.integration
def test_a_paged_attachment_names_its_page(tmp_path: Path) -> None:
    """A two-page PDF attached to a message: the chunk names the message, the file and the page."""
    from email.message import EmailMessage

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "plan.pdf"
    c = canvas.Canvas(str(pdf), pagesize=A4)
    for text in ["Agenda for the family day.", "Lunch is served at 12:30 in the garden."]:
        c.drawString(72, 760, text)
        c.showPage()
    c.save()
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "Family day", "hr@example.test", "all@example.test"
    msg.set_content("Hello all, the plan is attached.")
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="plan.pdf")
    eml = tmp_path / "family-day.eml"
    eml.write_bytes(msg.as_bytes())
    result = partition_file(eml)
    chunks = chunk_elements(result.elements, words, min_tokens=1)  # a chunk per page, however short
    (lunch,) = [c for c in chunks if "Lunch is served at 12:30" in c.text]
    assert lunch.location == "e-mail 'Family day' › attachment plan.pdf, p. 2"
    assert (lunch.page_start, lunch.page_end) == (1, 1)  # the message's page, as before


@pytest.mark.integration
def test_docx_chunks_name_the_heading_path() -> None:
    sample = MESSY / "office" / "word_sample.docx"
    (table,) = [c for c in chunks_of(sample) if c.kind == "table"]
    # "Let’s eat" is a Heading 2 under the Heading 1 "Let’s swim!"; Word broke the page before it
    assert table.location == "section Let’s swim! › Let’s eat, p. 2"
    assert table.loc.section_path == ("Let’s swim!", "Let’s eat")
    single_page = MESSY / "office" / "word_tables.docx"
    assert all("p. " not in c.location for c in chunks_of(single_page))  # no page info: no fake "p. 1"


@pytest.mark.integration
def test_html_chunks_name_the_heading_path() -> None:
    duck = MESSY / "web" / "wiki_duck.html"
    assert chunk_with(duck, "The word duck comes from Old English").location == "section Duck › Etymology"
    assert chunk_with(duck, "All ducks belong to the biological order").location == "section Duck › Taxonomy"
    assert all("p. " not in c.location for c in chunks_of(duck))


@pytest.mark.integration
def test_markdown_chunks_name_the_heading_path() -> None:
    wiki = MESSY / "web" / "wiki.md"
    assert chunk_with(wiki, "IBM originated with several").location == "section IBM › 1910s–1950s"
    assert chunk_with(wiki, "In 1961, IBM developed the SABRE").location == "section IBM › 1960s–1980s"


@pytest.mark.integration
def test_plain_text_chunks_name_their_lines(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    lines = ["These office notes cover the network and the printers here.", "",
             "The VPN gateway is vpn.example.test and it", "requires a hardware key for every login.", "",
             "", "Printers are on the 3rd floor, next to the kitchen."]  # fmt: skip
    notes.write_text("\n".join(lines) + "\n")
    chunks = chunk_elements(partition_file(notes).elements, words, max_tokens=16)  # one paragraph each
    where = {c.text.split()[0]: c.location for c in chunks}
    assert where == {"These": "line 1", "The": "lines 3–4", "Printers": "line 7"}
    # a text file without headings: no "section" and no fake "p. 1"
    assert chunk_elements(partition_file(notes).elements, words)[0].location == "lines 1–7"
    utf16 = MESSY / "web" / "fake-text-utf-16.txt"
    assert chunk_with(utf16, "This is a test document to use for unit tests.").location.startswith("line")


@pytest.mark.unit
def test_text_line_spans_finds_reflowed_paragraphs_in_order() -> None:
    source = "Title\n\nfirst line of a\nparagraph that wraps\n\n  second   paragraph\n"
    texts = ["Title", "first line of a paragraph that wraps", "second paragraph", "not in the file"]
    assert text_line_spans(source, texts) == [(1, 1), (3, 4), (6, 6), None]
    # a repeated paragraph is found at its own place, not the first one
    assert text_line_spans("same\nother\nsame\n", ["same", "other", "same"]) == [(1, 1), (2, 2), (3, 3)]
