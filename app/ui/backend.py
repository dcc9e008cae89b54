"""What the UI talks to, and the checks every page and action makes before it does anything.

The UI is a client of the engine: ``app.client.find_engine`` gives the running `docqa serve`
(EngineClient over HTTP); when none runs, an InProcessEngine over services opened in this process
(tests, one user). Either way the UI opens the database itself for what is only the UI's business:
logins (argon2 hashes never travel over HTTP) and the chat history (Conversation / ConversationTurn).

Roles are re-read from the database by every check (``require_role``), so a role taken away or a
user removed takes effect at the next click, and an action a page does not offer is refused anyway
when called (:class:`Refused`). A session ends after ``ui_idle_minutes`` without activity and, at
the latest, ``ui_session_max_hours`` after the login. Failed logins are throttled per name and per
browser address (app.auth.LoginThrottle, the engine's settings) and audited. This module is plain
Python (no Streamlit) so it is tested directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from app.access import LoginRefused
from app.auth import Clock, LoginThrottle
from app.engine_api import Engine
from app.settings import Settings

EMPLOYEE, REVIEWER, ADMIN, EVALUATOR = "employee", "reviewer", "admin", "evaluator"
REVIEW_ROLES = (REVIEWER, ADMIN)


class UiSettings(Settings):
    """The engine's settings plus the UI's own (env prefix DOCQA_ as well)."""

    ui_idle_minutes: float = Field(
        30.0, description="A web session idle for longer is logged out (0 = never)."
    )
    ui_session_max_hours: float = Field(
        12.0, description="A web session ends this long after its login, active or not (0 = never)."
    )
    ui_port: int = Field(8501, description="Port of `docqa ui` (Streamlit).")


class Refused(Exception):
    """The session's user may not do this (the message can be shown)."""


class Expired(Refused):
    """The session was idle for too long, is older than its maximum age, or its user is gone."""


class LoginFailed(Refused):
    """Too many failed logins for this name or from this address (the message says how long)."""


@dataclass
class SessionUser:
    name: str
    roles: list[str]
    groups: list[str]
    last_active: float = field(default_factory=time.time)
    logged_in: float = field(default_factory=time.time)

    def has(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.roles))


@dataclass
class Backend:
    """The engine (EngineClient or InProcessEngine: one interface) and the database."""

    engine: Engine  # in process or over HTTP (app.engine_api)
    db: Any
    settings: UiSettings
    in_process: bool
    _ask_lock: threading.Lock = field(default_factory=threading.Lock)
    _close: Callable[[], None] | None = None
    clock: Clock = time.time  # sessions and login throttling (tests inject one)
    throttle: LoginThrottle | None = None  # one per process (the backend is shared by all sessions)

    def __post_init__(self) -> None:
        if self.throttle is None:
            s = self.settings
            self.throttle = LoginThrottle(
                s.login_max_failures, s.login_window_s, s.login_cooldown_s, clock=self.clock
            )

    def ask(self, question: str, user: str, **kwargs: Any) -> dict[str, Any]:
        """engine.ask; in-process answers are generated one at a time (the engine's queue does
        that when `docqa serve` runs)."""
        if not self.in_process:
            return self.engine.ask(question, user, **kwargs)
        with self._ask_lock:
            return self.engine.ask(question, user, **kwargs)

    def close(self) -> None:
        if self._close:
            self._close()


def open_backend(settings: UiSettings, embedder: Any = None) -> Backend:
    """The running engine for this data dir, else services opened in this process."""
    from app.client import InProcessEngine, find_engine

    client = find_engine(settings)
    if client is not None:
        from app.db import Database

        db = Database(settings.db_url)

        def close_remote() -> None:
            client.close()
            db.close()

        return Backend(client, db, settings, in_process=False, _close=close_remote)
    from app.services import Services

    services = Services(settings, embedder=embedder)
    return Backend(InProcessEngine(services), services.db, settings, in_process=True, _close=services.close)


# -- sessions --------------------------------------------------------------------------------------
def log_in(backend: Backend, name: str, password: str, *, address: str | None = None) -> SessionUser | None:
    """The user if the password matches (argon2), else None (the caller says only 'wrong').
    LoginFailed while the name or the browser's ``address`` is throttled after too many failures
    (the same for unknown names, so it tells nothing about who exists)."""
    from app.access import log_in as check

    try:
        user = check(backend.db, backend.throttle, name, password, address=address, via="ui")
    except LoginRefused as exc:
        if exc.retry_after is None:  # a wrong name or password
            return None
        raise LoginFailed(str(exc)) from None
    now = backend.clock()
    return SessionUser(user.name, user.role_list, user.group_names, last_active=now, logged_in=now)


