"""A PDF's text as elements: blocks (ingest.pdf_layout) named title or text by typography, cut lines
merged back into their paragraphs, running headers and footers dropped, tables put in place."""

from __future__ import annotations

import re
import statistics
from typing import Any

from ingest.formats.common import _Builder, is_title_text
from ingest.formats.pdf_pages import (
    _bbox,
    _box_inside,
    _inside,
    _line_text,
    _PdfPage,
    _PdfTable,
    _top,
    _word_lines,
    _words_in,
)
from ingest.formats.unstructured_bridge import (
    _add_unstructured,
    _PlainElement,
    _plausible_title,
)
from ingest.pdf_layout import blocks
from ingest.pdf_words import PdfWord

_CID = re.compile(r"\(cid:\d+\)")


def clean_pdf_text(text: str) -> str:
    """Unmapped glyphs "(cid:127)": a standalone one (a list bullet) becomes "•", others are dropped."""
    if "(cid:" not in text:
        return text
    text = re.sub(r"(?<!\S)\(cid:\d+\)(?!\S)", "•", text)
    return _CID.sub("", text)


# Blocks of more words than this are paragraphs; only shorter ones may be titles (unstructured's own
# title limit, UNSTRUCTURED_TITLE_MAX_WORD_LENGTH, defaults to 12).
TITLE_MAX_WORDS = 12


def _pdf_text_blocks(pages: list[_PdfPage]) -> dict[int, list[Any]]:
    """Each page's text blocks (ingest.pdf_layout) from its words outside tables. A short block is a
    title here only as a caption ("Table 3 …"); typography finds the other headings
    (_decide_pdf_element). unstructured's guess from the words alone (spaCy) is not asked: it made
    page furniture and one-line paragraphs of one-font documents titles, and was most of the time a
    long filing spent on naming blocks."""
    out: dict[int, list[Any]] = {}
    for page in pages:
        order = {id(w): i for i, w in enumerate(page.reading)}
        boxes = [t.bbox for t in page.tables]
        words = [
            w for w in page.words if not any(_box_inside((w.x0, w.top, w.x1, w.bottom), b) for b in boxes)
        ]
        for block in blocks(sorted(words, key=lambda w: order[id(w)])):
            text = _line_text(block.lines)
            caption = len(text.split()) <= TITLE_MAX_WORDS and _CAPTION.match(text)
            category = "Title" if caption else "NarrativeText"
            out.setdefault(page.number, []).append(_plain(text, page.number, block.box, category))
    return out


# Running headers/footers live in the top/bottom tenth of a page.
FURNITURE_BAND = 0.1
_PAGE_NUMBER = re.compile(
    r"^(?:page|p\.?|seite|pag(?:e|ina)?|pág(?:ina)?)?\s*#(?:\s*(?:of|/|von|de|sur)\s*#)?$|^[-–—\s]*#[-–—\s]*$",
    re.I,
)


_CAPTION = re.compile(r"^(?:table|figure|fig\.|exhibit|chart|example)\s+[\dA-Z]+(?:[.-]\d+)*\b", re.I)


def _font_style(words: list[PdfWord]) -> tuple[float, float]:
    """(median font size weighted by characters, share of characters in a bold face)."""
    total = sum(len(w.text) for w in words)
    if not total:
        return 0.0, 0.0
    seen = 0
    size = words[0].size
    for word in sorted(words, key=lambda w: w.size):
        seen += len(word.text)
        if seen * 2 >= total:
            size = word.size
            break
    return size, sum(len(w.text) for w in words if w.bold) / total


def _body_font_size(pages: list[_PdfPage]) -> float:
    """The font size most of the document's characters are set in."""
    sizes: dict[float, int] = {}
    for page in pages:
        for word in page.words:
            sizes[word.size] = sizes.get(word.size, 0) + len(word.text)
    return max(sizes, key=lambda k: sizes[k]) if sizes else 0.0


def _heading_font(words: list[PdfWord], body: float) -> bool:
    """Set larger than the body text, or bold at about body size (not a small bold table header)."""
    size, bold = _font_style(words)
    return body > 0 and (size >= body + 0.8 or (bold >= 0.8 and size >= body - 1.2))


def _heading_shape(text: str) -> bool:
    """Short, and not a sentence or a list entry (no final period, comma, semicolon or colon)."""
    text = " ".join(text.split())
    short = 1 <= len(text.split()) <= 20 and not text.endswith((".", ",", ";", ":"))
    return short and is_title_text(text, strict=True)


def _plain(
    text: str, page: int, box: tuple[float, float, float, float] | None, category: str
) -> _PlainElement:
    import types

    coords = None
    if box:
        x0, y0, x1, y1 = box
        coords = types.SimpleNamespace(points=((x0, y0), (x0, y1), (x1, y1), (x1, y0)))
    meta = types.SimpleNamespace(page_number=page, coordinates=coords, text_as_html=None)
    return _PlainElement(text, meta, category)


