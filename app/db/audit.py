"""The audit log of admin actions (app/access.py record_audit)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.db.base import Repository
from app.models import AuditLog


class AuditRepository(Repository):
    def add_audit(
        self, actor: str, action: str, target: str = "", details: Mapping[str, Any] | None = None
    ) -> int:
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
