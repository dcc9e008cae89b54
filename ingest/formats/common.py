"""What every partitioner shares: the options and counters of one call (``_Ctx``), a controlled
non-ok result (``_Outcome``), a sniffed type (``_Kind``), the element builder (``_Builder``) and the
text and table cleaning it applies."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunk import markdown_table
from ingest.elements import Element, ElementKind, PartitionResult, PartitionStatus
from ingest.location import Location

SECTION_WORDS = 12
SUBPROCESS_TIMEOUT_S = 180


class _Outcome(Exception):
    """A controlled non-ok result (empty, failed, unsupported) raised from deep inside a handler."""

    def __init__(self, status: PartitionStatus, reason: str, pages: int = 0) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.pages = pages


@dataclass
class _Ctx:
    """Options and counters shared by one partition_file call (including attachments)."""

    ocr_languages: str
    ocr_dpi: int
    max_bytes: int | None
    # how a file found inside this one (an attachment) is partitioned: ingest.partition's own entry, so
    # that an attachment goes through the same sniffing and handler table
    partition: Callable[[Path, _Ctx], PartitionResult]
    depth: int = 0
    ocr_seconds: float = 0.0
    ocr_pages: int = 0
    notes: list[str] = field(default_factory=list)
    empty_reason: str = ""
    on_ocr_page: Callable[[int], None] | None = None  # progress: hears the count of pages sent to OCR
    ocr_started: int = 0

    def starting_ocr(self) -> None:
        self.ocr_started += 1
        if self.on_ocr_page is not None:
            self.on_ocr_page(self.ocr_started)

    @property
    def languages(self) -> list[str]:
        return [code for code in self.ocr_languages.split("+") if code] or ["eng"]


@dataclass(frozen=True)
class _Kind:
    family: str  # handler key
    file_type: str  # what we report
    mime: str = ""
    problem: str = ""  # why a container could not even be listed (family "corrupt")


class _Builder:
    """Collects elements in reading order, cleans text and carries the current section and heading
    path. ``unit`` says what ``page`` means to a reader ("page", "slide", "sheet", "rows", "chapter",
    or "section" for formats without pages); ``page_labels`` are a PDF's printed page labels that
    differ from the physical page numbers."""

    def __init__(self, section: str = "", unit: str = "section") -> None:
        self.elements: list[Element] = []
        self.section = section
        self.path: list[str] = []  # heading path, outermost first
        self.depths: list[int] = []  # category depth of each heading in ``path``
        self.unit = unit
        self.page_labels: dict[int, str] = {}

    def reset_section(self, section: str = "") -> None:
        self.section = section
        self.path, self.depths = [], []

    def _enter_heading(self, title: str, depth: int | None) -> None:
        """A heading at ``depth`` (0 = outermost; None = unknown: it replaces the whole path)."""
        if depth is None:
            self.path, self.depths = [title], [0]
            return
        while self.depths and self.depths[-1] >= depth:
            self.path.pop()
            self.depths.pop()
        self.path.append(title)
        self.depths.append(depth)

    def location(self, page: int, label: str | None = None, rows: tuple[int, int] | None = None) -> Location:
        paged = self.unit in ("page", "slide", "chapter")
        printed = self.page_labels.get(page) if self.unit == "page" else None
        return Location(
            unit=self.unit,
            pages=(page, page) if paged else None,
            labels=(printed, printed) if printed else None,
            sheet=label or "" if self.unit == "sheet" else "",
            rows=rows,
            section_path=tuple(self.path),
        )

    def add(
        self,
        text: str,
        kind: ElementKind = "text",
        page: int = 1,
        rows: list[list[str]] | None = None,
        page_label: str | None = None,
        section: str | None = None,
        depth: int | None = None,
        row_numbers: list[int] | None = None,
    ) -> None:
        text = text.strip() if kind == "table" else clean_text(text)
        if not text:
            return
        if kind == "title" and not is_title_text(text):
            kind = "text"  # a stray word or a document-control line is body text, never a section
        if kind == "title":
            self.section = short_section(text)
            self._enter_heading(self.section, depth)
        page = max(1, page)
        body = row_numbers[1:] if kind == "table" and row_numbers else row_numbers
        self.elements.append(
            Element(
                text=text,
                kind=kind,
                page=page,
                section=self.section if section is None else section,
                rows=rows,
                page_label=page_label or self.page_labels.get(page) if self.unit == "page" else page_label,
                loc=self.location(page, page_label, (min(body), max(body)) if body else None),
                row_numbers=row_numbers if kind == "table" else None,
            )
        )

    def add_table(
        self,
        rows: list[list[str]],
        page: int = 1,
        page_label: str | None = None,
        section: str | None = None,
        row_numbers: list[int] | None = None,
    ) -> None:
        """A table with at least two rows and two columns; anything smaller becomes plain text.
        ``row_numbers``: each row's number in the file (sheets, CSV), kept through the cleaning."""
        numbers = None
        if row_numbers is not None and len(row_numbers) == len(rows):
            numbers = [n for n, row in zip(row_numbers, rows, strict=True) if any(clean_cell(c) for c in row)]
        rows = normalise_rows(rows)
        if len(rows) >= 2 and len(rows[0]) >= 2:
            self.add(rows_to_markdown(rows), "table", page, rows, page_label, section, row_numbers=numbers)
        else:
            for i, row in enumerate(rows):
                number = [numbers[i]] if numbers else None
                self.add(" | ".join(c for c in row if c), "text", page, None, page_label, section,
                         row_numbers=number)  # fmt: skip


