"""Permission-filtered hybrid retrieval.

The reader's groups go into the vector store's query filter (never filtered afterwards), and so does
a document the reader picked (``doc_ids``: the per-document mode); dense and BM25 results are fused
by reciprocal rank; passages of a document whose company and period the question names gain a rank
(app/doc_match.py); the candidates are ranked by page, each page's best passage first, so the top k
passages cover k places; near-duplicate chunks are collapsed; a passage's neighbouring chunk is added
when it continues the same section.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from app.doc_match import asked, document_match
from app.embeddings import Embedder
from app.store import Hit, VectorStore
from ingest.docmeta import DocMeta
from ingest.location import merge_payloads

_WORD = re.compile(r"\w+", re.UNICODE)
RRF_K = 60
CANDIDATES = 30  # chunks each of the dense and the BM25 search return before fusion
NAMED_WEIGHT = 1 / RRF_K  # a passage of the document the question names gains about a first rank


@dataclass(frozen=True)
class Passage:
    id: str
    score: float  # fused (RRF) score
    payload: dict[str, Any]
    dense_score: float | None = None  # cosine similarity to the question, when the dense search found it
    sparse_score: float | None = None
    dense_rank: int | None = None
    sparse_rank: int | None = None

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))

    @property
    def doc_id(self) -> str:
        return str(self.payload.get("doc_id", ""))

    @property
    def pages(self) -> str:
        p = self.payload
        start, end = p.get("page_start", 1), p.get("page_end", p.get("page_start", 1))
        return f"p. {start}" if start == end else f"pp. {start}–{end}"

    @property
    def location(self) -> str:
        """Where a reader finds it ("p. 12 (printed 10)", "sheet Revenue, rows 4–9", "section A › B");
        the pages for a passage indexed before locations were stored (or whose format has none)."""
        return str(self.payload.get("location") or "") or self.pages

    @property
    def citation(self) -> str:
        return f"{self.payload.get('title') or self.payload.get('path')}, {self.location}"


def rrf_fuse(
    dense: Sequence[Hit], sparse: Sequence[Hit], *, k: int = RRF_K, limit: int = 10
) -> list[Passage]:
    """Reciprocal rank fusion: score = sum over lists of 1 / (k + rank), rank starting at 1."""
    scores: dict[str, float] = {}
    info: dict[str, dict[str, Any]] = {}
    for kind, hits in (("dense", dense), ("sparse", sparse)):
        for rank, hit in enumerate(hits, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (k + rank)
            entry = info.setdefault(hit.id, {"payload": hit.payload})
            entry[f"{kind}_score"], entry[f"{kind}_rank"] = hit.score, rank
    order = sorted(scores, key=lambda i: (-scores[i], i))[:limit]
    return [Passage(i, scores[i], **info[i]) for i in order]


def boost_named_documents(
    question: str, passages: Sequence[Passage], weight: float = NAMED_WEIGHT
) -> list[Passage]:
    """Add ``weight`` times the document match (app.doc_match: the question names the document's
    company, and its period) to each passage's score and re-rank. Passages of documents without
    metadata, and every passage of a question that names no company, keep their score."""
    q = asked(question)
    matches: dict[str, float] = {}
    out = []
    for p in passages:
        if p.doc_id not in matches:
            matches[p.doc_id] = document_match(q, DocMeta.from_payload(p.payload))
        out.append(replace(p, score=p.score + weight * matches[p.doc_id]) if matches[p.doc_id] else p)
    return sorted(out, key=lambda p: -p.score)


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def collapse_near_duplicates(passages: Sequence[Passage], threshold: float = 0.9) -> list[Passage]:
    """Keep the best-ranked of chunks whose words overlap by ``threshold`` or more and that state the
    same numbers (a page repeated across documents). Versions that differ in a figure are both kept:
    that disagreement is what the reader must see."""
    kept: list[tuple[Passage, set[str]]] = []
    for p in passages:
        w = words(p.text)
        if all(jaccard(w, kw) < threshold or _numbers(w) != _numbers(kw) for _, kw in kept):
            kept.append((p, w))
    return [p for p, _ in kept]


def _numbers(ws: set[str]) -> set[str]:
    return {w for w in ws if any(ch.isdigit() for ch in w)}


def search(
    store: VectorStore,
    embedder: Embedder,
    question: str,
    groups: Sequence[str],
    *,
    limit: int = 5,
    candidates: int = CANDIDATES,
    query_vector: np.ndarray | None = None,
    keep: Callable[[list[Passage], Sequence[str]], list[Passage]] | None = None,
    doc_ids: Sequence[str] | None = None,
) -> list[Passage]:
    """The passages that best answer ``question`` among the documents ``groups`` may read (and,
    with ``doc_ids``, only in those documents: a reader who picked a document).
    ``keep`` narrows the fused candidates before the top ``limit`` are taken (the engine passes
    app.visibility.current_passages: only the versions the database holds current)."""
    if not groups or not question.strip() or (doc_ids is not None and not doc_ids):
        return []
    vector = embedder.embed_query(question) if query_vector is None else query_vector
    must = {"doc_id": list(doc_ids)} if doc_ids else None
    dense, sparse = store.search_hybrid(
        vector, embedder.sparse_query(question), groups=groups, limit=candidates, must=must
    )
    fused = boost_named_documents(question, rrf_fuse(dense, sparse, limit=candidates))
    if keep is not None:
        fused = keep(fused, groups)
    ranked = collapse_near_duplicates(fused)
    return add_neighbours(store, vector, ranked[:limit], groups)


def add_neighbours(
    store: VectorStore, vector: np.ndarray, passages: Sequence[Passage], groups: Sequence[str], top: int = 2
) -> list[Passage]:
    """Extend the ``top`` passages with the next chunk of the same section (a list or a table that
    continues). The neighbour is fetched through the same permission filter."""
    out: list[Passage] = []
    for i, p in enumerate(passages):
        pl = p.payload
        if i < top and "chunk_index" in pl and pl.get("section"):
            nxt = store.search_dense(
                vector,
                groups=groups,
                limit=1,
                must={"doc_id": pl["doc_id"], "version": pl["version"], "chunk_index": pl["chunk_index"] + 1},
            )
            if (
                nxt
                and nxt[0].payload.get("section") == pl["section"]
                and nxt[0].id not in {q.id for q in passages}
            ):
                n = nxt[0].payload
                merged = dict(pl, text=pl["text"] + "\n" + _strip_section(n["text"], n["section"]))
                merged["page_end"] = max(pl.get("page_end", 1), n.get("page_end", 1))
                merged.update(merge_payloads(pl, n))  # "rows 4–9" and "rows 10–15": "rows 4–15"
                p = replace(p, payload=merged)
        out.append(p)
    return out


def _strip_section(text: str, section: str) -> str:
    return text[len(section) + 1 :] if section and text.startswith(section + "\n") else text


_FOLLOW_UP = re.compile(
    r"^(?:and|what about|how about|also|same for|what if)\b|\b(?:it|its|that|this|they|them|those|these)\b",
    re.IGNORECASE,
)


_QUESTION_WORDS_TEXT = "what which where when whom whose does have many much with from that this there about"
_QUESTION_WORDS = frozenset(_QUESTION_WORDS_TEXT.split())


def standalone_query(question: str, history: Sequence[str], max_words: int = 8) -> str:
    """Rewrite a follow-up ("And in Leipzig?") into a standalone search query by carrying over the
    previous question's key words. Questions that stand on their own are returned unchanged."""
    if not history:
        return question
    q_words = words(question)
    looks_dependent = len(q_words) <= 4 or bool(_FOLLOW_UP.search(question.strip()))
    if not looks_dependent:
        return question
    previous = history[-1]
    carried = [
        w
        for w in _WORD.findall(previous)
        if len(w) > 3 and w.lower() not in q_words and w.lower() not in _QUESTION_WORDS
    ][:max_words]
    return f"{question.strip()} ({' '.join(carried)})" if carried else question
