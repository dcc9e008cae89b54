"""Feedback on answers and escalation of answers to a human reviewer.

Feedback: the user who asked rates the answer (thumb up or down, a reason for a down, a comment); one
feedback per answer and user, given again it is updated.

Escalation: the asker hands an answer (question, answer, the sources as shown, confidence) to a human.
It is routed by the groups owning the cited documents: to the reviewers in at least one of those
groups, or to every reviewer when it cites nothing or no reviewer is in those groups. Its life:
open -> claimed (a reviewer takes it) -> answered (a reviewer replies) -> closed (asker, reviewer or admin).

Who sees an escalation: its asker, the reviewers it is routed to, its assignee and admins. Sources carry
document text, so whoever looks (admins excepted) gets the snippet of a cited document only while they
can read that document; otherwise the source is listed with ``withheld`` and no snippet.

Only ``app.db`` touches the database; the thinking parts here are pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.models import utcnow

if TYPE_CHECKING:
    from app.db import Database
    from app.models import Escalation, Feedback, QueryLog, User

THUMBS = ("up", "down")
REASONS = ("wrong", "incomplete", "wrong_source", "outdated")
STATUSES = ("open", "claimed", "answered", "closed")
MAX_COMMENT = 2000  # characters; longer comments are cut
MAX_REPLY = 10_000  # characters; a longer reply is refused (not silently cut)
MAX_SNIPPET = 2000  # characters per source snippet stored with an escalation
SOURCE_KEYS = ("n", "document", "path", "page", "location", "snippet", "doc_id", "version")
MAX_LOCATION = 300  # characters of a source's location ("sheet Revenue, rows 4–9")


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
    withheld: int = 0  # how many sources the viewer may not read (shown without snippet)

    @classmethod
    def of(cls, row: Escalation, sources: list[dict[str, Any]]) -> EscalationView:
        return cls(
            id=row.id,
            query_log_id=row.query_log_id,
            asker=row.asker,
            question=row.question,
            answer=row.answer,
            sources=sources,
            confidence=row.confidence,
            band=row.band,
            comment=row.comment,
            groups=list(row.groups or []),
            status=row.status,
            assignee=row.assignee,
            reply=row.reply,
            replied_by=row.replied_by,
            created_at=_utc(row.created_at),
            claimed_at=_utc(row.claimed_at),
            replied_at=_utc(row.replied_at),
            closed_at=_utc(row.closed_at),
            withheld=sum(1 for s in sources if s.get("withheld")),
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


def route(groups: Sequence[str], reviewers: Mapping[str, Sequence[str]]) -> list[str]:
    """The reviewers (name -> their groups) an escalation owned by ``groups`` goes to: those in at
    least one of the groups; every reviewer when there are no groups or nobody is in them."""
    wanted = set(groups)
    matched = sorted(name for name, theirs in reviewers.items() if wanted & set(theirs))
    return matched or sorted(reviewers)


def sources_from_log(cited: Sequence[Mapping[str, Any]], docs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Sources built from a QueryLog's citations ([{n, doc_id, version, page}]) and the documents
    (doc_id -> Document); the log keeps no snippet, so the snippet is empty."""
    out = []
    for c in cited:
        doc = docs.get(c.get("doc_id", ""))
        out.append(
            {
                "n": c.get("n"),
                "document": (doc.title or doc.path) if doc is not None else "",
                "path": doc.path if doc is not None else "",
                "page": c.get("page"),
                "snippet": "",
                "doc_id": c.get("doc_id"),
                "version": c.get("version"),
            }
        )
    return out


