import pytest

from ingest.chunk import chunk_elements, markdown_table, short_title, split_words
from ingest.elements import Element
from ingest.location import Location

pytestmark = pytest.mark.unit


def fake_count(text: str) -> int:
    """Fake tokenizer for unit tests: one token per whitespace-separated word."""
    return len(text.split())


def words(n: int, stem: str = "w") -> str:
    return " ".join(f"{stem}{i}" for i in range(n)) + "."


def test_section_title_is_carried_into_every_chunk_of_the_section() -> None:
    els = [Element("Parental leave", kind="title"), Element(words(50, "a")), Element(words(50, "b"))]
    chunks = chunk_elements(els, fake_count, max_tokens=60, min_tokens=5)
    assert len(chunks) == 2
    assert all(c.text.startswith("Parental leave\n") for c in chunks)
    assert all(c.section == "Parental leave" for c in chunks)


def test_chunks_fit_the_window() -> None:
    long_text = " ".join(f"Sentence number {i} is here." for i in range(200))
    chunks = chunk_elements([Element("Title", kind="title"), Element(long_text)], fake_count, max_tokens=50)
    assert len(chunks) > 10
    assert max(fake_count(c.text) for c in chunks) <= 50
    # nothing lost: every sentence appears in some chunk
    joined = " ".join(c.text for c in chunks)
    assert all(f"Sentence number {i} is here." in joined for i in range(200))


def test_a_sentence_longer_than_the_window_is_split_by_words() -> None:
    chunks = chunk_elements([Element(words(130))], fake_count, max_tokens=50)
    assert len(chunks) == 3
    assert all(fake_count(c.text) <= 50 for c in chunks)


def test_pages_are_tracked_and_page_change_closes_a_full_chunk() -> None:
    els = [
        Element(words(40, "p1_"), page=1),
        Element(words(40, "p2_"), page=2),
        Element(words(40, "p3_"), page=3),
    ]
    chunks = chunk_elements(els, fake_count, max_tokens=200, min_tokens=20)
    assert [(c.page_start, c.page_end) for c in chunks] == [(1, 1), (2, 2), (3, 3)]


def test_tiny_fragments_merge_across_pages_with_a_page_span() -> None:
    els = [Element("short bit", page=1), Element("another short bit", page=2)]
    chunks = chunk_elements(els, fake_count, max_tokens=200, min_tokens=20)
    assert len(chunks) == 1
    assert (chunks[0].page_start, chunks[0].page_end) == (1, 2)


def test_table_never_split_mid_row_and_header_repeated() -> None:
    header = ["City", "Per diem (EUR)", "Hotel cap (EUR)"]
    rows = [[f"City{i}", str(40 + i), str(120 + i)] for i in range(30)]
    table = Element(text="", kind="table", rows=[header, *rows], page=4, section="Rates")
    chunks = chunk_elements([table], fake_count, max_tokens=40)
    assert len(chunks) > 3
    assert all(c.kind == "table" for c in chunks)
    assert all("| City | Per diem (EUR) | Hotel cap (EUR) |" in c.text for c in chunks)
    body_rows = [
        line for c in chunks for line in c.text.splitlines() if line.startswith("| City") and "|" in line
    ]
    # every data row appears exactly once, whole
    for i in range(30):
        assert sum(f"| City{i} | {40 + i} | {120 + i} |" == line for line in body_rows) == 1
    assert all(c.page_start == c.page_end == 4 for c in chunks)


def test_oversized_row_is_kept_whole() -> None:
    header = ["k", "v"]
    big = ["key", words(80)]
    chunks = chunk_elements([Element("", kind="table", rows=[header, big])], fake_count, max_tokens=40)
    assert len(chunks) == 1
    assert words(80) in chunks[0].text


def test_no_empty_chunks_and_duplicates_removed() -> None:
    els = [Element("   "), Element("\n\n"), Element(words(60, "x"), page=1), Element(words(60, "x"), page=2)]
    chunks = chunk_elements(els, fake_count, max_tokens=70, min_tokens=10)
    assert len(chunks) == 1
    assert all(c.text.strip() for c in chunks)


def test_long_section_title_is_shortened() -> None:
    title = " ".join(["Very"] * 40) + " long heading"
    assert fake_count(short_title(title, fake_count, 8)) <= 8
    chunks = chunk_elements([Element(title, kind="title"), Element(words(20))], fake_count, title_tokens=8)
    assert chunks[0].section.endswith("…")
    assert fake_count(chunks[0].section) <= 8


def test_no_metadata_in_chunk_text() -> None:
    chunks = chunk_elements([Element("Body text here.", section="Intro", page=3)], fake_count)
    assert chunks[0].text == "Intro\nBody text here."


def test_markdown_table_escapes_pipes() -> None:
    assert markdown_table(["a|b"], [["1"]]).splitlines()[0] == "| a\\|b |"


def test_split_words_respects_budget() -> None:
    assert [fake_count(p) for p in split_words(words(25), fake_count, 10)] == [10, 10, 5]


def test_a_document_of_headings_only_is_not_lost() -> None:
    chunks = chunk_elements([Element("pdf encryption test password: asdfzxcv", kind="title")], fake_count)
    assert [c.text for c in chunks] == ["pdf encryption test password: asdfzxcv"]


def test_consecutive_headings_keep_their_words_once() -> None:
    els = [
        Element("Chapter 3", kind="title", page=2),
        Element("3.1 Leave", kind="title", page=2),
        Element(words(10)),
    ]
    chunks = chunk_elements(els, fake_count, min_tokens=5)
    assert len(chunks) == 1
    assert chunks[0].text.count("Chapter 3") == 1 and chunks[0].text.count("3.1 Leave") == 1
    assert chunks[0].text.startswith("Chapter 3\n") and chunks[0].page_start == 2


