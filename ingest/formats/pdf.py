"""PDF: encryption and page labels (pypdf), the PDFium pass over every page (ingest.pdf_words),
sideways pages turned upright, and OCR of pages without a usable text layer (pdftoppm, then
ingest.formats.ocr)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from ingest.elements import Element
from ingest.formats.common import SUBPROCESS_TIMEOUT_S, _Builder, _Ctx, _Kind, _Outcome
from ingest.formats.ocr import MAX_OCR_PIXELS, _ocr_image
from ingest.formats.pdf_pages import MIN_TEXT_LAYER_CHARS, _middle, _PdfPage
from ingest.formats.pdf_tables import _add_figure_tables, _carry_pdf_headers, _ruled_tables
from ingest.formats.pdf_text import _add_pdf_page, _pdf_reading_elements, _pdf_text_blocks
from ingest.pdf_words import PdfOpenError, read_pages


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
