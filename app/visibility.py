"""Who may see which document text, decided the same way on every path that shows text.

The vector search filter (app/store/: ``groups`` match-any, inactive points hidden) is what keeps
restricted passages out of retrieval. The database is the source of truth for which version of a
document is current and which groups read it; these functions check text against it:

- :func:`current_passages`: retrieved passages of the version the database holds current, of
  documents the reader's groups may read (a crash between writing a new version's points and the
  database's switch leaves both versions' points searchable for a moment: the database decides).
- :func:`readable`: whether a reader may see text quoting ``doc_ids`` now (escalations, conversation
  history, evaluation reports, cached answers): every one of them must still exist and be readable.

``ref`` dicts name a cited document as {"doc_id", "version"} (a citation, a query log's ``cited``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from app.db import Database


class _HasPayload(Protocol):
    @property
    def payload(self) -> dict[str, Any]: ...


P = TypeVar("P", bound=_HasPayload)


@dataclass(frozen=True)
class DocAccess:
    """What the database says of one cited document: its readers' groups and current version
    (None: no such document, or a verified answer that was withdrawn)."""

    groups: frozenset[str]
    version: int | None


def doc_access(db: Database, doc_ids: Iterable[str]) -> dict[str, DocAccess]:
    """``doc_id -> DocAccess`` for the documents and published verified answers among ``doc_ids``
    that exist; a missing key means the document is gone."""
    ids = sorted({d for d in doc_ids if d})
    if not ids:
        return {}
    found = {
        d.doc_id: DocAccess(frozenset(d.group_names), d.current_version)
        for d in db.get_documents(ids)
        if d.current_version is not None
    }
    for v in db.get_verified_answers([i for i in ids if i not in found]):
        if v.status == "published":
            found[v.doc_id] = DocAccess(frozenset(v.groups or []), 1)
    return found


def may_read(access: Mapping[str, DocAccess], doc_id: str, groups: Iterable[str]) -> bool:
    entry = access.get(doc_id)
    return entry is not None and bool(entry.groups & set(groups))


def unreadable(access: Mapping[str, DocAccess], doc_ids: Iterable[str], groups: Iterable[str]) -> list[str]:
    """The doc_ids among ``doc_ids`` a reader with ``groups`` may not read now (or that are gone)."""
    mine = set(groups)
    return sorted({d for d in doc_ids if not may_read(access, d, mine)})


def readable(db: Database, doc_ids: Iterable[str], groups: Sequence[str]) -> bool:
    """A reader with ``groups`` may see text quoting every one of ``doc_ids`` now."""
    ids = [d for d in doc_ids if d]
    return not unreadable(doc_access(db, ids), ids, groups)


def is_current(access: Mapping[str, DocAccess], payload: Mapping[str, Any]) -> bool:
    """The point belongs to the version its document has current (verified answers: version 1)."""
    entry = access.get(str(payload.get("doc_id", "")))
    return entry is not None and entry.version == int(payload.get("version", 0) or 0)


def current_passages(db: Database, passages: Sequence[P], groups: Sequence[str]) -> list[P]:
    """The passages of current versions of documents ``groups`` may read, in order."""
    access = doc_access(db, (str(p.payload.get("doc_id", "")) for p in passages))
    mine = set(groups)
    return [
        p
        for p in passages
        if is_current(access, p.payload) and may_read(access, str(p.payload.get("doc_id")), mine)
    ]
