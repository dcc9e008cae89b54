"""Text blocks (paragraphs, headings, loose cells) from a PDF page's words: pure layout functions.

What pdfminer's layout analysis did for us before (LAParams: char_margin 2, line_margin 0.5), on
the words PDFium already gave us, without reading the page a second time:

1. Words, in the order the PDF draws them, make line segments: a segment ends at a change of
   line, a step back to the left, or a gap wider than :data:`SEGMENT_GAP` of the font size
   (columns, table cells without rules).
2. A line segment joins the block right above it when the vertical gap (between line boxes one
   font size high, as pdfminer measures) is less than :data:`LINE_MARGIN` of the font size, the two
   overlap horizontally and their font sizes are
   within :data:`SIZE_STEP`; otherwise it starts a block.
3. Blocks come in the order the PDF draws their first word (its content order), which is the
   reading order the producer wrote: a two-column page reads column by column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

# Words further apart than this share of the font size are in different segments (columns, cells).
SEGMENT_GAP = 1.5
# A line joins the block above it when the gap is less than this share of the font size
LINE_MARGIN = 0.5
# and its font size is within this many points of that block's last line (a heading set in a
# larger size right above a subheading stays two blocks).
SIZE_STEP = 0.6


class Word(Protocol):
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float


@dataclass
class Block:
    lines: list[list[Word]] = field(default_factory=list)  # top to bottom, each left to right
    order: int = 0  # content order of its first-drawn word

    @property
    def box(self) -> tuple[float, float, float, float]:
        words = [w for line in self.lines for w in line]
        return (
            min(w.x0 for w in words),
            min(w.top for w in words),
            max(w.x1 for w in words),
            max(w.bottom for w in words),
        )


def segments(words: Sequence[Word]) -> list[list[Word]]:
    """Lines cut at wide gaps, from words in the order the PDF draws them: a segment ends where the
    next word is on another line, lies to the left of the last one, or further right than
    SEGMENT_GAP of the font size. A page drawn column by column thus never mixes its columns, even
    where the gutter is narrow; a page drawn in some other order is still cut at its gutters."""
    out: list[list[Word]] = []
    current: list[Word] = []
    for word in words:
        if current:
            last = current[-1]
            size = max(last.size, word.size, 1.0)
            overlap = min(last.bottom, word.bottom) - max(last.top, word.top)
            same_line = overlap >= 0.5 * min(last.bottom - last.top, word.bottom - word.top)
            gap = word.x0 - last.x1
            if same_line and -0.5 * size <= gap <= SEGMENT_GAP * size:
                current.append(word)
                continue
            out.append(current)
        current = [word]
    if current:
        out.append(current)
    return [sorted(s, key=lambda w: w.x0) for s in out]


def blocks(words: Sequence[Word]) -> list[Block]:
    """The page's words (in drawing order) as blocks in reading order (see the module docstring)."""
    order = {id(w): i for i, w in enumerate(words)}
    found: list[Block] = []
    for segment in sorted(segments(words), key=lambda s: min(w.top for w in s)):
        x0, x1 = segment[0].x0, segment[-1].x1
        size = _size(segment)
        top = min(w.top for w in segment)
        best: Block | None = None
        best_gap = 0.0
        for block in found:
            last = block.lines[-1]
            last_size = _size(last)
            # the gap between the lines as pdfminer measures it: line boxes one font size high
            gap = top - min(w.top for w in last) - max(size, last_size)
            overlap = min(x1, last[-1].x1) - max(x0, last[0].x0)
            near = -0.5 * max(size, last_size) <= gap < LINE_MARGIN * max(size, last_size) and overlap > 0
            if near and abs(size - last_size) <= SIZE_STEP and (best is None or gap < best_gap):
                best, best_gap = block, gap
        if best is None:
            found.append(Block([segment], min(order[id(w)] for w in segment)))
        else:
            best.lines.append(segment)
            best.order = min(best.order, *(order[id(w)] for w in segment))
    return sorted(found, key=lambda b: b.order)


def _size(line: Sequence[Word]) -> float:
    """The font size most of the line's characters are set in."""
    sizes: dict[float, int] = {}
    for w in line:
        sizes[w.size] = sizes.get(w.size, 0) + len(w.text)
    return max(sizes, key=lambda k: sizes[k])
