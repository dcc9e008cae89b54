"""BM25 sparse vectors for the ``"bm25"`` vector of every point (Qdrant Edge's built-in model)."""

from __future__ import annotations

import qdrant_edge as qe

from app.store.base import SparseVec


class Bm25Encoder:
    """BM25 sparse vectors from Qdrant's built-in model (English stop words + stemmer), fully offline.

    Documents get saturated, length-normalised term frequencies ``tf*(k+1) / (tf + k*(1-b+b*len/avg_len))``
    (k=1.2, b=0.75, avg_len=256 tokens); queries get 1.0 per unique term. Neither carries IDF: the store
    multiplies each query term by ``ln((N-df+0.5)/(df+0.5)+1)`` at search time (the IDF modifier), so
    the dot product is plain BM25. Hence: embed queries with ``embed_query``, never ``embed_document``.
    """

    def __init__(self, *, avg_len: float | None = None) -> None:
        self._model = qe.Bm25(qe.Bm25Config(language="english", avg_len=avg_len))

    def embed_document(self, text: str) -> SparseVec:
        vec = self._model.embed_document(text)
        return SparseVec(list(vec.indices), list(vec.values))

    def embed_query(self, text: str) -> SparseVec:
        vec = self._model.embed_query(text)
        return SparseVec(list(vec.indices), list(vec.values))
