"""Query logs: one row per question asked (app/querylog.py writes them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.db.base import Repository
from app.models import QueryLog


class QueryLogRepository(Repository):
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
