"""What partitioning hands to chunking: typed elements with page and section."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ingest.location import Location

ElementKind = Literal["title", "text", "table", "ocr"]
PartitionStatus = Literal["ok", "empty", "failed", "unsupported"]


@dataclass
class Element:
    """One piece of a document in reading order.

    ``page`` is 1-based: the PDF page, the slide number, the sheet index (``page_label`` holds the
    sheet name) or 1 for formats without pages (an e-mail and its attachments). ``section`` is the
    nearest heading above it. Tables carry ``rows`` (first row = header) and ``text`` as their
    markdown rendering; ``row_numbers`` (sheets, CSV) gives each row's number in the file.
    ``loc`` is where a reader finds it (ingest/location.py); None: derived from page and section.
    """

    text: str
    kind: ElementKind = "text"
    page: int = 1
    section: str = ""
    rows: list[list[str]] | None = None
    page_label: str | None = None
    loc: Location | None = None
    row_numbers: list[int] | None = None

    def location(self) -> Location:
        if self.loc is not None:
            return self.loc
        label = (self.page_label, self.page_label) if self.page_label else None
        section = (self.section,) if self.section else ()
        return Location("page", (self.page, self.page), label, section_path=section)


@dataclass
class PartitionResult:
    status: PartitionStatus
    reason: str = ""
    elements: list[Element] = field(default_factory=list)
    pages: int = 0
    ocr_pages: int = 0
    file_type: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds ("partition", "ocr")
