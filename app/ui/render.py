"""Pure helpers that turn the engine's answer JSON into what the pages show (no Streamlit here)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

MARKER = re.compile(r"\[(\d{1,3})\]")
WORD = re.compile(r"[A-Za-zÀ-ÿ0-9][\w'’-]*")
SENTENCE = re.compile(r"(?<=[.!?])\s+")
STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "may",
        "must",
        "not",
        "of",
        "on",
        "or",
        "our",
        "per",
        "should",
        "than",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "within",
        "you",
        "your",
    ]
)
BAND_COLOUR = {"high": "green", "medium": "orange", "low": "red"}
BAND_LABEL = {"high": "High confidence", "medium": "Medium confidence", "low": "Low confidence"}
REASON_LABELS = {
    "wrong": "Wrong",
    "incomplete": "Incomplete",
    "wrong_source": "Wrong source",
    "outdated": "Outdated",
}
STATUS_COLOUR = {"open": "blue", "claimed": "orange", "answered": "green", "closed": "gray"}


def source_anchor(turn_id: int | str, n: int) -> str:
    return f"src-{turn_id}-{n}"


def link_markers(answer: str, turn_id: int | str, known: set[int]) -> str:
    """Markdown: each [n] that names a shown source becomes a link to its card; [n] stays
    escaped otherwise. Everything else of the text is left as the engine wrote it."""

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n in known:
            return f"[\\[{n}\\]](#{source_anchor(turn_id, n)})"
        return f"\\[{n}\\]"

    return MARKER.sub(sub, answer)


def content_words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text) if len(w) > 2 and w.lower() not in STOP}


def cited_words(answer: str, n: int) -> set[str]:
    """The content words of the answer's sentences that cite [n] (without the markers)."""
    sentences = [s for s in SENTENCE.split(answer) if f"[{n}]" in s]
    return content_words(MARKER.sub(" ", " ".join(sentences)))


def highlight(snippet: str, words: set[str]) -> str:
    """HTML: the snippet escaped, with each of ``words`` (case-insensitive) wrapped in <mark>."""
    out, last = [], 0
    for m in WORD.finditer(snippet):
        if m.group(0).lower() in words:
            out.append(html.escape(snippet[last : m.start()]))
            out.append(f"<mark>{html.escape(m.group(0))}</mark>")
            last = m.end()
    out.append(html.escape(snippet[last:]))
    return "".join(out)


def pages_label(citation: Mapping[str, Any]) -> str:
    """Where the citation points: "Verified by <reviewer>, <date>" for a verified answer, else its
    location ("p. 12 (printed 10)", "sheet Revenue, rows 4–9", "section Methods › Results"), else
    (an answer from before locations were stored) its pages."""
    if citation.get("verified_by"):
        at = citation.get("verified_at") or ""
        return f"Verified by {citation['verified_by']}" + (f", {at}" if at else "")
    if citation.get("location"):
        return str(citation["location"])
    page, end = citation.get("page"), citation.get("page_end") or citation.get("page")
    if not page:
        return ""
    return f"p. {page}" if page == end else f"pp. {page}–{end}"


def provenance(answer: Mapping[str, Any]) -> list[str]:
    """One-line labels about where the answer comes from (extractive fallback, cache); none for a
    refusal, which neither quotes nor is written from any source."""
    labels = []
    backend = "" if answer.get("refused") else answer.get("backend", "")
    if backend and answer.get("fallback_reason"):
        reason = answer["fallback_reason"]
        labels.append(f"Quoted from the sources, not written by the language model: {reason}")
    elif backend == "extractive":
        labels.append("Quoted from the sources (no language model).")
    elif backend:
        labels.append(f"Written by {answer.get('model') or backend} from the sources below.")
    if answer.get("cache_hit"):
        labels.append("From the answer cache: the same question was answered before, its sources unchanged.")
    return labels


def is_pdf(citation: Mapping[str, Any], media_type: str = "") -> bool:
    return media_type == "application/pdf" or str(citation.get("path", "")).lower().endswith(".pdf")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def md_escape(text: str) -> str:
    """Text from users or documents, shown literally by st.markdown (no links, no formatting)."""
    return _MD_SPECIAL.sub(r"\\\1", text or "")