def clean_sources(sources: Sequence[Any], cited: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The sources sent by the client, kept to the known keys, snippets cut to MAX_SNIPPET; every
    source must be one of the answer's citations (so no other document's text is attached)."""
    cited_ids = {c.get("doc_id") for c in cited}
    out = []
    for i, s in enumerate(sources, 1):
        if not isinstance(s, Mapping):
            raise FeedbackError(f"source {i} must be an object with {', '.join(SOURCE_KEYS)}")
        if s.get("doc_id") not in cited_ids:
            raise FeedbackError(f"source {s.get('n', i)} is not one of the answer's citations")
        row = {k: s.get(k) for k in SOURCE_KEYS}
        row["snippet"] = clip(str(row["snippet"] or ""), MAX_SNIPPET)
        row["location"] = clip(str(row["location"] or ""), MAX_LOCATION)
        out.append(row)
    return out


def visible_sources(
    sources: Sequence[Mapping[str, Any]], doc_groups: Mapping[str, Sequence[str]], groups: Sequence[str]
) -> list[dict[str, Any]]:
    """``sources`` as a reader with ``groups`` may see them: the snippet and the location (an e-mail
    subject, a heading) of a document they cannot read (or that no longer exists: ``doc_groups`` has
    no entry) are withheld."""
    mine = set(groups)
    out = []
    for s in sources:
        row = dict(s)
        readable = bool(mine & set(doc_groups.get(row.get("doc_id") or "", ())))
        if not readable:
            row["snippet"] = ""
            row["location"] = ""
            row["withheld"] = True
        out.append(row)
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


def _doc_groups(db: Database, rows: Sequence[Escalation]) -> dict[str, list[str]]:
    ids = {s.get("doc_id") for r in rows for s in (r.sources or []) if s.get("doc_id")}
    return {d.doc_id: d.group_names for d in db.get_documents(sorted(ids))}


def _views(
    db: Database, rows: Sequence[Escalation], roles: Sequence[str], groups: Sequence[str]
) -> list[EscalationView]:
    if "admin" in roles:
        return [EscalationView.of(r, [dict(s) for s in r.sources or []]) for r in rows]
    doc_groups = _doc_groups(db, rows)
    return [EscalationView.of(r, visible_sources(r.sources or [], doc_groups, groups)) for r in rows]


def _view(db: Database, row: Escalation, user: str) -> EscalationView:
    roles, groups = _roles_groups(db, user)
    return _views(db, [row], roles, groups)[0]


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
    """Store (or update) ``user``'s feedback on the answer logged as ``query_log_id``."""
    thumb, reason, comment = check_feedback(thumb, reason, comment)
    _own_log(db, user, query_log_id, "rate")
    row = db.upsert_feedback(query_log_id, user, thumb=thumb, reason=reason, comment=comment)
    return FeedbackRecord.of(row)


def get_feedback(db: Database, user: str, query_log_id: int) -> FeedbackRecord | None:
    """``user``'s feedback on that answer, if any (to show the thumb already given)."""
    row = db.get_feedback(query_log_id, user)
    return FeedbackRecord.of(row) if row else None


def escalate(
    db: Database, user: str, query_log_id: int, comment: str = "", sources: Sequence[Any] | None = None
) -> EscalationView:
    """Hand the answer logged as ``query_log_id`` to a reviewer. ``sources`` are the citations as the
    asker saw them (default: built from the log, without snippets). While an earlier escalation of
    the same answer by the same asker is still open or claimed, that one is returned instead."""
    log = _own_log(db, user, query_log_id, "escalate")
    cited = list(log.cited or [])
    pending = db.list_escalations(asker=user, query_log_id=query_log_id, statuses=("open", "claimed"))
    if pending:
        return _view(db, pending[0], user)
    docs = {d.doc_id: d for d in db.get_documents([c["doc_id"] for c in cited if c.get("doc_id")])}
    shown = clean_sources(sources, cited) if sources is not None else sources_from_log(cited, docs)
    row = db.add_escalation(
        query_log_id=log.id,
        asker=user,
        question=log.question,
        answer=log.answer,
        sources=shown,
        confidence=log.confidence,
        band=log.band,
        comment=clip(comment, MAX_COMMENT),
        groups=sorted({g for d in docs.values() for g in d.group_names}),
        status="open",
    )
    return _view(db, row, user)


