"""Qdrant Edge: the Qdrant engine embedded in this process, one on-disk shard per directory.

Search mode on Edge: ``SearchParams(exact=True)`` on every query. Filtered HNSW search with default
settings returns wrong neighbours when a filter matches more points than ``full_scan_threshold`` while
each of its keyword values matches fewer (no payload-aware links exist for them): recall@10 fell to
~0.55 at 5k points (tests/app/test_store.py) and 0.04-0.09 at 100k. ACORN restores recall (~0.998)
but was no faster than exact search at embedded scale (8% filter at 100k: exact 3 ms, ACORN 9 ms;
unfiltered exact ~20 ms), and exact search ranks exactly like qdrant-client's brute-force local mode,
which the congruence tests rely on. A Qdrant server (collections of any size) gets ACORN instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from app.store.base import (
    BATCH,
    BOOL_FIELDS,
    DENSE,
    DENSE_DIM,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    SPARSE,
    Cond,
    Hit,
    Page,
    Point,
    Scalar,
    SparseVec,
    StoreBusyError,
    VectorStore,
    _busy_message,
    _dense,
    _uuid,
)


def _edge_filter(must: Sequence[Cond], must_not: Sequence[Cond] = ()) -> qe.Filter | None:
    def cond(key: str, value: Scalar | list[Scalar]) -> qe.FieldCondition:
        return qe.FieldCondition(
            key, match=qe.MatchAny(value) if isinstance(value, list) else qe.MatchValue(value)
        )

    if not must and not must_not:
        return None
    return qe.Filter(must=[cond(*c) for c in must], must_not=[cond(*c) for c in must_not] or None)


def _edge_sparse(vec: SparseVec) -> qe.SparseVector:
    return qe.SparseVector(list(vec.indices), list(vec.values))


class EdgeStore(VectorStore):
    """A Qdrant Edge shard in ``path``, created if missing. Never runs without its WAL."""

    _PARAMS = {  # see the module docstring
        DENSE: qe.SearchParams(exact=True),
        SPARSE: qe.SearchParams(exact=True, idf=qe.IdfParams(corpus=qe.Filter())),
    }

    def __init__(
        self,
        path: str | Path,
        *,
        dim: int = DENSE_DIM,
        full_scan_threshold_kb: int | None = None,
        indexing_threshold_kb: int | None = None,
    ) -> None:
        """The thresholds only apply when the shard is created (tests lower them to reach HNSW)."""
        self.path = Path(path)
        self._shard: qe.EdgeShard | None = None
        vectors = {DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)}
        sparse = {SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)}
        hnsw = optimizers = None
        if full_scan_threshold_kb is not None:
            hnsw = qe.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=full_scan_threshold_kb)
        if indexing_threshold_kb is not None:
            optimizers = qe.EdgeOptimizersConfig(indexing_threshold=indexing_threshold_kb)
        try:
            if (self.path / "edge_config.json").exists():  # load() checks the vectors match
                shard = qe.EdgeShard.load(
                    str(self.path), qe.EdgeConfig(vectors=vectors, sparse_vectors=sparse)
                )
            else:
                config = qe.EdgeConfig(
                    vectors=vectors, sparse_vectors=sparse, hnsw_config=hnsw, optimizers=optimizers
                )
                shard = qe.EdgeShard.create(str(self.path), config)
        except Exception as exc:  # qdrant_edge raises bare Exception; a locked WAL says "WouldBlock"
            if "WouldBlock" in str(exc):
                raise StoreBusyError(_busy_message(self.path)) from exc
            raise
        self._shard = shard
        schema = {f: qe.PayloadSchemaType.Keyword for f in KEYWORD_FIELDS}
        schema |= {f: qe.PayloadSchemaType.Integer for f in INTEGER_FIELDS}
        schema |= {f: qe.PayloadSchemaType.Bool for f in BOOL_FIELDS}
        existing = shard.info().payload_schema
        for name, kind in schema.items():
            if name not in existing:
                shard.update(qe.UpdateOperation.create_field_index(name, kind))

    @property
    def shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise RuntimeError(f"the vector store at {self.path} is closed")
        return self._shard

    def _upsert(self, points: Sequence[Point]) -> None:
        batch = [
            qe.Point(_uuid(p.id), {DENSE: _dense(p.dense), SPARSE: _edge_sparse(p.sparse)}, p.payload)
            for p in points
        ]
        self.shard.update(qe.UpdateOperation.upsert_points(batch))

    def _search_batch(
        self, queries: list[tuple[str, Any]], must: list[Cond], limit: int, must_not: list[Cond]
    ) -> list[list[Hit]]:
        flt = _edge_filter(must, must_not)
        requests = [
            qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(vec if name == DENSE else _edge_sparse(vec), using=name),
                filter=flt,
                params=self._PARAMS[name],
                with_payload=True,
            )
            for name, vec in queries
        ]
        results = self.shard.query_batch(qe.QueryBatchRequest(requests))
        return [[Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in points] for points in results]

    def _retrieve(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        records = self.shard.retrieve([uuid.UUID(i) for i in ids], with_payload=True, with_vector=False)
        return {str(r.id): dict(r.payload or {}) for r in records}

    def _delete(self, must: list[Cond], must_not: list[Cond]) -> None:
        self.shard.update(qe.UpdateOperation.delete_points_by_filter(_edge_filter(must, must_not)))

    def delete_ids(self, ids: Sequence[str]) -> None:
        if ids:
            self.shard.update(qe.UpdateOperation.delete_points([_uuid(i) for i in ids]))

    def _set_payload(self, must: list[Cond], payload: dict[str, Any]) -> None:
        self.shard.update(qe.UpdateOperation.set_payload_by_filter(_edge_filter(must), payload))

    def _count(self, must: list[Cond]) -> int:
        return self.shard.count(qe.CountRequest(exact=True, filter=_edge_filter(must)))

    def _scroll(self, must: list[Cond], fields: list[str] | None, offset: Any) -> Page:
        payload = fields if fields is not None else True
        request = qe.ScrollRequest(
            offset=offset, limit=BATCH, filter=_edge_filter(must), with_payload=payload
        )
        records, next_offset = self.shard.scroll(request)
        return [(str(r.id), dict(r.payload or {})) for r in records], next_offset

    def _facet(self, key: str, must: list[Cond], limit: int) -> dict[Scalar, int]:
        response = self.shard.facet(qe.FacetRequest(key, limit=limit, exact=True, filter=_edge_filter(must)))
        return {hit.value: hit.count for hit in response.hits}

    def optimize(self) -> None:
        """Merge segments, vacuum deletions, build HNSW. Blocks and holds the GIL: maintenance only."""
        self.shard.optimize()

    def flush(self) -> None:
        self.shard.flush()

    def close(self) -> None:
        if self._shard is not None:
            self._shard.close()
            self._shard = None