_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\ufeff\u00ad]")


def clean_text(text: str) -> str:
    """Strip, collapse runs of spaces, keep single line breaks, at most one blank line."""
    text = _ZERO_WIDTH.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_cell(value: object) -> str:
    """A table cell as one clean line: None -> "", newlines and space runs -> one space."""
    if value is None:
        return ""
    return " ".join(_ZERO_WIDTH.sub("", str(value)).split())


def short_section(text: str, words: int = SECTION_WORDS) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


# Document-control lines: "HR-PRO-012 – Version 1.3 – confidential", "effective from 1 March 2023".
_DOC_ID = re.compile(r"\b[A-Z]{2,6}(?:-[A-Z]{2,6})+-\d{2,}\b")  # HR-PRO-012, not COVID-19
_DOC_CONTROL = re.compile(
    r"\bversion\s*\d+(?:\.\d+)*\b|\bv\d+\.\d+\b|\brev(?:ision)?\.?\s*\d|\beffective\s+(?:from|as\s+of|date)\b"
    r"|\bvalid\s+from\b|\bissued\s+(?:on\s+)?\d|\bowner\s*:|\bconfidential\b|\bclassification\s*:",
    re.I,
)


def is_document_control(text: str) -> bool:
    """A subtitle or document-control line (ID, version, validity, owner, classification)."""
    text = " ".join(text.split())
    markers = len(_DOC_CONTROL.findall(text)) + (1 if _DOC_ID.search(text) else 0)
    return markers >= 2 or (markers == 1 and bool(re.search(r"\s[–—|·]\s", text)))


def is_title_text(text: str, strict: bool = False) -> bool:
    """Whether a heading candidate may become a section title.

    Never: text without two letters, a lone lowercase word ("our", "officer": a piece of a cut
    line), a document-control line. ``strict`` (layout-guessed headings, as in PDFs): nor a
    phrase that starts in lowercase ("to our data protection officer"); "iOS setup" is fine.
    """
    text = " ".join(text.split())
    if sum(ch.isalpha() for ch in text) < 2:
        return False
    words = re.sub(r"^[\W\d_]+", "", text).split(" ")
    lowercase = words[0][:1].islower() and not any(ch.isupper() or ch.isdigit() for ch in words[0])
    if lowercase and (strict or len(words) == 1):
        return False
    return not is_document_control(text)


def normalise_rows(rows: Iterable[Sequence[object]]) -> list[list[str]]:
    """Clean cells, drop empty rows and empty columns, pad rows to one width."""
    cleaned = [[clean_cell(c) for c in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return []
    width = max(len(row) for row in cleaned)
    cleaned = [row + [""] * (width - len(row)) for row in cleaned]
    keep = [i for i in range(width) if any(row[i] for row in cleaned)]
    return [[row[i] for i in keep] for row in cleaned]


def rows_to_markdown(rows: Sequence[Sequence[str]]) -> str:
    """Render rows (first row = header) as a GitHub markdown table (the chunker's renderer)."""
    return markdown_table(rows[0], rows[1:]) if rows else ""


_NUMERICISH = re.compile(r"^[\s\d.,:;/%$€£¥+\-−–()#*]*\d[\s\d.,:;/%$€£¥+\-−–()#*]*$")


def is_header_like(row: Sequence[str | None]) -> bool:
    """At least half the cells filled and none of them looks like a number or date."""
    cells = [c for c in row if c and c.strip()]
    if not cells or len(cells) * 2 < len(row):
        return False
    return not any(_NUMERICISH.match(c) for c in cells)
