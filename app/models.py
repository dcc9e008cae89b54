"""SQLAlchemy 2 models. The database is the source of truth for documents, versions and ACLs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)

document_groups = Table(
    "document_groups",
    Base.metadata,
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Group(Base):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(200), default="employee")  # comma-separated
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    groups: Mapped[list[Group]] = relationship(secondary=user_groups, lazy="selectin")

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    @property
    def group_names(self) -> list[str]:
        return sorted(g.name for g in self.groups)


class DocumentSet(Base):
    __tablename__ = "document_sets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Document(Base):
    """A file within a set, identified by its path relative to the set's root."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("set_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(64), unique=True)  # stable id used in the vector store
    set_id: Mapped[int] = mapped_column(ForeignKey("document_sets.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500), default="")
    current_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    set: Mapped[DocumentSet] = relationship(lazy="joined")
    groups: Mapped[list[Group]] = relationship(secondary=document_groups, lazy="selectin")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="DocumentVersion.version",
        lazy="selectin",
    )

    @property
    def group_names(self) -> list[str]:
        return sorted(g.name for g in self.groups)

    @property
    def active(self) -> DocumentVersion | None:
        return next((v for v in self.versions if v.version == self.current_version), None)


class DocumentVersion(Base):
    """One ingested content of a document. state: writing -> active -> superseded."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="writing")
    content_hash: Mapped[str] = mapped_column(String(64))
    pipeline_sig: Mapped[str] = mapped_column(String(64), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    file_type: Mapped[str] = mapped_column(String(50), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    ocr_pages: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    original_path: Mapped[str] = mapped_column(String(1000), default="")  # copy under the data dir
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    document: Mapped[Document] = relationship(back_populates="versions")


class IngestRun(Base):
    __tablename__ = "ingest_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    set_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done | interrupted
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    results: Mapped[list[IngestFileResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", lazy="selectin"
    )


class IngestFileResult(Base):
    __tablename__ = "ingest_file_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1000))
    doc_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    file_type: Mapped[str] = mapped_column(String(50), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    run: Mapped[IngestRun] = relationship(back_populates="results")


class QueryLog(Base):
    """One question asked and how it was answered. Question and answer are stored redacted by default."""

    __tablename__ = "query_logs"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(100), index=True)
    groups: Mapped[list] = mapped_column(JSON, default=list)
    question: Mapped[str] = mapped_column(Text)
    rewritten_query: Mapped[str | None] = mapped_column(Text, nullable=True)
    retrieved: Mapped[list] = mapped_column(JSON, default=list)  # [{id, doc_id, version, score, ...}]
    cited: Mapped[list] = mapped_column(JSON, default=list)  # [{n, doc_id, version, page}]
    prompt_version: Mapped[str] = mapped_column(String(50), default="")
    backend: Mapped[str] = mapped_column(String(20), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[dict] = mapped_column(JSON, default=dict)  # per stage
    total_ms: Mapped[float] = mapped_column(Float, default=0.0)
    cache_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    band: Mapped[str] = mapped_column(String(10), default="")
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    fallback_reason: Mapped[str] = mapped_column(Text, default="")
    injection_suspected: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str] = mapped_column(Text, default="")


class IndexState(Base):
    """One row (id 1): ``version`` goes up whenever what retrieval can see changes (a document
    version switched, re-grouped or deleted; a verified answer published, re-grouped or withdrawn).
    Cached answers are kept per index version, so any such change retires them all."""

    __tablename__ = "index_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class CachedAnswer(Base):
    """An answer kept for readers with the same groups, backend and prompt (``fingerprint``) at one
    ``index_version``, until ``expires_at``; question and answer are stored PII-redacted. Served
    again only after the same checks as a fresh answer (app/cache.py)."""

    __tablename__ = "answer_cache"
    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    question: Mapped[str] = mapped_column(Text)  # normalised, redacted
    vector: Mapped[list] = mapped_column(JSON)  # the question's embedding
    answer: Mapped[dict] = mapped_column(JSON)  # Answer.to_dict(), redacted
    cited: Mapped[list] = mapped_column(JSON, default=list)  # [{doc_id, version, chunk_id}]
    hits: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    backend: Mapped[str] = mapped_column(String(20), default="")
    prompt_version: Mapped[str] = mapped_column(String(50), default="")
    index_version: Mapped[int] = mapped_column(Integer, default=0, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)


class Feedback(Base):
    """A thumb on one answer by the user who asked it; giving feedback again updates the row."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("query_log_id", "user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    query_log_id: Mapped[int] = mapped_column(ForeignKey("query_logs.id", ondelete="CASCADE"), index=True)
    user: Mapped[str] = mapped_column(String(100), index=True)
    thumb: Mapped[str] = mapped_column(String(10))  # up | down
    reason: Mapped[str | None] = mapped_column(String(20), nullable=True)  # wrong | incomplete | ...
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Escalation(Base):
    """An answer handed to a human reviewer. status: open -> claimed -> answered -> closed.

    It keeps references only, never document text: ``query_log_id`` (the answer is shown from the
    query log) and ``sources`` ([{n, doc_id, version, chunk_id, page}], snippets shown from the
    vector store); both are shown only to a viewer who may read every cited document at the time
    of viewing (app/feedback.py). ``answer`` is no longer written (older rows were cleared).
    ``groups``: the groups owning the cited documents when it was made (for the record; routing
    uses the documents' current groups)."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    query_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("query_logs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    asker: Mapped[str] = mapped_column(String(100), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list] = mapped_column(JSON, default=list)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    band: Mapped[str] = mapped_column(String(10), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    groups: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Conversation(Base):
    """A chat in the web UI; only its ``user`` ever sees it."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ConversationTurn(Base):
    """One question of a conversation and the answer shown (the engine's answer JSON)."""

    __tablename__ = "conversation_turns"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[dict] = mapped_column(JSON, default=dict)
    query_log_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# -- evaluation runs (eval/runs.py) -----------------------------------------------------------------
class EvalRun(Base):
    """One pass of the engine over a golden set. status: running -> done | interrupted."""

    __tablename__ = "eval_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    set_name: Mapped[str] = mapped_column(String(500))  # demo | clapnq | a .jsonl path
    backend: Mapped[str] = mapped_column(String(20), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    prompt_version: Mapped[str] = mapped_column(String(50), default="")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)  # as_user, limit, data_dir, retrieval knobs
    status: Mapped[str] = mapped_column(String(20), default="running")
    total: Mapped[int] = mapped_column(Integer, default=0)  # questions planned
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EvalResult(Base):
    """One golden question of an EvalRun, as asked and judged. ``citation_groups`` maps each cited
    doc_id to the groups owning it when the run asked (null: no such document)."""

    __tablename__ = "eval_results"
    __table_args__ = (UniqueConstraint("run_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(100))
    groups: Mapped[list] = mapped_column(JSON, default=list)  # the asker's groups at the time
    answerable: Mapped[bool] = mapped_column(Boolean)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    reference_sources: Mapped[list] = mapped_column(JSON, default=list)
    hidden_source: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    answer: Mapped[dict] = mapped_column(JSON, default=dict)  # app.answer.Answer.to_dict()
    citation_groups: Mapped[dict] = mapped_column(JSON, default=dict)
    correct: Mapped[bool] = mapped_column(Boolean)
    citation_hit: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    page_hit: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    mentions: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    refused: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    band: Mapped[str] = mapped_column(String(10), default="")
    latency_s: Mapped[float] = mapped_column(Float, default=0.0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def to_dict(self) -> dict:
        return {c.name: getattr(self, c.name) for c in self.__table__.columns if c.name != "created_at"}


# -- verified answers (app/verified.py) -----------------------------------------------------------
class VerifiedAnswer(Base):
    """A reviewer's curated question/answer, published from an escalation. ``chosen_groups``: the
    readers the reviewer chose; ``sources``: the doc_ids the escalated answer cited; ``groups``: the
    audience now, the chosen groups that may also read every source (recomputed whenever a source
    is re-grouped, re-ingested or deleted). status: published | withdrawn (a source was deleted or
    no group may read it any more: its point is removed and its reviewer sees why).
    It is indexed as one vector-store point with ``doc_id`` ("verified-<id>", set once the id is known)."""

    __tablename__ = "verified_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    doc_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    groups: Mapped[list] = mapped_column(JSON, default=list)
    reviewer: Mapped[str] = mapped_column(String(100), index=True)
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    chosen_groups: Mapped[list] = mapped_column(JSON, default=list)
    sources: Mapped[list] = mapped_column(JSON, default=list)  # doc_ids
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# -- audit log of admin actions (app/db/audit.py add_audit / list_audit) --------------------------
class AuditLog(Base):
    """One administrative or security-relevant action: who (``actor``: a user name, "cli:<os user>"
    or "anonymous"), what (``action``, e.g. "user.create", "document.delete", "login.failed") on what
    (``target``), with free-form ``details``."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(1000), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
