"""Sources from two versions of one document (a 2023 and a 2024 policy): found, and noted on the
answer with the newer one said to apply."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.answer.results import Source


def _stem(title: str) -> str:
    base = re.sub(r"\.[a-z0-9]+$", "", title.lower())
    base = re.sub(r"\b(?:19|20)\d\d\b|\bv(?:ersion)?[\s._-]*\d+(?:\.\d+)*\b|\d+", " ", base)
    return " ".join(re.findall(r"[a-z]+", base))


def _year(title: str) -> int:
    years = [int(y) for y in re.findall(r"(?:19|20)\d\d", title)]
    return max(years) if years else 0


def version_conflicts(sources: Sequence[Source]) -> list[tuple[Source, Source]]:
    """Pairs (older, newer) of sources from different documents that are versions of one document
    (same title once years and version numbers are removed)."""
    first: dict[str, Source] = {}  # one source per document: its best-ranked one
    for s in sources:
        first.setdefault(s.passage.doc_id, s)
    docs = list(first.values())
    pairs = []
    for i, a in enumerate(docs):
        for b in docs[i + 1 :]:
            ta, tb = a.passage.payload.get("title", ""), b.passage.payload.get("title", "")
            if _stem(ta) and _stem(ta) == _stem(tb):
                pairs.append((a, b) if _year(ta) <= _year(tb) else (b, a))
    return pairs


def conflict_note(pairs: Sequence[tuple[Source, Source]]) -> str:
    def title(s: Source) -> str:
        return s.passage.payload.get("title", "")

    parts = [
        f"[{old.n}] ({title(old)}) and [{new.n}] ({title(new)}) are versions of the same document; "
        f"the newer one, [{new.n}] ({title(new)}), applies"
        for old, new in pairs
    ]
    return "Note: " + "; ".join(parts) + "." if parts else ""
