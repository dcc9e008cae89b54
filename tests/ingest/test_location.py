"""ingest/location.py: the place a reader is sent to, as text, for every format (pure)."""

from __future__ import annotations

import pytest

from ingest.location import Location, merge_all, merge_payloads, page_text

pytestmark = pytest.mark.unit


def test_pdf_pages_name_the_printed_label_only_when_it_differs() -> None:
    assert Location("page", (12, 12)).text() == "p. 12"
    assert Location("page", (12, 12), ("10", "10")).text() == "p. 12 (printed 10)"
    assert Location("page", (3, 4), ("iii", "iv")).text() == "pp. 3–4 (printed iii–iv)"
    assert Location("page", (5, 5), ("5", "5")).text() == "p. 5"  # same label: nothing to add
    assert page_text((7, 8), ("5", "6")) == "pp. 7–8 (printed 5–6)"


def test_slides_sheets_csv_and_text_lines() -> None:
    assert Location("slide", (3, 3)).text() == "slide 3"
    assert Location("slide", (3, 4)).text() == "slides 3–4"
    assert Location("sheet", sheet="Revenue", rows=(4, 9)).text() == "sheet Revenue, rows 4–9"
    assert Location("sheet", sheet="Revenue", rows=(4, 4)).text() == "sheet Revenue, row 4"
    assert Location("sheet", sheet="Revenue").text() == "sheet Revenue"
    assert Location("rows", rows=(2, 6)).text() == "rows 2–6"
    assert Location("lines", rows=(12, 30)).text() == "lines 12–30"
    assert Location("lines", rows=(1, 1)).text() == "line 1"


def test_documents_without_pages_are_found_by_their_heading_path() -> None:
    assert Location("section", section_path=("Methods", "Results")).text() == "section Methods › Results"
    # a DOCX that knows where Word broke its pages names the page too
    assert Location("section", (2, 2), section_path=("Let’s eat",)).text() == "section Let’s eat, p. 2"
    # no heading and no page: nothing better than the document itself (no fake "p. 1")
    assert Location("section").text() == ""
    assert Location("chapter", (3, 3), section_path=("Ducks",)).text() == "chapter 3, section Ducks"


def test_e_mail_body_and_attachments() -> None:
    assert Location("section", message="Family day").text() == "e-mail 'Family day'"
    txt = Location("lines", rows=(1, 1), message="Family day", attachments=("notes.txt",))
    assert txt.text() == "e-mail 'Family day' › attachment notes.txt, line 1"
    pdf = Location("page", (2, 2), message="Q3", attachments=("fwd.eml", "report.pdf"))
    assert pdf.text() == "e-mail 'Q3' › attachment fwd.eml › attachment report.pdf, p. 2"
    sheet = Location("sheet", sheet="Budget", rows=(4, 9), message="Q3", attachments=("q3.xlsx",))
    assert sheet.text() == "e-mail 'Q3' › attachment q3.xlsx, sheet Budget, rows 4–9"


def test_long_subjects_and_headings_are_cut_in_the_text_only() -> None:
    subject = "A very long subject line " * 5
    loc = Location("section", message=subject)
    assert len(loc.text()) < 80 and loc.text().endswith("…'")
    assert loc.to_payload()["message"] == subject


def test_merging_widens_spans_and_keeps_the_shared_heading_path() -> None:
    a = Location("page", (3, 3), ("i", "i"))
    b = Location("page", (5, 5))
    assert a.merge(b).text() == "pp. 3–5 (printed i–5)"
    assert b.merge(a) == a.merge(b)
    rows = merge_all([Location("sheet", sheet="S", rows=(4, 6)), Location("sheet", sheet="S", rows=(7, 9))])
    assert rows.text() == "sheet S, rows 4–9"
    s1 = Location("section", section_path=("Methods", "Sampling"))
    s2 = Location("section", section_path=("Methods", "Results"))
    assert s1.merge(s2).text() == "section Methods"
    # no shared heading: the chunk's first one
    a_then_b = Location("section", section_path=("A",)).merge(Location("section", section_path=("B",)))
    assert a_then_b.text() == "section A"
    assert merge_all([]) == Location()


def test_scope_separates_sheets_attachments_and_the_message_body() -> None:
    body = Location("section", message="Q3")
    att = Location("section", message="Q3", attachments=("a.txt",))
    assert body.scope() != att.scope()
    assert Location("sheet", sheet="A").scope() != Location("sheet", sheet="B").scope()
    assert Location("page", (1, 1)).scope() == Location("page", (9, 9)).scope()


def test_payload_round_trip_and_fields() -> None:
    loc = Location("page", (12, 13), ("10", "11"), message="Q3", attachments=("r.pdf",))
    payload = loc.to_payload()
    assert payload["location"] == "e-mail 'Q3' › attachment r.pdf, pp. 12–13 (printed 10–11)"
    assert payload["page_label"] == "10–11" and payload["attachment"] == "r.pdf"
    assert Location.from_payload(payload) == loc
    sheet = Location("sheet", sheet="Revenue", rows=(4, 9))
    assert sheet.to_payload() == {
        "location": "sheet Revenue, rows 4–9",
        "unit": "sheet",
        "sheet": "Revenue",
        "rows": [4, 9],
    }
    docx = Location("section", section_path=("Methods", "Results"))
    assert docx.to_payload()["section_path"] == ["Methods", "Results"]
    assert Location.from_payload(docx.to_payload()) == docx
    assert Location.from_payload({"page_start": 1, "page_end": 1}) is None  # indexed before locations


def test_merge_payloads_for_a_passage_joined_with_its_next_chunk() -> None:
    first = Location("sheet", sheet="S", rows=(4, 9)).to_payload()
    second = Location("sheet", sheet="S", rows=(10, 15)).to_payload()
    assert merge_payloads(first, second)["location"] == "sheet S, rows 4–15"
    assert merge_payloads({"page_start": 1}, second) == {}  # an old payload: left as it is
    other_sheet = Location("sheet", sheet="T", rows=(1, 2)).to_payload()
    assert merge_payloads(first, other_sheet) == {}
