"""The store contract (:class:`VectorStore`), the neutral types it speaks (points, hits, sparse
vectors, payload conditions) and the errors of both backends. Imports no Qdrant package."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np

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
