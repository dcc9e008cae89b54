"""Verified answers: a reviewer's curated question/answer, published from an answered escalation.

A verified answer is a VerifiedAnswer row (the source of truth) and ONE point in the vector store,
embedded the way ingestion embeds a chunk (the Embedder's dense + BM25 document vectors), so later
questions retrieve it like any passage, through the same permission filter on ``groups``. Its
payload says ``kind: "verified"`` and carries ``verified_by`` / ``verified_at``, from which a
citation of it reads "Verified by <reviewer>, <YYYY-MM-DD>" instead of a page.

Audience: a verified answer restates documents (its *sources*, the documents the escalated answer
cited), so it may only be read by whoever may read all of them. Its ``groups`` are the groups the
reviewer chose that are in every source's current groups (:func:`audience`), recomputed whenever a
source is re-grouped, re-ingested or deleted (:func:`refresh`, called by ingestion and at engine
start). A source deleted withdraws it: its point is removed, and the reviewer who published it sees
it as withdrawn, with the reason, in their list (and the audit log records it).

Who may publish: a reviewer the escalation is routed or assigned to (or an admin), once it has a
reply; groups chosen among those that may read every source (when the escalation cites nothing:
the reviewer's own groups; admins: any). Who may unpublish: the reviewer who published it, or an
admin. Who sees it: everyone whose groups may read it; its publisher and admins also see those
they can't read (or withdrawn ones) listed, with the answer withheld.

Errors are app.feedback's (FeedbackError 400, NotFound 404, Conflict 409, PermissionDenied 403).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.feedback import (
    MAX_REPLY,
    Conflict,
    FeedbackError,
    NotFound,
    PermissionDenied,
    _jsonable,
    _roles_groups,
    _utc,
    cited_ids,
    may_work,
    reviewers_for,
)
from app.models import utcnow
from app.store import Point
from app.visibility import DocAccess, doc_access

if TYPE_CHECKING:
    from app.db import Database
    from app.embeddings import Embedder
    from app.models import VerifiedAnswer
    from app.store import VectorStore

KIND = "verified"
MAX_QUESTION = 1000
_NAMESPACE = uuid.UUID("0f4b8f3a-9d2c-4a61-8e3b-2f7c1d5a9b40")


@dataclass
class VerifiedView:
    id: int
    doc_id: str
    question: str
    answer: str
    groups: list[str]
    reviewer: str
    escalation_id: int | None
    created_at: datetime | None
    can_unpublish: bool = False
    status: str = "published"  # published | withdrawn
    withdrawn_reason: str = ""
    withheld: bool = False  # the viewer may not read it: the answer is not shown
    sources: list[str] | None = None

    @classmethod
    def of(cls, row: VerifiedAnswer, *, can_unpublish: bool = False, withheld: bool = False) -> VerifiedView:
        return cls(
            id=row.id,
            doc_id=row.doc_id,
            question=row.question,
            answer="" if withheld else row.answer,
            groups=list(row.groups or []),
            reviewer=row.reviewer,
            escalation_id=row.escalation_id,
            created_at=_utc(row.created_at),
            can_unpublish=can_unpublish,
            status=row.status or "published",
            withdrawn_reason=row.withdrawn_reason or "",
            withheld=withheld,
            sources=list(row.sources or []),
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


# -- pure helpers ----------------------------------------------------------------------------------
def doc_id_for(verified_id: int) -> str:
    return f"verified-{verified_id}"


def point_id_for(doc_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, doc_id))


def point_text(question: str, answer: str) -> str:
    return f"Q: {question}\nA: {answer}"


def check_groups(chosen: Sequence[str], allowed: Sequence[str], *, admin: bool) -> list[str]:
    """The chosen groups, cleaned; at least one, and (unless ``admin``) all among ``allowed``."""
    groups = sorted({str(g).strip() for g in chosen if str(g).strip()})
    if not groups:
        raise FeedbackError("choose at least one group that may read the verified answer")
    if not admin:
        outside = [g for g in groups if g not in set(allowed)]
        if outside:
            choices = ", ".join(sorted(allowed)) or "none"
            raise PermissionDenied(
                f"you may only publish to the escalation's groups ({choices}), not {', '.join(outside)}"
            )
    return groups


def audience(chosen: Iterable[str], source_groups: Sequence[Collection[str]]) -> list[str]:
    """Who may read a verified answer: the chosen groups that are among every source's groups (a
    reader in one of them may read every source). No sources: the chosen groups."""
    out = set(chosen)
    for groups in source_groups:
        out &= set(groups)
    return sorted(out)


def source_state(access: Mapping[str, DocAccess], sources: Sequence[str]) -> tuple[list[str], list[str]]:
    """(the sources that no longer exist, the groups that may read every existing one)."""
    gone = [d for d in sources if d not in access]
    present = [set(access[d].groups) for d in sources if d in access]
    return gone, sorted(set.intersection(*present)) if present else []


def check_text(question: str, answer: str) -> tuple[str, str]:
    question, answer = (question or "").strip(), (answer or "").strip()
    if not question:
        raise FeedbackError("the question must not be empty")
    if not answer:
        raise FeedbackError("the answer must not be empty")
    if len(question) > MAX_QUESTION:
        raise FeedbackError(f"the question is too long ({len(question)} characters, at most {MAX_QUESTION})")
    if len(answer) > MAX_REPLY:
        raise FeedbackError(f"the answer is too long ({len(answer)} characters, at most {MAX_REPLY})")
    return question, answer


def payload(row: VerifiedAnswer) -> dict[str, Any]:
    """The point's payload: the fields ingestion writes for a chunk, plus who verified it and when."""
    created = _utc(row.created_at)
    return {
        "doc_id": row.doc_id,
        "version": 1,
        "set": KIND,
        "groups": list(row.groups or []),
        "page_start": 1,
        "page_end": 1,
        "section": "",
        "kind": KIND,
        "text": point_text(row.question, row.answer),
        "title": f"Verified answer: {row.question}",
        "path": f"verified/{row.id}",
        "verified_by": row.reviewer,
        "verified_at": f"{created:%Y-%m-%d}" if created else "",
        "verified_id": row.id,
    }


