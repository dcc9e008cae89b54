"""Feedback on answers and escalation of answers to a human reviewer.

Feedback: the user who asked rates the answer (thumb up or down, a reason for a down, a comment); one
feedback per answer and user, given again it is updated. A thumb down also drops the cached answers
to that question (app.cache), so the next asker gets a fresh answer.

Escalation: the asker hands an answer to a human. Nothing the client sends is stored but the
comment: the escalation keeps references only, the query log id (its answer) and the cited chunks
({n, doc_id, version, chunk_id, page}); the answer and the snippets are rendered from those at the
time of viewing, and only for a viewer who may read *every* cited document then (app.visibility):
anyone else (asker, reviewer or admin) sees the question only, and why.

Routing: to the reviewers who may read every cited document (by the documents' current groups); an
escalation citing nothing goes to every reviewer; one no reviewer may fully read goes to the admin
queue, which shows the question only and says why. Its life: open -> claimed (a reviewer takes it)
-> answered (a reviewer replies) -> closed (asker, reviewer or admin).

Only ``app.db`` touches the database; the thinking parts here are pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.models import utcnow
from app.visibility import DocAccess, doc_access, is_current, unreadable

if TYPE_CHECKING:
    from app.db import Database
    from app.models import Escalation, Feedback, QueryLog, User
    from app.store import VectorStore

THUMBS = ("up", "down")
REASONS = ("wrong", "incomplete", "wrong_source", "outdated")
STATUSES = ("open", "claimed", "answered", "closed")
MAX_COMMENT = 2000  # characters; longer comments are cut
MAX_REPLY = 10_000  # characters; a longer reply is refused (not silently cut)
MAX_SNIPPET = 2000  # characters of a cited chunk shown as a source's snippet
REF_KEYS = ("n", "doc_id", "version", "chunk_id", "page")  # what an escalation keeps of a citation
REVIEWERS, ADMINS = "reviewers", "admins"  # the queues an escalation can be in


class FeedbackError(ValueError):
    """Bad input; the message can be shown to the user (HTTP 400/422)."""


class NotFound(FeedbackError):
    """The answer or escalation does not exist (HTTP 404)."""


class Conflict(FeedbackError):
    """The escalation is not in a state that allows this, e.g. claimed by someone else (HTTP 409)."""


class PermissionDenied(Exception):
    """The user may not do or see this (HTTP 403); the message can be shown to the user."""


# -- views returned to callers -------------------------------------------------------------------
def _utc(value: datetime | None) -> datetime | None:
    """Aware UTC (SQLite hands stored times back naive)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in d.items()}


