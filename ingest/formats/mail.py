"""E-mail: EML (the standard library's parser) and Outlook MSG (oxmsg). Attachments go through the
whole pipeline again (``_Ctx.partition``), nested up to MAX_NESTING deep."""

from __future__ import annotations

import codecs
import dataclasses
import email
import email.policy
import re
import tempfile
from pathlib import Path
from typing import Any

from ingest.elements import Element
from ingest.formats.common import _Builder, _Ctx, _Kind, short_section
from ingest.formats.decode import _utf16_without_bom, decode_text
from ingest.formats.text import _add_html
from ingest.formats.unstructured_bridge import _add_unstructured, _unstructured_ready

MAX_NESTING = 3  # emails inside emails inside emails


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
        child = _Ctx(ctx.ocr_languages, ctx.ocr_dpi, ctx.max_bytes, ctx.partition, depth=ctx.depth + 1)
        child.on_ocr_page = lambda _n: ctx.starting_ocr()  # the attachment's pages count as the file's
        result = ctx.partition(target, child)
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
