"""Permission-filtered hybrid retrieval: dense and BM25 searches, both filtered by the reader's
groups inside the vector store query, fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.embeddings import Embedder
from app.store import Hit, VectorStore


@dataclass(frozen=True)
class Passage:
    id: str
    score: float
    payload: dict

    @property
    def citation(self) -> str:
        p = self.payload
        pages = (
            f"p. {p['page_start']}"
            if p["page_start"] == p["page_end"]
            else f"pp. {p['page_start']}–{p['page_end']}"
        )
        return f"{p.get('title') or p.get('path')}, {pages}"


def rrf_fuse(rankings: Sequence[Sequence[Hit]], *, k: int = 60, limit: int = 10) -> list[Passage]:
    """Reciprocal rank fusion: score = sum over lists of 1 / (k + rank), rank starting at 1."""
    scores: dict[str, float] = {}
    payloads: dict[str, dict] = {}
    for hits in rankings:
        for rank, hit in enumerate(hits, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + 1.0 / (k + rank)
            payloads.setdefault(hit.id, hit.payload)
    order = sorted(scores, key=lambda i: (-scores[i], i))[:limit]
    return [Passage(i, scores[i], payloads[i]) for i in order]


def search(
    store: VectorStore, embedder: Embedder, question: str, groups: Sequence[str], *, limit: int = 5
) -> list[Passage]:
    if not groups or not question.strip():
        return []
    dense, sparse = store.search_hybrid(
        embedder.embed_query(question), embedder.sparse_query(question), groups=groups, limit=max(20, limit)
    )
    return rrf_fuse([dense, sparse], limit=limit)
