"""A PDF's pages as the text-layer pass reads them (``_PdfPage``, ``_PdfTable``), and the geometry of
their words: lines, line text, boxes and what lies inside what."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from ingest.numeric_tables import group_lines
from ingest.pdf_words import PdfWord

# Pages whose text layer has fewer meaningful characters than this are OCRed.
MIN_TEXT_LAYER_CHARS = 20


@dataclass
class _PdfTable:
    page: int
    bbox: tuple[float, float, float, float]
    rows: list[list[str]]
    captions: list[str]
    notes: list[str]
    from_words: bool = False  # a borderless table of figures read from the words (numeric_tables)


@dataclass
class _PdfPage:
    number: int
    width: float
    height: float
    text_chars: int
    garbage_text: bool  # text layer is mostly unmapped glyphs "(cid:NN)"
    tables: list[_PdfTable] = field(default_factory=list)
    words: list[PdfWord] = field(default_factory=list)  # text-layer words, by vertical centre
    reading: list[PdfWord] = field(default_factory=list)  # the same words in the order the PDF draws them

    @property
    def needs_ocr(self) -> bool:
        return self.garbage_text or self.text_chars < MIN_TEXT_LAYER_CHARS


def _words_in(
    words: list[PdfWord], box: tuple[float, float, float, float], pad: float = 1.5
) -> list[PdfWord]:
    """Words whose centre lies in the box; ``words`` are sorted by vertical centre (_scan_pdf)."""
    x0, y0, x1, y1 = box
    start = bisect.bisect_left(words, y0 - pad, key=_middle)
    end = bisect.bisect_right(words, y1 + pad, key=_middle)
    return [w for w in words[start:end] if x0 - pad <= (w.x0 + w.x1) / 2 <= x1 + pad]


def _middle(word: PdfWord) -> float:
    return (word.top + word.bottom) / 2


def _word_lines(words: list[PdfWord]) -> list[list[PdfWord]]:
    """Words grouped into lines (vertical overlap), each line left to right, lines top to bottom."""
    return [sorted(line, key=lambda w: w.x0) for line, _ in group_lines(words)]


def _line_text(lines: list[list[PdfWord]]) -> str:
    """Lines joined by spaces, their words too (a PDFium word ends at a space, given or generated)."""
    return " ".join(" ".join(w.text for w in line) for line in lines)


def _bbox(el: Any) -> tuple[float, float, float, float] | None:
    coords = getattr(el.metadata, "coordinates", None)
    points = getattr(coords, "points", None)
    if not points:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _top(el: Any) -> float:
    box = _bbox(el)
    return box[1] if box else 0.0


def _inside(el: Any, bbox: tuple[float, float, float, float]) -> bool:
    """At least half of the element's box lies inside the table's box (same top-left point space)."""
    box = _bbox(el)
    return box is not None and _box_inside(box, bbox)


def _box_inside(box: tuple[float, float, float, float], bbox: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = box
    ix = max(0.0, min(x1, bbox[2]) - max(x0, bbox[0]))
    iy = max(0.0, min(y1, bbox[3]) - max(y0, bbox[1]))
    area = (x1 - x0) * (y1 - y0)
    if area <= 0:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return bbox[0] <= cx <= bbox[2] and bbox[1] <= cy <= bbox[3]
    return ix * iy >= 0.5 * area