def _pdf_reading_elements(pages: list[_PdfPage], by_page: dict[int, list[Any]]) -> dict[int, list[Any]]:
    """unstructured's text-layer elements, repaired with the page's words and fonts.

    - Justified lines with wide word gaps make pdfminer cut a line into pieces that land in the
      wrong place ("If you are unable inform your manager … to work because of illness,"): such
      pieces are merged back into their paragraph (_merge_fragments), whose text is then re-read
      line by line, left to right, from pdfplumber's words.
    - Running headers and footers (the same text in the top or bottom band of most pages, page
      numbers ignored) and bare page numbers there are dropped; a repeated header is kept once.
    - Headings come from typography when the document has any: text set larger than the body
      (or bold at body size) that is short and not a sentence is a title, whatever unstructured
      guessed ("4. Leave" is a ListItem to unstructured); body-font "titles" (table cells, words
      of a split line) are text. A heading line glued on top of its paragraph is split off.
    - Unmapped bullet glyphs "(cid:127)" become "•".
    """
    by_number = {p.number: p for p in pages}
    merged = {n: _merge_fragments(els, by_number.get(n)) for n, els in by_page.items()}
    furniture = _running_furniture(by_number, merged)
    body = _body_font_size(pages)
    planned: list[tuple[int, Any, list[list[PdfWord]]]] = []
    for n, els in merged.items():
        page = by_number.get(n)
        for el in els:
            if id(el) in furniture:
                continue
            box = _bbox(el)
            words = _words_in(page.words, box) if page and page.words and box else []
            planned.append((n, el, _word_lines(words)))
    styled = any(
        lines and _heading_font(lines[0], body) and _heading_shape(" ".join(w.text for w in lines[0]))
        for _, el, lines in planned
        if getattr(el, "category", "") != "Table"
    )
    out: dict[int, list[Any]] = {n: [] for n in by_page}
    for n, el, lines in planned:
        out[n].extend(_decide_pdf_element(n, el, lines, body, styled))
    return out


def _decide_pdf_element(
    page: int, el: Any, lines: list[list[PdfWord]], body: float, styled: bool
) -> list[Any]:
    category = getattr(el, "category", "")
    text = clean_pdf_text(getattr(el, "text", "") or "")
    box = _bbox(el)
    if category == "Table":
        return [el]
    if lines:
        flags = [_heading_font(line, body) for line in lines]
        lead = next((i for i, flag in enumerate(flags) if not flag), len(flags))
        if lead == len(lines) and len(lines) <= 3 and _heading_shape(text):
            return [_plain(text, page, box, "Title")]
        if 0 < lead < len(lines):
            head = clean_pdf_text(_line_text(lines[:lead]))
            if len(lines[:lead]) <= 3 and _heading_shape(head):
                flat = " ".join(text.split())
                rest = (
                    flat[len(head) :] if flat.startswith(head) else clean_pdf_text(_line_text(lines[lead:]))
                )
                body_category = "NarrativeText" if category == "Title" else category
                return [_plain(head, page, box, "Title"), _plain(rest.strip(), page, box, body_category)]
    if category == "Title":
        keep = _plausible_title(text, strict=True) and _heading_shape(text)
        keep = keep and (not (styled and lines) or bool(_CAPTION.match(text)))
        return [_plain(text, page, box, "Title" if keep else "NarrativeText")]
    return [_plain(text, page, box, category or "NarrativeText")]


def _merge_fragments(elements: list[Any], page: _PdfPage | None) -> list[Any]:
    """Merge pieces of cut lines back into the paragraph they belong to (see _pdf_reading_elements).

    A piece belongs to a paragraph when its box lies mostly inside the paragraph's box, or when it
    is one line high, sits within the paragraph's lines and overlaps it horizontally (columns never
    overlap); a one-line piece right next to an accepted piece on the same line follows it.
    """
    if page is None or not page.words or len(elements) < 2:
        return elements
    boxes: list[tuple[float, float, float, float] | None] = []
    for el in elements:
        box = _bbox(el)
        in_table = box is not None and any(_inside(el, t.bbox) for t in page.tables)
        boxes.append(None if in_table or getattr(el, "category", "") == "Table" else box)
    line_height = statistics.median(w.bottom - w.top for w in page.words)

    def area(box: tuple[float, float, float, float]) -> float:
        return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])

    def one_line(box: tuple[float, float, float, float]) -> bool:
        return box[3] - box[1] <= 1.8 * line_height

    def within_lines(
        box: tuple[float, float, float, float], other: tuple[float, float, float, float]
    ) -> bool:
        middle = (box[1] + box[3]) / 2
        overlap = min(box[2], other[2]) - max(box[0], other[0])
        tall = other[3] - other[1] >= 1.5 * (box[3] - box[1])
        return one_line(box) and tall and other[1] <= middle <= other[3] and overlap > 0

    parent: dict[int, int] = {}
    for i, box in enumerate(boxes):
        if box is None:
            continue
        best = None
        for j, other in enumerate(boxes):
            if j == i or other is None or area(other) <= area(box):
                continue
            bigger = best is None or area(other) > area(boxes[best] or other)
            if bigger and (_box_inside(box, other) or within_lines(box, other)):
                best = j
        if best is not None:
            parent[i] = best

    def root(i: int) -> int:
        while i in parent:
            i = parent[i]
        return i

    changed = bool(parent)
    while changed:  # pieces next to accepted pieces on the same line
        changed = False
        for i, box in enumerate(boxes):
            if box is None or i in parent or not one_line(box) or any(root(k) == i for k in parent):
                continue
            for k in list(parent):
                near = boxes[k]
                if near is None or not one_line(near):
                    continue
                same_line = min(box[3], near[3]) - max(box[1], near[1]) >= 0.5 * min(
                    box[3] - box[1], near[3] - near[1]
                )
                gap = max(box[0] - near[2], near[0] - box[2])
                if same_line and gap <= 2.5 * line_height:
                    parent[i] = root(k)
                    changed = True
                    break
    if not parent:
        return elements
    groups: dict[int, list[int]] = {}
    for i in parent:
        groups.setdefault(root(i), []).append(i)
    out: list[Any] = []
    for i, el in enumerate(elements):
        if i in parent:
            continue
        members = [i, *groups.get(i, [])]
        if len(members) == 1:
            out.append(el)
            continue
        member_boxes = [b for b in (boxes[m] for m in members) if b]
        box = (
            min(b[0] for b in member_boxes),
            min(b[1] for b in member_boxes),
            max(b[2] for b in member_boxes),
            max(b[3] for b in member_boxes),
        )
        text = _line_text(_word_lines(_words_in(page.words, box)))
        if not text.strip():  # no words to re-read them from: keep the pieces as they were
            out.extend(elements[m] for m in sorted(members))
            continue
        categories = {getattr(elements[m], "category", "") for m in members}
        category = "NarrativeText" if "NarrativeText" in categories else getattr(el, "category", "")
        out.append(_plain(text, page.number, box, category))
    return out