def refresh(backend: Backend, session: SessionUser | None, *, now: float | None = None) -> SessionUser:
    """The session's user re-read from the database (roles and groups may have changed), its idle
    clock reset. Expired when idle longer than ui_idle_minutes, older than ui_session_max_hours or
    the user is gone; Refused when there is no session."""
    if session is None:
        raise Refused("please log in")
    now = backend.clock() if now is None else now
    idle = backend.settings.ui_idle_minutes
    if idle > 0 and now - session.last_active > idle * 60:
        raise Expired(f"you were logged out after {idle:g} minutes without activity; please log in again")
    max_hours = backend.settings.ui_session_max_hours
    if max_hours > 0 and now - session.logged_in > max_hours * 3600:
        raise Expired(f"your session ended {max_hours:g} hours after you logged in; please log in again")
    user = backend.db.get_user(session.name)
    if user is None:
        raise Expired("this user no longer exists")
    session.roles, session.groups, session.last_active = user.role_list, user.group_names, now
    return session


def require_role(backend: Backend, session: SessionUser | None, *roles: str) -> SessionUser:
    """``refresh`` plus: the user holds one of ``roles`` (any role when none are named)."""
    user = refresh(backend, session)
    if roles and not user.has(*roles):
        raise Refused(
            f"this needs the role {' or '.join(roles)}; {user.name} has {', '.join(user.roles) or 'none'}"
        )
    return user


# -- actions: each re-checks the role, then calls the engine (which checks again) --------------------
def ask(
    backend: Backend,
    session: SessionUser | None,
    question: str,
    *,
    history: Sequence[str] = (),
    on_token: Callable[[str], None] | None = None,
    on_quick: Callable[[dict[str, Any]], None] | None = None,
    doc: str | None = None,
) -> dict[str, Any]:
    """Answer as the session's user; ``doc`` (a doc_id from ``readable_documents``): only from that
    document (the engine checks again that the user may read it: 404 otherwise)."""
    user = require_role(backend, session, EMPLOYEE)
    return backend.ask(
        question, user.name, history=list(history), on_token=on_token, on_quick=on_quick, doc=doc or None
    )


def readable_documents(backend: Backend, session: SessionUser | None) -> list[dict[str, Any]]:
    """The indexed documents the user's groups may read, to ask within one ("Search in")."""
    user = require_role(backend, session, EMPLOYEE)
    return backend.engine.readable_documents(user.name)


def feedback(
    backend: Backend,
    session: SessionUser | None,
    query_log_id: int,
    thumb: str,
    *,
    reason: str | None = None,
    comment: str = "",
) -> dict[str, Any]:
    user = require_role(backend, session, EMPLOYEE)
    return backend.engine.feedback(query_log_id, user.name, thumb, reason=reason, comment=comment)


def escalate(
    backend: Backend,
    session: SessionUser | None,
    query_log_id: int,
    *,
    comment: str = "",
) -> dict[str, Any]:
    user = require_role(backend, session, EMPLOYEE)
    return backend.engine.escalate(query_log_id, user.name, comment=comment)


def my_escalations(backend: Backend, session: SessionUser | None) -> list[dict[str, Any]]:
    user = require_role(backend, session, EMPLOYEE)
    return [e for e in backend.engine.escalations(user.name, mine=True) if e["asker"] == user.name]


def review_queue(
    backend: Backend, session: SessionUser | None, *, status: str | None = None
) -> list[dict[str, Any]]:
    """Escalations routed or assigned to the reviewer (all for admins); ``status`` "active" =
    open or claimed."""
    user = require_role(backend, session, *REVIEW_ROLES)
    engine_status = None if status in (None, "all", "active") else status
    found = backend.engine.escalations(user.name, status=engine_status)
    if status == "active":
        found = [e for e in found if e["status"] in ("open", "claimed")]
    return found


def claim(backend: Backend, session: SessionUser | None, escalation_id: int) -> dict[str, Any]:
    user = require_role(backend, session, *REVIEW_ROLES)
    return backend.engine.claim(escalation_id, user.name)


def reply(backend: Backend, session: SessionUser | None, escalation_id: int, text: str) -> dict[str, Any]:
    user = require_role(backend, session, *REVIEW_ROLES)
    return backend.engine.reply(escalation_id, user.name, text)


def close_escalation(backend: Backend, session: SessionUser | None, escalation_id: int) -> dict[str, Any]:
    """Reviewers close what they work on; an asker closes their own question."""
    user = require_role(backend, session, EMPLOYEE, *REVIEW_ROLES)
    return backend.engine.close_escalation(escalation_id, user.name)


