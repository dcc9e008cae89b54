"""Sentences, table rows and [n] markers: how passages and answers are cut into units and words.

Pure functions over strings and passages."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.evidence import table_view
from app.retrieve import Passage, words

MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
_ABBREVIATIONS = "".join(  # "Dr. Eva Lindner" is one sentence
    rf"(?<!\b{re.escape(a)})"
    for a in ("Dr.", "Mr.", "Ms.", "Mrs.", "Prof.", "St.", "No.", "e.g.", "i.e.", "vs.", "ca.", "approx.",
              "Inc.", "Ltd.", "Co.", "Nr.")
)  # fmt: skip
_LIST_MARKER = re.compile(r"^(?:\(?\d{1,2}[.)]|\(?[a-z][.)]|[ivx]{1,4}\.)$")
_SENTENCE = re.compile(r"(?<=[.!?])" + _ABBREVIATIONS + r"\s+(?=[A-Z0-9\"'(])")
_STOP_WORDS = (
    "a an the of to in on for and or is are was were be by with as at from that this these those it its "
    "what which who whom how when where why do does did can could may might shall should will would i you "
    "we our your my me us they them their there here than then so if not no yes any all per"
)
_STOP = frozenset(_STOP_WORDS.split())


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words, cut to 6 letters ('engineer' ~ 'engineering')."""
    return {w[:6] for w in words(text) if w not in _STOP and len(w) > 1}


def overlap(sentence: str, evidence: str) -> float:
    """Share of the sentence's content words found in the evidence."""
    s = content_words(sentence)
    return len(s & content_words(evidence)) / len(s) if s else 0.0


def split_units(passage: Passage) -> tuple[str, list[str]]:
    """(header, units): a table's header line(s) and rows, or a text passage's sentences/lines."""
    text = passage.text
    section = passage.payload.get("section", "")
    if section and text.startswith(section + "\n"):
        text = text[len(section) + 1 :]
    if passage.payload.get("kind") == "table":
        lines = text.splitlines()
        head = [ln for ln in lines[:2] if ln.startswith("|")]
        return "\n".join(head), [ln for ln in lines[len(head) :] if ln.strip()]
    units: list[str] = []
    for line in text.splitlines():
        parts = [s.strip() for s in _SENTENCE.split(line) if s.strip()]
        for part in parts:  # "3. Set the rate to 3 mph/s." is one unit, not "3." and the rest
            if units and _LIST_MARKER.match(units[-1]):
                units[-1] = f"{units[-1]} {part}"
            else:
                units.append(part)
    return "", units


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def keyed_row(header: str, row: str) -> str:
    """A table row as "column: value; ..." so that an embedding sees which value is which
    ("| SEV1 | … | 5 minutes |" under "Acknowledge within" reads as "Acknowledge within: 5 minutes")."""
    if not header or not row.lstrip().startswith("|"):
        return row
    names = _cells(header.splitlines()[0])
    values = _cells(row)
    if len(names) != len(values):
        return row
    return "; ".join(f"{k}: {v}" for k, v in zip(names, values, strict=True) if v)


def is_email(passage: Passage) -> bool:
    """A passage of an e-mail's own text (an attachment is a document of its own)."""
    return bool(passage.payload.get("message")) and not passage.payload.get("attachments")


def quoted_unit(passage: Passage, header: str, unit: str, question: str = "") -> str:
    """A unit as the reader (and the model) sees it: a table row with its column headers and row
    label, the columns the question names first (app.evidence.table_view); a sheet's row or a slide's
    text with the sheet's or slide's title."""
    p = passage.payload
    title = str(p.get("section") or "") if p.get("unit") in ("sheet", "slide") else ""
    if unit.lstrip().startswith("|"):
        return table_view(header, unit, question, title)
    return f"{title}: {unit}" if title and title != unit else unit


def parse_citations(text: str, valid: Sequence[int]) -> tuple[str, list[int]]:
    """Normalise [n] markers; drop markers naming no given source. Returns (text, cited numbers)."""
    allowed = set(valid)
    cited: list[int] = []

    def repl(m: re.Match[str]) -> str:
        ns = [int(x) for x in re.split(r"[,;]", m.group(1)) if x.strip()]
        keep = [n for n in ns if n in allowed]
        cited.extend(n for n in keep if n not in cited)
        return "".join(f"[{n}]" for n in keep)

    out = MARKER.sub(repl, text)
    out = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", out)).strip()
    return out, cited


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def sentence_markers(sentence: str) -> list[int]:
    return [int(n) for m in MARKER.finditer(sentence) for n in re.split(r"[,;]", m.group(1)) if n.strip()]
