"""Permission-safe answer cache, escalations that keep references only, verified-answer audience.

- ``index_state``: one row whose ``version`` goes up on every change to what retrieval can see;
  the answer cache is keyed by it. The old cache rows (keyed by groups only, never expiring, with
  raw personal data) are deleted.
- ``answer_cache``: backend, prompt_version, index_version, expires_at.
- ``escalations``: existing rows lose the answer text and source snippets they copied (they are now
  rendered from the query log and the vector store, for viewers who may read every cited document).
- ``verified_answers``: chosen_groups (the reviewer's choice), sources (the cited doc_ids, from the
  escalation), status and withdrawal. Existing rows: chosen = their groups, published.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    conn = op.get_bind()
    index_state = op.create_table(
        "index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(index_state, [{"id": 1, "version": 0}])

    conn.execute(sa.text("DELETE FROM answer_cache"))
    with op.batch_alter_table("answer_cache", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backend", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("prompt_version", sa.String(length=50), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("index_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_answer_cache_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_answer_cache_index_version"), ["index_version"], unique=False)

    keys = ("n", "doc_id", "version", "chunk_id", "page")
    sources_by_escalation: dict[int, list[str]] = {}
    for esc_id, sources in conn.execute(sa.text("SELECT id, sources FROM escalations")).all():
        refs = [{k: s.get(k) for k in keys} for s in (_json(sources) or []) if isinstance(s, dict)]
        sources_by_escalation[esc_id] = sorted({str(r["doc_id"]) for r in refs if r.get("doc_id")})
        conn.execute(
            sa.text("UPDATE escalations SET answer = '', sources = :refs WHERE id = :id"),
            {"refs": json.dumps(refs), "id": esc_id},
        )

    with op.batch_alter_table("verified_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chosen_groups", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="published")
        )
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_verified_answers_status"), ["status"], unique=False)
    for vid, groups, esc_id in conn.execute(
        sa.text("SELECT id, groups, escalation_id FROM verified_answers")
    ).all():
        conn.execute(
            sa.text("UPDATE verified_answers SET chosen_groups = :g, sources = :s WHERE id = :id"),
            {
                "g": json.dumps(_json(groups) or []),
                "s": json.dumps(sources_by_escalation.get(esc_id, [])),
                "id": vid,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("verified_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verified_answers_status"))
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("status")
        batch_op.drop_column("sources")
        batch_op.drop_column("chosen_groups")

    with op.batch_alter_table("answer_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_cache_index_version"))
        batch_op.drop_index(batch_op.f("ix_answer_cache_expires_at"))
        batch_op.drop_column("expires_at")
        batch_op.drop_column("index_version")
        batch_op.drop_column("prompt_version")
        batch_op.drop_column("backend")

    op.drop_table("index_state")
