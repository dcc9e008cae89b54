"""The real type of a file from its first bytes (and the directory of a ZIP or OLE container: olefile),
never from its name; the name only explains a mismatch. python-magic names unknown binaries."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ingest.formats.common import _Kind
from ingest.formats.decode import _BOMS, _utf16_without_bom

_EMAIL_HEADERS = {
    "from", "to", "cc", "subject", "date", "message-id", "mime-version", "received",
    "return-path", "delivered-to", "reply-to", "content-type", "x-mailer", "sender",
}  # fmt: skip


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
