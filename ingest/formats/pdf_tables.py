"""PDF tables: ruled ones (pdfplumber's table finder on PDFium's strokes), borderless tables of figures
(ingest.numeric_tables), their cleaning, and headers carried over to a table's next page."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ingest.formats.common import clean_cell, is_header_like, normalise_rows
from ingest.formats.pdf_pages import _middle, _PdfPage, _PdfTable, _word_lines
from ingest.numeric_tables import find_tables
from ingest.pdf_words import PdfWord


def carry_table_headers(tables: Sequence[tuple[int, list[list[str]]]]) -> list[list[list[str]]]:
    """Tables continuing across pages: give a headerless table the previous page's header.

    ``tables`` is (page, rows) in reading order. A table whose first row is not header-like, on the
    page right after a table with the same column count and a header-like first row, gets that
    header prepended. Chains across many pages (each carried header is carried on).
    """
    out: list[list[list[str]]] = []
    prev_page, prev_rows = -1, None
    for page, rows in tables:
        rows = [list(r) for r in rows]
        if (
            prev_rows
            and rows
            and page == prev_page + 1
            and len(rows[0]) == len(prev_rows[0])
            and not is_header_like(rows[0])
            and is_header_like(prev_rows[0])
        ):
            rows = [list(prev_rows[0]), *rows]
        out.append(rows)
        prev_page, prev_rows = page, rows
    return out


@dataclass
class _RulesPage:
    """What pdfplumber's table finder reads from a page with its "lines" strategy."""

    bbox: tuple[float, float, float, float]
    edges: list[dict[str, Any]]


def _ruled_tables(page: _PdfPage, edges: list[dict[str, Any]]) -> list[_PdfTable]:
    """Tables whose cells are ruled by the page's strokes: pdfplumber's table finder on PDFium's
    edges, each cell's text read from the page's words (its lines joined by newlines)."""
    from pdfplumber.table import TableFinder

    try:
        found = TableFinder(_RulesPage((0.0, 0.0, page.width, page.height), edges)).tables  # type: ignore[arg-type]
    except Exception:
        return []
    tables: list[_PdfTable] = []
    for table in found:
        raw = [
            [None if cell is None else _cell_text(page.words, cell) for cell in row.cells]
            for row in table.rows
        ]
        cleaned = clean_pdf_table(raw)
        if cleaned:
            captions, rows, notes = cleaned
            tables.append(_PdfTable(page.number, tuple(table.bbox), rows, captions, notes))
    return tables


# Within a ruled cell, words with no space between them in the PDF and closer than this (points)
# are one: pdfplumber's x_tolerance, which joins figures a generator spaced out ("98 452" is 98452
# in the NICS tables).
CELL_X_TOLERANCE = 3.0


def _cell_text(words: list[PdfWord], cell: tuple[float, float, float, float]) -> str:
    """The words whose centre lies in the cell (as pdfplumber assigns characters), line by line."""
    x0, top, x1, bottom = cell
    inside = [w for w in words if x0 <= (w.x0 + w.x1) / 2 < x1 and top <= _middle(w) < bottom]
    lines = []
    for line in _word_lines(inside):
        text = line[0].text
        for prev, word in zip(line, line[1:], strict=False):
            joined = word.soft and word.x0 - prev.x1 <= CELL_X_TOLERANCE
            text += ("" if joined else " ") + word.text
        lines.append(text)
    return "\n".join(lines)


