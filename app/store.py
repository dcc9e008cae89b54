"""The vector store: the only module that imports ``qdrant_edge`` or ``qdrant_client``.

One small interface (:class:`VectorStore`), two backends:

- :class:`EdgeStore` - Qdrant Edge, the Qdrant engine embedded in this process, one on-disk shard per
  directory (the default). One process at a time: a second open raises :class:`StoreBusyError`.
- :class:`ClientStore` - ``qdrant_client.QdrantClient`` against a Qdrant server (production), or its
  pure-Python local mode (``path=...`` / ``":memory:"``) in tests.

Every point has a named dense vector ``"dense"`` (384, cosine) and a named sparse vector ``"bm25"``
with the IDF modifier. Permissions live in the query: each search puts ``groups MatchAny(groups)``
into the Qdrant filter; an empty ``groups`` returns no hits without asking Qdrant.

Search mode on Edge: ``SearchParams(exact=True)`` on every query. Filtered HNSW search with default
settings returns wrong neighbours when a filter matches more points than ``full_scan_threshold`` while
each of its keyword values matches fewer (no payload-aware links exist for them): recall@10 fell to
~0.55 at 5k points (tests/app/test_store.py) and 0.04-0.09 at 100k. ACORN restores recall (~0.998)
but was no faster than exact search at embedded scale (8% filter at 100k: exact 3 ms, ACORN 9 ms;
unfiltered exact ~20 ms), and exact search ranks exactly like qdrant-client's brute-force local mode,
which the congruence tests rely on. A Qdrant server (collections of any size) gets ACORN instead.

IDF: both backends compute it over the live points (``IdfParams(corpus=Filter())``). The default
"global" IDF of Edge and of a server reads the sparse index, which keeps counting deleted points until
a vacuum - and every re-ingested document version leaves deleted points behind.
"""

from __future__ import annotations

import importlib.metadata
import time
import uuid
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import qdrant_edge as qe
from qdrant_client import QdrantClient, models
from qdrant_client.common.version_check import is_compatible
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

if TYPE_CHECKING:
    from app.settings import Settings

DENSE = "dense"
SPARSE = "bm25"
DENSE_DIM = 384
KEYWORD_FIELDS = ("groups", "doc_id", "set")
INTEGER_FIELDS = ("version",)
BOOL_FIELDS = ("active",)
BATCH = 256  # points per upsert request, records per scroll page

Scalar = str | int | bool
Cond = tuple[str, Scalar | list[Scalar]]  # (payload key, value); a list means "any of"
Vector = Sequence[float] | np.ndarray
Must = Mapping[str, Any] | None
Page = tuple[list[tuple[str, dict[str, Any]]], Any]  # (id, payload) records and the next offset
# A point with ``active: false`` is never searched: ingestion writes a new document version that way
# and switches it on once the database has made it current (Ingestor._write). Points without the
# field (verified answers, benchmark points, stores written before the flag) are searchable.
HIDDEN: list[Cond] = [("active", False)]


class StoreBusyError(Exception):
    """The embedded store is open in another process (or by another store object)."""


class StoreUnavailableError(Exception):
    """The Qdrant server cannot be reached or refused our credentials."""


@dataclass
class SparseVec:
    indices: list[int]
    values: list[float]


@dataclass
class Point:
    id: str  # a UUID string
    dense: Vector
    sparse: SparseVec
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Hit:
    id: str
    score: float
    payload: dict[str, Any]


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


def _busy_message(where: object) -> str:
    return (
        f"The vector store at {where} is in use by another process (e.g. `docqa serve` or another "
        "ingest). Stop it, upload through the app, or point DOCQA_QDRANT_URL at a Qdrant server."
    )


def _uuid(point_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(point_id))
    except ValueError:
        raise ValueError(f"point ids must be UUID strings, got {point_id!r}") from None


def _dense(vector: Vector) -> np.ndarray:
    return np.asarray(vector, dtype=np.float32).reshape(-1)


def _group_list(groups: Sequence[str]) -> list[str]:
    if isinstance(groups, str):  # "hr" would otherwise be read as the groups "h" and "r"
        raise TypeError("groups must be a sequence of group names, not a string")
    return [str(g) for g in groups]


def _conditions(must: Must) -> list[Cond]:
    conds: list[Cond] = []
    for key, value in (must or {}).items():
        if isinstance(value, Scalar):
            conds.append((key, value))
        elif isinstance(value, Sequence) and all(isinstance(v, Scalar) for v in value):
            conds.append((key, list(value)))
        else:
            raise TypeError(f"must[{key!r}] must be a str, int, bool or a list of them, got {value!r}")
    return conds


