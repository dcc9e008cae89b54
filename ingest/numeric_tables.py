"""Borderless tables of figures, read back from a PDF page's words. Pure: words in, rows out.

Financial statements, and most tables in annual reports, have no ruling lines. pdfplumber's table
finder misses them, and the text-layer partitioner returns the row labels and each column of figures
as separate blocks ("Total assets" … "19,845" … "17,890"): no chunk then holds a row with its
figures, and "total assets at the end of 2019" finds neither. Here the words of a page are grouped
into lines and each line into cells at wide gaps; a run of lines that end in figures aligned in
columns is a table. Each row keeps its label and its figures, and the column headers come from the
lines right above the first row ("At December 31, 2019" / "At December 31, 2018", or "Year Ended
December 31," spanning "2019 2018 2017"), so the chunker can repeat them in every chunk of the table.

Only lines with wide gaps before trailing figures count as rows: prose ("revenue grew to $5.2 billion
in 2019") is one cell per line and is never taken for a table.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

CELL_GAP_RATIO = 0.9  # a gap wider than this share of the font size separates two cells
MIN_ROWS = 3  # lines with figures a table needs
MAX_HEADER_LINES = 4
MAX_LINE_GAP = 2.6  # line heights between two lines of one table (or its header)
MAX_LABEL_WORDS = 14  # a line of text longer than this inside a run is prose: the table ends there
MAX_HEADER_WORDS = 8  # a column header cell is short ("For the Years Ended December 31,")

Box = tuple[float, float, float, float]  # x0, top, x1, bottom

_CURRENCY = "$€£¥"
_NUMBER = re.compile(
    r"^\(?[-−–]?[$€£¥]?\s?\(?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\)?\s?(?:%|x|bps)?\)?$", re.IGNORECASE
)
_NIL = re.compile(r"^(?:[—–−-]+|n/?a|nm|nil|none)$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_LEADER = re.compile(r"(?:\s*\.){3,}\s*$")  # "Total assets . . . . ." dot leaders


class WordLike(Protocol):
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class Cell:
    text: str
    x0: float
    x1: float

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Line:
    cells: tuple[Cell, ...]
    top: float
    bottom: float
    size: float  # font size of its words (median)

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cells)

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class FoundTable:
    bbox: Box  # in the words' coordinates (x0, top, x1, bottom)
    rows: list[list[str]]  # first row: the header ("" over the labels when the page has none)


def is_figure(text: str) -> bool:
    """A cell that holds a figure: "5,794", "(5,563)", "$ 1.2", "12.5%", "—" (nil), "n/a"."""
    text = text.strip()
    return bool(_NUMBER.match(text) or _NIL.match(text))


def is_year(text: str) -> bool:
    return bool(_YEAR.match(text.strip()))


W = TypeVar("W", bound=WordLike)


def group_lines(words: Sequence[W]) -> list[tuple[list[W], tuple[float, float]]]:
    """Words grouped into lines by vertical overlap (at least half the smaller height), top to
    bottom, each with its vertical span; words within a line in reading order of their tops."""
    rows: list[list[W]] = []
    spans: list[tuple[float, float]] = []
    for w in sorted(words, key=lambda w: (w.top, w.x0)):
        if rows:
            top, bottom = spans[-1]
            overlap = min(bottom, w.bottom) - max(top, w.top)
            if overlap >= 0.5 * min(bottom - top, w.bottom - w.top):
                rows[-1].append(w)
                spans[-1] = (min(top, w.top), max(bottom, w.bottom))
                continue
        rows.append([w])
        spans.append((w.top, w.bottom))
    return list(zip(rows, spans, strict=True))


def lines_of(words: Sequence[WordLike]) -> list[Line]:
    """Words grouped into lines (vertical overlap), top to bottom, each split into cells at gaps
    wider than CELL_GAP_RATIO of the font size; a lone currency sign joins the figure after it."""
    out = []
    for ws, (top, bottom) in group_lines([w for w in words if w.text.strip()]):
        ws.sort(key=lambda w: w.x0)
        size = statistics.median(w.size for w in ws) or 10.0
        cells: list[list[WordLike]] = [[ws[0]]]
        for prev, w in zip(ws, ws[1:], strict=False):
            lone_sign = prev.text.strip() in _CURRENCY
            if w.x0 - prev.x1 > CELL_GAP_RATIO * max(size, 1.0) and not lone_sign:
                cells.append([w])
            else:
                cells[-1].append(w)
        out.append(Line(tuple(_cell(c) for c in cells), top, bottom, size))
    return out


def _cell(words: list[WordLike]) -> Cell:
    """The words of one cell; "$ 5,794" is the figure "5,794" (the sign says nothing here), but the
    cell keeps the sign's place: column headers are centred over the sign and the figure."""
    text = _LEADER.sub("", " ".join(w.text.strip() for w in words))
    if len(text) > 1 and text[0] in _CURRENCY:
        text = text[1:].strip()
    return Cell(text, min(w.x0 for w in words), max(w.x1 for w in words))


