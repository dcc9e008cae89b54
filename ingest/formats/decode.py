"""Bytes to text: a BOM, UTF-16 without one, UTF-8, a declared charset or a cautious guess
(charset-normalizer); UTF-8 read as Latin-1/cp1252 (mojibake) repaired."""

from __future__ import annotations

import codecs
import re

# Single-byte encodings that charset-normalizer confuses with each other on short Western text.
_WESTERN_SINGLE_BYTE = {
    "ascii", "cp1250", "cp1252", "cp1254", "cp1257", "cp437", "cp850", "cp858", "latin_1",
    "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13",
    "iso8859_14", "iso8859_15", "iso8859_16", "mac_roman", "mac_latin2", "mac_iceland",
}  # fmt: skip


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
