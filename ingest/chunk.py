"""Elements -> chunks. Pure: token counting is passed in, so tests need no model.

Rules (see the Foundation issue):
- the section title is carried into every chunk (kept short), nothing else is prepended; a title
  too long to carry whole also goes into the body once, so none of its words is lost;
- every chunk knows its first and last page; a chunk is closed at a page or section change once it
  holds at least ``min_tokens`` (tiny fragments from noisy layouts are merged instead of orphaned),
  and always when a new section starts on a new page (a slide never joins the next one);
- a table is never split mid-row and its header row is repeated in every chunk of the table;
- size is measured in the embedding model's word pieces and fits its window by default;
- no empty chunks; identical chunks within a document are kept once;
- every chunk carries the location a reader uses to find it (``loc``: page span with printed labels,
  slide, sheet and row span, e-mail and attachment, heading path); a chunk never spans two sheets,
  two attachments or an e-mail body and an attachment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from ingest.elements import Element
from ingest.location import Location, merge_all

CountTokens = Callable[[str], int]

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)")
_SPACES = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True)
class Chunk:
    text: str  # what is embedded and shown: "<section>\n<body>"
    kind: str  # "text" | "table"
    page_start: int
    page_end: int
    section: str
    index: int = 0
    loc: Location = Location()
    columns: tuple[str, ...] = ()  # a table chunk's header cells

    @property
    def location(self) -> str:
        return self.loc.text()


def clean_text(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def short_title(title: str, count: CountTokens, max_tokens: int) -> str:
    """The title cut to ``max_tokens`` word pieces at a word boundary ('…' marks the cut)."""
    title = " ".join(title.split())
    if count(title) <= max_tokens:
        return title
    words = title.split(" ")
    while len(words) > 1 and count(" ".join(words) + " …") > max_tokens:
        words.pop()
    return " ".join(words) + " …"


def markdown_row(cells: Sequence[str], width: int = 0) -> str:
    cells = [c.replace("|", "\\|").replace("\n", " ").strip() for c in cells]
    return "| " + " | ".join(cells + [""] * (width - len(cells))) + " |"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], width: int = 0) -> str:
    """A GitHub markdown table; rows shorter than ``width`` (or the header) are padded."""
    rows = list(rows)
    width = max([width, len(header), *(len(r) for r in rows)])
    lines = [markdown_row(header, width), "| " + " | ".join("---" for _ in range(width)) + " |"]
    lines += [markdown_row(r, width) for r in rows]
    return "\n".join(lines)


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def split_words(text: str, count: CountTokens, budget: int) -> list[str]:
    """Hard split of one over-long sentence into pieces of at most ``budget`` word pieces."""
    pieces: list[str] = []
    current: list[str] = []
    for word in text.split():
        if current and count(" ".join([*current, word])) > budget:
            pieces.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces


class _Builder:
    def __init__(self, count: CountTokens, max_tokens: int, title_tokens: int, min_tokens: int) -> None:
        self.count = count
        self.max_tokens = max_tokens
        self.title_tokens = title_tokens
        self.min_tokens = min_tokens
        self.chunks: list[Chunk] = []
        self.seen: set[str] = set()
        self.section = ""
        self.section_text = ""  # the current title in full (``section`` may be cut short)
        self.prefix_tokens = 0
        self.section_used = True  # has the current section's title reached a chunk yet?
        self.section_page = 1
        self.parts: list[str] = []
        self.chunk_section = ""  # section where the open chunk started
        self.tokens = 0
        self.page_start = 0
        self.page_end = 0
        self.locs: list[Location] = []  # where each part of the open chunk comes from
        self.section_loc: Location | None = None  # where the current section's title is

    # -- state -----------------------------------------------------------------------------------
    def budget(self) -> int:
        return max(16, self.max_tokens - self.prefix_tokens)

    def set_section(self, section: str) -> None:
        self.section_text = " ".join(section.split())
        section = short_title(section, self.count, self.title_tokens) if section.strip() else ""
        if section != self.section:
            self.section = section
            self.section_used = not section
            self.prefix_tokens = self.count(section) if section else 0

    def emit(
        self,
        body: str,
        kind: str,
        page_start: int,
        page_end: int,
        section: str,
        loc: Location,
        columns: tuple[str, ...] = (),
    ) -> None:
        body = body.strip()
        if not body:
            return
        # a title cut short in the prefix, whose body opens with the whole title, needs no prefix
        cut = section.endswith(" …") and body.startswith(section.removesuffix("…"))
        text = (
            body
            if not section or body == section or body.startswith(section + "\n") or cut
            else f"{section}\n{body}"
        )
        if text in self.seen:
            return
        self.seen.add(text)
        self.section_used = True
        self.chunks.append(Chunk(text, kind, page_start, page_end, section, len(self.chunks), loc, columns))

    def flush(self) -> None:
        if self.parts:
            loc = merge_all(self.locs)
            self.emit("\n".join(self.parts), "text", self.page_start, self.page_end, self.chunk_section, loc)
        self.parts, self.tokens, self.locs = [], 0, []

    def keep_orphan_title(self) -> None:
        """A heading followed by no content (another heading, or the end) keeps its words as text."""
        if self.section and not self.section_used and not self.parts and self.section_loc:
            tokens = self.count(self.section_text)
            self.add_piece(self.section_text, tokens, self.section_page, self.section_loc)

    def add_piece(self, text: str, tokens: int, page: int, loc: Location) -> None:
        if self.parts and (self.tokens + tokens > self.budget() or loc.scope() != self.locs[0].scope()):
            self.flush()
        if not self.parts:
            self.page_start = page
            self.chunk_section = self.section
        self.parts.append(text)
        self.locs.append(loc)
        self.tokens += tokens
        self.page_end = max(page, self.page_end) if self.parts[:-1] else page

    # -- elements --------------------------------------------------------------------------------
    def boundary(self, new_section: str | None, page: int, loc: Location) -> None:
        """Close the open chunk at a section or page change, unless it is still a tiny fragment.

        A new section on a new page (the next slide, a chapter starting a page) always closes it:
        the fragment keeps its own page and section instead of joining the next page's.
        """
        changes_section = new_section is not None and new_section != self.section
        # the page of an attachment changes in its location only (the message is its one page)
        changes_page = bool(self.parts) and (page != self.page_end or loc.pages != self.locs[-1].pages)
        both = changes_section and changes_page
        full = (changes_section or changes_page) and (self.tokens >= self.min_tokens or both)
        elsewhere = bool(self.locs) and loc.scope() != self.locs[0].scope()  # another sheet, attachment…
        if self.parts and (full or elsewhere):
            self.flush()

    def title(self, el: Element) -> None:
        loc = el.location()
        self.boundary(el.text, el.page, loc)
        self.keep_orphan_title()
        in_body = bool(self.parts)
        if in_body:  # a heading inside a small open chunk: keep its words in the body
            self.add_piece(el.text, self.count(el.text), el.page, loc)
        self.set_section(el.text)
        self.section_page = el.page
        self.section_loc = loc
        if in_body:
            self.section_used = True
        elif self.section != self.section_text:  # cut short in the prefix: the full title opens the body
            self.add_piece(self.section_text, self.count(self.section_text), el.page, loc)

    def text(self, el: Element) -> None:
        loc = el.location()
        if el.section and short_title(el.section, self.count, self.title_tokens) != self.section:
            self.boundary(el.section, el.page, loc)
            if not self.parts:
                self.set_section(el.section)
                self.section_loc = loc
        else:
            self.boundary(None, el.page, loc)
        tokens = self.count(el.text)
        if tokens <= self.budget():
            self.add_piece(el.text, tokens, el.page, loc)
            return
        for sentence in split_sentences(el.text):
            n = self.count(sentence)
            pieces = [sentence] if n <= self.budget() else split_words(sentence, self.count, self.budget())
            for piece in pieces:
                self.add_piece(piece, n if len(pieces) == 1 else self.count(piece), el.page, loc)

    def table(self, el: Element) -> None:
        self.flush()
        if el.section:
            self.set_section(el.section)
        loc = el.location()
        numbers = el.row_numbers if el.row_numbers and len(el.row_numbers) == len(el.rows or []) else None
        kept = [
            ([clean_text(c or "") for c in r], numbers[i] if numbers else None)
            for i, r in enumerate(el.rows or [])
            if any((c or "").strip() for c in r)
        ]
        rows = [r for r, _ in kept]
        if len(rows) < 2:  # no header + body to repeat: treat as text
            self.text(Element(text=el.text, kind="text", page=el.page, section=el.section, loc=el.loc))
            self.flush()
            return
        header, body = rows[0], kept[1:]
        width = max(len(r) for r in rows)
        head_md = markdown_table(header, [], width)
        head_tokens = self.count(head_md)
        columns = tuple(header)
        current: list[tuple[list[str], int | None]] = []
        tokens = head_tokens

        def emit_rows() -> None:
            found = [n for _, n in current if n is not None]
            where = replace(loc, rows=(min(found), max(found))) if found else loc
            text = markdown_table(header, [r for r, _ in current], width)
            self.emit(text, "table", el.page, el.page, self.section, where, columns)

        for row, number in body:
            n = self.count(markdown_row(row, width))
            if current and tokens + n > self.budget():
                emit_rows()
                current, tokens = [], head_tokens
            current.append((row, number))
            tokens += n
        if current:
            emit_rows()


def chunk_elements(
    elements: Iterable[Element],
    count: CountTokens,
    *,
    max_tokens: int = 240,
    title_tokens: int = 16,
    min_tokens: int = 48,
) -> list[Chunk]:
    """Turn a document's elements (reading order) into chunks; see the module docstring."""
    b = _Builder(count, max_tokens, title_tokens, min_tokens)
    for el in elements:
        el = replace(el, text=clean_text(el.text))
        if not el.text and not el.rows:
            continue
        if el.kind == "title":
            b.title(el)
        elif el.kind == "table":
            b.table(el)
        else:
            b.text(el)
    b.keep_orphan_title()
    b.flush()
    return b.chunks
