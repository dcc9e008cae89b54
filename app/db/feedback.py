"""Feedback: one thumb (with reason and comment) per user and query log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.db.base import Repository
from app.models import Feedback


class FeedbackRepository(Repository):
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

    def insight_feedback(self, since: datetime) -> list[dict[str, Any]]:
        with self.session() as s:
            q = select(Feedback.thumb, Feedback.reason, Feedback.created_at)
            q = q.where(Feedback.updated_at >= since)
            return [dict(r) for r in s.execute(q).mappings()]