def clean_pdf_table(
    raw: list[list[str | None]],
) -> tuple[list[str], list[list[str]], list[str]] | None:
    """pdfplumber rows -> (captions, rows, notes), or None for a layout box rather than a table.

    ``None`` cells are parts of merged cells. Leading/trailing rows with a single filled cell are
    captions/notes;
    a two-level header (group cells spanning sub-header cells) is merged into one header row;
    rows whose cells each stack the same number of lines (ruling every n rows) are split apart.
    """
    rows = [list(r) for r in raw if any(c and c.strip() for c in r)]

    def lone(row: list[str | None]) -> bool:
        return len(row) >= 3 and sum(1 for c in row if c and c.strip()) == 1

    captions: list[str] = []
    notes: list[str] = []
    while rows and lone(rows[0]):
        captions.append(clean_cell(next(c for c in rows.pop(0) if c and c.strip())))
    while rows and lone(rows[-1]):
        notes.insert(0, clean_cell(next(c for c in rows.pop() if c and c.strip())))
    if len(rows) >= 3:
        rows = _merge_two_level_header(rows)
    body: list[list[str | None]] = []
    for row in rows[1:]:
        body.extend(_split_stacked_row(row))
    table = [[_unspace_date(c) for c in row] for row in normalise_rows([*rows[:1], *body])]
    if len(table) < 2 or len(table[0]) < 2:
        return None
    lengths = [len(c) for row in table for c in row if c]
    if max(lengths) > 600 or sum(lengths) / len(lengths) > 150:
        return None  # paragraphs in boxes, not a table
    if sum(len(c) for c in captions + notes) > sum(lengths):
        return None  # a ruled header over a body pdfplumber could not split into cells
    return captions, table, notes


_SPACED_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")


def _unspace_date(cell: str) -> str:
    """Some generators space out every glyph of a date: "0 3 / 2 5 / 2 0 16" -> "03/25/2016"."""
    joined = cell.replace(" ", "")
    return joined if " " in cell and _SPACED_DATE.fullmatch(joined) else cell


def _merge_two_level_header(rows: list[list[str | None]]) -> list[list[str | None]]:
    top, sub = rows[0], rows[1]
    if len(top) != len(sub):
        return rows
    spans_subheaders = any(top[i] is None and sub[i] for i in range(1, len(top)))
    if not spans_subheaders or not is_header_like(_fill_right(top)) or not is_header_like(sub):
        return rows
    spread = _fill_right(top)
    header: list[str | None] = []
    for group, sub_cell in zip(spread, sub, strict=True):
        parts = [clean_cell(group), clean_cell(sub_cell)]
        header.append(" ".join(dict.fromkeys(p for p in parts if p)))
    return [header, *rows[2:]]


def _fill_right(row: list[str | None]) -> list[str]:
    out: list[str] = []
    for cell in row:
        out.append(out[-1] if cell is None and out else (cell or ""))
    return out


def _split_stacked_row(row: list[str | None]) -> list[list[str | None]]:
    filled = [c for c in row if c and c.strip()]
    counts = {len(c.strip().split("\n")) for c in filled}
    if len(filled) < 2 or len(counts) != 1 or (k := counts.pop()) < 2:
        return [row]
    return [[(c.strip().split("\n")[i] if c and c.strip() else c) for c in row] for i in range(k)]


def _carry_pdf_headers(pages: list[_PdfPage]) -> None:
    tables = [t for p in pages for t in p.tables if not t.from_words]
    carried = carry_table_headers([(t.page, t.rows) for t in tables])
    for table, rows in zip(tables, carried, strict=True):
        table.rows = rows
    previous: _PdfTable | None = None  # a table of figures continued from the page before: its header
    for table in (t for p in pages for t in p.tables if t.from_words):
        if (
            previous is not None
            and not any(table.rows[0])
            and table.page == previous.page + 1  # the first such table of its page
            and len(table.rows[0]) == len(previous.rows[0])
        ):
            table.rows[0] = list(previous.rows[0])
        previous = table


def _add_figure_tables(pages: list[_PdfPage]) -> None:
    """Borderless tables of figures (financial statements) read from each page's words, beside
    the ruled tables pdfplumber found; their words then leave the text elements (_add_pdf_page)."""
    for page in pages:
        if page.words:
            found = find_tables(page.words, [t.bbox for t in page.tables])
            page.tables += [_PdfTable(page.number, t.bbox, t.rows, [], [], from_words=True) for t in found]
