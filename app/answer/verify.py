"""Whether an answer's sentences are backed by the sources they cite (or could cite)."""

from __future__ import annotations

from collections.abc import Sequence

from app.answer.results import Source
from app.answer.text import MARKER, content_words, overlap, sentence_markers, split_sentences

SUPPORT_THRESHOLD = 0.5


def check_support(text: str, sources: Sequence[Source], cited: list[int]) -> tuple[float, str, list[int]]:
    """Share of sentences backed by a cited source; an unmarked sentence gets the source that
    backs it best, when one does."""
    by_n = {s.n: s for s in sources}
    out, supported, total = [], 0, 0
    for line in text.splitlines():
        if line.lstrip().startswith("|") and not MARKER.search(line):  # a table's header or rule
            out.append(line)
            continue
        sentences = split_sentences(line) if not line.lstrip().startswith("|") else [line]
        fixed = []
        for sent in sentences:
            body = MARKER.sub("", sent).strip()
            if not content_words(body):
                fixed.append(sent)
                continue
            total += 1
            marks = [n for n in sentence_markers(sent) if n in by_n]
            best_n, best = max(((s.n, overlap(body, s.snippet)) for s in sources), key=lambda t: t[1])
            if not marks and best >= SUPPORT_THRESHOLD:
                sent = f"{sent.rstrip()} [{best_n}]"
                marks = [best_n]
                cited.append(best_n) if best_n not in cited else None
            if marks and max(overlap(body, by_n[n].snippet) for n in marks) >= SUPPORT_THRESHOLD:
                supported += 1
            fixed.append(sent)
        out.append(" ".join(fixed))
    return (supported / total if total else 0.0), "\n".join(out).strip(), cited
