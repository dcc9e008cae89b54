"""The one owner of database sessions. Everyone else calls these methods and gets detached rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, delete, event, func, make_url, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.models import (
    CachedAnswer,
    Conversation,
    ConversationTurn,
    Document,
    DocumentSet,
    DocumentVersion,
    Escalation,
    EvalResult,
    EvalRun,
    Feedback,
    Group,
    IndexState,
    IngestFileResult,
    IngestRun,
    QueryLog,
    User,
    VerifiedAnswer,
    utcnow,
)


class DatabaseUnavailableError(RuntimeError):
    pass


class Database:
    def __init__(self, url: str) -> None:
        """Open the database at ``url`` and bring its schema to the newest Alembic revision
        (app/migrations: a new database is created, an old one upgraded or adopted)."""
        from app.migrations import upgrade

        self.url = url = driver_url(url)
        is_sqlite = url.startswith("sqlite")
        if is_sqlite:
            connect_args: dict[str, Any] = {"timeout": 30}
        else:  # timestamps come back in UTC, and naive ones we pass are read as UTC
            connect_args = {"options": "-c timezone=UTC"} if url.startswith("postgresql") else {}
        self.engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not is_sqlite)
        if is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        try:
            upgrade(self.engine)
        except OperationalError as exc:
            self.engine.dispose()
            where = make_url(url).render_as_string(hide_password=True)
            raise DatabaseUnavailableError(f"cannot open the database at {where}: {exc.orig}") from exc

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    # -- groups and users ------------------------------------------------------------------------
    @staticmethod
    def _groups(s: Session, names: Sequence[str]) -> list[Group]:
        wanted = sorted({n.strip() for n in names if n.strip()})
        found = {g.name: g for g in s.scalars(select(Group).where(Group.name.in_(wanted)))}
        for name in wanted:
            if name not in found:
                found[name] = Group(name=name)
                s.add(found[name])
        return [found[n] for n in wanted]

    @staticmethod
    def _bump_index(s: Session) -> None:
        """What retrieval can see changed (see IndexState): in the caller's transaction."""
        done = s.execute(
            update(IndexState)
            .where(IndexState.id == 1)
            .values(version=IndexState.version + 1)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            s.add(IndexState(id=1, version=1))

    def index_version(self) -> int:
        with self.session() as s:
            row = s.get(IndexState, 1)
            return row.version if row is not None else 0

    def upsert_user(self, name: str, password_hash: str, groups: Sequence[str], roles: Sequence[str]) -> User:
        with self.session() as s:
            user = s.scalar(select(User).where(User.name == name)) or User(name=name)
            user.password_hash = password_hash
            user.roles = ",".join(sorted(set(roles)))
            user.groups = self._groups(s, groups)
            s.add(user)
            s.flush()
            return user

    def get_user(self, name: str) -> User | None:
        with self.session() as s:
            return s.scalar(select(User).where(User.name == name))

    def list_users(self) -> list[User]:
        with self.session() as s:
            return list(s.scalars(select(User).order_by(User.name)))

    # -- documents -------------------------------------------------------------------------------
    def get_document(self, doc_id: str) -> Document | None:
        with self.session() as s:
            return s.scalar(select(Document).where(Document.doc_id == doc_id))

    def find_document(self, set_name: str, path: str) -> Document | None:
        with self.session() as s:
            return s.scalar(
                select(Document).join(DocumentSet).where(DocumentSet.name == set_name, Document.path == path)
            )

    def list_documents(self, set_name: str | None = None) -> list[Document]:
        with self.session() as s:
            q = select(Document).join(DocumentSet).order_by(DocumentSet.name, Document.path)
            if set_name:
                q = q.where(DocumentSet.name == set_name)
            return list(s.scalars(q))

    def begin_version(
        self,
        *,
        set_name: str,
        path: str,
        doc_id: str,
        title: str,
        content_hash: str,
        pipeline_sig: str,
        size_bytes: int,
        file_type: str,
    ) -> int:
        """Record a new version in state 'writing' (creating the document on first sight)."""
        with self.session() as s:
            doc_set = s.scalar(select(DocumentSet).where(DocumentSet.name == set_name))
            if doc_set is None:
                doc_set = DocumentSet(name=set_name)
                s.add(doc_set)
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                doc = Document(doc_id=doc_id, set=doc_set, path=path, title=title)
                s.add(doc)
                s.flush()
            last = s.scalar(
                select(func.max(DocumentVersion.version)).where(DocumentVersion.document_id == doc.id)
            )
            version = (last or 0) + 1
            s.add(
                DocumentVersion(
                    document=doc,
                    version=version,
                    state="writing",
                    content_hash=content_hash,
                    pipeline_sig=pipeline_sig,
                    size_bytes=size_bytes,
                    file_type=file_type,
                )
            )
            return version

    def activate_version(
        self,
        doc_id: str,
        version: int,
        *,
        groups: Sequence[str],
        pages: int,
        ocr_pages: int,
        chunks: int,
        original_path: str,
    ) -> list[str]:
        """Switch the document to ``version``; returns the original-file copies no longer needed."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                raise KeyError(doc_id)
            stale: list[str] = []
            for v in doc.versions:
                if v.version == version:
                    v.state, v.activated_at = "active", utcnow()
                    v.pages, v.ocr_pages, v.chunks, v.original_path = pages, ocr_pages, chunks, original_path
                elif v.state != "superseded":
                    v.state = "superseded"
                    if v.original_path and v.original_path != original_path:
                        stale.append(v.original_path)
                    v.original_path = ""
            doc.current_version = version
            doc.groups = self._groups(s, groups)
            doc.updated_at = utcnow()
            self._bump_index(s)
            return stale

    def abandon_version(self, doc_id: str, version: int) -> None:
        """Forget a version whose writing failed; a document left with no version is removed."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                return
            for v in list(doc.versions):
                if v.version == version and v.state == "writing":
                    doc.versions.remove(v)
            if doc.current_version is None and not doc.versions:
                s.delete(doc)

    def set_document_groups(self, doc_id: str, groups: Sequence[str]) -> None:
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                raise KeyError(doc_id)
            doc.groups = self._groups(s, groups)
            doc.updated_at = utcnow()
            self._bump_index(s)

    def delete_document(self, doc_id: str) -> list[str]:
        """Remove the document and its versions; returns the original-file copies to delete."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                return []
            originals = [v.original_path for v in doc.versions if v.original_path]
            s.delete(doc)
            self._bump_index(s)
            return originals

    def settle_versions(self, doc_id: str) -> int:
        """Mark every 'active' version but the current one superseded (a repair); returns how many."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is None:
                return 0
            stale = [v for v in doc.versions if v.state == "active" and v.version != doc.current_version]
            for v in stale:
                v.state = "superseded"
            return len(stale)

    def mark_for_reindex(self, doc_id: str) -> None:
        """Make the next ingest of the document's file write a new version even if it is unchanged."""
        with self.session() as s:
            doc = s.scalar(select(Document).where(Document.doc_id == doc_id))
            if doc is not None:
                for v in doc.versions:
                    if v.version == doc.current_version:
                        v.pipeline_sig = ""

    # -- ingest runs -----------------------------------------------------------------------------
    def start_run(self, set_name: str, args: dict[str, Any]) -> int:
        with self.session() as s:
            run = IngestRun(set_name=set_name, args=args)
            s.add(run)
            s.flush()
            return run.id

    def add_file_result(self, run_id: int, **fields: Any) -> None:
        with self.session() as s:
            s.add(IngestFileResult(run_id=run_id, **fields))

    def finish_run(self, run_id: int, counts: dict[str, int], status: str = "done") -> None:
        with self.session() as s:
            run = s.get(IngestRun, run_id)
            if run is not None:
                run.status, run.counts, run.finished_at = status, counts, utcnow()

    def get_run(self, run_id: int) -> IngestRun | None:
        with self.session() as s:
            return s.get(IngestRun, run_id)

    def list_runs(self, status: str | None = None, limit: int = 1000) -> list[IngestRun]:
        """Ingest runs, newest first, optionally only those with ``status``."""
        with self.session() as s:
            q = select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)
            if status is not None:
                q = q.where(IngestRun.status == status)
            return list(s.scalars(q))

    # -- answer cache ----------------------------------------------------------------------------
    def cache_entries(
        self, fingerprint: str, index_version: int, now: datetime, limit: int = 500
    ) -> list[CachedAnswer]:
        """The live entries for ``fingerprint`` at ``index_version`` (not expired at ``now``)."""
        with self.session() as s:
            q = select(CachedAnswer).where(
                CachedAnswer.fingerprint == fingerprint,
                CachedAnswer.index_version == index_version,
                or_(CachedAnswer.expires_at.is_(None), CachedAnswer.expires_at > now),
            )
            return list(s.scalars(q.order_by(CachedAnswer.id.desc()).limit(limit)))

    def purge_cache(self, index_version: int, now: datetime) -> int:
        """Delete entries of other index versions and expired ones; returns how many."""
        with self.session() as s:
            gone = s.execute(
                delete(CachedAnswer)
                .where(or_(CachedAnswer.index_version != index_version, CachedAnswer.expires_at <= now))
                .execution_options(synchronize_session=False)
            )
            return int(gone.rowcount or 0)

    def drop_cached_question(self, question: str) -> int:
        """Delete every entry for the (normalised, redacted) ``question``, whoever it was kept for."""
        with self.session() as s:
            gone = s.execute(
                delete(CachedAnswer)
                .where(CachedAnswer.question == question)
                .execution_options(synchronize_session=False)
            )
            return int(gone.rowcount or 0)

    def list_cache(self) -> list[CachedAnswer]:
        with self.session() as s:
            return list(s.scalars(select(CachedAnswer).order_by(CachedAnswer.id)))

    def add_cache_entry(self, **fields: Any) -> int:
        with self.session() as s:
            row = CachedAnswer(**fields)
            s.add(row)
            s.flush()
            return row.id

    def touch_cache_entry(self, entry_id: int) -> None:
        with self.session() as s:
            row = s.get(CachedAnswer, entry_id)
            if row is not None:
                row.hits += 1

    def drop_cache_entry(self, entry_id: int) -> None:
        with self.session() as s:
            row = s.get(CachedAnswer, entry_id)
            if row is not None:
                s.delete(row)

    # -- query logs ------------------------------------------------------------------------------
    def add_query_log(self, **fields: Any) -> int:
        with self.session() as s:
            row = QueryLog(**fields)
            s.add(row)
            s.flush()
            return row.id

    def list_query_logs(self, user: str | None = None, limit: int = 100) -> list[QueryLog]:
        """The newest logs first, optionally only one user's."""
        with self.session() as s:
            q = select(QueryLog).order_by(QueryLog.created_at.desc(), QueryLog.id.desc()).limit(limit)
            if user is not None:
                q = q.where(QueryLog.user == user)
            return list(s.scalars(q))

    def get_query_log(self, log_id: int) -> QueryLog | None:
        with self.session() as s:
            return s.get(QueryLog, log_id)

    def get_documents(self, doc_ids: Sequence[str]) -> list[Document]:
        """The documents among ``doc_ids`` that exist (unknown ids are left out)."""
        if not doc_ids:
            return []
        with self.session() as s:
            return list(s.scalars(select(Document).where(Document.doc_id.in_(sorted(set(doc_ids))))))

    # -- feedback --------------------------------------------------------------------------------
    def get_feedback(self, query_log_id: int, user: str) -> Feedback | None:
        with self.session() as s:
            q = select(Feedback).where(Feedback.query_log_id == query_log_id, Feedback.user == user)
            return s.scalar(q)

    def upsert_feedback(self, query_log_id: int, user: str, **fields: Any) -> Feedback:
        """Create or update the one feedback row of ``user`` on a query log."""
        for attempt in range(2):
            try:
                with self.session() as s:
                    row = s.scalar(
                        select(Feedback).where(Feedback.query_log_id == query_log_id, Feedback.user == user)
                    )
                    if row is None:
                        row = Feedback(query_log_id=query_log_id, user=user)
                        s.add(row)
                    for key, value in fields.items():
                        setattr(row, key, value)
                    s.flush()
                return row
            except IntegrityError:  # a concurrent first feedback won the insert: update that one
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def feedback_counts(self, since: datetime | None = None) -> list[tuple[str, str | None, int]]:
        """(thumb, reason, count) over feedback given (or last changed) at or after ``since``."""
        with self.session() as s:
            q = select(Feedback.thumb, Feedback.reason, func.count())
            q = q.group_by(Feedback.thumb, Feedback.reason)
            if since is not None:
                q = q.where(Feedback.updated_at >= since)
            return [(thumb, reason, n) for thumb, reason, n in s.execute(q)]

    # -- escalations -----------------------------------------------------------------------------
    def add_escalation(self, **fields: Any) -> Escalation:
        with self.session() as s:
            row = Escalation(**fields)
            s.add(row)
            s.flush()
            return row

    def get_escalation(self, escalation_id: int) -> Escalation | None:
        with self.session() as s:
            return s.get(Escalation, escalation_id)

    def list_escalations(
        self,
        *,
        statuses: Sequence[str] | None = None,
        asker: str | None = None,
        query_log_id: int | None = None,
    ) -> list[Escalation]:
        """Escalations, newest first, optionally filtered."""
        with self.session() as s:
            q = select(Escalation).order_by(Escalation.created_at.desc(), Escalation.id.desc())
            if statuses is not None:
                q = q.where(Escalation.status.in_(list(statuses)))
            if asker is not None:
                q = q.where(Escalation.asker == asker)
            if query_log_id is not None:
                q = q.where(Escalation.query_log_id == query_log_id)
            return list(s.scalars(q))

    def update_escalation(
        self, escalation_id: int, expect: Mapping[str, Any], **fields: Any
    ) -> Escalation | None:
        """Set ``fields`` only if the row still has the ``expect``-ed values (compare and set);
        returns the updated row, or None when it is gone or was changed meanwhile."""
        with self.session() as s:
            conditions = [Escalation.id == escalation_id]
            for key, value in expect.items():
                column = getattr(Escalation, key)
                conditions.append(column.is_(None) if value is None else column == value)
            result = s.execute(
                update(Escalation)
                .where(*conditions)
                .values(**fields)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return None
            return s.get(Escalation, escalation_id)

    def escalation_counts(self, since: datetime | None = None) -> dict[str, int]:
        """Escalations per status, created at or after ``since``."""
        with self.session() as s:
            q = select(Escalation.status, func.count()).group_by(Escalation.status)
            if since is not None:
                q = q.where(Escalation.created_at >= since)
            return {status: n for status, n in s.execute(q)}

    # -- conversations (web UI chat history; every method is scoped to the owning user) -----------
    def create_conversation(self, user: str, title: str = "") -> Conversation:
        with self.session() as s:
            row = Conversation(user=user, title=title[:200])
            s.add(row)
            s.flush()
            return row

    def list_conversations(self, user: str, limit: int = 50) -> list[Conversation]:
        """``user``'s conversations, most recently used first."""
        with self.session() as s:
            q = select(Conversation).where(Conversation.user == user)
            q = q.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit)
            return list(s.scalars(q))

    def get_conversation(self, conversation_id: int, user: str) -> Conversation | None:
        """The conversation if it belongs to ``user`` (None otherwise, as if it did not exist)."""
        with self.session() as s:
            row = s.get(Conversation, conversation_id)
            return row if row is not None and row.user == user else None

    def add_turn(
        self,
        conversation_id: int,
        user: str,
        *,
        question: str,
        answer: Mapping[str, Any],
        query_log_id: int | None,
    ) -> ConversationTurn:
        """Append a turn to ``user``'s conversation (KeyError if it is not theirs)."""
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user != user:
                raise KeyError(conversation_id)
            row = ConversationTurn(
                conversation_id=conversation_id,
                question=question,
                answer=dict(answer),
                query_log_id=query_log_id,
            )
            s.add(row)
            conv.updated_at = utcnow()
            if not conv.title:
                conv.title = question[:200]
            s.flush()
            return row

    def list_turns(self, conversation_id: int, user: str) -> list[ConversationTurn]:
        """The turns of ``user``'s conversation, oldest first ([] if it is not theirs)."""
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user != user:
                return []
            q = select(ConversationTurn).where(ConversationTurn.conversation_id == conversation_id)
            return list(s.scalars(q.order_by(ConversationTurn.id)))

    def delete_conversation(self, conversation_id: int, user: str) -> bool:
        with self.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user != user:
                return False
            s.execute(
                ConversationTurn.__table__.delete().where(ConversationTurn.conversation_id == conversation_id)
            )
            s.delete(conv)
            return True

    # -- evaluation runs (eval/runs.py) --------------------------------------------------------------
    def create_eval_run(self, **fields: Any) -> EvalRun:
        with self.session() as s:
            row = EvalRun(**fields)
            s.add(row)
            s.flush()
            return row

    def get_eval_run(self, run_id: int) -> EvalRun | None:
        with self.session() as s:
            return s.get(EvalRun, run_id)

    def list_eval_runs(self, limit: int = 100) -> list[EvalRun]:
        """The newest runs first."""
        with self.session() as s:
            return list(s.scalars(select(EvalRun).order_by(EvalRun.id.desc()).limit(limit)))

    def update_eval_run(self, run_id: int, **fields: Any) -> None:
        with self.session() as s:
            row = s.get(EvalRun, run_id)
            if row is None:
                raise KeyError(run_id)
            for key, value in fields.items():
                setattr(row, key, value)

    def add_eval_result(self, run_id: int, **fields: Any) -> EvalResult:
        with self.session() as s:
            row = EvalResult(run_id=run_id, **fields)
            s.add(row)
            s.flush()
            return row

    def list_eval_results(self, run_id: int) -> list[EvalResult]:
        """A run's results in the order they were asked."""
        with self.session() as s:
            q = select(EvalResult).where(EvalResult.run_id == run_id).order_by(EvalResult.id)
            return list(s.scalars(q))

    # -- insights (admin Insights page and user management; read-only rows for app.client) -------
    def insight_query_logs(self, since: datetime) -> list[dict[str, Any]]:
        cols = (
            QueryLog.created_at,
            QueryLog.question,
            QueryLog.confidence,
            QueryLog.band,
            QueryLog.refused,
            QueryLog.cache_hit,
            QueryLog.total_ms,
        )
        with self.session() as s:
            rows = s.execute(select(*cols).where(QueryLog.created_at >= since).order_by(QueryLog.id))
            return [dict(r) for r in rows.mappings()]

    def insight_feedback(self, since: datetime) -> list[dict[str, Any]]:
        with self.session() as s:
            q = select(Feedback.thumb, Feedback.reason, Feedback.created_at)
            q = q.where(Feedback.updated_at >= since)
            return [dict(r) for r in s.execute(q).mappings()]

    def insight_escalations(self, since: datetime) -> list[dict[str, Any]]:
        cols = (Escalation.status, Escalation.created_at, Escalation.replied_at, Escalation.closed_at)
        with self.session() as s:
            q = select(*cols).where(Escalation.created_at >= since)
            return [dict(r) for r in s.execute(q).mappings()]

    def list_group_names(self) -> list[str]:
        with self.session() as s:
            return list(s.scalars(select(Group.name).order_by(Group.name)))

    # -- verified answers (app/verified.py) -------------------------------------------------------
    def add_verified_answer(self, **fields: Any) -> VerifiedAnswer:
        """A new verified answer; its ``doc_id`` is "verified-<id>"."""
        with self.session() as s:
            row = VerifiedAnswer(**fields)
            s.add(row)
            s.flush()
            row.doc_id = f"verified-{row.id}"
            s.flush()
            self._bump_index(s)
            return row

    def update_verified_answer(self, verified_id: int, **fields: Any) -> VerifiedAnswer | None:
        """Change its audience or status (what retrieval can see changes with it)."""
        with self.session() as s:
            row = s.get(VerifiedAnswer, verified_id)
            if row is None:
                return None
            for key, value in fields.items():
                setattr(row, key, value)
            self._bump_index(s)
            s.flush()
            return row

    def get_verified_answer(self, verified_id: int) -> VerifiedAnswer | None:
        with self.session() as s:
            return s.get(VerifiedAnswer, verified_id)

    def get_verified_answers(self, doc_ids: Sequence[str]) -> list[VerifiedAnswer]:
        """The verified answers among ``doc_ids`` ("verified-<id>") that exist."""
        if not doc_ids:
            return []
        with self.session() as s:
            q = select(VerifiedAnswer).where(VerifiedAnswer.doc_id.in_(sorted(set(doc_ids))))
            return list(s.scalars(q))

    def list_verified_answers(self) -> list[VerifiedAnswer]:
        """Newest first."""
        with self.session() as s:
            q = select(VerifiedAnswer).order_by(VerifiedAnswer.created_at.desc(), VerifiedAnswer.id.desc())
            return list(s.scalars(q))

    def delete_verified_answer(self, verified_id: int) -> bool:
        with self.session() as s:
            row = s.get(VerifiedAnswer, verified_id)
            if row is None:
                return False
            s.delete(row)
            self._bump_index(s)
            return True

    # -- audit log of admin actions (app/access.py record_audit) ----------------------------------
    def add_audit(
        self, actor: str, action: str, target: str = "", details: Mapping[str, Any] | None = None
    ) -> int:
        from app.models import AuditLog

        with self.session() as s:
            row = AuditLog(actor=actor[:200], action=action[:100], target=target[:1000])
            row.details = dict(details or {})
            s.add(row)
            s.flush()
            return row.id

    def list_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[Any]:
        """Newest first; ``action`` matches exactly or as a prefix ending in "." (e.g. "user.")."""
        from datetime import UTC

        from app.models import AuditLog

        with self.session() as s:
            q = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            if actor:
                q = q.where(AuditLog.actor == actor)
            if action:
                q = q.where(
                    AuditLog.action.startswith(action) if action.endswith(".") else AuditLog.action == action
                )
            if since is not None:  # stored as UTC (naive in SQLite)
                if since.tzinfo is not None:
                    since = since.astimezone(UTC).replace(tzinfo=None)
                q = q.where(AuditLog.created_at >= since)
            return list(s.scalars(q.limit(max(1, min(int(limit), 5000)))))

    def delete_user(self, name: str) -> bool:
        """Remove a user (their group memberships go with them; logs keep their name)."""
        with self.session() as s:
            user = s.scalar(select(User).where(User.name == name))
            if user is None:
                return False
            s.delete(user)
            return True


def driver_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` URLs use psycopg 3 (the driver we install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit is not fsynced, so a killed process loses nothing (the OS has the WAL)
    # and only a power cut could lose the last commits, never corrupt the file. FULL fsynced every
    # commit: ~7 s of an ingestion of 250 small files went into syncing its ~1,000 commits.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