def _furniture_band(el: Any, page: _PdfPage | None) -> str | None:
    box = _bbox(el)
    if box is None or page is None or page.height <= 0:
        return {"Header": "top", "Footer": "bottom"}.get(getattr(el, "category", ""))
    if box[3] <= page.height * FURNITURE_BAND:
        return "top"
    if box[1] >= page.height * (1 - FURNITURE_BAND):
        return "bottom"
    return None


def _running_furniture(pages: dict[int, _PdfPage], by_page: dict[int, list[Any]]) -> set[int]:
    """ids of elements that are running headers/footers or bare page numbers."""
    candidates: list[tuple[int, str, str, int]] = []
    for number in sorted(by_page):
        for el in by_page[number]:
            band = _furniture_band(el, pages.get(number))
            if band:
                text = " ".join((getattr(el, "text", "") or "").lower().split())
                key = re.sub(r"\d+", "#", text)
                if _PAGE_NUMBER.match(key) and str(number) in re.findall(r"\d+", text):
                    key = "page-number"  # "Page 3", "- 3 -", "3 of 12" on page 3
                candidates.append((number, band, key, id(el)))
    with_text = sum(1 for els in by_page.values() if els)
    need = max(2, -(-with_text // 2))
    pages_with: dict[tuple[str, str], set[int]] = {}
    for number, band, key, _ in candidates:
        pages_with.setdefault((band, key), set()).add(number)
    drop: set[int] = set()
    kept_header: set[str] = set()
    for _, band, key, ident in candidates:
        if key == "page-number":
            drop.add(ident)
        elif len(pages_with[(band, key)]) >= need:
            if band == "top" and key not in kept_header:
                kept_header.add(key)  # the document's running title, once
                continue
            drop.add(ident)
    return drop


def _add_pdf_page(builder: _Builder, page: _PdfPage, elements: list[Any]) -> None:
    """Text elements of one page with tables put in place of the loose cells they cover."""
    covered = {id(el) for el in elements for t in page.tables if _inside(el, t.bbox)}
    kept = [el for el in elements if id(el) not in covered]
    insert_at: dict[int, list[_PdfTable]] = {}
    for table in page.tables:
        index = next((i for i, el in enumerate(elements) if _inside(el, table.bbox)), None)
        if index is None:  # before the first element below its top (a page number drawn first aside)
            index = next(
                (i for i, el in enumerate(elements) if _top(el) > table.bbox[1] and not _in_footer(el, page)),
                len(elements),
            )
        before = sum(1 for el in elements[:index] if id(el) not in covered)
        insert_at.setdefault(before, []).append(table)
    for i in range(len(kept) + 1):
        for table in insert_at.get(i, []):
            for caption in table.captions:
                builder.add(clean_pdf_text(caption), "text", page.number)
            builder.add_table([[clean_pdf_text(c) for c in row] for row in table.rows], page.number)
            for note in table.notes:
                builder.add(clean_pdf_text(note), "text", page.number)
        if i < len(kept):  # titles were decided by _pdf_reading_elements
            _add_unstructured(builder, [kept[i]], default_page=page.number, titles="loose")


def _in_footer(el: Any, page: _PdfPage) -> bool:
    return page.height > 0 and _top(el) >= page.height * (1 - FURNITURE_BAND)
