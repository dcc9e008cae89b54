"""qdrant-client: a Qdrant server (production), or the client's pure-Python local mode in tests."""

from __future__ import annotations

import importlib.metadata
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qdrant_client import QdrantClient, models
from qdrant_client.common.version_check import is_compatible
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

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
    StoreUnavailableError,
    VectorStore,
    _busy_message,
    _dense,
    _uuid,
)


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