def reviewers_for(db: Database, escalation: Escalation | EscalationView) -> list[str]:
    """The reviewers an escalation is routed to (see ``route``)."""
    return route(escalation.groups or [], _reviewers(db))


def get_escalation(db: Database, user: str, escalation_id: int) -> EscalationView:
    row = _load(db, escalation_id)
    roles, groups = _roles_groups(db, user)
    if not may_view(row, user, roles, route(row.groups or [], _reviewers(db))):
        raise PermissionDenied(f"escalation {escalation_id} is not yours to see")
    return _views(db, [row], roles, groups)[0]


def list_escalations(
    db: Database, user: str, *, status: str | None = None, mine: bool = False
) -> list[EscalationView]:
    """Newest first. Admins see all, reviewers those routed or assigned to them, everyone their own.
    ``mine``: only those ``user`` asked or is assigned to."""
    if status is not None and status not in STATUSES:
        raise FeedbackError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    statuses = [status] if status else None
    roles, groups = _roles_groups(db, user)
    if "admin" in roles or "reviewer" in roles:
        rows = db.list_escalations(statuses=statuses)
        reviewers = _reviewers(db)
        rows = [r for r in rows if may_view(r, user, roles, route(r.groups or [], reviewers))]
    else:
        rows = db.list_escalations(statuses=statuses, asker=user)
    if mine:
        rows = [r for r in rows if user in (r.asker, r.assignee)]
    return _views(db, rows, roles, groups)


def _check_work(db: Database, user: str, row: Escalation, action: str) -> list[str]:
    roles, _ = _roles_groups(db, user)
    if "reviewer" not in roles and "admin" not in roles:
        raise PermissionDenied(f"only reviewers can {action} escalations")
    if not may_work(row, user, roles, route(row.groups or [], _reviewers(db))):
        raise PermissionDenied(f"escalation {row.id} is not routed to you")
    return roles


def claim(db: Database, reviewer: str, escalation_id: int) -> EscalationView:
    """``reviewer`` takes the escalation; claiming one's own claim again is a no-op."""
    row = _load(db, escalation_id)
    _check_work(db, reviewer, row, "claim")
    if row.status == "claimed" and row.assignee == reviewer:
        return _view(db, row, reviewer)
    if why := state_conflict(row, reviewer, "claim"):
        raise Conflict(why)
    done = db.update_escalation(
        escalation_id, {"status": "open"}, status="claimed", assignee=reviewer, claimed_at=utcnow()
    )
    if done is None:  # someone else was quicker
        raise Conflict(state_conflict(_load(db, escalation_id), reviewer, "claim") or "please reload")
    return _view(db, done, reviewer)


def reply(db: Database, reviewer: str, escalation_id: int, text: str) -> EscalationView:
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
    return _view(db, done, reviewer)


def close(db: Database, user: str, escalation_id: int) -> EscalationView:
    """Close the escalation (its asker, a reviewer it is routed or assigned to, or an admin)."""
    row = _load(db, escalation_id)
    roles, _ = _roles_groups(db, user)
    if row.asker != user and not may_work(row, user, roles, route(row.groups or [], _reviewers(db))):
        raise PermissionDenied(f"escalation {escalation_id} is not yours to close")
    if row.status == "closed":
        return _view(db, row, user)
    done = db.update_escalation(escalation_id, {"status": row.status}, status="closed", closed_at=utcnow())
    if done is None:
        raise Conflict(f"escalation {escalation_id} was changed meanwhile; please reload")
    return _view(db, done, user)


def feedback_summary(db: Database, since: datetime | None = None) -> dict[str, Any]:
    """Counts for the Insights page (no text): {since, total, up, down, up_share, down_reasons:
    {wrong, incomplete, wrong_source, outdated, unspecified}, escalations: {open, claimed, answered,
    closed, total}}. Feedback counts by when it was last given; escalations by when they were made."""
    since = _utc(since)  # a naive time is taken as UTC, as the database stores times
    return summarize(db.feedback_counts(since), db.escalation_counts(since), since)