def _split(line: Line) -> tuple[str, list[Cell]] | None:
    """(label, trailing figure cells) when the line ends in figures set apart from its label."""
    cells = [c for c in line.cells if c.text and c.text not in _CURRENCY]
    n = len(cells)
    while n and is_figure(cells[n - 1].text):
        n -= 1
    if n == len(cells):
        return None
    return " ".join(c.text for c in cells[:n]), cells[n:]


def _kind(line: Line) -> str:
    """ "row" (a label, perhaps empty, then figures), "years" (only years: a header line), "text"."""
    split = _split(line)
    if split is None:
        return "text"
    label, figures = split
    if not label and all(is_year(c.text) for c in figures):
        return "years"
    return "row"


def _columns(cells: list[Cell], tol: float) -> list[tuple[float, float]]:
    """Column spans (x0, x1) of figure cells, clustered by their right edge (figures align right)."""
    spans: list[list[float]] = []
    for c in sorted(cells, key=lambda c: c.x1):
        if spans and c.x1 - spans[-1][2] <= tol:
            s = spans[-1]
            s[0], s[1], s[2] = min(s[0], c.x0), max(s[1], c.x1), c.x1
        else:
            spans.append([c.x0, c.x1, c.x1])
    merged: list[list[float]] = []
    for s in spans:  # clusters that overlap (centred or left-aligned figures) are one column
        if merged and s[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], s[1])
        else:
            merged.append([s[0], s[1], s[2]])
    return [(s[0], s[1]) for s in merged]


def _nearest(cell: Cell, columns: list[tuple[float, float]]) -> int:
    def distance(span: tuple[float, float]) -> float:
        if span[0] <= cell.centre <= span[1]:
            return 0.0
        return min(abs(cell.x1 - span[1]), abs(cell.centre - (span[0] + span[1]) / 2))

    return min(range(len(columns)), key=lambda i: distance(columns[i]))


def _header(
    lines: list[Line], columns: list[tuple[float, float]], zone: float
) -> tuple[str, list[str]] | None:
    """The labels' header and one header per column from ``lines`` (top to bottom): each line gives
    every column its cell nearest to it, so a cell spanning several columns ("Year Ended December
    31,") heads each of them and "2019 2018" over four columns heads each pair."""
    heads: list[list[str]] = [[] for _ in columns]
    label: list[str] = []
    for line in lines:
        right = [c for c in line.cells if c.centre >= zone]
        label += [c.text for c in line.cells if c.centre < zone]
        for i, (a, b) in enumerate(columns):
            if right:
                heads[i].append(min(right, key=lambda c: abs(c.centre - (a + b) / 2)).text)
    if not any(heads):
        return None
    return shared_prefix(" ".join(label), [" ".join(h) for h in heads])


def shared_prefix(label: str, heads: list[str]) -> tuple[str, list[str]]:
    """Words every column header starts with ("For the Years Ended December 31,") move over the
    labels when that place is free, once instead of in each column: "| For the Years Ended
    December 31, | 2019 | 2018 |" (every chunk of the table repeats its header)."""
    split = [h.split(" ") for h in heads]
    if label or len(heads) < 2:
        return label, heads
    n = 0
    while all(len(s) > n + 1 and s[n] == split[0][n] for s in split):
        n += 1
    if not n:
        return label, heads
    return " ".join(split[0][:n]), [" ".join(s[n:]) for s in split]