@dataclass
class FeedbackRecord:
    id: int
    query_log_id: int
    user: str
    thumb: str
    reason: str | None
    comment: str
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, row: Feedback) -> FeedbackRecord:
        return cls(
            id=row.id,
            query_log_id=row.query_log_id,
            user=row.user,
            thumb=row.thumb,
            reason=row.reason,
            comment=row.comment,
            created_at=_utc(row.created_at),
            updated_at=_utc(row.updated_at),
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass
class EscalationView:
    """An escalation as one viewer may see it (``sources`` already checked against their access)."""

    id: int
    query_log_id: int | None
    asker: str
    question: str
    answer: str
    sources: list[dict[str, Any]]
    confidence: float
    band: str
    comment: str
    groups: list[str]
    status: str
    assignee: str | None
    reply: str
    replied_by: str | None
    created_at: datetime | None
    claimed_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    withheld: int = 0  # how many cited documents the viewer may not read (nothing of them shown)
    withheld_reason: str = ""  # why only the question is shown
    queue: str = REVIEWERS  # "reviewers", or "admins" when no reviewer may read every cited document
    queue_reason: str = ""

    @classmethod
    def of(
        cls,
        row: Escalation,
        answer: str,
        sources: list[dict[str, Any]],
        *,
        withheld: int = 0,
        withheld_reason: str = "",
        queue: str = REVIEWERS,
        queue_reason: str = "",
    ) -> EscalationView:
        return cls(
            id=row.id,
            query_log_id=row.query_log_id,
            asker=row.asker,
            question=row.question,
            answer=answer,
            sources=sources,
            confidence=row.confidence,
            band=row.band,
            comment=row.comment,
            groups=list(row.groups or []),
            status=row.status,
            assignee=row.assignee,
            reply="" if withheld else row.reply,  # a reviewer's reply may quote the cited documents
            replied_by=row.replied_by,
            created_at=_utc(row.created_at),
            claimed_at=_utc(row.claimed_at),
            replied_at=_utc(row.replied_at),
            closed_at=_utc(row.closed_at),
            withheld=withheld,
            withheld_reason=withheld_reason,
            queue=queue,
            queue_reason=queue_reason,
        )

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


# -- pure logic ----------------------------------------------------------------------------------
def check_feedback(thumb: str, reason: str | None, comment: str) -> tuple[str, str | None, str]:
    """Validated (thumb, reason, comment); the comment is stripped and cut to MAX_COMMENT."""
    thumb = (thumb or "").strip().lower()
    if thumb not in THUMBS:
        raise FeedbackError(f"thumb must be one of {', '.join(THUMBS)}, not {thumb!r}")
    reason = (reason or "").strip().lower() or None
    if reason is not None:
        if reason not in REASONS:
            raise FeedbackError(f"reason must be one of {', '.join(REASONS)}, not {reason!r}")
        if thumb == "up":
            raise FeedbackError("a reason can only be given with a thumb down")
    return thumb, reason, clip(comment, MAX_COMMENT)


def clip(text: str | None, limit: int) -> str:
    return (text or "").strip()[:limit]


def cited_ids(refs: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted({str(r["doc_id"]) for r in refs if r.get("doc_id")})


def route(
    access: Mapping[str, DocAccess], doc_ids: Sequence[str], reviewers: Mapping[str, Sequence[str]]
) -> tuple[list[str], str]:
    """(the reviewers an escalation citing ``doc_ids`` goes to, why none when it goes to the admin
    queue): those who may read every cited document now; every reviewer when it cites nothing."""
    if not doc_ids:
        return sorted(reviewers), ""
    matched = sorted(name for name, theirs in reviewers.items() if not unreadable(access, doc_ids, theirs))
    if matched:
        return matched, ""
    gone = [d for d in doc_ids if d not in access]
    if gone:
        return [], f"{len(gone)} cited document(s) no longer exist, so no reviewer can check the answer"
    return [], "no reviewer may read every document the answer cites"


def refs_from_log(cited: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The references an escalation keeps of a QueryLog's citations (no text)."""
    return [{k: c.get(k) for k in REF_KEYS} for c in cited]


def render_sources(
    refs: Sequence[Mapping[str, Any]],
    access: Mapping[str, DocAccess],
    docs: Mapping[str, Any],
    chunks: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The cited sources for a viewer who may read every one of them: title, path and page from
    the database (``docs``: doc_id -> Document), the snippet from the chunk's point (``chunks``:
    chunk_id -> payload) while it is still the document's current version."""
    out = []
    for r in refs:
        doc_id = str(r.get("doc_id") or "")
        doc = docs.get(doc_id)
        point = chunks.get(str(r.get("chunk_id") or ""))
        current = point is not None and is_current(access, point)
        out.append(
            {
                "n": r.get("n"),
                "document": (doc.title or doc.path)
                if doc is not None
                else str((point or {}).get("title", "")),
                "path": doc.path if doc is not None else str((point or {}).get("path", "")),
                "page": r.get("page"),
                "location": str(point.get("location", "")) if current and point else "",
                "snippet": clip(str(point.get("text", "")), MAX_SNIPPET) if current and point else "",
                "doc_id": doc_id,
                "version": r.get("version"),
                "changed": not current,  # re-ingested since: the quoted chunk is gone
            }
        )
    return out


def may_view(esc: Escalation, user: str, roles: Sequence[str], routed_to: Sequence[str]) -> bool:
    return "admin" in roles or esc.asker == user or esc.assignee == user or user in routed_to


def may_work(esc: Escalation, user: str, roles: Sequence[str], routed_to: Sequence[str]) -> bool:
    """Claim or reply: admins, and reviewers the escalation is routed or assigned to."""
    return "admin" in roles or ("reviewer" in roles and (user in routed_to or esc.assignee == user))


def state_conflict(esc: Escalation, user: str, action: str, *, admin: bool = False) -> str | None:
    """Why ``user`` cannot ``action`` ("claim" | "reply") the escalation in its current state."""
    if esc.status == "closed":
        return f"escalation {esc.id} is closed"
    if action == "claim":
        if esc.status == "answered":
            return f"escalation {esc.id} was already answered by {esc.replied_by}"
        if esc.status == "claimed" and esc.assignee != user:
            return f"escalation {esc.id} is already claimed by {esc.assignee}"
    elif esc.assignee not in (None, user) and not admin:
        return f"escalation {esc.id} is claimed by {esc.assignee}; only they can reply"
    return None


def summarize(
    counts: Sequence[tuple[str, str | None, int]], escalations: Mapping[str, int], since: datetime | None
) -> dict[str, Any]:
    up = sum(n for thumb, _, n in counts if thumb == "up")
    down = sum(n for thumb, _, n in counts if thumb == "down")
    reasons = dict.fromkeys((*REASONS, "unspecified"), 0)
    for thumb, reason, n in counts:
        if thumb == "down":
            key = reason if reason in reasons else "unspecified"
            reasons[key] += n
    esc = {status: escalations.get(status, 0) for status in STATUSES}
    return {
        "since": since.isoformat() if since else None,
        "total": up + down,
        "up": up,
        "down": down,
        "up_share": round(up / (up + down), 3) if up + down else None,
        "down_reasons": reasons,
        "escalations": {**esc, "total": sum(escalations.values())},
    }


# -- services ------------------------------------------------------------------------------------
def _roles_groups(db: Database, name: str) -> tuple[list[str], list[str]]:
    user: User | None = db.get_user(name)
    return (user.role_list, user.group_names) if user else ([], [])


def _reviewers(db: Database) -> dict[str, list[str]]:
    return {u.name: u.group_names for u in db.list_users() if "reviewer" in u.role_list}


def routing(db: Database, row: Escalation) -> tuple[list[str], str]:
    """(reviewers, why none) for an escalation, by its cited documents' current groups."""
    ids = cited_ids(row.sources or [])
    return route(doc_access(db, ids), ids, _reviewers(db))


def _views(
    db: Database, store: VectorStore | None, rows: Sequence[Escalation], groups: Sequence[str]
) -> list[EscalationView]:
    """The escalations as a reader with ``groups`` may see them now."""
    ids = sorted({d for r in rows for d in cited_ids(r.sources or [])})
    access = doc_access(db, ids)
    docs = {d.doc_id: d for d in db.get_documents(ids)}
    reviewers = _reviewers(db)
    views = []
    for row in rows:
        refs = list(row.sources or [])
        cited = cited_ids(refs)
        routed, why_admins = route(access, cited, reviewers)
        queue = dict(queue=ADMINS, queue_reason=why_admins) if cited and not routed else {}
        blocked = unreadable(access, cited, groups)
        if blocked:
            gone = [d for d in blocked if d not in access]
            reason = (
                "a document the answer cites was deleted"
                if gone
                else "the answer cites documents you may not read"
            )
            views.append(
                EscalationView.of(
                    row,
                    "",
                    [],
                    withheld=len(blocked),
                    withheld_reason=reason + ": only the question is shown",
                    **queue,
                )
            )
            continue
        log = db.get_query_log(row.query_log_id) if row.query_log_id is not None else None
        wanted = [str(r["chunk_id"]) for r in refs if r.get("chunk_id")]
        chunks = store.retrieve(wanted) if store is not None and wanted else {}
        answer = log.answer if log is not None else ""
        views.append(EscalationView.of(row, answer, render_sources(refs, access, docs, chunks), **queue))
    return views


def _view(db: Database, store: VectorStore | None, row: Escalation, user: str) -> EscalationView:
    _, groups = _roles_groups(db, user)
    return _views(db, store, [row], groups)[0]


def _load(db: Database, escalation_id: int) -> Escalation:
    row = db.get_escalation(escalation_id)
    if row is None:
        raise NotFound(f"escalation {escalation_id} does not exist")
    return row


def _own_log(db: Database, user: str, query_log_id: int, what: str) -> QueryLog:
    log = db.get_query_log(query_log_id)
    if log is None:
        raise NotFound(f"answer {query_log_id} does not exist")
    if log.user != user:
        raise PermissionDenied(f"only the person who asked can {what} this answer")
    return log


def record_feedback(
    db: Database, user: str, query_log_id: int, thumb: str, reason: str | None = None, comment: str = ""
) -> FeedbackRecord:
    """Store (or update) ``user``'s feedback on the answer logged as ``query_log_id``. A thumb down
    drops the cached answers to that question: the next asker gets a fresh answer."""
    thumb, reason, comment = check_feedback(thumb, reason, comment)
    log = _own_log(db, user, query_log_id, "rate")
    row = db.upsert_feedback(query_log_id, user, thumb=thumb, reason=reason, comment=comment)
    if thumb == "down":
        from app.cache import normalise

        db.drop_cached_question(normalise(log.question))
    return FeedbackRecord.of(row)


def get_feedback(db: Database, user: str, query_log_id: int) -> FeedbackRecord | None:
    """``user``'s feedback on that answer, if any (to show the thumb already given)."""
    row = db.get_feedback(query_log_id, user)
    return FeedbackRecord.of(row) if row else None


def escalate(
    db: Database, user: str, query_log_id: int, comment: str = "", *, store: VectorStore | None = None
) -> EscalationView:
    """Hand the answer logged as ``query_log_id`` to a human. Only references are kept (the query
    log id and the cited chunks, from the server's own log); the comment is the asker's only text.
    While an earlier escalation of the same answer by the same asker is still open or claimed, that
    one is returned instead."""
    log = _own_log(db, user, query_log_id, "escalate")
    pending = db.list_escalations(asker=user, query_log_id=query_log_id, statuses=("open", "claimed"))
    if pending:
        return _view(db, store, pending[0], user)
    refs = refs_from_log(log.cited or [])
    docs = db.get_documents(cited_ids(refs))
    row = db.add_escalation(
        query_log_id=log.id,
        asker=user,
        question=log.question,
        answer="",
        sources=refs,
        confidence=log.confidence,
        band=log.band,
        comment=clip(comment, MAX_COMMENT),
        groups=sorted({g for d in docs for g in d.group_names}),
        status="open",
    )
    return _view(db, store, row, user)


def reviewers_for(db: Database, escalation: Escalation) -> list[str]:
    """The reviewers an escalation is routed to now (see ``route``)."""
    return routing(db, escalation)[0]


def get_escalation(
    db: Database, user: str, escalation_id: int, *, store: VectorStore | None = None
) -> EscalationView:
    row = _load(db, escalation_id)
    roles, groups = _roles_groups(db, user)
    if not may_view(row, user, roles, reviewers_for(db, row)):
        raise PermissionDenied(f"escalation {escalation_id} is not yours to see")
    return _views(db, store, [row], groups)[0]


def list_escalations(
    db: Database,
    user: str,
    *,
    status: str | None = None,
    mine: bool = False,
    store: VectorStore | None = None,
) -> list[EscalationView]:
    """Newest first. Admins see all (the admin queue among them), reviewers those routed or
    assigned to them, everyone their own. ``mine``: only those ``user`` asked or is assigned to."""
    if status is not None and status not in STATUSES:
        raise FeedbackError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    statuses = [status] if status else None
    roles, groups = _roles_groups(db, user)
    if "admin" in roles or "reviewer" in roles:
        rows = db.list_escalations(statuses=statuses)
        rows = [r for r in rows if may_view(r, user, roles, reviewers_for(db, r))]
    else:
        rows = db.list_escalations(statuses=statuses, asker=user)
    if mine:
        rows = [r for r in rows if user in (r.asker, r.assignee)]
    return _views(db, store, rows, groups)


def _check_work(db: Database, user: str, row: Escalation, action: str) -> list[str]:
    roles, _ = _roles_groups(db, user)
    if "reviewer" not in roles and "admin" not in roles:
        raise PermissionDenied(f"only reviewers can {action} escalations")
    if not may_work(row, user, roles, reviewers_for(db, row)):
        raise PermissionDenied(f"escalation {row.id} is not routed to you")
    return roles


def claim(
    db: Database, reviewer: str, escalation_id: int, *, store: VectorStore | None = None
) -> EscalationView:
    """``reviewer`` takes the escalation; claiming one's own claim again is a no-op."""
    row = _load(db, escalation_id)
    _check_work(db, reviewer, row, "claim")
    if row.status == "claimed" and row.assignee == reviewer:
        return _view(db, store, row, reviewer)
    if why := state_conflict(row, reviewer, "claim"):
        raise Conflict(why)
    done = db.update_escalation(
        escalation_id, {"status": "open"}, status="claimed", assignee=reviewer, claimed_at=utcnow()
    )
    if done is None:  # someone else was quicker
        raise Conflict(state_conflict(_load(db, escalation_id), reviewer, "claim") or "please reload")
    return _view(db, store, done, reviewer)


def reply(
    db: Database, reviewer: str, escalation_id: int, text: str, *, store: VectorStore | None = None
) -> EscalationView:
    """``reviewer`` answers the asker (claiming it if still open); the reply may be revised until closed."""
    body = (text or "").strip()
    if not body:
        raise FeedbackError("the reply must not be empty")
    if len(body) > MAX_REPLY:
        raise FeedbackError(f"the reply is too long ({len(body)} characters, at most {MAX_REPLY})")
    row = _load(db, escalation_id)
    roles = _check_work(db, reviewer, row, "reply to")
    if why := state_conflict(row, reviewer, "reply", admin="admin" in roles):
        raise Conflict(why)
    now = utcnow()
    done = db.update_escalation(
        escalation_id,
        {"status": row.status, "assignee": row.assignee},
        status="answered",
        assignee=row.assignee or reviewer,
        claimed_at=row.claimed_at or now,
        reply=body,
        replied_by=reviewer,
        replied_at=now,
    )
    if done is None:
        raise Conflict(f"escalation {escalation_id} was changed meanwhile; please reload")
    return _view(db, store, done, reviewer)


def close(db: Database, user: str, escalation_id: int, *, store: VectorStore | None = None) -> EscalationView:
    """Close the escalation (its asker, a reviewer it is routed or assigned to, or an admin)."""
    row = _load(db, escalation_id)
    roles, _ = _roles_groups(db, user)
    if row.asker != user and not may_work(row, user, roles, reviewers_for(db, row)):
        raise PermissionDenied(f"escalation {escalation_id} is not yours to close")
    if row.status == "closed":
        return _view(db, store, row, user)
    done = db.update_escalation(escalation_id, {"status": row.status}, status="closed", closed_at=utcnow())
    if done is None:
        raise Conflict(f"escalation {escalation_id} was changed meanwhile; please reload")
    return _view(db, store, done, user)


def feedback_summary(db: Database, since: datetime | None = None) -> dict[str, Any]:
    """Counts for the Insights page (no text): {since, total, up, down, up_share, down_reasons:
    {wrong, incomplete, wrong_source, outdated, unspecified}, escalations: {open, claimed, answered,
    closed, total}}. Feedback counts by when it was last given; escalations by when they were made."""
    since = _utc(since)  # a naive time is taken as UTC, as the database stores times
    return summarize(db.feedback_counts(since), db.escalation_counts(since), since)