class VectorStore(ABC):
    """The store contract; backends translate neutral conditions into their own filters."""

    def upsert(self, points: Sequence[Point]) -> None:
        for start in range(0, len(points), BATCH):
            self._upsert(points[start : start + BATCH])

    def search_dense(
        self, vector: Vector, *, groups: Sequence[str], limit: int = 10, must: Must = None
    ) -> list[Hit]:
        return self._search([(DENSE, _dense(vector))], groups, limit, must)[0]

    def search_sparse(
        self, vec: SparseVec, *, groups: Sequence[str], limit: int = 10, must: Must = None
    ) -> list[Hit]:
        return self._search([(SPARSE, vec)], groups, limit, must)[0]

    def search_hybrid(
        self, vector: Vector, sparse: SparseVec, *, groups: Sequence[str], limit: int = 10, must: Must = None
    ) -> tuple[list[Hit], list[Hit]]:
        """Dense and sparse hits in one round trip; fusion happens elsewhere."""
        queries = [(DENSE, _dense(vector)), (SPARSE, sparse)]
        dense_hits, sparse_hits = self._search(queries, groups, limit, must)
        return dense_hits, sparse_hits

    def _search(
        self, queries: list[tuple[str, Any]], groups: Sequence[str], limit: int, must: Must
    ) -> list[list[Hit]]:
        hits: list[list[Hit]] = [[] for _ in queries]
        allowed = _group_list(groups)
        conds: list[Cond] = [("groups", allowed), *_conditions(must)]
        # No groups: no hits (never "no filter"). A sparse query of stop words only matches nothing.
        todo = [i for i, (name, vec) in enumerate(queries) if name == DENSE or vec.indices]
        if allowed and limit > 0 and todo:
            found = self._search_batch([queries[i] for i in todo], conds, limit, HIDDEN)
            for i, result in zip(todo, found, strict=True):
                hits[i] = result
        return hits

    def delete(self, *, doc_id: str, version: int | None = None, except_version: int | None = None) -> None:
        """Delete a document's points: all of them, only ``version``, or all but ``except_version``."""
        if version is not None and except_version is not None:
            raise ValueError("pass version or except_version, not both")
        must: list[Cond] = [("doc_id", doc_id)] + ([("version", version)] if version is not None else [])
        self._delete(must, [("version", except_version)] if except_version is not None else [])

    def set_groups(self, doc_id: str, groups: Sequence[str]) -> None:
        """Overwrite the ``groups`` payload of all the document's points; vectors stay."""
        self._set_payload([("doc_id", doc_id)], {"groups": _group_list(groups)})

    def activate(self, doc_id: str, version: int, groups: Sequence[str]) -> None:
        """Make the document's ``version`` searchable, with ``groups``. Its other versions stay as
        they are (the caller deletes them once the database has switched)."""
        self._set_payload(
            [("doc_id", doc_id), ("version", version)], {"active": True, "groups": _group_list(groups)}
        )

    def retrieve(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The payloads of the points among ``ids`` that exist: {id: payload}."""
        return self._retrieve([str(_uuid(i)) for i in ids]) if ids else {}

    def count(self, *, doc_id: str | None = None, version: int | None = None) -> int:
        must: list[Cond] = [("doc_id", doc_id)] if doc_id is not None else []
        return self._count(must + ([("version", version)] if version is not None else []))

    def count_matching(self, key: str, value: Scalar) -> int:
        """Points whose payload ``key`` equals ``value`` (e.g. ``encoder``: which model embedded them)."""
        return self._count([(key, value)])

    def iter_payloads(
        self, *, doc_id: str | None = None, fields: Sequence[str] | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every point's (id, payload), paging internally; ``fields`` picks payload keys."""
        must: list[Cond] = [("doc_id", doc_id)] if doc_id is not None else []
        offset: Any = None
        while True:
            records, offset = self._scroll(must, list(fields) if fields is not None else None, offset)
            yield from records
            if offset is None:
                return

    def version_counts(self) -> dict[tuple[str, int], int]:
        """Number of points per (doc_id, version), from exact payload-index facets."""
        limit = max(self._count([]), 1)
        counts: dict[tuple[str, int], int] = {}
        for doc_id in self._facet("doc_id", [], limit):
            for version, n in self._facet("version", [("doc_id", str(doc_id))], limit).items():
                counts[(str(doc_id), int(version))] = n
        return counts

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def _upsert(self, points: Sequence[Point]) -> None: ...
    @abstractmethod
    def _search_batch(
        self, queries: list[tuple[str, Any]], must: list[Cond], limit: int, must_not: list[Cond]
    ) -> list[list[Hit]]: ...
    @abstractmethod
    def _retrieve(self, ids: list[str]) -> dict[str, dict[str, Any]]: ...
    @abstractmethod
    def _delete(self, must: list[Cond], must_not: list[Cond]) -> None: ...
    @abstractmethod
    def delete_ids(self, ids: Sequence[str]) -> None: ...
    @abstractmethod
    def _set_payload(self, must: list[Cond], payload: dict[str, Any]) -> None: ...
    @abstractmethod
    def _count(self, must: list[Cond]) -> int: ...
    @abstractmethod
    def _scroll(self, must: list[Cond], fields: list[str] | None, offset: Any) -> Page: ...
    @abstractmethod
    def _facet(self, key: str, must: list[Cond], limit: int) -> dict[Scalar, int]: ...
    @abstractmethod
    def optimize(self) -> None: ...
    @abstractmethod
    def flush(self) -> None: ...
    @abstractmethod
    def close(self) -> None: ...


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


def _client_filter(must: Sequence[Cond], must_not: Sequence[Cond] = ()) -> models.Filter | None:
    def cond(key: str, value: Scalar | list[Scalar]) -> models.FieldCondition:
        match = models.MatchAny(any=value) if isinstance(value, list) else models.MatchValue(value=value)
        return models.FieldCondition(key=key, match=match)

    if not must and not must_not:
        return None
    return models.Filter(must=[cond(*c) for c in must], must_not=[cond(*c) for c in must_not] or None)


def _client_sparse(vec: SparseVec) -> models.SparseVector:
    return models.SparseVector(indices=list(vec.indices), values=list(vec.values))


class ClientStore(VectorStore):
    """qdrant-client: a server at ``url``, or local mode at ``path`` (``":memory:"`` keeps it in RAM)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        path: str | Path | None = None,
        api_key: str | None = None,
        collection: str = "docqa",
        dim: int = DENSE_DIM,
        timeout: int = 10,
        retries: int = 2,
        backoff_s: float = 0.5,
    ) -> None:
        """``timeout`` bounds each request to a server; one that fails to connect, times out or gets
        a 502/503/504 is retried ``retries`` times with exponential backoff (0.5 s, 1 s, ...)."""
        if (url is None) == (path is None):
            raise ValueError("pass exactly one of url (a Qdrant server) or path (local mode)")
        self.where = url or str(path)
        self.remote = url is not None
        self.retries, self.backoff_s = (retries, backoff_s) if url is not None else (0, 0.0)
        self.collection = collection
        self._client: QdrantClient | None = None
        # Local mode is brute force (and warns about params other than idf); a server gets ACORN.
        acorn = models.SearchParams(acorn=models.AcornSearchParams(enable=True)) if url else None
        self._params = {
            DENSE: acorn,
            SPARSE: models.SearchParams(idf=models.IdfCorpusParams(corpus=models.Filter())),
        }
        try:
            if url is not None:
                # The client's own version check runs in a thread that warns even after we raised
                # StoreUnavailableError; _ensure_collection checks the version in line instead.
                self._client = QdrantClient(
                    url=url, api_key=api_key, timeout=timeout, check_compatibility=False
                )
            else:
                where = {"location": ":memory:"} if str(path) == ":memory:" else {"path": str(path)}
                self._client = QdrantClient(**where)
        except RuntimeError as exc:  # "Storage folder ... is already accessed by another instance"
            if "already accessed" in str(exc):
                raise StoreBusyError(_busy_message(path)) from exc
            raise
        try:
            self._ensure_collection(dim)
        except BaseException:
            self.close()
            raise

    def _ensure_collection(self, dim: int) -> None:
        if self.remote:
            server = self._call("info", collection=False).version
            ours = importlib.metadata.version("qdrant-client")
            if not is_compatible(ours, server):
                warnings.warn(f"qdrant-client {ours} may not work with Qdrant server {server}", stacklevel=3)
        if not self._call("collection_exists"):
            self._call(
                "create_collection",
                vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
                sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            )
        schema = {f: models.PayloadSchemaType.KEYWORD for f in KEYWORD_FIELDS}
        schema |= {f: models.PayloadSchemaType.INTEGER for f in INTEGER_FIELDS}
        schema |= {f: models.PayloadSchemaType.BOOL for f in BOOL_FIELDS}
        with warnings.catch_warnings():  # local mode: "payload indexes have no effect"
            warnings.simplefilter("ignore", UserWarning)
            for name, kind in schema.items():
                self._call("create_payload_index", field_name=name, field_schema=kind)

    def _call(self, method: str, /, *, collection: bool = True, **kwargs: Any) -> Any:
        """Call a QdrantClient method (on our collection); connection failures become our errors."""
        if self._client is None:
            raise RuntimeError(f"the vector store at {self.where} is closed")
        if collection:
            kwargs["collection_name"] = self.collection
        for attempt in range(self.retries + 1):  # every call we make is idempotent: safe to repeat
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                return getattr(self._client, method)(**kwargs)
            except ResponseHandlingException as exc:  # connection refused, timed out, reset
                if attempt < self.retries:
                    continue
                tries = f", tried {attempt + 1} times" if attempt else ""
                raise StoreUnavailableError(
                    f"Cannot reach the Qdrant server at {self.where} ({exc}{tries}). Is it running? "
                    "Check DOCQA_QDRANT_URL, or unset it to use the embedded store."
                ) from exc
            except UnexpectedResponse as exc:
                if exc.status_code in (401, 403):
                    raise StoreUnavailableError(
                        f"The Qdrant server at {self.where} refused our API key ({exc.status_code}): "
                        "check DOCQA_QDRANT_API_KEY."
                    ) from exc
                if exc.status_code in (502, 503, 504) and attempt < self.retries:
                    continue
                raise
        raise AssertionError("unreachable")

    def _upsert(self, points: Sequence[Point]) -> None:
        structs = [
            models.PointStruct(
                id=str(_uuid(p.id)),
                vector={DENSE: _dense(p.dense).tolist(), SPARSE: _client_sparse(p.sparse)},
                payload=p.payload,
            )
            for p in points
        ]
        self._call("upsert", points=structs, wait=True)

    def _search_batch(
        self, queries: list[tuple[str, Any]], must: list[Cond], limit: int, must_not: list[Cond]
    ) -> list[list[Hit]]:
        flt = _client_filter(must, must_not)
        requests = [
            models.QueryRequest(
                query=vec.tolist() if name == DENSE else _client_sparse(vec),
                using=name,
                filter=flt,
                limit=limit,
                with_payload=True,
                params=self._params[name],
            )
            for name, vec in queries
        ]
        responses = self._call("query_batch_points", requests=requests)
        return [[Hit(str(p.id), float(p.score), dict(p.payload or {})) for p in r.points] for r in responses]

    def _retrieve(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        records = self._call("retrieve", ids=ids, with_payload=True, with_vectors=False)
        return {str(r.id): dict(r.payload or {}) for r in records}

    def _delete(self, must: list[Cond], must_not: list[Cond]) -> None:
        self._call("delete", points_selector=models.FilterSelector(filter=_client_filter(must, must_not)))

    def delete_ids(self, ids: Sequence[str]) -> None:
        if ids:
            self._call("delete", points_selector=models.PointIdsList(points=[str(_uuid(i)) for i in ids]))

    def _set_payload(self, must: list[Cond], payload: dict[str, Any]) -> None:
        self._call("set_payload", payload=payload, points=_client_filter(must))

    def _count(self, must: list[Cond]) -> int:
        return int(self._call("count", count_filter=_client_filter(must), exact=True).count)

    def _scroll(self, must: list[Cond], fields: list[str] | None, offset: Any) -> Page:
        payload = fields if fields is not None else True
        records, next_offset = self._call(
            "scroll", scroll_filter=_client_filter(must), limit=BATCH, offset=offset, with_payload=payload
        )
        return [(str(r.id), dict(r.payload or {})) for r in records], next_offset

    def _facet(self, key: str, must: list[Cond], limit: int) -> dict[Scalar, int]:
        response = self._call("facet", key=key, facet_filter=_client_filter(must), limit=limit, exact=True)
        return {hit.value: hit.count for hit in response.hits}

    def optimize(self) -> None:
        """A server optimizes in the background; local mode has nothing to optimize."""

    def flush(self) -> None:
        """Every write is sent with wait=True (the client's default): nothing is pending."""

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def open_store(settings: Settings) -> VectorStore:
    """A Qdrant server if ``settings.qdrant_url`` is set, else the embedded Edge shard under data_dir."""
    if settings.qdrant_url:
        return ClientStore(
            settings.qdrant_url, api_key=settings.qdrant_api_key, collection=settings.collection
        )
    return EdgeStore(settings.qdrant_path)
