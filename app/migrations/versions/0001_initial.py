"""Initial schema: the tables as `Database()` used to create them with ``create_all``.

A database made that way (tables but no ``alembic_version``) is adopted: only the tables it lacks
are created, so its rows stay. The schema is frozen here (not imported from app.models), so later
model changes need their own migration.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

metadata = sa.MetaData()

sa.Table(
    "answer_cache",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("fingerprint", sa.String(length=64), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("vector", sa.JSON(), nullable=False),
    sa.Column("answer", sa.JSON(), nullable=False),
    sa.Column("cited", sa.JSON(), nullable=False),
    sa.Column("hits", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_answer_cache_fingerprint", "fingerprint"),
)

sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(length=200), nullable=False),
    sa.Column("action", sa.String(length=100), nullable=False),
    sa.Column("target", sa.String(length=1000), nullable=False),
    sa.Column("details", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_audit_log_action", "action"),
    sa.Index("ix_audit_log_actor", "actor"),
    sa.Index("ix_audit_log_created_at", "created_at"),
)

sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("user", sa.String(length=100), nullable=False),
    sa.Column("title", sa.String(length=200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_conversations_updated_at", "updated_at"),
    sa.Index("ix_conversations_user", "user"),
)

sa.Table(
    "document_sets",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("name"),
)

sa.Table(
    "eval_runs",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("set_name", sa.String(length=500), nullable=False),
    sa.Column("backend", sa.String(length=20), nullable=False),
    sa.Column("model", sa.String(length=200), nullable=False),
    sa.Column("prompt_version", sa.String(length=50), nullable=False),
    sa.Column("settings", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("metrics", sa.JSON(), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "groups",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("name"),
)

sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("set_name", sa.String(length=200), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("args", sa.JSON(), nullable=False),
    sa.Column("counts", sa.JSON(), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "query_logs",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user", sa.String(length=100), nullable=False),
    sa.Column("groups", sa.JSON(), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("rewritten_query", sa.Text(), nullable=True),
    sa.Column("retrieved", sa.JSON(), nullable=False),
    sa.Column("cited", sa.JSON(), nullable=False),
    sa.Column("prompt_version", sa.String(length=50), nullable=False),
    sa.Column("backend", sa.String(length=20), nullable=False),
    sa.Column("model", sa.String(length=200), nullable=False),
    sa.Column("prompt_tokens", sa.Integer(), nullable=False),
    sa.Column("completion_tokens", sa.Integer(), nullable=False),
    sa.Column("cost", sa.Float(), nullable=False),
    sa.Column("latency_ms", sa.JSON(), nullable=False),
    sa.Column("total_ms", sa.Float(), nullable=False),
    sa.Column("cache_hit", sa.Boolean(), nullable=False),
    sa.Column("confidence", sa.Float(), nullable=False),
    sa.Column("band", sa.String(length=10), nullable=False),
    sa.Column("refused", sa.Boolean(), nullable=False),
    sa.Column("fallback_reason", sa.Text(), nullable=False),
    sa.Column("injection_suspected", sa.Boolean(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_query_logs_created_at", "created_at"),
    sa.Index("ix_query_logs_user", "user"),
)

sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=100), nullable=False),
    sa.Column("password_hash", sa.String(length=255), nullable=False),
    sa.Column("roles", sa.String(length=200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("name"),
)

sa.Table(
    "conversation_turns",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("conversation_id", sa.Integer(), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("answer", sa.JSON(), nullable=False),
    sa.Column("query_log_id", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_conversation_turns_conversation_id", "conversation_id"),
)

sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("doc_id", sa.String(length=64), nullable=False),
    sa.Column("set_id", sa.Integer(), nullable=False),
    sa.Column("path", sa.String(length=1000), nullable=False),
    sa.Column("title", sa.String(length=500), nullable=False),
    sa.Column("current_version", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["set_id"], ["document_sets.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("doc_id"),
    sa.UniqueConstraint("set_id", "path"),
)

sa.Table(
    "escalations",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("query_log_id", sa.Integer(), nullable=True),
    sa.Column("asker", sa.String(length=100), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=False),
    sa.Column("sources", sa.JSON(), nullable=False),
    sa.Column("confidence", sa.Float(), nullable=False),
    sa.Column("band", sa.String(length=10), nullable=False),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("groups", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("assignee", sa.String(length=100), nullable=True),
    sa.Column("reply", sa.Text(), nullable=False),
    sa.Column("replied_by", sa.String(length=100), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["query_log_id"], ["query_logs.id"], ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id"),
    sa.Index("ix_escalations_asker", "asker"),
    sa.Index("ix_escalations_created_at", "created_at"),
    sa.Index("ix_escalations_query_log_id", "query_log_id"),
    sa.Index("ix_escalations_status", "status"),
)

sa.Table(
    "eval_results",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("run_id", sa.Integer(), nullable=False),
    sa.Column("item_id", sa.String(length=200), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("user", sa.String(length=100), nullable=False),
    sa.Column("groups", sa.JSON(), nullable=False),
    sa.Column("answerable", sa.Boolean(), nullable=False),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("reference_sources", sa.JSON(), nullable=False),
    sa.Column("hidden_source", sa.String(length=1000), nullable=True),
    sa.Column("answer", sa.JSON(), nullable=False),
    sa.Column("citation_groups", sa.JSON(), nullable=False),
    sa.Column("correct", sa.Boolean(), nullable=False),
    sa.Column("citation_hit", sa.Boolean(), nullable=True),
    sa.Column("page_hit", sa.Boolean(), nullable=True),
    sa.Column("mentions", sa.Boolean(), nullable=True),
    sa.Column("refused", sa.Boolean(), nullable=False),
    sa.Column("confidence", sa.Float(), nullable=False),
    sa.Column("band", sa.String(length=10), nullable=False),
    sa.Column("latency_s", sa.Float(), nullable=False),
    sa.Column("prompt_tokens", sa.Integer(), nullable=False),
    sa.Column("completion_tokens", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["run_id"], ["eval_runs.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("run_id", "item_id"),
    sa.Index("ix_eval_results_run_id", "run_id"),
)

sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("query_log_id", sa.Integer(), nullable=False),
    sa.Column("user", sa.String(length=100), nullable=False),
    sa.Column("thumb", sa.String(length=10), nullable=False),
    sa.Column("reason", sa.String(length=20), nullable=True),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["query_log_id"], ["query_logs.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("query_log_id", "user"),
    sa.Index("ix_feedback_created_at", "created_at"),
    sa.Index("ix_feedback_query_log_id", "query_log_id"),
    sa.Index("ix_feedback_user", "user"),
)

sa.Table(
    "ingest_file_results",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("run_id", sa.Integer(), nullable=False),
    sa.Column("path", sa.String(length=1000), nullable=False),
    sa.Column("doc_id", sa.String(length=64), nullable=True),
    sa.Column("version", sa.Integer(), nullable=True),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("file_type", sa.String(length=50), nullable=False),
    sa.Column("pages", sa.Integer(), nullable=False),
    sa.Column("chunks", sa.Integer(), nullable=False),
    sa.Column("seconds", sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(["run_id"], ["ingest_runs.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "user_groups",
    metadata,
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("group_id", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("user_id", "group_id"),
)

sa.Table(
    "document_groups",
    metadata,
    sa.Column("document_id", sa.Integer(), nullable=False),
    sa.Column("group_id", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("document_id", "group_id"),
)

sa.Table(
    "document_versions",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("document_id", sa.Integer(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("state", sa.String(length=20), nullable=False),
    sa.Column("content_hash", sa.String(length=64), nullable=False),
    sa.Column("pipeline_sig", sa.String(length=64), nullable=False),
    sa.Column("size_bytes", sa.Integer(), nullable=False),
    sa.Column("file_type", sa.String(length=50), nullable=False),
    sa.Column("pages", sa.Integer(), nullable=False),
    sa.Column("ocr_pages", sa.Integer(), nullable=False),
    sa.Column("chunks", sa.Integer(), nullable=False),
    sa.Column("original_path", sa.String(length=1000), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("document_id", "version"),
)

sa.Table(
    "verified_answers",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("doc_id", sa.String(length=64), nullable=True),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=False),
    sa.Column("groups", sa.JSON(), nullable=False),
    sa.Column("reviewer", sa.String(length=100), nullable=False),
    sa.Column("escalation_id", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["escalation_id"], ["escalations.id"], ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("doc_id"),
    sa.Index("ix_verified_answers_created_at", "created_at"),
    sa.Index("ix_verified_answers_escalation_id", "escalation_id"),
    sa.Index("ix_verified_answers_reviewer", "reviewer"),
)


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for table in metadata.sorted_tables:  # parents before children
        if table.name not in existing:
            table.create(bind)  # with its indexes


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
