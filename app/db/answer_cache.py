"""The answer cache's rows (app/cache.py decides what is kept and reused)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select

from app.db.base import Repository
from app.models import CachedAnswer


class AnswerCacheRepository(Repository):
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