def test_ragged_table_rows_are_padded_to_the_same_columns() -> None:
    rows = [["City", "Cap"], ["Zurich", "230", "note"], ["Paris"]]
    (chunk,) = chunk_elements([Element("", kind="table", rows=rows)], fake_count)
    assert chunk.text.splitlines() == [
        "| City | Cap |  |",
        "| --- | --- | --- |",
        "| Zurich | 230 | note |",
        "| Paris |  |  |",
    ]


def test_a_title_cut_short_keeps_its_full_text_in_the_chunk() -> None:
    long_title = "Transactional data (orders, missions, maps): PostgreSQL 16 on Amazon RDS"
    els = [Element(long_title, kind="title"), Element("Point-in-time recovery window: 14 days.")]
    (chunk,) = chunk_elements(els, fake_count, title_tokens=5, min_tokens=1)
    assert chunk.section.endswith(" …") and "PostgreSQL" not in chunk.section
    assert chunk.text == f"{long_title}\nPoint-in-time recovery window: 14 days."
    # a long heading with nothing under it keeps all its words too
    orphan = chunk_elements([Element(long_title, kind="title")], fake_count, title_tokens=5)
    assert [c.text for c in orphan] == [long_title]


def test_a_new_section_on_a_new_page_closes_even_a_tiny_chunk() -> None:
    els = [
        Element("Overview", kind="title", page=1),
        Element("Welcome notes.", page=1, section="Overview"),
        Element("Roadmap", kind="title", page=2),
        Element("Q1: NATS.", page=2, section="Roadmap"),
    ]
    chunks = chunk_elements(els, fake_count, max_tokens=200, min_tokens=20)
    assert [(c.page_start, c.page_end, c.section) for c in chunks] == [(1, 1, "Overview"), (2, 2, "Roadmap")]
    # a tiny fragment of the same section still joins the next page (noisy layouts)
    same = [Element("Overview", kind="title"), Element("short bit", page=1), Element("more words", page=2)]
    (chunk,) = chunk_elements(same, fake_count, max_tokens=200, min_tokens=20)
    assert (chunk.page_start, chunk.page_end) == (1, 2)


# -- locations ---------------------------------------------------------------------------------------
def test_a_chunk_names_its_pages_with_their_printed_labels() -> None:
    els = [
        Element("short bit", page=3, loc=Location("page", (3, 3), ("1", "1"))),
        Element("another short bit", page=4, loc=Location("page", (4, 4), ("2", "2"))),
    ]
    (chunk,) = chunk_elements(els, fake_count, max_tokens=200, min_tokens=20)
    assert chunk.location == "pp. 3–4 (printed 1–2)"
    assert (chunk.page_start, chunk.page_end) == (3, 4)  # unchanged


def test_each_table_chunk_names_its_own_rows_and_columns() -> None:
    header = ["City", "Cap"]
    rows = [[f"City{i}", str(100 + i)] for i in range(30)]
    numbers = list(range(3, 3 + 31))  # header in row 3 of the sheet, data in rows 4-33
    loc = Location("sheet", sheet="Rates", rows=(4, 33))
    table = Element("", kind="table", rows=[header, *rows], page=2, loc=loc, row_numbers=numbers)
    chunks = chunk_elements([table], fake_count, max_tokens=40)
    assert len(chunks) > 2 and all(c.columns == ("City", "Cap") for c in chunks)
    spans = [c.loc.rows for c in chunks]
    assert spans[0][0] == 4 and spans[-1][1] == 33
    assert all(b[0] == a[1] + 1 for a, b in zip(spans, spans[1:], strict=False))  # no gap, no overlap
    first_rows = chunks[0].text.splitlines()[2:]  # after the header and its rule
    assert chunks[0].location == f"sheet Rates, rows 4–{3 + len(first_rows)}"


def test_a_chunk_never_joins_an_e_mail_body_and_its_attachment() -> None:
    body = Location("section", message="Family day")
    attached = Location("lines", rows=(1, 1), message="Family day", attachments=("notes.txt",))
    els = [
        Element("Hi all, see the note.", section="Family day", loc=body),
        Element("Bring a cake.", section="Attachment: notes.txt", loc=attached),
    ]
    chunks = chunk_elements(els, fake_count, max_tokens=200, min_tokens=20)
    assert [c.location for c in chunks] == [
        "e-mail 'Family day'",
        "e-mail 'Family day' › attachment notes.txt, line 1",
    ]


def test_sheets_never_share_a_chunk() -> None:
    els = [
        Element("Founded: 2014", page=1, section="Facts", loc=Location("sheet", sheet="Facts", rows=(2, 2))),
        Element("Staff: 120", page=1, section="Facts", loc=Location("sheet", sheet="Facts", rows=(3, 3))),
        Element("Munich", page=2, section="Sites", loc=Location("sheet", sheet="Sites", rows=(2, 2))),
    ]
    chunks = chunk_elements(els, fake_count, max_tokens=200, min_tokens=20)
    assert [c.location for c in chunks] == ["sheet Facts, rows 2–3", "sheet Sites, row 2"]


def test_a_chunk_under_nested_headings_names_the_heading_path() -> None:
    path = ("Methods", "Results")
    els = [
        Element("Results", kind="title", section="Results", loc=Location("section", section_path=path)),
        Element(words(10), section="Results", loc=Location("section", section_path=path)),
    ]
    (chunk,) = chunk_elements(els, fake_count, min_tokens=5)
    assert chunk.location == "section Methods › Results"