def find_tables(words: Sequence[WordLike], exclude: Sequence[Box] = ()) -> list[FoundTable]:
    """The borderless tables of figures among a page's ``words`` (those inside ``exclude``, e.g.
    tables already found from ruling lines, are left out)."""

    def outside(w: WordLike) -> bool:
        cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
        return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in exclude)

    lines = lines_of([w for w in words if outside(w)])
    if len(lines) < MIN_ROWS:
        return []
    kinds = [_kind(line) for line in lines]
    line_height = statistics.median(line.height for line in lines) or 10.0
    found: list[FoundTable] = []
    i = 0
    while i < len(lines):
        if kinds[i] != "row":
            i += 1
            continue
        j = i  # extend the run: rows, years lines and short label lines, close to each other
        last_row = i
        while j + 1 < len(lines):
            nxt = lines[j + 1]
            if nxt.top - lines[j].bottom > MAX_LINE_GAP * line_height:
                break
            if kinds[j + 1] == "text" and len(nxt.text.split()) > MAX_LABEL_WORDS:
                break
            j += 1
            if kinds[j] == "row":
                last_row = j
        while last_row > i and _page_number(lines[last_row]):
            last_row -= 1
        run = list(range(i, last_row + 1))
        table = _table(lines, kinds, run, line_height)
        if table is not None:
            found.append(table)
        i = last_row + 1
    return found


def _page_number(line: Line) -> bool:
    """A lone figure without a label: the page number under a statement, not one of its rows."""
    cells = [c for c in line.cells if c.text]
    return len(cells) == 1 and bool(_NUMBER.match(cells[0].text))


def _table(lines: list[Line], kinds: list[str], run: list[int], line_height: float) -> FoundTable | None:
    rows_idx = [k for k in run if kinds[k] == "row"]
    if len(rows_idx) < MIN_ROWS:
        return None
    figures = [c for k in rows_idx for c in (_split(lines[k]) or ("", []))[1]]
    size = statistics.median(lines[k].size for k in rows_idx)
    columns = _columns(figures, tol=max(6.0, 0.8 * size))
    zone = min(a for a, _ in columns) - size  # labels end left of this
    labels = [(_split(lines[k]) or ("", []))[0] for k in rows_idx]
    if not any(labels):
        return None  # figures without a single row label: a chart's axis, not a table
    # the header: lines right above the first row with cells over the figure columns; short label
    # lines between them and the first row ("Assets", "Current assets:") belong to the body
    above: list[Line] = []
    pending: list[int] = []
    k = run[0] - 1
    while k >= 0 and len(above) < MAX_HEADER_LINES:
        line, below = lines[k], lines[k + 1]
        if below.top - line.bottom > MAX_LINE_GAP * line_height or kinds[k] == "row":
            break
        if any(len(c.text.split()) > MAX_HEADER_WORDS for c in line.cells):
            break
        if any(c.centre >= zone for c in line.cells):
            above.insert(0, line)
        elif above:
            break
        else:
            pending.insert(0, k)
        k -= 1
    if above:
        run = pending + run
    header = _header(above, columns, zone) if above else None
    body: list[list[str]] = []
    for k in run:
        line = lines[k]
        split = _split(line) if kinds[k] != "text" else None
        if split is None:
            text = line.text
            if kinds[k] == "years" and header is None:
                header = _header([line], columns, zone)
                continue
            body.append([text] + [""] * len(columns))
            continue
        label, cells = split
        values = [""] * len(columns)
        for cell in cells:
            i = _nearest(cell, columns)
            values[i] = f"{values[i]} {cell.text}".strip()
        if label and label[0].islower() and body and not any(body[-1][1:]):
            body[-1] = [f"{body[-1][0]} {label}", *values]  # a label wrapped over two lines
        else:
            body.append([label, *values])
    head = [header[0], *header[1]] if header else [""] * (len(columns) + 1)
    used = [lines[k] for k in run] + above
    x0 = min(c.x0 for line in used for c in line.cells)
    x1 = max(c.x1 for line in used for c in line.cells)
    bbox = (x0, min(line.top for line in used), x1, max(line.bottom for line in used))
    return FoundTable(bbox, [head, *body])
