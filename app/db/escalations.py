"""Escalations: questions handed to a reviewer, claimed, replied to and closed (app/feedback.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from app.db.base import Repository
from app.models import Escalation


class EscalationRepository(Repository):
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

    def insight_escalations(self, since: datetime) -> list[dict[str, Any]]:
        cols = (Escalation.status, Escalation.created_at, Escalation.replied_at, Escalation.closed_at)
        with self.session() as s:
            q = select(*cols).where(Escalation.created_at >= since)
            return [dict(r) for r in s.execute(q).mappings()]
