"""PDFium's words (ingest.pdf_words) on real PDFs drawn with reportlab."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from ingest.pdf_words import PdfOpenError, read_pages


def draw(path: Path) -> Path:
    c = canvas.Canvas(str(path), pagesize=(600, 800))
    # page 1: a bold heading, body text, a ruled 2x2 grid
    c.setFont("Helvetica-Bold", 16)
    c.drawString(50, 750, "Quarterly Report")
    c.setFont("Helvetica", 10)
    c.drawString(50, 720, "Revenue grew in every region.")
    for x in (50, 200, 350):
        c.line(x, 600, x, 680)
    for y in (600, 640, 680):
        c.line(50, y, 350, y)
    c.showPage()
    # page 2: shown turned a quarter (/Rotate 90), text drawn so that it reads upright as shown
    c.setPageRotation(90)
    c.saveState()
    c.translate(100, 50)
    c.rotate(90)  # running up the page, which is shown turned clockwise: left to right
    c.setFont("Helvetica", 12)
    c.drawString(0, 0, "Upright as displayed")
    c.restoreState()
    c.showPage()
    # page 3: sideways text on an unrotated page (a landscape table printed on a portrait page)
    c.setPageRotation(0)
    c.saveState()
    c.translate(300, 100)
    c.rotate(90)
    c.setFont("Helvetica", 12)
    for k in range(5):
        c.drawString(0, -20 * k, "sideways text runs up the page " * 2)
    c.restoreState()
    c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list:
    return read_pages(draw(tmp_path_factory.mktemp("pdf") / "words.pdf"))


@pytest.mark.integration
def test_words_carry_their_box_size_and_weight(pages: list) -> None:
    first = pages[0]
    assert (first.width, first.height) == (600, 800)
    words = {w.text: w for w in first.words}
    assert {"Quarterly", "Report", "Revenue", "region."} <= set(words)
    heading, body = words["Quarterly"], words["Revenue"]
    assert heading.bold and heading.size == 16.0 and not body.bold and body.size == 10.0
    assert 45 < heading.x0 < 55 and 30 < heading.top < 55  # top-left origin: near the top of the page
    assert heading.top < body.top and words["Report"].x0 > heading.x1
    assert first.chars == len("QuarterlyReport") + len("Revenuegrewineveryregion.")
    assert first.upright == first.chars and first.unmapped == 0


@pytest.mark.integration
def test_ruled_lines_become_table_edges(pages: list) -> None:
    vertical = [e for e in pages[0].edges if e["orientation"] == "v"]
    horizontal = [e for e in pages[0].edges if e["orientation"] == "h"]
    assert sorted(round(e["x0"]) for e in vertical) == [50, 200, 350]
    assert sorted(round(e["top"]) for e in horizontal) == [120, 160, 200]  # 800 - y
    assert pages[0].vertical_rules == 3 and pages[1].vertical_rules == 0


@pytest.mark.integration
def test_a_rotated_page_is_read_as_displayed(pages: list) -> None:
    page = pages[1]  # reportlab stores it as an 800 x 600 page with /Rotate 90
    assert (page.width, page.height) == (600, 800)
    assert [w.text for w in page.words] == ["Upright", "as", "displayed"]
    assert page.upright == page.chars
    assert all(0 <= w.x0 < w.x1 <= 600 and 0 <= w.top < w.bottom <= 800 for w in page.words)
    assert page.words[0].x1 < page.words[1].x0  # left to right as shown


@pytest.mark.integration
def test_sideways_text_is_counted_not_read_as_words(pages: list) -> None:
    page = pages[2]
    assert page.chars > 100 and page.upright == 0 and not page.words
    assert page.sideways_turn == 90  # text running up the page reads after a quarter turn clockwise


@pytest.mark.integration
def test_a_file_that_is_no_pdf_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not a PDF body")
    with pytest.raises(PdfOpenError):
        read_pages(bad)
