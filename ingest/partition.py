"""Turn one file into typed elements (text, titles, table rows, OCR text) with page and section.

This module is the entry point (``partition_file``, the handler table, ``can_read``); the
partitioners live in ``ingest.formats``, one module per family of formats. That package is the only
importer of ``unstructured`` (and it owns pdfplumber's table finder, pypdf and tesseract too; a PDF's
words come from PDFium in ``ingest.pdf_words``): ``ingest/formats/__init__.py`` says which module owns
which. ``partition_file`` never raises for bad input: every problem becomes a ``PartitionResult``
status with a short reason. It runs inside worker processes, so heavy imports happen lazily on first
use.

Routing is by content, not by file extension: a ``.doc`` that is really a ``.docx`` is partitioned
as a ``.docx`` and a MIME message saved as ``.txt`` is partitioned as an email. The extension only
chooses between text flavours (markdown, CSV, plain text).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ingest.elements import Element, PartitionResult
from ingest.formats.common import (
    SECTION_WORDS,
    _Builder,
    _Ctx,
    _Kind,
    _Outcome,
    clean_cell,
    clean_text,
    is_document_control,
    is_header_like,
    is_title_text,
    normalise_rows,
    rows_to_markdown,
    short_section,
)
from ingest.formats.decode import decode_text, fix_mojibake
from ingest.formats.legacy import _partition_legacy
from ingest.formats.mail import _partition_eml, _partition_msg
from ingest.formats.ocr import _partition_image, skew_angle
from ingest.formats.office import _partition_docx, _partition_pptx
from ingest.formats.pdf import _partition_pdf, pdf_page_labels
from ingest.formats.pdf_tables import carry_table_headers, clean_pdf_table
from ingest.formats.pdf_text import clean_pdf_text
from ingest.formats.sheet import _partition_csv, _partition_xls, _partition_xlsx, format_cell, sniff_delimiter
from ingest.formats.sniff import detect_file_type, type_mismatch
from ingest.formats.text import (
    _partition_epub,
    _partition_html_file,
    _partition_text,
    _read_text,
    plain_text_elements,
    strip_hidden_html,
    text_line_spans,
)
from ingest.formats.unstructured_bridge import _add_unstructured, html_table_to_rows

# What other modules and the tests import from here; most of it lives in ingest.formats now. A test
# patches a helper where it is used (ingest.formats.<module>); detect_file_type and _HANDLERS are
# looked up here.
__all__ = [
    "FileKind", "can_read", "partition_file", "_HANDLERS", "detect_file_type", "type_mismatch",
    "SECTION_WORDS", "_Builder", "clean_cell", "clean_text", "is_document_control", "is_header_like",
    "is_title_text", "normalise_rows", "rows_to_markdown", "short_section", "decode_text", "fix_mojibake",
    "skew_angle", "pdf_page_labels", "carry_table_headers", "clean_pdf_table", "clean_pdf_text",
    "format_cell", "sniff_delimiter", "_read_text", "plain_text_elements", "strip_hidden_html",
    "text_line_spans", "_add_unstructured", "html_table_to_rows"
]  # fmt: skip


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
    ctx = _Ctx(
        ocr_languages=ocr_languages,
        ocr_dpi=ocr_dpi,
        max_bytes=max_bytes,
        partition=_partition_path,
        on_ocr_page=on_ocr_page,
    )
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


def _partition_encrypted(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    raise _Outcome("failed", "password-protected")


def _partition_corrupt(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    raise _Outcome("failed", kind.problem)


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