def to_point(row: VerifiedAnswer, embedder: Embedder) -> Point:
    """One point, embedded like an ingested chunk (dense + BM25 document vectors)."""
    text = point_text(row.question, row.answer)
    return Point(
        id=point_id_for(row.doc_id),
        dense=embedder.embed_documents([text])[0],
        sparse=embedder.sparse_documents([text])[0],
        payload=payload(row) | {"encoder": embedder.encoder_id},
    )


# -- services ----------------------------------------------------------------------------------------
def publish(
    db: Database,
    store: VectorStore,
    embedder: Embedder,
    user: str,
    escalation_id: int,
    *,
    question: str | None = None,
    answer: str | None = None,
    groups: Sequence[str] | None = None,
) -> VerifiedView:
    """Publish the answered escalation's question and reply (as edited) for readers in ``groups``
    (default: the escalation's routing groups)."""
    esc = db.get_escalation(escalation_id)
    if esc is None:
        raise NotFound(f"escalation {escalation_id} does not exist")
    roles, own_groups = _roles_groups(db, user)
    admin = "admin" in roles
    if "reviewer" not in roles and not admin:
        raise PermissionDenied("only reviewers can publish verified answers")
    if not may_work(esc, user, roles, reviewers_for(db, esc)):
        raise PermissionDenied(f"escalation {escalation_id} is not routed to you")
    if not (esc.reply or "").strip():
        raise Conflict(f"escalation {escalation_id} has no reply yet; answer it first")
    question, answer = check_text(esc.question if question is None else question, answer or esc.reply)
    sources = cited_ids(esc.sources or [])
    gone, common = source_state(doc_access(db, sources), sources)
    if gone:
        raise Conflict(
            f"{len(gone)} document(s) the escalated answer cites were deleted; it cannot be published"
        )
    allowed = common if sources else own_groups
    chosen = check_groups(allowed if groups is None else groups, allowed, admin=admin)
    readers = audience(chosen, [common] if sources else [])
    if not readers:
        raise FeedbackError(
            "none of the chosen groups may read every document the answer cites "
            f"({', '.join(common) or 'no group may read them all'})"
        )
    row = db.add_verified_answer(
        question=question,
        answer=answer,
        groups=readers,
        chosen_groups=chosen,
        sources=sources,
        reviewer=user,
        escalation_id=esc.id,
    )
    try:
        store.upsert([to_point(row, embedder)])
    except BaseException:
        db.delete_verified_answer(row.id)  # nothing half-published
        raise
    return VerifiedView.of(row, can_unpublish=True)


def list_verified(db: Database, user: str) -> list[VerifiedView]:
    """Newest first: those ``user``'s groups may read; their publisher and admins also see the
    others (withdrawn ones among them), with the answer withheld."""
    roles, groups = _roles_groups(db, user)
    admin, mine = "admin" in roles, set(groups)
    out = []
    for r in db.list_verified_answers():
        readable = r.status == "published" and bool(mine & set(r.groups or []))
        owner = admin or r.reviewer == user
        if readable or owner:
            out.append(VerifiedView.of(r, can_unpublish=owner, withheld=not readable))
    return out


def refresh(db: Database, store: VectorStore, doc_ids: Iterable[str] | None = None) -> list[VerifiedView]:
    """Recompute the audience of the published verified answers citing any of ``doc_ids`` (all of
    them when None): groups narrowed to what may read every source now, and withdrawn when a source
    was deleted. Returns those that changed."""
    wanted = None if doc_ids is None else set(doc_ids)
    rows = [
        r
        for r in db.list_verified_answers()
        if r.status == "published" and r.sources and (wanted is None or wanted & set(r.sources))
    ]
    access = doc_access(db, {d for r in rows for d in r.sources})
    changed = []
    for r in rows:
        gone, common = source_state(access, list(r.sources))
        if gone:
            store.delete(doc_id=r.doc_id)
            reason = f"a document it restates was deleted ({len(gone)} of {len(r.sources)} sources)"
            done = db.update_verified_answer(
                r.id, status="withdrawn", withdrawn_reason=reason, withdrawn_at=utcnow(), groups=[]
            )
            db.add_audit(
                "system", "verified.withdraw", r.doc_id or "", {"reviewer": r.reviewer, "reason": reason}
            )
        else:
            readers = audience(r.chosen_groups or r.groups or [], [common])
            if readers == sorted(r.groups or []):
                continue
            store.set_groups(r.doc_id, readers)
            done = db.update_verified_answer(r.id, groups=readers)
        if done is not None:
            changed.append(VerifiedView.of(done))
    return changed


def unpublish(db: Database, store: VectorStore, user: str, verified_id: int) -> VerifiedView:
    """Remove the verified answer: its point first (it stops being answerable), then its row."""
    row = db.get_verified_answer(verified_id)
    if row is None:
        raise NotFound(f"verified answer {verified_id} does not exist")
    roles, _ = _roles_groups(db, user)
    if row.reviewer != user and "admin" not in roles:
        raise PermissionDenied(f"only {row.reviewer} (who published it) or an admin can unpublish it")
    store.delete(doc_id=row.doc_id)
    db.delete_verified_answer(row.id)
    return VerifiedView.of(row)
