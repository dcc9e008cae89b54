"""What partitioning hands to chunking: typed elements with page and section."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ElementKind = Literal["title", "text", "table", "ocr"]
PartitionStatus = Literal["ok", "empty", "failed", "unsupported"]


@dataclass
class Element:
    """One piece of a document in reading order.

    ``page`` is 1-based: the PDF page, the slide number, the sheet index (``page_label`` holds the
    sheet name) or 1 for formats without pages. ``section`` is the nearest heading above it.
    Tables carry ``rows`` (first row = header) and ``text`` as their markdown rendering.
    """

    text: str
    kind: ElementKind = "text"
    page: int = 1
    section: str = ""
    rows: list[list[str]] | None = None
    page_label: str | None = None


@dataclass
class PartitionResult:
    status: PartitionStatus
    reason: str = ""
    elements: list[Element] = field(default_factory=list)
    pages: int = 0
    ocr_pages: int = 0
    file_type: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds ("partition", "ocr")
