"""The vector store: the only package that imports ``qdrant_edge`` or ``qdrant_client``.

One small interface (:class:`VectorStore`), two backends:

- :class:`EdgeStore` - Qdrant Edge, the Qdrant engine embedded in this process, one on-disk shard per
  directory (the default). One process at a time: a second open raises :class:`StoreBusyError`.
- :class:`ClientStore` - ``qdrant_client.QdrantClient`` against a Qdrant server (production), or its
  pure-Python local mode (``path=...`` / ``":memory:"``) in tests.

Every point has a named dense vector ``"dense"`` (384, cosine) and a named sparse vector ``"bm25"``
with the IDF modifier. Permissions live in the query: each search puts ``groups MatchAny(groups)``
into the Qdrant filter; an empty ``groups`` returns no hits without asking Qdrant.

Search mode: exact search on Edge, ACORN on a server (why: app/store/edge.py).

IDF: both backends compute it over the live points (``IdfParams(corpus=Filter())``). The default
"global" IDF of Edge and of a server reads the sparse index, which keeps counting deleted points until
a vacuum - and every re-ingested document version leaves deleted points behind.

Modules: base.py (the contract, its types and errors), edge.py, client.py, bm25.py (the sparse
encoder); ``open_store`` picks the backend from the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.store.base import (
    BATCH,
    BOOL_FIELDS,
    DENSE,
    DENSE_DIM,
    HIDDEN,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    SPARSE,
    Cond,
    Hit,
    Must,
    Page,
    Point,
    Scalar,
    SparseVec,
    StoreBusyError,
    StoreUnavailableError,
    Vector,
    VectorStore,
)
from app.store.bm25 import Bm25Encoder
from app.store.client import ClientStore
from app.store.edge import EdgeStore

if TYPE_CHECKING:
    from app.settings import Settings

__all__ = [
    "BATCH",
    "BOOL_FIELDS",
    "DENSE",
    "DENSE_DIM",
    "HIDDEN",
    "INTEGER_FIELDS",
    "KEYWORD_FIELDS",
    "SPARSE",
    "Bm25Encoder",
    "ClientStore",
    "Cond",
    "EdgeStore",
    "Hit",
    "Must",
    "Page",
    "Point",
    "Scalar",
    "SparseVec",
    "StoreBusyError",
    "StoreUnavailableError",
    "Vector",
    "VectorStore",
    "open_store",
]


def open_store(settings: Settings) -> VectorStore:
    """A Qdrant server if ``settings.qdrant_url`` is set, else the embedded Edge shard under data_dir."""
    if settings.qdrant_url:
        return ClientStore(
            settings.qdrant_url, api_key=settings.qdrant_api_key, collection=settings.collection
        )
    return EdgeStore(settings.qdrant_path)
