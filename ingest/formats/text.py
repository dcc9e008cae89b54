"""Text-like formats: plain text, markdown, HTML and EPUB (a ZIP of XHTML chapters). Text is decoded
here (ingest.formats.decode), not by unstructured, which would guess the encoding itself."""

from __future__ import annotations

import bisect
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.elements import Element
from ingest.formats.common import _Builder, _Ctx, _Kind, _Outcome
from ingest.formats.decode import decode_text, fix_mojibake
from ingest.formats.unstructured_bridge import _add_unstructured, _unstructured_ready
from ingest.location import Location


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
