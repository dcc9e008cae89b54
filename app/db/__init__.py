"""The one owner of database sessions. Everyone else calls these methods and gets detached rows.

:class:`Database` opens the engine (and migrates the schema); its methods come from one repository
per aggregate, each a mixin over the same sessions (app/db/base.py):

- users.py: users and groups
- documents.py: documents, sets and versions
- ingest_runs.py: ingest runs (ingestion jobs) and their per-file results
- answer_cache.py: the answer cache
- query_logs.py: query logs
- feedback.py: feedback on answers
- escalations.py: escalations to reviewers
- conversations.py: the web UI's chat history
- eval_runs.py: evaluation runs and results
- verified_answers.py: verified answers
- audit.py: the audit log of admin actions
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from app.db.answer_cache import AnswerCacheRepository
from app.db.audit import AuditRepository
from app.db.conversations import ConversationRepository
from app.db.documents import DocumentRepository
from app.db.escalations import EscalationRepository
from app.db.eval_runs import EvalRunRepository
from app.db.feedback import FeedbackRepository
from app.db.ingest_runs import IngestRunRepository
from app.db.query_logs import QueryLogRepository
from app.db.users import UserRepository
from app.db.verified_answers import VerifiedAnswerRepository

__all__ = ["Database", "DatabaseUnavailableError", "driver_url"]


class DatabaseUnavailableError(RuntimeError):
    pass


class Database(
    UserRepository,
    DocumentRepository,
    IngestRunRepository,
    AnswerCacheRepository,
    QueryLogRepository,
    FeedbackRepository,
    EscalationRepository,
    ConversationRepository,
    EvalRunRepository,
    VerifiedAnswerRepository,
    AuditRepository,
):
    """The database at one URL, with the methods of every repository above."""

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