def original(backend: Backend, session: SessionUser | None, doc_id: str) -> dict[str, Any]:
    """The cited document's kept original; the engine checks the user's groups again (403)."""
    user = require_role(backend, session)
    return backend.engine.original(doc_id, user.name)


# -- conversations (the UI's own; scoped to the session's user by app.db) -------------------------
def conversations(backend: Backend, session: SessionUser | None) -> list[Any]:
    user = require_role(backend, session, EMPLOYEE)
    return backend.db.list_conversations(user.name)


def turns(backend: Backend, session: SessionUser | None, conversation_id: int) -> list[dict[str, Any]]:
    """The conversation's turns as shown to the user now: an answer citing a document the user can
    no longer read (or that was removed) is withheld, like every other path that shows text."""
    from app.visibility import doc_access, unreadable

    user = require_role(backend, session, EMPLOYEE)
    rows = backend.db.list_turns(conversation_id, user.name)
    access = doc_access(
        backend.db, (c["doc_id"] for t in rows for c in (t.answer or {}).get("citations", []))
    )
    out = []
    for t in rows:
        answer = dict(t.answer or {})
        docs = {c["doc_id"] for c in answer.get("citations", [])}
        withheld = bool(unreadable(access, docs, user.groups))
        if withheld:
            answer = {"question": t.question, "refused": True, "citations": [], "withheld": True}
            answer["answer"] = "This answer cited documents you can no longer read; ask again."
        out.append(
            {
                "id": t.id,
                "question": t.question,
                "answer": answer,
                "query_log_id": t.query_log_id,
                "created_at": t.created_at,
                "withheld": withheld,
            }
        )
    return out


def add_turn(
    backend: Backend,
    session: SessionUser | None,
    conversation_id: int | None,
    question: str,
    answer: Mapping[str, Any],
) -> int:
    """Store the turn (starting a conversation when ``conversation_id`` is None), personal data
    redacted as in query logs; returns the conversation's id."""
    from app.querylog import redact, redact_answer

    user = require_role(backend, session, EMPLOYEE)
    question = redact(question)
    if conversation_id is None or backend.db.get_conversation(conversation_id, user.name) is None:
        conversation_id = backend.db.create_conversation(user.name, question[:200]).id
    backend.db.add_turn(
        conversation_id,
        user.name,
        question=question,
        answer=redact_answer(answer),
        query_log_id=answer.get("query_log_id"),
    )
    return conversation_id


# -- admin: uploads, documents, users, insights (the engine checks the admin role again) -----------
def upload(
    backend: Backend,
    session: SessionUser | None,
    set_name: str,
    groups: Sequence[str],
    files: Sequence[tuple[str, bytes]],
) -> dict[str, Any]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.upload(user.name, set_name, list(groups), list(files))


def job(backend: Backend, session: SessionUser | None, job_id: str) -> dict[str, Any]:
    require_role(backend, session, ADMIN)
    return backend.engine.job(job_id)


def documents(backend: Backend, session: SessionUser | None) -> list[dict[str, Any]]:
    require_role(backend, session, ADMIN)
    return backend.engine.documents()


def delete_document(backend: Backend, session: SessionUser | None, doc_id: str) -> dict[str, Any]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.delete_document(doc_id, user=user.name)


def set_document_groups(
    backend: Backend, session: SessionUser | None, doc_id: str, groups: Sequence[str]
) -> dict[str, Any]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.set_groups(doc_id, list(groups), user=user.name)


def reingest(backend: Backend, session: SessionUser | None, doc_id: str) -> dict[str, Any]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.reingest(doc_id, user.name)


def users(backend: Backend, session: SessionUser | None) -> list[dict[str, Any]]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.users(user.name)


def groups(backend: Backend, session: SessionUser | None) -> list[str]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.groups(user.name)


def save_user(
    backend: Backend,
    session: SessionUser | None,
    name: str,
    *,
    groups: Sequence[str],
    roles: Sequence[str],
    password: str | None = None,
) -> dict[str, Any]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.save_user(
        user.name, name, groups=list(groups), roles=list(roles), password=password or None
    )


def delete_user(backend: Backend, session: SessionUser | None, name: str) -> dict[str, Any]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.delete_user(user.name, name)


def insights(backend: Backend, session: SessionUser | None, *, days: int = 30) -> dict[str, Any]:
    user = require_role(backend, session, ADMIN)
    return backend.engine.insights(user.name, days=days)


def audit(
    backend: Backend,
    session: SessionUser | None,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: Any = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The audit log, newest first (admins only; the engine checks again)."""
    user = require_role(backend, session, ADMIN)
    return backend.engine.audit(
        user.name, actor=actor or None, action=action or None, since=since, limit=limit
    )
